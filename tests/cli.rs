//! The commands as a user runs them: output, files and exit codes.

mod common;

use common::{Project, Run, TestDb};
use std::os::unix::fs::PermissionsExt;

const SCHEMA: &str = "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);\n";

#[test]
fn init_scaffolds_and_never_overwrites() {
    let p = Project::new();
    std::fs::remove_dir_all(p.path().join("schema")).unwrap();
    std::fs::remove_file(p.path().join("schemaspec.toml")).unwrap();
    let first = p.run_raw(&["init"]).ok();
    assert!(first.stdout.contains("created schemaspec.toml"), "{}", first.stdout);
    assert!(p.path().join("schema/schema.sql").exists());
    assert!(p.path().join("generated").is_dir());
    assert!(p.read(".gitignore").contains(".schemaspec/"));
    p.write("schemaspec.toml", "# mine\n");
    let second = p.run_raw(&["init"]).ok();
    assert!(second.stdout.contains("exists  schemaspec.toml"), "{}", second.stdout);
    assert_eq!(p.read("schemaspec.toml"), "# mine\n");
    assert_eq!(p.read(".gitignore").matches(".schemaspec/").count(), 1);
}

#[test]
fn plan_exit_codes_follow_the_contract() {
    let db = TestDb::new("cli_plan");
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    let changes = p.run(&db, &["plan", "--exit-code"]).code(2);
    assert!(changes.stdout.starts_with("Plan: 2 changes"), "{}", changes.stdout);
    assert!(changes.stdout.contains("CREATE TABLE IF NOT EXISTS public.notes"), "{}", changes.stdout);
    // Without --exit-code a plan with changes still succeeds.
    p.run(&db, &["plan"]).ok();
    db.exec(SCHEMA);
    let none = p.run(&db, &["plan", "--exit-code"]).ok();
    assert_eq!(none.stdout.trim(), "No changes: the database matches the schema.");
}

