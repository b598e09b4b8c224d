//! Fleets: one project's migrations applied to many databases (`--targets`), and their
//! status read across them. Each database keeps its own tracking table, so there is no
//! central state: a run that stops (or a target that fails) leaves every database
//! recording exactly what it ran, and running again finishes what is left. Targets run
//! in a bounded pool (`--jobs`); `--canary N` runs the first N alone first and stops
//! on any failure; `--max-failures K` starts no new target after K failures. The report
//! names each database by its address without password.

use super::*;
use crate::error::redact;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The exit code of a fleet run in which a target failed (as any error exits).
const EXIT_FAILED: i32 = 1;

/// How a fleet run goes.
pub struct Options {
    /// Targets at once.
    pub jobs: usize,
    /// The first N targets first; any failure among them stops the run.
    pub canary: usize,
    /// No new target starts after this many failures.
    pub max_failures: Option<usize>,
    pub format: Format,
    /// Also write the JSON report here (a CI artifact).
    pub report: Option<std::path::PathBuf>,
}

impl Options {
    /// For a command that only reads the targets: `jobs` at once (default: one per core),
    /// no canaries, no cap on failures, no report file.
    pub fn reading(jobs: Option<usize>, format: Format) -> Options {
        Options {
            jobs: jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get())),
            canary: 0,
            max_failures: None,
            format,
            report: None,
        }
    }
}

/// One member of a fleet: a database, or (schema per tenant) a tenant's schema in one.
#[derive(Clone, Debug)]
pub struct Member {
    pub target: Target,
    /// The tenant's schema.
    pub schema: Option<String>,
    /// How the report names it: the address without password, and the schema.
    pub display: String,
    /// A tenant's neighbours: the template and every tenant listed in its database,
    /// which a tenant's files never reach (the proof says so), so reading its
    /// environment skips them; else each of N tenants would read all N.
    neighbours: std::sync::Arc<Vec<String>>,
}

impl Member {
    pub fn database(target: Target) -> Member {
        Member { display: target.display.clone(), target, schema: None, neighbours: Default::default() }
    }
}

/// `f` on every target (with its place in the list), `jobs` at once, in two waves: the
/// first `first` targets, then the rest; the results in the targets' order. A first
/// wave of one lets what it leaves in the caches (the history's replay) serve the
/// others; a first wave of canaries lets a failure stop the rest.
async fn in_waves<'a, T, F, Fut>(targets: &'a [Member], first: usize, jobs: usize, f: F) -> Vec<T>
where
    F: Fn(usize, &'a Member) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use futures_util::StreamExt;
    let first = first.min(targets.len());
    let mut done: Vec<(usize, T)> = Vec::with_capacity(targets.len());
    for (offset, wave) in [(0, &targets[..first]), (first, &targets[first..])] {
        let ran: Vec<(usize, T)> = futures_util::stream::iter(wave.iter().enumerate())
            .map(|(i, t)| {
                let running = f(offset + i, t);
                async move { (offset + i, running.await) }
            })
            .buffer_unordered(jobs.max(1))
            .collect()
            .await;
        done.extend(ran);
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

/// The project's configuration aimed at one member of the fleet: its database, and for
/// a tenant its schema (managed in the template's place, with its own tracking table).
fn member(config: &Config, m: &Member) -> Config {
    let mut member = config.clone();
    member.live = Some(m.target.clone());
    if let (Some(template), Some(schema)) = (&config.tenant_schema, &m.schema) {
        for s in &mut member.schemas {
            if s == template {
                s.clone_from(schema);
            }
        }
        member.tenant = Some(schema.clone());
        member.environment_exclude = m.neighbours.iter().filter(|n| *n != schema).cloned().collect();
        // `unmanaged_tables` entries of the template are the tenant's.
        let qualified = format!("{template}.");
        for t in &mut member.unmanaged_tables {
            if let Some(name) = t.strip_prefix(&qualified) {
                *t = format!("{schema}.{name}");
            }
        }
    }
    member
}

/// The tenant schemas of a schema-per-tenant project in each of `databases`: the names
/// in `file` (one per line, `#` comments, `-` for stdin) in every database, else those
/// the configured `tenants_query` gives on each. A name must be plain (lowercase, no
/// quoting needed), not the template, and listed once.
pub async fn tenants(config: &Config, databases: Vec<Target>, file: Option<&Path>) -> Result<Vec<Member>, Error> {
    let template = config.tenant_schema.as_deref().ok_or_else(|| {
        Error::failed(
            "--tenants needs a schema-per-tenant project: schemaspec.toml sets no tenant_schema",
            "set tenant_schema to the template schema the schema files define (docs/fleet.md, \"Schema per tenant\")",
        )
    })?;
    let listed = match file {
        Some(f) => Some((read_list(f)?, f.display().to_string())),
        None if config.tenants_query.is_some() => None,
        None => {
            return Err(Error::failed(
                "--tenants names no file, and schemaspec.toml sets no tenants_query",
                "pass --tenants FILE (one schema per line), or set tenants_query, e.g. SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'",
            ))
        }
    };
    let mut members = Vec::new();
    for db in &databases {
        let (names, source) = match &listed {
            Some((names, source)) => (names.clone(), source.clone()),
            None => {
                let query = config.tenants_query.as_deref().unwrap_or_default();
                (
                    first_column(&pg::connect(db).await?, query, "tenants_query").await?,
                    format!("tenants_query on {}", db.display),
                )
            }
        };
        let mut seen = std::collections::BTreeSet::new();
        let neighbours = std::sync::Arc::new(names.iter().cloned().chain([template.to_string()]).collect::<Vec<_>>());
        for name in names {
            let table = tenant_tracking_table(config, &name);
            let problem = if !crate::sqltext::retarget::is_plain(&name) {
                Some("is not a plain lowercase schema name (the template's name is replaced by it in the migrations)")
            } else if name == template {
                Some("is the template schema, which plain `schemaspec apply` deploys")
            } else if table.len() > 63 {
                Some("is too long: its tracking table's name would pass PostgreSQL's 63 bytes")
            } else if !seen.insert(name.clone()) {
                Some("is listed twice")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(Error::failed(
                    format!("{source}: tenant schema {name:?} {problem}"),
                    "list each tenant schema once, by a lowercase name of at most 63 bytes that needs no quoting",
                ));
            }
            members.push(Member {
                display: format!("{} schema {name}", db.display),
                target: db.clone(),
                schema: Some(name),
                neighbours: neighbours.clone(),
            });
        }
    }
    if members.is_empty() {
        return Err(Error::failed("the tenants list names no schema", "one tenant schema per line"));
    }
    Ok(members)
}

/// A list file's entries (`-`: stdin), relative to the current folder as given.
fn read_list(f: &Path) -> Result<Vec<String>, Error> {
    if f.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::Other(format!("reading the list from stdin: {e}")))?;
        return Ok(entries(&text));
    }
    let text = std::fs::read_to_string(f).map_err(|e| {
        Error::failed(format!("cannot read {}: {e}", f.display()), "one entry per line; # starts a comment")
    })?;
    Ok(entries(&text))
}

