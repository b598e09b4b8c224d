CREATE EXTENSION postgres_fdw;

-- Moved host, new fetch size, default port.
CREATE SERVER billing FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host 'db2.internal', dbname 'billing', fetch_size '500');
COMMENT ON SERVER billing IS 'the billing replica';
GRANT USAGE ON FOREIGN SERVER billing TO schemaspec_test_reporting;
CREATE USER MAPPING FOR PUBLIC SERVER billing OPTIONS (user 'report');
CREATE USER MAPPING FOR schemaspec_test_reporting SERVER billing OPTIONS (user 'reporting');

CREATE FOREIGN DATA WRAPPER probe_fdw OPTIONS (debug 'true');
CREATE SERVER probe FOREIGN DATA WRAPPER probe_fdw;
