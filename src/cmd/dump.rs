//! `schemaspec dump` and `schemaspec baseline`: the live schema as files.
//!
//! `dump` writes declarative schema files (so `dump` then `plan` is empty). `baseline`
//! starts the history afresh from the live schema: small dependency-ordered migration
//! files, proved on a scratch database to rebuild the live catalog from nothing (what a
//! new environment or a database branch does), recorded as applied, with the old rows
//! moved to the archive table.

use super::*;
use crate::diff;
use crate::history::{LocalMigration, BASELINE_MARKER};
use crate::migrations;
use crate::plan::{self, files};

pub struct DumpArgs {
    pub out: Option<std::path::PathBuf>,
    pub force: bool,
}

pub async fn dump(config: &Config, args: &DumpArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let (from, live) = users_part(config, &client).await?;
    let plan = plan::build(&from, &live, plan::Options::OFFLINE).map_err(|e| Error::Cycle(e.members))?;
    let dumped = files::dump_files(&plan, &target.display);
    let dir = match &args.out {
        Some(d) => config.root.join(d),
        None => config.schema_dirs.first().cloned().unwrap_or_else(|| config.root.join("schema")),
    };
    let written = migrations::write_schema_dir(&dir, &dumped, args.force)?;
    writeln!(
        out,
        "dumped {} object change(s) into {} file(s) under {}",
        plan.steps.len(),
        written.len(),
        dir.strip_prefix(&config.root).unwrap_or(&dir).display()
    )
    .map_err(io)?;
    Ok(EXIT_OK)
}

/// The live catalog and what it is written relative to: a fresh database of the
/// platform (nothing without one), so that only the user's objects are written; owners
/// only when ownership is managed (else every file would say `OWNER TO` the role that
/// happened to run it).
async fn users_part(config: &Config, client: &tokio_postgres::Client) -> Result<(Catalog, Catalog), Error> {
    let mut live = read(client, &config.scope()).await?;
    let mut from = if config.platform.is_empty() {
        Catalog::default()
    } else {
        let env = environment(config, client, &live).await?;
        platform_baseline(config, &dev_target(config).await?, Some(&env)).await?
    };
    if !config.manage_ownership {
        live.owners.clear();
        from.owners.clear();
    }
    Ok((from, live))
}

pub struct BaselineArgs {
    /// Move the old migration files to `<migrations dir>/archive/`.
    pub archive_files: bool,
    pub max_file_lines: Option<usize>,
}

pub async fn baseline(config: &Config, args: &BaselineArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let _lock = migrations_lock(config, out)?;
    let dir = super::read_migrations(config)?;
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let t = tracking(config);
    let (from, live) = users_part(config, &client).await?;
    let applied = t.applied(&client).await?;
    let plan = plan::build(&from, &live, plan::Options::OFFLINE).map_err(|e| Error::Cycle(e.members))?;
    if plan.is_empty() {
        return Err(Error::Other(format!("{} has no schema objects to baseline", target.display)));
    }
    let max_lines = args.max_file_lines.unwrap_or(config.max_file_lines).min(200);
    let drafts = files::drafts(&plan, max_lines);
    let mut taken = dir.versions();
    taken.extend(applied.iter().map(|a| a.version.clone()));
    let versions = new_versions(&taken, drafts.len())?;
    let group = versions.first().cloned().unwrap_or_default();
    let new: Vec<LocalMigration> = drafts
        .iter()
        .zip(&versions)
        .map(|(d, v)| {
            // The marker goes on the second line: the first may be the no-transaction one.
            let (first, rest) = d.content.split_once('\n').unwrap_or((&d.content, ""));
            let content = format!("{first}\n{BASELINE_MARKER} {group}\n{rest}");
            new_migration(v, &format!("baseline_{}", d.slug), content)
        })
        .collect::<Result<_, _>>()?;

    // Proof: from an empty database the files rebuild the live catalog, twice over.
    let dev = dev_target(config).await?;
    let twice: Vec<LocalMigration> = new.iter().chain(&new).cloned().collect();
    let env = environment(config, &client, &live).await?;
    let rebuilt = replay(config, &dev, &twice, Some(&env))
        .await
        .map_err(|e| Error::ProofFailed(format!("the baseline does not replay (twice) on an empty database: {e}")))?;
    let mut expected = live.clone();
    expected.owners = rebuilt.owners.clone();
    let gaps = diff::diff(&rebuilt, &expected);
    if !gaps.is_empty() {
        let what: Vec<String> = gaps.iter().take(10).map(plan::describe).collect();
        return Err(Error::ProofFailed(format!(
            "replayed from empty, the baseline differs from the live schema: {}",
            what.join("; ")
        )));
    }

    t.lock(&client, &mut || {}).await?;
    if let Err(e) = t.ensure(&client).await {
        t.unlock(&client).await;
        return Err(e);
    }
    let written = match migrations::write(&dir, &new) {
        Ok(w) => w,
        Err(e) => {
            t.unlock(&client).await;
            return Err(e);
        }
    };
    let mut statements: Vec<String> =
        applied.iter().map(|a| t.archive_row_sql(&a.version, &format!("baseline {group}"))).collect();
    statements.extend(new.iter().map(|m| t.record_sql(m)));
    let detail = format!("{} file(s) recorded; {} earlier row(s) archived", new.len(), applied.len());
    let recorded = t.change_history(&client, &statements, "baseline", Some(&group), &detail).await;
    t.unlock(&client).await;
    if let Err(e) = recorded {
        migrations::remove(&written);
        migrations::rehash(&dir.path)?;
        return Err(Error::Other(format!(
            "recording the baseline failed, the files were removed and nothing changed: {e}"
        )));
    }
    for p in &written {
        writeln!(out, "wrote {}", p.strip_prefix(&config.root).unwrap_or(p).display()).map_err(io)?;
    }
    writeln!(
        out,
        "baseline {group}: {} file(s) (at most {max_lines} lines each), proved to rebuild the live schema from empty; recorded as applied, {} earlier row(s) moved to {}",
        new.len(),
        applied.len(),
        t.archive()
    )
    .map_err(io)?;
    let old: Vec<String> = dir.migrations.iter().map(|m| m.file_name.clone()).collect();
    if args.archive_files && !old.is_empty() {
        let to = migrations::archive(&dir.path, &old, "archive")?;
        migrations::rehash(&config.migrations_dir)?;
        writeln!(out, "moved {} earlier file(s) to {}", old.len(), to.display()).map_err(io)?;
    } else if !old.is_empty() {
        writeln!(
            out,
            "{} earlier file(s) stay in place, superseded by the baseline (never run again); `--archive-files` moves them out",
            old.len()
        )
        .map_err(io)?;
    }
    Ok(EXIT_OK)
}
