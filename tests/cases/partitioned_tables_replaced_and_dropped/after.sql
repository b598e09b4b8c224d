CREATE TABLE measurements (id int NOT NULL, at date NOT NULL, v int) PARTITION BY LIST (id);
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES IN (1, 2, 3);
CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES IN (4, 5, 6);
CREATE TABLE plain (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE plain_eu PARTITION OF plain FOR VALUES IN ('eu');
CREATE TABLE split (id int NOT NULL, region text NOT NULL);
