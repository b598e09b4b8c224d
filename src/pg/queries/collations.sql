-- User-defined collations. Columns differ across versions (colliculocale in 15/16,
-- colllocale from 17), so they are read through to_jsonb.
SELECT c.oid, n.nspname AS schema, c.collname::text AS name,
       c.collprovider::text AS provider, c.collisdeterministic AS deterministic,
       to_jsonb(c) ->> 'collcollate' AS lc_collate, to_jsonb(c) ->> 'collctype' AS lc_ctype,
       COALESCE(to_jsonb(c) ->> 'colllocale', to_jsonb(c) ->> 'colliculocale') AS locale,
       to_jsonb(c) ->> 'collicurules' AS rules,
       obj_description(c.oid, 'pg_collation') AS comment
FROM pg_catalog.pg_collation c
JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT (n.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_collation'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.collname
