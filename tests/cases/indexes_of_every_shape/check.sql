SELECT count(*) = 500 AND count(*) FILTER (WHERE deleted) = 71 FROM docs
