CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total numeric NOT NULL DEFAULT 0);
CREATE TABLE order_log (order_id int, what text);
CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO order_log VALUES (NEW.id, TG_NAME); RETURN NEW; END $$;
CREATE TRIGGER orders_log AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION log_order();
CREATE TRIGGER orders_status AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION log_order();
INSERT INTO orders VALUES (1, 'new', 5);
