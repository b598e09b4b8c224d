SELECT count(*) = 2 FROM chunks
