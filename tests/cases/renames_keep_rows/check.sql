SELECT (SELECT count(*) FROM articles) = 100
   AND (SELECT string_agg(content, ',' ORDER BY id) FROM articles) = (SELECT string_agg('post ' || i, ',' ORDER BY i) FROM generate_series(1, 100) AS i)
   AND (SELECT count(*) FROM comments WHERE remark = 'on ' || post_id) = 100
   AND nextval(pg_get_serial_sequence('articles', 'id')) = 101
   AND nextval('ticket_no') = 510
   AND (SELECT count(*) FROM open_ticket_titles) = 10
