CREATE TYPE money_amount AS (currency char(3), cents integer);
CREATE TYPE address AS (street text, city text, zip text);
CREATE TYPE int_span AS RANGE (subtype = integer);
CREATE TYPE float_span AS RANGE (subtype = float8);
CREATE DOMAIN quantity AS integer CHECK (VALUE >= 0);
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
INSERT INTO orders VALUES
  (1, ('USD', 1250), ARRAY[('USD', 1)::money_amount], ('1 Main St', 'Springfield', '12345'), '[2,5)', 7, '[1.5,2.5]'),
  (2, NULL, NULL, ('2 Side St', 'Shelbyville', NULL), NULL, NULL, NULL);
