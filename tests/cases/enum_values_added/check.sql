SELECT string_agg(s::text, ',' ORDER BY id) = 'new,done' FROM tasks