#[test]
fn plan_json_is_machine_readable() {
    let db = TestDb::new("cli_json");
    let p = Project::new();
    db.exec("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, old text);");
    p.write("schema/notes.sql", SCHEMA);
    let out = p.run(&db, &["plan", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(v["changes"], 1);
    assert_eq!(v["hazards"][0], "deletes_data");
    assert_eq!(v["steps"][0]["description"], "drop column public.notes.old");
    assert_eq!(v["steps"][0]["statements"][0], "ALTER TABLE public.notes DROP COLUMN IF EXISTS old;");
}

#[test]
fn generate_apply_status_round_trip() {
    let db = TestDb::new("cli_cycle");
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    let gen = p.run(&db, &["generate"]).ok();
    assert!(gen.stdout.contains("proved on a scratch database"), "{}", gen.stdout);
    let files = p.migrations();
    assert_eq!(files.len(), 1);
    assert!(p.read("generated/schemaspec.sum").starts_with("h1:"));

    // Pending files are the normal state before a deploy: exit 0.
    let pending = p.run(&db, &["status"]).ok();
    assert!(pending.stdout.contains("0 applied, 1 pending"), "{}", pending.stdout);

    let applied = p.run(&db, &["apply"]).ok();
    assert!(applied.stdout.contains("1 migration(s) applied."), "{}", applied.stdout);
    assert_eq!(
        db.query("SELECT count(*) FROM schemaspec.schema_migrations WHERE success AND execution_time_ms IS NOT NULL"),
        "1"
    );
    let row = db.query("SELECT name || ' ' || length(checksum) || ' ' || (applied_by = current_user) FROM schemaspec.schema_migrations");
    assert!(row.ends_with(" 64 true"), "{row}");

    let clean = p.run(&db, &["status", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&clean.stdout).unwrap();
    assert_eq!(v["clean"], true);
    assert_eq!(v["migrations"][0]["state"], "applied");

    // A second apply has nothing to do; a second generate has nothing to write.
    assert!(p.run(&db, &["apply"]).ok().stdout.contains("Nothing to apply"));
    assert!(p.run(&db, &["generate"]).ok().stdout.contains("No changes"));
    assert_eq!(p.migrations().len(), 1);
}

#[test]
fn generate_refuses_data_loss_without_consent() {
    let db = TestDb::new("cli_hazard");
    db.exec("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, old text); INSERT INTO notes VALUES (1, 'x', 'y');");
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    let refused = p.run(&db, &["generate"]).code(1);
    assert!(refused.stderr.contains("deletes_data: drop column public.notes.old"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--allow-hazards"), "{}", refused.stderr);
    assert!(p.migrations().is_empty(), "nothing may be written");
    p.run(&db, &["generate", "--allow-hazards", "deletes_data"]).ok();
    let header = std::fs::read_to_string(&p.migrations()[0]).unwrap();
    assert!(header.contains("-- hazards: deletes_data"), "{header}");
}

#[test]
fn versions_stay_unique_when_generating_twice_in_one_second() {
    let db = TestDb::new("cli_versions");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE a (id int);\n");
    p.run(&db, &["generate", "--from-history"]).ok();
    p.write("schema/a.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");
    p.run(&db, &["generate", "--from-history"]).ok();
    let names: Vec<String> =
        p.migrations().iter().map(|f| f.file_name().unwrap().to_string_lossy()[..14].to_string()).collect();
    assert_eq!(names.len(), 2);
    assert!(names[0] < names[1], "{names:?}");
}

#[test]
fn enum_additions_get_a_file_of_their_own_outside_a_transaction() {
    let db = TestDb::new("cli_enum");
    db.exec("CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE t (m mood);");
    let p = Project::new();
    p.write("schema/s.sql", "CREATE TYPE mood AS ENUM ('ok', 'great');\nCREATE TABLE t (m mood DEFAULT 'great');\n");
    p.run(&db, &["generate"]).ok();
    let files: Vec<String> = p.migrations().iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].starts_with("-- schemaspec:no-transaction\n"), "{}", files[0]);
    assert!(files[0].contains("ADD VALUE IF NOT EXISTS 'great' AFTER 'ok'"));
    assert!(!files[1].contains("no-transaction"));
    p.run(&db, &["apply"]).ok();
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.schema_migrations WHERE success"), "2");
    p.run(&db, &["plan", "--exit-code"]).ok();
}

/// What users read: the plan text and a generated file, byte for byte.
#[test]
fn plan_and_file_output_snapshots() {
    let db = TestDb::new("cli_snap");
    db.exec(
        "CREATE TABLE accounts (id int PRIMARY KEY, email text, legacy text);
         CREATE VIEW emails AS SELECT id, email FROM accounts;",
    );
    let p = Project::new();
    p.write(
        "schema/app.sql",
        "CREATE TABLE accounts (id int PRIMARY KEY, email varchar(200) NOT NULL, created_at timestamptz DEFAULT now());
         CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));
         CREATE VIEW emails AS SELECT id, email FROM accounts;
         COMMENT ON TABLE accounts IS 'people who sign in';",
    );
    // PostgreSQL prints view definitions differently from version 16 on: one snapshot
    // per major version.
    let major = db.query("SELECT current_setting('server_version_num')::int / 10000");
    let plan = p.run(&db, &["plan"]).ok();
    insta::with_settings!({ snapshot_suffix => format!("pg{major}") }, {
        insta::assert_snapshot!("plan_text", plan.stdout);
    });
    p.run(&db, &["generate", "--allow-hazards", "all"]).ok();
    let files: Vec<String> = p.migrations().iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    insta::with_settings!({ snapshot_suffix => format!("pg{major}") }, {
        insta::assert_snapshot!("generated_files", files.join("\n==== next file ====\n"));
    });
}

/// A Supabase-style project: the platform's `auth` schema is not managed (excluded), yet
/// the schema files reference `auth.users` and `auth.uid()`. Loading the desired state
/// takes exactly those from the database, and nothing in `auth` is ever planned.
#[test]
fn platform_objects_the_files_use_but_do_not_manage() {
    let db = TestDb::new("cli_platform");
    db.exec(
        "CREATE SCHEMA auth;
         CREATE TYPE auth.aal_level AS ENUM ('aal1', 'aal2');
         CREATE TABLE auth.users (id uuid PRIMARY KEY, email text UNIQUE, aal auth.aal_level);
         CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
         INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com', 'aal1');",
    );
    let p = Project::new();
    p.write(
        "schema/profiles.sql",
        "CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, bio text);
         ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
         CREATE POLICY own_profile ON profiles USING (auth.uid() = id);",
    );
    let plan = p.run(&db, &["--exclude-schema", "auth", "plan"]).ok();
    assert!(plan.stdout.contains("note: the schema files use table auth.users without creating it"), "{}", plan.stdout);
    assert!(plan.stdout.contains("note: the schema files use function auth.uid()"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("DROP"), "nothing of auth may be dropped:\n{}", plan.stdout);
    p.run(&db, &["--exclude-schema", "auth", "generate"]).ok();
    p.run(&db, &["--exclude-schema", "auth", "apply"]).ok();
    p.run(&db, &["--exclude-schema", "auth", "plan", "--exit-code"]).ok();
    assert_eq!(db.query("SELECT count(*) FROM auth.users"), "1");
    assert_eq!(db.query("SELECT count(*) FROM pg_policy WHERE polname = 'own_profile'"), "1");
}

/// Ownership is managed only when asked for, and then only where the files name an owner.
#[test]
fn ownership_is_opt_in() {
    let db = TestDb::new("cli_owner");
    db.exec(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schemaspec_test_owner') THEN CREATE ROLE schemaspec_test_owner; END IF; END $$;
         CREATE TABLE reports (id int); CREATE TABLE other (id int);",
    );
    let p = Project::new();
    p.write(
        "schema/s.sql",
        "CREATE TABLE reports (id int); ALTER TABLE reports OWNER TO schemaspec_test_owner; CREATE TABLE other (id int);",
    );
    p.run(&db, &["plan", "--exit-code"]).ok();
    let plan = p.run(&db, &["--manage-ownership", "plan", "--exit-code"]).code(2);
    assert!(plan.stdout.contains("ALTER TABLE public.reports OWNER TO schemaspec_test_owner;"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("public.other"), "{}", plan.stdout);
    p.run(&db, &["--manage-ownership", "generate"]).ok();
    p.run(&db, &["--manage-ownership", "apply"]).ok();
    assert_eq!(db.query("SELECT relowner::regrole FROM pg_class WHERE relname = 'reports'"), "schemaspec_test_owner");
    p.run(&db, &["--manage-ownership", "plan", "--exit-code"]).ok();
}

/// The desired-state cache: a second plan with unchanged files reads the cache, and any
/// change to a file (here one byte of a default) misses it and is planned.
#[test]
fn desired_state_cache_is_used_and_never_stale() {
    let db = TestDb::new("cli_cache");
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    db.exec(SCHEMA);
    let first = p.run(&db, &["plan", "--exit-code"]).ok();
    assert!(first.stdout.contains("No changes"), "{}", first.stdout);
    assert!(p.path().join(".schemaspec/cache/desired.bin").exists(), "the cache was written");
    let warm = common::timed(&mut p.command(&db, &["plan", "--exit-code"])).ok();
    assert!(warm.stderr.contains("desired_from_cache"), "a warm plan reads the cache: {}", warm.stderr);
    assert!(warm.stdout.contains("No changes"), "{}", warm.stdout);
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL DEFAULT 'x');\n");
    let changed = p.run(&db, &["plan", "--exit-code"]).code(2);
    assert!(changed.stdout.contains("SET DEFAULT 'x'"), "{}", changed.stdout);
    // A corrupt entry is a miss, not an error.
    p.write(".schemaspec/cache/desired.bin", "garbage");
    p.run(&db, &["plan", "--exit-code"]).code(2);
}

/// Issue #20: the replay cache. A second `status` or `drift` over the same applied
/// history replays nothing; a `status` whose live catalog is unchanged since it last
/// matched (the same fingerprint) does not even read it again. Drift made by hand is
/// found whatever the catalog row it writes (added, updated, deleted), and a newly
/// applied file (or a corrupt entry) misses the cache.
#[test]
fn replay_cache_serves_status_and_drift_and_never_hides_a_change() {
    let db = TestDb::new("cli_replay_cache");
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    p.run(&db, &["status"]).ok();
    assert!(p.path().join(".schemaspec/cache/replay.bin").exists(), "the replay was cached");
    let timed = |args: &[&str]| common::timed(&mut p.command(&db, args));
    let warm = timed(&["status"]).ok();
    assert!(warm.stderr.contains("drift_clean_from_cache"), "an unchanged catalog is not read again: {}", warm.stderr);
    assert!(warm.stdout.contains("Catalog: matches the applied migrations"), "{}", warm.stdout);
    // drift also compares the schema files, so it reads the live side: the replay is cached.
    assert!(timed(&["drift"]).ok().stderr.contains("replay_from_cache"));

    for (change, undo) in [
        ("CREATE TABLE by_hand (id int)", "DROP TABLE by_hand"),
        ("ALTER TABLE notes ALTER COLUMN body SET DEFAULT 'x'", "ALTER TABLE notes ALTER COLUMN body DROP DEFAULT"),
        ("ALTER TABLE notes ALTER COLUMN body DROP NOT NULL", "ALTER TABLE notes ALTER COLUMN body SET NOT NULL"),
        ("COMMENT ON TABLE notes IS 'by hand'", "COMMENT ON TABLE notes IS NULL"),
        ("GRANT SELECT ON notes TO PUBLIC", "REVOKE SELECT ON notes FROM PUBLIC"),
        ("ALTER TABLE notes DROP CONSTRAINT notes_pkey", "ALTER TABLE notes ADD PRIMARY KEY (id)"),
    ] {
        assert!(timed(&["status"]).ok().stderr.contains("drift_clean_from_cache"), "before {change}");
        db.exec(change);
        let drifted = timed(&["status"]).code(2);
        assert!(!drifted.stderr.contains("drift_clean_from_cache"), "{change}: {}", drifted.stderr);
        assert!(
            drifted.stdout.contains("drifted: table public.notes") || change.contains("by_hand"),
            "{change}: {}",
            drifted.stdout
        );
        timed(&["drift"]).code(2);
        db.exec(undo);
        // Undone: clean again (from the verdict when the catalog holds the very rows it
        // held, as after a table made and dropped; else compared anew).
        let undone = timed(&["status"]).ok();
        assert!(undone.stdout.contains("Catalog: matches the applied migrations"), "after {undo}: {}", undone.stdout);
    }

    p.write("schema/notes.sql", &format!("{SCHEMA}CREATE INDEX notes_body ON notes (body);\n"));
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    let after_apply = timed(&["status"]).ok();
    assert!(!after_apply.stderr.contains("replay_from_cache"), "a new file misses: {}", after_apply.stderr);
    p.write(".schemaspec/cache/replay.bin", "garbage");
    let corrupt = timed(&["status"]).ok();
    assert!(!corrupt.stderr.contains("replay_from_cache"), "{}", corrupt.stderr);
    assert!(corrupt.stdout.contains("Catalog: matches the applied migrations"), "{}", corrupt.stdout);
}

/// Issue #20: a `status` served by a clean verdict (the catalog's fingerprint unchanged)
/// still lists what the database holds of kinds schemaspec does not manage: the list is
/// kept with the verdict. The verdict is looked up without the dev server.
#[test]
fn a_clean_verdict_keeps_what_is_not_managed() {
    let db = TestDb::new("cli_verdict_unmodeled");
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    p.run(&db, &["generate"]).ok();
    p.write(
        "generated/20990101000000_conversion.sql",
        "CREATE CONVERSION latin_to_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;\n",
    );
    p.run_raw(&["hash"]).ok();
    p.run(&db, &["apply"]).ok();
    let listed = "conversion public.latin_to_utf8";
    let first = p.run(&db, &["status"]).ok();
    assert!(first.stdout.contains(listed) && first.stdout.contains("Catalog: matches"), "{}", first.stdout);
    // A dev server that cannot be reached: the verdict needs none.
    let warm = common::timed(p.bare_command().args([
        "--database-url",
        &db.url,
        "--dev-url",
        "postgresql://nobody@/nowhere?host=/nonexistent",
        "status",
    ]))
    .ok();
    assert!(warm.stderr.contains("drift_clean_from_cache"), "{}", warm.stderr);
    assert!(warm.stdout.contains(listed), "kept with the verdict: {}", warm.stdout);
    assert_eq!(warm.stdout, first.stdout);
    // Every cache file (the verdicts, the fingerprint with its state, the files'
    // checksums, the replay) is its owner's alone: what they hold comes from databases.
    let cached: Vec<(String, u32)> = std::fs::read_dir(p.path().join(".schemaspec/cache"))
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().to_string(), e.metadata().unwrap().permissions().mode() & 0o777))
        .collect();
    for name in ["clean", "catalogs", "checksums", "replay.bin"] {
        assert!(cached.iter().any(|(n, _)| n == name), "{name} in {cached:?}");
    }
    assert!(cached.iter().all(|(_, mode)| mode & 0o077 == 0), "{cached:?}");
}

