CREATE TABLE notes (id int PRIMARY KEY, body text, updated_at timestamptz, version int NOT NULL DEFAULT 1);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  NEW.version := OLD.version + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body) EXECUTE FUNCTION touch();
CREATE FUNCTION note_count(min_version int DEFAULT 1) RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT count(*) FROM notes WHERE version >= min_version $$;
CREATE PROCEDURE purge_notes(keep int) LANGUAGE sql AS $$ DELETE FROM notes WHERE id > keep $$;
CREATE TRIGGER notes_audit AFTER INSERT OR DELETE ON notes FOR EACH STATEMENT EXECUTE FUNCTION touch();
