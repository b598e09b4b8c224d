-- Foreign servers not of an extension (outside schemas, like wrappers).
SELECT s.oid, '' AS schema, quote_ident(s.srvname) AS reference,
       'CREATE SERVER ' || quote_ident(s.srvname)
       || COALESCE(' TYPE ' || quote_literal(s.srvtype), '') || COALESCE(' VERSION ' || quote_literal(s.srvversion), '')
       || ' FOREIGN DATA WRAPPER ' || quote_ident(w.fdwname) AS shape,
       COALESCE(s.srvoptions, '{}') AS options,
       format('SELECT 1 FROM pg_catalog.pg_foreign_server WHERE srvname = %L', s.srvname) AS probe,
       format('SELECT srvoptions FROM pg_catalog.pg_foreign_server WHERE srvname = %L', s.srvname) AS options_probe,
       obj_description(s.oid, 'pg_foreign_server') AS comment
FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
WHERE $2::text[] IS NULL AND $1::text[] IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_foreign_server'::regclass AND x.objid = s.oid AND x.deptype = 'e')
