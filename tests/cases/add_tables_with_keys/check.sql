SELECT count(*) = 25 FROM existing
