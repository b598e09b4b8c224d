-- Table constraints defined on the table itself (not cloned from a partitioned parent).
SELECT co.oid, co.conrelid AS rel_oid, co.conname::text AS name, co.contype::text AS kind,
       pg_catalog.pg_get_constraintdef(co.oid) AS definition, co.conislocal AS local,
       co.conindid AS index_oid, (SELECT dsc.description FROM pg_catalog.pg_description dsc
        WHERE dsc.objoid = co.oid AND dsc.classoid = 'pg_catalog.pg_constraint'::regclass AND dsc.objsubid = 0) AS comment,
       -- pg_get_constraintdef leaves out the backing index's storage parameters.
       CASE WHEN co.contype IN ('p', 'u', 'x') THEN
            (SELECT ic.reloptions FROM pg_catalog.pg_class ic WHERE ic.oid = co.conindid) END AS index_options
FROM pg_catalog.pg_constraint co
JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE co.contype IN ('p', 'u', 'c', 'f', 'x') AND co.conparentid = 0
  AND c.relkind IN ('r', 'p', 'f')
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT (n.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
ORDER BY co.conrelid, co.conname
