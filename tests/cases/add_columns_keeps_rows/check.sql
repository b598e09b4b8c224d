SELECT count(*) = 3 AND sum(id) = 6 AND count(name) = 2 AND bool_and(price = 0) FROM items
