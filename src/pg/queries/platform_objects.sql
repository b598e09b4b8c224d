-- Objects in a platform's schemas ($1): not managed, but known by id so that the grants
-- and comments the user gives them are. Extension members are the extension's.
SELECT 'pg_namespace' AS cls, n.oid, 'schema' AS kind, n.nspname AS schema, n.nspname AS name,
       '' AS args, obj_description(n.oid, 'pg_namespace') AS comment
FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY ($1::text[])
UNION ALL
SELECT 'pg_class', c.oid,
       CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' WHEN 'S' THEN 'sequence' ELSE 'table' END,
       n.nspname, c.relname, '', obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY ($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 'pg_proc', p.oid, 'function', n.nspname, p.proname,
       pg_catalog.pg_get_function_identity_arguments(p.oid), obj_description(p.oid, 'pg_proc')
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY ($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