/// The non-empty first-column values `query` returns (`what` names it in errors).
async fn first_column(client: &tokio_postgres::Client, query: &str, what: &str) -> Result<Vec<String>, Error> {
    let rows = client.simple_query(query).await.map_err(|e| {
        Error::failed(
            format!("{what} failed: {}", pg::db_message(&e)),
            "its first column must give the names, one per row",
        )
    })?;
    Ok(rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(|v| v.trim().to_string()),
            _ => None,
        })
        .filter(|v| !v.is_empty())
        .collect())
}

/// The entries of a targets list: one per line; blank lines skipped, and comments: a
/// line starting with `#`, or the rest of a line from a `#` after a space (a `#` inside
/// a connection string, as in a password, stays).
pub fn entries(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let l = l.trim();
            let end = l.char_indices().find(|&(i, c)| c == '#' && (i == 0 || l[..i].ends_with([' ', '\t'])));
            end.map_or(l, |(i, _)| &l[..i]).trim()
        })
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether an entry is a database name (on the control server) rather than a
/// connection string: no `=` (keyword form) and no `://` (URI form).
fn is_name(entry: &str) -> bool {
    !entry.contains('=') && !entry.contains("://")
}

/// The fleet's databases: from `file` (`--targets FILE`; `-` reads stdin), else the
/// configured `targets_query` (run against `database_url`), else `targets_command`.
/// Database names are resolved on the server of `database_url`. A list that names no
/// database, or one database twice, is an error.
pub async fn members(config: &Config, file: Option<&Path>) -> Result<Vec<Target>, Error> {
    let control = || -> Result<Target, Error> {
        let url = config.database_url.as_deref().ok_or_else(|| {
            Error::failed(
                "database names in the targets list need a server: no database_url is set",
                "set database_url (or --database-url) to a database on the server the names are on, or list full connection strings",
            )
        })?;
        Target::parse(url)
    };
    let (listed, source) = match file {
        Some(f) => (read_list(f)?, if f.as_os_str() == "-" { "stdin".to_string() } else { f.display().to_string() }),
        None => match (&config.targets_query, &config.targets_command) {
            (Some(query), _) => {
                let client = pg::connect(&control()?).await?;
                let listed = first_column(&client, query, "targets_query").await.map_err(|e| {
                    Error::failed(
                        e.to_string(),
                        "its first column must give connection strings or database names, e.g. SELECT datname FROM pg_database WHERE datname LIKE 'tenant_%'",
                    )
                })?;
                (listed, "targets_query".to_string())
            }
            (None, Some(command)) => {
                let output = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .current_dir(&config.root)
                    .stderr(std::process::Stdio::inherit())
                    .output()
                    .map_err(|e| Error::Other(format!("targets_command could not start: {e}")))?;
                if !output.status.success() {
                    return Err(Error::failed(
                        format!("targets_command failed ({})", output.status),
                        "it must print one connection string or database name per line and exit 0",
                    ));
                }
                (entries(&String::from_utf8_lossy(&output.stdout)), "targets_command".to_string())
            }
            (None, None) => {
                return Err(Error::failed(
                    "--targets names no file, and schemaspec.toml sets neither targets_query nor targets_command",
                    "pass --targets FILE (one connection string or database name per line), or set targets_query / targets_command",
                ))
            }
        },
    };
    let mut targets = Vec::with_capacity(listed.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, entry) in listed.iter().enumerate() {
        let target = if is_name(entry) { control().map(|c| c.with_dbname(entry)) } else { Target::parse(entry) }
            .map_err(|e| Error::failed(format!("target {} of {source}: {e}", i + 1), e.hint().unwrap_or_default()))?;
        if !seen.insert(target.display.clone()) {
            return Err(Error::failed(
                format!("{source} names {} twice", target.display),
                "list each database once: two runs on one database would only wait for each other",
            ));
        }
        targets.push(target);
    }
    if targets.is_empty() {
        return Err(Error::failed(
            format!("{source} names no database"),
            "one connection string or database name per line",
        ));
    }
    Ok(targets)
}

