//! Damaged state (issue #14): a tracking table with NULLs, duplicates, a missing key,
//! wrong column types; renames interrupted half-way; concurrent `generate` runs;
//! scratch databases left by a killed process; INVALID indexes; a tracking table in a
//! managed schema. Each is a clear error or a finding with the command that mends it,
//! never a panic, and the mending command works.

mod common;

use common::{Project, TestDb};

const TABLE: &str = "schemaspec.schema_migrations";

/// A project with one generated migration applied.
fn applied_project(db: &TestDb) -> (Project, String) {
    let p = Project::new();
    p.write("schema/app.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);\n");
    p.run(db, &["generate"]).ok();
    p.run(db, &["apply"]).ok();
    db.exec("INSERT INTO notes VALUES (1, 'kept')");
    let file = p.migrations()[0].file_name().unwrap().to_string_lossy().to_string();
    (p, file[..14].to_string())
}

/// Every command that reads the tracking table, and two that do not.
const READERS: [&[&str]; 10] = [
    &["apply"],
    &["status"],
    &["status", "--format", "json"],
    &["check"],
    &["generate"],
    &["drift"],
    &["repair", "--renumber"],
    &["repair", "--forget", "20990101000000"],
    &["baseline"],
    &["import", "--dry-run"],
];

/// The `schemaspec ...` command a hint names first, as arguments.
fn command_in(hint: &str) -> Option<Vec<String>> {
    let start = hint.find("`schemaspec ")? + "`schemaspec ".len();
    let end = hint[start..].find('`')? + start;
    Some(hint[start..end].split_whitespace().map(str::to_string).collect())
}

#[test]
fn every_command_over_every_damaged_tracking_table() {
    let damages: [(&str, &str, bool); 11] = [
        ("NULL checksum", "ALTER TABLE {t} ALTER checksum DROP NOT NULL; UPDATE {t} SET checksum = NULL", true),
        ("NULL version", "ALTER TABLE {t} DROP CONSTRAINT schema_migrations_pkey; ALTER TABLE {t} ALTER version DROP NOT NULL; INSERT INTO {t} (version, name, checksum, success) VALUES (NULL, 'x', 'c', true)", true),
        ("NULL success", "ALTER TABLE {t} ALTER success DROP NOT NULL; UPDATE {t} SET success = NULL", true),
        ("duplicate rows", "ALTER TABLE {t} DROP CONSTRAINT schema_migrations_pkey; INSERT INTO {t} SELECT * FROM {t}", true),
        ("conflicting rows", "ALTER TABLE {t} DROP CONSTRAINT schema_migrations_pkey; INSERT INTO {t} (version, name, checksum, success) SELECT version, name, checksum, false FROM {t}", true),
        ("missing primary key", "ALTER TABLE {t} DROP CONSTRAINT schema_migrations_pkey", true),
        ("version is a number", "ALTER TABLE {t} DROP CONSTRAINT schema_migrations_pkey; ALTER TABLE {t} ALTER version TYPE bigint USING version::bigint", true),
        ("success is text", "ALTER TABLE {t} ALTER success TYPE text", true),
        ("checksum column missing", "ALTER TABLE {t} DROP COLUMN checksum", true),
        ("a view, not a table", "ALTER TABLE {t} RENAME TO moved; CREATE VIEW {t} AS SELECT * FROM schemaspec.moved", false),
        ("someone else's NOT NULL column", "ALTER TABLE {t} ADD COLUMN deployer text NOT NULL DEFAULT 'ci'; ALTER TABLE {t} ALTER deployer DROP DEFAULT", false),
    ];
    for (what, damage, mendable) in damages {
        let db = TestDb::new("damaged");
        let (p, version) = applied_project(&db);
        db.exec(&damage.replace("{t}", TABLE));
        let mut hints = Vec::new();
        for args in READERS {
            let r = p.run(&db, args);
            assert_ne!(r.code, 101, "{what} / {args:?} panicked: {}", r.stderr);
            if args == ["apply"] || args == ["status"] {
                assert_eq!(r.code, 1, "{what} / {args:?}: {}{}", r.stdout, r.stderr);
                assert!(r.stderr.contains(&format!("the tracking table {TABLE} is damaged")), "{what}: {}", r.stderr);
                let hint = r.stderr.lines().find_map(|l| l.strip_prefix("hint: ")).unwrap_or_default().to_string();
                assert!(!hint.is_empty(), "{what}: no hint: {}", r.stderr);
                hints.push(hint);
            }
        }
        // The row is named (by version, or where it is), or the column.
        let told = p.run(&db, &["status"]).stderr;
        assert!(
            told.contains(&version)
                || told.contains("column ")
                || told.contains("row at")
                || told.contains("primary key")
                || told.contains("not a table"),
            "{what}: {told}"
        );
        for args in [&["plan"][..], &["dump", "--out", "dumped"]] {
            let r = p.run(&db, args);
            assert!(r.code == 0 || r.code == 2, "{what} / {args:?} does not read the tracking table: {}", r.stderr);
        }
        if !mendable {
            continue;
        }
        // Follow the hints, as a person would: each error names the command that mends
        // it, and that command either mends or says what to do first (a few steps).
        let mut last = p.run(&db, &["status"]);
        for step in 0..6 {
            if last.code != 1 {
                break;
            }
            let hint = last.stderr.lines().find_map(|l| l.strip_prefix("hint: ")).unwrap_or_default().to_string();
            let args = command_in(&hint).unwrap_or_else(|| panic!("{what}, step {step}: no command in {hint:?}"));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mended = p.run(&db, &args);
            assert_ne!(mended.code, 101, "{what}: {args:?} panicked");
            last = if mended.code == 0 { p.run(&db, &["status"]) } else { mended };
        }
        p.run(&db, &["apply"]).ok();
        let status = p.run(&db, &["status"]).ok();
        assert!(status.stdout.contains(&format!("applied          {version}")), "{what}: {}", status.stdout);
        assert_eq!(db.query("SELECT body FROM notes"), "kept", "{what}: rows kept");
        assert_eq!(db.query(&format!("SELECT count(*) FROM {TABLE}")), "1", "{what}: one row per version");
    }
}
