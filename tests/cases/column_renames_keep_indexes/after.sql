CREATE SCHEMA app;
CREATE TABLE app.authors (
    id int PRIMARY KEY,
    -- schemaspec:renamed-from handle
    login text UNIQUE
);
CREATE TABLE app.notes (
    id int PRIMARY KEY,
    -- schemaspec:renamed-from body
    content text CHECK (length(content) < 1000),
    -- schemaspec:renamed-from author
    writer text REFERENCES app.authors (login),
    -- schemaspec:renamed-from "Tag"
    label text,
    UNIQUE (writer, id)
);
-- Same indexes, on the renamed columns: renamed with them, not built again (the string
-- 'body' in the predicate stays a string).
CREATE INDEX notes_body_lower ON app.notes (lower(content)) WHERE content <> 'body';
CREATE INDEX notes_tag ON app.notes (label);
CREATE STATISTICS app.notes_stats (dependencies) ON content, writer FROM app.notes;
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON app.notes USING (writer = current_user);
