CREATE EXTENSION postgres_fdw;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schemaspec_test_reporting') THEN CREATE ROLE schemaspec_test_reporting; END IF; END $$;
CREATE SERVER billing FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db1.internal', dbname 'billing', port '5433');
CREATE SERVER legacy FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'old.internal');
CREATE USER MAPPING FOR PUBLIC SERVER billing OPTIONS (user 'reader');
CREATE USER MAPPING FOR PUBLIC SERVER legacy OPTIONS (user 'old');
-- A wrapper of the project's own (no handler: it only validates).
CREATE FOREIGN DATA WRAPPER probe_fdw;
