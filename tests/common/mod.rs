//! Test harness: one PostgreSQL server for the whole test run (started on first use
//! and shared by every test process through a file lock: nextest runs each test in its
//! own process), and uniquely named databases that each test creates and drops.
#![allow(dead_code)]

use schemaspec::pg::embedded;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The directory whose `.schemaspec/pg` holds the shared test cluster; `.ci/run` stops
/// it with `schemaspec -C <this> embedded stop`.
pub fn cluster_project() -> PathBuf {
    // One cluster per server version tier (SCHEMASPEC_PG_BIN picks the binaries).
    let name = match std::env::var("SCHEMASPEC_PG_BIN") {
        Ok(bin) => format!("test-cluster-{}", &schemaspec::history::checksum(&bin)[..10]),
        Err(_) => "test-cluster".to_string(),
    };
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn cluster() -> &'static embedded::Cluster {
    static CLUSTER: OnceLock<embedded::Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let home = cluster_project().join(".schemaspec").join("pg");
        let cluster = embedded::ensure(&home)
            .unwrap_or_else(|e| panic!("cannot start the test PostgreSQL: {e} ({:?})", e.hint()));
        // Scratch databases in memory, as the embedded default has them.
        runtime().block_on(schemaspec::pg::scratch::admin_of(&cluster)).unwrap();
        cluster
    })
}

/// False (and says so) on the extra server tiers (`SCHEMASPEC_PG_BIN`, see
/// scripts/test-pg-versions) for tests whose subject does not depend on the server's
/// version (connection strings, the file system, OS users): they run once, on the
/// default tier, to keep the whole suite short.
pub fn on_default_tier() -> bool {
    let default = std::env::var_os("SCHEMASPEC_PG_BIN").is_none();
    if !default {
        eprintln!("skipped on this tier: the test does not depend on the server's version; it runs on the default one");
    }
    default
}

/// `CREATE DATABASE` of an empty database named `name` on the test cluster: in its
/// scratch tablespace in memory where it has one, as schemaspec's own scratch databases
/// are. On a disk, making a database's files cost 200-300 ms each here against 10-20
/// ms in memory, and the suite makes about a thousand per server tier.
pub fn create_database_sql(name: &str) -> String {
    let space = match cluster().scratch_space {
        Some(_) => format!(" TABLESPACE {}", embedded::SCRATCH_TABLESPACE),
        None => String::new(),
    };
    format!("CREATE DATABASE \"{name}\" TEMPLATE template0{space}")
}

/// `f` of every item, on `threads` threads that take the next item as they finish one
/// (tests of independent cases that mostly wait on processes and the server); the
/// results in the items' order. A panic in `f` fails the caller.
pub fn parallel<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicU32::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Connection string of the `postgres` database (for scratch databases).
pub fn admin_url() -> String {
    cluster().url("postgres")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Run SQL (several statements allowed) against a connection string.
pub fn exec(url: &str, sql: &str) {
    runtime().block_on(async {
        let client = connect(url).await;
        client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("SQL failed: {}\n{sql}", schemaspec::pg::db_message(&e)));
    })
}

/// First column of the first row, as text.
pub fn query_text(url: &str, sql: &str) -> String {
    runtime().block_on(async {
        let client = connect(url).await;
        let rows = client.simple_query(sql).await.unwrap_or_else(|e| panic!("query failed: {e}\n{sql}"));
        rows.iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("NULL").to_string()),
                _ => None,
            })
            .unwrap_or_default()
    })
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let target = schemaspec::pg::Target::parse(url).unwrap();
    schemaspec::pg::connect(&target).await.unwrap()
}

