CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('calm', 'busy');
CREATE DOMAIN app.pct AS numeric(5, 2) CHECK (VALUE BETWEEN 0 AND 100);
CREATE TABLE app.days (id int PRIMARY KEY, mood app.mood NOT NULL, moods app.mood[], load app.pct);
INSERT INTO app.days SELECT g, 'calm', ARRAY['busy']::app.mood[], g % 100 FROM generate_series(1, 120) g;
CREATE FUNCTION app.is_calm(m app.mood) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT m = 'calm' $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER days_touch BEFORE UPDATE ON app.days FOR EACH ROW EXECUTE FUNCTION app.touch();
