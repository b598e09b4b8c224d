-- greet loses a parameter default (CREATE OR REPLACE refuses that): recreated with the
-- view that uses it. answer changes its result type: recreated too.
CREATE FUNCTION greet(name text, punct text DEFAULT '?') RETURNS text LANGUAGE sql AS $$ SELECT 'hello ' || name || punct $$;
CREATE FUNCTION answer() RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$;
CREATE VIEW greeting AS SELECT greet('you') AS g, answer() AS a;
