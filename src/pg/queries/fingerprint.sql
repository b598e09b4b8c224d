-- The parts of a catalog fingerprint that concern this database in the shared catalogs,
-- and index validity (changed in place by CREATE INDEX CONCURRENTLY, without a new row
-- version). Roles are readable only through pg_roles: they count by their content.
SELECT 'pg_index flags', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(pg_catalog.hashtextextended(
         i.indexrelid::text || i.indisvalid::text || i.indisready::text || i.indislive::text, 0)), 0)::text
FROM pg_catalog.pg_index i
UNION ALL
SELECT 'pg_roles', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(pg_catalog.hashtextextended(r::text, 0)), 0)::text
FROM pg_catalog.pg_roles r
UNION ALL
SELECT 'pg_user_mappings', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(pg_catalog.hashtextextended(u::text, 0)), 0)::text
FROM pg_catalog.pg_user_mappings u
UNION ALL
SELECT 'pg_auth_members', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(m.xmin::text::bigint), 0)::text
FROM pg_catalog.pg_auth_members m
UNION ALL
SELECT 'pg_tablespace', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(t.xmin::text::bigint), 0)::text
FROM pg_catalog.pg_tablespace t
UNION ALL
SELECT 'pg_shdescription', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(s.xmin::text::bigint), 0)::text
FROM pg_catalog.pg_shdescription s
UNION ALL
SELECT 'pg_database', d.oid::text || ':' || d.xmin::text
FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
UNION ALL
SELECT 'pg_shdepend', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(s.xmin::text::bigint), 0)::text
FROM pg_catalog.pg_shdepend s
WHERE s.dbid = 0 OR s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
UNION ALL
SELECT 'pg_db_role_setting', pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(s.xmin::text::bigint), 0)::text
FROM pg_catalog.pg_db_role_setting s
WHERE s.setdatabase = 0 OR s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
UNION ALL
SELECT 'server', pg_catalog.current_setting('server_version_num') || ' ' || current_user
UNION ALL
-- The catalogs of this database, for the second query: all of them but statistics,
-- large objects and user mappings (counted above through pg_user_mappings, as only a
-- superuser reads pg_user_mapping). One this role cannot read makes that query fail,
-- and then there is no fingerprint: a catalog left out would be changes left unseen.
SELECT 'catalog', c.relname::text
FROM pg_catalog.pg_class c
WHERE c.relnamespace = 'pg_catalog'::pg_catalog.regnamespace AND c.relkind = 'r' AND NOT c.relisshared
  AND c.relname NOT IN ('pg_statistic', 'pg_statistic_ext_data', 'pg_largeobject', 'pg_largeobject_metadata',
                        'pg_user_mapping')
