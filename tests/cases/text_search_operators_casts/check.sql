SELECT count(*) = 300 FROM search.docs
