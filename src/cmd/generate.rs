//! `schemaspec generate`: write the difference between the base (the live database, or
//! with `--from-history` the migrations replayed on a scratch database) and the desired
//! state as small migration files, after proving them on a scratch database.

use super::*;
use crate::catalog::Catalog;
use crate::diff;
use crate::history::{self, LocalMigration};
use crate::migrations;
use crate::pg::apply::run_file;
use crate::plan::{self, files, Hazard, Plan};
use std::collections::BTreeSet;

/// Files times relations copied for the proof (the work of reading the copy's catalog
/// twice per file) up to which `generate` proves a way back for each file: 200 files
/// on a copy of 100 tables, 20 of 1,000, 4 of 5,000.
const DOWN_BLOCK_WORK: usize = 20_000;

/// The state a generated migration reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Goal {
    /// What the schema files describe.
    SchemaFiles,
    /// What the database was once the applied history up to and including this version
    /// ran (`revert`): the later files stay applied, and new files record the way back.
    AppliedUpTo(String),
}

pub struct Args {
    pub goal: Goal,
    pub from_history: bool,
    /// Hazards named by the user (`all` allows every one).
    pub allow_hazards: Vec<String>,
    pub max_file_lines: Option<usize>,
}

pub fn parse_hazards(names: &[String]) -> Result<BTreeSet<Hazard>, Error> {
    let mut out = BTreeSet::new();
    for n in names.iter().flat_map(|n| n.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
        if n.eq_ignore_ascii_case("all") {
            out.extend(Hazard::ALL);
        } else {
            out.insert(Hazard::parse(n).ok_or_else(|| {
                Error::failed(
                    format!(
                        "unknown hazard {n:?} in --allow-hazards; known: {}, all",
                        Hazard::ALL.iter().map(|h| h.name()).collect::<Vec<_>>().join(", ")
                    ),
                    "docs/hazards.md says what each one means",
                )
            })?);
        }
    }
    Ok(out)
}

/// The catalog of the applied history up to and including `version`, replayed on a
/// scratch database as `drift` replays it.
async fn applied_up_to(
    config: &Config,
    dev: &pg::Target,
    dir: &migrations::Directory,
    applied: &[history::AppliedMigration],
    version: &str,
    (live, env): (&Catalog, &Catalog),
) -> Result<Catalog, Error> {
    if !applied.iter().any(|a| a.version == version) {
        let last: Vec<&str> = applied.iter().rev().take(5).map(|a| a.version.as_str()).collect();
        return Err(Error::failed(
            format!("version {version} is not applied to this database, so there is no state of it to go back to"),
            format!("give an applied version: the newest are {}", last.join(", ")),
        ));
    }
    let files: Vec<LocalMigration> = history::applied_files(&dir.migrations, applied)
        .into_iter()
        .filter(|m| m.version.as_str() <= version)
        .collect();
    if let Some(b) = history::newest_baseline(&dir.migrations) {
        if version < b {
            return Err(Error::failed(
                format!("version {version} is older than the baseline {b}, which replaced the history before it"),
                format!("revert to {b} or later"),
            ));
        }
    }
    let mut target = replay(config, dev, &history::replayable(&files), Some(env)).await?;
    // Owners differ between the live server and a scratch one by nature.
    target.owners = live.owners.clone();
    Ok(target)
}

/// `reltuples` of these relations (`schema.name`), where the server has an estimate
/// (analyzed, or vacuumed, since it was created). Best effort: none on any error.
async fn row_estimates(
    client: &tokio_postgres::Client,
    relations: &[String],
) -> std::collections::BTreeMap<String, i64> {
    let rows = client
        .query(
            "SELECT x, c.reltuples::int8 FROM pg_catalog.unnest($1::text[]) x \
             JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(x) WHERE c.reltuples >= 0",
            &[&relations],
        )
        .await;
    rows.map(|rows| rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1))).collect()).unwrap_or_default()
}

