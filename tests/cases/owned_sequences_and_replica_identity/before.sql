-- Regressions: REPLICA IDENTITY USING INDEX on an index the same plan creates (on a
-- kept table and on a new one) ran before the index existed; a sequence whose name needs
-- quoting gets its owner.
CREATE SEQUENCE "foobar sequence";
CREATE TABLE "Foo" (id int DEFAULT nextval('"foobar sequence"'), b int);
CREATE TABLE t2 (id int PRIMARY KEY);
CREATE UNIQUE INDEX t2_key ON t2 (id);
