-- Round-trips definitions whose printed form PostgreSQL does not read back as the same
-- tree (`x IN ('a','b')` on a varchar column prints as an ARRAY cast that re-parses
-- differently). Each definition is created again from its printed text under a
-- temporary name, read back, and removed; where the result differs, it is recorded in
-- pg_temp.schemaspec_normalized. Runs in the scratch database only, in one round trip.
-- Only definitions with an array cast, the known form that does not read back, are
-- tried: each try is DDL, and a schema may have thousands of definitions. Each candidate
-- query prints definitions in a subquery that OFFSET 0 keeps apart, so that only the
-- user's schemas are printed: the planner would otherwise test the printed form first,
-- printing every system view (about 40 ms of a small plan).
CREATE TEMP TABLE IF NOT EXISTS schemaspec_normalized (kind text, schema_name text, rel text, name text, normalized text);
DO $schemaspec$
DECLARE
  r record;
  n text;
  tmp constant text := 'schemaspec_normalize_tmp';
BEGIN
  PERFORM pg_catalog.set_config('search_path', '', true);
  FOR r IN
    SELECT * FROM (
      SELECT co.conname, co.conrelid, pg_catalog.pg_get_constraintdef(co.oid) AS def, ns.nspname, c.relname
      FROM pg_catalog.pg_constraint co
      JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
      JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
      WHERE co.contype = 'c' AND ns.nspname !~ '^pg_' AND ns.nspname <> 'information_schema'
      OFFSET 0) d
    WHERE d.def ~ '\(ARRAY\['
  LOOP
    BEGIN
      EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.conrelid::regclass, tmp, r.def);
      SELECT pg_catalog.pg_get_constraintdef(oid) INTO n FROM pg_catalog.pg_constraint WHERE conrelid = r.conrelid AND conname = tmp;
      EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', r.conrelid::regclass, tmp);
      IF n IS DISTINCT FROM r.def THEN
        INSERT INTO schemaspec_normalized VALUES ('constraint', r.nspname, r.relname, r.conname, n);
      END IF;
    EXCEPTION WHEN others THEN NULL;
    END;
  END LOOP;
  FOR r IN
    SELECT * FROM (
      SELECT ic.relname, ns.nspname, pg_catalog.pg_get_indexdef(i.indexrelid) AS def
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_catalog.pg_namespace ns ON ns.oid = ic.relnamespace
      WHERE ns.nspname !~ '^pg_' AND ns.nspname <> 'information_schema'
        AND (i.indpred IS NOT NULL OR i.indexprs IS NOT NULL)
      OFFSET 0) d
    WHERE d.def ~ '\(ARRAY\['
  LOOP
    BEGIN
      EXECUTE pg_catalog.replace(r.def, ' INDEX ' || pg_catalog.quote_ident(r.relname) || ' ON ', ' INDEX ' || tmp || ' ON ');
      SELECT pg_catalog.replace(pg_catalog.pg_get_indexdef(c.oid), ' INDEX ' || tmp || ' ON ', ' INDEX ' || pg_catalog.quote_ident(r.relname) || ' ON ')
        INTO n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
        WHERE c.relname = tmp AND ns.nspname = r.nspname;
      EXECUTE pg_catalog.format('DROP INDEX %I.%I', r.nspname, tmp);
      IF n IS DISTINCT FROM r.def THEN
        INSERT INTO schemaspec_normalized VALUES ('index', r.nspname, NULL, r.relname, pg_catalog.replace(n, ' ON ONLY ', ' ON '));
      END IF;
    EXCEPTION WHEN others THEN NULL;
    END;
  END LOOP;
  FOR r IN
    SELECT * FROM (
      SELECT p.polname, p.polrelid, ns.nspname, c.relname, p.polcmd, p.polpermissive,
             pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,
             pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS chk
      FROM pg_catalog.pg_policy p
      JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
      JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
      WHERE ns.nspname !~ '^pg_' AND ns.nspname <> 'information_schema'
      OFFSET 0) d
    WHERE (COALESCE(d.qual, '') || COALESCE(d.chk, '')) ~ '\(ARRAY\['
  LOOP
    BEGIN
      EXECUTE pg_catalog.format('CREATE POLICY %I ON %s AS %s FOR %s %s %s', tmp, r.polrelid::regclass,
        CASE WHEN r.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
        CASE r.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
        CASE WHEN r.qual IS NULL THEN '' ELSE 'USING (' || r.qual || ')' END,
        CASE WHEN r.chk IS NULL THEN '' ELSE 'WITH CHECK (' || r.chk || ')' END);
      SELECT COALESCE(pg_catalog.pg_get_expr(polqual, polrelid), '') || E'\n' || COALESCE(pg_catalog.pg_get_expr(polwithcheck, polrelid), '')
        INTO n FROM pg_catalog.pg_policy WHERE polrelid = r.polrelid AND polname = tmp;
      EXECUTE pg_catalog.format('DROP POLICY %I ON %s', tmp, r.polrelid::regclass);
      IF n IS DISTINCT FROM COALESCE(r.qual, '') || E'\n' || COALESCE(r.chk, '') THEN
        INSERT INTO schemaspec_normalized VALUES ('policy', r.nspname, r.relname, r.polname, n);
      END IF;
    EXCEPTION WHEN others THEN NULL;
    END;
  END LOOP;
  FOR r IN
    SELECT * FROM (
      SELECT c.relname, ns.nspname, pg_catalog.pg_get_viewdef(c.oid) AS def
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
      WHERE c.relkind = 'v' AND ns.nspname !~ '^pg_' AND ns.nspname <> 'information_schema'
      OFFSET 0) d
    WHERE d.def ~ '\(ARRAY\['
  LOOP
    BEGIN
      EXECUTE pg_catalog.format('CREATE VIEW %I.%I AS %s', r.nspname, tmp, r.def);
      SELECT pg_catalog.pg_get_viewdef(c.oid) INTO n FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace WHERE c.relname = tmp AND ns.nspname = r.nspname;
      EXECUTE pg_catalog.format('DROP VIEW %I.%I', r.nspname, tmp);
      IF n IS DISTINCT FROM r.def THEN
        INSERT INTO schemaspec_normalized VALUES ('view', r.nspname, NULL, r.relname, pg_catalog.regexp_replace(n, '[;[:space:]]+$', ''));
      END IF;
    EXCEPTION WHEN others THEN NULL;
    END;
  END LOOP;
END
$schemaspec$;
