SELECT count(*) = 1 FROM events
