CREATE TABLE docs (id int PRIMARY KEY, title text, body jsonb, deleted boolean DEFAULT false, owner int);
CREATE INDEX docs_title ON docs (title);
CREATE INDEX docs_owner ON docs (owner);
INSERT INTO docs SELECT g, 'Doc ' || g, jsonb_build_object('n', g), g % 7 = 0, g % 13 FROM generate_series(1, 500) g;