/// Issue #20: a `plan` against a database whose catalog has not changed since the last
/// one reads the live catalog from the cache (keyed by the catalog's fingerprint, taken
/// before it is read); every kind of change by hand misses it and is planned, and a
/// corrupt entry is a miss. A catalog read back from the cache is the catalog read.
#[test]
fn live_cache_serves_an_unchanged_database_and_never_hides_a_change() {
    const RICH: &str = "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);\n\
        CREATE INDEX notes_body ON notes (body);\n\
        CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM notes $$;\n\
        CREATE VIEW note_bodies AS SELECT body FROM notes;\n\
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
        CREATE POLICY notes_all ON notes USING (true);\n";
    let db = TestDb::new("cli_live_cache");
    let p = Project::new();
    p.write("schema/notes.sql", RICH);
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    let timed = |args: &[&str]| common::timed(&mut p.command(&db, args));
    let first = timed(&["plan", "--exit-code"]).ok();
    assert!(!first.stderr.contains("live_from_cache"), "nothing cached yet: {}", first.stderr);
    assert!(p.path().join(".schemaspec/cache/live.bin").exists(), "the live catalog was cached");
    let warm = timed(&["plan", "--exit-code"]).ok();
    assert!(warm.stderr.contains("live_from_cache"), "an unchanged catalog is not read again: {}", warm.stderr);
    assert!(warm.stdout.contains("No changes"), "{}", warm.stdout);
    // Transactions that change no catalog (rows written, ids taken) leave the fingerprint
    // as it was, though every id's age has grown.
    for k in 0..5 {
        db.exec(&format!("INSERT INTO notes VALUES ({k}, 'row'); SELECT pg_catalog.txid_current()"));
    }
    let still = timed(&["plan", "--exit-code"]).ok();
    assert!(still.stderr.contains("live_from_cache"), "rows and ids are not the catalog: {}", still.stderr);

    for (change, undo) in [
        ("CREATE TABLE by_hand (id int)", "DROP TABLE by_hand"),
        ("ALTER TABLE notes ALTER COLUMN body SET DEFAULT 'x'", "ALTER TABLE notes ALTER COLUMN body DROP DEFAULT"),
        ("ALTER TABLE notes ALTER COLUMN body DROP NOT NULL", "ALTER TABLE notes ALTER COLUMN body SET NOT NULL"),
        ("COMMENT ON TABLE notes IS 'by hand'", "COMMENT ON TABLE notes IS NULL"),
        ("GRANT SELECT ON notes TO PUBLIC", "REVOKE SELECT ON notes FROM PUBLIC"),
        (
            "CREATE OR REPLACE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) + 1 FROM notes $$",
            "CREATE OR REPLACE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM notes $$",
        ),
        ("ALTER POLICY notes_all ON notes USING (false)", "ALTER POLICY notes_all ON notes USING (true)"),
        ("DROP INDEX notes_body", "CREATE INDEX notes_body ON notes (body)"),
        ("ALTER TABLE notes DISABLE ROW LEVEL SECURITY", "ALTER TABLE notes ENABLE ROW LEVEL SECURITY"),
        ("CREATE OR REPLACE VIEW note_bodies AS SELECT body, id FROM notes", "DROP VIEW note_bodies; CREATE VIEW note_bodies AS SELECT body FROM notes"),
    ] {
        db.exec(change);
        let changed = timed(&["plan", "--exit-code"]).code(2);
        assert!(!changed.stderr.contains("live_from_cache"), "{change}: {}", changed.stderr);
        db.exec(undo);
        let undone = timed(&["plan", "--exit-code"]).ok();
        assert!(undone.stdout.contains("No changes"), "after {undo}: {}", undone.stdout);
    }
    // A corrupt entry is a miss, and the plan is still right.
    p.write(".schemaspec/cache/live.bin", "garbage");
    let corrupt = timed(&["plan", "--exit-code"]).ok();
    assert!(!corrupt.stderr.contains("live_from_cache"), "{}", corrupt.stderr);
    assert!(timed(&["plan", "--exit-code"]).ok().stderr.contains("live_from_cache"));

    // What the cache keeps is the whole catalog as read.
    let read = db.catalog();
    let dir = tempfile::tempdir().unwrap();
    schemaspec::cache::store_slot(dir.path(), schemaspec::cache::Slot::Live, "k", &read);
    assert_eq!(schemaspec::cache::load_slot(dir.path(), schemaspec::cache::Slot::Live, "k").as_ref(), Some(&read));
}

