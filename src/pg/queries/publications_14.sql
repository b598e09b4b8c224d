-- publications.sql for PostgreSQL 13 and 14: no column lists, row filters or schemas.
SELECT 'publication' AS row, p.pubname::text AS publication, NULL::text AS schema, NULL::text AS name,
       NULL::text[] AS columns, NULL::text AS row_filter, p.puballtables AS all_tables,
       concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,
                 CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END) AS publish,
       p.pubviaroot AS via_root, obj_description(p.oid, 'pg_publication') AS comment, p.oid
FROM pg_catalog.pg_publication p
UNION ALL
SELECT 'table', p.pubname, n.nspname, c.relname, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_catalog.pg_publication_rel r
JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
JOIN pg_catalog.pg_class c ON c.oid = r.prrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
ORDER BY 2, 1, 3, 4
