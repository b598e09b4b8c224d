CREATE TABLE docs (id int PRIMARY KEY, title text, body jsonb, deleted boolean DEFAULT false, owner int);
CREATE INDEX docs_title ON docs (lower(title)) WHERE NOT deleted;
CREATE INDEX docs_body ON docs USING gin (body jsonb_path_ops);
CREATE UNIQUE INDEX docs_owner_title ON docs (owner, title) INCLUDE (id) WHERE owner IS NOT NULL;
