SELECT sum(v) = 18 AND count(*) = 3 FROM readings
