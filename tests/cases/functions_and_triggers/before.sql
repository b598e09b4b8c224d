CREATE TABLE notes (id int PRIMARY KEY, body text, updated_at timestamptz);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM notes $$;
INSERT INTO notes SELECT g, 'note ' || g, now() FROM generate_series(1, 80) g;
