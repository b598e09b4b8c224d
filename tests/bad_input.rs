//! A catalog of bad inputs (issue #5). Each case starts from the same healthy project
//! (one table, its migration applied, a row in it), breaks one thing, runs one command,
//! and must get: exit 1, a message naming the place (file:line, object or setting), a
//! hint saying what to do, and the database, tracking table and project files exactly as
//! they were (compared as snapshots before and after).

mod common;

use common::{Project, TestDb};
use std::collections::BTreeMap;

const SCHEMA: &str = "CREATE TABLE t (id int PRIMARY KEY, n int);\n";

struct Case {
    name: &'static str,
    /// Breaks the healthy project or database.
    setup: fn(&Project, &TestDb),
    /// The command; `{db}` is the test database's URL. Cases that give `--database-url`
    /// (bad URLs) get no URLs added; `{full}` makes writes fail as on a full disk.
    args: &'static [&'static str],
    /// Every one of these must be in stderr.
    expect: &'static [&'static str],
}

fn healthy() -> (Project, TestDb) {
    let db = TestDb::new("bad");
    let p = Project::new();
    p.write("schema/app.sql", SCHEMA);
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    db.exec("INSERT INTO t VALUES (1, 1)");
    (p, db)
}

/// Everything a failed command must leave alone.
fn snapshot(p: &Project, db: &TestDb) -> String {
    let catalog = format!("{:#?}", db.catalog());
    let tracking = db.query(
        "SELECT CASE WHEN to_regclass('schemaspec.schema_migrations') IS NULL THEN 'none' ELSE
           (SELECT coalesce(string_agg(version || ' ' || checksum || ' ' || success, ', ' ORDER BY version), '')
              FROM schemaspec.schema_migrations) END",
    );
    let rows = db.query("SELECT coalesce(string_agg(id || '/' || n, ',' ORDER BY id), '') FROM t");
    let mut files = BTreeMap::new();
    for sub in ["generated", "schema"] {
        for e in std::fs::read_dir(p.path().join(sub)).into_iter().flatten().flatten() {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            files.insert(format!("{sub}/{}", e.file_name().to_string_lossy()), bytes);
        }
    }
    format!("{catalog}\ntracking: {tracking}\nrows: {rows}\nfiles: {files:?}")
}

fn first_migration(p: &Project) -> String {
    p.migrations()[0].file_name().unwrap().to_string_lossy().to_string()
}

fn pending(p: &Project, name: &str, sql: &str) {
    p.write(&format!("generated/{name}"), sql);
    p.run_raw(&["hash"]).ok();
}

fn config(p: &Project, toml: &str) {
    p.write("schemaspec.toml", toml);
}

