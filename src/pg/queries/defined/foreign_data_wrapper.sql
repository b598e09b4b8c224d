-- Foreign-data wrappers not of an extension (read when no `only` list narrows the
-- schemas: they are outside schemas). Columns as every query in this folder: see
-- `pg::introspect::DEFINED`.
SELECT w.oid, '' AS schema, quote_ident(w.fdwname) AS reference,
       'CREATE FOREIGN DATA WRAPPER ' || quote_ident(w.fdwname)
       || CASE WHEN w.fdwhandler <> 0 THEN ' HANDLER ' || w.fdwhandler::regproc::text ELSE ' NO HANDLER' END
       || CASE WHEN w.fdwvalidator <> 0 THEN ' VALIDATOR ' || w.fdwvalidator::regproc::text ELSE ' NO VALIDATOR' END
         AS shape,
       COALESCE(w.fdwoptions, '{}') AS options,
       format('SELECT 1 FROM pg_catalog.pg_foreign_data_wrapper WHERE fdwname = %L', w.fdwname) AS probe,
       format('SELECT fdwoptions FROM pg_catalog.pg_foreign_data_wrapper WHERE fdwname = %L', w.fdwname) AS options_probe,
       obj_description(w.oid, 'pg_foreign_data_wrapper') AS comment
FROM pg_catalog.pg_foreign_data_wrapper w
WHERE $2::text[] IS NULL AND $1::text[] IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_foreign_data_wrapper'::regclass AND x.objid = w.oid AND x.deptype = 'e')
