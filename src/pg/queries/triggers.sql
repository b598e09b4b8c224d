-- User triggers, except partitions' clones of their parent's triggers: on tables of
-- managed schemas, and on a platform's tables ($3) when the function they run is not the
-- platform's (`on_auth_user_created` on auth.users calling public.handle_new_user()).
SELECT t.oid, n.nspname AS table_schema, c.relname AS table_name, t.tgname::text AS name,
       pg_catalog.pg_get_triggerdef(t.oid) AS definition, t.tgconstraint <> 0 AS is_constraint,
       t.tgenabled::text AS enabled, obj_description(t.oid, 'pg_trigger') AS comment
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND ((NOT (n.nspname = ANY ($1::text[])) AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[])))
       OR (n.nspname = ANY ($3::text[]) AND NOT (fn.nspname = ANY ($3::text[]))))
ORDER BY n.nspname, c.relname, t.tgname
