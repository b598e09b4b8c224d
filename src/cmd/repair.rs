//! `schemaspec repair`: put the history right with one command, each repair in one
//! transaction under the deploy lock, logged in the tracking schema, old rows moved to
//! the archive table (never deleted).
//!
//! - `--mark-applied V` records a file as applied only after proving its effects are
//!   in the live catalog already: it runs on a scratch copy of the live schema and
//!   nothing may change ("already exists" errors count as proof for that statement).
//! - `--mark-unapplied V` takes the row out, so the next `apply` runs the file again.
//! - `--forget V` takes out a row that has no file, after checking the live catalog is
//!   what the remaining files produce (nothing in it depends on the forgotten one).
//! - `--renumber` gives duplicate and out-of-order pending files fresh versions.

use super::*;
use crate::diff;
use crate::history::{self, LocalMigration, MigrationState};
use crate::migrations;
use tokio_postgres::error::SqlState;

pub struct Args {
    pub mark_applied: Vec<String>,
    pub mark_unapplied: Vec<String>,
    pub forget: Vec<String>,
    pub renumber: bool,
    pub mend_tracking_table: bool,
    pub restore: Vec<String>,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let actions = args.mark_applied.len()
        + args.mark_unapplied.len()
        + args.forget.len()
        + usize::from(args.renumber)
        + usize::from(args.mend_tracking_table)
        + args.restore.len();
    if actions == 0 {
        return Err(Error::Other(
            "nothing to repair: name one of --mark-applied V, --mark-unapplied V, --forget V, --renumber, --mend-tracking-table, --restore V"
                .into(),
        ));
    }
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let tracking = tracking(config);
    tracking.lock(&client, &mut || {}).await?;
    if let Err(e) = tracking.ensure(&client).await {
        tracking.unlock(&client).await;
        return Err(e);
    }
    let result = async {
        if args.mend_tracking_table {
            mend_tracking_table(config, &client, out).await?;
        }
        if args.renumber {
            renumber(config, &client, out).await?;
        }
        for v in &args.mark_applied {
            mark_applied(config, &client, v, out).await?;
        }
        for v in &args.mark_unapplied {
            mark_unapplied(config, &client, v, out).await?;
        }
        for v in &args.forget {
            forget(config, &client, v, out).await?;
        }
        for v in &args.restore {
            restore(config, &client, v, out).await?;
        }
        Ok(EXIT_OK)
    }
    .await;
    tracking.unlock(&client).await;
    result
}

/// Files the forward-reference rule flags.
fn forward_references(files: &[LocalMigration]) -> Vec<String> {
    let none = std::collections::BTreeSet::new();
    let input = crate::lint::Input {
        dir: "",
        migrations: files,
        strays: &[],
        sum: None,
        schema_files: &[],
        applied: None,
        allowed_hazards: &none,
    };
    crate::lint::check(&input)
        .into_iter()
        .filter(|f| f.rule == "forward-reference")
        .map(|f| f.file.trim_start_matches('/').to_string())
        .collect()
}

/// Apply a repair to the history in one transaction, logged.
async fn change_history(
    config: &Config,
    client: &tokio_postgres::Client,
    statements: &[String],
    action: &str,
    version: Option<&str>,
    detail: &str,
) -> Result<(), Error> {
    tracking(config)
        .change_history(client, statements, action, version, detail)
        .await
        .map_err(|e| Error::Other(format!("the repair was rolled back, nothing changed: {e}")))
}

fn one_file<'a>(dir: &'a migrations::Directory, version: &str) -> Result<&'a LocalMigration, Error> {
    let files: Vec<&LocalMigration> = dir.migrations.iter().filter(|m| m.version == version).collect();
    match files[..] {
        [one] => Ok(one),
        [] => Err(Error::failed(
            format!("no migration file has version {version} in {}", dir.path.display()),
            "`schemaspec status` lists the versions of the files and of the tracking table",
        )),
        _ => Err(Error::Other(format!(
            "{} files have version {version}; run `schemaspec repair --renumber` first",
            files.len()
        ))),
    }
}

