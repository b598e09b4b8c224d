CREATE SCHEMA app;
CREATE TABLE app.authors (id int PRIMARY KEY, handle text UNIQUE);
CREATE TABLE app.notes (
    id int PRIMARY KEY,
    body text CHECK (length(body) < 1000),
    author text REFERENCES app.authors (handle),
    "Tag" text,
    UNIQUE (author, id)
);
CREATE INDEX notes_body_lower ON app.notes (lower(body)) WHERE body <> 'body';
CREATE INDEX notes_tag ON app.notes ("Tag");
CREATE STATISTICS app.notes_stats (dependencies) ON body, author FROM app.notes;
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON app.notes USING (author = current_user);
INSERT INTO app.authors SELECT g, 'h' || g FROM generate_series(1, 10) g;
INSERT INTO app.notes SELECT g, 'note ' || g, 'h' || (g % 10 + 1), 't' FROM generate_series(1, 300) g;
