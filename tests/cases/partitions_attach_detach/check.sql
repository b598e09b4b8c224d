SELECT (SELECT count(*) FROM metrics) = 2 AND (SELECT count(*) FROM metrics_2024) = 1 AND (SELECT v FROM metrics WHERE at = '2020-01-01') = 0
