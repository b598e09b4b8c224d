-- Publications, the tables they publish (with column lists and row filters) and the
-- schemas whose tables they publish, one row each, told apart by `row`. PostgreSQL 15 and
-- later (column lists, row filters and TABLES IN SCHEMA came with 15).
SELECT 'publication' AS row, p.pubname::text AS publication, NULL::text AS schema, NULL::text AS name,
       NULL::text[] AS columns, NULL::text AS row_filter, p.puballtables AS all_tables,
       concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,
                 CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END) AS publish,
       p.pubviaroot AS via_root, obj_description(p.oid, 'pg_publication') AS comment, p.oid
FROM pg_catalog.pg_publication p
UNION ALL
SELECT 'table', p.pubname, n.nspname, c.relname,
       CASE WHEN r.prattrs IS NULL THEN NULL
            ELSE ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(r.prattrs) k
                       JOIN pg_catalog.pg_attribute a ON a.attrelid = r.prrelid AND a.attnum = k ORDER BY a.attnum) END,
       pg_catalog.pg_get_expr(r.prqual, r.prrelid), NULL, NULL, NULL, NULL, NULL
FROM pg_catalog.pg_publication_rel r
JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
JOIN pg_catalog.pg_class c ON c.oid = r.prrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'schema', p.pubname, n.nspname, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_catalog.pg_publication_namespace pn
JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
ORDER BY 2, 1, 3, 4
