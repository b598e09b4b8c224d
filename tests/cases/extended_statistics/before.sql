CREATE SCHEMA shop;
CREATE TABLE shop.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city text NOT NULL,
    zip character varying(10) NOT NULL,
    state text NOT NULL,
    amount numeric(12, 2) NOT NULL
);
INSERT INTO shop.orders (city, zip, state, amount)
SELECT 'city ' || (i % 50), lpad((i % 500)::text, 5, '0'), 'state ' || (i % 10), i
FROM generate_series(1, 2000) AS i;

-- Kept as it is.
CREATE STATISTICS shop.orders_city_state (dependencies) ON city, state FROM shop.orders;
-- Gains a kind: replaced.
CREATE STATISTICS shop.orders_city_zip (ndistinct) ON city, zip FROM shop.orders;
-- Its target goes back to the default.
CREATE STATISTICS shop.orders_zip_state (mcv) ON zip, state FROM shop.orders;
ALTER STATISTICS shop.orders_zip_state SET STATISTICS 200;
-- Gone.
CREATE STATISTICS shop.orders_amount_city (ndistinct) ON amount, city FROM shop.orders;
COMMENT ON STATISTICS shop.orders_city_state IS 'cities lie in one state';
