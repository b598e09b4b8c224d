-- Types that PostgreSQL cannot alter in place while columns use them: a composite
-- attribute widened (and its array), a composite reshaped (attribute dropped, one added,
-- order changed), a range over another subtype, a range with a new subtype_diff, a
-- domain over a wider base.
CREATE TYPE money_amount AS (currency char(3), cents bigint);
CREATE TYPE address AS (city text, street text, country text);
CREATE TYPE int_span AS RANGE (subtype = bigint);
CREATE TYPE float_span AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE DOMAIN quantity AS bigint CHECK (VALUE >= 0);
CREATE TABLE orders (
    id int PRIMARY KEY,
    total money_amount,
    history money_amount[],
    ship_to address NOT NULL,
    valid int_span DEFAULT '[1,10)',
    qty quantity,
    spread float_span
);
CREATE FUNCTION cents_of(m money_amount) RETURNS bigint LANGUAGE sql IMMUTABLE RETURN (m).cents;
CREATE VIEW order_totals AS SELECT id, (total).currency, cents_of(total) AS cents FROM orders;
