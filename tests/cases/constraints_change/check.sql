SELECT count(*) = 1 FROM children JOIN parents ON code = parent_code
