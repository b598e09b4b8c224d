//! `schemaspec apply`: run pending migration files in version order, each recorded in
//! the tracking table, under an advisory lock so concurrent deploys apply each file once.

use super::*;
use crate::history::{self, MigrationState};
use crate::lint;
use crate::migrations;
use crate::pg::apply::{run_file, Tracking};
use crate::plan::Hazard;
use std::collections::BTreeSet;

pub struct Args {
    pub allow_out_of_order: bool,
    /// Hazards accepted in pending files (checked when `apply_checks_hazards` is set).
    pub allow_hazards: Vec<String>,
    /// List what would run; change nothing.
    pub dry_run: bool,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let dir = checked_dir(config, out)?;
    let allowed = super::generate::parse_hazards(&args.allow_hazards)?;
    run_on(config, args, (&dir, &allowed), out, &mut Vec::new()).await
}

/// The migrations folder, refused when applying from it would be wrong anywhere: a
/// broken sum file, two files of one version, a `.sql` file not named like a migration.
pub fn checked_dir(config: &Config, out: &mut dyn Write) -> Result<migrations::Directory, Error> {
    let dir = super::read_migrations(config)?;
    let dir_name = config.migrations_dir.display().to_string();
    if let Some(problem) = history::verify_sum(&dir.migrations, dir.sum.as_deref()) {
        return Err(Error::SumMismatch { dir: dir_name, detail: problem.to_string() });
    }
    if let Some(v) = dir.duplicate_versions().first() {
        return Err(Error::failed(
            format!("two migration files in {dir_name} have version {v}; nothing was applied"),
            "`schemaspec repair --renumber` gives the pending one a new version (the applied one keeps its own)",
        ));
    }
    // A `.sql` file that is not named like a migration was most likely meant to run:
    // refuse rather than deploy without it. Backups and notes (.backup, .skip) are skipped.
    if let Some(s) = dir.strays.iter().find(|s| s.ends_with(".sql")) {
        return Err(Error::InvalidFileName { file: format!("{dir_name}/{s}") });
    }
    for s in &dir.strays {
        writeln!(out, "warning: skipping {s} in {dir_name} (not a migration file name)").map_err(io)?;
    }
    Ok(dir)
}

