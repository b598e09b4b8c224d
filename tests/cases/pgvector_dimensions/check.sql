SELECT count(*) = 2 AND bool_and(legacy IS NOT NULL) AND (SELECT legacy::text FROM chunks WHERE id = 2) = '[3,4]' FROM chunks
