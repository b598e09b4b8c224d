-- The server's state as far as this database's catalog goes, in one statement and
-- without summing a catalog (`introspect::catalog_state`). A catalog row is only ever
-- written by a transaction that has an id, and the statement's snapshot changes when
-- any such transaction ends, committed or not: an equal state means the catalog is the
-- same, except for what is changed in place (index validity, by CREATE INDEX
-- CONCURRENTLY; page and row counts, which no fingerprint covers), so index validity
-- is part of it. 'now' parts are of the state only; 'state' parts are of the
-- fingerprint too. The database's own row and the server's start time tell another
-- database or a server started again (whose snapshot could read the same) apart.
SELECT 'now snapshot', pg_catalog.pg_current_snapshot()::text
UNION ALL
SELECT 'now started', EXTRACT(epoch FROM pg_catalog.pg_postmaster_start_time())::text
UNION ALL
SELECT 'state pg_index flags', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(pg_catalog.hashtextextended(
         i.indexrelid::text || i.indisvalid::text || i.indisready::text || i.indislive::text, 0)), 0)::text
FROM pg_catalog.pg_index i
UNION ALL
SELECT 'state pg_database', d.oid::text || ':' || d.xmin::text
FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
UNION ALL
SELECT 'state server', pg_catalog.current_setting('server_version_num') || ' ' || current_user
