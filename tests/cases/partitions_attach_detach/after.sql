-- 2025 widened to the whole year, the archive attached, 2024 detached: no rows lost.
CREATE TABLE metrics (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE metrics_2024 (at date NOT NULL, v int);
CREATE TABLE metrics_2025 PARTITION OF metrics FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE metrics_archive PARTITION OF metrics FOR VALUES FROM ('2000-01-01') TO ('2024-01-01');
