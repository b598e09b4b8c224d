SELECT total = 12.0 AND label = '#1' FROM lines WHERE id = 1
