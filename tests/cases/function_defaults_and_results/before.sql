CREATE FUNCTION greet(name text DEFAULT 'world', punct text DEFAULT '!') RETURNS text LANGUAGE sql AS $$ SELECT 'hello ' || name || punct $$;
CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT 42 $$;
CREATE VIEW greeting AS SELECT greet() AS g, answer() AS a;