/// Errors that mean "what this statement creates is there already".
fn already_there(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        [
            SqlState::DUPLICATE_TABLE,
            SqlState::DUPLICATE_OBJECT,
            SqlState::DUPLICATE_COLUMN,
            SqlState::DUPLICATE_SCHEMA,
            SqlState::DUPLICATE_FUNCTION,
            SqlState::UNIQUE_VIOLATION,
        ]
        .contains(c)
    })
}

async fn mark_applied(
    config: &Config,
    client: &tokio_postgres::Client,
    version: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let dir = super::read_migrations(config)?;
    let file = one_file(&dir, version)?.clone();
    let live = read(client, &config.scope()).await?;
    let env = environment(config, client, &live).await?;
    let dev = dev_target(config).await?;
    let scope = config.scope();
    let proof_file = file.clone();
    let prelude = Prelude::new(config, Some(&env))?;
    ensure_roles(config, &dev, &prelude.roles).await?;
    let prelude = &prelude;
    let skipped = with_scratch(&dev, |target| async move {
        let clients = pg::connect_for_load(&prelude.target(target)).await?;
        let scratch = &clients[0];
        copy_live(config, &clients, prelude, &env).await.map_err(|e| {
            Error::Other(format!("cannot prove {}: the live schema could not be copied to a scratch database ({e})", proof_file.file_name))
        })?;
        let before = read(scratch, &scope).await?;
        let mut skipped = Vec::new();
        for st in crate::sqltext::split::split(&proof_file.content).statements {
            if let Err(e) = scratch.batch_execute(&st.text).await {
                if already_there(&e) {
                    skipped.push(format!("line {}: {}", st.line, pg::db_message(&e)));
                } else {
                    return Err(Error::Other(format!(
                        "{} is not applied: on a copy of the live schema it fails at line {} ({}); run `schemaspec apply` instead",
                        proof_file.file_name,
                        st.line,
                        pg::db_message(&e)
                    )));
                }
            }
        }
        let after = read(scratch, &scope).await?;
        let changed = diff::diff(&before, &after);
        if !changed.is_empty() {
            let what: Vec<String> = changed.iter().take(10).map(crate::plan::describe).collect();
            return Err(Error::Other(format!(
                "{} is not (fully) applied: running it on a copy of the live schema would still {}; run `schemaspec apply` to apply it",
                proof_file.file_name,
                what.join("; ")
            )));
        }
        Ok(skipped)
    })
    .await?;
    let t = tracking(config);
    let statements = [t.archive_row_sql(version, "replaced by repair --mark-applied"), t.record_sql(&file)];
    let detail = format!("{}: proved on a copy of the live schema", file.file_name);
    change_history(config, client, &statements, "mark-applied", Some(version), &detail).await?;
    writeln!(out, "marked {} as applied: running it on a copy of the live schema changes nothing", file.file_name)
        .map_err(io)?;
    for s in skipped {
        writeln!(out, "  already there: {s}").map_err(io)?;
    }
    Ok(())
}

