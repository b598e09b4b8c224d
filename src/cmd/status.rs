//! `schemaspec status`: a three-way view of the local files, the tracking table and
//! the live catalog: applied, pending, modified (by normalized content), missing,
//! out-of-order, failed and superseded versions; duplicates, strays and the sum file;
//! and whether the catalog is what the applied files produce (see `drift`).

use super::*;
use crate::history::{self, MigrationState};

pub struct Args {
    pub format: Format,
    /// Skip replaying the history to compare the catalog (files and table only).
    pub no_catalog: bool,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    // The catalog's fingerprint, which a clean verdict is looked up by, is taken on
    // connections of its own while the files and the tracking table are read: on fresh
    // server processes it costs more than both (each catalog it sums is opened for the
    // first time), and it is taken before anything else is read, as a verdict needs.
    let target = live_target(config).await?;
    let early = !args.no_catalog && crate::cache::enabled() && config.tenant.is_none();
    let fingerprinting = async {
        match early {
            true => fingerprint_aside(config, &target).await,
            false => None,
        }
    };
    let (histories, fingerprint) = tokio::join!(histories_at(config, target.clone()), fingerprinting);
    let Histories { dir, target, client, tracking, applied, status } = histories?;
    let sum = history::verify_sum(&dir.migrations, dir.sum.as_deref());
    let duplicates = dir.duplicate_versions();
    // The catalog leg (replaying a history that cannot be replayed is a finding too).
    let compared = match args.no_catalog {
        true => None,
        false => {
            Some(super::drift::compare_with(config, &client, &target.display, &dir, &applied, false, fingerprint).await)
        }
    };
    let verdict = compared.as_ref().and_then(|r| r.as_ref().ok()).and_then(|r| r.verdict.clone());
    let catalog: Option<Result<Vec<String>, String>> = compared.map(|r| match r {
        Ok(r) => Ok(r.drifted.iter().map(|d| format!("{}: {}", d.object, d.changes.join("; "))).collect()),
        Err(e) => Err(e.to_string()),
    });
    let not_managed: Vec<String> = not_managed(config, &client, verdict)
        .await?
        .into_iter()
        .map(
            |(kind, schema, name)| {
                if schema.is_empty() {
                    format!("{kind} {name}")
                } else {
                    format!("{kind} {schema}.{name}")
                }
            },
        )
        .collect();
    // Drift that the pending files would make: someone ran them by hand. Then the next
    // step is to record them (after proof), not to run them again.
    let pending: Vec<&history::LocalMigration> = status
        .iter()
        .filter(|s| matches!(s.state, MigrationState::Pending | MigrationState::OutOfOrder))
        .filter_map(|s| dir.migrations.iter().find(|m| m.version == s.version))
        .collect();
    let ran_by_hand = match &catalog {
        Some(Ok(d)) if !d.is_empty() && !pending.is_empty() => {
            let mut files = history::applied_files(&dir.migrations, &applied);
            files.extend(pending.iter().map(|m| (*m).clone()));
            files.sort_by(|a, b| a.version.cmp(&b.version));
            super::drift::replay_matches(config, &client, &files).await.unwrap_or(false)
        }
        _ => false,
    };
    // Another tool's history, for a database that has none of schemaspec's yet.
    let foreign = if applied.is_empty() { super::import::found(config, &client).await } else { None };
    fingerprint_after_scratch(config, &client, &target.display).await;
    let clean = status.iter().all(|s| matches!(s.state, MigrationState::Applied | MigrationState::Superseded))
        && catalog.as_ref().is_none_or(|c| c.as_ref().is_ok_and(|d| d.is_empty()))
        && sum.is_none()
        && dir.strays.is_empty()
        && duplicates.is_empty();
    // Pending files are the normal state before a deploy: only what needs a person
    // (modified, missing, out-of-order, failed, drifted, a broken sum file, strays,
    // duplicates) exits 2.
    let needs_a_person = !clean
        && !status
            .iter()
            .all(|s| matches!(s.state, MigrationState::Applied | MigrationState::Superseded | MigrationState::Pending))
        || catalog.as_ref().is_some_and(|c| !c.as_ref().is_ok_and(|d| d.is_empty()))
        || sum.is_some()
        || !dir.strays.is_empty()
        || !duplicates.is_empty();
    if args.format == Format::Json {
        /// A version's state with its way back: as the tracking table recorded it when
        /// it ran, else as its file's down block says (null: none).
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            #[serde(flatten)]
            status: &'a history::VersionStatus,
            rollback_sql: Option<String>,
        }
        let recorded = tracking.recorded(&client, None).await?;
        let entries: Vec<Entry> = status
            .iter()
            .map(|s| Entry {
                status: s,
                rollback_sql: recorded.get(&s.version).and_then(|r| r.rollback_sql.clone()).or_else(|| {
                    dir.migrations
                        .iter()
                        .find(|m| m.version == s.version)
                        .and_then(|m| crate::plan::files::down_block(&m.content))
                        .map(|d| d.sql)
                }),
            })
            .collect();
        #[derive(serde::Serialize)]
        struct Report<'a> {
            database: &'a str,
            clean: bool,
            migrations: &'a [Entry<'a>],
            sum_problem: Option<history::SumProblem>,
            strays: &'a [String],
            duplicate_versions: &'a [String],
            /// Drifted objects (empty: none); absent when not compared.
            catalog_drift: Option<&'a [String]>,
            /// Why the applied history could not be replayed to compare, if it could not.
            replay_error: Option<&'a str>,
            /// Objects of kinds schemaspec does not manage yet: `kind schema.name`.
            not_managed: &'a [String],
        }
        write_json(
            out,
            &Report {
                database: &target.display,
                clean,
                migrations: &entries,
                sum_problem: sum,
                strays: &dir.strays,
                duplicate_versions: &duplicates,
                catalog_drift: catalog.as_ref().and_then(|c| c.as_ref().ok()).map(Vec::as_slice),
                replay_error: catalog.as_ref().and_then(|c| c.as_ref().err()).map(String::as_str),
                not_managed: &not_managed,
            },
        )?;
    } else {
        writeln!(out, "Database: {}", target.display).map_err(io)?;
        writeln!(out, "Migrations: {}", config.migrations_dir.display()).map_err(io)?;
        for s in &status {
            let state =
                serde_json::to_value(s.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let state = super::style::paint(super::style::state(s.state), &format!("{state:<16}"));
            writeln!(out, "  {state} {} {}", s.version, s.name).map_err(io)?;
        }
        if let Some(p) = &sum {
            writeln!(out, "  sum file: {p} (fix: `schemaspec hash` if the change is intended)").map_err(io)?;
        }
        for s in &dir.strays {
            writeln!(out, "  stray file: {s}").map_err(io)?;
        }
        for d in &duplicates {
            writeln!(out, "  duplicate version: {d} (fix: `schemaspec repair --renumber`)").map_err(io)?;
        }
        match &catalog {
            None => {}
            Some(Ok(d)) if d.is_empty() => writeln!(out, "Catalog: matches the applied migrations").map_err(io)?,
            Some(Ok(d)) => {
                writeln!(
                    out,
                    "Catalog: {} object group(s) drifted from the applied migrations (details: `schemaspec drift`)",
                    d.len()
                )
                .map_err(io)?;
                for x in d {
                    writeln!(out, "  drifted: {x}").map_err(io)?;
                }
            }
            Some(Err(e)) => writeln!(out, "Catalog: not compared: {e}").map_err(io)?,
        }
        for x in &not_managed {
            writeln!(out, "  not managed: {x} (schemaspec does not manage this kind yet; no plan touches it)")
                .map_err(io)?;
        }
        let count = |st: MigrationState| status.iter().filter(|s| s.state == st).count();
        writeln!(
            out,
            "{} applied, {} pending, {} modified, {} missing locally, {} out of order, {} failed, {} superseded by a baseline",
            count(MigrationState::Applied),
            count(MigrationState::Pending),
            count(MigrationState::Modified),
            count(MigrationState::MissingLocally),
            count(MigrationState::OutOfOrder),
            count(MigrationState::Failed),
            count(MigrationState::Superseded)
        )
        .map_err(io)?;
        // What to do next, one line per kind of problem found.
        let mut next: Vec<String> = Vec::new();
        let record = pending.iter().map(|m| format!("--mark-applied {}", m.version)).collect::<Vec<_>>().join(" ");
        if ran_by_hand {
            next.push(format!(
                "the pending files' effects are in the database already (it is what they make; someone ran them by hand): record them with `schemaspec repair {record}` (each is proved first)"
            ));
        }
        if !duplicates.is_empty() || (count(MigrationState::OutOfOrder) > 0 && !ran_by_hand) {
            next.push("duplicate or out-of-order versions: `schemaspec repair --renumber`".into());
        }
        if count(MigrationState::Pending) > 0 && !ran_by_hand {
            next.push("pending files: `schemaspec apply`".into());
        }
        if count(MigrationState::Modified) > 0 || sum.is_some() {
            next.push(String::from("modified files or sum file: restore the files (`schemaspec check` names them)"));
        }
        let missing: Vec<&history::VersionStatus> =
            status.iter().filter(|s| s.state == MigrationState::MissingLocally).collect();
        // One read of the recorded rows for all of them.
        let recorded = if missing.is_empty() { Default::default() } else { tracking.recorded(&client, None).await? };
        for s in missing {
            let kept = recorded.get(&s.version).is_some_and(|r| r.content.is_some());
            next.push(if kept {
                format!("{} has no file here (pushed from another clone): `schemaspec repair --restore {}` writes it back from the text recorded when it was applied", s.version, s.version)
            } else {
                format!("{} has no file here and no recorded text: copy the file from the clone that has it, or `schemaspec repair --forget {}` if nothing depends on it", s.version, s.version)
            });
        }
        if count(MigrationState::Failed) > 0 {
            next.push(String::from("failed files: `schemaspec repair --mark-unapplied VERSION` then `schemaspec apply`, or `--mark-applied VERSION`"));
        }
        if !dir.strays.is_empty() {
            next.push(String::from("stray files: delete them or move them out of the migrations directory"));
        }
        let drifted = catalog.as_ref().is_some_and(|c| c.as_ref().is_ok_and(|d| !d.is_empty()));
        if drifted && applied.is_empty() && !ran_by_hand {
            // Nothing recorded, yet the database has a schema: adopt its history.
            next.push(match &foreign {
                Some(how) => format!("no migration is recorded as applied, but the database has a schema and another tool's history: adopt it with `{how}`"),
                None => "no migration is recorded as applied, but the database has a schema: adopt it with `schemaspec baseline` (or another tool's history with `schemaspec import`)".into(),
            });
        } else if drifted && !ran_by_hand {
            next.push(String::from("drift: `schemaspec drift` shows each object and the SQL to undo it"));
        }
        if catalog.as_ref().is_some_and(|c| c.is_err()) {
            next.push(String::from("history that cannot be replayed: `schemaspec baseline`"));
        }
        for n in next {
            writeln!(out, "next: {n}").map_err(io)?;
        }
    }
    Ok(if needs_a_person { EXIT_CHANGES } else { EXIT_OK })
}

