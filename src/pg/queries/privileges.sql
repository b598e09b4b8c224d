-- Explicit ACLs with the default each would have, for every object kind that has one.
-- Rows are matched to managed objects by (class, oid, sub) in Rust.
SELECT 'pg_class' AS cls, c.oid, 0 AS sub, pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       c.relacl::text[] AS acl,
       pg_catalog.acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)::text[] AS dflt
FROM pg_catalog.pg_class c WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'pg_class', a.attrelid, a.attnum::int4, pg_catalog.pg_get_userbyid(c.relowner)::text,
       a.attacl::text[], '{}'::text[]
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'pg_proc', p.oid, 0, pg_catalog.pg_get_userbyid(p.proowner)::text, p.proacl::text[],
       pg_catalog.acldefault('f', p.proowner)::text[]
FROM pg_catalog.pg_proc p WHERE p.proacl IS NOT NULL
UNION ALL
SELECT 'pg_namespace', n.oid, 0, pg_catalog.pg_get_userbyid(n.nspowner)::text, n.nspacl::text[],
       pg_catalog.acldefault('n', n.nspowner)::text[]
FROM pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL
UNION ALL
SELECT 'pg_type', t.oid, 0, pg_catalog.pg_get_userbyid(t.typowner)::text, t.typacl::text[],
       pg_catalog.acldefault('T', t.typowner)::text[]
FROM pg_catalog.pg_type t WHERE t.typacl IS NOT NULL
UNION ALL
SELECT 'pg_foreign_data_wrapper', w.oid, 0, pg_catalog.pg_get_userbyid(w.fdwowner)::text, w.fdwacl::text[],
       pg_catalog.acldefault('F', w.fdwowner)::text[]
FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.fdwacl IS NOT NULL
UNION ALL
SELECT 'pg_foreign_server', s.oid, 0, pg_catalog.pg_get_userbyid(s.srvowner)::text, s.srvacl::text[],
       pg_catalog.acldefault('S', s.srvowner)::text[]
FROM pg_catalog.pg_foreign_server s WHERE s.srvacl IS NOT NULL
