CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
CREATE VIEW rich AS SELECT id, balance FROM accounts WHERE balance > 15;
CREATE VIEW rich_ids AS SELECT id FROM rich;
COMMENT ON VIEW rich IS 'accounts above 15';
