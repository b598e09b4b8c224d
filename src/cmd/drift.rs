//! `schemaspec drift`: is the live database what its history says it is? The applied
//! migration files are replayed on a scratch database and that catalog compared with
//! the live one; every drifted object is printed with a unified diff of its definition
//! and the SQL that would put it back. The desired state (the schema files) is
//! compared too, so the report also says what `generate` has still to write.

use super::*;
use crate::catalog::Catalog;
use crate::history;
use crate::migrations;
use crate::plan::{self, Plan};
use std::collections::BTreeMap;

pub struct Args {
    pub format: Format,
}

/// One drifted object group (a table with its parts, a view, the functions...).
#[derive(Debug, serde::Serialize)]
pub struct Drifted {
    pub object: String,
    /// What changed, one line per change, as the live side differs from the history.
    pub changes: Vec<String>,
    /// Unified diff from the history's definition to the live one.
    pub diff: String,
    /// Statements that would make the live object what the history says.
    pub correction: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub database: String,
    /// Files replayed (those the tracking table records as applied).
    pub replayed: usize,
    pub drifted: Vec<Drifted>,
    /// Changes the schema files ask for that no migration makes yet (None: no schema files).
    pub undeployed: Option<Vec<String>>,
    /// The key of the clean verdict this comparison found or marked, and (when it was
    /// found) what was kept with it (`cache::remembered`).
    #[serde(skip)]
    pub verdict: Option<(String, Option<String>)>,
}

/// Definitions per group, as the engine would create them from nothing.
fn definitions(c: &Catalog) -> Result<BTreeMap<String, String>, Error> {
    let plan = plan::build(&Catalog::default(), c, plan::Options::OFFLINE).map_err(|e| Error::Cycle(e.members))?;
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for s in &plan.steps {
        let text = out.entry(s.group.clone()).or_default();
        for st in &s.statements {
            text.push_str(st.plain());
            text.push('\n');
        }
    }
    Ok(out)
}

pub fn drifted(history: &Catalog, live: &Catalog) -> Result<Vec<Drifted>, Error> {
    let correction: Plan = plan::build(live, history, plan::Options::OFFLINE).map_err(|e| Error::Cycle(e.members))?;
    if correction.is_empty() {
        return Ok(Vec::new());
    }
    let (before, after) = (definitions(history)?, definitions(live)?);
    let mut groups: BTreeMap<String, Drifted> = BTreeMap::new();
    for s in &correction.steps {
        let d = groups.entry(s.group.clone()).or_insert_with(|| {
            let old = before.get(&s.group).map(String::as_str).unwrap_or("");
            let new = after.get(&s.group).map(String::as_str).unwrap_or("");
            let diff = similar::TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header("history (applied migrations)", "live database")
                .to_string();
            Drifted { object: s.group.clone(), changes: Vec::new(), diff, correction: Vec::new() }
        });
        d.changes.push(s.description.clone());
        d.correction.extend(s.statements.iter().map(|st| st.sql.clone()));
    }
    Ok(groups.into_values().collect())
}

/// Replay the applied files and compare with the live catalog.
pub async fn compare(config: &Config, with_desired: bool) -> Result<Report, Error> {
    let dir = super::read_migrations(config)?;
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let applied = tracking(config).applied(&client).await?;
    compare_with(config, &client, &target.display, &dir, &applied, with_desired, None).await
}

/// Whether running `files` (in version order) on a scratch database gives the live
/// catalog: e.g. the applied files and pending ones whose statements someone already ran
/// by hand.
pub async fn replay_matches(
    config: &Config,
    client: &tokio_postgres::Client,
    files: &[history::LocalMigration],
) -> Result<bool, Error> {
    let dev = dev_target(config).await?;
    let live = read(client, &config.scope()).await?;
    let env = environment(config, client, &live).await?;
    let mut expected = replay(config, &dev, files, Some(&env)).await?;
    expected.owners = live.owners.clone();
    Ok(drifted(&expected, &live)?.is_empty())
}

/// The verdict that a live catalog matches its applied history (`cache::mark`).
pub const CLEAN: &str = "clean";

/// The key of the verdict that the live database behind `client` matches `files`
/// replayed: the live catalog's fingerprint, the files, and the configuration that
/// shapes the replay and what is compared (the binary's own identity is in every key).
/// Not the dev server the replay runs on: it is the instrument, not what is judged (the
/// same catalog and the same files match or not, whichever server replays them), so a
/// verdict is looked up without connecting to it, or starting the embedded one. None:
/// no cache, or no fingerprint (a database that does not let this role read its
/// catalogs).
async fn clean_key(
    config: &Config,
    (client, database): (&tokio_postgres::Client, &str),
    files: &[history::LocalMigration],
    taken: Option<String>,
) -> Option<String> {
    if !crate::cache::enabled() {
        return None;
    }
    let fingerprint = match taken {
        Some(f) => f,
        None => fingerprint_of(config, client, database)
            .await
            .map_err(|e| tracing::debug!("no catalog fingerprint: {}", pg::db_message(&e)))
            .ok()?,
    };
    let scope = config.scope();
    let timeouts = timeouts(config);
    let settings = format!(
        "clean {fingerprint} {:?} {:?} {:?} {:?} {} {} {:?} {:?}",
        scope.exclude,
        scope.only,
        scope.unmanaged_tables,
        scope.platform,
        timeouts.lock_timeout,
        timeouts.statement_timeout,
        config.platform,
        config.tenant
    );
    Some(crate::cache::key(&sources_of(files), "", &settings))
}

