-- Text search dictionaries in managed schemas.
WITH managed AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT (n.nspname = ANY ($1::text[]))
    AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
)
SELECT d.oid, m.nspname AS schema, quote_ident(m.nspname) || '.' || quote_ident(d.dictname) AS reference,
       'CREATE TEXT SEARCH DICTIONARY ' || quote_ident(m.nspname) || '.' || quote_ident(d.dictname)
       || ' (TEMPLATE = ' || quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname)
       || COALESCE(', ' || d.dictinitoption, '') || ')' AS shape,
       NULL::text[] AS options,
       format('SELECT 1 FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace '
              'WHERE n.nspname = %L AND d.dictname = %L', m.nspname, d.dictname) AS probe,
       NULL::text AS options_probe,
       obj_description(d.oid, 'pg_ts_dict') AS comment
FROM pg_catalog.pg_ts_dict d JOIN managed m ON m.oid = d.dictnamespace
JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_ts_dict'::regclass AND x.objid = d.oid AND x.deptype = 'e')
