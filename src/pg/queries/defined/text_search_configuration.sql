-- Text search configurations in managed schemas: the parser, then every token type's
-- dictionaries in order.
WITH managed AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT (n.nspname = ANY ($1::text[]))
    AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
)
SELECT c.oid, m.nspname AS schema, quote_ident(m.nspname) || '.' || quote_ident(c.cfgname) AS reference,
       'CREATE TEXT SEARCH CONFIGURATION ' || quote_ident(m.nspname) || '.' || quote_ident(c.cfgname)
       || ' (PARSER = ' || quote_ident(pn.nspname) || '.' || quote_ident(p.prsname) || ')'
       || COALESCE((SELECT string_agg(E';\nALTER TEXT SEARCH CONFIGURATION ' || quote_ident(m.nspname) || '.'
                                      || quote_ident(c.cfgname) || ' ADD MAPPING FOR ' || t.alias || ' WITH ' || x.dicts,
                                      '' ORDER BY t.alias)
                    FROM (SELECT maptokentype, string_agg(mapdict::regdictionary::text, ', ' ORDER BY mapseqno) AS dicts
                          FROM pg_catalog.pg_ts_config_map WHERE mapcfg = c.oid GROUP BY maptokentype) x
                    JOIN pg_catalog.ts_token_type(c.cfgparser) t ON t.tokid = x.maptokentype), '') AS shape,
       NULL::text[] AS options,
       format('SELECT 1 FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace '
              'WHERE n.nspname = %L AND c.cfgname = %L', m.nspname, c.cfgname) AS probe,
       NULL::text AS options_probe,
       obj_description(c.oid, 'pg_ts_config') AS comment
FROM pg_catalog.pg_ts_config c JOIN managed m ON m.oid = c.cfgnamespace
JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_ts_config'::regclass AND x.objid = c.oid AND x.deptype = 'e')