/// What `generate` diffs against (`base`) and what the schema files may use without
/// defining them (`None`: `base` itself): the applied history replayed (`--from-history`),
/// else the live database, which must have every migration file applied. Fills in the
/// applied versions, the versions taken and the live connection.
async fn read_base(
    config: &Config,
    dev: &Target,
    dir: &migrations::Directory,
    from_history: bool,
    (applied, taken, live_client): (
        &mut Vec<history::AppliedMigration>,
        &mut std::collections::BTreeSet<String>,
        &mut Option<tokio_postgres::Client>,
    ),
) -> Result<(Catalog, Option<Catalog>), Error> {
    if from_history {
        return Ok((replay(config, dev, &history::replayable(&dir.migrations), None).await?, None));
    }
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    *applied = tracking(config).applied(&client).await?;
    taken.extend(applied.iter().map(|a| a.version.clone()));
    let pending: Vec<&str> = history::reconcile(&dir.migrations, applied)
        .iter()
        .filter(|s| matches!(s.state, history::MigrationState::Pending | history::MigrationState::OutOfOrder))
        .filter_map(|s| dir.migrations.iter().find(|m| m.version == s.version))
        .map(|m| m.file_name.as_str())
        .collect();
    if !pending.is_empty() {
        return Err(Error::failed(
            format!("{} migration file(s) are not applied to {} yet:{}", pending.len(), target.display, super::listed(&pending)),
            "run `schemaspec apply` first, or `schemaspec generate --from-history` to diff against the files instead of the database",
        ));
    }
    let live = read_live(config, &client, &target.display).await?;
    let env = match environment(config, &client, &live).await? {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(wide) => Some(wide),
    };
    *live_client = Some(client);
    Ok((live, env))
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let allowed = parse_hazards(&args.allow_hazards)?;
    prefetch_desired(config);
    let _lock = migrations_lock(config, out)?;
    let dir = super::read_migrations(config)?;
    if let Some(v) = dir.duplicate_versions().first() {
        return Err(Error::Other(format!(
            "two migration files have version {v}; give one of them a new version first"
        )));
    }
    if let Some(problem) = history::verify_sum(&dir.migrations, dir.sum.as_deref()) {
        return Err(Error::SumMismatch {
            dir: config.migrations_dir.display().to_string(),
            detail: problem.to_string(),
        });
    }
    for s in &dir.strays {
        writeln!(out, "warning: ignoring {} in {} (not a migration file name)", s, config.migrations_dir.display())
            .map_err(io)?;
    }
    let dev = dev_target(config).await?;
    let mut taken = dir.versions();
    let mut applied = Vec::new();
    let mut live_client = None;
    // The schema files load while the live database is read (as `plan` does), where a
    // cold load is due; the load is kept only where the live side made no difference.
    let early = async {
        match (&args.goal, args.from_history) {
            (Goal::SchemaFiles, false) => early_desired(config, &dev).await,
            _ => None,
        }
    };
    // `env`: what the schema files may use without defining; None when it is `base`.
    let reading =
        async { read_base(config, &dev, &dir, args.from_history, (&mut applied, &mut taken, &mut live_client)).await };
    let (read, early) = tokio::join!(reading, early);
    let (base, env) = read?;
    let env = env.as_ref().unwrap_or(&base);
    let (desired, notes) = match &args.goal {
        Goal::SchemaFiles => desired_catalog_early(config, &dev, env, early).await?,
        Goal::AppliedUpTo(version) => {
            (applied_up_to(config, &dev, &dir, &applied, version, (&base, env)).await?, Vec::new())
        }
    };
    for n in &notes {
        writeln!(out, "note: {n}").map_err(io)?;
    }
    let plan = plan::build(&base, &desired, config.plan_options()).map_err(|e| Error::Cycle(e.members))?;
    for n in plan.notes() {
        writeln!(out, "note: {n}").map_err(io)?;
    }
    if plan.is_empty() {
        writeln!(out, "No changes: nothing to generate.").map_err(io)?;
        return Ok(EXIT_OK);
    }
    // A revert re-creates what later files dropped, but not what it held.
    if matches!(args.goal, Goal::AppliedUpTo(_)) {
        for lost in plan::lost_on_return(&plan) {
            writeln!(out, "note: {lost}").map_err(io)?;
        }
    }
    // How many rows each refused drop would take, as pg_class estimates them: the
    // table a step is on (itself, or the one its column lives in).
    let table_of = |s: &plan::Step| {
        std::iter::once(s.object.clone()).chain(s.object.parents()).find_map(|id| id.relation().map(|q| q.sql()))
    };
    let losing: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.hazards.contains(&Hazard::DeletesData) && !allowed.contains(&Hazard::DeletesData))
        .filter_map(table_of)
        .collect();
    let estimates = match &live_client {
        Some(client) if !losing.is_empty() => row_estimates(client, &losing).await,
        Some(_) | None => std::collections::BTreeMap::new(),
    };
    let refused: Vec<String> = plan
        .steps
        .iter()
        .flat_map(|s| {
            let rows = table_of(s).and_then(|q| estimates.get(&q).copied());
            s.hazards.iter().filter(|h| h.needs_consent() && !allowed.contains(h)).map(move |h| {
                match rows.filter(|_| *h == Hazard::DeletesData) {
                    Some(n) => format!("{h}: {} (the table holds about {n} rows)", s.description),
                    None => format!("{h}: {}", s.description),
                }
            })
        })
        .collect();
    if !refused.is_empty() {
        return Err(Error::HazardsNotAllowed(format!("\n  {}", refused.join("\n  "))));
    }

    let drafts = files::drafts(&plan, args.max_file_lines.unwrap_or(config.max_file_lines));
    let versions = new_versions(&taken, drafts.len())?;
    let new: Vec<LocalMigration> = drafts
        .iter()
        .zip(versions)
        .map(|(d, v)| new_migration(&v, &d.slug, d.content.clone()))
        .collect::<Result<_, _>>()?;

    let proving: Vec<(LocalMigration, &files::FileDraft)> = new.iter().cloned().zip(&drafts).collect();
    // The part of the live database the proof copies: what the plan touches, what
    // depends on it and what it needs; the whole of it where that cannot be drawn.
    let scope = if args.from_history || std::env::var_os("SCHEMASPEC_FULL_PROOF").is_some() {
        None
    } else {
        plan::scope::scope(env, &base, &desired, &plan)
    };
    if let Some(s) = &scope {
        tracing::info!(target: "schemaspec::timing", "proof copies {} object(s) of the live schema", s.len());
    }
    // Each way back costs two reads of the scratch catalog, whose size is the copy's:
    // the files times its relations stay under a fixed amount of work, so a large copy
    // gets ways back for a few files, a small one for up to the limit.
    let relations = match &scope {
        Some(s) => s.len(),
        None => (base.tables.len() + base.views.len() + desired.tables.len() + desired.views.len()) / 2,
    };
    let within_work = new.len().saturating_mul(relations + 1) <= DOWN_BLOCK_WORK;
    let downs = config.down_blocks_max_files >= new.len() && within_work;
    let ways_back = match prove(
        config,
        &dev,
        &history::replayable(&dir.migrations),
        (&base, env),
        &desired,
        &proving,
        (args.from_history, downs, scope.as_ref()),
        out,
    )
    .await
    {
        Ok(ways_back) => ways_back,
        Err(e) => {
            // Keep the rejected files where the user can read them; the project is untouched.
            let keep = std::env::temp_dir().join(format!("schemaspec-rejected-{}", std::process::id()));
            if std::fs::create_dir_all(&keep).is_ok() {
                for m in &new {
                    let _ = std::fs::write(keep.join(&m.file_name), &m.content);
                }
                writeln!(out, "The rejected migration files are in {} for inspection.", keep.display()).map_err(io)?;
            }
            return Err(e);
        }
    };
    // Each file carries its way back as a trailing commented block.
    let new: Vec<LocalMigration> = new
        .into_iter()
        .zip(&ways_back)
        .map(|(m, down)| match down {
            None => Ok(m),
            Some(down) => {
                if let Some(why) = &down.unproved {
                    writeln!(
                        out,
                        "warning: the way back written into {} is not proved ({why}): read its down block before running it",
                        m.file_name
                    )
                    .map_err(io)?;
                }
                let content = format!("{}\n{}", m.content, files::down_block_text(&down.sql));
                new_migration(&m.version, &m.name, content)
            }
        })
        .collect::<Result<_, _>>()?;
    if !downs && config.down_blocks_max_files > 0 {
        let why = if within_work {
            format!("{} files are more than down_blocks_max_files ({})", new.len(), config.down_blocks_max_files)
        } else {
            format!(
                "proving ways back for {} files on a copy of {} objects would read its catalog {} times",
                new.len(),
                relations,
                2 * new.len()
            )
        };
        writeln!(out, "note: no down blocks: {why}; `schemaspec revert` computes a way back from the history instead")
            .map_err(io)?;
    }
    // Schema per tenant: the files must build in a tenant's schema what they build in
    // the template's.
    if config.tenant_schema.is_some() {
        let history: Vec<LocalMigration> =
            history::replayable(&dir.migrations).into_iter().chain(new.iter().cloned()).collect();
        prove_retargeted(config, &dev, &history, env).await?;
    }
    let written = migrations::write(&dir, &new)?;
    for (path, d) in written.iter().zip(&drafts) {
        let h = if d.hazards.is_empty() {
            String::new()
        } else {
            format!("  [{}]", d.hazards.iter().map(|h| h.name()).collect::<Vec<_>>().join(", "))
        };
        writeln!(out, "wrote {}{h}", path.strip_prefix(&config.root).unwrap_or(path).display()).map_err(io)?;
    }
    writeln!(
        out,
        "{} file(s), {} change(s); proved on a scratch database (applied, compared, re-run).",
        new.len(),
        plan.steps.len()
    )
    .map_err(io)?;
    Ok(EXIT_OK)
}