/// Regression (#17): objects of kinds schemaspec does not model were left out silently.
/// They are listed by `plan` and `status`, and `plan --strict` refuses them; kinds it
/// came to model (rules, operators, text search configurations) are planned instead.
#[test]
fn objects_not_managed_are_listed_and_strict_refuses_them() {
    let db = TestDb::new("cli_unmodeled");
    db.exec(
        "CREATE TABLE log (id int, body text); CREATE TABLE log_copy (id int, body text);
         CREATE RULE copy_log AS ON INSERT TO log DO ALSO INSERT INTO log_copy VALUES (NEW.id, NEW.body);
         CREATE OPERATOR FAMILY int_hash USING hash;
         ALTER OPERATOR FAMILY int_hash USING hash ADD FUNCTION 1 (int) hashint4(int);",
    );
    let p = Project::new();
    p.write(
        "schema/a.sql",
        "CREATE TABLE log (id int, body text);\nCREATE TABLE log_copy (id int, body text);\n\
         CREATE OPERATOR FAMILY int_hash USING hash;\n\
         CREATE FUNCTION same(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = $2 $$;\n\
         CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = same);\n\
         CREATE TEXT SEARCH CONFIGURATION plain_english (COPY = pg_catalog.english);\n\
         CREATE CONVERSION latin_to_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;\n\
         CREATE TYPE pending;\n",
    );
    let plan = p.run(&db, &["plan"]).ok();
    for expected in [
        "note: not managed: the schema files create conversion public.latin_to_utf8",
        "note: not managed: the schema files create base type public.pending",
        "note: not managed: the database has operator family member public.int_hash USING hash: function 1 hashint4(integer)",
        "drop rule copy_log on public.log",
        "create operator public.===(integer, integer)",
        "create text search configuration public.plain_english",
    ] {
        assert!(plan.stdout.contains(expected), "{expected}\n{}", plan.stdout);
    }
    let strict = p.run(&db, &["plan", "--strict"]).code(1);
    assert!(strict.stderr.contains("3 object(s) of kinds schemaspec does not manage"), "{}", strict.stderr);
    let status = p.run(&db, &["status"]);
    assert!(
        status.stdout.contains("not managed: operator family member public.int_hash USING hash"),
        "{}",
        status.stdout
    );
}

