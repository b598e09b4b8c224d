-- Extended statistics objects (CREATE STATISTICS) on managed tables; those of a
-- partition's parent are its own. The target is NULL where it is the default (-1 before
-- PostgreSQL 17).
SELECT s.oid, n.nspname AS schema, s.stxname AS name,
       tn.nspname AS table_schema, tc.relname AS table_name,
       pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition,
       NULLIF(s.stxstattarget::int4, -1) AS target,
       -- An index lookup, not a join (see columns.sql): fast without ANALYZE too.
       (SELECT dsc.description FROM pg_catalog.pg_description dsc
        WHERE dsc.objoid = s.oid AND dsc.classoid = 'pg_catalog.pg_statistic_ext'::regclass AND dsc.objsubid = 0) AS comment
FROM pg_catalog.pg_statistic_ext s
JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
JOIN pg_catalog.pg_class tc ON tc.oid = s.stxrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
WHERE tn.nspname <> 'information_schema' AND tn.nspname !~ '^pg_'
  AND NOT (tn.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR tn.nspname = ANY ($2::text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass
                    AND d.objid = tc.oid AND d.deptype = 'e')
ORDER BY n.nspname, s.stxname
