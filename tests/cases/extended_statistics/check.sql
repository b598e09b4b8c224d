SELECT count(*) = 2000 AND count(DISTINCT zip) = 500 FROM shop.orders
