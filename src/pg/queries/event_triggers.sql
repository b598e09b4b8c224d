-- Event triggers. They belong to no schema: one is managed when its function is in a
-- managed schema, so a platform's own (its function in an excluded schema) is left alone.
SELECT e.oid, e.evtname::text AS name, e.evtevent::text AS event, e.evtenabled::text AS enabled,
       COALESCE(e.evttags, '{}') AS tags, fn.nspname::text AS function_schema, p.proname::text AS function_name,
       obj_description(e.oid, 'pg_event_trigger') AS comment
FROM pg_catalog.pg_event_trigger e
JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
WHERE fn.nspname <> 'information_schema' AND fn.nspname !~ '^pg_'
  AND NOT (fn.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR fn.nspname = ANY ($2::text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_event_trigger'::regclass
                    AND d.objid = e.oid AND d.deptype = 'e')
ORDER BY e.evtname
