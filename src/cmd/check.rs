//! `schemaspec check`: the linter for CI and pre-commit hooks. Reads the migrations
//! directory and the schema files, and the tracking table when a database is
//! configured (only the `pending-hazard` rule needs it), then runs `lint::check`.

use super::*;
use crate::history;
use crate::lint::{self, Finding};
use crate::migrations;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    /// GitHub Actions workflow commands: findings show up as annotations on the diff.
    Github,
}

pub struct Args {
    pub format: CheckFormat,
    pub fix: bool,
    pub allow_hazards: Vec<String>,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    // --fix writes files: other runs writing there wait (and it waits for them).
    let _lock = if args.fix { Some(migrations::lock(&config.migrations_dir, &mut || {})?) } else { None };
    let mut dir = super::read_migrations(config)?;
    let dir_name =
        config.migrations_dir.strip_prefix(&config.root).unwrap_or(&config.migrations_dir).display().to_string();
    let mut notes = Vec::new();
    // Which versions are applied: from a database the user configured (a linter in a
    // pre-commit hook must not start a server). `--fix` must know, to never rewrite an
    // applied file, so it asks the embedded database when none is configured.
    let rows = match (&config.database_url, args.fix) {
        (None, false) => {
            notes.push(
                "no database configured: the pending-hazard rule was skipped (set --database-url or DATABASE_URL)"
                    .into(),
            );
            None
        }
        _ => {
            let target = live_target(config).await?;
            let client = pg::connect(&target).await?;
            Some(tracking(config).applied(&client).await?)
        }
    };
    // Versions that ran to the end: the rules look at the others.
    let applied: Option<BTreeSet<String>> =
        rows.as_ref().map(|r| r.iter().filter(|a| a.success).map(|a| a.version.clone()).collect());
    if args.fix {
        // Any row at all, finished or not: such a file has (partly) run.
        let applied: BTreeSet<&str> = rows.iter().flatten().map(|a| a.version.as_str()).collect();
        let sum_was_valid = history::verify_sum(&dir.migrations, dir.sum.as_deref()).is_none();
        let mut fixed = Vec::new();
        for m in history::replayable(&dir.migrations) {
            let Some(content) = lint::fix(&m) else { continue };
            if applied.contains(m.version.as_str()) {
                notes.push(format!(
                    "not fixed: {dir_name}/{} is recorded as applied, and an applied file must not be edited (its statements already ran). To change it anyway: `schemaspec repair --mark-unapplied {v}`, fix it, then `schemaspec repair --mark-applied {v}` (which proves its effects are in place)",
                    m.file_name,
                    v = m.version
                ));
                continue;
            }
            migrations::rewrite(&dir.path, &m.file_name, &content)?;
            fixed.push(m.file_name.clone());
        }
        if !fixed.is_empty() {
            // Only a sum file that matched before is brought up to date: an edit the
            // sum file caught must stay visible.
            if sum_was_valid {
                migrations::rehash(&config.migrations_dir)?;
            }
            dir = super::read_migrations(config)?;
            for f in &fixed {
                notes.push(format!("fixed {dir_name}/{f}: rewritten in guarded forms"));
            }
        }
    }
    let schema_files: Vec<(String, String)> = match migrations::read_schema(&config.schema_dirs, &config.root) {
        Ok(files) => files.into_iter().map(|s| (s.name, s.text)).collect(),
        Err(_) => Vec::new(),
    };
    let allowed: BTreeSet<String> =
        super::generate::parse_hazards(&args.allow_hazards)?.into_iter().map(|h| h.name().to_string()).collect();
    let findings = lint::check(&lint::Input {
        dir: &dir_name,
        migrations: &dir.migrations,
        strays: &dir.strays,
        sum: dir.sum.as_deref(),
        schema_files: &schema_files,
        applied: applied.as_ref(),
        allowed_hazards: &allowed,
    });
    report(&findings, &notes, args.format, out)?;
    Ok(if findings.is_empty() { EXIT_OK } else { EXIT_CHANGES })
}

fn report(findings: &[Finding], notes: &[String], format: CheckFormat, out: &mut dyn Write) -> Result<(), Error> {
    match format {
        CheckFormat::Json => {
            #[derive(serde::Serialize)]
            struct Report<'a> {
                clean: bool,
                findings: &'a [Finding],
                notes: &'a [String],
            }
            write_json(out, &Report { clean: findings.is_empty(), findings, notes })
        }
        CheckFormat::Github => {
            // https://docs.github.com/actions/reference/workflow-commands-for-github-actions
            let escape = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
            let prop = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
            for f in findings {
                let line = f.line.map(|l| format!(",line={l}")).unwrap_or_default();
                writeln!(
                    out,
                    "::error file={}{line},title={}::{}",
                    prop(&f.file),
                    prop(f.rule),
                    escape(&format!("{} (fix: {})", f.message, f.hint))
                )
                .map_err(io)?;
            }
            for n in notes {
                writeln!(out, "::notice::{}", escape(n)).map_err(io)?;
            }
            Ok(())
        }
        CheckFormat::Text => {
            for f in findings {
                let at = f.line.map(|l| format!("{}:{l}", f.file)).unwrap_or_else(|| f.file.clone());
                writeln!(out, "{at}: [{}] {}\n  hint: {}", f.rule, f.message, f.hint).map_err(io)?;
            }
            for n in notes {
                writeln!(out, "note: {n}").map_err(io)?;
            }
            if findings.is_empty() {
                writeln!(out, "check: clean").map_err(io)?;
            } else {
                let files: BTreeSet<&str> = findings.iter().map(|f| f.file.as_str()).collect();
                writeln!(out, "check: {} finding(s) in {} file(s)", findings.len(), files.len()).map_err(io)?;
            }
            Ok(())
        }
    }
}
