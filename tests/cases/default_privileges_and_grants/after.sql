-- Default privileges per schema and for all schemas (tables, sequences, functions,
-- types), grants on sequences, types, domains and a procedure, revokes from PUBLIC.
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schemaspec_test_reader') THEN CREATE ROLE schemaspec_test_reader; END IF; END $$;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schemaspec_test_writer') THEN CREATE ROLE schemaspec_test_writer; END IF; END $$;
CREATE SCHEMA api;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT, INSERT ON TABLES TO schemaspec_test_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT USAGE, SELECT ON SEQUENCES TO schemaspec_test_writer;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT USAGE ON TYPES TO schemaspec_test_reader;
CREATE SEQUENCE api.ticket_numbers;
CREATE TYPE api.mood AS ENUM ('ok', 'bad');
CREATE DOMAIN api.email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE api.tickets (id int PRIMARY KEY, mood api.mood, contact api.email);
CREATE TABLE api.notes (id int PRIMARY KEY, body text);
GRANT USAGE, SELECT, UPDATE ON SEQUENCE api.ticket_numbers TO schemaspec_test_writer;
REVOKE USAGE ON TYPE api.mood FROM PUBLIC;
GRANT USAGE ON TYPE api.mood TO schemaspec_test_writer WITH GRANT OPTION;
GRANT USAGE ON DOMAIN api.email TO schemaspec_test_reader;
CREATE PROCEDURE api.close_ticket(ticket int) LANGUAGE sql AS $$ UPDATE api.tickets SET mood = 'bad' WHERE id = ticket $$;
GRANT EXECUTE ON PROCEDURE api.close_ticket(int) TO schemaspec_test_writer;