/// A drop and an add that look like a rename are pointed out with the hint to write,
/// never guessed; with the hint, the rows stay (tests/cases/renames_keep_rows).
#[test]
fn rename_candidates_are_pointed_out() {
    let db = TestDb::new("cli_rename_hint");
    db.exec("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'kept');");
    let p = Project::new();
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, content text);\n");
    let plan = p.run(&db, &["plan"]).ok();
    assert!(
        plan.stdout.contains("column public.notes.body is dropped and public.notes.content added with the same type")
            && plan.stdout.contains("`-- schemaspec:renamed-from body`"),
        "{}",
        plan.stdout
    );
    p.write(
        "schema/notes.sql",
        "CREATE TABLE notes (\n  id int PRIMARY KEY,\n  -- schemaspec:renamed-from body\n  content text\n);\n",
    );
    let plan = p.run(&db, &["plan"]).ok();
    assert!(plan.stdout.contains("rename column public.notes.body to content"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("deletes_data"), "{}", plan.stdout);
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    assert_eq!(db.query("SELECT content FROM notes"), "kept");
    p.run(&db, &["plan", "--exit-code"]).ok();
}

/// Issue #18: a typo in CI must not read as "changes found" (2): usage errors exit 1,
/// help and version 0.
#[test]
fn usage_errors_exit_1() {
    let p = Project::new();
    let typo = p.run_raw(&["plna"]).code(1);
    assert!(typo.stderr.contains("unrecognized subcommand 'plna'"), "{}", typo.stderr);
    let flag = p.run_raw(&["plan", "--exit-cod"]).code(1);
    assert!(flag.stderr.contains("--exit-code"), "{}", flag.stderr);
    p.run_raw(&[]).code(1);
    assert!(p.run_raw(&["--help"]).ok().stdout.contains("Exit codes:"));
    p.run_raw(&["--version"]).ok();
}

