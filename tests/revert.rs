//! Issue #19: `revert` takes a database back to an applied version as new, proved,
//! forward migration files; the history stays append-only.

mod common;

use common::{Project, TestDb};

#[test]
fn revert_to_the_first_of_three_migrations() {
    let db = TestDb::new("revert");
    let p = Project::new();
    // 1: a table; 2: a column with rows; 3: an index.
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    let first = p.migrations()[0].file_name().unwrap().to_string_lossy()[..14].to_string();
    db.exec("INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 50) g");
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text, tag text);\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    db.exec("UPDATE notes SET tag = 'x'");
    p.write(
        "schema/notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, body text, tag text);\nCREATE INDEX notes_tag ON notes (tag);\n",
    );
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    assert_eq!(p.migrations().len(), 3);

    // Without consent: refused, naming the column that would lose its data and, where
    // the server has an estimate, how many rows hold it.
    db.exec("ANALYZE notes");
    let refused = p.run(&db, &["revert", "--to", &first]).code(1);
    assert!(
        refused.stderr.contains("deletes_data: drop column public.notes.tag (the table holds about 50 rows)"),
        "{}",
        refused.stderr
    );
    assert_eq!(p.migrations().len(), 3, "nothing written");

    let r = p.run(&db, &["revert", "--to", &first, "--allow-hazards", "deletes_data", "--apply"]).ok();
    assert!(r.stdout.contains("proved on a scratch database"), "{}", r.stdout);
    assert!(r.stdout.contains("schema files still describe the newer state"), "{}", r.stdout);

    // The database is what the first file made, with its rows; all five files applied.
    let reference = TestDb::new("revert_ref");
    reference.exec("CREATE TABLE notes (id int PRIMARY KEY, body text)");
    let changes = schemaspec::diff::diff(&db.catalog(), &reference.catalog());
    assert!(changes.is_empty(), "{changes:?}");
    if let (Some(reverted), Some(first_only)) =
        (common::pg_dump(&db, &["--schema", "public"]), common::pg_dump(&reference, &["--schema", "public"]))
    {
        assert_eq!(reverted, first_only, "pg_dump of the reverted database and of one where only the first ran");
    }
    assert_eq!(db.query("SELECT count(*) FROM notes"), "50");
    assert_eq!(p.migrations().len(), 5);
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.schema_migrations"), "5");

    // Again: nothing to do, nothing written.
    let again = p.run(&db, &["revert", "--to", &first]).ok();
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    assert_eq!(p.migrations().len(), 5);

    // --last counts applied files; an unknown version is refused.
    p.run(&db, &["revert", "--to", "20000101000000"]).code(1);
    p.run(&db, &["revert", "--last", "9"]).code(1);

    // Back to the schema files' state by rolling forward, then --last 1 with the schema
    // files rewritten from the reverted database: plan is empty again.
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    assert_eq!(db.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_tag'"), "1");
    let r =
        p.run(&db, &["revert", "--last", "1", "--allow-hazards", "deletes_data", "--apply", "--update-schema"]).ok();
    assert!(r.stdout.contains("dumped"), "{}", r.stdout);
    assert_eq!(db.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_tag'"), "0");
    p.run(&db, &["plan", "--exit-code"]).ok();

    // Reverting a drop brings the column back, empty, and says so.
    for f in std::fs::read_dir(p.path().join("schema")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, tag text);\n");
    p.run(&db, &["generate", "--allow-hazards", "deletes_data"]).ok();
    p.run(&db, &["apply"]).ok();
    let back = p.run(&db, &["revert", "--last", "1", "--apply"]).ok();
    assert!(
        back.stdout
            .contains("note: column public.notes.body comes back empty: reverting its drop cannot bring its data back"),
        "{}",
        back.stdout
    );
    assert_eq!(db.query("SELECT count(*) FILTER (WHERE body IS NULL) FROM notes"), "50");
}

/// Every generated file carries its way back, proved when it was generated; `apply`
/// records it as `rollback_sql` (added to an older tracking table by itself); `show` and
/// `status --format json` print it; run newest first, the ways back take the database
/// back, renames undone as renames so the rows stay.
#[test]
fn every_generated_file_carries_a_way_back_that_apply_records() {
    let db = TestDb::new("down_blocks");
    let p = Project::new();
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    db.exec("INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 20) g");
    let first_state = db.catalog();

    // An older tracking table, from before rollback_sql: the next apply adds it.
    db.exec("ALTER TABLE schemaspec.schema_migrations DROP COLUMN rollback_sql");
    p.write(
        "schema/notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY,\n  -- schemaspec:renamed-from body\n  content text,\n  tag text);\nCREATE INDEX notes_tag ON notes (tag);\n",
    );
    let gen = p.run(&db, &["generate"]).ok();
    assert!(!gen.stdout.contains("warning"), "{}", gen.stdout);
    let files = p.migrations();
    assert!(files.len() >= 2, "{files:?}");
    let mut downs = Vec::new();
    for f in &files[1..] {
        let text = std::fs::read_to_string(f).unwrap();
        let down = schemaspec::plan::files::down_block(&text).unwrap_or_else(|| panic!("no down block in {text}"));
        assert!(down.sql.contains("proved on a scratch database"), "{}", down.sql);
        downs.push((f.file_name().unwrap().to_string_lossy()[..14].to_string(), down.sql));
    }
    let undo_rename = downs.iter().find(|(_, d)| d.contains("RENAME COLUMN content TO body")).expect("a rename back");
    assert!(!undo_rename.1.contains("DROP COLUMN IF EXISTS content"), "{}", undo_rename.1);
    p.run(&db, &["apply"]).ok();

    for (version, down) in &downs {
        assert_eq!(
            &db.query(&format!("SELECT rollback_sql FROM schemaspec.schema_migrations WHERE version = '{version}'")),
            down,
        );
    }
    let (version, down) = &downs[0];
    let shown = p.run(&db, &["show", version]).ok();
    assert!(shown.stdout.contains("state:   applied"), "{}", shown.stdout);
    assert!(shown.stdout.contains("Way back (recorded when it was applied)"), "{}", shown.stdout);
    assert!(shown.stdout.contains(down.as_str()), "{}", shown.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&p.run(&db, &["show", version, "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(json["rollback_source"], "tracking_table");
    assert_eq!(json["rollback_sql"].as_str(), Some(down.as_str()));
    let status: serde_json::Value =
        serde_json::from_str(&p.run(&db, &["status", "--format", "json"]).ok().stdout).unwrap();
    let listed = status["migrations"].as_array().unwrap();
    assert!(listed.iter().all(|m| m["rollback_sql"].is_string()), "{status}");
    p.run(&db, &["show", "20000101000000"]).code(1);

    // Newest first, the ways back take the database back to the first state; the
    // renamed column's rows come back under their old name.
    for (_, down) in downs.iter().rev() {
        db.exec(down);
    }
    let left = schemaspec::diff::diff(&db.catalog(), &first_state);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(db.query("SELECT count(body) FROM notes"), "20");

    // A hand-written file has none until its author writes one; check holds a written one
    // to the rules.
    p.run_raw(&["new", "backfill"]).ok();
    let hand = p.migrations().last().unwrap().clone();
    let version = hand.file_name().unwrap().to_string_lossy()[..14].to_string();
    let shown = p.run(&db, &["show", &version]).ok();
    assert!(shown.stdout.contains("No way back is recorded"), "{}", shown.stdout);
    std::fs::write(
        &hand,
        "UPDATE notes SET tag = 'x';\n-- schemaspec:down\n-- UPDATE notes SET tag = NULL;\n-- \\i undo.sql\n",
    )
    .unwrap();
    p.run_raw(&["hash"]).ok();
    let checked = p.run(&db, &["check"]).code(2);
    assert!(checked.stdout.contains("[down-block] psql meta-command"), "{}", checked.stdout);
}

/// Ways back cost two catalog reads per file: above `down_blocks_max_files` files none
/// are written, and generate says so (0 turns them off).
#[test]
fn down_blocks_stop_at_their_limit_and_say_so() {
    let db = TestDb::new("down_limit");
    let p = Project::new();
    p.write("schemaspec.toml", &format!("{}\ndown_blocks_max_files = 1\n", p.read("schemaspec.toml")));
    p.write("schema/a.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCREATE VIEW v AS SELECT id FROM a;\n");
    let gen = p.run(&db, &["generate"]).ok();
    assert!(gen.stdout.contains("note: no down blocks:"), "{}", gen.stdout);
    assert!(gen.stdout.contains("more than down_blocks_max_files (1)"), "{}", gen.stdout);
    for f in p.migrations() {
        assert_eq!(schemaspec::plan::files::down_block(&std::fs::read_to_string(f).unwrap()), None);
    }
}
