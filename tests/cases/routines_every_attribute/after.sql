-- Every routine attribute: volatility, strictness, SECURITY DEFINER with a pinned
-- search_path, SET parameters, PARALLEL, COST, ROWS, LEAKPROOF-free SQL-standard
-- bodies; an overload added beside the kept ones; a signature change (dropped and
-- created, with the view that calls it recreated); a procedure's body; an aggregate
-- whose definition changes.
CREATE TABLE ledger (id int PRIMARY KEY, amount numeric NOT NULL);
CREATE FUNCTION total() RETURNS numeric LANGUAGE sql STABLE STRICT SECURITY DEFINER PARALLEL SAFE COST 50
  SET search_path = pg_catalog, public
  AS $$ SELECT sum(amount) FROM public.ledger $$;
CREATE FUNCTION fmt(x numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT x::text $$;
CREATE FUNCTION fmt(x numeric, unit text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT x || ' ' || unit $$;
CREATE FUNCTION fmt(x integer) RETURNS text LANGUAGE sql IMMUTABLE RETURN '#' || x;
CREATE FUNCTION old_signature(a bigint) RETURNS bigint LANGUAGE sql IMMUTABLE RETURN a + 1;
CREATE FUNCTION amounts_over(limit_ numeric) RETURNS SETOF ledger LANGUAGE sql STABLE ROWS 20
  SET work_mem = '8MB'
  BEGIN ATOMIC SELECT * FROM ledger WHERE amount > limit_; END;
CREATE PROCEDURE record(amount numeric) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ledger VALUES ((SELECT coalesce(max(id), 0) + 1 FROM ledger), amount);
END
$$;
CREATE FUNCTION add_sq(state numeric, x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE RETURN state + x * x;
CREATE AGGREGATE sum_sq(numeric) (SFUNC = add_sq, STYPE = numeric, INITCOND = '1');
CREATE VIEW ledger_report AS SELECT fmt(amount) AS shown, old_signature(id) AS next_id FROM ledger;
