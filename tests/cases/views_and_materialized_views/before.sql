CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL, closed boolean NOT NULL DEFAULT false);
CREATE VIEW open_accounts AS SELECT id, owner, balance FROM accounts WHERE NOT closed;
CREATE VIEW rich_accounts AS SELECT id, owner FROM open_accounts WHERE balance > 1000;
CREATE MATERIALIZED VIEW balances_by_owner AS SELECT owner, sum(balance) AS total FROM accounts GROUP BY owner;
CREATE UNIQUE INDEX balances_by_owner_owner ON balances_by_owner (owner);
INSERT INTO accounts VALUES (1, 'ann', 5000, false), (2, 'bob', 10, false), (3, 'cy', 9999, true);
