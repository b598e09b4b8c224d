DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schemaspec_test_reader') THEN CREATE ROLE schemaspec_test_reader; END IF; END $$;
CREATE TABLE public.t (id int, secret text);
GRANT SELECT ON public.t TO schemaspec_test_reader;
