-- Enums, domains, composite types and range types in managed schemas, not owned by
-- extensions. Table row types are not listed (they belong to their table).
SELECT t.oid, n.nspname AS schema, t.typname AS name, t.typtype::text AS kind,
       t.typarray AS array_oid, t.typrelid AS relid,
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
             WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels,
       CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS base,
       CASE WHEN t.typtype = 'd' AND t.typcollation <> 0
                 AND t.typcollation <> (SELECT bt.typcollation FROM pg_catalog.pg_type bt
                                        WHERE bt.oid = t.typbasetype)
            THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                  FROM pg_catalog.pg_collation co
                  JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                  WHERE co.oid = t.typcollation) END AS collation,
       t.typdefault AS default_expr, t.typnotnull AS not_null,
       ARRAY(SELECT co.conname::text FROM pg_catalog.pg_constraint co
             WHERE co.contypid = t.oid AND co.contype = 'c' ORDER BY co.conname) AS check_names,
       ARRAY(SELECT pg_catalog.pg_get_constraintdef(co.oid) FROM pg_catalog.pg_constraint co
             WHERE co.contypid = t.oid AND co.contype = 'c' ORDER BY co.conname) AS check_defs,
       ARRAY(SELECT co.oid FROM pg_catalog.pg_constraint co
             WHERE co.contypid = t.oid ORDER BY co.conname) AS constraint_oids,
       ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum) AS attr_names,
       ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod)
                    || CASE WHEN a.attcollation <> at.typcollation
                            THEN ' COLLATE ' || (SELECT pg_catalog.quote_ident(cn.nspname) || '.'
                                                        || pg_catalog.quote_ident(co.collname)
                                                 FROM pg_catalog.pg_collation co
                                                 JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                                                 WHERE co.oid = a.attcollation)
                            ELSE '' END
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum) AS attr_types,
       CASE WHEN t.typtype = 'r' THEN pg_catalog.format_type(r.rngsubtype, NULL) END AS range_subtype,
       CASE WHEN t.typtype = 'r' THEN ARRAY_REMOVE(ARRAY[
            CASE WHEN NOT opc.opcdefault
                 THEN 'SUBTYPE_OPCLASS = ' || pg_catalog.quote_ident(opcn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) END,
            CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
                 THEN 'COLLATION = ' || (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                                         FROM pg_catalog.pg_collation co
                                         JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                                         WHERE co.oid = r.rngcollation) END,
            CASE WHEN r.rngcanonical <> 0 THEN 'CANONICAL = ' || r.rngcanonical::regproc::text END,
            CASE WHEN r.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text END,
            'MULTIRANGE_TYPE_NAME = ' || pg_catalog.quote_ident(mn.nspname) || '.' || pg_catalog.quote_ident(mt.typname)
            ], NULL) END AS range_options,
       -- An index lookup, not a join (see columns.sql): fast without ANALYZE too.
       (SELECT dsc.description FROM pg_catalog.pg_description dsc
        WHERE dsc.objoid = t.oid AND dsc.classoid = 'pg_catalog.pg_type'::regclass AND dsc.objsubid = 0) AS comment
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
LEFT JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc
LEFT JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace
LEFT JOIN pg_catalog.pg_type mt ON mt.oid = r.rngmultitypid
LEFT JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace
WHERE t.typtype IN ('e', 'd', 'c', 'r')
  AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT (n.nspname = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_type'::regclass
                    AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY n.nspname, t.typname
