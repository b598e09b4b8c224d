SELECT count(*) = 2 AND max(amount) = 2147483647 AND string_agg(code, ',' ORDER BY id) = 'x1,y2' AND sum(ratio) = 1.25 FROM measures
