//! Bad input gets a clear error naming the place, a hint, exit code 1, and changes
//! nothing.

mod common;

use common::{Project, TestDb};

#[test]
fn sql_error_names_file_line_and_column() {
    let db = TestDb::new("err_sql");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE ok (id int);\n");
    p.write("schema/b.sql", "-- comment\nCREATE TABLE bad (\n  id int,\n  x nosuchtype\n);\n");
    let r = p.run(&db, &["plan"]).code(1);
    assert!(r.stderr.contains("schema/b.sql:4:5:"), "{}", r.stderr);
    assert!(r.stderr.contains("type \"nosuchtype\" does not exist"), "{}", r.stderr);
}

#[test]
fn syntax_error_is_located() {
    let db = TestDb::new("err_syntax");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE t (id int);\n\nCREATE TABEL u (id int);\n");
    let r = p.run(&db, &["generate"]).code(1);
    assert!(r.stderr.contains("schema/a.sql:3:8: ERROR: syntax error at or near \"TABEL\""), "{}", r.stderr);
    assert!(p.migrations().is_empty());
}

#[test]
fn meta_commands_are_rejected_with_their_line() {
    let db = TestDb::new("err_meta");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE t (id int);\n\\d t\n");
    let r = p.run(&db, &["plan"]).code(1);
    assert!(r.stderr.contains("schema/a.sql:2: psql meta-command `\\d t` is not SQL"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
}

#[test]
fn edited_applied_migration_stops_apply() {
    let db = TestDb::new("err_edit");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE t (id int);\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    let file = p.migrations()[0].clone();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap() + "\nDROP TABLE t;\n").unwrap();
    // The sum file catches it first; with the sum rewritten, the checksum does.
    let r = p.run(&db, &["apply"]).code(1);
    assert!(r.stderr.contains("schemaspec.sum does not match"), "{}", r.stderr);
    p.run_raw(&["hash"]).ok();
    let r = p.run(&db, &["apply"]).code(1);
    assert!(r.stderr.contains(&format!("migration {name} was edited after it was applied")), "{}", r.stderr);
    assert!(r.stderr.contains("hint: restore the file"), "{}", r.stderr);
    assert_eq!(db.query("SELECT count(*) FROM pg_class WHERE relname = 't'"), "1", "the table must still be there");
    let s = p.run(&db, &["status"]).code(2);
    assert!(s.stdout.contains("modified"), "{}", s.stdout);
}

#[test]
fn unreachable_database_is_named_without_its_password() {
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE t (id int);\n");
    let r = p.run_raw(&[
        "--database-url",
        "postgres://app:hunter2@127.0.0.1:1/app?connect_timeout=2",
        "--dev-url",
        &common::admin_url(),
        "status",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("cannot connect to postgres://app:***@127.0.0.1:1/app"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"));
}

#[test]
fn failing_migration_rolls_back_and_says_what_was_applied() {
    let db = TestDb::new("err_apply");
    let p = Project::new();
    p.write("generated/20260101000000_ok.sql", "CREATE TABLE ok (id int);\n");
    p.write("generated/20260101000001_bad.sql", "CREATE TABLE half (id int);\nINSERT INTO missing VALUES (1);\n");
    p.run_raw(&["hash"]).ok();
    let r = p.run(&db, &["apply"]).code(1);
    assert!(r.stdout.contains("applied 20260101000000_ok.sql"), "{}", r.stdout);
    assert!(r.stdout.contains("not applied: 20260101000001_bad.sql"), "{}", r.stdout);
    assert!(
        r.stderr.contains("20260101000001_bad.sql:2:13: ERROR: relation \"missing\" does not exist"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("(in the statement at line 2: INSERT INTO missing VALUES (1);)"), "{}", r.stderr);
    assert_eq!(
        db.query("SELECT count(*) FROM pg_class WHERE relname = 'half'"),
        "0",
        "the failed file is rolled back whole"
    );
    assert_eq!(db.query("SELECT string_agg(version, ',') FROM schemaspec.schema_migrations"), "20260101000000");
}

#[test]
fn invalid_config_names_the_setting() {
    let p = Project::new();
    p.write("schemaspec.toml", "migrations_dir = \"m\"\nlock_timout = \"5s\"\n");
    let r = p.run_raw(&["status"]).code(1);
    assert!(r.stderr.contains("schemaspec.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("lock_timout"), "{}", r.stderr);
}
