SELECT count(*) = 200 AND count(*) FILTER (WHERE archived) = 20 FROM app.notes