/// What happened on one target.
#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Applied,
    /// `--dry-run`: has files to apply (`applied` lists them).
    Pending,
    UpToDate,
    Failed,
    Skipped,
}

#[derive(Serialize, Debug)]
pub struct ErrorReport {
    pub message: String,
    pub hint: Option<String>,
}

impl ErrorReport {
    /// An error as the report says it: message and hint, passwords redacted.
    fn of(e: &Error) -> ErrorReport {
        ErrorReport { message: redact(&e.to_string()), hint: e.hint().map(|h| redact(&h)) }
    }
}

#[derive(Serialize, Debug)]
pub struct Outcome {
    /// The address, without password.
    pub target: String,
    pub status: State,
    /// Versions applied by this run (a failed target may have applied some first).
    pub applied: Vec<String>,
    pub error: Option<ErrorReport>,
    /// What `apply` warned about on this target (a file applied but missing locally,
    /// a file resumed...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Serialize, Debug, Default)]
pub struct Summary {
    pub targets: usize,
    pub applied: usize,
    /// `--dry-run`: targets with files to apply.
    pub pending: usize,
    pub up_to_date: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Serialize, Debug)]
pub struct Report {
    pub targets: Vec<Outcome>,
    pub summary: Summary,
}

impl Report {
    fn new(targets: Vec<Outcome>) -> Report {
        let count = |s: State| targets.iter().filter(|o| o.status == s).count();
        let summary = Summary {
            targets: targets.len(),
            applied: count(State::Applied),
            pending: count(State::Pending),
            up_to_date: count(State::UpToDate),
            failed: count(State::Failed),
            skipped: count(State::Skipped),
        };
        Report { targets, summary }
    }
}

/// `apply` on every target: a bounded pool, canaries first, a cap on failures. Exit 1
/// when any target failed; the others are applied all the same.
pub async fn apply(
    config: &Config,
    args: &super::apply::Args,
    targets: &[Member],
    options: &Options,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let dir = super::apply::checked_dir(config, out)?;
    let allowed = super::generate::parse_hazards(&args.allow_hazards)?;
    let failures = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let progress = progress::bar(targets.len(), "applying to databases");
    let (dir, allowed, failures, stop, progress) = (&dir, &allowed, &failures, &stop, &progress);
    let canaries = options.canary.min(targets.len());
    // Tenants of one database share what lies outside their schemas (an extension...):
    // one tenant of each database runs before the others there start, so that they find
    // it made rather than race to make it. Without canaries, those go first (the report
    // keeps the list's order).
    let order = first_of_each_database(targets, canaries);
    let first = match (targets.iter().any(|m| m.schema.is_some()), canaries) {
        (false, _) => canaries,
        (true, 0) => targets.iter().map(|m| &m.target.display).collect::<std::collections::BTreeSet<_>>().len(),
        (true, _) => canaries,
    };
    let ordered: Vec<Member> = order.iter().map(|&i| targets[i].clone()).collect();
    let outcomes = in_waves(&ordered, first, options.jobs, |i, target| async move {
        let canary = i < canaries;
        let skipped = |why: String| {
            progress.inc(1);
            Outcome {
                target: target.display.clone(),
                status: State::Skipped,
                applied: Vec::new(),
                error: Some(ErrorReport { message: why, hint: None }),
                warnings: Vec::new(),
            }
        };
        if stop.load(Ordering::SeqCst) {
            return skipped("not started: a canary failed".to_string());
        }
        if let Some(k) = options.max_failures.filter(|k| failures.load(Ordering::SeqCst) >= *k) {
            return skipped(format!("not started: {k} target(s) failed (--max-failures)"));
        }
        progress.set_message(target.display.clone());
        let (mut log, mut done) = (Vec::new(), Vec::new());
        let ran = super::apply::run_on(&member(config, target), args, (dir, allowed), &mut log, &mut done).await;
        progress.inc(1);
        let warnings: Vec<String> = String::from_utf8_lossy(&log)
            .lines()
            .filter(|l| l.starts_with("warning:") || l.starts_with("resuming ") || l.starts_with("would resume "))
            .map(redact)
            .collect();
        match ran {
            Ok(_) => Outcome {
                target: target.display.clone(),
                status: match (done.is_empty(), args.dry_run) {
                    (true, _) => State::UpToDate,
                    (false, false) => State::Applied,
                    (false, true) => State::Pending,
                },
                applied: done,
                error: None,
                warnings,
            },
            Err(e) => {
                failures.fetch_add(1, Ordering::SeqCst);
                if canary {
                    stop.store(true, Ordering::SeqCst);
                }
                Outcome {
                    target: target.display.clone(),
                    status: State::Failed,
                    applied: done,
                    error: Some(ErrorReport::of(&e)),
                    warnings,
                }
            }
        }
    })
    .await;
    let mut outcomes: Vec<(usize, Outcome)> = order.into_iter().zip(outcomes).collect();
    outcomes.sort_by_key(|(i, _)| *i);
    let report = Report::new(outcomes.into_iter().map(|(_, o)| o).collect());
    progress.finish_and_clear();
    if let Some(path) = &options.report {
        write_report(path, &report)?;
    }
    if options.format == Format::Json {
        write_json(out, &report)?;
    } else {
        for o in &report.targets {
            let state = match o.status {
                State::Applied => format!("applied {}", o.applied.join(", ")),
                State::Pending => format!("would apply {}", o.applied.join(", ")),
                State::UpToDate => "up to date".to_string(),
                State::Failed => "FAILED".to_string(),
                State::Skipped => "skipped".to_string(),
            };
            writeln!(out, "{}: {state}", o.target).map_err(io)?;
            for w in &o.warnings {
                writeln!(out, "  {w}").map_err(io)?;
            }
            if let Some(e) = &o.error {
                writeln!(out, "  {}", e.message).map_err(io)?;
                if let Some(h) = &e.hint {
                    writeln!(out, "  hint: {h}").map_err(io)?;
                }
            }
        }
        let s = &report.summary;
        let pending =
            if args.dry_run { format!("{} with files to apply", s.pending) } else { format!("{} applied", s.applied) };
        writeln!(
            out,
            "{} target(s): {pending}, {} up to date, {} failed, {} skipped",
            s.targets, s.up_to_date, s.failed, s.skipped
        )
        .map_err(io)?;
        if args.dry_run {
            writeln!(out, "nothing was changed (--dry-run)").map_err(io)?;
        }
        if s.failed + s.skipped > 0 {
            writeln!(out, "next: mend what failed, then run the same command again: it finishes what is left")
                .map_err(io)?;
        }
    }
    Ok(if report.summary.failed > 0 { EXIT_FAILED } else { EXIT_OK })
}