fn cases() -> Vec<Case> {
    vec![
        // Schema files.
        Case {
            name: "syntax error",
            setup: |p, _| p.write("schema/bad.sql", "CREATE TABLE u (id int);\n\nCREATE TABEL v (id int);\n"),
            args: &["plan"],
            expect: &["schema/bad.sql:3:8", "syntax error at or near \"TABEL\""],
        },
        Case {
            name: "unknown type",
            setup: |p, _| p.write("schema/bad.sql", "CREATE TABLE u (\n  id int,\n  x nosuchtype\n);\n"),
            args: &["plan"],
            expect: &["schema/bad.sql:3:5", "type \"nosuchtype\" does not exist"],
        },
        Case {
            name: "unknown function in a default",
            setup: |p, _| p.write("schema/bad.sql", "CREATE TABLE u (id int DEFAULT no_such_fn());\n"),
            args: &["generate"],
            expect: &["schema/bad.sql:1:", "no_such_fn() does not exist"],
        },
        Case {
            name: "meta-command in a schema file",
            setup: |p, _| p.write("schema/bad.sql", "CREATE TABLE u (id int);\n\\d u\n"),
            args: &["plan"],
            expect: &["schema/bad.sql:2: psql meta-command `\\d u`"],
        },
        Case {
            name: "include meta-command",
            setup: |p, _| p.write("schema/bad.sql", "\\i other.sql\n"),
            args: &["generate"],
            expect: &["schema/bad.sql:1: psql meta-command `\\i other.sql`"],
        },
        Case {
            name: "extension the scratch server lacks",
            setup: |p, _| p.write("schema/bad.sql", "CREATE EXTENSION no_such_extension;\n"),
            args: &["plan"],
            expect: &["schema/bad.sql:1:", "no_such_extension"],
        },
        Case {
            name: "dependency cycle between views",
            setup: |p, _| {
                p.write("schema/bad.sql", "CREATE VIEW v1 AS SELECT * FROM v2;\nCREATE VIEW v2 AS SELECT * FROM v1;\n")
            },
            args: &["plan"],
            expect: &["schema/bad.sql:", "does not exist"],
        },
        Case {
            name: "object defined twice",
            setup: |p, _| p.write("schema/bad.sql", "CREATE TABLE t (id int);\n"),
            args: &["plan"],
            expect: &["schema/bad.sql:1:", "\"t\" already exists"],
        },
        Case {
            name: "unterminated dollar quote",
            setup: |p, _| p.write("schema/bad.sql", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n"),
            args: &["plan"],
            expect: &["schema/bad.sql:1:"],
        },
        Case {
            name: "policy on a missing table",
            setup: |p, _| p.write("schema/bad.sql", "CREATE POLICY p ON nowhere USING (true);\n"),
            args: &["plan"],
            expect: &["schema/bad.sql:1:", "\"nowhere\" does not exist"],
        },
        Case {
            name: "trigger with a missing function",
            setup: |p, _| {
                p.write(
                    "schema/bad.sql",
                    "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION nope();\n",
                )
            },
            args: &["plan"],
            expect: &["schema/bad.sql:1:", "nope() does not exist"],
        },
        Case {
            name: "schema file not UTF-8",
            setup: |p, _| {
                std::fs::write(p.path().join("schema/bad.sql"), b"CREATE TABLE u (x text DEFAULT '\xff');\n").unwrap()
            },
            args: &["plan"],
            expect: &["schema/bad.sql"],
        },
        Case {
            name: "schema directory missing",
            setup: |_, _| {},
            args: &["plan", "--schema-dir", "no_such_dir"],
            expect: &["no_such_dir"],
        },
        // schemaspec.toml.
        Case {
            name: "config not TOML",
            setup: |p, _| config(p, "max_file_lines = \n"),
            args: &["plan"],
            expect: &["schemaspec.toml", "line 1"],
        },
        Case {
            name: "config unknown key",
            setup: |p, _| config(p, "lock_timeuot = \"5s\"\n"),
            args: &["plan"],
            expect: &["schemaspec.toml", "unknown field `lock_timeuot`"],
        },
        Case {
            name: "config wrong type",
            setup: |p, _| config(p, "max_file_lines = \"many\"\n"),
            args: &["generate"],
            expect: &["schemaspec.toml", "max_file_lines"],
        },
        Case {
            name: "config max_file_lines too small",
            setup: |p, _| config(p, "max_file_lines = 3\n"),
            args: &["generate"],
            expect: &["schemaspec.toml", "max_file_lines must be at least 10"],
        },
        Case {
            name: "config tracking_table without schema",
            setup: |p, _| config(p, "tracking_table = \"migrations\"\n"),
            args: &["apply"],
            expect: &["schemaspec.toml", "tracking_table must be `schema.table`"],
        },
        Case {
            name: "config online_ddl not a boolean",
            setup: |p, _| config(p, "online_ddl = \"yes\"\n"),
            args: &["plan"],
            expect: &["schemaspec.toml", "online_ddl"],
        },
        Case {
            name: "config invalid lock_timeout",
            setup: |p, _| {
                pending(p, "20990101000000_more.sql", "CREATE TABLE u (id int);\n");
                config(p, "lock_timeout = \"soon\"\n");
            },
            args: &["apply"],
            expect: &["schemaspec.toml", "lock_timeout = \"soon\" is not a duration"],
        },
        // Connections.
        Case {
            name: "unreachable host",
            setup: |_, _| {},
            args: &["--database-url", "postgres://app@127.0.0.1:1/app?connect_timeout=3", "plan"],
            expect: &["cannot connect to postgresql://app@127.0.0.1:1/app", "Connection refused"],
        },
        Case {
            name: "unknown host name",
            setup: |_, _| {},
            args: &["--database-url", "postgres://app@no-such-host.invalid:5432/app?connect_timeout=3", "apply"],
            expect: &["cannot connect to", "no-such-host.invalid"],
        },
        Case {
            name: "database does not exist",
            setup: |_, _| {},
            args: &["--database-url", "{nodb}", "apply"],
            expect: &["cannot connect to", "database \"no_such_database\" does not exist"],
        },
        Case {
            name: "role does not exist",
            setup: |_, _| {},
            args: &["--database-url", "{norole}", "status"],
            expect: &["cannot connect to", "role \"no_such_role\" does not exist"],
        },
        Case {
            name: "dev server unreachable",
            setup: |_, _| {},
            args: &["--database-url", "{db}", "--dev-url", "postgres://x@127.0.0.1:1/x?connect_timeout=3", "generate"],
            expect: &["cannot connect to postgresql://x@127.0.0.1:1/x"],
        },
        Case {
            name: "connection string not parsable",
            setup: |_, _| {},
            args: &["--database-url", "postgres://app@host:notaport/db", "plan"],
            // The string itself is never echoed: it may hold a password.
            expect: &["not valid (invalid value for option `port`)"],
        },
        Case {
            name: "sslmode unknown",
            setup: |_, _| {},
            args: &["--database-url", "postgres://app@127.0.0.1:1/db?sslmode=sometimes", "plan"],
            expect: &["sslmode"],
        },
        // The migrations directory and the history.
        Case {
            name: "edited applied migration",
            setup: |p, _| {
                let f = first_migration(p);
                let path = format!("generated/{f}");
                let content = p.read(&path);
                p.write(&path, &content.replace("CREATE TABLE", "CREATE UNLOGGED TABLE"));
            },
            args: &["apply"],
            expect: &["schemaspec.sum does not match", "_create_t.sql"],
        },
        Case {
            name: "edited applied migration, sum file rewritten",
            setup: |p, _| {
                let f = first_migration(p);
                let path = format!("generated/{f}");
                let content = p.read(&path);
                p.write(&path, &content.replace("CREATE TABLE", "CREATE UNLOGGED TABLE"));
                p.run_raw(&["hash"]).ok();
            },
            args: &["apply"],
            expect: &["_create_t.sql was edited after it was applied"],
        },
        Case {
            name: "sum file mismatch",
            setup: |p, _| {
                let sum = p.read("generated/schemaspec.sum");
                p.write("generated/schemaspec.sum", &sum.replacen(|c: char| c.is_ascii_hexdigit(), "0", 3));
            },
            args: &["apply"],
            expect: &["schemaspec.sum does not match"],
        },
        Case {
            name: "migration file name without a version",
            setup: |p, _| p.write("generated/add_users.sql", "CREATE TABLE users (id int);\n"),
            args: &["apply"],
            expect: &["generated/add_users.sql is not named like a migration"],
        },
        Case {
            name: "migration version too short",
            setup: |p, _| p.write("generated/2025010_add_users.sql", "CREATE TABLE users (id int);\n"),
            args: &["apply"],
            expect: &["generated/2025010_add_users.sql is not named like a migration"],
        },
        Case {
            name: "duplicate versions",
            setup: |p, _| {
                p.write("generated/20990101000000_a.sql", "CREATE TABLE a (id int);\n");
                p.write("generated/20990101000000_b.sql", "CREATE TABLE b (id int);\n");
                p.run_raw(&["hash"]).ok();
            },
            args: &["apply"],
            expect: &["have version 20990101000000"],
        },
        Case {
            name: "meta-command in a pending migration",
            setup: |p, _| pending(p, "20990101000000_more.sql", "CREATE TABLE u (id int);\n\\echo done\n"),
            args: &["apply"],
            expect: &["20990101000000_more.sql:2: psql meta-command `\\echo done`"],
        },
        Case {
            name: "pending migration older than the applied ones",
            setup: |p, _| pending(p, "20000101000000_old.sql", "CREATE TABLE u (id int);\n"),
            args: &["apply"],
            expect: &["20000101000000_old.sql is older than the newest applied migration"],
        },
        Case {
            name: "pending migration with an SQL error",
            setup: |p, _| {
                pending(p, "20990101000000_more.sql", "CREATE TABLE u (id int);\nINSERT INTO u VALUES ('x');\n")
            },
            args: &["apply"],
            expect: &["20990101000000_more.sql:2:", "invalid input syntax for type integer"],
        },
        Case {
            name: "pending migration using a missing table",
            setup: |p, _| pending(p, "20990101000000_more.sql", "ALTER TABLE nowhere ADD COLUMN x int;\n"),
            args: &["apply"],
            expect: &["20990101000000_more.sql:1:", "\"nowhere\" does not exist"],
        },
        Case {
            name: "pending hazard not allowed on apply",
            setup: |p, _| {
                pending(p, "20990101000000_drop.sql", "ALTER TABLE t DROP COLUMN n;\n");
                config(p, "apply_checks_hazards = true\n");
            },
            args: &["apply"],
            expect: &["20990101000000_drop.sql has deletes_data"],
        },
        Case {
            name: "unknown hazard name",
            setup: |p, _| p.write("schema/app.sql", "CREATE TABLE t (id int PRIMARY KEY);\n"),
            args: &["generate", "--allow-hazards", "drops_stuff"],
            expect: &["unknown hazard \"drops_stuff\""],
        },
        Case {
            name: "hazard not allowed on generate",
            setup: |p, _| p.write("schema/app.sql", "CREATE TABLE t (id int PRIMARY KEY);\n"),
            args: &["generate"],
            expect: &["hazards that were not allowed", "deletes_data", "drop column public.t.n"],
        },
        Case {
            name: "mark-applied of a version with no file",
            setup: |_, _| {},
            args: &["repair", "--mark-applied", "20990101000000"],
            expect: &["20990101000000"],
        },
        Case {
            name: "read-only database",
            setup: |p, db| {
                pending(p, "20990101000000_more.sql", "CREATE TABLE u (id int);\n");
                db.exec(&format!("ALTER DATABASE \"{}\" SET default_transaction_read_only = on", db.name));
            },
            args: &["apply"],
            expect: &["read-only transaction"],
        },
        Case {
            name: "insufficient privileges",
            setup: |p, db| {
                pending(p, "20990101000000_more.sql", "CREATE TABLE u (id int);\n");
                db.exec("DO $$ BEGIN CREATE ROLE schemaspec_limited LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;");
                db.exec("GRANT USAGE ON SCHEMA schemaspec TO schemaspec_limited; GRANT SELECT ON ALL TABLES IN SCHEMA schemaspec TO schemaspec_limited; REVOKE CREATE ON SCHEMA public FROM PUBLIC");
            },
            args: &["--database-url", "{limited}", "apply"],
            expect: &["permission denied"],
        },
        Case {
            name: "migrations directory is a file",
            setup: |p, _| {
                p.write("migs", "not a directory\n");
                p.write("schema/app.sql", "CREATE TABLE t (id int PRIMARY KEY, n int, m int);\n");
            },
            args: &["generate", "--migrations-dir", "migs"],
            expect: &["migs"],
        },
        Case {
            name: "migrations directory full",
            setup: |p, _| p.write("schema/app.sql", "CREATE TABLE t (id int PRIMARY KEY, n int, m int);\n"),
            args: &["generate", "{full}"],
            expect: &["generated/", "File too large"],
        },
    ]
}

#[test]
fn bad_inputs_fail_clearly_and_change_nothing() {
    let cases = cases();
    assert!(cases.len() >= 40, "the catalog holds {} cases", cases.len());
    // The cases are independent (a project and a database each), four at once.
    let failures: Vec<String> = common::parallel(&cases, 4, run_case).into_iter().flatten().collect();
    assert!(failures.is_empty(), "{} of {} cases:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

/// One case from a healthy project: what is wrong with its outcome, if anything.
fn run_case(case: &Case) -> Option<String> {
    let (p, db) = healthy();
    (case.setup)(&p, &db);
    let before = snapshot(&p, &db);
    let base = common::admin_url();
    let replace = |a: &str| {
        a.replace("{db}", &db.url)
            .replace("{nodb}", &base.replace("dbname=postgres", "dbname=no_such_database"))
            .replace("{norole}", &db.url.replace("user=postgres", "user=no_such_role"))
            .replace("{limited}", &db.url.replace("user=postgres", "user=schemaspec_limited"))
    };
    let args: Vec<String> = case.args.iter().filter(|a| **a != "{full}").map(|a| replace(a)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = if case.args.contains(&"--database-url") {
        let mut c = p.bare_command();
        if !args.contains(&"--dev-url") {
            c.args(["--dev-url", &base]);
        }
        c.args(&args);
        c
    } else {
        p.command(&db, &args)
    };
    if case.args.contains(&"{full}") {
        // A full disk, as far as the process can tell: writes past 200 bytes fail (EFBIG).
        use std::os::unix::process::CommandExt;
        cmd.env("SCHEMASPEC_NO_CACHE", "1");
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit { rlim_cur: 200, rlim_max: 200 };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    }
    let r = common::Run::from(cmd.output().unwrap());
    // Reset what the case set on the database before comparing the rest.
    common::exec(&base, &format!("ALTER DATABASE \"{}\" RESET default_transaction_read_only", db.name));
    let mut problems = Vec::new();
    if r.code != 1 {
        problems.push(format!("exit {} (expected 1)", r.code));
    }
    for e in case.expect {
        if !r.stderr.contains(e) {
            problems.push(format!("stderr lacks {e:?}"));
        }
    }
    if !r.stderr.contains("\nhint: ") {
        problems.push("no hint".into());
    }
    if snapshot(&p, &db) != before {
        problems.push("the database or the project files changed".into());
    }
    (!problems.is_empty())
        .then(|| format!("{}: {}\nstdout:\n{}\nstderr:\n{}", case.name, problems.join("; "), r.stdout, r.stderr))
}
