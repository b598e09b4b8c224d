CREATE TABLE t (id int PRIMARY KEY, a text);
COMMENT ON TABLE t IS 'old';
COMMENT ON COLUMN t.a IS 'to be removed';
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
INSERT INTO t SELECT g, 'a' || g FROM generate_series(1, 30) g;