/// A database of its own for one test, dropped when it goes out of scope.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new(prefix: &str) -> TestDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("t_{prefix}_{}_{}_{nanos:x}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
            .to_ascii_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
        exec(&admin_url(), &create_database_sql(&name));
        TestDb { url: cluster().url(&name), name }
    }

    pub fn exec(&self, sql: &str) {
        exec(&self.url, sql)
    }

    /// Load SQL the way schemaspec loads schema files (any order, deferred retries).
    pub fn load(&self, sql: &str) {
        runtime().block_on(async {
            let client = connect(&self.url).await;
            let sources = [schemaspec::pg::load::Source { name: "after.sql".into(), text: sql.to_string() }];
            schemaspec::pg::load::load(&client, &sources).await.unwrap_or_else(|e| panic!("loading failed: {e}"));
        })
    }

    /// Load SQL over `connections` connections at once, as schemaspec loads a scratch
    /// database (one connection: the batched path alone).
    pub fn load_over(&self, connections: usize, sql: &str) -> Result<usize, String> {
        runtime().block_on(async {
            let mut clients = Vec::new();
            for _ in 0..connections {
                clients.push(connect(&self.url).await);
            }
            let sources = [schemaspec::pg::load::Source { name: "schema.sql".into(), text: sql.to_string() }];
            schemaspec::pg::load::load_with(&clients, &sources, &mut |_| Vec::new()).await.map_err(|e| e.to_string())
        })
    }

    pub fn query(&self, sql: &str) -> String {
        query_text(&self.url, sql)
    }

    /// The catalog schemaspec reads from this database (tracking schema excluded).
    pub fn catalog(&self) -> schemaspec::catalog::Catalog {
        self.catalog_without(&["schemaspec"])
    }

    /// The catalog of every schema but these.
    pub fn catalog_without(&self, schemas: &[&str]) -> schemaspec::catalog::Catalog {
        runtime().block_on(async {
            let client = connect(&self.url).await;
            let exclude = schemas.iter().map(|s| s.to_string()).collect();
            let scope = schemaspec::pg::introspect::Scope { exclude, ..Default::default() };
            schemaspec::pg::introspect::read_catalog(&client, &scope).await.unwrap()
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = runtime().block_on(async { connect(&admin_url()).await.batch_execute(&sql).await });
    }
}

/// A throwaway schemaspec project directory.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("projects");
        std::fs::create_dir_all(&base).unwrap();
        let dir = tempfile::Builder::new().prefix("proj").tempdir_in(base).unwrap();
        std::fs::create_dir_all(dir.path().join("schema")).unwrap();
        // A project of its own: commands find no schemaspec.toml further up (the
        // repository's own is above target/).
        std::fs::write(dir.path().join("schemaspec.toml"), "# a test project\n").unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Migration files in generated/, sorted.
    pub fn migrations(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path().join("generated"))
            .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "sql")).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Run the CLI in this project against `db`, with scratch databases on the test server.
    pub fn run(&self, db: &TestDb, args: &[&str]) -> Run {
        Run::from(self.command(db, args).output().unwrap())
    }

    /// The CLI in this project with no database settings from the environment; the
    /// caller adds the arguments (URLs of its own, or none).
    pub fn bare_command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaspec"));
        cmd.current_dir(self.path()).env_remove("DATABASE_URL").env_remove("SCHEMASPEC_DEV_URL");
        cmd
    }

    /// The command `run` runs, to spawn it (several at once, or to kill it).
    pub fn command(&self, db: &TestDb, args: &[&str]) -> Command {
        let mut cmd = self.bare_command();
        cmd.arg("--database-url").arg(&db.url).arg("--dev-url").arg(admin_url()).args(args);
        cmd
    }

    /// Run the CLI with exactly these arguments (no URLs added).
    pub fn run_raw(&self, args: &[&str]) -> Run {
        Run::from(self.bare_command().args(args).output().unwrap())
    }
}

/// Run `cmd` with schemaspec's stage timings logged to stderr (`schemaspec::timing`),
/// which tests read to see which path a run took (`desired_from_cache`...).
pub fn timed(cmd: &mut Command) -> Run {
    Run::from(cmd.env("SCHEMASPEC_LOG", "warn,schemaspec::timing=info").output().unwrap())
}

/// What a CLI run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "expected exit {code}\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// `pg_dump --schema-only --no-owner` of a test database (with `args`), as text; `None`
/// without a pg_dump that can dump this server.
pub fn pg_dump(db: &TestDb, args: &[&str]) -> Option<String> {
    let bin = schemaspec::pg::embedded::find_binaries().ok()?;
    let pg_dump = [bin.join("pg_dump"), PathBuf::from("/usr/bin/pg_dump")].into_iter().find(|p| p.is_file())?;
    let host = admin_url().split_whitespace().find_map(|kv| kv.strip_prefix("host=").map(str::to_string))?;
    let out = Command::new(pg_dump)
        .args(["--schema-only", "--no-owner", "-h", &host, "-U", "postgres", "-d", &db.name])
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        // (A pg_dump older than the server refuses it: callers compare catalogs instead.)
        eprintln!("no pg_dump for this server: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    // pg_dump 17+ protects its output with random \restrict keys.
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