/// The JSON report as a file of its own (0600: it names the fleet's databases).
fn write_report(path: &Path, report: &impl Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(report).map_err(|e| Error::Other(e.to_string()))?;
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")
    };
    write().map_err(|e| Error::Other(format!("cannot write the report {}: {e}", path.display())))
}

/// The order to run a fleet in, as indexes into `targets`: the list's, or for tenants
/// without canaries, the first tenant of each database first (then the rest, in order).
fn first_of_each_database(targets: &[Member], canaries: usize) -> Vec<usize> {
    if canaries > 0 || targets.iter().all(|m| m.schema.is_none()) {
        return (0..targets.len()).collect();
    }
    let mut seen = std::collections::BTreeSet::new();
    let (firsts, rest): (Vec<usize>, Vec<usize>) =
        (0..targets.len()).partition(|&i| seen.insert(&targets[i].target.display));
    firsts.into_iter().chain(rest).collect()
}

/// `revert` across a fleet: every target must have one applied history (else `apply
/// --targets` first brings them together); the revert files are written once, planned
/// and proved against the first target, and with `--apply` run on every target as
/// `apply --targets` runs files (pool, canaries, report). Tenants (`--tenants`): the
/// template's database must share their history too; the files are planned against
/// it, and with `--apply` run there first, then in every tenant.
pub async fn revert(
    config: &Config,
    args: &super::revert::Args,
    targets: &[Member],
    options: &Options,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    // Schema per tenant: the files are the template's, so the way back is planned and
    // proved against the template's database, which must share the tenants' history.
    let tenants = targets.iter().any(|m| m.schema.is_some());
    let applied = |config: Config, target: Target| async move {
        let client = pg::connect(&target).await?;
        let mut applied: Vec<String> =
            tracking(&config).applied(&client).await?.into_iter().filter(|a| a.success).map(|a| a.version).collect();
        applied.sort();
        Ok::<_, Error>(applied)
    };
    let mut histories: Vec<Result<Vec<String>, Error>> =
        in_waves(targets, 0, options.jobs, |_, m| applied(member(config, m), m.target.clone())).await;
    let mut targets = targets.to_vec();
    if tenants {
        let template = live_target(config).await?;
        histories.push(applied(config.clone(), template.clone()).await);
        let named =
            format!("{} (the template, {})", template.display, config.tenant_schema.as_deref().unwrap_or_default());
        targets.push(Member { display: named, ..Member::database(template) });
    }
    let targets = &targets[..];
    let mut kinds: Vec<(&Vec<String>, Vec<&str>)> = Vec::new();
    for (m, h) in targets.iter().zip(&histories) {
        let h = h.as_ref().map_err(|e| Error::failed(format!("{}: {e}", m.display), e.hint().unwrap_or_default()))?;
        match kinds.iter_mut().find(|(k, _)| *k == h) {
            Some((_, names)) => names.push(&m.display),
            None => kinds.push((h, vec![m.display.as_str()])),
        }
    }
    if kinds.len() > 1 {
        let what: Vec<String> = kinds
            .iter()
            .map(|(h, names)| {
                let at = h.last().map_or("nothing applied", String::as_str);
                format!("{} target(s) at {at} ({} applied), e.g. {}", names.len(), h.len(), names[0])
            })
            .collect();
        return Err(Error::failed(
            format!("the targets' applied histories differ; nothing was written:{}", super::listed(&what)),
            "`schemaspec apply --targets` brings them to one history first; a revert is then one set of files for all",
        ));
    }
    let history = kinds.first().map(|(h, _)| h.as_slice()).unwrap_or_default();
    let version = match (&args.to, args.last) {
        (Some(v), _) if history.contains(v) => v.clone(),
        (Some(v), _) => {
            return Err(Error::failed(
                format!("{v} is not applied on the targets"),
                "revert to a version they have applied (`schemaspec status --targets` lists where they are)",
            ))
        }
        (None, Some(n)) => match history.len().checked_sub(n + 1) {
            Some(i) if n > 0 => history[i].clone(),
            _ => {
                return Err(Error::failed(
                    format!("the targets have {} applied file(s): --last {n} leaves no applied state to go back to", history.len()),
                    "undo at least one file and leave at least one applied (`--last N`), or name the version (`--to VERSION`)",
                ))
            }
        },
        (None, None) => {
            return Err(Error::failed("revert needs a version", "`schemaspec revert --to VERSION` or `--last N`"))
        }
    };
    let who = match tenants {
        true => format!("{} tenant(s) and the template", targets.len() - 1),
        false => format!("{} target(s)", targets.len()),
    };
    writeln!(out, "{who} share one history of {} file(s).", history.len()).map_err(io)?;
    let once =
        super::revert::Args { to: Some(version), last: None, apply: false, update_schema: false, ..args.clone() };
    // Against the template's database (the last member), or the first database.
    let planned_on = if tenants { config.clone() } else { member(config, &targets[0]) };
    super::revert::run(&planned_on, &once, out).await?;
    let flag = if tenants { "--tenants" } else { "--targets" };
    if !args.apply {
        writeln!(out, "next: review the files, then `schemaspec apply {flag}` runs them on every target")
            .map_err(io)?;
        return Ok(EXIT_OK);
    }
    let apply =
        super::apply::Args { allow_out_of_order: false, allow_hazards: args.allow_hazards.clone(), dry_run: false };
    if tenants {
        super::apply::run(config, &apply, out).await?;
    }
    let fleet = if tenants { &targets[..targets.len() - 1] } else { targets };
    self::apply(config, &apply, fleet, options, out).await
}

