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
-- Passwords are never read or written: they are set outside schema files.
SELECT 'user mapping password', '', 'FOR ' || u.usename || ' SERVER ' || u.srvname
FROM pg_catalog.pg_user_mappings u
WHERE $2::text[] IS NULL AND EXISTS (SELECT 1 FROM pg_catalog.unnest(u.umoptions) o WHERE o ~ '^password=')
UNION ALL
-- Members added to an operator family on their own (ALTER OPERATOR FAMILY ... ADD): a
-- class's members depend on the class.
SELECT 'operator family member', m.nspname,
       f.opfname || ' USING ' || a.amname || ': operator ' || ao.amopstrategy || ' ' || ao.amopopr::regoperator::text
FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_opfamily f ON f.oid = ao.amopfamily
JOIN managed m ON m.oid = f.opfnamespace JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_amop'::regclass
                    AND d.objid = ao.oid AND d.refclassid = 'pg_catalog.pg_opclass'::regclass)
  AND NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_opfamily'::regclass AND x.objid = f.oid)
UNION ALL
SELECT 'operator family member', m.nspname,
       f.opfname || ' USING ' || a.amname || ': function ' || ap.amprocnum || ' ' || ap.amproc::regprocedure::text
FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_opfamily f ON f.oid = ap.amprocfamily
JOIN managed m ON m.oid = f.opfnamespace JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_amproc'::regclass
                    AND d.objid = ap.oid AND d.refclassid = 'pg_catalog.pg_opclass'::regclass)
  AND NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_opfamily'::regclass AND x.objid = f.oid)
UNION ALL
SELECT 'base type', m.nspname, t.typname::text
FROM pg_catalog.pg_type t JOIN managed m ON m.oid = t.typnamespace
WHERE t.typtype IN ('b', 'p') AND t.oid >= 16384 AND t.typelem = 0 AND t.typname !~ '^_'
  AND NOT EXISTS (SELECT 1 FROM members x WHERE x.classid = 'pg_catalog.pg_type'::regclass AND x.objid = t.oid)
ORDER BY 1, 2, 3
