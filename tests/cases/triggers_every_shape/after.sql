-- Trigger shapes: WHEN conditions, column lists (UPDATE OF), FOR EACH STATEMENT with
-- transition tables (REFERENCING), a deferrable constraint trigger, a disabled trigger.
CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total numeric NOT NULL DEFAULT 0);
CREATE TABLE order_log (order_id int, what text);
CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO order_log VALUES (NEW.id, TG_NAME); RETURN NEW; END $$;
CREATE FUNCTION log_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO order_log SELECT id, TG_NAME FROM new_rows; RETURN NULL; END $$;
CREATE TRIGGER orders_log AFTER INSERT ON orders FOR EACH ROW WHEN (NEW.total > 0) EXECUTE FUNCTION log_order();
CREATE TRIGGER orders_status AFTER UPDATE OF status ON orders FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION log_order();
CREATE TRIGGER orders_batch AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION log_batch();
CREATE CONSTRAINT TRIGGER orders_check AFTER INSERT OR UPDATE ON orders
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_order();
CREATE TRIGGER orders_paused BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION log_order();
ALTER TABLE orders DISABLE TRIGGER orders_paused;