/// One target's status, as the fleet summary needs it.
#[derive(Serialize, Debug)]
pub struct MemberStatus {
    pub target: String,
    /// The newest applied version (None: nothing applied yet).
    pub version: Option<String>,
    pub pending: usize,
    /// Whether it needs a person (modified, missing, failed, drifted... as `status` says).
    pub clean: bool,
    pub drifted: usize,
    pub error: Option<ErrorReport>,
    /// The target's own `status --format json` report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// `status` on every target, summarized: how many are at which version, which have
/// pending files, which drifted or need a person, which could not be read. Exit 0 when
/// every target is clean (pending files are normal before a deploy), 2 when one needs a
/// person, 1 when one could not be read.
pub async fn status(
    config: &Config,
    no_catalog: bool,
    targets: &[Member],
    options: &Options,
    detail: bool,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let args = super::status::Args { format: Format::Json, no_catalog };
    let progress = progress::bar(targets.len(), "reading databases");
    let (args, progress) = (&args, &progress);
    let read: Vec<(MemberStatus, i32)> = in_waves(targets, 1, options.jobs, |_, target| async move {
        let mut json = Vec::new();
        let ran = super::status::run(&member(config, target), args, &mut json).await;
        progress.inc(1);
        let mut s = MemberStatus {
            target: target.display.clone(),
            version: None,
            pending: 0,
            clean: false,
            drifted: 0,
            error: None,
            detail: None,
        };
        let code = match ran {
            Ok(code) => match serde_json::from_slice::<serde_json::Value>(&json) {
                Ok(v) => {
                    let migrations = v["migrations"].as_array().cloned().unwrap_or_default();
                    let state = |m: &serde_json::Value| m["state"].as_str().unwrap_or_default().to_string();
                    s.version = migrations
                        .iter()
                        .filter(|m| state(m) == "applied")
                        .filter_map(|m| m["version"].as_str())
                        .max()
                        .map(str::to_string);
                    s.pending = migrations.iter().filter(|m| state(m) == "pending").count();
                    s.drifted = v["catalog_drift"].as_array().map_or(0, Vec::len);
                    s.clean = code == EXIT_OK;
                    if let Some(e) = v["replay_error"].as_str() {
                        s.error = Some(ErrorReport { message: redact(e), hint: None });
                    }
                    s.detail = detail.then_some(v);
                    code
                }
                Err(e) => {
                    s.error = Some(ErrorReport { message: format!("unreadable status report: {e}"), hint: None });
                    EXIT_FAILED
                }
            },
            Err(e) => {
                s.error = Some(ErrorReport::of(&e));
                EXIT_FAILED
            }
        };
        (s, code)
    })
    .await;
    close_shared_replays().await;
    progress.finish_and_clear();
    let code = read.iter().map(|(_, c)| *c).fold(EXIT_OK, |worst, c| match (worst, c) {
        (EXIT_FAILED, _) | (_, EXIT_FAILED) => EXIT_FAILED,
        (EXIT_CHANGES, _) | (_, EXIT_CHANGES) => EXIT_CHANGES,
        _ => EXIT_OK,
    });
    let members: Vec<MemberStatus> = read.into_iter().map(|(s, _)| s).collect();
    let mut versions: std::collections::BTreeMap<&str, usize> = Default::default();
    for m in &members {
        if m.error.is_none() {
            *versions.entry(m.version.as_deref().unwrap_or("(none applied)")).or_default() += 1;
        }
    }
    #[derive(Serialize)]
    struct Fleet<'a> {
        targets: &'a [MemberStatus],
        summary: FleetSummary<'a>,
    }
    #[derive(Serialize)]
    struct FleetSummary<'a> {
        targets: usize,
        /// Newest applied version: how many targets are at it.
        versions: &'a std::collections::BTreeMap<&'a str, usize>,
        with_pending: usize,
        drifted: usize,
        needing_a_person: usize,
        unreadable: usize,
    }
    let summary = FleetSummary {
        targets: members.len(),
        versions: &versions,
        with_pending: members.iter().filter(|m| m.error.is_none() && m.pending > 0).count(),
        drifted: members.iter().filter(|m| m.drifted > 0).count(),
        needing_a_person: members.iter().filter(|m| m.error.is_none() && !m.clean).count(),
        unreadable: members.iter().filter(|m| m.error.is_some()).count(),
    };
    let fleet = Fleet { targets: &members, summary };
    if let Some(path) = &options.report {
        write_report(path, &fleet)?;
    }
    if options.format == Format::Json {
        write_json(out, &fleet)?;
        return Ok(code);
    }
    let s = &fleet.summary;
    writeln!(out, "{} target(s)", s.targets).map_err(io)?;
    for (version, n) in s.versions {
        writeln!(out, "  {n} at {version}").map_err(io)?;
    }
    for m in &members {
        let mut notes = Vec::new();
        if m.pending > 0 {
            notes.push(format!("{} pending", m.pending));
        }
        if m.drifted > 0 {
            notes.push(format!("{} object group(s) drifted", m.drifted));
        }
        if !m.clean && m.error.is_none() && m.pending == 0 && m.drifted == 0 {
            notes.push("needs a person (`schemaspec status` on it says why)".to_string());
        }
        if let Some(e) = &m.error {
            notes.push(format!("unreadable: {}", e.message));
        }
        if detail || !notes.is_empty() {
            let at = m.version.as_deref().unwrap_or("nothing applied");
            let notes = if notes.is_empty() { "clean".to_string() } else { notes.join("; ") };
            writeln!(out, "{}: at {at}: {notes}", m.target).map_err(io)?;
        }
    }
    writeln!(
        out,
        "{} with pending files, {} drifted, {} needing a person, {} unreadable",
        s.with_pending, s.drifted, s.needing_a_person, s.unreadable
    )
    .map_err(io)?;
    Ok(code)
}