/// The catalog fingerprint of the database behind `client` (`database`, its address).
/// It covers the whole database, so the tenants of one database share it: taken once
/// per process for them (it is taken before each tenant's catalog is read, which is
/// what a verdict needs), else each of N tenants would sum catalogs as large as N.
async fn fingerprint_of(
    config: &Config,
    client: &tokio_postgres::Client,
    database: &str,
) -> Result<String, tokio_postgres::Error> {
    static TAKEN: Remembered = std::sync::Mutex::new(Vec::new());
    if config.tenant.is_none() {
        return super::catalog_fingerprint(config, &[client], database).await;
    }
    once_per_process(&TAKEN, database, || pg::introspect::fingerprint(client)).await
}

/// `compare` for a caller that has read the directory and the tracking table already
/// (and, with `fingerprint`, taken the catalog's fingerprint before anything else).
pub async fn compare_with(
    config: &Config,
    client: &tokio_postgres::Client,
    database: &str,
    dir: &migrations::Directory,
    applied: &[history::AppliedMigration],
    with_desired: bool,
    fingerprint: Option<String>,
) -> Result<Report, Error> {
    let started = std::time::Instant::now();
    let files = history::applied_files(&dir.migrations, applied);
    let has_schema = config.schema_dirs.iter().any(|d| d.exists());
    let with_desired = with_desired && has_schema;
    // A live catalog found to match this history before, unchanged since (its
    // fingerprint, taken before it is read, is the same): still a match.
    let clean_key = match with_desired {
        true => None,
        false => clean_key(config, (client, database), &files, fingerprint).await,
    };
    timing("drift_keyed", started);
    if let Some(kept) = clean_key.as_deref().and_then(|k| crate::cache::remembered(&config.root, CLEAN, k)) {
        timing("drift_clean_from_cache", started);
        return Ok(Report {
            database: database.to_string(),
            replayed: files.len(),
            drifted: Vec::new(),
            undeployed: None,
            verdict: clean_key.map(|k| (k, Some(kept))),
        });
    }
    let dev = dev_target(config).await?;
    let live = read(client, &config.scope()).await?;
    timing("drift_live_read", started);
    // A tenant's history replayed with its neighbours' needs no environment.
    let shared = match with_desired {
        true => None,
        false => shared_replay(config, &dev, &files).await,
    };
    let (mut expected, env) = match shared {
        Some(expected) => (expected, None),
        None => {
            let env = environment(config, client, &live).await?;
            let expected = replay(config, &dev, &files, Some(&env)).await.map_err(|e| {
                Error::Other(format!(
                    "the applied history cannot be replayed on an empty database ({e}); `schemaspec baseline` starts a history that can"
                ))
            })?;
            (expected, Some(env))
        }
    };
    // Owners differ between the live server and a scratch one by nature.
    expected.owners = live.owners.clone();
    let drifted = drifted(&expected, &live)?;
    if let Some(k) = clean_key.as_deref().filter(|_| drifted.is_empty()) {
        crate::cache::mark(&config.root, CLEAN, k);
    }
    let undeployed = if with_desired {
        let env = match env {
            Some(env) => env,
            None => environment(config, client, &live).await?,
        };
        let (desired, _) = desired_catalog(config, &dev, Some(&env)).await?;
        let plan = plan::build(&expected, &desired, plan::Options::OFFLINE).map_err(|e| Error::Cycle(e.members))?;
        Some(plan.steps.iter().map(|s| s.description.clone()).collect())
    } else {
        None
    };
    let verdict = clean_key.filter(|_| drifted.is_empty()).map(|k| (k, None));
    Ok(Report { database: database.to_string(), replayed: files.len(), drifted, undeployed, verdict })
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let report = compare(config, true).await?;
    let code = if report.drifted.is_empty() { EXIT_OK } else { EXIT_CHANGES };
    if args.format == Format::Json {
        write_json(out, &report)?;
        return Ok(code);
    }
    if report.drifted.is_empty() {
        writeln!(out, "No drift: {} matches its {} applied migration(s).", report.database, report.replayed)
            .map_err(io)?;
    } else {
        writeln!(
            out,
            "Drift: {} object group(s) in {} differ from what its {} applied migration(s) create.",
            report.drifted.len(),
            report.database,
            report.replayed
        )
        .map_err(io)?;
        for d in &report.drifted {
            writeln!(out, "\n== {}", d.object).map_err(io)?;
            for c in &d.changes {
                writeln!(out, "  - {c}").map_err(io)?;
            }
            write!(out, "{}", d.diff).map_err(io)?;
            writeln!(out, "-- to make the database match its history:").map_err(io)?;
            for s in &d.correction {
                writeln!(out, "{s}").map_err(io)?;
            }
        }
        if report.replayed == 0 {
            writeln!(
                out,
                "\nNo migration is recorded as applied: adopt the live schema with `schemaspec baseline`, or another tool's history with `schemaspec import`."
            )
            .map_err(io)?;
        }
        writeln!(
            out,
            "\nKeep the manual change: put it in the schema files, run `schemaspec generate --from-history`, then `schemaspec repair --mark-applied VERSION` for the new file (it proves the change is in place). Undo it: run the SQL above."
        )
        .map_err(io)?;
    }
    match &report.undeployed {
        Some(steps) if !steps.is_empty() => {
            writeln!(
                out,
                "\nThe schema files ask for {} change(s) no migration makes yet (run `schemaspec generate`):",
                steps.len()
            )
            .map_err(io)?;
            for s in steps {
                writeln!(out, "  - {s}").map_err(io)?;
            }
        }
        Some(_) => writeln!(out, "The migrations reach the schema files' desired state.").map_err(io)?,
        None => {}
    }
    Ok(code)
}
