SELECT count(*) = 300 AND count(DISTINCT writer) = 10 AND count(*) FILTER (WHERE label = 't') = 300 FROM app.notes
