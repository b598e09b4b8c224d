-- schemaspec:renamed-from posts
CREATE TABLE articles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- schemaspec:renamed-from body
    content text NOT NULL,
    -- schemaspec:renamed-from "Created"
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posts_created ON articles (created_at);
COMMENT ON COLUMN articles.content IS 'what was written';
CREATE TABLE comments (
    post_id bigint NOT NULL REFERENCES articles (id),
    -- schemaspec:renamed-from note
    remark text
);
