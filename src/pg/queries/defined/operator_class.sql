-- Operator classes in managed schemas, with the operators, functions and storage type
-- they were created with (the family's members that depend on the class).
WITH managed AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT (n.nspname = ANY ($1::text[]))
    AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
)
SELECT c.oid, m.nspname AS schema,
       quote_ident(m.nspname) || '.' || quote_ident(c.opcname) || ' USING ' || quote_ident(a.amname) AS reference,
       'CREATE OPERATOR CLASS ' || quote_ident(m.nspname) || '.' || quote_ident(c.opcname)
       || CASE WHEN c.opcdefault THEN ' DEFAULT' ELSE '' END
       || ' FOR TYPE ' || pg_catalog.format_type(c.opcintype, NULL) || ' USING ' || quote_ident(a.amname)
       || CASE WHEN f.opfname = c.opcname AND f.opfnamespace = c.opcnamespace THEN ''
               ELSE ' FAMILY ' || quote_ident(fn.nspname) || '.' || quote_ident(f.opfname) END
       || ' AS ' || pg_catalog.array_to_string(ARRAY(
            SELECT item FROM (
              SELECT 1 AS part, ao.amopstrategy::int AS num,
                     'OPERATOR ' || ao.amopstrategy || ' ' || ao.amopopr::regoperator::text
                     || CASE WHEN ao.amoppurpose = 'o'
                             THEN ' FOR ORDER BY ' || quote_ident(sn.nspname) || '.' || quote_ident(sf.opfname)
                             ELSE '' END AS item
              FROM pg_catalog.pg_amop ao
              JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::regclass AND d.objid = ao.oid
               AND d.refclassid = 'pg_catalog.pg_opclass'::regclass AND d.refobjid = c.oid
              LEFT JOIN pg_catalog.pg_opfamily sf ON sf.oid = ao.amopsortfamily
              LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
              UNION ALL
              SELECT 2, ap.amprocnum::int,
                     'FUNCTION ' || ap.amprocnum || ' (' || pg_catalog.format_type(ap.amproclefttype, NULL) || ', '
                     || pg_catalog.format_type(ap.amprocrighttype, NULL) || ') ' || ap.amproc::regprocedure::text
              FROM pg_catalog.pg_amproc ap
              JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::regclass AND d.objid = ap.oid
               AND d.refclassid = 'pg_catalog.pg_opclass'::regclass AND d.refobjid = c.oid
              UNION ALL
              SELECT 3, 0, 'STORAGE ' || pg_catalog.format_type(c.opckeytype, NULL) WHERE c.opckeytype <> 0
            ) items ORDER BY part, num, item), ', ') AS shape,
       NULL::text[] AS options,
       format('SELECT 1 FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace '
              'JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod WHERE n.nspname = %L AND c.opcname = %L AND a.amname = %L',
              m.nspname, c.opcname, a.amname) AS probe,
       NULL::text AS options_probe,
       obj_description(c.oid, 'pg_opclass') AS comment
FROM pg_catalog.pg_opclass c JOIN managed m ON m.oid = c.opcnamespace
JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod
JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_opclass'::regclass AND x.objid = c.oid AND x.deptype = 'e')
