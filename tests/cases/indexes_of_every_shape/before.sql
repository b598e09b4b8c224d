CREATE TABLE docs (id int PRIMARY KEY, title text, body jsonb, deleted boolean DEFAULT false, owner int);
CREATE INDEX docs_title ON docs (title);
CREATE INDEX docs_owner ON docs (owner);
