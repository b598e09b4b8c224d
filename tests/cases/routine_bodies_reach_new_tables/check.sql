SELECT count(*) = 2 AND bool_and(code IS NOT NULL) FROM items
