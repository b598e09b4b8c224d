CREATE SCHEMA search;
CREATE TEXT SEARCH DICTIONARY search.english_simple (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION search.docs (COPY = pg_catalog.english);
CREATE TABLE search.docs (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO search.docs SELECT g, 'the quick brown fox ' || g FROM generate_series(1, 300) g;
CREATE INDEX docs_fts ON search.docs USING gin (to_tsvector('search.docs'::regconfig, body));

CREATE TYPE search.grade AS ENUM ('low', 'mid', 'high');
CREATE FUNCTION search.grade_rank(search.grade) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT array_position(enum_range(NULL::search.grade), $1) $$;
CREATE FUNCTION search.close_to(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1 - $2) <= 1 $$;
CREATE OPERATOR search.~~~ (FUNCTION = search.close_to, LEFTARG = int, RIGHTARG = int);
CREATE CAST (search.grade AS int) WITH FUNCTION search.grade_rank(search.grade);