/// The schema a retargeting proof builds the tenant's side in.
const PROBE_SCHEMA: &str = "schemaspec_tenant_probe";

/// Schema per tenant: whether `files`, retargeted to a tenant's schema (`aimed`), build
/// what they build in the template schema. Both run on scratch databases; the tenant's
/// schema is then renamed to the template's (a rename keeps every reference, which is by
/// object) and the two catalogs compared, routines' text and comments retargeted back
/// (their text is where a tenant's name rightly differs). A literal that merely equals
/// the template's name (a default, a check), or a column, table or alias of that name
/// used as a qualifier, comes out different, and the error names the object.
async fn prove_retargeted(config: &Config, dev: &Target, files: &[LocalMigration], env: &Catalog) -> Result<(), Error> {
    let Some(template) = config.tenant_schema.as_deref() else { return Ok(()) };
    let started = std::time::Instant::now();
    let original = replay(config, dev, files, Some(env)).await?;
    let mut probe_config = config.clone();
    probe_config.tenant = Some(PROBE_SCHEMA.to_string());
    let aimed = aimed(&probe_config, files).unwrap_or_default();
    let prelude = Prelude::new(config, Some(env))?;
    let (timeouts, scope) = (timeouts(config), config.scope());
    let (prelude, aimed, timeouts, scope) = (&prelude, &aimed, &timeouts, &scope);
    let mut probe = with_scratch(dev, |target| async move {
        let client = pg::connect(&prelude.target(target)).await?;
        prelude.load(&client).await?;
        for m in aimed {
            run_file(&client, m, None, timeouts).await.map_err(|e| {
                Error::failed(
                    format!("retargeted to a tenant's schema, {} does not run: {e}", m.file_name),
                    format!("tenant_schema = {template:?}: the files name the template schema in a way a tenant's cannot replace; write its name only as the schema of a qualified name"),
                )
            })?;
        }
        let rename = format!("ALTER SCHEMA {PROBE_SCHEMA} RENAME TO {template}");
        client.batch_execute(&rename).await.map_err(|e| Error::Other(pg::db_message(&e)))?;
        read(&client, scope).await
    })
    .await?;
    retarget_texts(&mut probe, PROBE_SCHEMA, template);
    probe.owners.clone_from(&original.owners);
    let differs = super::drift::drifted(&original, &probe)?;
    timing("tenant_proof", started);
    if differs.is_empty() {
        return Ok(());
    }
    let what: Vec<String> = differs.iter().map(|d| format!("{}: {}", d.object, d.changes.join("; "))).collect();
    Err(Error::failed(
        format!(
            "retargeted to a tenant's schema, the migrations build something other than they build in {template}; nothing was written:{}",
            super::listed(&what)
        ),
        format!("the template's name ({template}) must name only the schema: a literal equal to it, or a table, column or alias of that name used as a qualifier, is replaced in each tenant too. Rename it, or choose a template name used for nothing else"),
    ))
}

