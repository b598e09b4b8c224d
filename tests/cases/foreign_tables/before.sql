CREATE EXTENSION postgres_fdw;
CREATE SERVER billing FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db1.internal', dbname 'billing');
CREATE SERVER archive FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'archive.internal');
CREATE SCHEMA remote;
CREATE FOREIGN TABLE remote.invoices (
    id bigint NOT NULL,
    total numeric(12, 2) OPTIONS (column_name 'amount'),
    note text
) SERVER billing OPTIONS (schema_name 'public', table_name 'invoices', fetch_size '100');
CREATE FOREIGN TABLE remote.old_invoices (id bigint) SERVER billing;
CREATE FOREIGN TABLE remote.gone (id bigint) SERVER billing;
CREATE TABLE remote.local_notes (id int PRIMARY KEY, body text);
INSERT INTO remote.local_notes SELECT g, 'n' || g FROM generate_series(1, 50) g;