/// Mend a damaged tracking table in one transaction: add missing columns, convert
/// columns of another type, archive rows without a version and identical copies of a
/// row, and restore the unique key on `version`. What needs a person's judgement (a row
/// with a NULL checksum, rows that disagree) is named with the command for it.
async fn mend_tracking_table(
    config: &Config,
    client: &tokio_postgres::Client,
    out: &mut dyn Write,
) -> Result<(), Error> {
    use crate::pg::apply::DamageKind;
    let t = tracking(config);
    let Some(shape) = t.structure(client).await? else {
        writeln!(out, "{} does not exist yet; `schemaspec apply` creates it", t.qualified()).map_err(io)?;
        return Ok(());
    };
    let table = t.qualified();
    let mut prelude = Vec::new();
    let mut add_key = false;
    for damage in &shape {
        match &damage.kind {
            DamageKind::MissingColumn("version") => {
                return Err(Error::failed(
                    format!("{table} has no version column: its rows name no migration; nothing was changed"),
                    "rename the table out of the way (`schemaspec import --from table` can adopt it), and let `schemaspec apply` create a new one",
                ));
            }
            DamageKind::MissingColumn(column) => {
                let ty = if *column == "success" { "boolean" } else { "text" };
                prelude.push(format!("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {ty};"));
            }
            DamageKind::WrongType { column, want } => {
                prelude.push(format!("ALTER TABLE {table} ALTER COLUMN {column} TYPE {want} USING {column}::{want};"));
            }
            DamageKind::NoUniqueVersion => add_key = true,
            // A person decides these (the messages name how), or the rows below do.
            DamageKind::NotATable
            | DamageKind::ForeignNotNull(_)
            | DamageKind::NullVersion(_)
            | DamageKind::NullField { .. }
            | DamageKind::Duplicate(_)
            | DamageKind::Conflicting(_) => {
                return Err(Error::failed(
                    format!("{table}: {}; nothing was changed", damage.problem),
                    damage.hint.clone(),
                ))
            }
        }
    }
    // The rows can be read once their columns are right: mend the columns first, then
    // come back for the rows.
    let rows = if prelude.is_empty() { t.rows(client).await? } else { Vec::new() };
    let mut null_versions = false;
    let mut copies = Vec::new();
    for damage in pg::apply::damaged_rows(&rows) {
        match damage.kind {
            DamageKind::NullVersion(_) => null_versions = true,
            DamageKind::Duplicate(ctid) => copies.push(ctid),
            DamageKind::NotATable
            | DamageKind::MissingColumn(_)
            | DamageKind::WrongType { .. }
            | DamageKind::ForeignNotNull(_)
            | DamageKind::NoUniqueVersion
            | DamageKind::NullField { .. }
            | DamageKind::Conflicting(_) => {
                return Err(Error::failed(format!("{table}: {}; nothing was changed", damage.problem), damage.hint))
            }
        }
    }
    let mut statements = Vec::new();
    let mut taken = Vec::new();
    if null_versions {
        statements.push(t.archive_where_sql("version IS NULL", "repair --mend-tracking-table: no version"));
        taken.push("rows without a version".to_string());
    }
    if !copies.is_empty() {
        let ctids: Vec<String> = copies.iter().map(|c| format!("{}::tid", crate::ident::literal(c))).collect();
        statements.push(
            t.archive_where_sql(&format!("ctid IN ({})", ctids.join(", ")), "repair --mend-tracking-table: duplicate"),
        );
        taken.push(format!("{} duplicate row(s)", copies.len()));
    }
    if add_key && prelude.is_empty() {
        statements.push(format!("ALTER TABLE {table} ADD PRIMARY KEY (version);"));
    }
    if prelude.is_empty() && statements.is_empty() {
        writeln!(out, "{table} is sound: nothing to mend").map_err(io)?;
        return Ok(());
    }
    let detail = format!("{} statement(s) {}", prelude.len() + statements.len(), taken.join(", "));
    t.change_history_after(client, &prelude, &statements, "mend-tracking-table", None, detail.trim())
        .await
        .map_err(|e| Error::Other(format!("the repair was rolled back, nothing changed: {e}")))?;
    for s in prelude.iter().chain(&statements) {
        writeln!(out, "  {}", s.lines().next().unwrap_or(s)).map_err(io)?;
    }
    writeln!(out, "mended {table} (rows taken out are in {})", t.archive()).map_err(io)?;
    if !prelude.is_empty() {
        return Box::pin(mend_tracking_table(config, client, out)).await;
    }
    Ok(())
}

