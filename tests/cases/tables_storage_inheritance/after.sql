-- Table-level properties: inheritance (a child gains a parent, one leaves it and drops a
-- formerly inherited column, an inherited default is overridden), UNLOGGED, storage
-- parameters, REPLICA IDENTITY, a column's collation, a new collation.
CREATE COLLATION bytewise (provider = libc, locale = 'C');
CREATE TABLE audit_base (id bigint NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE audit_login (username text) INHERITS (audit_base);
ALTER TABLE audit_login ALTER COLUMN at SET DEFAULT '2000-01-01';
CREATE TABLE legacy_child (id bigint NOT NULL, at timestamptz NOT NULL DEFAULT now(), extra text) INHERITS (audit_base);
CREATE TABLE orphan (id bigint NOT NULL, note text);
CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY, note text);
CREATE TABLE hot (id int PRIMARY KEY, counter int NOT NULL DEFAULT 0, label text COLLATE bytewise)
  WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_enabled = true);
ALTER TABLE hot REPLICA IDENTITY FULL;
