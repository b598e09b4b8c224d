-- Statements in an order PostgreSQL would refuse; schemaspec defers and retries.
CREATE VIEW order_totals AS SELECT o.id, sum(l.amount) AS total FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id;
CREATE TABLE order_lines (id int PRIMARY KEY, order_id int REFERENCES orders(id), amount numeric);
CREATE TABLE orders (id int PRIMARY KEY, customer text);
