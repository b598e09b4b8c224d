CREATE SCHEMA app;
CREATE TABLE app.events (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
-- The (empty) EU partition is split by hash: it is dropped and created again, and the
-- foreign key that references the parent (and so this partition) with it.
CREATE TABLE app.events_eu PARTITION OF app.events FOR VALUES IN ('eu') PARTITION BY HASH (id);
CREATE TABLE app.events_eu_0 PARTITION OF app.events_eu FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.events_eu_1 PARTITION OF app.events_eu FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE app.events_us PARTITION OF app.events FOR VALUES IN ('us');
CREATE TABLE app.event_refs (
    id int PRIMARY KEY, event_id int, event_region text,
    FOREIGN KEY (event_id, event_region) REFERENCES app.events (id, region)
);
