SELECT count(*) = 1 FROM rich_ids
