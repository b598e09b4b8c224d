-- Managed schemas. $1: schemas never managed; $2: the only schemas managed (NULL = all).
SELECT n.oid, n.nspname AS name, obj_description(n.oid, 'pg_namespace') AS comment
FROM pg_catalog.pg_namespace n
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT (n.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_namespace'::regclass
                    AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY n.nspname
