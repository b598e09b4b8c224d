-- Functions, procedures and aggregates. Aggregates have no pg_get_functiondef, so their
-- definition is assembled here from pg_aggregate.
SELECT p.oid, n.nspname AS schema, p.proname::text AS name,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_args,
       p.prokind::text AS kind, p.oid::regprocedure::text AS signature,
       p.pronargdefaults::int4 AS defaults,
       COALESCE(pg_catalog.pg_get_function_result(p.oid), '') AS result,
       CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid)
       ELSE 'CREATE OR REPLACE AGGREGATE ' || pg_catalog.quote_ident(n.nspname) || '.'
            || pg_catalog.quote_ident(p.proname) || '('
            || CASE WHEN p.pronargs = 0 THEN '*' ELSE pg_catalog.pg_get_function_arguments(p.oid) END
            || ') (' || array_to_string(ARRAY_REMOVE(ARRAY[
                 'SFUNC = ' || a.aggtransfn::regproc::text,
                 'STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL),
                 CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END,
                 CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::regproc::text END,
                 CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
                 CASE WHEN a.aggfinalfn <> 0 AND a.aggfinalmodify <> 'r' THEN 'FINALFUNC_MODIFY = '
                      || CASE a.aggfinalmodify WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
                 CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::regproc::text END,
                 CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::regproc::text END,
                 CASE WHEN a.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || a.aggdeserialfn::regproc::text END,
                 CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || pg_catalog.quote_literal(a.agginitval) END,
                 CASE WHEN a.aggmtransfn <> 0 THEN 'MSFUNC = ' || a.aggmtransfn::regproc::text END,
                 CASE WHEN a.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || a.aggminvtransfn::regproc::text END,
                 CASE WHEN a.aggmtranstype <> 0 THEN 'MSTYPE = ' || pg_catalog.format_type(a.aggmtranstype, NULL) END,
                 CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::regproc::text END,
                 CASE WHEN a.aggminitval IS NOT NULL THEN 'MINITCOND = ' || pg_catalog.quote_literal(a.aggminitval) END,
                 CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = OPERATOR(' || a.aggsortop::regoperator::text || ')' END,
                 CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED' END
               ], NULL), ', ') || ')'
       END AS definition,
       obj_description(p.oid, 'pg_proc') AS comment
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT (n.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
  -- Members of extensions, and functions a type made for itself (range constructors).
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::regclass
                    AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
ORDER BY n.nspname, p.proname, 4
