-- Keys and indexes on partitioned tables: a primary key and an index added to a parent
-- (each partition gets its own, attached to the parent's), a partition's own unique
-- index, and a partition attached that already has a matching index.
CREATE TABLE readings (id int NOT NULL, at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE readings_2026 (id int NOT NULL, at date NOT NULL, v int);
CREATE UNIQUE INDEX readings_2026_id_at_idx ON readings_2026 (id, at);
INSERT INTO readings VALUES (1, '2025-02-01', 5), (2, '2025-03-01', 6);
INSERT INTO readings_2026 VALUES (3, '2026-02-01', 7);
