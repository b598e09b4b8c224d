-- Default privileges (ALTER DEFAULT PRIVILEGES) of this database. A global entry
-- (no schema) replaces the built-in default, so its default is acldefault(); a
-- per-schema entry adds to it, so its default is empty. $1: schemas never managed.
SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text AS role,
       COALESCE(n.nspname::text, '') AS schema,
       d.defaclobjtype::text AS object_type,
       d.defaclacl::text[] AS acl,
       CASE WHEN d.defaclnamespace = 0
            THEN pg_catalog.acldefault(d.defaclobjtype, d.defaclrole)::text[]
            ELSE '{}'::text[] END AS dflt
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
WHERE n.nspname IS NULL OR NOT (n.nspname = ANY ($1::text[]))
ORDER BY 1, 2, 3
