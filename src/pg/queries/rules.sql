-- Rules on tables and views of managed schemas, other than a view's own `_RETURN`
-- (which is the view). The definition is PostgreSQL's own, its semicolon cut off.
SELECT r.oid, n.nspname AS table_schema, c.relname AS table_name, r.rulename::text AS name,
       pg_catalog.regexp_replace(pg_catalog.pg_get_ruledef(r.oid), ';\s*$', '') AS definition,
       r.ev_enabled::text AS enabled, obj_description(r.oid, 'pg_rewrite') AS comment
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN'
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT (n.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname, r.rulename
