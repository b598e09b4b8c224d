-- User mappings of the servers above. A password option is never read (unmodeled.sql
-- lists it): passwords are set outside schema files.
SELECT u.umid AS oid, '' AS schema,
       'FOR ' || CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(u.usename) END
       || ' SERVER ' || quote_ident(u.srvname) AS reference,
       'CREATE USER MAPPING FOR ' || CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(u.usename) END
       || ' SERVER ' || quote_ident(u.srvname) AS shape,
       ARRAY(SELECT o FROM pg_catalog.unnest(u.umoptions) o WHERE o !~ '^password=') AS options,
       format('SELECT 1 FROM pg_catalog.pg_user_mappings WHERE srvname = %L AND usename = %L', u.srvname, u.usename)
         AS probe,
       format('SELECT ARRAY(SELECT o FROM pg_catalog.unnest(umoptions) o WHERE o !~ ''^password='') '
              'FROM pg_catalog.pg_user_mappings WHERE srvname = %L AND usename = %L', u.srvname, u.usename)
         AS options_probe,
       NULL::text AS comment
FROM pg_catalog.pg_user_mappings u
WHERE $2::text[] IS NULL AND $1::text[] IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_foreign_server'::regclass AND x.objid = u.srvid AND x.deptype = 'e')
