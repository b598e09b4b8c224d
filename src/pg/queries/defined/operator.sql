-- Operators in managed schemas (not shells: a shell is what a commutator or negator
-- named before its operator leaves, and CREATE OPERATOR fills it in).
WITH managed AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT (n.nspname = ANY ($1::text[]))
    AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
)
SELECT o.oid, m.nspname AS schema,
       quote_ident(m.nspname) || '.' || o.oprname || '('
       || CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END || ', '
       || CASE WHEN o.oprright = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprright, NULL) END || ')' AS reference,
       'CREATE OPERATOR ' || quote_ident(m.nspname) || '.' || o.oprname || ' (FUNCTION = ' || o.oprcode::regproc::text
       || CASE WHEN o.oprleft <> 0 THEN ', LEFTARG = ' || pg_catalog.format_type(o.oprleft, NULL) ELSE '' END
       || CASE WHEN o.oprright <> 0 THEN ', RIGHTARG = ' || pg_catalog.format_type(o.oprright, NULL) ELSE '' END
       || COALESCE((SELECT ', COMMUTATOR = OPERATOR(' || quote_ident(cn.nspname) || '.' || co.oprname || ')'
                    FROM pg_catalog.pg_operator co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.oprnamespace
                    WHERE co.oid = o.oprcom), '')
       || COALESCE((SELECT ', NEGATOR = OPERATOR(' || quote_ident(nn.nspname) || '.' || ng.oprname || ')'
                    FROM pg_catalog.pg_operator ng JOIN pg_catalog.pg_namespace nn ON nn.oid = ng.oprnamespace
                    WHERE ng.oid = o.oprnegate), '')
       || CASE WHEN o.oprrest <> 0 THEN ', RESTRICT = ' || o.oprrest::regproc::text ELSE '' END
       || CASE WHEN o.oprjoin <> 0 THEN ', JOIN = ' || o.oprjoin::regproc::text ELSE '' END
       || CASE WHEN o.oprcanhash THEN ', HASHES' ELSE '' END
       || CASE WHEN o.oprcanmerge THEN ', MERGES' ELSE '' END || ')' AS shape,
       NULL::text[] AS options,
       format('SELECT 1 FROM pg_catalog.pg_operator WHERE oid = pg_catalog.to_regoperator(%L) AND oprcode <> 0',
              quote_ident(m.nspname) || '.' || o.oprname || '('
              || CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END || ', '
              || CASE WHEN o.oprright = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprright, NULL) END || ')') AS probe,
       NULL::text AS options_probe,
       obj_description(o.oid, 'pg_operator') AS comment
FROM pg_catalog.pg_operator o JOIN managed m ON m.oid = o.oprnamespace
WHERE o.oprcode <> 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = 'pg_catalog.pg_operator'::regclass AND x.objid = o.oid AND x.deptype = 'e')
