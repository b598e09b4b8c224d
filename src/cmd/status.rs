//! `schemaspec status`: applied, pending, modified, missing and out-of-order files.

use super::*;
use crate::history::{self, MigrationState};
use crate::migrations;
use crate::pg::apply::Tracking;

pub struct Args {
    pub format: Format,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let dir = migrations::read(&config.migrations_dir)?;
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let tracking = Tracking { schema: config.tracking_schema.clone(), table: config.tracking_table.clone() };
    let applied = tracking.applied(&client).await?;
    let status = history::reconcile(&dir.migrations, &applied);
    let sum = history::verify_sum(&dir.migrations, dir.sum.as_deref());
    let duplicates = dir.duplicate_versions();
    let clean = status.iter().all(|s| s.state == MigrationState::Applied)
        && sum.is_none()
        && dir.strays.is_empty()
        && duplicates.is_empty();
    if args.format == Format::Json {
        #[derive(serde::Serialize)]
        struct Report<'a> {
            database: &'a str,
            clean: bool,
            migrations: &'a [history::VersionStatus],
            sum_problem: Option<history::SumProblem>,
            strays: &'a [String],
            duplicate_versions: &'a [String],
        }
        write_json(
            out,
            &Report {
                database: &target.display,
                clean,
                migrations: &status,
                sum_problem: sum,
                strays: &dir.strays,
                duplicate_versions: &duplicates,
            },
        )?;
    } else {
        writeln!(out, "Database: {}", target.display).map_err(io)?;
        writeln!(out, "Migrations: {}", config.migrations_dir.display()).map_err(io)?;
        for s in &status {
            let state =
                serde_json::to_value(s.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            writeln!(out, "  {:<16} {} {}", state, s.version, s.name).map_err(io)?;
        }
        if let Some(p) = &sum {
            writeln!(out, "  sum file: {p:?}").map_err(io)?;
        }
        for s in &dir.strays {
            writeln!(out, "  stray file: {s}").map_err(io)?;
        }
        for d in &duplicates {
            writeln!(out, "  duplicate version: {d}").map_err(io)?;
        }
        let count = |st: MigrationState| status.iter().filter(|s| s.state == st).count();
        writeln!(
            out,
            "{} applied, {} pending, {} modified, {} missing locally, {} out of order, {} failed",
            count(MigrationState::Applied),
            count(MigrationState::Pending),
            count(MigrationState::Modified),
            count(MigrationState::MissingLocally),
            count(MigrationState::OutOfOrder),
            count(MigrationState::Failed)
        )
        .map_err(io)?;
    }
    Ok(if clean { EXIT_OK } else { EXIT_CHANGES })
}
