//! `schemaspec apply`: run pending migration files in version order, each recorded in
//! the tracking table, under an advisory lock so concurrent deploys apply each file once.

use super::*;
use crate::history::{self, MigrationState};
use crate::migrations;
use crate::pg::apply::{run_file, Tracking};

pub struct Args {
    pub allow_out_of_order: bool,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let dir = migrations::read(&config.migrations_dir)?;
    let dir_name = config.migrations_dir.display().to_string();
    if let Some(problem) = history::verify_sum(&dir.migrations, dir.sum.as_deref()) {
        return Err(Error::SumMismatch { dir: dir_name, detail: format!("{problem:?}") });
    }
    if let Some(v) = dir.duplicate_versions().first() {
        return Err(Error::Other(format!(
            "two migration files in {dir_name} have version {v}; give one of them a new version"
        )));
    }
    for s in &dir.strays {
        writeln!(out, "warning: skipping {s} in {dir_name} (not a migration file name)").map_err(io)?;
    }
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let tracking = tracking(config);
    tracking.ensure(&client).await?;
    tracking.lock(&client).await?;
    let result = apply_locked(config, args, &client, &tracking, &dir, out).await;
    tracking.unlock(&client).await;
    result
}

async fn apply_locked(
    config: &Config,
    args: &Args,
    client: &tokio_postgres::Client,
    tracking: &Tracking,
    dir: &migrations::Directory,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    // Read the history only once the lock is held: another deploy may just have applied.
    let applied = tracking.applied(client).await?;
    let status = history::reconcile(&dir.migrations, &applied);
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
            MigrationState::Failed => {
                return Err(Error::DirtyMigration { version: s.version.clone(), name: s.name.clone() });
            }
            MigrationState::OutOfOrder if !args.allow_out_of_order => {
                return Err(Error::Other(format!(
                    "{} is older than the newest applied migration; apply it anyway with `--allow-out-of-order`, or give it a new version",
                    file.map_or(s.version.as_str(), |f| f.file_name.as_str())
                )));
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
    let pending: Vec<_> = status
        .iter()
        .filter(|s| matches!(s.state, MigrationState::Pending | MigrationState::OutOfOrder))
        .filter_map(|s| dir.migrations.iter().find(|m| m.version == s.version))
        .collect();
    // A psql meta-command would reach the server as a syntax error mid-file: refuse first.
    for m in &pending {
        if let Some(c) = crate::sql::split::split(&m.content).meta_commands.first() {
            return Err(Error::MetaCommand { file: m.file_name.clone(), line: c.line, command: c.text.clone() });
        }
    }
    if pending.is_empty() {
        writeln!(out, "Nothing to apply: {} migration(s) already applied.", applied.len()).map_err(io)?;
        return Ok(EXIT_OK);
    }
    let timeouts = timeouts(config);
    for (i, m) in pending.iter().enumerate() {
        match run_file(client, m, Some(tracking), &timeouts).await {
            Ok(took) => writeln!(out, "applied {} ({} ms)", m.file_name, took.as_millis()).map_err(io)?,
            Err(e) => {
                let left: Vec<&str> = pending[i..].iter().map(|m| m.file_name.as_str()).collect();
                writeln!(
                    out,
                    "failed: {}\n{} file(s) applied in this run; not applied: {}",
                    m.file_name,
                    i,
                    left.join(", ")
                )
                .map_err(io)?;
                return Err(e);
            }
        }
    }
    writeln!(out, "{} migration(s) applied.", pending.len()).map_err(io)?;
    Ok(EXIT_OK)
}
