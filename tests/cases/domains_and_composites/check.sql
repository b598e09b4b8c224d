SELECT count(*) = 200 AND sum(qty) = 201000 FROM stock
