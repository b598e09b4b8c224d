CREATE SCHEMA app;
-- schemaspec:renamed-from mood
CREATE TYPE app.day_mood AS ENUM ('calm', 'busy');
-- schemaspec:renamed-from pct
CREATE DOMAIN app.percent AS numeric(5, 2) CHECK (VALUE BETWEEN 0 AND 100);
CREATE TABLE app.days (id int PRIMARY KEY, mood app.day_mood NOT NULL, moods app.day_mood[], load app.percent);
-- schemaspec:renamed-from is_calm
CREATE FUNCTION app.is_quiet(m app.day_mood) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT m = 'calm' $$;
-- schemaspec:renamed-from app.touch
CREATE FUNCTION app.touch_day() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER days_touch BEFORE UPDATE ON app.days FOR EACH ROW EXECUTE FUNCTION app.touch_day();
