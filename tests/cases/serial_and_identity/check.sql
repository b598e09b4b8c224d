SELECT count(*) = 2 AND string_agg(v, ',' ORDER BY id) = 'x,y' FROM a