/// Apply the pending files of `dir` to the live database of `config`; the versions it
/// applied (with `dry_run`: would apply) are added to `done`, also when a later file
/// fails.
pub async fn run_on(
    config: &Config,
    args: &Args,
    (dir, allowed): (&migrations::Directory, &BTreeSet<Hazard>),
    out: &mut dyn Write,
    done: &mut Vec<String>,
) -> Result<i32, Error> {
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let tracking = tracking(config);
    // A dry run takes no lock and creates nothing: it reads the history as it is.
    if args.dry_run {
        return apply_locked(config, args, allowed, (&client, &target), &tracking, dir, out, done).await;
    }
    // Lock first: sixteen deploys creating the tracking table at once would collide.
    tracking
        .lock(&client, &mut || {
            let _ = writeln!(out, "waiting for another schemaspec run on this database to finish...");
        })
        .await?;
    if let Err(e) = tracking.ensure(&client).await {
        tracking.unlock(&client).await;
        return Err(e);
    }
    let result = apply_locked(config, args, allowed, (&client, &target), &tracking, dir, out, done).await;
    tracking.unlock(&client).await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn apply_locked(
    config: &Config,
    args: &Args,
    allowed: &BTreeSet<Hazard>,
    (client, target): (&tokio_postgres::Client, &pg::Target),
    tracking: &Tracking,
    dir: &migrations::Directory,
    out: &mut dyn Write,
    done: &mut Vec<String>,
) -> Result<i32, Error> {
    // Read the history only once the lock is held: another deploy may just have applied.
    let applied = tracking.applied(client).await?;
    let status = history::reconcile(&dir.migrations, &applied);
    let mut resumed = BTreeSet::new();
    for s in &status {
        let file = dir.migrations.iter().find(|m| m.version == s.version);
        match s.state {
            MigrationState::Modified => {
                let f = file.expect("modified files exist locally");
                let a = applied.iter().find(|a| a.version == s.version).expect("and in the database");
                return Err(Error::ChecksumMismatch {
                    file: f.file_name.clone(),
                    applied: a.checksum.clone(),
                    local: f.checksum.clone(),
                });
            }
            // Started outside a transaction by an apply that did not finish (we hold the
            // lock, so that apply is gone). A generated file's statements are idempotent:
            // running it again completes it. A hand-written one needs a person.
            MigrationState::Failed => match file {
                Some(f)
                    if lint::is_generated(f)
                        && applied.iter().any(|a| a.version == s.version && f.matches(&a.checksum)) =>
                {
                    let verb = if args.dry_run { "would resume" } else { "resuming" };
                    writeln!(out, "{verb} {} (started by an apply that did not finish)", f.file_name).map_err(io)?;
                    resumed.insert(s.version.clone());
                }
                _ => return Err(Error::DirtyMigration { version: s.version.clone(), name: s.name.clone() }),
            },
            MigrationState::OutOfOrder if !args.allow_out_of_order => {
                return Err(Error::failed(
                    format!(
                        "{} is older than the newest applied migration; nothing was applied",
                        file.map_or(s.version.as_str(), |f| f.file_name.as_str())
                    ),
                    "`schemaspec repair --renumber` gives it a newer version; or, if it does not depend on newer files, `schemaspec apply --allow-out-of-order`",
                ));
            }
            MigrationState::MissingLocally => {
                writeln!(
                    out,
                    "warning: {} ({}) is applied but not in {}",
                    s.version,
                    s.name,
                    config.migrations_dir.display()
                )
                .map_err(io)?;
            }
            MigrationState::Applied
            | MigrationState::Pending
            | MigrationState::OutOfOrder
            | MigrationState::Superseded => {}
        }
    }
    let pending: Vec<&history::LocalMigration> = status
        .iter()
        .filter(|s| {
            matches!(s.state, MigrationState::Pending | MigrationState::OutOfOrder) || resumed.contains(&s.version)
        })
        .filter_map(|s| dir.migrations.iter().find(|m| m.version == s.version))
        .collect();
    // A tenant's: the template's files aimed at its schema.
    let aimed = super::aimed(config, pending.iter().copied());
    let pending: Vec<&history::LocalMigration> = match &aimed {
        Some(aimed) => aimed.iter().collect(),
        None => pending,
    };
    // Meta-commands and transaction control: refused before any file runs.
    for m in &pending {
        crate::pg::apply::runnable(m)?;
    }
    if config.apply_checks_hazards {
        for m in &pending {
            let refused: Vec<String> = lint::file_hazards(m)
                .into_iter()
                .map(|(_, h)| h)
                .filter(|h| Hazard::parse(h).is_none_or(|k| k.needs_consent() && !allowed.contains(&k)))
                .collect();
            if !refused.is_empty() {
                return Err(Error::HazardsNotAllowed(format!(
                    "{} has {} (apply_checks_hazards is set in schemaspec.toml; nothing was applied)",
                    m.file_name,
                    refused.join(", ")
                )));
            }
        }
    }
    if pending.is_empty() {
        writeln!(out, "Nothing to apply: {} migration(s) already applied.", applied.len()).map_err(io)?;
        return Ok(EXIT_OK);
    }
    if args.dry_run {
        done.extend(pending.iter().map(|m| m.version.clone()));
        for m in &pending {
            let hazards: Vec<String> = lint::file_hazards(m).into_iter().map(|(_, h)| h).collect();
            let hazards = if hazards.is_empty() { String::new() } else { format!("  [{}]", hazards.join(", ")) };
            let how = if crate::plan::files::is_no_transaction(&m.content) { " (no transaction)" } else { "" };
            writeln!(out, "would apply {}{how}{hazards}", m.file_name).map_err(io)?;
        }
        writeln!(out, "{} file(s) would be applied; nothing was changed (--dry-run).", pending.len()).map_err(io)?;
        return Ok(EXIT_OK);
    }
    let timeouts = timeouts(config);
    let progress = super::progress::bar(pending.len(), "applying");
    for (i, m) in pending.iter().enumerate() {
        progress.set_message(m.file_name.clone());
        let ran = if builds_index(m) && !progress.is_hidden() {
            with_index_progress(client, target, &progress, &m.file_name, run_file(client, m, Some(tracking), &timeouts))
                .await
        } else {
            run_file(client, m, Some(tracking), &timeouts).await
        };
        progress.inc(1);
        match ran {
            Ok(took) => {
                done.push(m.version.clone());
                progress.suspend(|| writeln!(out, "applied {} ({} ms)", m.file_name, took.as_millis())).map_err(io)?
            }
            Err(e) => {
                drop(progress);
                let left: Vec<&str> = pending[i..].iter().map(|m| m.file_name.as_str()).collect();
                writeln!(
                    out,
                    "failed: {}\n{} file(s) applied in this run; {} not applied:{}",
                    m.file_name,
                    i,
                    left.len(),
                    super::listed(&left)
                )
                .map_err(io)?;
                return Err(e);
            }
        }
    }
    drop(progress);
    writeln!(out, "{} migration(s) applied.", pending.len()).map_err(io)?;
    Ok(EXIT_OK)
}

/// Whether a file builds an index concurrently (a long wait on a big table).
fn builds_index(m: &crate::history::LocalMigration) -> bool {
    crate::plan::files::is_no_transaction(&m.content) && m.content.contains(" INDEX CONCURRENTLY ")
}

/// `run` (a file building an index), with the build's phase and share of blocks done
/// from `pg_stat_progress_create_index` in the progress message meanwhile, read over a
/// second connection every half second.
async fn with_index_progress<T>(
    client: &tokio_postgres::Client,
    target: &pg::Target,
    progress: &super::progress::Progress,
    file: &str,
    run: impl std::future::Future<Output = T>,
) -> T {
    let pid: Option<i32> = client.query_one("SELECT pg_catalog.pg_backend_pid()", &[]).await.ok().map(|r| r.get(0));
    let watcher = match pid {
        Some(_) => pg::connect(target).await.ok(),
        None => None,
    };
    tokio::pin!(run);
    loop {
        tokio::select! {
            done = &mut run => return done,
            () = tokio::time::sleep(std::time::Duration::from_millis(500)) => {
                let (Some(w), Some(pid)) = (&watcher, pid) else { continue };
                let row = w
                    .query_opt(
                        "SELECT phase, blocks_done, blocks_total FROM pg_catalog.pg_stat_progress_create_index WHERE pid = $1",
                        &[&pid],
                    )
                    .await;
                if let Ok(Some(row)) = row {
                    let (phase, done, total): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
                    let share = if total > 0 { format!("{}% ", done * 100 / total) } else { String::new() };
                    progress.set_message(format!("{share}{phase}: {file}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn concurrent_index_builds_are_watched() {
        let file = |content: &str| crate::history::LocalMigration::new("20260101000000_x.sql", content.into()).unwrap();
        let build = "-- schemaspec:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n";
        assert!(super::builds_index(&file(build)));
        assert!(!super::builds_index(&file("CREATE INDEX IF NOT EXISTS i ON t (a);\n")));
    }
}
