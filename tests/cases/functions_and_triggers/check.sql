SELECT count(*) = 80 AND count(*) FILTER (WHERE version = 1) = 80 FROM notes
