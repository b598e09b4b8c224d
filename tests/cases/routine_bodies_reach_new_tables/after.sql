-- Routines whose bodies (PL/pgSQL, quoted SQL) read a view and tables the same plan creates, run
-- while the plan builds things: a volatile default fills the existing rows, a CHECK is
-- validated against them. pg_depend does not see into these bodies.
CREATE TABLE items (
    id int PRIMARY KEY,
    sku text NOT NULL CHECK (sku_is_known(sku)),
    code text DEFAULT next_code()
);
CREATE FUNCTION next_code() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN coalesce((SELECT prefix FROM current_prefix), 'X') || nextval('item_codes')::text;
END
$$;
CREATE FUNCTION sku_is_known(s text) RETURNS boolean LANGUAGE sql STABLE
  AS 'SELECT s ~ (SELECT pattern FROM sku_rules LIMIT 1)';
CREATE SEQUENCE item_codes;
CREATE TABLE prefixes (prefix text PRIMARY KEY);
CREATE VIEW current_prefix AS SELECT prefix FROM prefixes ORDER BY prefix LIMIT 1;
CREATE TABLE sku_rules (pattern text NOT NULL);
