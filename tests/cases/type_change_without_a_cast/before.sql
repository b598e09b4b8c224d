-- Type changes PostgreSQL has no cast for (bigint to timestamp, uuid to integer): the
-- column is dropped and added again (deletes_data, with consent), so the database still
-- converges; the rows stay, the column's values do not. Regression: the plan wrote
-- ALTER ... TYPE ... USING, which fails at apply.
CREATE TABLE events (id int PRIMARY KEY, happened bigint, ref uuid, n integer);
INSERT INTO events SELECT i, 1700000000 + i, gen_random_uuid(), i FROM generate_series(1, 20) AS i;
