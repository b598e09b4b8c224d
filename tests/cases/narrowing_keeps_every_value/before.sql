-- Narrowed types whose values all fit: every value kept as it was. (Values that would be
-- cut or rounded stop the migration instead: tests/safety.rs.)
CREATE TABLE items (
    id int PRIMARY KEY,
    title text NOT NULL,
    price numeric(10, 2) NOT NULL,
    quantity numeric NOT NULL,
    code character varying(20) NOT NULL
);
INSERT INTO items
SELECT i, 'item ' || i, (i % 100) + 0.50, i * 3, 'c' || i FROM generate_series(1, 500) AS i;
