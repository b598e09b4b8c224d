SELECT count(*) = 30 AND min(a) = 'a1' FROM t