/// Issue #18: run from a subfolder, a command finds the project's schemaspec.toml above
/// it (as git and cargo do) instead of starting a second embedded cluster there; outside
/// any project it says so and starts nothing.
#[test]
fn commands_find_the_project_from_a_subfolder() {
    let db = TestDb::new("cli_subfolder");
    let p = Project::new();
    p.write("schemaspec.toml", "migrations_dir = \"migrations\"\n");
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY);\n");
    let gen = Run::from(p.command(&db, &["generate"]).current_dir(p.path().join("schema")).output().unwrap()).ok();
    assert!(gen.stdout.contains("proved on a scratch database"), "{}", gen.stdout);
    assert_eq!(std::fs::read_dir(p.path().join("migrations")).unwrap().count(), 2, "one file and the sum file");
    assert!(!p.path().join("schema/.schemaspec").exists() && !p.path().join("schema/migrations").exists());

    let outside = tempfile::tempdir().unwrap();
    let r = Run::from(
        std::process::Command::new(env!("CARGO_BIN_EXE_schemaspec"))
            .arg("status")
            .current_dir(outside.path())
            .env_remove("DATABASE_URL")
            .env_remove("SCHEMASPEC_DEV_URL")
            .output()
            .unwrap(),
    )
    .code(1);
    assert!(r.stderr.contains("no schemaspec.toml in") && r.stderr.contains("schemaspec init"), "{}", r.stderr);
    assert!(!outside.path().join(".schemaspec").exists(), "nothing started");
}

