SELECT kept = 'stays' FROM keep WHERE id = 1