/// Write back the file of an applied version that is missing locally (pushed from
/// another clone), from the text the tracking table recorded when it was applied, after
/// checking that text against the recorded checksum.
async fn restore(
    config: &Config,
    client: &tokio_postgres::Client,
    version: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let _lock = migrations_lock(config, out)?;
    let dir = super::read_migrations(config)?;
    if let Some(m) = dir.migrations.iter().find(|m| m.version == version) {
        return Err(Error::Other(format!("version {version} has a file already: {}; nothing to restore", m.file_name)));
    }
    let t = tracking(config);
    let Some(crate::pg::apply::Recorded { name, checksum, content, .. }) =
        t.recorded(client, Some(version)).await?.remove(version)
    else {
        return Err(Error::failed(
            format!("version {version} is not in {}; nothing to restore", t.qualified()),
            "`schemaspec status` lists the versions of the tracking table",
        ));
    };
    let Some(content) = content else {
        return Err(Error::failed(
            format!("{} kept no text for {version} ({name}): it was recorded before schemaspec kept the text of applied files, or by another tool", t.qualified()),
            format!("copy the file from the clone that has it; or, if nothing in the database depends on it any more, `schemaspec repair --forget {version}`"),
        ));
    };
    let name = if name.is_empty() { "restored".to_string() } else { crate::plan::files::slug(&name) };
    let m = new_migration(version, &name, content)?;
    if !m.matches(&checksum) {
        return Err(Error::failed(
            format!(
                "the text {} recorded for {version} does not hash to its recorded checksum; not written",
                t.qualified()
            ),
            "the row was edited by hand: copy the file from the clone that has it",
        ));
    }
    let written = migrations::write(&dir, std::slice::from_ref(&m))?;
    let detail = format!("{}: written back from the recorded text", m.file_name);
    if let Err(e) = change_history(config, client, &[], "restore", Some(version), &detail).await {
        migrations::remove(&written);
        migrations::rehash(&config.migrations_dir)?;
        return Err(e);
    }
    writeln!(out, "restored {} from the text recorded when it was applied (checksum verified)", m.file_name)
        .map_err(io)?;
    Ok(())
}

async fn mark_unapplied(
    config: &Config,
    client: &tokio_postgres::Client,
    version: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let t = tracking(config);
    // Read leniently: this is how a damaged row (NULLs, duplicates) is taken out.
    let rows = t.rows(client).await?;
    if !rows.iter().any(|r| r.version.as_deref() == Some(version)) {
        return Err(Error::Other(format!("version {version} is not in {}; nothing to mark unapplied", t.qualified())));
    }
    let statements = [t.archive_row_sql(version, "repair --mark-unapplied")];
    let detail = "row moved to the archive; the next apply runs the file";
    change_history(config, client, &statements, "mark-unapplied", Some(version), detail).await?;
    writeln!(out, "marked {version} as not applied (its row is in {}); `schemaspec apply` will run it", t.archive())
        .map_err(io)?;
    Ok(())
}

async fn forget(
    config: &Config,
    client: &tokio_postgres::Client,
    version: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let t = tracking(config);
    let dir = super::read_migrations(config)?;
    if dir.migrations.iter().any(|m| m.version == version) {
        return Err(Error::Other(format!(
            "version {version} has a file in {}; `--forget` is for rows without one (use `--mark-unapplied {version}`)",
            dir.path.display()
        )));
    }
    let applied = t.applied(client).await?;
    if !applied.iter().any(|a| a.version == version) {
        return Err(Error::Other(format!("version {version} is not in {}; nothing to forget", t.qualified())));
    }
    // The live catalog must be what the remaining applied files produce (the row to
    // forget has no file, so the replay leaves it out by itself).
    let report = super::drift::compare_with(config, client, "", &dir, &applied, false, None).await?;
    if !report.drifted.is_empty() {
        let what: Vec<&str> =
            report.drifted.iter().flat_map(|d| d.changes.iter().map(String::as_str)).take(10).collect();
        return Err(Error::Other(format!(
            "cannot forget {version}: the live database is not what the other applied files produce (to match them it would take: {}); the difference may be {version}'s effects. Restore its file instead, or run `schemaspec baseline` to start the history from the live schema",
            what.join("; ")
        )));
    }
    let statements = [t.archive_row_sql(version, "repair --forget")];
    let detail = "row without a file moved to the archive; the catalog does not depend on it";
    change_history(config, client, &statements, "forget", Some(version), detail).await?;
    writeln!(
        out,
        "forgot {version}: the live catalog is exactly what the remaining files produce (row kept in {})",
        t.archive()
    )
    .map_err(io)?;
    Ok(())
}

