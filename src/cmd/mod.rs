//! One orchestration function per subcommand: the only place that chains I/O (files,
//! database) and the pure steps (diff, plan, render). Each writes to the writer it is
//! given and returns an exit code: 0 done or nothing to do, 2 changes/pending/findings.

pub mod apply;
pub mod check;
pub mod drift;
pub mod dump;
pub mod generate;
pub mod import;
pub mod init;
pub mod plan;
pub mod repair;
pub mod status;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::error::Error;
use crate::pg::{self, embedded, load, scratch::Scratch, Target};
use std::io::Write;

pub const EXIT_OK: i32 = 0;
pub const EXIT_CHANGES: i32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Name of the database the embedded cluster serves as the "live" one.
pub const EMBEDDED_DB: &str = "schemaspec_dev";

pub fn embedded_home(config: &Config) -> std::path::PathBuf {
    config.root.join(".schemaspec").join("pg")
}

/// The database to migrate: the configured URL, or the embedded cluster's database.
pub async fn live_target(config: &Config) -> Result<Target, Error> {
    if let Some(url) = &config.database_url {
        return Target::parse(url);
    }
    let cluster = embedded::ensure(&embedded_home(config))?;
    let admin = Target::parse(&cluster.url("postgres"))?;
    let client = pg::connect(&admin).await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&EMBEDDED_DB])
        .await
        .map_err(|e| Error::Other(pg::db_message(&e)))?
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE DATABASE {EMBEDDED_DB}"))
            .await
            .map_err(|e| Error::Other(pg::db_message(&e)))?;
    }
    let mut t = Target::parse(&cluster.url(EMBEDDED_DB))?;
    t.display = format!("embedded PostgreSQL ({})", cluster.data.display());
    Ok(t)
}

/// Where scratch databases are created: `--dev-url`; else the embedded cluster when
/// the server binaries are installed; else the live server itself.
pub async fn dev_target(config: &Config) -> Result<Target, Error> {
    if let Some(url) = &config.dev_url {
        return Target::parse(url);
    }
    match embedded::ensure(&embedded_home(config)) {
        Ok(cluster) => Target::parse(&cluster.url("postgres")),
        Err(Error::NoServerBinaries) if config.database_url.is_some() => {
            Ok(Target::parse(config.database_url.as_deref().unwrap_or_default())?)
        }
        Err(e) => Err(e),
    }
}

/// `n` fresh versions after every one in `taken` (see `history::next_versions`).
pub fn new_versions(taken: &std::collections::BTreeSet<String>, n: usize) -> Result<Vec<String>, Error> {
    crate::history::next_versions(chrono::Utc::now().naive_utc(), taken, n).ok_or_else(|| {
        Error::failed(
            format!(
                "no 14-digit version is left after {} for {n} new file(s)",
                taken.iter().next_back().map_or("now", String::as_str)
            ),
            "a version at the end of time blocks every newer one: give that file a version like the others (`schemaspec repair --renumber` renumbers pending files)",
        )
    })
}

/// A new migration file from a version, a name and its content.
pub fn new_migration(version: &str, slug: &str, content: String) -> Result<crate::history::LocalMigration, Error> {
    let file = format!("{version}_{slug}.sql");
    crate::history::LocalMigration::new(&file, content)
        .ok_or_else(|| Error::Other(format!("{file} is not a migration file name")))
}

/// Lock the migrations directory for a command that writes into it, saying so when
/// another run holds it.
pub fn migrations_lock(config: &Config, out: &mut dyn Write) -> Result<crate::migrations::DirLock, Error> {
    let dir = config.migrations_dir.clone();
    crate::migrations::lock(&dir, &mut || {
        let _ = writeln!(out, "waiting for another schemaspec run writing to {} to finish...", dir.display());
    })
}

/// Run `f` against a fresh scratch database, dropping it afterwards whatever happens.
pub async fn with_scratch<T, F, Fut>(dev: &Target, f: F) -> Result<T, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let scratch = Scratch::create(dev).await?;
    let result = f(scratch.target.clone()).await;
    let dropping = std::time::Instant::now();
    scratch.drop().await;
    timing("scratch_dropped", dropping);
    result
}

