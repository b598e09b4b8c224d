-- View options (security_invoker, security_barrier, check_option), a view whose
-- definition changes under a view that depends on it (both recreated), a materialized
-- view with a changed query and its index, one created WITH NO DATA.
CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL, closed boolean NOT NULL DEFAULT false);
CREATE VIEW open_accounts WITH (security_invoker = true, security_barrier = true) AS
  SELECT id, owner, balance, closed FROM accounts WHERE NOT closed
  WITH LOCAL CHECK OPTION;
CREATE VIEW rich_accounts AS SELECT id, owner FROM open_accounts WHERE balance > 500;
CREATE MATERIALIZED VIEW balances_by_owner AS
  SELECT owner, sum(balance) AS total, count(*) AS accounts FROM accounts GROUP BY owner;
CREATE UNIQUE INDEX balances_by_owner_owner ON balances_by_owner (owner);
CREATE MATERIALIZED VIEW closed_accounts AS SELECT id, owner FROM accounts WHERE closed WITH NO DATA;