/// Issue #18: `new NAME` writes a timestamped hand-written file and updates the sum file;
/// `apply --dry-run` lists it with its hazards and changes nothing (no tracking table);
/// completions and the man page need no project.
#[test]
fn new_dry_run_completions_and_man() {
    let db = TestDb::new("cli_new");
    let p = Project::new();
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY);\n");
    p.run(&db, &["generate"]).ok();
    let made = p.run_raw(&["new", "Backfill notes!", "--no-transaction"]).ok();
    assert!(made.stdout.contains("_backfill_notes.sql"), "{}", made.stdout);
    let files = p.migrations();
    assert_eq!(files.len(), 2);
    let text = std::fs::read_to_string(&files[1]).unwrap();
    assert!(text.starts_with("-- schemaspec:no-transaction\n"), "{text}");
    assert!(p.read("generated/schemaspec.sum").contains("_backfill_notes.sql"));
    p.run_raw(&["check"]).ok();

    let dry = p.run(&db, &["apply", "--dry-run"]).ok();
    assert!(dry.stdout.contains("would apply") && dry.stdout.contains("(no transaction)"), "{}", dry.stdout);
    assert!(dry.stdout.contains("2 file(s) would be applied; nothing was changed"), "{}", dry.stdout);
    assert_eq!(db.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'schemaspec'"), "0", "no tracking table");
    assert_eq!(db.query("SELECT count(*) FROM pg_class WHERE relname = 'notes'"), "0");
    p.run(&db, &["apply"]).ok();
    let none = p.run(&db, &["apply", "--dry-run"]).ok();
    assert!(none.stdout.contains("Nothing to apply"), "{}", none.stdout);

    let outside = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let c = Run::from(
            std::process::Command::new(env!("CARGO_BIN_EXE_schemaspec"))
                .args(["completions", shell])
                .current_dir(outside.path())
                .output()
                .unwrap(),
        )
        .ok();
        assert!(c.stdout.contains("schemaspec") && c.stdout.contains("generate"), "{shell}: {}", c.stdout);
    }
    let man = p.run_raw(&["man"]).ok();
    assert!(
        man.stdout.starts_with(".ie") && man.stdout.contains(".TH schemaspec 1"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
}

/// Issue #18: every command's help has examples, and the global flags are under their
/// own heading rather than mixed into the command's own.
#[test]
fn every_command_has_examples_and_grouped_global_flags() {
    let p = Project::new();
    for command in [
        "init",
        "plan",
        "generate",
        "apply",
        "status",
        "check",
        "repair",
        "dump",
        "baseline",
        "import",
        "drift",
        "hash",
        "revert",
        "show",
        "new",
        "completions",
        "man",
    ] {
        let help = p.run_raw(&[command, "--help"]).ok().stdout;
        assert!(help.contains("Examples:\n  schemaspec "), "{command}: {help}");
        let (own, global) = help.split_once("Global options:").unwrap_or_else(|| panic!("{command}: {help}"));
        assert!(global.contains("--database-url") && !own.contains("--database-url"), "{command}: {help}");
    }
}

/// Run the CLI in a pseudo-terminal (`script`, util-linux), as a person at a terminal
/// would; None where `script` is missing.
fn in_terminal(p: &Project, db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_schemaspec");
    let mut line = format!("{bin} --database-url '{}' --dev-url '{}'", db.url, common::admin_url());
    for a in args {
        line += &format!(" '{a}'");
    }
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"]).current_dir(p.path()).env_remove("NO_COLOR");
    cmd.env_remove("CLICOLOR_FORCE").env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

/// The lines of a plan or status that say what happens (not the SQL, which differs
/// between server versions), escapes made visible, versions and addresses normalized.
fn headline(text: &str) -> String {
    // What the terminal shows of a line: what follows its last carriage return (a
    // spinner on stderr may have drawn before it).
    text.lines()
        .map(|l| l.rsplit('\r').next().unwrap_or(l).trim_start_matches("\u{1b}[2K"))
        .filter(|l| {
            let plain = anstream::adapter::strip_str(l).to_string();
            let step = plain.strip_prefix("-- ").is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
            let state = plain.starts_with("  ") && plain.split_whitespace().nth(1).is_some_and(|v| v.len() == 14);
            plain.starts_with("Plan:") || step || state || plain.starts_with("note:")
        })
        .map(|l| {
            let l = l.replace('\u{1b}', "␛");
            l.split(' ')
                .map(|w| if w.len() == 14 && w.bytes().all(|b| b.is_ascii_digit()) { "VERSION" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Issue #18: plans are colored by effect and status by state at a terminal, plain in a
/// pipe, with NO_COLOR or --color never; CLICOLOR_FORCE and --color always force color.
#[test]
fn colors_at_a_terminal_plain_in_pipes() {
    let db = TestDb::new("cli_color");
    db.exec("CREATE TABLE old_notes (id int); CREATE TABLE notes (id int PRIMARY KEY, body text);");
    let p = Project::new();
    p.write(
        "schema/notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, title text);\nCREATE INDEX notes_title ON notes (title);\n",
    );
    let Some(colored) = in_terminal(&p, &db, &["plan"], &[]) else {
        eprintln!("skipped: no `script` to make a pseudo-terminal");
        return;
    };
    insta::assert_snapshot!("plan_in_a_terminal", headline(&colored));
    assert!(colored.contains("\u{1b}[31m-- 1. drop"), "drops are red: {colored}");
    let plain = in_terminal(&p, &db, &["plan", "--color", "never"], &[]).unwrap();
    // Colors only: a spinner on stderr clears its line with an escape of its own.
    let colored_text = |t: &str| t.contains("\u{1b}[3") || t.contains("\u{1b}[1m");
    assert!(!colored_text(&plain), "{plain}");
    insta::assert_snapshot!("plan_plain", headline(&plain));
    let no_color = in_terminal(&p, &db, &["plan"], &[("NO_COLOR", "1")]).unwrap();
    assert!(!colored_text(&no_color), "{no_color}");
    let piped = p.run(&db, &["plan"]).ok();
    assert!(!piped.stdout.contains('\u{1b}'), "{}", piped.stdout);
    let forced = Run::from(p.command(&db, &["plan"]).env("CLICOLOR_FORCE", "1").output().unwrap()).ok();
    assert!(forced.stdout.contains('\u{1b}'), "{}", forced.stdout);
    assert!(p.run(&db, &["plan", "--color", "always"]).ok().stdout.contains('\u{1b}'));
    assert!(!p.run(&db, &["plan", "--format", "json", "--color", "always"]).ok().stdout.contains('\u{1b}'));

    p.run(&db, &["generate", "--allow-hazards", "deletes_data"]).ok();
    p.run(&db, &["apply"]).ok();
    p.run_raw(&["new", "backfill_titles"]).ok();
    let status = in_terminal(&p, &db, &["status", "--no-catalog"], &[]).unwrap();
    insta::assert_snapshot!("status_in_a_terminal", headline(&status));
    let plain = in_terminal(&p, &db, &["status", "--no-catalog", "--color", "never"], &[]).unwrap();
    insta::assert_snapshot!("status_plain", headline(&plain));
}

/// Issue #18: the declarative loop in one step. `apply --from-schema` plans, proves,
/// writes and applies, so the history stays complete; data loss still needs consent.
#[test]
fn apply_from_schema_in_one_step() {
    let db = TestDb::new("cli_one_step");
    let p = Project::new();
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);\n");
    let first = p.run(&db, &["apply", "--from-schema"]).ok();
    assert!(first.stdout.contains("1 migration(s) applied."), "{}", first.stdout);
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.schema_migrations"), "1");
    assert_eq!(p.migrations().len(), 1, "the file is kept: the history is complete");
    db.exec("INSERT INTO notes VALUES (1, 'kept')");
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY);\n");
    let refused = p.run(&db, &["apply", "--from-schema"]).code(1);
    assert!(refused.stderr.contains("deletes_data"), "{}", refused.stderr);
    assert_eq!(db.query("SELECT body FROM notes"), "kept");
    let dry = p.run(&db, &["apply", "--from-schema", "--dry-run"]).ok();
    assert!(dry.stdout.contains("drop column public.notes.body"), "{}", dry.stdout);
    p.run(&db, &["apply", "--from-schema", "--allow-hazards", "deletes_data"]).ok();
    assert_eq!(db.query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes'"), "1");
    p.run(&db, &["status"]).ok();
    p.run(&db, &["plan", "--exit-code"]).ok();
}

/// Issue #18: apply shows a progress bar over the files at a terminal (stderr), and in a
/// pipe only its one line per file.
#[test]
fn apply_shows_progress_at_a_terminal_only() {
    let db = TestDb::new("cli_progress");
    let p = Project::new();
    let tables: String = (1..=4).map(|i| format!("CREATE TABLE t{i} (id int PRIMARY KEY);\n")).collect();
    p.write("schema/t.sql", &tables);
    p.run(&db, &["generate"]).ok();
    let Some(shown) = in_terminal(&p, &db, &["apply"], &[]) else {
        eprintln!("skipped: no `script` to make a pseudo-terminal");
        return;
    };
    assert!(shown.contains("applying [") && shown.contains("/4"), "{shown}");
    assert!(shown.contains("migration(s) applied."), "{shown}");
    let db2 = TestDb::new("cli_progress_pipe");
    let piped = p.run(&db2, &["apply"]).ok();
    assert!(!piped.stderr.contains("applying ["), "{}", piped.stderr);
    assert_eq!(piped.stdout.lines().filter(|l| l.starts_with("applied ")).count(), p.migrations().len());
}

/// Issue #18, the exit-code contract for every command in each outcome: 0 done or
/// nothing to do, 1 error (usage included), 2 changes, findings, drift or a history that
/// needs a person. (baseline, import and embedded are covered in history.rs and
/// shared_machine.rs.)
#[test]
fn exit_codes_of_every_command() {
    let db = TestDb::new("cli_exit");
    let p = Project::new();
    let fresh = Project::new();
    std::fs::remove_file(fresh.path().join("schemaspec.toml")).unwrap();
    fresh.run_raw(&["init"]).code(0);
    p.run_raw(&["completions", "bash"]).code(0);
    p.run_raw(&["man"]).code(0);
    p.run_raw(&["new", "!!!"]).code(1);

    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);\n");
    p.run(&db, &["plan"]).code(0);
    p.run(&db, &["plan", "--exit-code"]).code(2);
    p.run(&db, &["generate"]).code(0);
    p.run(&db, &["status"]).code(0); // pending only
    p.run(&db, &["apply", "--dry-run"]).code(0);
    p.run(&db, &["apply"]).code(0);
    p.run(&db, &["apply"]).code(0); // nothing to do
    p.run(&db, &["plan", "--exit-code"]).code(0);
    p.run(&db, &["status"]).code(0);
    p.run(&db, &["drift"]).code(0);
    let first = p.migrations()[0].file_name().unwrap().to_string_lossy()[..14].to_string();
    p.run(&db, &["show", &first]).code(0);
    p.run(&db, &["show", "20990101000000"]).code(1);
    p.run_raw(&["check"]).code(0);
    p.run_raw(&["hash"]).code(0);
    p.run(&db, &["dump", "--out", "dumped"]).code(0);
    p.run(&db, &["dump", "--out", "dumped"]).code(1); // files there, no --force
    p.run(&db, &["repair", "--mark-applied", "20990101000000"]).code(1);

    // Data loss without consent, a broken schema file, an unreachable database.
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY);\n");
    p.run(&db, &["generate"]).code(1);
    p.write("schema/bad.sql", "CREATE TABLE (;\n");
    p.run(&db, &["plan"]).code(1);
    std::fs::remove_file(p.path().join("schema/bad.sql")).unwrap();
    p.run_raw(&["--database-url", "postgres://nobody@127.0.0.1:1/x", "status"]).code(1);

    // Drift, a finding, an edited applied file.
    db.exec("CREATE TABLE by_hand (id int)");
    p.run(&db, &["drift"]).code(2);
    p.run(&db, &["status"]).code(2);
    p.write("generated/20990101000000_by_hand.sql", "CREATE TABLE by_hand (id int);\n");
    p.run_raw(&["check"]).code(2);
    std::fs::remove_file(p.path().join("generated/20990101000000_by_hand.sql")).unwrap();
    let applied = p.migrations()[0].clone();
    std::fs::write(&applied, std::fs::read_to_string(&applied).unwrap() + "\nSELECT 1;\n").unwrap();
    p.run(&db, &["apply"]).code(1);
    p.run_raw(&["hash"]).code(0);
    p.run(&db, &["status", "--no-catalog"]).code(2);
}
