-- Partitioned tables dropped, turned from or into plain tables, and re-created with their
-- partitions (a new partition key). Suites outside the repository found these ending in
-- cycles or schemas that differ.
CREATE TABLE measurements (id int NOT NULL, at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE old_logs (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE old_logs_2025 PARTITION OF old_logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE plain (id int PRIMARY KEY, region text NOT NULL);
CREATE TABLE split (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE split_eu PARTITION OF split FOR VALUES IN ('eu');
INSERT INTO measurements VALUES (1, '2025-03-01', 10), (2, '2025-04-01', 20), (4, '2026-02-01', 40), (6, '2026-05-01', 60);
