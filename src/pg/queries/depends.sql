-- Dependencies between user objects. A view's rule is reported as the view (other rules
-- are their own), a column default as its column, an array type as its element type and
-- a row type as its table. A foreign key to a partitioned table has a clone for every
-- partition it references (same referencing table, conparentid the key): what a clone
-- depends on (the partition) is reported as the key's, so a partition replaced takes the
-- key down and up with it.
WITH RECURSIVE fk_up AS (
    SELECT c.oid, p.oid AS root, c.conrelid, 1 AS depth
    FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_constraint p ON p.oid = c.conparentid
    WHERE c.contype = 'f' AND p.conrelid = c.conrelid
  UNION ALL
    SELECT f.oid, p.oid, f.conrelid, f.depth + 1
    FROM fk_up f JOIN pg_catalog.pg_constraint r ON r.oid = f.root
    JOIN pg_catalog.pg_constraint p ON p.oid = r.conparentid
    WHERE p.conrelid = f.conrelid
), fk_root AS (
    SELECT DISTINCT ON (oid) oid, root FROM fk_up ORDER BY oid, depth DESC
), dep AS (
    SELECT CASE WHEN d.classid = 'pg_catalog.pg_attrdef'::regclass OR r.rulename = '_RETURN'
                THEN 'pg_class' ELSE d.classid::regclass::text END AS cls,
           COALESCE(CASE WHEN r.rulename = '_RETURN' THEN r.ev_class END, ad.adrelid, fr.root, d.objid) AS oid,
           COALESCE(ad.adnum::int4, CASE WHEN r.rulename = '_RETURN' THEN 0 ELSE d.objsubid END) AS sub,
           d.refclassid, d.refobjid, d.refobjsubid, d.deptype
    FROM pg_catalog.pg_depend d
    LEFT JOIN pg_catalog.pg_rewrite r
           ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND r.oid = d.objid
    LEFT JOIN pg_catalog.pg_attrdef ad
           ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND ad.oid = d.objid
    LEFT JOIN fk_root fr
           ON d.classid = 'pg_catalog.pg_constraint'::regclass AND fr.oid = d.objid
    WHERE d.objid >= 16384 AND d.refobjid >= 16384 AND d.deptype IN ('n', 'a')
), ref AS (
    SELECT dep.cls, dep.oid, dep.sub, dep.deptype,
           CASE WHEN dep.refclassid = 'pg_catalog.pg_type'::regclass
                     AND COALESCE(et.typrelid, t.typrelid) <> 0
                THEN 'pg_class' ELSE dep.refclassid::regclass::text END AS ref_cls,
           CASE WHEN dep.refclassid = 'pg_catalog.pg_type'::regclass
                THEN CASE WHEN COALESCE(et.typrelid, t.typrelid) <> 0
                          THEN COALESCE(et.typrelid, t.typrelid)
                          ELSE COALESCE(et.oid, t.oid) END
                ELSE dep.refobjid END AS ref_oid,
           dep.refobjsubid AS ref_sub
    FROM dep
    LEFT JOIN pg_catalog.pg_type t
           ON dep.refclassid = 'pg_catalog.pg_type'::regclass AND t.oid = dep.refobjid
    LEFT JOIN pg_catalog.pg_type et
           ON t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc
              AND et.oid = t.typelem
)
SELECT cls, oid, sub, ref_cls, ref_oid, ref_sub::int4 AS ref_sub, deptype::text AS deptype
FROM ref
WHERE NOT (cls = ref_cls AND oid = ref_oid)
