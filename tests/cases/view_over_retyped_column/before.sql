CREATE TABLE accounts (id int PRIMARY KEY, balance integer NOT NULL DEFAULT 0);
INSERT INTO accounts VALUES (1, 10), (2, 20);
CREATE VIEW rich AS SELECT id, balance FROM accounts WHERE balance > 15;
CREATE VIEW rich_ids AS SELECT id FROM rich;
COMMENT ON VIEW rich IS 'accounts above 15';
