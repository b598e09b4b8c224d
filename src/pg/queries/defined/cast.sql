-- Casts made by the project: those whose function, or one of whose types, is in a
-- managed schema; not those a type made along with itself (a range's multirange casts
-- depend on it internally).
WITH managed AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT (n.nspname = ANY ($1::text[]))
    AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
)
SELECT c.oid, '' AS schema,
       '(' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')'
         AS reference,
       'CREATE CAST (' || pg_catalog.format_type(c.castsource, NULL) || ' AS '
       || pg_catalog.format_type(c.casttarget, NULL) || ')'
       || CASE c.castmethod WHEN 'f' THEN ' WITH FUNCTION ' || c.castfunc::regprocedure::text
                            WHEN 'i' THEN ' WITH INOUT' ELSE ' WITHOUT FUNCTION' END
       || CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END AS shape,
       NULL::text[] AS options,
       format('SELECT 1 FROM pg_catalog.pg_cast WHERE castsource = pg_catalog.to_regtype(%L) '
              'AND casttarget = pg_catalog.to_regtype(%L)',
              pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL)) AS probe,
       NULL::text AS options_probe,
       obj_description(c.oid, 'pg_cast') AS comment
FROM pg_catalog.pg_cast c
WHERE c.oid >= 16384
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i
                  WHERE i.classid = 'pg_catalog.pg_cast'::regclass AND i.objid = c.oid AND i.deptype = 'i')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_cast'::regclass AND x.objid = c.oid AND x.deptype = 'e')
  AND EXISTS (SELECT 1 FROM managed m
              WHERE m.oid IN (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid = c.castfunc
                              UNION ALL SELECT t.typnamespace FROM pg_catalog.pg_type t
                              WHERE t.oid IN (c.castsource, c.casttarget)))
