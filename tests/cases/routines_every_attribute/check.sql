SELECT total() = 42 AND sum_sq(amount) = 1 + 100 + 1024 AND fmt(3) = '#3'
   AND (SELECT count(*) FROM amounts_over(20)) = 1
   AND (SELECT string_agg(next_id::text, ',' ORDER BY next_id) FROM ledger_report) = '2,3'
FROM ledger
