CREATE SCHEMA app;
CREATE TABLE app.events (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE app.events_eu PARTITION OF app.events FOR VALUES IN ('eu');
CREATE TABLE app.events_us PARTITION OF app.events FOR VALUES IN ('us');
INSERT INTO app.events SELECT g, 'us' FROM generate_series(1, 100) g;
CREATE TABLE app.event_refs (
    id int PRIMARY KEY, event_id int, event_region text,
    FOREIGN KEY (event_id, event_region) REFERENCES app.events (id, region)
);
INSERT INTO app.event_refs SELECT g, g, 'us' FROM generate_series(1, 100) g;