/// Apply the new files to a scratch copy of the base, check the result equals the
/// desired state, run them again and check nothing changes. With `downs`, each file's
/// way back is computed between the states before and after it, run (twice) and
/// compared with the state before, then the file is applied again: the way back of each
/// file, in order (`None` where the file had none computed).
#[allow(clippy::too_many_arguments)]
async fn prove(
    config: &Config,
    dev: &Target,
    history: &[LocalMigration],
    // The base as managed, and the whole live database (unmanaged schemas too) that the
    // scratch copy must reproduce for the files to run.
    (base, env): (&Catalog, &Catalog),
    desired: &Catalog,
    new: &[(LocalMigration, &files::FileDraft)],
    (from_history, downs, part): (bool, bool, Option<&plan::scope::ProofScope>),
    out: &mut dyn Write,
) -> Result<Vec<Option<WayBack>>, Error> {
    // With a part, the copy and the comparisons are all of that part.
    let restricted = part
        .map(|p| (plan::scope::restrict(env, p), plan::scope::restrict(base, p), plan::scope::restrict(desired, p)));
    let (copied, base, desired) = match &restricted {
        Some((e, b, d)) => (e, b, d),
        None => (env, base, desired),
    };
    let scope = config.scope();
    let t = timeouts(config);
    let prelude = Prelude::new(config, (!from_history).then_some(env))?;
    ensure_roles(config, dev, &prelude.roles).await?;
    let prelude = &prelude;
    let _progress = super::progress::spinner(&format!("proving {} file(s) on a scratch database", new.len()));
    let (warning, ways_back) = with_scratch(dev, |target| async move {
        let clients = pg::connect_for_load(&prelude.target(target)).await?;
        let client = &clients[0];
        // Its catalog is read once or twice per file: the queries are prepared once.
        let reader = &pg::introspect::Reader::new(client);
        let mut warning = None;
        let mut start = None;
        if from_history {
            prelude.load(client).await?;
            for m in history {
                run_file(client, m, None, &t).await?;
            }
        } else {
            let started = std::time::Instant::now();
            let copied = copy_part(config, &clients, prelude, copied, env).await;
            timing("proof_copy_live", started);
            if let Err(e) = copied {
                warning = Some(format!("the live schema could not be copied to the scratch database ({e})"));
            } else {
                let mut copy = read_with(reader, &scope).await?;
                // Owners differ between the live server and the scratch one by nature.
                copy.owners = base.owners.clone();
                let gaps = diff::diff(&copy, base);
                if !gaps.is_empty() {
                    let what: Vec<String> = gaps.iter().take(5).map(plan::describe).collect();
                    warning = Some(format!("the scratch copy differs from the live schema ({})", what.join("; ")));
                }
                start = Some(copy);
            }
        }
        // With an exact copy every failure is the migration's; with an imperfect one it
        // may be the copy's, so it is reported as a warning rather than refused.
        let checked = async {
            let started = std::time::Instant::now();
            let mut ways_back = Vec::with_capacity(new.len());
            // The state before the next file, while ways back are computed.
            let mut before = match (downs, start) {
                (false, _) => None,
                (true, Some(copy)) => Some(copy),
                (true, None) => Some(read_with(reader, &scope).await?),
            };
            let mut after = None;
            for (m, draft) in new {
                run_file(client, m, None, &t).await.map_err(|e| Error::ProofFailed(format!("{}: {e}", m.file_name)))?;
                if let Some(state) = before.take() {
                    let reached = read_with(reader, &scope).await?;
                    ways_back
                        .push(Some(way_back((client, reader), config, (&state, &reached, desired), (m, draft)).await?));
                    before = Some(reached);
                } else {
                    ways_back.push(None);
                }
            }
            if downs {
                after = before;
            }
            timing("proof_apply", started);
            let after = match after {
                Some(after) => after,
                None => read_with(reader, &scope).await?,
            };
            let left = plan::build(&after, desired, plan::Options::OFFLINE).map_err(|e| Error::Cycle(e.members))?;
            if !left.is_empty() {
                let what: Vec<String> = left.steps.iter().take(10).map(|s| s.description.clone()).collect();
                return Err(Error::ProofFailed(format!("after applying them, still to do: {}", what.join("; "))));
            }
            for (m, _) in new {
                run_file(client, m, None, &t)
                    .await
                    .map_err(|e| Error::ProofFailed(format!("running {} a second time failed: {e}", m.file_name)))?;
            }
            timing("proof_apply_twice", started);
            let again = read_with(reader, &scope).await?;
            let changed = diff::diff(&after, &again);
            if !changed.is_empty() {
                let what: Vec<String> = changed.iter().take(10).map(plan::describe).collect();
                return Err(Error::ProofFailed(format!("running them a second time changed: {}", what.join("; "))));
            }
            Ok(ways_back)
        }
        .await;
        match (checked, warning) {
            (Ok(w), warning) => Ok((warning, w)),
            (Err(e), None) => Err(e),
            (Err(e), Some(w)) => Ok((Some(format!("{w}; on that copy: {e}")), vec![None; new.len()])),
        }
    })
    .await?;
    if let Some(w) = warning {
        writeln!(out, "warning: proof on a scratch database was partial: {w}").map_err(io)?;
    }
    Ok(ways_back)
}

