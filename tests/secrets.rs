//! No password in any output (issue #14): a table of connection-string forms (URIs with
//! unencoded `@ / ?` in the password, `key = value` with spaces, quotes and escapes,
//! keywords in the wrong case, strings that cannot be parsed, PGPASSWORD, password
//! files, schemaspec.toml, DATABASE_URL) times every command that connects, with logs
//! at every level. Reachable forms go to the test server (trust on its socket: the
//! password is not needed there, so the command gets as far as printing the address);
//! unreachable ones to a closed port, so the failure paths print too.

mod common;

use common::{Project, TestDb};
use std::os::unix::fs::PermissionsExt;

/// Every command that connects, with arguments that make it do its usual work.
const COMMANDS: [&[&str]; 13] = [
    &["plan"],
    &["plan", "--format", "json"],
    &["generate"],
    &["apply"],
    &["status"],
    &["status", "--format", "json"],
    &["check"],
    &["repair", "--mark-unapplied", "20990101000000"],
    &["dump", "--out", "dumped"],
    &["baseline"],
    &["import", "--dry-run"],
    &["drift"],
    &["drift", "--format", "json"],
];

/// How a form gives its secret to schemaspec.
enum Via {
    /// `--database-url` and `--dev-url` (the dev URL names the `postgres` database).
    Flags,
    /// `DATABASE_URL` and `SCHEMASPEC_DEV_URL`.
    Environment,
    /// schemaspec.toml's database_url and dev_url, written as the given TOML lines.
    ConfigFile,
}

struct Form {
    what: &'static str,
    /// The connection string for a database name.
    url: Box<dyn Fn(&str) -> String>,
    /// Extra environment (PGPASSWORD, PGPASSFILE, HOME).
    env: Vec<(&'static str, String)>,
    via: Via,
    /// Words of the secret: none may appear anywhere in the output.
    secret: &'static [&'static str],
    reachable: bool,
}

fn socket() -> String {
    let admin = common::admin_url();
    admin.split_whitespace().find_map(|kv| kv.strip_prefix("host=")).unwrap().to_string()
}

