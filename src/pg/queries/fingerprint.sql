-- The parts of a catalog fingerprint that concern this database in the shared catalogs
-- (with those of fingerprint_state.sql, which come first in the same statement). Roles
-- are readable only through pg_roles: they count by their content.
-- A part marked `xid` is `rows:sum of age(xmin):rows whose xmin is not a normal id`,
-- taken against 'reference', the age of the first normal id in the same statement
-- (`introspect::fingerprint` makes the sum independent of the current id from both).
SELECT 'pg_roles', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(pg_catalog.hashtextextended(r::text, 0)), 0)::text
FROM pg_catalog.pg_roles r
UNION ALL
SELECT 'pg_user_mappings', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(pg_catalog.hashtextextended(u::text, 0)), 0)::text
FROM pg_catalog.pg_user_mappings u
UNION ALL
SELECT 'xid pg_auth_members', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(a), 0)::text || ':' || pg_catalog.count(*) FILTER (WHERE a = 2147483647)::text
FROM (SELECT pg_catalog.age(m.xmin) AS a FROM pg_catalog.pg_auth_members m) x
UNION ALL
SELECT 'xid pg_tablespace', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(a), 0)::text || ':' || pg_catalog.count(*) FILTER (WHERE a = 2147483647)::text
FROM (SELECT pg_catalog.age(t.xmin) AS a FROM pg_catalog.pg_tablespace t) x
UNION ALL
SELECT 'xid pg_shdescription', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(a), 0)::text || ':' || pg_catalog.count(*) FILTER (WHERE a = 2147483647)::text
FROM (SELECT pg_catalog.age(s.xmin) AS a FROM pg_catalog.pg_shdescription s) x
UNION ALL
SELECT 'xid pg_shdepend', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(a), 0)::text || ':' || pg_catalog.count(*) FILTER (WHERE a = 2147483647)::text
FROM (SELECT pg_catalog.age(s.xmin) AS a FROM pg_catalog.pg_shdepend s
WHERE s.dbid = 0 OR s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())) x
UNION ALL
SELECT 'xid pg_db_role_setting', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(a), 0)::text || ':' || pg_catalog.count(*) FILTER (WHERE a = 2147483647)::text
FROM (SELECT pg_catalog.age(s.xmin) AS a FROM pg_catalog.pg_db_role_setting s
WHERE s.setdatabase = 0 OR s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())) x
UNION ALL
SELECT 'reference', pg_catalog.age('3'::pg_catalog.xid)::text
