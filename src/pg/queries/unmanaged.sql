-- Objects in schemas schemaspec does not manage ($1: excluded, tracking and platform
-- schemas; with $2, also every schema not in it): compared before and after the schema
-- files load, what the files created there would silently never reach a database.
-- Triggers and policies on a platform's tables ($3) are the user's and managed: not listed
-- (a trigger running one of the platform's own functions is the platform's). `parent`: an
-- index's, trigger's or policy's table.
WITH unmanaged AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE (n.nspname = ANY ($1::text[]) OR ($2::text[] IS NOT NULL AND NOT n.nspname = ANY ($2::text[])))
    AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
), members AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
)
SELECT 'schema' AS kind, u.nspname AS schema, u.nspname AS name, NULL::text AS parent FROM unmanaged u
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                      WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' WHEN 'c' THEN 'type'
                      WHEN 'f' THEN 'foreign table' ELSE 'table' END,
       u.nspname, c.relname::text,
       (SELECT t.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
        WHERE i.indexrelid = c.oid)
FROM pg_catalog.pg_class c JOIN unmanaged u ON u.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'c', 'f')
  AND NOT EXISTS (SELECT 1 FROM members m WHERE m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid)
UNION ALL
SELECT 'function', u.nspname, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', NULL
FROM pg_catalog.pg_proc p JOIN unmanaged u ON u.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid)
UNION ALL
SELECT 'type', u.nspname, t.typname::text, NULL
FROM pg_catalog.pg_type t JOIN unmanaged u ON u.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'r', 'm') AND t.typelem = 0
  AND NOT EXISTS (SELECT 1 FROM members m WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid)
UNION ALL
SELECT 'trigger', u.nspname, c.relname || '.' || t.tgname, c.relname::text
FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN unmanaged u ON u.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND NOT (u.nspname = ANY ($3::text[]) AND NOT fn.nspname = ANY ($3::text[]))
UNION ALL
SELECT 'policy', u.nspname, c.relname || '.' || pol.polname, c.relname::text
FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid JOIN unmanaged u ON u.oid = c.relnamespace
WHERE NOT u.nspname = ANY ($3::text[])
