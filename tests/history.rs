//! Broken histories, end to end (issue #4): each test builds one broken state on a
//! real PostgreSQL with user rows in the affected tables, shows schemaspec naming the
//! problem (exit 2, the files and versions listed), fixes it with the documented
//! command, and ends with `status` clean, `check` clean, `plan` empty and every row
//! intact.

mod common;

use common::{Project, TestDb};

const NOTES: &str = "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);\n";

/// The state every fix must reach.
fn healthy(p: &Project, db: &TestDb, rows: &str, expected_rows: &str) {
    let status = p.run(db, &["status"]);
    assert_eq!(status.code, 0, "status not clean:\n{}\n{}", status.stdout, status.stderr);
    assert!(status.stdout.contains("Catalog: matches the applied migrations"), "{}", status.stdout);
    let check = p.run(db, &["check"]);
    assert_eq!(check.code, 0, "check not clean:\n{}\n{}", check.stdout, check.stderr);
    let plan = p.run(db, &["plan", "--exit-code"]);
    assert_eq!(plan.code, 0, "plan not empty:\n{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(db.query(rows), expected_rows, "user rows changed");
}

/// A project whose first migration creates `notes`, applied, with two rows.
fn started(prefix: &str) -> (Project, TestDb) {
    let db = TestDb::new(prefix);
    let p = Project::new();
    p.write("schema/notes.sql", NOTES);
    p.write("generated/20250101000000_create_notes.sql", &NOTES.replace("TABLE", "TABLE IF NOT EXISTS"));
    p.run(&db, &["hash"]).ok();
    p.run(&db, &["apply"]).ok();
    db.exec("INSERT INTO notes VALUES (1, 'keep me'), (2, 'me too');");
    (p, db)
}

const ROWS: &str = "SELECT string_agg(id || ':' || body, ',' ORDER BY id) FROM notes";
const KEPT: &str = "1:keep me,2:me too";

#[test]
fn duplicate_versions_from_parallel_authors_are_renumbered() {
    let (p, db) = started("h_dup");
    // Two authors, one second: one file is deployed, the other arrives with the merge.
    p.write("generated/20250102000000_add_tags.sql", "ALTER TABLE notes ADD COLUMN IF NOT EXISTS tags text[];\n");
    p.run(&db, &["hash"]).ok();
    p.run(&db, &["apply"]).ok();
    p.write("generated/20250102000000_add_color.sql", "ALTER TABLE notes ADD COLUMN IF NOT EXISTS color text;\n");
    p.run(&db, &["hash"]).ok();

    let check = p.run(&db, &["check"]).code(2);
    assert!(check.stdout.contains("[duplicate-version]"), "{}", check.stdout);
    assert!(
        check.stdout.contains("20250102000000_add_tags.sql") && check.stdout.contains("20250102000000_add_color.sql")
    );
    let status = p.run(&db, &["status", "--no-catalog"]).code(2);
    assert!(status.stdout.contains("duplicate version: 20250102000000"), "{}", status.stdout);
    p.run(&db, &["apply"]).code(1);

    let repair = p.run(&db, &["repair", "--renumber"]).ok();
    assert!(repair.stdout.contains("renamed 20250102000000_add_color.sql ->"), "{}", repair.stdout);
    // The applied file kept its version.
    assert!(p.path().join("generated/20250102000000_add_tags.sql").exists());
    p.run(&db, &["apply"]).ok();
    p.write(
        "schema/notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, tags text[], color text);\n",
    );
    healthy(&p, &db, ROWS, KEPT);
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.history_log WHERE action = 'renumber'"), "1");
}

#[test]
fn stray_backup_and_skip_files_are_listed_never_applied() {
    let (p, db) = started("h_stray");
    p.write("generated/20250101000000_create_notes.sql.backup", "DROP TABLE notes;\n");
    p.write("generated/20250103000000_wip.sql.skip", "DROP TABLE notes;\n");
    let check = p.run(&db, &["check", "--format", "json"]).code(2);
    let v: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    let strays: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "stray-file")
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(strays, ["generated/20250101000000_create_notes.sql.backup", "generated/20250103000000_wip.sql.skip"]);
    let apply = p.run(&db, &["apply"]).ok();
    assert!(apply.stdout.contains("skipping 20250103000000_wip.sql.skip"), "{}", apply.stdout);
    std::fs::remove_file(p.path().join("generated/20250101000000_create_notes.sql.backup")).unwrap();
    std::fs::remove_file(p.path().join("generated/20250103000000_wip.sql.skip")).unwrap();
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn local_file_older_than_the_newest_applied_is_renumbered() {
    let (p, db) = started("h_order");
    p.write("generated/20250103000000_add_tags.sql", "ALTER TABLE notes ADD COLUMN IF NOT EXISTS tags text[];\n");
    p.run(&db, &["hash"]).ok();
    p.run(&db, &["apply"]).ok();
    // Written earlier on a branch, merged after a later version was deployed.
    p.write("generated/20250102000000_add_color.sql", "ALTER TABLE notes ADD COLUMN IF NOT EXISTS color text;\n");
    p.run(&db, &["hash"]).ok();
    let status = p.run(&db, &["status", "--no-catalog"]).code(2);
    assert!(status.stdout.contains("out_of_order     20250102000000 add_color"), "{}", status.stdout);
    p.run(&db, &["apply"]).code(1);
    p.run(&db, &["repair", "--renumber"]).ok();
    assert!(!p.path().join("generated/20250102000000_add_color.sql").exists());
    p.run(&db, &["apply"]).ok();
    p.write(
        "schema/notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, tags text[], color text);\n",
    );
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn versions_only_in_the_database_are_forgotten_only_when_nothing_depends_on_them() {
    let (p, db) = started("h_remote");
    // A row whose file is gone and whose effects are live: forgetting it would lie.
    db.exec(
        "ALTER TABLE notes ADD COLUMN color text;
         INSERT INTO schemaspec.schema_migrations (version, name, checksum, success) VALUES ('20250105000000', 'add_color', 'x', true);",
    );
    let status = p.run(&db, &["status", "--no-catalog"]).code(2);
    assert!(status.stdout.contains("missing_locally  20250105000000 add_color"), "{}", status.stdout);
    let refused = p.run(&db, &["repair", "--forget", "20250105000000"]).code(1);
    assert!(
        refused.stderr.contains("cannot forget 20250105000000") && refused.stderr.contains("color"),
        "{}",
        refused.stderr
    );
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.schema_migrations"), "2", "a refused repair changes nothing");
    // Once the column is handled (here: it was a mistake, dropped), the row can go.
    db.exec("ALTER TABLE notes DROP COLUMN color;");
    p.run(&db, &["repair", "--forget", "20250105000000"]).ok();
    assert_eq!(
        db.query("SELECT count(*) FROM schemaspec.schema_migrations_archive WHERE version = '20250105000000'"),
        "1"
    );
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn edits_count_only_when_the_sql_changes() {
    let (p, db) = started("h_edit");
    let f = "generated/20250101000000_create_notes.sql";
    // Comments, blank lines and CRLF line endings: not a modification.
    let original = p.read(f);
    p.write(f, &format!("-- reviewed\r\n\r\n{}", original.replace('\n', "\r\n")));
    healthy(&p, &db, ROWS, KEPT);
    p.write(f, "CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);\n");
    let status = p.run(&db, &["status", "--no-catalog"]).code(2);
    assert!(status.stdout.contains("modified         20250101000000 create_notes"), "{}", status.stdout);
    let check = p.run(&db, &["check"]).code(2);
    assert!(check.stdout.contains("[sum-mismatch]"), "{}", check.stdout);
    let apply = p.run(&db, &["apply"]).code(1);
    assert!(apply.stderr.contains("schemaspec.sum does not match"), "{}", apply.stderr);
    p.write(f, &original);
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn half_applied_non_idempotent_migration_is_fixed_and_finished() {
    let (p, db) = started("h_idem");
    let f = "generated/20250102000000_audit.sql";
    p.write(
        f,
        "CREATE TABLE audit_results_chunks (id int PRIMARY KEY, owner text NOT NULL);\n\
         ALTER TABLE audit_results_chunks ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY \"Users can read own audit chunks\" ON audit_results_chunks FOR SELECT USING (owner = current_user);\n\
         CREATE INDEX audit_owner ON audit_results_chunks (owner);\n",
    );
    p.run(&db, &["hash"]).ok();
    // Someone ran the first statements by hand; rows went in since.
    db.exec(
        "CREATE TABLE audit_results_chunks (id int PRIMARY KEY, owner text NOT NULL);
         ALTER TABLE audit_results_chunks ENABLE ROW LEVEL SECURITY;
         CREATE POLICY \"Users can read own audit chunks\" ON audit_results_chunks FOR SELECT USING (owner = current_user);
         INSERT INTO audit_results_chunks VALUES (7, 'alice');",
    );
    let apply = p.run(&db, &["apply"]).code(1);
    assert!(apply.stderr.contains("20250102000000_audit.sql:1"), "{}", apply.stderr);
    let check = p.run(&db, &["check"]).code(2);
    for line in [":1: [non-idempotent]", ":3: [non-idempotent]", ":4: [non-idempotent]"] {
        assert!(check.stdout.contains(&format!("{f}{line}")), "{line}\n{}", check.stdout);
    }
    p.run(&db, &["check", "--fix"]).code(0);
    assert!(p.read(f).contains("DROP POLICY IF EXISTS \"Users can read own audit chunks\""), "{}", p.read(f));
    p.run(&db, &["apply"]).ok();
    p.write(
        "schema/audit.sql",
        "CREATE TABLE audit_results_chunks (id int PRIMARY KEY, owner text NOT NULL);\n\
         ALTER TABLE audit_results_chunks ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY \"Users can read own audit chunks\" ON audit_results_chunks FOR SELECT USING (owner = current_user);\n\
         CREATE INDEX audit_owner ON audit_results_chunks (owner);\n",
    );
    healthy(&p, &db, ROWS, KEPT);
    assert_eq!(db.query("SELECT owner FROM audit_results_chunks WHERE id = 7"), "alice");
}

#[test]
fn meta_commands_are_found_with_their_line_and_never_sent() {
    let (p, db) = started("h_meta");
    let f = "generated/20250102000000_tags.sql";
    p.write(f, "ALTER TABLE notes ADD COLUMN IF NOT EXISTS tags text[];\n\\d notes\n");
    p.run(&db, &["hash"]).ok();
    let check = p.run(&db, &["check", "--format", "github"]).code(2);
    assert!(check.stdout.contains(&format!("::error file={f},line=2,title=meta-command::")), "{}", check.stdout);
    let apply = p.run(&db, &["apply"]).code(1);
    assert!(apply.stderr.contains("20250102000000_tags.sql:2: psql meta-command `\\d notes`"), "{}", apply.stderr);
    assert_eq!(db.query("SELECT count(*) FROM information_schema.columns WHERE column_name = 'tags'"), "0");
    p.write(f, "ALTER TABLE notes ADD COLUMN IF NOT EXISTS tags text[];\n");
    p.run(&db, &["apply"]).ok();
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, tags text[]);\n");
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn partially_applied_no_transaction_file_is_resumed() {
    let (p, db) = started("h_partial");
    let f = "generated/20250102000000_index.sql";
    let content = "-- schemaspec:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS notes_body ON notes (body);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS notes_len ON notes (length(body));\n";
    p.write(f, content);
    p.run(&db, &["hash"]).ok();
    // A deploy died after the first index: its row says started, not finished.
    let sum = schemaspec::history::LocalMigration::new("20250102000000_index.sql", content.into()).unwrap();
    db.exec(&format!(
        "CREATE INDEX notes_body ON notes (body);
         INSERT INTO schemaspec.schema_migrations (version, name, checksum, success) VALUES ('20250102000000', 'index', '{}', false);",
        sum.checksum
    ));
    let status = p.run(&db, &["status", "--no-catalog"]).code(2);
    assert!(status.stdout.contains("failed           20250102000000 index"), "{}", status.stdout);
    // Not fully applied: marking it applied is refused with the reason.
    let refused = p.run(&db, &["repair", "--mark-applied", "20250102000000"]).code(1);
    assert!(refused.stderr.contains("notes_len"), "{}", refused.stderr);
    p.run(&db, &["repair", "--mark-unapplied", "20250102000000"]).ok();
    p.run(&db, &["apply"]).ok();
    p.write(
        "schema/notes.sql",
        &format!("{NOTES}CREATE INDEX notes_body ON notes (body);\nCREATE INDEX notes_len ON notes (length(body));\n"),
    );
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn migration_using_a_later_one_is_reordered() {
    let (p, db) = started("h_forward");
    p.write(
        "generated/20250102000000_view.sql",
        "CREATE OR REPLACE VIEW tagged AS SELECT n.id, t.tag FROM notes n JOIN note_tags t ON t.note_id = n.id;\n",
    );
    p.write(
        "generated/20250103000000_tags.sql",
        "CREATE TABLE IF NOT EXISTS note_tags (note_id int REFERENCES notes, tag text NOT NULL);\n",
    );
    p.run(&db, &["hash"]).ok();
    let check = p.run(&db, &["check"]).code(2);
    assert!(
        check.stdout.contains("generated/20250102000000_view.sql:1: [forward-reference] uses note_tags, which only the later migration 20250103000000_tags.sql creates"),
        "{}",
        check.stdout
    );
    p.run(&db, &["repair", "--renumber"]).ok();
    assert!(!p.path().join("generated/20250102000000_view.sql").exists());
    p.run(&db, &["apply"]).ok();
    p.write(
        "schema/tags.sql",
        "CREATE TABLE note_tags (note_id int REFERENCES notes, tag text NOT NULL);\n\
         CREATE VIEW tagged AS SELECT n.id, t.tag FROM notes n JOIN note_tags t ON t.note_id = n.id;\n",
    );
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn manual_edits_are_reported_as_drift_and_adopted() {
    let (p, db) = started("h_drift");
    db.exec("ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false; CREATE INDEX notes_pinned ON notes (pinned);");
    let drift = p.run(&db, &["drift"]).code(2);
    assert!(drift.stdout.contains("== table public.notes"), "{}", drift.stdout);
    assert!(drift.stdout.contains("+    pinned boolean DEFAULT false NOT NULL"), "{}", drift.stdout);
    assert!(drift.stdout.contains("DROP INDEX IF EXISTS public.notes_pinned"), "{}", drift.stdout);
    let status = p.run(&db, &["status"]).code(2);
    assert!(status.stdout.contains("Catalog: 1 object group(s) drifted"), "{}", status.stdout);
    // Keep the change: desired state, a migration for it, recorded after proof.
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, pinned boolean NOT NULL DEFAULT false);\nCREATE INDEX notes_pinned ON notes (pinned);\n");
    p.run(&db, &["generate", "--from-history"]).ok();
    // The column, then the index built concurrently in a file of its own: both recorded.
    let new: Vec<String> = p
        .migrations()
        .iter()
        .map(|m| m.file_name().unwrap().to_string_lossy()[..14].to_string())
        .filter(|v| !v.starts_with("2025"))
        .collect();
    assert_eq!(new.len(), 2, "{new:?}");
    for version in &new {
        p.run(&db, &["repair", "--mark-applied", version]).ok();
    }
    p.run(&db, &["drift"]).ok();
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn supabase_history_and_folder_are_imported_with_every_mismatch_reported() {
    let db = TestDb::new("h_import");
    let p = Project::new();
    // Supabase's own history schema is not the application's.
    p.write("schemaspec.toml", "exclude_schemas = [\"supabase_migrations\", \"sqlx\"]\n");
    p.write("supabase/migrations/20240101000000_init.sql", NOTES);
    p.write("supabase/migrations/20240102000000_tags.sql", "ALTER TABLE notes ADD COLUMN tags text[];\n");
    p.write("supabase/migrations/20240102000000_tags.sql.skip", "DROP TABLE notes;\n");
    db.exec(&format!(
        "{NOTES} ALTER TABLE notes ADD COLUMN tags text[];
         INSERT INTO notes VALUES (1, 'keep me'), (2, 'me too');
         CREATE SCHEMA supabase_migrations;
         CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, statements text[], name text);
         INSERT INTO supabase_migrations.schema_migrations VALUES
           ('20240101000000', ARRAY['CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)'], 'init'),
           ('20240102000000', ARRAY['ALTER TABLE notes ADD COLUMN tags text[]'], 'tags'),
           ('20240103000000', ARRAY['SELECT 1'], 'lost');
         CREATE SCHEMA sqlx;
         CREATE TABLE sqlx._sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL, success boolean NOT NULL);
         INSERT INTO sqlx._sqlx_migrations VALUES (20240101000000, 'init', true);"
    ));
    let import = p.run(&db, &["import", "--from", "supabase,sqlx", "--dir", "supabase/migrations"]).code(2);
    assert!(import.stdout.contains("recorded 3 row(s)"), "{}", import.stdout);
    assert!(import.stdout.contains("mismatch: version 20240101000000 is recorded by both"), "{}", import.stdout);
    assert!(import.stdout.contains("20240102000000_tags.sql.skip (not a .sql file"), "{}", import.stdout);
    assert!(p.path().join("generated/20240102000000_tags.sql").exists());
    // The remote-only version comes back from the statements Supabase recorded.
    assert!(
        import.stdout.contains("restored 20240103000000_lost.sql from supabase_migrations.schema_migrations"),
        "{}",
        import.stdout
    );
    assert!(p.read("generated/20240103000000_lost.sql").ends_with("SELECT 1;\n"));
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, tags text[]);\n");
    // Import again: nothing new, nothing doubled.
    p.run(&db, &["import", "--from", "supabase", "--dir", "supabase/migrations"]).ok();
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.schema_migrations"), "3");
    healthy(&p, &db, ROWS, KEPT);
    // A version whose file went missing here comes back from the text the tracking table
    // recorded when it was applied.
    let lost = p.read("generated/20240103000000_lost.sql");
    std::fs::remove_file(p.path().join("generated/20240103000000_lost.sql")).unwrap();
    p.run_raw(&["hash"]).ok();
    let s = p.run(&db, &["status"]).code(2);
    assert!(s.stdout.contains("`schemaspec repair --restore 20240103000000`"), "{}", s.stdout);
    p.run(&db, &["repair", "--restore", "20240103000000"]).ok();
    assert_eq!(p.read("generated/20240103000000_lost.sql"), lost);
    healthy(&p, &db, ROWS, KEPT);
}

#[test]
fn baseline_replaces_a_history_that_cannot_be_replayed() {
    let (p, db) = started("h_base");
    // A migration that only worked on the database it was written against.
    p.write("generated/20250102000000_big.sql", "ALTER TABLE notes ADD COLUMN IF NOT EXISTS extra text;\nALTER TABLE missing_elsewhere ADD COLUMN IF NOT EXISTS y int;\n");
    p.run(&db, &["hash"]).ok();
    db.exec("CREATE TABLE missing_elsewhere (x int);");
    p.run(&db, &["apply"]).ok();
    for i in 0..60 {
        db.exec(&format!("CREATE TABLE t{i} (id int PRIMARY KEY, note_id int REFERENCES notes, v text); CREATE INDEX t{i}_v ON t{i} (v);"));
    }
    let status = p.run(&db, &["status"]).code(2);
    assert!(status.stdout.contains("Catalog: not compared"), "{}", status.stdout);
    let baseline = p.run(&db, &["baseline", "--archive-files"]).ok();
    assert!(baseline.stdout.contains("proved to rebuild the live schema from empty"), "{}", baseline.stdout);
    for f in p.migrations() {
        assert!(std::fs::read_to_string(&f).unwrap().lines().count() <= 200, "{} too long", f.display());
    }
    assert!(p.path().join("generated/archive/20250102000000_big.sql").exists());
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.schema_migrations_archive"), "2");
    // The schema files are the live schema, as `dump` writes it.
    std::fs::remove_file(p.path().join("schema/notes.sql")).unwrap();
    p.run(&db, &["dump"]).ok();
    healthy(&p, &db, ROWS, KEPT);
    // A fresh environment replays the baseline alone and gets the same schema.
    let fresh = TestDb::new("h_base_fresh");
    p.run(&fresh, &["apply"]).ok();
    p.run(&fresh, &["plan", "--exit-code"]).ok();
}

#[test]
fn dump_then_plan_is_empty() {
    let db = TestDb::new("h_dump");
    db.exec(
        "CREATE TYPE mood AS ENUM ('ok', 'sad');
         CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, mood mood);
         CREATE TABLE pets (id int PRIMARY KEY, owner int REFERENCES people, name text);
         CREATE INDEX pets_owner ON pets (owner);
         CREATE VIEW named AS SELECT p.name, q.name AS pet FROM people p JOIN pets q ON q.owner = p.id;
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER pets_touch BEFORE UPDATE ON pets FOR EACH ROW EXECUTE FUNCTION touch();
         ALTER TABLE people ENABLE ROW LEVEL SECURITY;
         CREATE POLICY mine ON people USING (name = current_user);
         COMMENT ON TABLE people IS 'humans';",
    );
    let p = Project::new();
    p.run(&db, &["dump"]).ok();
    let files: Vec<_> = std::fs::read_dir(p.path().join("schema")).unwrap().flatten().collect();
    assert!(files.len() >= 4, "one file per object group");
    let all: String = files.iter().map(|f| std::fs::read_to_string(f.path()).unwrap()).collect();
    assert!(!all.contains("DO $schemaspec$"), "dumped files are plain SQL:\n{all}");
    p.run(&db, &["plan", "--exit-code"]).ok();
    // Dumping again over files needs --force.
    p.run(&db, &["dump"]).code(1);
    p.run(&db, &["dump", "--force"]).ok();
}

#[test]
fn flyway_history_with_numeric_versions_is_imported() {
    let db = TestDb::new("h_flyway");
    let p = Project::new();
    p.write("db/migration/V1__create_notes.sql", NOTES);
    p.write("db/migration/V2__add_tags.sql", "ALTER TABLE notes ADD COLUMN tags text[];\n");
    p.write("db/migration/V2.1__hotfix.sql", "SELECT 1;\n");
    db.exec(&format!(
        "{NOTES} ALTER TABLE notes ADD COLUMN tags text[];
         INSERT INTO notes VALUES (1, 'keep me'), (2, 'me too');
         CREATE TABLE public.flyway_schema_history (installed_rank int PRIMARY KEY, version text, description text NOT NULL,
           type text NOT NULL, script text NOT NULL, checksum int, installed_by text NOT NULL,
           installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL);
         INSERT INTO public.flyway_schema_history VALUES
           (1, '1', 'create notes', 'SQL', 'V1__create_notes.sql', 1, 'me', now(), 5, true),
           (2, '2', 'add tags', 'SQL', 'V2__add_tags.sql', 2, 'me', now(), 5, true);"
    ));
    let import = p.run(&db, &["import", "--from", "flyway", "--dir", "db/migration"]).code(2);
    assert!(import.stdout.contains("recorded 2 row(s)"), "{}", import.stdout);
    assert!(
        import.stdout.contains("V2.1__hotfix.sql: not imported: version \"2.1\" has no 14-digit form"),
        "{}",
        import.stdout
    );
    assert!(p.path().join("generated/00000000000001_create_notes.sql").exists());
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, tags text[]);\n");
    // Flyway's own table stays in public, unmanaged: no plan drops it.
    healthy(&p, &db, ROWS, KEPT);
    assert_eq!(db.query("SELECT count(*) FROM public.flyway_schema_history"), "2");
}
