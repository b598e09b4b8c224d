-- A unique index the desired state turns into a constraint (ADD CONSTRAINT ... USING
-- INDEX, as pg_dump writes it after a concurrent build), and a primary key the desired
-- state builds on an index of its own name. Regression: the generated file failed when
-- run a second time (cannot drop index ... because constraint ... requires it).
CREATE TABLE accounts (id int NOT NULL, email text NOT NULL);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
CREATE UNIQUE INDEX accounts_pkey ON accounts (id);
INSERT INTO accounts SELECT i, 'user' || i || '@example.com' FROM generate_series(1, 50) AS i;
