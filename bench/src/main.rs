//! The benchmark: schemaspec against PostgreSQL's own floor (`psql -f` of the desired
//! schema plus `pg_dump --schema-only`) and against migra, on synthetic schemas of
//! several sizes, on one machine in one run. Everything runs against a real server (the
//! embedded cluster under `target/bench/pg`), each figure is the median of several runs,
//! and the results go to `docs/benchmarks.md` with a chart.
//!
//!   scripts/bench                      # sizes 100, 1000, 5000; 3 runs each
//!   schemaspec-bench gen --tables 1000 --seed 1 [--changed] --out DIR

mod chart;
mod gen;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(Parser)]
#[command(about = "schemaspec benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a synthetic schema's files into a directory.
    Gen {
        #[arg(long)]
        tables: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The "new" side of the change scenario (5 % of the tables altered).
        #[arg(long)]
        changed: bool,
        /// standard, grants or functions (see gen.rs).
        #[arg(long, default_value = "standard")]
        profile: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the benchmark and write the report.
    Run {
        #[arg(long, value_delimiter = ',', default_value = "100,1000,5000")]
        sizes: Vec<usize>,
        /// Schema shapes besides the standard one, as profile:tables.
        #[arg(long, value_delimiter = ',', default_value = "grants:1000,functions:300")]
        profiles: Vec<String>,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// The schemaspec binary to measure (build it with --release).
        #[arg(long, default_value = "target/release/schemaspec")]
        schemaspec: PathBuf,
        /// The migra command, if any (skipped when it cannot be run).
        #[arg(long, default_value = "migra")]
        migra: String,
        #[arg(long, default_value = "docs/benchmarks.md")]
        report: PathBuf,
        #[arg(long, default_value = "docs/benchmarks.png")]
        chart: PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Gen { tables, seed, changed, profile, out } => match gen::Profile::parse(&profile) {
            Some(p) => write_schema(&gen::generate_profile(p, tables, seed, changed), &out),
            None => Err(format!("unknown profile {profile}: standard, grants or functions")),
        },
        Cmd::Run { sizes, profiles, runs, schemaspec, migra, report, chart } => {
            parse_profiles(&profiles).and_then(|p| run(&sizes, &p, runs, &schemaspec, &migra, &report, &chart))
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

type Result<T> = std::result::Result<T, String>;

/// `profile:tables` pairs.
fn parse_profiles(specs: &[String]) -> Result<Vec<(gen::Profile, usize)>> {
    specs
        .iter()
        .filter(|s| !s.is_empty())
        .map(|spec| {
            let (name, n) = spec.split_once(':').ok_or_else(|| format!("{spec}: expected profile:tables"))?;
            let profile = gen::Profile::parse(name).ok_or_else(|| format!("unknown profile {name}"))?;
            Ok((profile, n.parse().map_err(|_| format!("{spec}: tables must be a number"))?))
        })
        .collect()
}

fn write_schema(s: &gen::Schema, dir: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in &s.files {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// Wall time and peak RSS of one child process.
struct Measured {
    secs: f64,
    rss_mb: f64,
    stderr: String,
}

fn measure(cmd: &mut Command) -> Result<Measured> {
    measure_codes(cmd, &[0])
}

/// Like `measure`, accepting these exit codes (migra exits 2 when there are changes).
fn measure_codes(cmd: &mut Command, ok: &[i32]) -> Result<Measured> {
    let start = Instant::now();
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| format!("{cmd:?}: {e}"))?;
    let pid = child.id() as i32;
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    if r < 0 || !libc::WIFEXITED(status) || !ok.contains(&libc::WEXITSTATUS(status)) {
        return Err(format!("{cmd:?} failed: {}", stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ")));
    }
    Ok(Measured { secs, rss_mb: usage.ru_maxrss as f64 / 1024.0, stderr })
}

/// How far the runs lie apart: (largest − smallest) / median.
fn spread(v: &[f64]) -> f64 {
    let (lo, hi) = v.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    (hi - lo) / median(v.to_vec())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

struct Env {
    bin: PathBuf,
    socket: PathBuf,
    work: PathBuf,
    schemaspec: PathBuf,
    /// Where the bench's own databases (the floor's, the live ones, migra's) go: the
    /// scratch tablespace in memory when the cluster has one, so that both sides of every
    /// ratio write to the same kind of storage and the runs repeat.
    tablespace: Option<&'static str>,
}

impl Env {
    fn url(&self, db: &str) -> String {
        format!("host={} port=5432 user=postgres dbname={db}", self.socket.display())
    }

    /// A client tool beside the server binaries, else the one on PATH.
    fn tool(&self, name: &str) -> Command {
        let beside = self.bin.join(name);
        Command::new(if beside.exists() { beside } else { PathBuf::from(name) })
    }

    fn psql(&self, db: &str) -> Command {
        let mut c = self.tool("psql");
        c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url(db)]);
        c
    }

    fn sql(&self, sql: &str) -> Result<()> {
        let out = self.psql("postgres").args(["-c", sql]).output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("{sql}: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }

    /// Let the server and the disk settle before a measurement: the dirty pages of what
    /// ran before (a dropped 5,000-table database) written out now rather than during it.
    fn settle(&self) -> Result<()> {
        self.sql("CHECKPOINT")?;
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
        Ok(())
    }

    fn fresh_db(&self, db: &str) -> Result<()> {
        self.sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
        let space = self.tablespace.map(|t| format!(" TABLESPACE {t}")).unwrap_or_default();
        self.sql(&format!("CREATE DATABASE {db} TEMPLATE template0{space}"))
    }

    /// Drop what `fresh_db` made, so that no database of the bench stays in the scratch
    /// tablespace (which is re-pointed when /dev/shm is emptied by a reboot).
    fn drop_db(&self, db: &str) -> Result<()> {
        self.sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
    }

    /// A project directory whose schema/ holds `schema`; generated/ empty.
    fn project(&self, name: &str, schema: &gen::Schema) -> Result<PathBuf> {
        let dir = self.work.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        write_schema(schema, &dir.join("schema"))?;
        std::fs::write(dir.join("schemaspec.toml"), "").map_err(|e| e.to_string())?;
        Ok(dir)
    }

    fn schemaspec(&self, project: &Path, live_db: &str, args: &[&str], cache: bool) -> Command {
        let mut c = Command::new(&self.schemaspec);
        c.current_dir(project)
            .args(["--database-url", &self.url(live_db), "--dev-url", &self.url("postgres")])
            .args(args)
            .env("SCHEMASPEC_LOG", "warn,schemaspec::timing=info");
        if !cache {
            c.env("SCHEMASPEC_NO_CACHE", "1");
        }
        c
    }
}

/// Stage timings schemaspec logs with `SCHEMASPEC_LOG=schemaspec::timing=info`:
/// `... schemaspec::timing: stage="scratch_and_load" ms=1234`.
fn stages(stderr: &str) -> Vec<(String, f64)> {
    stderr
        .lines()
        .map(strip_ansi)
        .filter(|l| l.contains("schemaspec::timing"))
        .filter_map(|l| {
            let field = |k: &str| -> Option<String> {
                let rest = &l[l.find(&format!("{k}="))? + k.len() + 1..];
                Some(rest.split_whitespace().next()?.trim_matches('"').to_string())
            };
            Some((field("stage")?, field("ms")?.parse::<f64>().ok()? / 1000.0))
        })
        .collect()
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct Row {
    profile: &'static str,
    tables: usize,
    floor_load: f64,
    floor_dump: f64,
    plan_cold: f64,
    plan_warm: f64,
    plan_rss: f64,
    generate: f64,
    /// `plan` with the cache warm, after one schema file of the project was edited.
    plan_edited: f64,
    /// (largest − smallest) / median over the runs: the floor's load and the cold plan.
    floor_spread: f64,
    cold_spread: f64,
    /// The cold plan and generate against the floor: the median of the rounds' ratios
    /// (each round runs the three side by side), and the ratios' spread.
    cold_ratio: f64,
    generate_ratio: f64,
    ratio_spread: f64,
    stages: Vec<(String, f64)>,
    migra: Option<(f64, f64)>,
}

fn run(
    sizes: &[usize],
    profiles: &[(gen::Profile, usize)],
    runs: usize,
    schemaspec: &Path,
    migra: &str,
    report: &Path,
    chart_path: &Path,
) -> Result<()> {
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let home = root.join("target/bench/pg");
    let cluster = schemaspec::pg::embedded::ensure(&home).map_err(|e| e.to_string())?;
    // Every database in memory where the machine has room, as the embedded default has
    // its scratch databases (`Env::tablespace`).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(schemaspec::pg::scratch::admin_of(&cluster)).map_err(|e| e.to_string())?;
    let scratch_in_memory = cluster.scratch_space.is_some();
    let env = Env {
        bin: cluster.bin.clone(),
        socket: cluster.socket_dir.clone(),
        work: root.join("target/bench/work"),
        schemaspec: root.join(schemaspec),
        tablespace: scratch_in_memory.then_some(schemaspec::pg::embedded::SCRATCH_TABLESPACE),
    };
    std::fs::create_dir_all(&env.work).map_err(|e| e.to_string())?;
    let version = String::from_utf8_lossy(
        &Command::new(env.bin.join("postgres")).arg("--version").output().map_err(|e| e.to_string())?.stdout,
    )
    .trim()
    .to_string();
    let migra_ok = Command::new(migra).arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    // The grants profile's roles (cluster-wide, so made once here).
    for role in gen::ROLES {
        env.sql(&format!("DO $$BEGIN CREATE ROLE {role}; EXCEPTION WHEN duplicate_object THEN NULL; END$$"))?;
    }
    let mut rows = Vec::new();
    for &n in sizes {
        rows.push(bench_schema(&env, gen::Profile::Standard, n, runs, migra_ok.then_some(migra))?);
    }
    let mut shapes = Vec::new();
    for &(profile, n) in profiles {
        shapes.push(bench_schema(&env, profile, n, runs, migra_ok.then_some(migra))?);
    }
    let apply = apply_overhead(&env, runs)?;
    let status = status_history(&env, runs)?;
    let fleet = fleet_apply(&env, runs)?;
    for db in ["bench_desired", "bench_live", "bench_apply", "bench_status", "bench_status_floor"] {
        env.drop_db(db)?;
    }
    let text = render(&rows, &shapes, (apply, status, fleet), runs, &version, migra_ok, scratch_in_memory);
    std::fs::write(report, text).map_err(|e| format!("{}: {e}", report.display()))?;
    chart::draw(chart_path, &rows.iter().map(chart::Point::from).collect::<Vec<_>>())?;
    eprintln!("wrote {} and {}", report.display(), chart_path.display());
    Ok(())
}

/// One schema (a profile at a size) measured: the floor, plan cold, warm and after an
/// edit, generate, and migra if given.
fn bench_schema(env: &Env, profile: gen::Profile, n: usize, runs: usize, migra: Option<&str>) -> Result<Row> {
    eprintln!("== {} {n} tables", profile.name());
    let old = gen::generate_profile(profile, n, 1, false);
    let new = gen::generate_profile(profile, n, 1, true);
    let new_sql = env.work.join(format!("new-{}-{n}.sql", profile.name()));
    std::fs::write(&new_sql, new.text()).map_err(|e| e.to_string())?;
    let old_sql = env.work.join(format!("old-{}-{n}.sql", profile.name()));
    std::fs::write(&old_sql, old.text()).map_err(|e| e.to_string())?;
    let mut row = Row { profile: profile.name(), tables: n, ..Row::default() };
    // The live database holds the old schema.
    env.fresh_db("bench_live")?;
    measure(env.psql("bench_live").arg("-f").arg(&old_sql))?;
    let project = env.project(&format!("plan-{}-{n}", profile.name()), &new)?;
    // Rounds of the floor, a cold plan and generate side by side, so that each ratio is
    // taken between runs minutes apart at most: a machine that slows down for a while
    // (a neighbour on the host) slows both sides of a round.
    let (mut load, mut dump, mut cold, mut rss, mut gen_times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut cold_ratios, mut gen_ratios) = (Vec::new(), Vec::new());
    let mut all_stages: Vec<Vec<(String, f64)>> = Vec::new();
    for _ in 0..runs {
        // The floor: what PostgreSQL itself needs to load the desired schema and dump it.
        env.fresh_db("bench_desired")?;
        env.settle()?;
        let l = measure(env.psql("bench_desired").arg("-f").arg(&new_sql))?.secs;
        let mut d = env.tool("pg_dump");
        d.args(["--schema-only", "-d", &env.url("bench_desired"), "-f", "/dev/null"]);
        let d = measure(&mut d)?.secs;
        env.settle()?;
        let m = measure(&mut env.schemaspec(&project, "bench_live", &["plan"], false))?;
        all_stages.push(stages(&m.stderr));
        let _ = std::fs::remove_dir_all(project.join("generated"));
        env.settle()?;
        let g =
            measure(&mut env.schemaspec(&project, "bench_live", &["generate", "--allow-hazards", "all"], false))?.secs;
        let _ = std::fs::remove_dir_all(project.join("generated"));
        cold_ratios.push(m.secs / (l + d));
        gen_ratios.push(g / (l + d));
        load.push(l);
        dump.push(d);
        cold.push(m.secs);
        rss.push(m.rss_mb);
        gen_times.push(g);
    }
    row.floor_spread = spread(&load);
    row.cold_spread = spread(&cold);
    row.ratio_spread = spread(&cold_ratios);
    row.cold_ratio = median(cold_ratios);
    row.generate_ratio = median(gen_ratios);
    row.floor_load = median(load);
    row.floor_dump = median(dump);
    row.plan_cold = median(cold);
    row.generate = median(gen_times);
    row.plan_rss = rss.iter().copied().fold(0.0, f64::max);
    if let Some(first) = all_stages.first() {
        row.stages = first
            .iter()
            .map(|(name, _)| {
                let v = all_stages.iter().filter_map(|s| s.iter().find(|(n2, _)| n2 == name).map(|x| x.1)).collect();
                (name.clone(), median(v))
            })
            .collect();
    }
    measure(&mut env.schemaspec(&project, "bench_live", &["plan"], true))?; // fills the cache
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(measure(&mut env.schemaspec(&project, "bench_live", &["plan"], true))?.secs);
    }
    row.plan_warm = median(warm);
    // The loop people live in: edit one file, plan again (the cache is warm).
    let edited = project.join("schema").join("001_tables.sql");
    let original = std::fs::read_to_string(&edited).map_err(|e| e.to_string())?;
    let mut edits = Vec::new();
    for k in 0..runs {
        let change = format!("{original}\nCREATE INDEX bench_edit_{k} ON app.t00003 (name);\n");
        std::fs::write(&edited, change).map_err(|e| e.to_string())?;
        edits.push(measure(&mut env.schemaspec(&project, "bench_live", &["plan"], true))?.secs);
    }
    std::fs::write(&edited, &original).map_err(|e| e.to_string())?;
    row.plan_edited = median(edits);
    if let Some(migra) = migra {
        let (mut t, mut r) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut c = Command::new(migra);
            c.args(["--unsafe", &sqlalchemy_url(env, "bench_live"), &sqlalchemy_url(env, "bench_desired")]);
            let m = measure_codes(&mut c, &[0, 2])?;
            t.push(m.secs);
            r.push(m.rss_mb);
        }
        row.migra = Some((median(t), r.iter().copied().fold(0.0, f64::max)));
    }
    eprintln!(
        "   floor {:.2}+{:.2}s  plan cold {:.2}s warm {:.2}s ({:.0} MB)  generate {:.2}s  migra {:?}",
        row.floor_load, row.floor_dump, row.plan_cold, row.plan_warm, row.plan_rss, row.generate, row.migra
    );
    Ok(row)
}

impl From<&Row> for chart::Point {
    fn from(r: &Row) -> Self {
        chart::Point {
            tables: r.tables as f64,
            floor: r.floor_load + r.floor_dump,
            cold: r.plan_cold,
            warm: r.plan_warm,
            migra: r.migra.map(|(t, _)| t + r.floor_load),
        }
    }
}

fn sqlalchemy_url(env: &Env, db: &str) -> String {
    format!("postgresql://postgres@/{db}?host={}&port=5432", env.socket.display())
}

/// A project whose generated/ holds `n` migration files (file k's SQL from `sql`) and
/// their sum file: (project directory, the files in order).
fn migrations_project(
    env: &Env,
    name: &str,
    n: usize,
    sql: impl Fn(usize) -> String,
) -> Result<(PathBuf, Vec<PathBuf>)> {
    let project = env.work.join(name);
    let _ = std::fs::remove_dir_all(&project);
    let gen_dir = project.join("generated");
    std::fs::create_dir_all(&gen_dir).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(project.join("schema")).map_err(|e| e.to_string())?;
    std::fs::write(project.join("schemaspec.toml"), "").map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    for k in 0..n {
        let path = gen_dir.join(format!("2026010100{k:04}_m{k}.sql"));
        std::fs::write(&path, sql(k)).map_err(|e| e.to_string())?;
        files.push(path);
    }
    let sum = Command::new(&env.schemaspec).current_dir(&project).arg("hash").output().map_err(|e| e.to_string())?;
    if !sum.status.success() {
        return Err(format!("schemaspec hash: {}", String::from_utf8_lossy(&sum.stderr)));
    }
    Ok((project, files))
}

/// `apply` of 1,000 one-statement migrations into an empty database, against psql
/// running the same files in one process: (schemaspec s, psql s).
fn apply_overhead(env: &Env, runs: usize) -> Result<(f64, f64)> {
    let (project, files) = migrations_project(env, "apply-1000", 1000, |k| {
        format!("CREATE TABLE IF NOT EXISTS public.m{k} (id integer);\n")
    })?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        env.fresh_db("bench_apply")?;
        ours.push(measure(&mut env.schemaspec(&project, "bench_apply", &["apply"], true))?.secs);
        env.fresh_db("bench_apply")?;
        let mut c = env.psql("bench_apply");
        for f in &files {
            c.arg("-f").arg(f);
        }
        theirs.push(measure(&mut c)?.secs);
    }
    Ok((median(ours), median(theirs)))
}

/// The fleet: 10 migration files applied to 100 tenant databases, by `apply --targets`
/// (one process, `--jobs` = the cores) against a shell loop of one `apply` per database.
/// (fleet s, one by one s, jobs).
fn fleet_apply(env: &Env, runs: usize) -> Result<(f64, f64, usize)> {
    const TENANTS: usize = 100;
    let (project, _) = migrations_project(env, "fleet-100", 10, |k| {
        format!(
            "CREATE TABLE IF NOT EXISTS public.f{k} (id bigint PRIMARY KEY, name text NOT NULL, at timestamptz DEFAULT now());\n\
             CREATE INDEX IF NOT EXISTS f{k}_name ON public.f{k} (name);\n"
        )
    })?;
    let names: Vec<String> = (0..TENANTS).map(|i| format!("bench_tenant_{i}")).collect();
    std::fs::write(project.join("targets.txt"), names.join("\n") + "\n").map_err(|e| e.to_string())?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let fresh = || -> Result<()> { names.iter().try_for_each(|n| env.fresh_db(n)) };
    let (mut fleet, mut loop_) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        fresh()?;
        env.settle()?;
        let mut c = Command::new(&env.schemaspec);
        c.current_dir(&project).args(["--database-url", &env.url("postgres"), "apply", "--targets", "targets.txt"]);
        c.args(["--jobs", &jobs.to_string()]);
        fleet.push(measure(&mut c)?.secs);
        fresh()?;
        env.settle()?;
        let started = Instant::now();
        for n in &names {
            let mut c = Command::new(&env.schemaspec);
            c.current_dir(&project).args(["--database-url", &env.url(n), "apply"]);
            measure(&mut c)?;
        }
        loop_.push(started.elapsed().as_secs_f64());
    }
    for n in &names {
        env.drop_db(n)?;
    }
    Ok((median(fleet), median(loop_), jobs))
}

/// `status` on a history of 200 applied files (each a table with an index): the first
/// run, which replays the history on a scratch database; the next, which finds the
/// verdict by the catalog's fingerprint, remembered with the server's state; and one
/// after a transaction elsewhere on the server moved that state (a busy server: the
/// fingerprint summed); against `psql -f` of the same files (the floor), and a bare
/// `psql -c 'SELECT 1'` against the database (what starting a client and connecting
/// cost). Seconds.
fn status_history(env: &Env, runs: usize) -> Result<Status> {
    let (project, files) = migrations_project(env, "status-200", 200, |k| {
        format!(
            "CREATE TABLE IF NOT EXISTS public.h{k} (id bigint PRIMARY KEY, name text NOT NULL, at timestamptz DEFAULT now());\n\
             CREATE INDEX IF NOT EXISTS h{k}_name ON public.h{k} (name);\n"
        )
    })?;
    env.fresh_db("bench_status")?;
    measure(&mut env.schemaspec(&project, "bench_status", &["apply"], true))?;
    let (mut first, mut warm, mut busy, mut floor, mut bare) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(project.join(".schemaspec/cache"));
        first.push(measure(&mut env.schemaspec(&project, "bench_status", &["status"], true))?.secs);
        warm.push(measure(&mut env.schemaspec(&project, "bench_status", &["status"], true))?.secs);
        env.sql("SELECT pg_catalog.txid_current()")?;
        busy.push(measure(&mut env.schemaspec(&project, "bench_status", &["status"], true))?.secs);
        env.fresh_db("bench_status_floor")?;
        let mut c = env.psql("bench_status_floor");
        for f in &files {
            c.arg("-f").arg(f);
        }
        floor.push(measure(&mut c)?.secs);
        bare.push(measure(env.psql("bench_status").args(["-c", "SELECT 1"]))?.secs);
    }
    Ok(Status {
        first: median(first),
        warm: median(warm),
        busy: median(busy),
        floor: median(floor),
        bare: median(bare),
    })
}

/// `status_history`'s medians, in seconds.
struct Status {
    first: f64,
    warm: f64,
    busy: f64,
    floor: f64,
    bare: f64,
}

/// The main table: one row per schema (with its profile's name when `shapes`).
fn table(rows: &[Row], shapes: bool) -> String {
    let mut s = String::new();
    let first = if shapes { "| schema " } else { "" };
    let first_rule = if shapes { "| --- " } else { "" };
    s += first;
    s += "| tables | floor (s) | plan cold (s) | plan warm (s) | plan edited (s) | generate (s) | peak RSS (MB) | cold / floor | warm / floor | edited / floor | generate / floor | migra + load (s) | migra / cold | migra alone / warm | spread floor / cold / cold÷floor |\n";
    s += first_rule;
    s += "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for r in rows {
        let floor = r.floor_load + r.floor_dump;
        let (m, mc, mw) = match r.migra {
            Some((t, _)) => (
                format!("{:.2}", t + r.floor_load),
                format!("{:.1}×", (t + r.floor_load) / r.plan_cold),
                format!("{:.1}×", t / r.plan_warm),
            ),
            None => ("n/a".into(), "n/a".into(), "n/a".into()),
        };
        if shapes {
            s += &format!("| {} ", r.profile);
        }
        s += &format!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {m} | {mc} | {mw} | {:.0} % / {:.0} % / {:.0} % |\n",
            r.tables,
            floor,
            r.plan_cold,
            r.plan_warm,
            r.plan_edited,
            r.generate,
            r.plan_rss,
            r.cold_ratio,
            r.plan_warm / floor,
            r.plan_edited / floor,
            r.generate_ratio,
            r.floor_spread * 100.0,
            r.cold_spread * 100.0,
            r.ratio_spread * 100.0
        );
    }
    s
}

/// apply overhead (schemaspec s, psql s); status (`Status`); the fleet (together s, one by
/// one s, jobs).
type Extras = ((f64, f64), Status, (f64, f64, usize));

fn render(
    rows: &[Row],
    shapes: &[Row],
    (apply, status, fleet): Extras,
    runs: usize,
    version: &str,
    migra_ok: bool,
    scratch_in_memory: bool,
) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let space = if scratch_in_memory {
        "; every database of the bench in the cluster's scratch tablespace on /dev/shm (schemaspec's scratch \
         databases, as the embedded default makes them where the machine has 2 GB free there, and the floor's, \
         the live one and migra's alike), so that both sides of each ratio write to memory and the runs repeat; \
         the write-ahead log is on disk for all"
    } else {
        "; no room on /dev/shm, so every database is on disk"
    };
    let mut s = String::from("# Benchmarks\n\n");
    s += "Written by `scripts/bench` (the `schemaspec-bench` binary); do not edit by hand.\n\n";
    s += &format!(
        "Machine: {cores} cores ({cpu}); {version}, the embedded cluster (`fsync` off, as for every local scratch \
         database{space}). Each figure is the median of {runs} runs. Schemas come from the generator (`schemaspec-bench gen`, \
         seed 1): per table 10 columns of varied types, 2 indexes and a foreign key; views on 10 % of the tables, \
         triggers on 5 %, RLS policies on 10 %, enums, comments, grants. The change scenario alters 5 % of the \
         tables.\n\n"
    );
    s += "- **floor**: `psql -f` of the desired schema into an empty database plus `pg_dump --schema-only`.\n";
    s += "- **plan cold**: `schemaspec plan` end to end (scratch load, both introspections, diff, order, render) \
          with the desired-state cache off; **warm**: schema files unchanged since the last run.\n";
    s += "- **generate**: end to end with the cache off, like the cold plan (its schema files load while the \
          live database is read), including its proof on a scratch database (a copy of the part of the live \
          schema the plan touches), which runs while the first scratch database is dropped.\n";
    s += "- **plan edited**: `plan` right after one of the schema files (about 100 tables each) was edited, the \
          cache warm from the run before.\n";
    s += "- **migra**: `migra --unsafe live desired`, charged for loading its reference database (the floor's \
          `psql -f`), since it needs one.\n";
    s += "- **peak RSS**: the largest of the cold plan runs (`getrusage` of the child).\n\n";
    s += "How schemaspec gets there: the desired state is loaded over one connection per core, layer by layer of \
          the statements' dependency graph, in pipelined batches of 50 statements, one transaction per batch \
          (`psql -f` waits for each statement's round trip), and on a cold run while the live database is read; \
          the scratch catalog is read, like the live one, in a fixed number of queries whatever the size, without \
          `ANALYZE` (the queries do not need it), while its definitions are normalized on another connection, \
          which then reads the indexes, dependencies and smaller queries while the first streams the columns \
          and constraints; \
          warm runs read the normalized desired catalog from the cache, on a thread of its own, and the live \
          catalog too where the database's catalog fingerprint (two queries; one small statement where no transaction \
          on the server ended since it was taken) is what it was when it was last read; after an edit only the objects the changed statements touch are loaded again (with \
          what depends on them, beside a copy of what they mention) and spliced into the cached catalog. \
          Memory: the catalogs are kept compact (dependencies as one set of objects with index \
          pairs, full B-tree nodes, query rows freed once read) and mimalloc returns freed pages at once.\n\n";
    s += "Noise: every run creates and drops databases of up to 5,000 tables (about 35,000 files each). On a \
          disk with online discard the file creation that follows a large drop ran at half speed for a while, \
          and the floor's load spread 45–96 % between runs; in memory it repeats. Before each measured floor \
          load, cold plan and generate the server is checkpointed and the disk synced, so that what ran before \
          is written out first. The floor, the cold plan and generate run in rounds, one of each side by side, \
          and their ratios are the median of the rounds' ratios: a host that slows down for a minute slows both \
          sides of a round. The last column gives how far the runs lie apart ((largest − smallest) / median) \
          for the floor's load, the cold plan, and the cold plan's ratio to the floor.\n\n";
    s += &table(rows, false);
    if !migra_ok {
        s += "\nmigra was not found (`pip install migra 'sqlalchemy<2' psycopg2-binary`), so its columns are empty.\n";
    }
    s += "\n## Stages of a cold plan (s)\n\n| tables | ";
    let names: Vec<&String> = rows.first().map(|r| r.stages.iter().map(|(n, _)| n).collect()).unwrap_or_default();
    s += &names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" | ");
    s += " |\n| ---: |";
    s += &" ---: |".repeat(names.len());
    s += "\n";
    for r in rows {
        s += &format!(
            "| {} | {} |\n",
            r.tables,
            r.stages.iter().map(|(_, v)| format!("{v:.2}")).collect::<Vec<_>>().join(" | ")
        );
    }
    if rows.len() >= 2 {
        let (a, b) = (&rows[rows.len() - 2], &rows[rows.len() - 1]);
        let slope = (b.plan_cold - a.plan_cold) / (b.tables - a.tables) as f64 * 1000.0;
        let floor_slope =
            ((b.floor_load + b.floor_dump) - (a.floor_load + a.floor_dump)) / (b.tables - a.tables) as f64 * 1000.0;
        s += &format!(
            "\nGrowth between {} and {} tables: cold plan {slope:.2} ms per table, floor {floor_slope:.2} ms per table.\n",
            a.tables, b.tables
        );
    }
    if !shapes.is_empty() {
        s += "\n## Schema shapes\n\nThe same measurements on schemas of other shapes (`schemaspec-bench gen --profile`): \
              **grants**, the standard schema plus, on every table, grants to three roles (column grants among \
              them, and on its identity sequence) and three RLS policies for those roles; **functions**, the standard \
              schema plus eight routines per table (SQL functions returning the table's row type, a set, a count \
              and a sum; a PL/pgSQL function; a procedure; a trigger function with its trigger). Their change \
              scenario also widens a column grant and a policy's check, or changes a function body, on 5 % of \
              the tables.\n\n";
        s += &table(shapes, true);
    }
    let (ours, psql) = apply;
    s += &format!(
        "\n## apply of 1,000 one-statement migrations\n\nschemaspec apply {ours:.2} s, psql with the same files {psql:.2} s: \
         {:.2} ms overhead per migration (tracking row, lock, checksums, one transaction each).\n",
        (ours - psql)
    );
    let Status { first, warm, busy, floor, bare } = status;
    s += &format!(
        "\n## status on a history of 200 files\n\nFirst run (replays the history on a scratch database) {first:.2} s; \
         next run {warm:.3} s (the live catalog's fingerprint unchanged since the last run found it matching the \
         history, and the server in the state the fingerprint was remembered in: one small statement instead of \
         summing the catalogs, none of reading and comparing them; no dev server); `psql -f` of the same files \
         {floor:.2} s: {:.2}× and {:.2}× the floor. On a busy server, where a transaction ended since (here one \
         `SELECT txid_current()` elsewhere on it), the fingerprint is summed, on two connections of their own \
         while the tracking table is read: {busy:.3} s ({:.2}× the floor). For scale, a bare \
         `psql -c 'SELECT 1'` against the same database takes {bare:.3} s ({:.2}× the floor): starting a client \
         and connecting.\n",
        first / floor,
        warm / floor,
        busy / floor,
        bare / floor
    );
    let (together, one_by_one, jobs) = fleet;
    s += &format!(
        "\n## apply to a fleet of 100 tenant databases\n\n10 migration files (a table and an index each) into 100 \
         empty databases: `schemaspec apply --targets` (one process, {jobs} at once) {together:.2} s; a shell loop \
         of one `schemaspec apply --database-url` per database {one_by_one:.2} s ({:.1}× as long).\n",
        one_by_one / together
    );
    s += "\n![time against number of tables](benchmarks.png)\n\nRun it: `scripts/bench` (builds in release; \
          `SIZES=100,1000 scripts/bench` for a quicker run).\n";
    s
}