/// Targets that need the same change: one group of `plan --targets`.
#[derive(Serialize, Debug)]
pub struct PlanGroup {
    pub targets: Vec<String>,
    pub changes: usize,
    pub steps: Vec<crate::plan::Step>,
}

/// `plan` on every target: the desired state is loaded once (again only for a target
/// whose platform objects differ from the first's), each database is read, `--jobs` at
/// once, and targets that need the same change are grouped: a fleet of identical
/// tenants is one line. Exit 1 when a target could not be read; else, with
/// `exit_code`, 2 when any target has changes.
pub async fn plan(
    config: &Config,
    targets: &[Member],
    options: &Options,
    exit_code: bool,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let dev = dev_target(config).await?;
    // A target's catalog and, with `with_env`, its environment (what decides its platform
    // objects; `None` when that is the catalog itself).
    let read_one = |m: &Member, with_env: bool| {
        let (target, own) = (m.target.clone(), member(config, m));
        async move {
            let client = pg::connect(&target).await?;
            let live = read(&client, &own.scope()).await?;
            let wide = match with_env {
                false => None,
                true => match environment(&own, &client, &live).await? {
                    std::borrow::Cow::Borrowed(_) => None,
                    std::borrow::Cow::Owned(wide) => Some(wide),
                },
            };
            Ok::<_, Error>((live, wide))
        }
    };
    // The desired state, from the first target's environment; that target's catalog is
    // planned as read here, not read again.
    let first = read_one(&targets[0], true).await?;
    let env = first.1.as_ref().unwrap_or(&first.0);
    let prelude = Prelude::new(config, Some(env))?;
    // Schema per tenant: every tenant's desired state from one load of the files.
    let mut tenant_names: Vec<&str> = targets.iter().filter_map(|m| m.schema.as_deref()).collect();
    tenant_names.sort_unstable();
    tenant_names.dedup();
    let (tenants, tenant_notes): (std::collections::BTreeMap<&str, Catalog>, Vec<String>) = if tenant_names.len() > 1 {
        let views: Vec<(String, pg::introspect::Scope)> = tenant_names
            .iter()
            .filter_map(|n| targets.iter().find(|m| m.schema.as_deref() == Some(n)))
            .map(|m| (m.schema.clone().unwrap_or_default(), member(config, m).scope()))
            .collect();
        let (catalogs, notes) = desired_for_tenants(config, &dev, Some(env), &views).await?;
        (tenant_names.iter().copied().zip(catalogs).collect(), notes)
    } else {
        Default::default()
    };
    let (desired, notes) = match targets[0].schema.as_deref().and_then(|t| tenants.get(t)) {
        Some(d) => (d.clone(), tenant_notes),
        None => desired_catalog(&member(config, &targets[0]), &dev, Some(env)).await?,
    };
    let first = std::sync::Mutex::new(Some(first));
    let progress = progress::bar(targets.len(), "reading databases");
    let (desired, prelude, dev, progress, read_one, first) = (&desired, &prelude, &dev, &progress, &read_one, &first);
    let tenants = &tenants;
    let planned: Vec<(&Member, Result<crate::plan::Plan, Error>)> =
        in_waves(targets, 1, options.jobs, |i, m| async move {
            let planned = async {
                let read_before = if i == 0 { first.lock().ok().and_then(|mut f| f.take()) } else { None };
                // A tenant in the first target's database shares its environment: the
                // platform objects are that database's.
                let neighbour = m.schema.is_some() && m.target.display == targets[0].target.display;
                let (live, wide) = match read_before {
                    Some(read) => read,
                    None => read_one(m, !neighbour).await?,
                };
                let env = wide.as_ref().unwrap_or(&live);
                // A tenant's desired state names its own schema.
                let own;
                let same_platform = neighbour || Prelude::new(config, Some(env))?.loads_like(prelude);
                let for_tenant = m.schema.as_deref().and_then(|t| tenants.get(t));
                let desired = if let (Some(d), true) = (for_tenant, same_platform) {
                    d
                } else if m.schema == targets[0].schema && same_platform {
                    desired
                } else {
                    own = desired_catalog(&member(config, m), dev, Some(env)).await?.0;
                    &own
                };
                crate::plan::build(&live, desired, config.plan_options()).map_err(|e| Error::Cycle(e.members))
            }
            .await;
            progress.inc(1);
            (m, planned)
        })
        .await;
    progress.finish_and_clear();
    // Grouped by what would run.
    let mut groups: Vec<(Vec<String>, PlanGroup)> = Vec::new();
    let mut failed: Vec<Outcome> = Vec::new();
    for (m, plan) in planned {
        let target = m.display.clone();
        match plan {
            Ok(plan) => {
                // Tenants needing the same change, each in its schema, are one group.
                let as_template = |sql: &str| match (&m.schema, &config.tenant_schema) {
                    (Some(tenant), Some(template)) => crate::sqltext::retarget::retarget(sql, tenant, template),
                    _ => sql.to_string(),
                };
                let key: Vec<String> =
                    plan.steps.iter().flat_map(|s| s.statements.iter().map(|st| as_template(st.plain()))).collect();
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, g)) => g.targets.push(target),
                    None => groups
                        .push((key, PlanGroup { targets: vec![target], changes: plan.steps.len(), steps: plan.steps })),
                }
            }
            Err(e) => failed.push(Outcome {
                target,
                status: State::Failed,
                applied: Vec::new(),
                error: Some(ErrorReport::of(&e)),
                warnings: Vec::new(),
            }),
        }
    }
    let groups: Vec<PlanGroup> = groups.into_iter().map(|(_, g)| g).collect();
    let with_changes: usize = groups.iter().filter(|g| g.changes > 0).map(|g| g.targets.len()).sum();
    let code = if !failed.is_empty() {
        EXIT_FAILED
    } else if exit_code && with_changes > 0 {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    if options.format == Format::Json {
        #[derive(Serialize)]
        struct FleetPlan<'a> {
            notes: &'a [String],
            groups: &'a [PlanGroup],
            failed: &'a [Outcome],
            summary: serde_json::Value,
        }
        let summary = serde_json::json!({"targets": targets.len(), "with_changes": with_changes, "failed": failed.len(), "states": groups.len()});
        write_json(out, &FleetPlan { notes: &notes, groups: &groups, failed: &failed, summary })?;
        return Ok(code);
    }
    for n in &notes {
        writeln!(out, "note: {n}").map_err(io)?;
    }
    writeln!(out, "{} target(s) in {} state(s)", targets.len(), groups.len() + usize::from(!failed.is_empty()))
        .map_err(io)?;
    for g in &groups {
        if g.changes == 0 {
            writeln!(out, "{} target(s): no changes", g.targets.len()).map_err(io)?;
            continue;
        }
        writeln!(out, "{} target(s): {} change(s)", g.targets.len(), g.changes).map_err(io)?;
        for t in &g.targets {
            writeln!(out, "  {t}").map_err(io)?;
        }
        for step in &g.steps {
            writeln!(out, "  - {}", step.description).map_err(io)?;
        }
    }
    for f in &failed {
        writeln!(out, "{}: unreadable", f.target).map_err(io)?;
        if let Some(e) = &f.error {
            writeln!(out, "  {}", e.message).map_err(io)?;
        }
    }
    Ok(code)
}

