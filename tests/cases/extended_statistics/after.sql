CREATE SCHEMA shop;
CREATE TABLE shop.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city text NOT NULL,
    zip text NOT NULL,
    state text NOT NULL,
    amount numeric(12, 2) NOT NULL
);

CREATE STATISTICS shop.orders_city_state (dependencies) ON city, state FROM shop.orders;
COMMENT ON STATISTICS shop.orders_city_state IS 'a city lies in one state';
CREATE STATISTICS shop.orders_city_zip (ndistinct, dependencies) ON city, zip FROM shop.orders;
CREATE STATISTICS shop.orders_zip_state (mcv) ON zip, state FROM shop.orders;
-- On an expression (PostgreSQL 14+), with a target of its own.
CREATE STATISTICS shop.orders_lower_city ON lower(city) FROM shop.orders;
ALTER STATISTICS shop.orders_lower_city SET STATISTICS 500;

-- A new table with statistics of its own.
CREATE TABLE shop.returns (
    order_id bigint NOT NULL REFERENCES shop.orders (id),
    reason text NOT NULL,
    stage text NOT NULL
);
CREATE STATISTICS shop.returns_reason_stage ON reason, stage FROM shop.returns;
