SELECT (SELECT count(*) FROM app.orders) = 40
   AND (SELECT count(*) FROM app.credits) = 2
   AND nextval('app.invoice_numbers') = 500
   AND nextval(pg_get_serial_sequence('app.orders', 'id')) = 1000
   AND nextval(pg_get_serial_sequence('app.credits', 'id')) = -1
