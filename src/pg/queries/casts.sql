-- The built-in types and the casts between them: what lets the plan tell a type change
-- PostgreSQL can cast (ALTER ... TYPE ... USING) from one it cannot (the column is then
-- dropped and added again, with consent). `kind`: 't' a type, 'c' a cast.
SELECT 't' AS kind, pg_catalog.format_type(t.oid, NULL) AS source, NULL::text AS target
FROM pg_catalog.pg_type t
WHERE t.typnamespace = 'pg_catalog'::regnamespace AND t.typtype IN ('b', 'r', 'm') AND t.typelem = 0
  AND t.typname !~ '^_'
UNION ALL
SELECT 'c', pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL)
FROM pg_catalog.pg_cast c
WHERE c.castsource < 16384 AND c.casttarget < 16384
