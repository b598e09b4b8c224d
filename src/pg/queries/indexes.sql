-- Indexes that are not the implementation of a constraint and not a partition's copy of
-- its parent's index.
SELECT i.indexrelid AS oid, n.nspname AS schema, ic.relname AS name,
       tn.nspname AS table_schema, tc.relname AS table_name,
       pg_catalog.pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid,
       -- An index lookup, not a join (see columns.sql): fast without ANALYZE too.
       (SELECT dsc.description FROM pg_catalog.pg_description dsc
        WHERE dsc.objoid = i.indexrelid AND dsc.classoid = 'pg_catalog.pg_class'::regclass AND dsc.objsubid = 0) AS comment
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
WHERE tc.relkind IN ('r', 'p', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co
                  WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
                    AND co.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits inh WHERE inh.inhrelid = i.indexrelid)
  AND tn.nspname <> 'information_schema' AND tn.nspname !~ '^pg_'
  AND NOT (tn.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR tn.nspname = ANY ($2::text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass
                    AND d.objid = tc.oid AND d.deptype = 'e')
ORDER BY n.nspname, ic.relname