/// Load the schema files into a scratch database and read its catalog.
///
/// Objects the files use without defining them (a schema, type or extension that the
/// platform or another tool manages) are taken from `environment` (the live database)
/// when that is what stops a statement; the returned notes name them.
pub async fn desired_catalog(
    config: &Config,
    dev: &Target,
    environment: Option<&Catalog>,
) -> Result<(Catalog, Vec<String>), Error> {
    let sources = crate::migrations::read_schema(&config.schema_dirs, &config.root)?;
    let scope = config.scope();
    let started = std::time::Instant::now();
    let cache_key = match std::env::var_os("SCHEMASPEC_NO_CACHE") {
        Some(_) => None,
        None => {
            let facts = server_facts(dev).await?;
            let settings = format!(
                "{:?} {:?} {:?} {}",
                scope.exclude, scope.only, scope.unmanaged_tables, config.manage_ownership
            );
            Some(crate::cache::key(&sources, &facts, &settings))
        }
    };
    if let Some(hit) = cache_key.as_deref().and_then(|k| crate::cache::load(&config.root, k)) {
        timing("desired_from_cache", started);
        return Ok((hit, Vec::new()));
    }
    let manage_ownership = config.manage_ownership;
    let mut taken: std::collections::BTreeSet<crate::catalog::ObjectId> = Default::default();
    let taken_ref = &mut taken;
    // What the files create themselves is never taken from elsewhere.
    let texts: Vec<String> = sources
        .iter()
        .flat_map(|s| crate::sql::split::split(&s.text).statements.into_iter().map(|st| st.text))
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let defined = crate::sql::order::defined_names(&texts);
    let texts = &texts;
    let catalog = with_scratch(dev, move |target| async move {
        let clients = pg::connect_for_load(&target).await?;
        let client = &clients[0];
        let mut provide = |messages: &[String]| -> Vec<String> {
            let Some(env) = environment else { return Vec::new() };
            let wanted: std::collections::BTreeSet<_> = env
                .objects_named_in(messages)
                .into_iter()
                .filter(|id| !taken_ref.contains(id) && !defined.contains(id.name()))
                .collect();
            if wanted.is_empty() {
                return Vec::new();
            }
            taken_ref.extend(wanted.iter().cloned());
            match crate::plan::build(&Catalog::default(), &env.subset(&wanted), crate::plan::Options::OFFLINE) {
                Ok(plan) => plan.steps.iter().flat_map(|s| s.statements.iter().map(|st| st.sql.clone())).collect(),
                Err(_) => Vec::new(),
            }
        };
        timing("scratch_created", started);
        load::load_with(&clients, &sources, &mut provide).await?;
        drop(sources); // not needed again, and the catalog read is when memory peaks
        timing("scratch_and_load", started);
        let introspecting = std::time::Instant::now();
        pg::introspect::analyze_scratch(client).await?;
        let equivalents = pg::introspect::normalized_definitions(client)
            .await
            .map_err(|e| Error::Other(format!("normalizing definitions failed: {}", pg::db_message(&e))))?;
        let mut catalog = read(client, &scope).await?;
        catalog.equivalents = equivalents;
        // Owners count only when managed, and only where the files name one: what the
        // loading role owns just because it ran the files says nothing.
        if manage_ownership {
            let loader = catalog.current_user.clone();
            catalog.owners.retain(|_, o| *o != loader);
        } else {
            catalog.owners.clear();
        }
        pg::introspect::source_forms(client, &mut catalog, texts)
            .await
            .map_err(|e| Error::Other(format!("checking source forms failed: {}", pg::db_message(&e))))?;
        timing("introspect_desired", introspecting);
        Ok(catalog)
    })
    .await?;
    if let Some(k) = &cache_key {
        // What was taken from the live database is not the files' alone: not cached.
        if taken.is_empty() {
            crate::cache::store(&config.root, k, &catalog);
        }
    }
    let notes = taken
        .iter()
        .map(|id| format!("the schema files use {id} without creating it; keeping it as the database has it"))
        .collect();
    Ok((catalog, notes))
}

/// What the schema files may use without defining: the live database seen whole (the
/// user's schema exclusions aside, only the tracking schema left out). When no schemas
/// are excluded, that is the live catalog already read (borrowed: a copy of a large
/// catalog is tens of megabytes).
pub async fn environment<'a>(
    config: &Config,
    client: &tokio_postgres::Client,
    live: &'a Catalog,
) -> Result<std::borrow::Cow<'a, Catalog>, Error> {
    if config.schemas.is_empty() && config.exclude_schemas.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(live));
    }
    let wide = pg::introspect::Scope {
        exclude: vec![config.tracking_schema.clone()],
        only: None,
        unmanaged_tables: config.unmanaged_tables.clone(),
    };
    read(client, &wide).await.map(std::borrow::Cow::Owned)
}