fn forms(pgpass_dir: &std::path::Path) -> Vec<Form> {
    let sock = socket();
    let passfile = pgpass_dir.join("pgpass");
    std::fs::write(&passfile, "*:*:*:*:QzFileSecret\n").unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(pgpass_dir.join(".pgpass"), "*:*:*:*:QzHomeSecret\n").unwrap();
    std::fs::set_permissions(pgpass_dir.join(".pgpass"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let file = passfile.display().to_string();
    let home = pgpass_dir.display().to_string();
    let s = sock.clone();
    let closed = "127.0.0.1:1";
    let mut forms = vec![
        Form {
            what: "URI, unencoded @ / ? in the password",
            url: Box::new(move |db| format!("postgresql://postgres:Qz8@sEc/Ret?Wq@/{db}?host={s}")),
            env: vec![],
            via: Via::Flags,
            secret: &["Qz8", "sEc", "Ret?Wq", "Wq@"],
            reachable: true,
        },
        Form {
            what: "key = value, spaces and quotes",
            url: Box::new({
                let s = sock.clone();
                move |db| format!("host={s} user=postgres password = 'Qz quoted Secret' dbname={db}")
            }),
            env: vec![],
            via: Via::Flags,
            secret: &["Qz quoted", "quoted Secret"],
            reachable: true,
        },
        Form {
            what: "key=value with an escaped space",
            url: Box::new({
                let s = sock.clone();
                move |db| format!("host={s} user=postgres password=QzEsc\\ aped dbname={db}")
            }),
            env: vec![],
            via: Via::Environment,
            secret: &["QzEsc", "aped"],
            reachable: true,
        },
        Form {
            what: "password in the URI query",
            url: Box::new({
                let s = sock.clone();
                move |db| format!("postgresql://postgres@/{db}?host={s}&password=QzQuerySecret")
            }),
            env: vec![],
            via: Via::ConfigFile,
            secret: &["QzQuerySecret"],
            reachable: true,
        },
        Form {
            what: "PGPASSWORD",
            url: Box::new({
                let s = sock.clone();
                move |db| format!("host={s} user=postgres dbname={db}")
            }),
            env: vec![("PGPASSWORD", "QzEnvSecret".into())],
            via: Via::Flags,
            secret: &["QzEnvSecret"],
            reachable: true,
        },
        Form {
            what: "passfile parameter",
            url: Box::new({
                let s = sock.clone();
                let f = file.clone();
                move |db| format!("host={s} user=postgres dbname={db} passfile={f}")
            }),
            env: vec![],
            via: Via::Flags,
            secret: &["QzFileSecret"],
            reachable: true,
        },
        Form {
            what: "PGPASSFILE and ~/.pgpass",
            url: Box::new({
                let s = sock.clone();
                move |db| format!("host={s} user=postgres dbname={db}")
            }),
            env: vec![("PGPASSFILE", file.clone()), ("HOME", home.clone())],
            via: Via::Flags,
            secret: &["QzFileSecret", "QzHomeSecret"],
            reachable: true,
        },
    ];
    let unreachable: [(&'static str, String, &'static [&'static str], Via); 15] = [
        ("URI", format!("postgres://app:QzPlainSecret@{closed}/app"), &["QzPlainSecret"], Via::Flags),
        ("URI, unencoded @", format!("postgres://app:Qz8@sEcAt@{closed}/app"), &["Qz8", "sEcAt"], Via::Flags),
        ("URI, unencoded /", format!("postgres://app:Qz8/sEcSl@{closed}/app"), &["Qz8", "sEcSl"], Via::Flags),
        ("URI, unencoded ?", format!("postgres://app:Qz8?sEcQm@{closed}/app"), &["Qz8", "sEcQm"], Via::Flags),
        ("URI, percent-encoded", format!("postgres://app:Qz8%40sEcPc@{closed}/app"), &["Qz8", "sEcPc"], Via::Flags),
        ("key = value", "host=127.0.0.1 port=1 user=app password = QzSpaced".into(), &["QzSpaced"], Via::Flags),
        ("upper-case keyword", "PASSWORD=QzUpper host=127.0.0.1 port=1".into(), &["QzUpper"], Via::Flags),
        ("bad port", "postgres://app:QzBadPort@127.0.0.1:notaport/app".into(), &["QzBadPort"], Via::Flags),
        ("bad sslmode", format!("postgres://app:QzBadMode@{closed}/app?sslmode=bogus"), &["QzBadMode"], Via::Flags),
        ("unterminated quote", "host=127.0.0.1 port=1 password='QzQuoted open".into(), &["QzQuoted"], Via::Flags),
        ("bad percent-encoding", "postgres://app:Qz%ZZbadPct@127.0.0.1:1/app".into(), &["ZZbadPct"], Via::Flags),
        (
            "sslmode=require",
            format!("postgres://app:QzTlsSecret@{closed}/app?sslmode=require"),
            &["QzTlsSecret"],
            Via::Flags,
        ),
        ("DATABASE_URL", format!("postgres://app:QzEnvUrl@{closed}/app"), &["QzEnvUrl"], Via::Environment),
        ("schemaspec.toml", format!("postgres://app:QzToml@{closed}/app"), &["QzToml"], Via::ConfigFile),
        ("word without a value", "host=127.0.0.1 QzLoneWord".into(), &["QzLoneWord"], Via::Flags),
    ];
    for (what, url, secret, via) in unreachable {
        forms.push(Form { what, url: Box::new(move |_| url.clone()), env: vec![], via, secret, reachable: false });
    }
    forms
}

fn run(p: &Project, form: &Form, db: &str, args: &[&str]) -> common::Run {
    let mut cmd = p.bare_command();
    cmd.env("SCHEMASPEC_LOG", "trace").env("SCHEMASPEC_NO_CACHE", "1");
    for var in ["PGPASSWORD", "PGPASSFILE", "PGHOST", "PGUSER", "PGDATABASE", "PGPORT"] {
        cmd.env_remove(var);
    }
    for (k, v) in &form.env {
        cmd.env(k, v);
    }
    let (live, dev) = ((form.url)(db), (form.url)("postgres"));
    match form.via {
        Via::Flags => {
            cmd.args(["--database-url", &live, "--dev-url", &dev]);
        }
        Via::Environment => {
            cmd.env("DATABASE_URL", &live).env("SCHEMASPEC_DEV_URL", &dev);
        }
        Via::ConfigFile => {
            let toml = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
            p.write("schemaspec.toml", &format!("database_url = \"{}\"\ndev_url = \"{}\"\n", toml(&live), toml(&dev)));
        }
    }
    common::Run::from(cmd.args(args).output().unwrap())
}

#[test]
fn no_password_in_any_output_of_any_command() {
    if !common::on_default_tier() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let forms = forms(dir.path());
    assert!(forms.len() >= 15);
    let mut checked = 0;
    for form in &forms {
        let db = TestDb::new("secrets");
        let p = Project::new();
        p.write("schema/app.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);\n");
        for args in COMMANDS {
            let r = run(&p, form, &db.name, args);
            for word in form.secret {
                assert!(
                    !r.stdout.contains(word) && !r.stderr.contains(word),
                    "{} / {args:?}: `{word}` printed\nstdout:\n{}\nstderr:\n{}",
                    form.what,
                    r.stdout,
                    r.stderr
                );
            }
            assert_ne!(r.code, 101, "{} / {args:?} panicked: {}", form.what, r.stderr);
            if form.reachable && args == ["status"] {
                assert!(
                    r.stdout.contains("Database: postgresql://postgres@/"),
                    "{}: {}{}",
                    form.what,
                    r.stdout,
                    r.stderr
                );
            }
            if !form.reachable {
                assert_eq!(r.code, 1, "{} / {args:?}: {}{}", form.what, r.stdout, r.stderr);
                // Under --format json the error (and its hint) is JSON on stdout.
                let hinted =
                    if args.contains(&"json") { r.stdout.contains("\"hint\": \"") } else { r.stderr.contains("hint:") };
                assert!(hinted, "{} / {args:?}: {}{}", form.what, r.stdout, r.stderr);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, forms.len() * COMMANDS.len());
}

#[test]
fn a_broken_config_line_is_named_without_being_shown() {
    let p = Project::new();
    p.write("schemaspec.toml", "database_url = \"postgres://app:QzTomlBroken@db/app\" trailing\n");
    let r = p.run_raw(&["status"]).code(1);
    assert!(r.stderr.contains("schemaspec.toml: line 1"), "{}", r.stderr);
    assert!(!r.stderr.contains("QzTomlBroken"), "{}", r.stderr);
}
