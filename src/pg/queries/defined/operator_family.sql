-- Operator families in managed schemas, except those CREATE OPERATOR CLASS made along
-- with a class of the same name (the class's). Members added to a family on their own
-- (ALTER OPERATOR FAMILY ... ADD) are not read.
WITH managed AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT (n.nspname = ANY ($1::text[]))
    AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
)
SELECT f.oid, m.nspname AS schema,
       quote_ident(m.nspname) || '.' || quote_ident(f.opfname) || ' USING ' || quote_ident(a.amname) AS reference,
       'CREATE OPERATOR FAMILY ' || quote_ident(m.nspname) || '.' || quote_ident(f.opfname)
       || ' USING ' || quote_ident(a.amname) AS shape,
       NULL::text[] AS options,
       format('SELECT 1 FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace '
              'JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod WHERE n.nspname = %L AND f.opfname = %L AND a.amname = %L',
              m.nspname, f.opfname, a.amname) AS probe,
       NULL::text AS options_probe,
       obj_description(f.oid, 'pg_opfamily') AS comment
FROM pg_catalog.pg_opfamily f JOIN managed m ON m.oid = f.opfnamespace
JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_opfamily'::regclass AND x.objid = f.oid AND x.deptype = 'e')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass c
                  WHERE c.opcfamily = f.oid AND c.opcname = f.opfname AND c.opcnamespace = f.opfnamespace)