/// A file's way back: the down SQL as `files::render_down` writes it, and why it is not
/// proved if it is not.
#[derive(Clone, Debug)]
struct WayBack {
    sql: String,
    unproved: Option<String>,
}

/// A file's way back on the scratch database, which is in the state `after` the file
/// (`before` it ran): planned from one to the other (the file's renames undone as
/// renames, the files' own forms of definitions kept), then rehearsed in a transaction
/// that is rolled back: run twice, read and compared with `before`. The scratch database
/// is left as it was, so the proof of the files goes on undisturbed. An error only when
/// the scratch database failed.
async fn way_back(
    (client, reader): (&tokio_postgres::Client, &pg::introspect::Reader<'_>),
    config: &Config,
    (before, after, desired): (&Catalog, &Catalog, &Catalog),
    (file, draft): (&LocalMigration, &files::FileDraft),
) -> Result<WayBack, Error> {
    let scope = &config.scope();
    let mut target = before.clone();
    target.renames = draft.undo_renames.clone();
    borrow_written_forms(&mut target, desired);
    // Owners on the scratch database are its own; they count only where managed.
    if !config.manage_ownership {
        target.owners.clear();
    }
    let plan = match plan::build(after, &target, plan::Options::OFFLINE) {
        Ok(plan) => plan,
        Err(e) => {
            let why = format!("no order exists: {e}");
            return Ok(WayBack { sql: files::render_down(&Plan::default(), Some(&why)), unproved: Some(why) });
        }
    };
    let sql = files::render_down(&plan, None);
    let unproved = |why: String| WayBack { sql: files::render_down(&plan, Some(&why)), unproved: Some(why) };
    if files::is_no_transaction(&sql) {
        return Ok(unproved("it runs outside a transaction, so it could not be rehearsed and rolled back".into()));
    }
    let down = new_migration(&file.version, &format!("{}_down", file.name), sql.clone())?;
    let statements = pg::apply::runnable(&down)?;
    let db = |e: tokio_postgres::Error| Error::Other(format!("rehearsing a way back failed: {}", pg::db_message(&e)));
    client.batch_execute("BEGIN").await.map_err(db)?;
    let rehearsed = async {
        for pass in ["", " a second time"] {
            for st in &statements {
                if let Err(e) = client.batch_execute(&st.text).await {
                    return Ok(Err(format!("running it{pass} failed at line {}: {}", st.line, pg::db_message(&e))));
                }
            }
        }
        read_with(reader, scope).await.map(Ok)
    }
    .await;
    client.batch_execute("ROLLBACK").await.map_err(db)?;
    Ok(match rehearsed? {
        Err(why) => unproved(why),
        Ok(back) => {
            let differs = diff::diff(&back, before);
            if differs.is_empty() {
                WayBack { sql, unproved: None }
            } else {
                let what: Vec<String> = differs.iter().take(5).map(plan::describe).collect();
                unproved(format!("after it, still different from the state before: {}", what.join("; ")))
            }
        }
    })
}

/// The forms the schema files wrote, for the constraints and indexes of `target` (a
/// state a way back returns to) that `desired` has with the same definition: the
/// printed form of some does not create the same object again (`Constraint::source`),
/// and a way back that re-creates one must write it as the files did.
fn borrow_written_forms(target: &mut Catalog, desired: &Catalog) {
    use crate::catalog::ObjectId;
    let bare = |s: &str| s.trim_end_matches(" NOT VALID").to_string();
    let mut same = Vec::new();
    for (q, table) in &mut target.tables {
        let Some(wanted) = desired.tables.get(q) else { continue };
        for (name, c) in &mut table.constraints {
            let Some(w) = wanted.constraints.get(name) else { continue };
            let Some(source) = &w.source else { continue };
            if bare(&c.definition) == bare(&w.definition) {
                let not_valid = if c.definition.ends_with(" NOT VALID") { " NOT VALID" } else { "" };
                c.source = Some(format!("{}{not_valid}", bare(source)));
                same.push(ObjectId::Constraint(q.clone(), name.clone()));
            }
        }
    }
    for (q, index) in &mut target.indexes {
        if let Some(w) = desired.indexes.get(q).filter(|w| w.definition == index.definition && w.source.is_some()) {
            index.source = w.source.clone();
            same.push(ObjectId::Index(q.clone()));
        }
    }
    for id in same {
        if let Some(e) = desired.equivalents.get(&id) {
            target.equivalents.insert(id, e.clone());
        }
    }
}
