-- The catalogs of this database whose rows a fingerprint sums: all of them but
-- statistics, large objects and user mappings (counted through pg_user_mappings in
-- fingerprint.sql, as only a superuser reads pg_user_mapping). One this role cannot read
-- makes the sums fail, and then there is no fingerprint: a catalog left out would be
-- changes left unseen.
SELECT c.relname::text
FROM pg_catalog.pg_class c
WHERE c.relnamespace = 'pg_catalog'::pg_catalog.regnamespace AND c.relkind = 'r' AND NOT c.relisshared
  AND c.relname NOT IN ('pg_statistic', 'pg_statistic_ext_data', 'pg_largeobject', 'pg_largeobject_metadata',
                        'pg_user_mapping')
