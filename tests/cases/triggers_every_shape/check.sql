SELECT (SELECT count(*) FROM orders) = 1 AND (SELECT tgenabled FROM pg_trigger WHERE tgname = 'orders_paused') = 'D'
