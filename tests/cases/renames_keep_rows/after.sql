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
-- schemaspec:renamed-from ticket_numbers
CREATE SEQUENCE ticket_no START 500;
CREATE TABLE tickets (number bigint DEFAULT nextval('ticket_no') PRIMARY KEY, title text);
-- schemaspec:renamed-from tickets_title
CREATE INDEX tickets_by_title ON tickets (title);
-- schemaspec:renamed-from open_tickets
CREATE VIEW tickets_open AS SELECT number, title FROM tickets;
CREATE VIEW open_ticket_titles AS SELECT title FROM tickets_open;
