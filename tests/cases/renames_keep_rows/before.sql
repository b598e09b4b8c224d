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
CREATE SEQUENCE ticket_numbers START 500;
CREATE TABLE tickets (number bigint DEFAULT nextval('ticket_numbers') PRIMARY KEY, title text);
INSERT INTO tickets (title) SELECT 'ticket ' || i FROM generate_series(1, 10) AS i;
CREATE INDEX tickets_title ON tickets (title);
CREATE VIEW open_tickets AS SELECT number, title FROM tickets;
CREATE VIEW open_ticket_titles AS SELECT title FROM open_tickets;