async fn renumber(config: &Config, client: &tokio_postgres::Client, out: &mut dyn Write) -> Result<(), Error> {
    let _lock = migrations_lock(config, out)?;
    let dir = super::read_migrations(config)?;
    let t = tracking(config);
    let applied = t.applied(client).await?;
    let mut renames: Vec<(String, String)> = Vec::new();
    // Of files sharing a version, the one the database applied (by checksum, then by
    // name) keeps it; without one, the first by file name does.
    let mut to_move: Vec<&LocalMigration> = Vec::new();
    for v in dir.duplicate_versions() {
        let files: Vec<&LocalMigration> = dir.migrations.iter().filter(|m| m.version == v).collect();
        let row = applied.iter().find(|a| a.version == v);
        let keeper = row
            .and_then(|a| {
                files
                    .iter()
                    .position(|f| f.matches(&a.checksum))
                    .or_else(|| files.iter().position(|f| f.name == a.name))
            })
            .unwrap_or(0);
        to_move.extend(files.iter().enumerate().filter(|(i, _)| *i != keeper).map(|(_, f)| *f));
    }
    let unique: Vec<LocalMigration> = {
        let moving: Vec<&str> = to_move.iter().map(|m| m.file_name.as_str()).collect();
        dir.migrations.iter().filter(|m| !moving.contains(&m.file_name.as_str())).cloned().collect()
    };
    for s in history::reconcile(&unique, &applied) {
        if s.state == MigrationState::OutOfOrder {
            to_move.extend(
                unique
                    .iter()
                    .filter(|m| m.version == s.version)
                    .map(|m| dir.migrations.iter().find(|d| d.file_name == m.file_name).expect("from dir")),
            );
        }
    }
    // Pending files that use what a later file creates go after it (and after every
    // other moved file).
    let status = history::reconcile(&unique, &applied);
    let pending = |m: &LocalMigration| {
        status
            .iter()
            .any(|s| s.version == m.version && matches!(s.state, MigrationState::Pending | MigrationState::OutOfOrder))
    };
    let mut forward: Vec<&LocalMigration> = Vec::new();
    for f in forward_references(&unique) {
        if let Some(m) = dir.migrations.iter().find(|m| m.file_name == f && pending(m)) {
            forward.push(m);
        }
    }
    to_move.sort_by(|a, b| (&a.version, &a.file_name).cmp(&(&b.version, &b.file_name)));
    to_move.retain(|m| !forward.iter().any(|f| f.file_name == m.file_name));
    to_move.extend(forward);
    let mut seen = std::collections::BTreeSet::new();
    to_move.retain(|m| seen.insert(m.file_name.clone()));
    if to_move.is_empty() {
        writeln!(out, "nothing to renumber: versions are unique and no pending file is older than the applied ones")
            .map_err(io)?;
        return Ok(());
    }
    let mut taken = dir.versions();
    taken.extend(applied.iter().map(|a| a.version.clone()));
    let versions = new_versions(&taken, to_move.len())?;
    for (m, v) in to_move.iter().zip(&versions) {
        renames.push((m.file_name.clone(), format!("{v}_{}.sql", m.name)));
    }
    migrations::rename_all(&dir.path, &renames)?;
    let detail: Vec<String> = renames.iter().map(|(a, b)| format!("{a} -> {b}")).collect();
    change_history(config, client, &[], "renumber", None, &detail.join("; ")).await?;
    for (a, b) in &renames {
        writeln!(out, "renamed {a} -> {b}").map_err(io)?;
    }
    writeln!(out, "rewrote {}/{}", config.migrations_dir.display(), history::SUM_FILE).map_err(io)?;
    Ok(())
}