/// One target's drift, as `drift --targets` reports it.
#[derive(Serialize, Debug)]
pub struct MemberDrift {
    pub target: String,
    /// The drifted object groups (`table public.notes`...), with what changed.
    pub drifted: Vec<String>,
    pub error: Option<ErrorReport>,
}

/// `drift` on every target (`--jobs` at once; the history's replay is cached once for
/// all): which databases drifted from their applied history, and in what. Exit 2 when
/// any drifted, 1 when one could not be compared.
pub async fn drift(config: &Config, targets: &[Member], options: &Options, out: &mut dyn Write) -> Result<i32, Error> {
    let progress = progress::bar(targets.len(), "comparing databases");
    let progress = &progress;
    let members: Vec<MemberDrift> = in_waves(targets, 1, options.jobs, |_, target| async move {
        // The applied history only: what the schema files would still change is `plan --targets`.
        let report = super::drift::compare(&member(config, target), false).await;
        progress.inc(1);
        let d = match report {
            Ok(r) => MemberDrift {
                target: target.display.clone(),
                drifted: r.drifted.iter().map(|d| format!("{}: {}", d.object, d.changes.join("; "))).collect(),
                error: None,
            },
            Err(e) => {
                MemberDrift { target: target.display.clone(), drifted: Vec::new(), error: Some(ErrorReport::of(&e)) }
            }
        };
        d
    })
    .await;
    close_shared_replays().await;
    progress.finish_and_clear();
    let drifted = members.iter().filter(|m| !m.drifted.is_empty()).count();
    let failed = members.iter().filter(|m| m.error.is_some()).count();
    let code = if failed > 0 {
        EXIT_FAILED
    } else if drifted > 0 {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    if options.format == Format::Json {
        let summary = serde_json::json!({"targets": members.len(), "drifted": drifted, "failed": failed});
        write_json(out, &serde_json::json!({"targets": members, "summary": summary}))?;
        return Ok(code);
    }
    for m in &members {
        if !m.drifted.is_empty() {
            writeln!(out, "{}: drifted", m.target).map_err(io)?;
            for d in &m.drifted {
                writeln!(out, "  {d}").map_err(io)?;
            }
        }
        if let Some(e) = &m.error {
            writeln!(out, "{}: not compared: {}", m.target, e.message).map_err(io)?;
        }
    }
    writeln!(out, "{} target(s): {drifted} drifted, {failed} not compared", members.len()).map_err(io)?;
    if drifted > 0 {
        writeln!(
            out,
            "next: `schemaspec drift --database-url <one of them>` shows each object and the SQL that puts it back"
        )
        .map_err(io)?;
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_targets_list_skips_comments_and_blank_lines_and_tells_names_from_strings() {
        let listed =
            entries("# the fleet\n\ntenant_1\n  tenant_2  # eu\npostgresql://u@h/db\nhost=h dbname=d password=a#b\n");
        assert_eq!(listed, ["tenant_1", "tenant_2", "postgresql://u@h/db", "host=h dbname=d password=a#b"]);
        assert!(is_name("tenant_1") && !is_name("postgresql://u@h/db") && !is_name("host=h dbname=d"));
    }

    #[test]
    fn a_tenant_member_manages_its_schema_in_the_templates_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("schemaspec.toml"),
            "tenant_schema = \"tpl\"\nschemas = [\"tpl\", \"shared\"]\nunmanaged_tables = [\"tpl.audit\"]\n",
        )
        .unwrap();
        let config = Config::load(dir.path(), crate::config::Overrides::default()).unwrap();
        let target = Target::parse("host=/tmp dbname=app").unwrap();
        let neighbours = std::sync::Arc::new(vec!["acme".to_string(), "beta".to_string(), "tpl".to_string()]);
        let m = Member { target, schema: Some("acme".into()), display: "x".into(), neighbours };
        let c = member(&config, &m);
        assert_eq!(c.schemas, ["acme", "shared"]);
        assert_eq!(c.unmanaged_tables, ["acme.audit"]);
        assert_eq!(c.environment_exclude, ["beta", "tpl"]);
        let t = tracking(&c);
        assert_eq!((t.schema.as_str(), t.table.as_str()), ("schemaspec", "schema_migrations_acme"));
        // Retargeted files keep their checksum: the history reconciles as it is.
        let file = crate::history::LocalMigration::new("20260101000000_x.sql", "CREATE TABLE tpl.t (id int);\n".into())
            .unwrap();
        let aimed = aimed(&c, [&file]).expect("a tenant's configuration");
        assert_eq!(aimed[0].content, "CREATE TABLE acme.t (id int);\n");
        assert_eq!(aimed[0].checksum, file.checksum);
        // A template outside the managed schemas is refused.
        std::fs::write(dir.path().join("schemaspec.toml"), "tenant_schema = \"tpl\"\n").unwrap();
        assert!(Config::load(dir.path(), crate::config::Overrides::default()).is_err());
    }

    #[test]
    fn one_tenant_of_each_database_goes_first() {
        let db = |name: &str| Target::parse(&format!("host=/tmp dbname={name}")).unwrap();
        let tenant = |d: &str, s: &str| Member { schema: Some(s.into()), ..Member::database(db(d)) };
        let fleet = [tenant("a", "x"), tenant("a", "y"), tenant("b", "x"), tenant("b", "y"), tenant("c", "x")];
        assert_eq!(first_of_each_database(&fleet, 0), [0, 2, 4, 1, 3]);
        assert_eq!(first_of_each_database(&fleet, 2), [0, 1, 2, 3, 4]);
        let dbs = [Member::database(db("a")), Member::database(db("b"))];
        assert_eq!(first_of_each_database(&dbs, 0), [0, 1]);
    }

    #[test]
    fn the_summary_counts_each_state() {
        let o = |status| Outcome { target: "t".into(), status, applied: Vec::new(), error: None, warnings: Vec::new() };
        let r = Report::new(vec![o(State::Applied), o(State::Failed), o(State::UpToDate), o(State::Applied)]);
        assert_eq!((r.summary.targets, r.summary.applied, r.summary.failed), (4, 2, 1));
        assert_eq!((r.summary.up_to_date, r.summary.skipped), (1, 0));
    }
}
