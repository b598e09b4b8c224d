//! `schemaspec revert --to VERSION` (or `--last N`): the database taken back to the state
//! of its applied history up to a version, written as new forward migration files. The
//! target is that history replayed on a scratch database; the files are planned, named
//! with their hazards (undoing an added column deletes what it holds) and proved like
//! any generated file. History stays append-only: the reverted files stay applied, and
//! the revert files record the way back.

use super::generate::{self, Goal};
use super::{io, live_target, tracking, EXIT_OK};
use crate::config::Config;
use crate::error::Error;
use crate::pg;
use std::io::Write;

#[derive(Clone)]
pub struct Args {
    pub to: Option<String>,
    pub last: Option<usize>,
    pub allow_hazards: Vec<String>,
    pub apply: bool,
    /// After applying, rewrite the schema files from the reverted database.
    pub update_schema: bool,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let version = match (&args.to, args.last) {
        (Some(v), _) => v.clone(),
        (None, Some(n)) => {
            let target = live_target(config).await?;
            let client = pg::connect(&target).await?;
            let mut applied: Vec<String> =
                tracking(config).applied(&client).await?.into_iter().map(|a| a.version).collect();
            applied.sort();
            if n == 0 {
                writeln!(out, "Nothing to revert: --last 0.").map_err(io)?;
                return Ok(EXIT_OK);
            }
            match applied.len().checked_sub(n + 1) {
                Some(i) => applied[i].clone(),
                None => {
                    return Err(Error::failed(
                        format!(
                            "{} has {} applied file(s): undoing {n} leaves no applied state to go back to",
                            target.display,
                            applied.len()
                        ),
                        "revert to an applied version (`--to VERSION`); an empty database is not a revert",
                    ))
                }
            }
        }
        (None, None) => {
            return Err(Error::failed("revert needs a version", "`schemaspec revert --to VERSION` or `--last N`"))
        }
    };
    writeln!(out, "Reverting to the state after {version}.").map_err(io)?;
    let gen = generate::Args {
        goal: Goal::AppliedUpTo(version),
        from_history: false,
        allow_hazards: args.allow_hazards.clone(),
        max_file_lines: None,
    };
    generate::run(config, &gen, out).await?;
    if args.apply {
        let apply =
            super::apply::Args { allow_out_of_order: false, allow_hazards: args.allow_hazards.clone(), dry_run: false };
        super::apply::run(config, &apply, out).await?;
    }
    if args.update_schema {
        // The reverted database is the state to describe: written as `dump` writes it.
        let dump = super::dump::DumpArgs { out: None, force: true };
        super::dump::dump(config, &dump, out).await?;
    } else {
        writeln!(
            out,
            "note: the schema files still describe the newer state, so `schemaspec plan` shows the difference: edit them back, or revert with --apply --update-schema to rewrite them from the reverted database"
        )
        .map_err(io)?;
    }
    Ok(EXIT_OK)
}
