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
    if !common::on_default_tier() {
        return;
    }
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

fn files(p: &Project) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(p.path().join("generated"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Regression (#14): interrupted by a file-system error, `repair --renumber` left a
/// migration only as `...sql.renumbering`, which `status` then called a stray.
#[test]
fn renumber_is_all_or_nothing() {
    let db = TestDb::new("renumber");
    let p = Project::new();
    p.write("generated/20250101000000_a.sql", "CREATE TABLE IF NOT EXISTS a (id int);\n");
    p.write("generated/20250101000000_b.sql", "CREATE TABLE IF NOT EXISTS b (id int);\n");
    p.write("generated/20250101000001_c.sql", "CREATE TABLE IF NOT EXISTS c (id int);\n");
    // The sum file cannot be replaced (a directory stands in its way): the last step of
    // the renumbering fails after every rename was done.
    std::fs::create_dir_all(p.path().join("generated/schemaspec.sum/blocked")).unwrap();
    let before = files(&p);
    let r = p.run(&db, &["repair", "--renumber"]).code(1);
    assert!(r.stderr.contains("schemaspec.sum"), "{}", r.stderr);
    assert_eq!(files(&p), before, "every file back under its name, nothing left behind");
    std::fs::remove_dir_all(p.path().join("generated/schemaspec.sum")).unwrap();
    p.run_raw(&["hash"]).ok();
    let before = files(&p);

    // A process killed half-way: its journal says what it was doing; the next run that
    // reads the directory undoes it before anything else.
    std::fs::rename(
        p.path().join("generated/20250101000000_b.sql"),
        p.path().join("generated/.20250101000000_b.sql.renumbering"),
    )
    .unwrap();
    std::fs::rename(p.path().join("generated/20250101000001_c.sql"), p.path().join("generated/20991231000000_c.sql"))
        .unwrap();
    let sum = p.read("generated/schemaspec.sum");
    p.write(
        "generated/.schemaspec-renumber.journal",
        &format!(
            "20250101000000_b.sql\t20991231000001_b.sql\n20250101000001_c.sql\t20991231000000_c.sql\n--sum--\n{sum}"
        ),
    );
    p.write("generated/schemaspec.sum", "h1:garbage\n");
    let s = p.run(&db, &["status", "--no-catalog"]);
    assert!(!s.stdout.contains("stray"), "{}", s.stdout);
    assert!(!s.stdout.contains("sum file"), "the old sum file is back: {}", s.stdout);
    assert_eq!(files(&p), before);

    // And a renumbering that succeeds.
    p.run(&db, &["repair", "--renumber"]).ok();
    let after = files(&p);
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|f| !f.contains("renumbering") && !f.starts_with('.')), "{after:?}");
    p.run(&db, &["check"]).ok();
}

/// Regression (#14): two `generate` runs into one folder wrote the same version in 3 of
/// 5 tries, and the sum file missed one run's files every time.
#[test]
fn concurrent_generates_serialize() {
    for round in 0..5 {
        let db = TestDb::new("gen_race");
        let p = Project::new();
        p.write(
            "schema/app.sql",
            &format!("CREATE TABLE t{round} (id int PRIMARY KEY);\nCREATE TABLE u{round} (id int);\n"),
        );
        let children: Vec<_> = (0..2)
            .map(|_| {
                p.command(&db, &["generate", "--from-history"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let runs: Vec<common::Run> =
            children.into_iter().map(|c| common::Run::from(c.wait_with_output().unwrap())).collect();
        for r in &runs {
            assert_eq!(r.code, 0, "round {round}: {}{}", r.stdout, r.stderr);
        }
        assert_eq!(
            runs.iter().filter(|r| r.stdout.contains("No changes")).count(),
            1,
            "round {round}: the second run sees the first one's files"
        );
        let versions: Vec<String> =
            p.migrations().iter().map(|m| m.file_name().unwrap().to_string_lossy()[..14].to_string()).collect();
        let unique: std::collections::BTreeSet<&String> = versions.iter().collect();
        assert_eq!(unique.len(), versions.len(), "round {round}: {versions:?}");
        p.run(&db, &["check"]).ok();
        p.run(&db, &["apply"]).ok();
    }
}

/// The scratch databases this test's child process owns.
fn scratch_of(db: &TestDb, pid: u32) -> Vec<String> {
    let names = db.query(&format!(
        "SELECT coalesce(string_agg(datname, ','), '') FROM pg_database WHERE datname LIKE 'schemaspec\\_scratch\\_%\\_{pid}\\_%'"
    ));
    names.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn slow_project() -> Project {
    let p = Project::new();
    p.write("schema/app.sql", "CREATE TABLE t (id int);\nDO $$ BEGIN PERFORM pg_sleep(20); END $$;\n");
    p
}

fn wait_for_scratch(db: &TestDb, pid: u32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while scratch_of(db, pid).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no scratch database appeared");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Regression (#14): a SIGTERMed `plan` or a SIGKILLed `generate` left its scratch
/// databases behind for good.
#[test]
fn scratch_databases_are_dropped_on_signals_and_after_a_kill() {
    use nix::sys::signal::{kill, Signal};
    let db = TestDb::new("leftover");
    for (signal, code) in [(Signal::SIGTERM, 143), (Signal::SIGHUP, 129), (Signal::SIGINT, 130)] {
        let p = slow_project();
        let child = p
            .command(&db, &["plan"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        wait_for_scratch(&db, pid);
        kill(nix::unistd::Pid::from_raw(pid as i32), signal).unwrap();
        let r = common::Run::from(child.wait_with_output().unwrap());
        assert_eq!(r.code, code, "{signal}: {}", r.stderr);
        assert!(scratch_of(&db, pid).is_empty(), "{signal}: dropped on the way out");
    }
    // SIGKILL cannot be caught: the next run on this machine drops what it left.
    let p = slow_project();
    let mut child = p
        .command(&db, &["generate"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    wait_for_scratch(&db, pid);
    child.kill().unwrap();
    child.wait().unwrap();
    let left = scratch_of(&db, pid);
    assert_eq!(left.len(), 1, "left behind by the kill");
    let next = Project::new();
    next.write("schema/app.sql", "CREATE TABLE t (id int);\n");
    next.run(&db, &["plan"]).ok();
    assert!(scratch_of(&db, pid).is_empty(), "{left:?} dropped by the next run");
}

/// Regression (#14): after a cancelled concurrent build the documented recovery left an
/// INVALID index, and `status` said the catalog matched.
#[test]
fn invalid_indexes_are_drift_with_the_sql_that_mends_them() {
    let db = TestDb::new("invalid_index");
    let p = Project::new();
    p.write("schema/app.sql", "CREATE TABLE t (a int);\nCREATE UNIQUE INDEX t_a ON t (a);\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    db.exec("INSERT INTO t SELECT generate_series(1, 100)");
    // What a failed CREATE INDEX CONCURRENTLY leaves behind.
    db.exec("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.t_a'::regclass");
    let s = p.run(&db, &["status"]).code(2);
    assert!(s.stdout.contains("INVALID"), "{}", s.stdout);
    let d = p.run(&db, &["drift"]).code(2);
    assert!(d.stdout.contains("drop index public.t_a (INVALID"), "{}", d.stdout);
    assert!(d.stdout.contains("CREATE UNIQUE INDEX"), "{}", d.stdout);
    // The plan rebuilds it (online: concurrently, in files of their own).
    let plan = p.run(&db, &["plan"]).ok();
    assert!(plan.stdout.contains("CONCURRENTLY"), "{}", plan.stdout);
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    assert_eq!(db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.t_a'::regclass"), "t");
    p.run(&db, &["status"]).ok();
}

/// Regression (#14): `tracking_table = "public.schema_migrations"` silently stopped
/// `public` from being managed (`plan`: "No changes" while tables were missing).
#[test]
fn a_tracking_table_in_a_managed_schema_is_refused() {
    let db = TestDb::new("tracking_public");
    let p = Project::new();
    p.write("schema/app.sql", "CREATE TABLE t (a int);\n");
    p.write("schemaspec.toml", "tracking_table = \"public.schema_migrations\"\n");
    let r = p.run(&db, &["plan"]).code(1);
    assert!(r.stderr.contains("is in schema public, which schemaspec manages"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: keep the tracking table in a schema of its own"), "{}", r.stderr);
    assert_eq!(db.query("SELECT to_regclass('public.schema_migrations') IS NULL"), "t");
}
