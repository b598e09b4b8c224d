-- Types and functions that extensions provide, by name: to know which extension a
-- schema file relies on when it uses `citext` or `uuid_generate_v4()` without creating it.
SELECT e.extname::text AS extension, n.nspname::text AS schema, t.typname::text AS name
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
UNION ALL
SELECT e.extname::text, n.nspname::text, p.proname::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
