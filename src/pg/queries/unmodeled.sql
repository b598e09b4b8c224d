-- Objects in managed schemas ($1: excluded schemas; with $2, only those) of kinds
-- schemaspec does not model yet: listed by `plan` and `status` (and refused by
-- `plan --strict`) so that nothing is left out silently. Extension members are the
-- extension's.
WITH managed AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT (n.nspname = ANY ($1::text[]))
    AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
), members AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
)
SELECT 'foreign table' AS kind, m.nspname AS schema, c.relname::text AS name
FROM pg_catalog.pg_class c JOIN managed m ON m.oid = c.relnamespace
WHERE c.relkind = 'f'
  AND NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid)
UNION ALL
SELECT 'operator', m.nspname, o.oprname || '(' || COALESCE(pg_catalog.format_type(o.oprleft, NULL), 'NONE') || ', '
       || COALESCE(pg_catalog.format_type(o.oprright, NULL), 'NONE') || ')'
FROM pg_catalog.pg_operator o JOIN managed m ON m.oid = o.oprnamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_operator'::regclass AND x.objid = o.oid)
UNION ALL
SELECT 'operator class', m.nspname, c.opcname::text
FROM pg_catalog.pg_opclass c JOIN managed m ON m.oid = c.opcnamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_opclass'::regclass AND x.objid = c.oid)
UNION ALL
SELECT 'operator family', m.nspname, f.opfname::text
FROM pg_catalog.pg_opfamily f JOIN managed m ON m.oid = f.opfnamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_opfamily'::regclass AND x.objid = f.oid)
  -- CREATE OPERATOR CLASS makes a family of the same name with it.
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass c WHERE c.opcfamily = f.oid AND c.opcname = f.opfname)
UNION ALL
SELECT 'text search configuration', m.nspname, t.cfgname::text
FROM pg_catalog.pg_ts_config t JOIN managed m ON m.oid = t.cfgnamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_ts_config'::regclass AND x.objid = t.oid)
UNION ALL
SELECT 'text search dictionary', m.nspname, t.dictname::text
FROM pg_catalog.pg_ts_dict t JOIN managed m ON m.oid = t.dictnamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_ts_dict'::regclass AND x.objid = t.oid)
UNION ALL
SELECT 'text search parser', m.nspname, t.prsname::text
FROM pg_catalog.pg_ts_parser t JOIN managed m ON m.oid = t.prsnamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_ts_parser'::regclass AND x.objid = t.oid)
UNION ALL
SELECT 'text search template', m.nspname, t.tmplname::text
FROM pg_catalog.pg_ts_template t JOIN managed m ON m.oid = t.tmplnamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_ts_template'::regclass AND x.objid = t.oid)
UNION ALL
SELECT 'conversion', m.nspname, c.conname::text
FROM pg_catalog.pg_conversion c JOIN managed m ON m.oid = c.connamespace
WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_conversion'::regclass AND x.objid = c.oid)
UNION ALL
SELECT 'rule', m.nspname, r.rulename || ' on ' || c.relname
FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN managed m ON m.oid = c.relnamespace
WHERE r.rulename <> '_RETURN'
  AND NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid)
UNION ALL
SELECT 'base type', m.nspname, t.typname::text
FROM pg_catalog.pg_type t JOIN managed m ON m.oid = t.typnamespace
WHERE t.typtype IN ('b', 'p') AND t.oid >= 16384 AND t.typelem = 0 AND t.typname !~ '^_'
  AND NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_type'::regclass AND x.objid = t.oid)
ORDER BY 1, 2, 3
