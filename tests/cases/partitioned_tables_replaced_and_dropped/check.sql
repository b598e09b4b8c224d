SELECT (SELECT sum(v) FROM measurements) = 130
   AND (SELECT count(*) FROM measurements_2025) = 2
   AND (SELECT count(*) FROM measurements_2026) = 2
