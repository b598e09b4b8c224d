-- Owners of the objects that have one. Matched to managed objects by (class, oid) in Rust.
SELECT 'pg_class' AS cls, c.oid, pg_catalog.pg_get_userbyid(c.relowner)::text AS owner
FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.oid >= 16384
UNION ALL
SELECT 'pg_proc', p.oid, pg_catalog.pg_get_userbyid(p.proowner)::text FROM pg_catalog.pg_proc p WHERE p.oid >= 16384
UNION ALL
SELECT 'pg_namespace', n.oid, pg_catalog.pg_get_userbyid(n.nspowner)::text FROM pg_catalog.pg_namespace n
UNION ALL
SELECT 'pg_type', t.oid, pg_catalog.pg_get_userbyid(t.typowner)::text
FROM pg_catalog.pg_type t WHERE t.oid >= 16384 AND t.typtype IN ('e', 'd', 'c', 'r')
UNION ALL
SELECT 'pg_collation', co.oid, pg_catalog.pg_get_userbyid(co.collowner)::text
FROM pg_catalog.pg_collation co WHERE co.oid >= 16384
UNION ALL
SELECT 'pg_statistic_ext', s.oid, pg_catalog.pg_get_userbyid(s.stxowner)::text
FROM pg_catalog.pg_statistic_ext s WHERE s.oid >= 16384
UNION ALL
SELECT 'pg_foreign_data_wrapper', w.oid, pg_catalog.pg_get_userbyid(w.fdwowner)::text FROM pg_catalog.pg_foreign_data_wrapper w
UNION ALL
SELECT 'pg_foreign_server', s.oid, pg_catalog.pg_get_userbyid(s.srvowner)::text FROM pg_catalog.pg_foreign_server s
UNION ALL
SELECT 'pg_ts_dict', d.oid, pg_catalog.pg_get_userbyid(d.dictowner)::text FROM pg_catalog.pg_ts_dict d WHERE d.oid >= 16384
UNION ALL
SELECT 'pg_ts_config', c.oid, pg_catalog.pg_get_userbyid(c.cfgowner)::text FROM pg_catalog.pg_ts_config c WHERE c.oid >= 16384
UNION ALL
SELECT 'pg_operator', o.oid, pg_catalog.pg_get_userbyid(o.oprowner)::text FROM pg_catalog.pg_operator o WHERE o.oid >= 16384
UNION ALL
SELECT 'pg_opfamily', f.oid, pg_catalog.pg_get_userbyid(f.opfowner)::text FROM pg_catalog.pg_opfamily f WHERE f.oid >= 16384
UNION ALL
SELECT 'pg_opclass', c.oid, pg_catalog.pg_get_userbyid(c.opcowner)::text FROM pg_catalog.pg_opclass c WHERE c.oid >= 16384
