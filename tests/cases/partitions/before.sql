CREATE TABLE events (id bigint, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO events VALUES (1, '2025-06-01', '{}');
