CREATE SEQUENCE "foobar sequence";
CREATE TABLE "Foo" (id int DEFAULT nextval('"foobar sequence"'), b int);
ALTER SEQUENCE "foobar sequence" OWNED BY "Foo".id;
CREATE TABLE t2 (id int NOT NULL);
CREATE UNIQUE INDEX t2_other ON t2 (id);
ALTER TABLE t2 REPLICA IDENTITY USING INDEX t2_other;
CREATE TABLE t3 (id int NOT NULL, v text);
CREATE UNIQUE INDEX t3_id ON t3 (id);
ALTER TABLE t3 REPLICA IDENTITY USING INDEX t3_id;
