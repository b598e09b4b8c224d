CREATE EXTENSION postgres_fdw;
CREATE SERVER billing FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db1.internal', dbname 'billing');
CREATE SERVER archive FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'archive.internal');
CREATE SCHEMA remote;
-- New column, a column renamed on the far side, a retyped column (no USING: the rows
-- are elsewhere), other table options, a check.
CREATE FOREIGN TABLE remote.invoices (
    id bigint NOT NULL,
    total numeric(12, 2) OPTIONS (column_name 'amount_due'),
    note varchar(500),
    currency text OPTIONS (column_name 'ccy'),
    CONSTRAINT invoices_total_check CHECK (total >= 0)
) SERVER billing OPTIONS (schema_name 'billing', table_name 'invoices');
COMMENT ON FOREIGN TABLE remote.invoices IS 'read from billing';
COMMENT ON COLUMN remote.invoices.total IS 'in cents';
-- Moved to the archive server.
CREATE FOREIGN TABLE remote.old_invoices (id bigint) SERVER archive OPTIONS (table_name 'invoices_2019');
-- A view over a foreign table.
CREATE VIEW remote.big_invoices AS SELECT id, total FROM remote.invoices WHERE total > 1000;
CREATE TABLE remote.local_notes (id int PRIMARY KEY, body text);
