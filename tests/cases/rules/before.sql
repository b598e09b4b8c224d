CREATE SCHEMA app;
CREATE TABLE app.notes (id int PRIMARY KEY, body text NOT NULL, archived boolean NOT NULL DEFAULT false);
CREATE TABLE app.audit (note_id int, action text);
CREATE VIEW app.open_notes AS SELECT id, body FROM app.notes WHERE NOT archived;
INSERT INTO app.notes SELECT g, 'note ' || g, g % 10 = 0 FROM generate_series(1, 200) g;
-- Deletes only archive (changed below); updates are audited (dropped below).
CREATE RULE archive_instead AS ON DELETE TO app.notes DO INSTEAD
  UPDATE app.notes SET archived = true WHERE id = OLD.id;
CREATE RULE audit_update AS ON UPDATE TO app.notes DO ALSO
  INSERT INTO app.audit VALUES (OLD.id, 'update');
