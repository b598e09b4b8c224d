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

/// Regression: data statements and drops in schema files were silently skipped.
#[test]
fn data_statements_and_drops_in_schema_files_are_refused_with_their_line() {
    let db = TestDb::new("err_state");
    let p = Project::new();
    for (text, line, says) in [
        ("CREATE TABLE t (id int);\n\nINSERT INTO t VALUES (1);\n", 3, "INSERT changes data"),
        ("CREATE TABLE t (id int);\nCOPY t FROM stdin;\n", 2, "COPY changes data"),
        (
            "CREATE TABLE t (id int);\nWITH gone AS (DELETE FROM t RETURNING id) SELECT count(*) FROM gone;\n",
            2,
            "DELETE changes data",
        ),
        ("DROP TABLE IF EXISTS t;\nCREATE TABLE t (id int);\n", 1, "a DROP in a schema file"),
    ] {
        p.write("schema/a.sql", text);
        let r = p.run(&db, &["plan"]).code(1);
        assert!(r.stderr.contains(&format!("schema/a.sql:{line}:1:")) && r.stderr.contains(says), "{}", r.stderr);
        assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    }
    // Nothing ran: the database is as empty as before.
    assert_eq!(db.query("SELECT count(*) FROM pg_class WHERE relname = 't'"), "0");
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
    // Said in words, with the command that works, and no Rust debug text.
    assert!(
        r.stderr.contains(&format!("{name} was edited, added or moved after schemaspec.sum was written")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`schemaspec hash` rewrites the sum file") && !r.stderr.contains("Mismatch {"),
        "{}",
        r.stderr
    );
    let s = p.run(&db, &["status", "--format", "json"]).code(2);
    let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(v["sum_problem"]["problem"], "mismatch", "{}", s.stdout);
    assert!(v["catalog_drift"].is_array() && !s.stdout.contains("\"Ok\""), "{}", s.stdout);
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
    assert!(r.stderr.contains("cannot connect to postgresql://app@127.0.0.1:1/app"), "{}", r.stderr);
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
    assert!(r.stdout.contains("1 not applied:\n  20260101000001_bad.sql"), "{}", r.stdout);
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

/// Regression (#14): a COMMIT inside a file committed its first part while the report
/// said "rolled back, nothing of it is applied"; a ROLLBACK inside one was recorded as a
/// success with its first table missing. Both are refused before anything runs.
#[test]
fn transaction_control_in_a_file_is_refused_before_anything_runs() {
    for (body, command, line) in [
        ("BEGIN;\nCREATE TABLE bc1 (id int);\nCOMMIT;\nCREATE TABLE bc2 (id int);\nSELECT 1/0;\n", "BEGIN", 1),
        ("CREATE TABLE bc1 (id int);\nROLLBACK;\nCREATE TABLE bc2 (id int);\n", "ROLLBACK", 2),
        (
            "CREATE TABLE bc1 (id int);\nSAVEPOINT s;\nCREATE TABLE bc2 (id int);\nRELEASE SAVEPOINT s;\n",
            "SAVEPOINT",
            2,
        ),
        ("-- schemaspec:no-transaction\nCREATE TABLE bc1 (id int);\nCOMMIT;\n", "COMMIT", 3),
    ] {
        let db = TestDb::new("err_txn");
        let p = Project::new();
        p.write("generated/20260101000000_first.sql", "CREATE TABLE first (id int);\n");
        p.write("generated/20260101000001_txn.sql", body);
        p.run_raw(&["hash"]).ok();
        let c = p.run(&db, &["check"]).code(2);
        assert!(
            c.stdout.contains(&format!("generated/20260101000001_txn.sql:{line}: [transaction-control] `{command}`")),
            "{}",
            c.stdout
        );
        let r = p.run(&db, &["apply"]).code(1);
        assert!(
            r.stderr.contains(&format!(
                "20260101000001_txn.sql:{line}: `{command}` in a migration file; nothing of the file was run"
            )),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("hint:"), "{}", r.stderr);
        // Nothing ran: not even the file before it (apply refuses before running any).
        assert_eq!(db.query("SELECT to_regclass('first') IS NULL AND to_regclass('bc1') IS NULL"), "t", "{body}");
        assert_eq!(db.query("SELECT to_regclass('schemaspec.schema_migrations') IS NULL OR NOT EXISTS (SELECT FROM schemaspec.schema_migrations)"), "t");
    }
}

#[test]
fn check_fix_removes_a_begin_commit_that_wraps_a_whole_file() {
    let db = TestDb::new("err_txn_fix");
    let p = Project::new();
    p.write("generated/20260101000000_wrapped.sql", "BEGIN;\nCREATE TABLE IF NOT EXISTS w (id int);\nCOMMIT;\n");
    p.run_raw(&["hash"]).ok();
    let c = p.run(&db, &["check"]).code(2);
    assert!(c.stdout.contains("check --fix` to remove the BEGIN ... COMMIT"), "{}", c.stdout);
    p.run(&db, &["check", "--fix"]).ok();
    assert_eq!(p.read("generated/20260101000000_wrapped.sql"), "\nCREATE TABLE IF NOT EXISTS w (id int);\n\n");
    p.run(&db, &["apply"]).ok();
    assert_eq!(db.query("SELECT to_regclass('w') IS NOT NULL"), "t");
}

/// Regression (#14): errors without a position were located at `:1:1` / "the statement
/// at line 1", whatever statement failed.
#[test]
fn errors_without_a_position_name_the_statement_that_failed() {
    let db = TestDb::new("err_pos");
    let p = Project::new();
    p.write(
        "generated/20260101000000_dup.sql",
        "CREATE TABLE u (id int PRIMARY KEY);\nINSERT INTO u VALUES (1);\n\n  INSERT INTO u VALUES (1);\nSELECT 1;\n",
    );
    p.run_raw(&["hash"]).ok();
    let r = p.run(&db, &["apply"]).code(1);
    assert!(r.stderr.contains("20260101000000_dup.sql:4:3: ERROR: duplicate key value"), "{}", r.stderr);
    assert!(r.stderr.contains("(in the statement at line 4: INSERT INTO u VALUES (1);)"), "{}", r.stderr);
    assert_eq!(db.query("SELECT to_regclass('u') IS NULL"), "t", "rolled back whole");
    // A deferred constraint fails at COMMIT: said so, not blamed on the first line.
    p.write(
        "generated/20260101000001_deferred.sql",
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO c VALUES (7);\n",
    );
    std::fs::remove_file(p.path().join("generated/20260101000000_dup.sql")).unwrap();
    p.run_raw(&["hash"]).ok();
    let r = p.run(&db, &["apply"]).code(1);
    assert!(r.stderr.contains("when the file's transaction committed: a deferred constraint"), "{}", r.stderr);
}

/// Regression (#14): a UTF-8 byte order mark gave `syntax error at or near "CREATE"`,
/// pointing at an invisible character.
#[test]
fn a_byte_order_mark_is_ignored_in_schema_and_migration_files() {
    let db = TestDb::new("err_bom");
    let p = Project::new();
    p.write("schema/a.sql", "\u{feff}CREATE TABLE bom (id int);\nCREATE TABLE hand (id int);\n");
    p.run(&db, &["generate"]).ok();
    p.write("generated/20200101000000_hand.sql", "\u{feff}-- schemaspec:no-transaction\nCREATE TABLE hand (id int);\n");
    p.run_raw(&["hash"]).ok();
    p.run(&db, &["apply", "--allow-out-of-order"]).ok();
    assert_eq!(db.query("SELECT count(*) FROM pg_class WHERE relname IN ('bom', 'hand')"), "2");
    p.run(&db, &["plan", "--exit-code"]).ok();
    // The no-transaction marker was seen through the mark: the row was written first.
    assert_eq!(db.query("SELECT success FROM schemaspec.schema_migrations WHERE version = '20200101000000'"), "t");
}

/// Regression (#14): converting a generated file (DO $...$ bodies) to CRLF made it
/// "edited after it was applied".
#[test]
fn crlf_line_endings_never_make_an_applied_file_modified() {
    let db = TestDb::new("err_crlf");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE t (id int PRIMARY KEY, body text);\nCREATE INDEX t_body ON t (body);\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$;\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    for file in p.migrations() {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("$"), "a body to convert");
        std::fs::write(&file, text.replace('\n', "\r\n")).unwrap();
    }
    p.run(&db, &["status"]).ok();
    p.run(&db, &["apply"]).ok();
    p.run(&db, &["check"]).ok();
}

/// Regression (#14): `check --fix` rewrote files that were applied already, and `apply`
/// then stopped on them as edited.
#[test]
fn check_fix_never_rewrites_an_applied_file() {
    let db = TestDb::new("err_fix_applied");
    let p = Project::new();
    let body = "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n";
    p.write("generated/20260101000000_hand.sql", body);
    p.run_raw(&["hash"]).ok();
    p.run(&db, &["apply"]).ok();
    p.write("generated/20260101000001_pending.sql", "CREATE TABLE u (id int);\n");
    p.run_raw(&["hash"]).ok();
    let r = p.run(&db, &["check", "--fix"]);
    assert_eq!(p.read("generated/20260101000000_hand.sql"), body, "the applied file is untouched");
    assert!(r.stdout.contains("not fixed: generated/20260101000000_hand.sql is recorded as applied"), "{}", r.stdout);
    assert!(r.stdout.contains("repair --mark-unapplied 20260101000000"), "{}", r.stdout);
    assert_eq!(p.read("generated/20260101000001_pending.sql"), "CREATE TABLE IF NOT EXISTS u (id int);\n");
    p.run(&db, &["apply"]).ok();
    p.run(&db, &["status", "--no-catalog"]).ok();
}

/// Regression (#17): `LANGUAGE sql AS $$ SELEC 1 $$` and a PL/pgSQL body with a syntax
/// error passed plan, generate, apply and check; psql's defaults reject both.
#[test]
fn invalid_routine_bodies_are_errors_naming_file_and_line() {
    let db = TestDb::new("err_bodies");
    let p = Project::new();
    let good = "CREATE TABLE t (id int);\nCREATE FUNCTION later() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM u $$;\nCREATE TABLE u (id int);\n";
    p.write("schema/a.sql", good);
    p.run(&db, &["plan"]).ok();
    for (body, says) in [
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELEC 1 $$;\n", "syntax error at or near \"SELEC\""),
        (
            "CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1 END $$;\n",
            "syntax error at end of input",
        ),
    ] {
        p.write("schema/b.sql", &format!("-- routines\n\n{body}"));
        let r = p.run(&db, &["plan"]).code(1);
        assert!(r.stderr.contains("schema/b.sql:3:1:") && r.stderr.contains(says), "{}", r.stderr);
        assert!(r.stderr.contains("is not valid"), "{}", r.stderr);
    }
}

/// Issue #18: under `--format json` an error is JSON on stdout (exit 1), with the hint
/// and the place.
#[test]
fn errors_are_json_under_format_json() {
    let db = TestDb::new("err_json");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE t (id int);\nCREATE TABLE u (id int;\n");
    let r = p.run(&db, &["plan", "--format", "json"]).code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    assert!(v["error"].as_str().unwrap().contains("syntax error"), "{}", r.stdout);
    assert!(v["hint"].as_str().is_some_and(|h| !h.is_empty()), "{}", r.stdout);
    assert_eq!(v["location"]["file"], "schema/a.sql");
    assert_eq!(v["location"]["line"], 2);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    for args in [&["status", "--format", "json"][..], &["drift", "--format", "json"][..]] {
        let r =
            p.run_raw(&[&["--database-url", "postgres://nobody:QzJsonPw@127.0.0.1:1/x"][..], args].concat()).code(1);
        let v: serde_json::Value =
            serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?} {e}: {}", r.stdout));
        assert!(v["error"].is_string(), "{args:?}: {}", r.stdout);
        assert!(!r.stdout.contains("QzJsonPw"), "{}", r.stdout);
    }
}

/// Issue #18: an error with a place in a file shows that line with a caret under the
/// place, as rustc does, then the hint.
#[test]
fn errors_show_the_offending_line_with_a_caret() {
    let db = TestDb::new("err_caret");
    let p = Project::new();
    p.write("schema/a.sql", "CREATE TABLE t (id int);\nCREATE TABLE u (id int;\n");
    let r = p.run(&db, &["plan"]).code(1);
    assert!(r.stderr.starts_with("error: schema/a.sql:2:23: "), "{}", r.stderr);
    assert!(r.stderr.contains(" --> schema/a.sql:2:23\n"), "{}", r.stderr);
    assert!(r.stderr.contains("2 | CREATE TABLE u (id int;\n  |                       ^\n"), "{}", r.stderr);
    assert!(r.stderr.contains("\nhint: "), "{}", r.stderr);
}
