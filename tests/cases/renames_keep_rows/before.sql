-- Renames declared with `-- schemaspec:renamed-from`: a table and columns keep their
-- rows (without the hints these are drops and creates, and the rows are gone).
CREATE TABLE posts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body text NOT NULL,
    "Created" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posts_created ON posts ("Created");
COMMENT ON COLUMN posts.body IS 'what was written';
CREATE TABLE comments (post_id bigint NOT NULL REFERENCES posts (id), note text);
INSERT INTO posts (body) SELECT 'post ' || i FROM generate_series(1, 100) AS i;
INSERT INTO comments SELECT id, 'on ' || id FROM posts;
