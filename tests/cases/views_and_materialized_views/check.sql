SELECT (SELECT count(*) FROM accounts) = 3
   AND (SELECT string_agg(owner, ',' ORDER BY id) FROM rich_accounts) = 'ann'
   AND (SELECT accounts FROM balances_by_owner WHERE owner = 'ann') = 1
   AND NOT (SELECT relispopulated FROM pg_class WHERE relname = 'closed_accounts')