/// Create `catalog`'s objects in the (empty) database behind `clients` (connections to
/// it, loaded over all of them): a copy of the live schema for proofs, rendered by the
/// engine itself. The catalog's statistics are refreshed for the reads that follow.
pub async fn copy_schema(clients: &[tokio_postgres::Client], catalog: &Catalog) -> Result<(), Error> {
    let plan = crate::plan::build(&Catalog::default(), catalog, crate::plan::Options::OFFLINE)
        .map_err(|e| Error::Cycle(e.members))?;
    // Plain forms, as `dump` writes them: the idempotency guards (a DO block per
    // statement) are not needed in an empty database, and a DO block runs alone, so
    // with them the copy could not load in parallel (10.5 s instead of ~1.5 s at 1,000
    // tables).
    let sql: Vec<String> =
        plan.steps.iter().flat_map(|s| s.statements.iter().map(|st| crate::sql::plain(&st.sql))).collect();
    let source = load::Source { name: "<copy of the live schema>".into(), text: sql.join("\n") };
    load::load_with(clients, std::slice::from_ref(&source), &mut |_| Vec::new()).await?;
    pg::introspect::analyze_scratch(&clients[0]).await
}

/// The catalog the migration files produce when run in order on an empty scratch
/// database: what the history says the database should be.
pub async fn replay(config: &Config, dev: &Target, files: &[crate::history::LocalMigration]) -> Result<Catalog, Error> {
    let timeouts = timeouts(config);
    let scope = config.scope();
    with_scratch(dev, |target| async move {
        let client = pg::connect(&target).await?;
        for m in files {
            pg::apply::run_file(&client, m, None, &timeouts).await?;
        }
        pg::introspect::analyze_scratch(&client).await?;
        read(&client, &scope).await
    })
    .await
}

/// `lock_timeout` and `statement_timeout` for migration statements.
pub fn timeouts(config: &Config) -> pg::apply::Timeouts {
    pg::apply::Timeouts {
        lock_timeout: config.lock_timeout.clone(),
        statement_timeout: config.statement_timeout.clone(),
        lock_retries: config.lock_retries,
    }
}

/// The tracking table named in the configuration.
pub fn tracking(config: &Config) -> pg::apply::Tracking {
    pg::apply::Tracking { schema: config.tracking_schema.clone(), table: config.tracking_table.clone() }
}

/// What the dev server contributes to a desired catalog besides the files.
async fn server_facts(dev: &Target) -> Result<String, Error> {
    let client = pg::connect(dev).await?;
    let row = client
        .query_one(
            "SELECT pg_catalog.concat_ws(',', pg_catalog.current_setting('server_version_num'), current_user, \
             d.datcollate, d.datctype, pg_catalog.pg_encoding_to_char(d.encoding), \
             pg_catalog.current_setting('default_table_access_method'), \
             pg_catalog.current_setting('default_toast_compression'), \
             (SELECT pg_catalog.string_agg(e.name || '=' || COALESCE(e.default_version, ''), ',' ORDER BY e.name) \
              FROM pg_catalog.pg_available_extensions e)) \
             FROM pg_catalog.pg_database d WHERE d.datname = 'template0'",
            &[],
        )
        .await
        .map_err(|e| Error::Other(pg::db_message(&e)))?;
    Ok(row.get(0))
}

/// Stage timings for the benchmark (`SCHEMASPEC_LOG=schemaspec::timing=info`), in
/// milliseconds since `since`.
pub fn timing(stage: &str, since: std::time::Instant) {
    // Peak resident memory so far (Linux), to see which stage sets the peak.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    let (rss_mb, peak_mb) = (mb("VmRSS:"), mb("VmHWM:"));
    tracing::info!(target: "schemaspec::timing", stage, ms = since.elapsed().as_millis() as u64, rss_mb, peak_mb);
}

pub async fn read(client: &tokio_postgres::Client, scope: &pg::introspect::Scope) -> Result<Catalog, Error> {
    pg::introspect::read_catalog(client, scope)
        .await
        .map_err(|e| Error::Other(format!("reading the catalog failed: {}", pg::db_message(&e))))
}

pub fn io(e: std::io::Error) -> Error {
    Error::Other(format!("writing output: {e}"))
}

pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| Error::Other(e.to_string()))?;
    writeln!(out).map_err(io)
}
