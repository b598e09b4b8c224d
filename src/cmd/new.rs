//! `schemaspec new NAME`: an empty, timestamped migration file for SQL a person writes
//! (a backfill, a data fix), with the sum file updated, so nobody types a version by hand.

use super::{io, migrations_lock, new_migration, new_versions, EXIT_OK};
use crate::config::Config;
use crate::error::Error;
use crate::history;
use crate::migrations;
use crate::plan::files::{slug, NO_TRANSACTION_MARKER};
use std::io::Write;

pub fn run(config: &Config, name: &str, no_transaction: bool, out: &mut dyn Write) -> Result<i32, Error> {
    if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::failed(
            format!("{name:?} does not say what the file does"),
            "give it a name of words, letters or digits: `schemaspec new backfill_user_emails`",
        ));
    }
    let _lock = migrations_lock(config, out)?;
    let dir = super::read_migrations(config)?;
    // The sum file is rewritten with the new file: a problem it already shows would be
    // hidden by that, so it is said first.
    if let Some(problem) = history::verify_sum(&dir.migrations, dir.sum.as_deref()) {
        if problem != history::SumProblem::Missing || !dir.migrations.is_empty() {
            return Err(Error::SumMismatch {
                dir: config.migrations_dir.display().to_string(),
                detail: problem.to_string(),
            });
        }
    }
    let taken = dir.migrations.iter().map(|m| m.version.clone()).collect();
    let version = new_versions(&taken, 1)?.remove(0);
    let mut content = String::new();
    if no_transaction {
        content += NO_TRANSACTION_MARKER;
        content += "\n-- Runs outside a transaction, one statement at a time: make each safe to run again.\n";
    }
    content += &format!(
        "-- {name}\n-- Hand-written. Make every statement safe to run twice (IF NOT EXISTS, guards):\n\
         -- `schemaspec check --fix` rewrites the common ones.\n\n"
    );
    let m = new_migration(&version, &slug(name), content)?;
    let written = migrations::write(&dir, std::slice::from_ref(&m))?;
    for p in written {
        writeln!(out, "wrote {}", p.display()).map_err(io)?;
    }
    Ok(EXIT_OK)
}
