-- Installed extensions (plpgsql is always there and never managed).
SELECT e.oid, e.extname AS name, n.nspname AS schema, e.extversion AS version,
       obj_description(e.oid, 'pg_extension') AS comment
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
ORDER BY e.extname
