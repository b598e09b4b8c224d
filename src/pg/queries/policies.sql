-- Row-level security policies (on a platform's tables too: the platform defines none).
SELECT pol.oid, n.nspname AS table_schema, c.relname AS table_name, pol.polname::text AS name,
       pol.polpermissive AS permissive,
       CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                       WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END
             FROM unnest(pol.polroles) r ORDER BY 1) AS roles,
       pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS using_expr,
       pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS check_expr,
       obj_description(pol.oid, 'pg_policy') AS comment
FROM pg_catalog.pg_policy pol
JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND ((NOT (n.nspname = ANY ($1::text[])) AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[])))
       -- A platform's tables ($3): policies on them are the user's.
       OR n.nspname = ANY ($3::text[]))
ORDER BY n.nspname, c.relname, pol.polname