/// What the database holds of kinds schemaspec does not manage, so it is never a
/// surprise: kept with a clean verdict, since the same catalog (the verdict's key holds
/// its fingerprint and the scope) holds the same; read from the database otherwise, and
/// then kept with a verdict just made.
async fn not_managed(
    config: &Config,
    client: &tokio_postgres::Client,
    verdict: Option<(String, Option<String>)>,
) -> Result<std::collections::BTreeSet<(String, String, String)>, Error> {
    type Objects = std::collections::BTreeSet<(String, String, String)>;
    if let Some((_, Some(kept))) = &verdict {
        if let Ok(objects) = serde_json::from_str::<Objects>(kept) {
            return Ok(objects);
        }
    }
    let objects = pg::introspect::unmodeled(client, &config.scope())
        .await
        .map_err(|e| Error::Other(format!("reading the database failed: {}", pg::db_message(&e))))?;
    if let Some((key, _)) = verdict {
        if let Ok(kept) = serde_json::to_string(&objects) {
            crate::cache::remember(&config.root, super::drift::CLEAN, &key, &kept);
        }
    }
    Ok(objects)
}

/// The live catalog's fingerprint on connections of its own: the one the last run took
/// where the server's state says it holds (`remembered_fingerprint`), else taken anew on
/// two, which sum half the catalogs each. None where it cannot be taken: the comparison
/// then takes it the usual way.
async fn fingerprint_aside(config: &Config, target: &pg::Target) -> Option<String> {
    let failed = |e: tokio_postgres::Error| tracing::debug!("no catalog fingerprint: {}", pg::db_message(&e));
    let first = pg::connect(target).await.ok()?;
    if let Some(known) = remembered_fingerprint(config, &first, &target.display).await.map_err(failed).ok()? {
        return Some(known);
    }
    let second = pg::connect(target).await;
    let clients: Vec<&tokio_postgres::Client> = match &second {
        Ok(second) => vec![&first, second],
        Err(_) => vec![&first],
    };
    take_fingerprint(config, &clients, &target.display).await.map_err(failed).ok()
}
