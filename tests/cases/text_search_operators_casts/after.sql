CREATE SCHEMA search;
-- Stop words changed: the configuration using it stays.
CREATE TEXT SEARCH DICTIONARY search.english_simple (TEMPLATE = pg_catalog.simple, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH CONFIGURATION search.docs (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION search.docs ALTER MAPPING FOR asciiword WITH search.english_simple, english_stem;
COMMENT ON TEXT SEARCH CONFIGURATION search.docs IS 'documents, with our stop words';
CREATE TABLE search.docs (id int PRIMARY KEY, body text NOT NULL);
CREATE INDEX docs_fts ON search.docs USING gin (to_tsvector('search.docs'::regconfig, body));

CREATE TYPE search.grade AS ENUM ('low', 'mid', 'high');
CREATE FUNCTION search.grade_rank(search.grade) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT array_position(enum_range(NULL::search.grade), $1) $$;
CREATE FUNCTION search.close_to(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs($1 - $2) <= 1 $$;
-- Now symmetric.
CREATE OPERATOR search.~~~ (FUNCTION = search.close_to, LEFTARG = int, RIGHTARG = int, COMMUTATOR = OPERATOR(search.~~~));
-- Assignment casts from grades.
CREATE CAST (search.grade AS int) WITH FUNCTION search.grade_rank(search.grade) AS ASSIGNMENT;

-- A descending btree order for ints.
CREATE FUNCTION search.desc_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $1 < $2 THEN 1 WHEN $1 > $2 THEN -1 ELSE 0 END $$;
CREATE OPERATOR FAMILY search.int_desc USING btree;
CREATE OPERATOR CLASS search.int_desc_ops FOR TYPE int USING btree FAMILY search.int_desc AS
  OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 4 <=, OPERATOR 5 <, FUNCTION 1 search.desc_cmp(int, int);
