SELECT count(*) = 50 FROM accounts
