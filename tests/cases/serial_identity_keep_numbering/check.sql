SELECT nextval(pg_get_serial_sequence('posts', 'id')) = 55
   AND nextval(pg_get_serial_sequence('"Tag Names"', 'Id')) = 8
   AND nextval(pg_get_serial_sequence('events', 'id')) = 31
   AND (SELECT count(*) FROM posts) = 52
