//! One orchestration function per subcommand: the only place that chains I/O (files,
//! database) and the pure steps (diff, plan, render). Each writes to the writer it is
//! given and returns an exit code: 0 done or nothing to do, 2 changes/pending/findings.

pub mod apply;
pub mod check;
pub mod drift;
pub mod dump;
pub mod fleet;
pub mod generate;
pub mod import;
pub mod init;
pub mod new;
pub mod plan;
pub mod progress;
pub mod repair;
pub mod revert;
pub mod show;
pub mod status;
pub mod style;

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

/// The embedded PostgreSQL lives in a project's `.schemaspec` folder: outside a project
/// it is never started (a second cluster in a subfolder, with an empty history, would
/// read as a fresh database).
pub fn require_project(config: &Config) -> Result<(), Error> {
    if config.in_project {
        return Ok(());
    }
    Err(Error::failed(
        format!(
            "no {} in {} or any folder above it, and no database given: schemaspec starts its embedded PostgreSQL only inside a project",
            crate::config::CONFIG_FILE,
            config.root.display()
        ),
        "run this in the project's folder (or pass -C DIR), run `schemaspec init` to make this folder a project, or give --database-url and --dev-url",
    ))
}

/// The database to migrate: the configured URL, or the embedded cluster's database.
pub async fn live_target(config: &Config) -> Result<Target, Error> {
    if let Some(target) = &config.live {
        return Ok(target.clone());
    }
    if let Some(url) = &config.database_url {
        return Target::parse(url);
    }
    require_project(config)?;
    let cluster = embedded::ensure(&embedded_home(config))?;
    let admin = Target::parse(&cluster.url("postgres"))?;
    let client = pg::connect(&admin).await?;
    // (exists, the platform it was given: a comment on the database)
    let row = client
        .query_opt(
            "SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database WHERE datname = $1",
            &[&EMBEDDED_DB],
        )
        .await
        .map_err(|e| Error::Other(pg::db_message(&e)))?;
    if row.is_none() {
        client
            .batch_execute(&format!("CREATE DATABASE {EMBEDDED_DB}"))
            .await
            .map_err(|e| Error::Other(pg::db_message(&e)))?;
    }
    let given: Option<String> = row.and_then(|r| r.try_get(0).ok().flatten());
    let mut t = Target::parse(&cluster.url(EMBEDDED_DB))?;
    // The embedded database stands for one on the platform: it gets the platform's
    // objects, defaults and search path once (again when the platform changes).
    let platform = format!("schemaspec platform {}", config.platform.fingerprint());
    if !config.platform.is_empty() && given.as_deref() != Some(platform.as_str()) {
        let prelude = Prelude::new(config, None)?;
        let admin = Target::parse(&cluster.url("postgres"))?;
        ensure_roles(config, &admin, &prelude.roles).await?;
        let db = pg::connect(&t).await?;
        prelude.load(&db).await?;
        let mut sql = format!("COMMENT ON DATABASE {EMBEDDED_DB} IS {};", crate::ident::literal(&platform));
        if let Some(sp) = &prelude.search_path {
            sql += &format!("ALTER DATABASE {EMBEDDED_DB} SET search_path TO {sp};");
        }
        db.batch_execute(&sql).await.map_err(|e| Error::Other(pg::db_message(&e)))?;
    }
    t.display = format!("embedded PostgreSQL ({})", cluster.data.display());
    Ok(t)
}

/// Where scratch databases are created: `--dev-url`; else the embedded cluster when
/// the server binaries are installed; else the live server itself.
pub async fn dev_target(config: &Config) -> Result<Target, Error> {
    if let Some(url) = &config.dev_url {
        return Target::parse(url);
    }
    if !config.in_project {
        // The live server hosts the scratch databases rather than a cluster started here.
        if let Some(url) = &config.database_url {
            return Target::parse(url);
        }
        require_project(config)?;
    }
    match embedded::ensure(&embedded_home(config)) {
        Ok(cluster) => pg::scratch::admin_of(&cluster).await,
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

/// What every scratch database starts with, for the platform the project runs on: its
/// roles on the cluster, its objects (a copy of the live database's platform schemas, or
/// the preset's own SQL where no live database has them), its defaults in the user's
/// schemas, and its search path. Empty without a platform.
#[derive(Clone, Debug, Default)]
pub struct Prelude {
    /// The search path migrations run with on the platform.
    pub search_path: Option<String>,
    /// Statements creating the platform's objects. One that fails is skipped (an
    /// extension the dev server lacks): what then needs it says so itself.
    pub objects: Vec<String>,
    /// The platform's defaults in the user's schemas (grants on `public`, default
    /// privileges): part of every desired state.
    pub defaults: Option<String>,
    /// Roles the scratch cluster must have.
    pub roles: Vec<String>,
}

impl Prelude {
    /// The prelude for `config`, taking the platform's objects from `live` (the live
    /// database's whole catalog) when it has them.
    pub fn new(config: &Config, live: Option<&Catalog>) -> Result<Prelude, Error> {
        let p = &config.platform;
        let mut roles: std::collections::BTreeSet<String> = config.external_roles().into_iter().collect();
        if let Some(env) = live {
            roles.extend(env.roles_mentioned());
        }
        let copied = live.map(|env| env.within_schemas(&p.schemas)).filter(|c| !c.schemas.is_empty());
        let objects = match copied {
            // With their owners: a platform's grants are relative to them. Its
            // publications are made here (plans never make a platform's).
            Some(mut part) => {
                part.publications.values_mut().for_each(|p| p.held = false);
                let plan = crate::plan::build(&Catalog::default(), &part, crate::plan::Options::OFFLINE)
                    .map_err(|e| Error::Cycle(e.members))?;
                // Grants last, once every owner is set: changing an owner rewrites the
                // ACL, and a grant to the loading role before would be lost.
                let (grants, rest): (Vec<_>, Vec<_>) =
                    plan.steps.iter().partition(|s| matches!(s.change, crate::diff::Change::Privilege(_)));
                rest.into_iter()
                    .chain(grants)
                    .flat_map(|s| s.statements.iter().map(|st| st.plain().to_string()))
                    .collect()
            }
            None => p
                .schemas_sql
                .as_deref()
                .map(|sql| crate::sqltext::split::split(sql).statements.into_iter().map(|s| s.text).collect())
                .unwrap_or_default(),
        };
        Ok(Prelude {
            search_path: p.search_path.clone(),
            objects,
            defaults: p.defaults_sql.clone(),
            roles: roles.into_iter().filter(|r| r != "public").collect(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.search_path.is_none() && self.objects.is_empty() && self.defaults.is_none() && self.roles.is_empty()
    }

    /// Whether a scratch database gets the same objects from `other` as from this one:
    /// the roles aside, which only have to exist (a load that needed a missing one
    /// failed).
    pub fn loads_like(&self, other: &Prelude) -> bool {
        self.search_path == other.search_path && self.objects == other.objects && self.defaults == other.defaults
    }

    /// What makes two preludes give the same scratch database (for the desired-state
    /// cache).
    pub fn fingerprint(&self) -> String {
        crate::history::checksum(&format!(
            "{:?} {:?} {:?} {:?}",
            self.search_path, self.objects, self.defaults, self.roles
        ))
    }

    /// The scratch database's target with the platform's search path.
    pub fn target(&self, scratch: Target) -> Target {
        match &self.search_path {
            Some(sp) => scratch.with_setting("search_path", sp),
            None => scratch,
        }
    }

    /// Load the platform into a fresh scratch database (roles must exist: `ensure_roles`).
    pub async fn load(&self, client: &tokio_postgres::Client) -> Result<(), Error> {
        if !self.objects.is_empty() {
            for (sql, message) in load::run_tolerant(client, &self.objects).await? {
                let first = sql.lines().next().unwrap_or("");
                tracing::debug!("platform object not copied to the scratch database ({message}): {first}");
            }
        }
        if let Some(defaults) = &self.defaults {
            let source = load::Source { name: "<the platform's defaults>".into(), text: defaults.clone() };
            load::load(client, std::slice::from_ref(&source)).await?;
        }
        Ok(())
    }
}

/// Create the roles a scratch cluster must have (NOLOGIN), where missing: the platform's,
/// the project's `roles`, those the live database's grants name. Only on a server that
/// holds nothing but scratch databases: the embedded cluster, or `--dev-url`.
pub async fn ensure_roles(config: &Config, dev: &Target, roles: &[String]) -> Result<(), Error> {
    if roles.is_empty() || (config.dev_url.is_none() && config.database_url.is_some() && !embedded_available()) {
        return Ok(());
    }
    let client = pg::connect(dev).await?;
    let missing: Vec<String> = client
        .query(
            "SELECT r FROM unnest($1::text[]) r WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r)",
            &[&roles],
        )
        .await
        .map_err(|e| Error::Other(pg::db_message(&e)))?
        .iter()
        .filter_map(|r| r.try_get::<_, String>(0).ok())
        .collect();
    for role in missing {
        // A dev server where this role may not create roles: what needs the role says
        // so when it loads (with the hint to name it in `roles`).
        match client.batch_execute(&format!("CREATE ROLE {} NOLOGIN", crate::ident::ident(&role))).await {
            Ok(()) => tracing::info!("created role {role} (NOLOGIN) on {}", dev.display),
            Err(e) => tracing::warn!(
                "role {role} is missing on {}, where scratch databases are loaded, and cannot be created there ({}); create it there once",
                dev.display,
                pg::db_message(&e)
            ),
        }
    }
    Ok(())
}

fn embedded_available() -> bool {
    embedded::find_binaries().is_ok()
}

/// Run `f` against a fresh scratch database, dropping it afterwards whatever happens.
pub async fn with_scratch<T, F, Fut>(dev: &Target, f: F) -> Result<T, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    scratch_run(dev, f, false).await
}

/// `with_scratch`, the scratch database dropped behind the caller (`Scratch::drop_behind`)
/// where what follows does not need the server's full attention: the schema files'
/// scratch database, read and done with before the plan is even built.
async fn with_scratch_dropped_behind<T, F, Fut>(dev: &Target, f: F) -> Result<T, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    scratch_run(dev, f, true).await
}

async fn scratch_run<T, F, Fut>(dev: &Target, f: F, behind: bool) -> Result<T, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let scratch = Scratch::create(dev).await?;
    let result = f(scratch.target.clone()).await;
    if behind {
        scratch.drop_behind();
    } else {
        let dropping = std::time::Instant::now();
        scratch.drop().await;
        timing("scratch_dropped", dropping);
    }
    result
}

/// Load the schema files into a scratch database and read its catalog.
///
/// The scratch database first gets the platform (`Prelude`). Objects the files use
/// without defining them (a schema, type or extension that the platform or another tool
/// manages) are taken from `environment` (the live database) when that is what stops a
/// statement; the returned notes name them. Statements that would change the cluster
/// (roles, databases) are refused before anything runs, and an object the files create
/// in a schema that is not managed is an error naming the statement: nothing written in
/// the files is silently left out.
pub async fn desired_catalog(
    config: &Config,
    dev: &Target,
    environment: Option<&Catalog>,
) -> Result<(Catalog, Vec<String>), Error> {
    desired_catalog_with(config, dev, environment, true).await
}

/// `desired_catalog`, without the cache when `cached` is false.
async fn desired_catalog_with(
    config: &Config,
    dev: &Target,
    environment: Option<&Catalog>,
    cached: bool,
) -> Result<(Catalog, Vec<String>), Error> {
    let sources = schema_sources(config)?;
    let scope = config.scope();
    let prelude = Prelude::new(config, environment)?;
    let started = std::time::Instant::now();
    let keys = match cached {
        true => cache_key(config, dev, &prelude, &config.manage_ownership.to_string(), &sources).await?,
        false => None,
    };
    timing("desired_keyed", started);
    let (renames, hint_notes) = declared_renames(&sources);
    let cached = match keys.as_ref().map(|(key, base)| crate::cache::lookup(&config.root, key, base)) {
        Some(crate::cache::Lookup::Hit(mut hit)) => {
            timing("desired_from_cache", started);
            hit.renames = renames;
            return Ok((hit, hint_notes));
        }
        Some(crate::cache::Lookup::Base(old, statements)) => Some((old, statements)),
        Some(crate::cache::Lookup::Miss) | None => None,
    };
    // The files' statements, split once: checked, compared for a partial reload, loaded.
    let statements = split_sources(&sources);
    // What a cold run refuses, a warm one refuses too. A hit returned above: its entry
    // was stored only after the same files passed; the statements a partial reload
    // starts from passed too.
    let checked: std::collections::HashSet<&str> =
        cached.iter().flat_map(|(_, old)| old.iter().map(String::as_str)).collect();
    check_schema_statements(&sources, &statements, &checked)?;
    drop(checked);
    // What the loader runs, in file order: what a partial reload compares.
    let loaded = loaded_texts(&statements);
    if let (Some((key, base)), Some((old, old_statements))) = (&keys, cached) {
        if let Some(mut catalog) = reload_desired(config, dev, &prelude, &scope, old, &old_statements, &loaded).await? {
            if std::env::var_os("SCHEMASPEC_VERIFY_RELOAD").is_some() {
                verify_reload(config, dev, environment, &catalog).await?;
            }
            timing("desired_reloaded", started);
            crate::cache::store(&config.root, key, base, &loaded, &catalog);
            timing("desired_stored", started);
            catalog.renames = renames;
            return Ok((catalog, hint_notes));
        }
    }
    let (catalog, taken) = load_desired(config, dev, environment, &prelude, &sources, &statements).await?;
    drop(sources);
    if let Some((key, base)) = &keys {
        // What was taken from the live database is not the files' alone: not cached.
        if taken.is_empty() {
            crate::cache::store(&config.root, key, base, &loaded, &catalog);
        }
    }
    let mut catalog = catalog;
    catalog.renames = renames;
    let mut notes: Vec<String> = taken
        .iter()
        .map(|id| format!("the schema files use {id} without creating it; keeping it as the database has it"))
        .collect();
    notes.extend(hint_notes);
    Ok((catalog, notes))
}

/// The schema files' statements, each with the index of its file.
fn split_sources(sources: &[load::Source]) -> Vec<(usize, crate::sqltext::split::SqlStatement)> {
    sources
        .iter()
        .enumerate()
        .flat_map(|(i, s)| crate::sqltext::split::split(&s.text).statements.into_iter().map(move |st| (i, st)))
        .collect()
}

/// What the loader runs of `statements`, in file order (transaction control is
/// skipped): what a desired entry keeps and a partial reload compares.
fn loaded_texts(statements: &[(usize, crate::sqltext::split::SqlStatement)]) -> Vec<&str> {
    statements
        .iter()
        .map(|(_, st)| st.text.as_str())
        .filter(|t| crate::sqltext::split::transaction_control(t).is_none())
        .collect()
}

/// The desired catalog loaded while the live database is read (`early_desired`), by a
/// prelude made without the live catalog, with what it was made from.
pub struct Early {
    prelude: Prelude,
    sources: Vec<load::Source>,
    statements: Vec<(usize, crate::sqltext::split::SqlStatement)>,
    catalog: Catalog,
}

/// Load the schema files while the caller reads the live database, when a cold load is
/// what `desired_catalog` will do anyway: no cache entry to answer or to reload from.
/// The desired side needs the live catalog only for the platform's objects in the
/// prelude and for objects the files use without creating them; `desired_catalog_early`
/// keeps this load only where neither made a difference. None where it cannot be used
/// (an entry exists, or the load stopped: the full path then reports why, as always).
pub async fn early_desired(config: &Config, dev: &Target) -> Option<Early> {
    if crate::cache::enabled() && crate::cache::has_desired(&config.root) {
        return None;
    }
    let attempt = async {
        let sources = schema_sources(config)?;
        let statements = split_sources(&sources);
        check_schema_statements(&sources, &statements, &Default::default())?;
        let prelude = Prelude::new(config, None)?;
        let (catalog, _) = load_desired(config, dev, None, &prelude, &sources, &statements).await?;
        Ok::<_, Error>(Early { prelude, sources, statements, catalog })
    };
    attempt.await.map_err(|e| tracing::debug!("the early load of the schema files stopped: {e}")).ok()
}

/// `desired_catalog`, taking the catalog `early_desired` loaded where the prelude the live
/// catalog (`environment`) gives loads the same objects: then the full load would have
/// run the same statements on the same scratch database, and nothing was taken from
/// elsewhere (the early load had nowhere to take it from).
pub async fn desired_catalog_early(
    config: &Config,
    dev: &Target,
    environment: &Catalog,
    early: Option<Early>,
) -> Result<(Catalog, Vec<String>), Error> {
    let prelude = Prelude::new(config, Some(environment))?;
    let Some(early) = early.filter(|e| e.prelude.loads_like(&prelude)) else {
        return desired_catalog(config, dev, Some(environment)).await;
    };
    let Early { sources, statements, mut catalog, .. } = early;
    let keys = cache_key(config, dev, &prelude, &config.manage_ownership.to_string(), &sources).await?;
    if let Some((key, base)) = &keys {
        crate::cache::store(&config.root, key, base, &loaded_texts(&statements), &catalog);
    }
    let (renames, notes) = declared_renames(&sources);
    catalog.renames = renames;
    Ok((catalog, notes))
}

/// Load the schema files (`sources`, split into `statements`) into a fresh scratch
/// database that has `prelude`, and read its catalog: the catalog and the objects taken
/// from `environment` because a statement stopped without them (see `desired_catalog`).
async fn load_desired(
    config: &Config,
    dev: &Target,
    environment: Option<&Catalog>,
    prelude: &Prelude,
    sources: &[load::Source],
    statements: &[(usize, crate::sqltext::split::SqlStatement)],
) -> Result<(Catalog, std::collections::BTreeSet<crate::catalog::ObjectId>), Error> {
    let (mut catalogs, taken) =
        load_desired_views(config, dev, environment, prelude, (sources, statements), &[]).await?;
    Ok((catalogs.pop().unwrap_or_default(), taken))
}

/// `load_desired`, read once as loaded (no `views`), or once per tenant view: the
/// template schema renamed to the tenant's and read with its scope (`as_tenants`).
async fn load_desired_views(
    config: &Config,
    dev: &Target,
    environment: Option<&Catalog>,
    prelude: &Prelude,
    (sources, statements): (&[load::Source], &[(usize, crate::sqltext::split::SqlStatement)]),
    views: &[(String, pg::introspect::Scope)],
) -> Result<(Vec<Catalog>, std::collections::BTreeSet<crate::catalog::ObjectId>), Error> {
    let started = std::time::Instant::now();
    let scope = config.scope();
    // The statements and their layers are worked out while the database is created.
    let owned = sources.to_vec();
    let preparing = tokio::task::spawn_blocking(move || load::prepare(&owned));
    ensure_roles(config, dev, &prelude.roles).await?;
    let _progress = progress::spinner(&format!("loading {} schema file(s) into a scratch database", sources.len()));
    let manage_ownership = config.manage_ownership;
    let mut taken: std::collections::BTreeSet<crate::catalog::ObjectId> = Default::default();
    let taken_ref = &mut taken;
    // Everything those brought with them (the types a taken table needs...).
    let mut provided: std::collections::BTreeSet<crate::catalog::ObjectId> = Default::default();
    let provided_ref = &mut provided;
    // What the files create themselves is never taken from elsewhere.
    let texts: Vec<&str> = statements.iter().map(|(_, st)| st.text.as_str()).collect();
    let defined = crate::sqltext::order::defined_names(&texts);
    let texts = &texts;
    let sources_ref = sources;
    let scope_ref = &scope;
    let catalog = with_scratch_dropped_behind(dev, move |target| async move {
        let target = prelude.target(target);
        let clients = pg::connect_for_load(&target).await?;
        let client = &clients[0];
        prelude.load(client).await?;
        let before = pg::introspect::unmanaged_objects(client, scope_ref)
            .await
            .map_err(|e| Error::Other(format!("reading the scratch database failed: {}", pg::db_message(&e))))?;
        let mut provide = |messages: &[String]| -> Vec<String> {
            let Some(env) = environment else { return Vec::new() };
            let t = take_from(env, messages, &defined, taken_ref, &|_| true);
            taken_ref.extend(t.wanted);
            provided_ref.extend(t.created);
            t.sql
        };
        timing("scratch_created", started);
        let prepared =
            preparing.await.map_err(|e| Error::Other(format!("preparing the schema files failed: {e}")))??;
        load::load_prepared(&clients, sources_ref, prepared, &mut provide).await?;
        // Bodies are checked once everything they reference exists: an error names the
        // routine's statement in its file.
        if let Some((schema, name, signature, message)) = load::invalid_bodies(client).await?.into_iter().next() {
            let found = statements.iter().find(|(_, st)| {
                let w = crate::lint::words(&st.text);
                let routine = w.iter().take(6).any(|x| x == "function" || x == "procedure");
                routine && crate::sqltext::order::defines(&st.text).is_some_and(|d| d == name)
            });
            if let Some((i, st)) = found {
                return Err(Error::SqlError {
                    file: sources_ref[*i].name.clone(),
                    line: st.line,
                    column: st.column,
                    message: format!("the body of {signature} is not valid: {message}"),
                    hint: Some(format!(
                        "fix the body of {schema}.{name}; PostgreSQL checks it once everything it references exists (as psql does with its default settings)"
                    )),
                });
            }
        }
        timing("scratch_and_load", started);
        let after = pg::introspect::unmanaged_objects(client, scope_ref)
            .await
            .map_err(|e| Error::Other(format!("reading the scratch database failed: {}", pg::db_message(&e))))?;
        let provided: std::collections::BTreeSet<(String, String)> = provided_ref.iter().map(unmanaged_key).collect();
        let created: Vec<&pg::introspect::Unmanaged> = after
            .difference(&before)
            // (What a taken table brings along, its indexes, came with it.)
            .filter(|(kind, schema, name, parent)| {
                let taken = provided.contains(&(schema.clone(), name.clone()));
                let of_taken =
                    kind == "index" && parent.as_ref().is_some_and(|t| provided.contains(&(schema.clone(), t.clone())));
                !(taken || of_taken)
            })
            .collect();
        if let Some(first) = created.first() {
            return Err(unmanaged_error(config, first, created.len(), statements, sources_ref));
        }
        let introspecting = std::time::Instant::now();
        if views.is_empty() {
            let catalog = read_loaded(&clients, scope_ref, manage_ownership, texts).await?;
            timing("introspect_desired", introspecting);
            return Ok(vec![catalog]);
        }
        let template = config.tenant_schema.as_deref().unwrap_or_default();
        let clients = &clients;
        let catalogs = as_tenants(client, (template, template), views, |tenant, scope| async move {
            let aimed: Vec<String> =
                texts.iter().map(|t| crate::sqltext::retarget::retarget(t, template, tenant)).collect();
            let aimed: Vec<&str> = aimed.iter().map(String::as_str).collect();
            read_loaded(clients, scope, manage_ownership, &aimed).await
        })
        .await?;
        timing("introspect_desired", introspecting);
        Ok(catalogs)
    })
    .await?;
    Ok((catalog, taken))
}

/// The catalog a scratch database holds for the template schema, as each tenant's: per
/// view, the template schema (now named `current`: the template's, or the previous
/// tenant's) renamed to the tenant's, and read (`read`, with the tenant's scope). A
/// rename keeps every reference, which PostgreSQL stores by object; what it stores as
/// text (routine bodies, comments) is retargeted like the files (`retarget_texts`).
/// `generate`'s proof (`prove_retargeted`) shows that this is what the files retargeted
/// build.
async fn as_tenants<'a, F, Fut>(
    client: &tokio_postgres::Client,
    (template, current): (&str, &str),
    views: &'a [(String, pg::introspect::Scope)],
    read: F,
) -> Result<Vec<Catalog>, Error>
where
    F: Fn(&'a str, &'a pg::introspect::Scope) -> Fut,
    Fut: std::future::Future<Output = Result<Catalog, Error>>,
{
    let mut catalogs = Vec::with_capacity(views.len());
    let mut current = current;
    for (tenant, scope) in views {
        let rename = format!("ALTER SCHEMA {} RENAME TO {}", crate::ident::ident(current), crate::ident::ident(tenant));
        client.batch_execute(&rename).await.map_err(|e| Error::Other(format!("{rename}: {}", pg::db_message(&e))))?;
        current = tenant;
        let mut catalog = read(tenant, scope).await?;
        retarget_texts(&mut catalog, template, tenant);
        catalogs.push(catalog);
    }
    Ok(catalogs)
}

/// What a catalog keeps as text rather than by object, retargeted from schema `from` to
/// `to` (`sqltext::retarget`): routine definitions (bodies, `SET search_path`) and
/// comments.
pub fn retarget_texts(catalog: &mut Catalog, from: &str, to: &str) {
    for f in catalog.functions.values_mut() {
        f.definition = crate::sqltext::retarget::retarget(&f.definition, from, to);
    }
    for c in catalog.comments.values_mut() {
        *c = crate::sqltext::retarget::retarget(c, from, to);
    }
}

/// Schema per tenant: the desired catalog of each tenant view (`(tenant, its scope)`),
/// from one load of the schema files for the template (`as_tenants`); with the notes
/// `desired_catalog` gives. Not cached (see `cache_key`).
pub async fn desired_for_tenants(
    config: &Config,
    dev: &Target,
    environment: Option<&Catalog>,
    views: &[(String, pg::introspect::Scope)],
) -> Result<(Vec<Catalog>, Vec<String>), Error> {
    let sources = schema_sources(config)?;
    let prelude = Prelude::new(config, environment)?;
    let statements = split_sources(&sources);
    check_schema_statements(&sources, &statements, &Default::default())?;
    let (mut catalogs, taken) =
        load_desired_views(config, dev, environment, &prelude, (&sources, &statements), views).await?;
    let template = config.tenant_schema.as_deref().unwrap_or_default();
    let mut notes = Vec::new();
    for (catalog, (tenant, _)) in catalogs.iter_mut().zip(views) {
        // Renames the files declare, in the tenant's names.
        let aimed: Vec<load::Source> = sources
            .iter()
            .map(|s| load::Source {
                name: s.name.clone(),
                text: crate::sqltext::retarget::retarget(&s.text, template, tenant),
            })
            .collect();
        let (renames, hint_notes) = declared_renames(&aimed);
        catalog.renames = renames;
        if notes.is_empty() {
            notes = hint_notes;
        }
    }
    notes.splice(
        0..0,
        taken
            .iter()
            .map(|id| format!("the schema files use {id} without creating it; keeping it as the database has it")),
    );
    Ok((catalogs, notes))
}

/// The desired catalog by a partial reload (`plan::reload`) of `old`, cached from
/// `old_statements`, now that the files' statements are `statements`; `None` where a
/// full load must decide (the reload's reason is logged): whatever goes wrong here, the
/// full load runs and reports it as it would have.
async fn reload_desired(
    config: &Config,
    dev: &Target,
    prelude: &Prelude,
    scope: &pg::introspect::Scope,
    old: Catalog,
    old_statements: &[String],
    statements: &[&str],
) -> Result<Option<Catalog>, Error> {
    use crate::plan::reload::{reload, splice, Outcome};
    let started = std::time::Instant::now();
    let olds: Vec<&str> = old_statements.iter().map(String::as_str).collect();
    let part = match reload(&olds, statements, &old) {
        Outcome::Same => return Ok(Some(old)),
        Outcome::Full(why) => {
            tracing::info!("loading every schema file again: {why}");
            return Ok(None);
        }
        Outcome::Partial(part) => part,
    };
    timing("reload_decided", started);
    let run: Vec<&str> = part.statements.iter().map(|&i| statements[i]).collect();
    tracing::info!(
        "reloading {} of {} statements ({} objects), copying {} tables and {} other objects",
        run.len(),
        statements.len(),
        part.whole.len(),
        part.copy.tables.len(),
        part.copy.views.len() + part.copy.functions.len() + part.copy.types.len() + part.copy.sequences.len()
    );
    ensure_roles(config, dev, &prelude.roles).await?;
    let _progress = progress::spinner(&format!("reloading {} changed statement(s) into a scratch database", run.len()));
    // A newline before each `;`: a statement may end in a line comment.
    let source = load::Source { name: "<the statements reloaded>".into(), text: run.join("\n;\n") };
    let copy = if config.platform.schemas.is_empty() {
        std::borrow::Cow::Borrowed(&part.copy)
    } else {
        std::borrow::Cow::Owned(part.copy.without_schemas(&config.platform.schemas))
    };
    let (copy, source, run) = (&copy, &source, &run);
    let manage_ownership = config.manage_ownership;
    let loaded = with_scratch(dev, move |target| async move {
        let target = prelude.target(target);
        let clients = pg::connect_for_load(&target).await?;
        let client = &clients[0];
        prelude.load(client).await?;
        copy_schema(&clients, copy, None).await?;
        timing("reload_copied", started);
        let reading = |e: tokio_postgres::Error| {
            Error::Other(format!("reading the scratch database failed: {}", pg::db_message(&e)))
        };
        let before = pg::introspect::unmanaged_objects(client, scope).await.map_err(reading)?;
        load::load_with(&clients, std::slice::from_ref(source), &mut |_| Vec::new()).await?;
        if let Some((schema, name, _, message)) = load::invalid_bodies(client).await?.into_iter().next() {
            return Err(Error::Other(format!("the body of {schema}.{name} is not valid: {message}")));
        }
        let after = pg::introspect::unmanaged_objects(client, scope).await.map_err(reading)?;
        if let Some((kind, schema, name, _)) = after.difference(&before).next() {
            return Err(Error::Other(format!("{kind} {schema}.{name} is outside the managed schemas")));
        }
        timing("reload_loaded", started);
        let catalog = read_loaded(&clients, scope, manage_ownership, run).await?;
        timing("reload_read", started);
        Ok(catalog)
    })
    .await;
    let spliced = loaded.map_err(|e| e.to_string()).and_then(|loaded| splice(&old, &loaded, &part));
    timing("desired_partial_reload", started);
    match spliced {
        Ok(catalog) => Ok(Some(catalog)),
        Err(why) => {
            tracing::info!("loading every schema file again: the partial reload failed: {why}");
            Ok(None)
        }
    }
}

/// The desired catalog of a scratch database the schema files (`texts`: their
/// statements) were just loaded into: read like any other, with the read-back form of
/// definitions PostgreSQL does not print as a fixpoint, and the files' own forms of
/// constraints and indexes. Owners count only when managed, and only where the files
/// name one: what the loading role owns just because it ran the files says nothing.
async fn read_loaded(
    clients: &[tokio_postgres::Client],
    scope: &pg::introspect::Scope,
    manage_ownership: bool,
    texts: &[&str],
) -> Result<Catalog, Error> {
    let client = &clients[0];
    // Definitions are normalized on a second connection while the catalog is read: each
    // try is added and dropped in one transaction, which a reader never sees. That
    // connection then reads a share of the catalog (`read_catalog_split`).
    let normalizing = async {
        pg::introspect::normalized_definitions(clients.get(1).unwrap_or(client))
            .await
            .map_err(|e| Error::Other(format!("normalizing definitions failed: {}", pg::db_message(&e))))
    };
    let (reader, helper) = (pg::introspect::Reader::new(client), clients.get(1).map(pg::introspect::Reader::new));
    let (equivalents, catalog) = tokio::join!(normalizing, read_split(&reader, helper.as_ref(), scope));
    let mut catalog = catalog?;
    catalog.equivalents = equivalents?;
    if manage_ownership {
        let loader = catalog.current_user.clone();
        catalog.owners.retain(|_, o| *o != loader);
    } else {
        catalog.owners.clear();
    }
    pg::introspect::source_forms(client, &mut catalog, texts)
        .await
        .map_err(|e| Error::Other(format!("checking source forms failed: {}", pg::db_message(&e))))?;
    Ok(catalog)
}

/// `SCHEMASPEC_VERIFY_RELOAD`: load everything as well and fail unless the partial
/// reload gave the same catalog (for tests of the reload).
async fn verify_reload(
    config: &Config,
    dev: &Target,
    environment: Option<&Catalog>,
    reloaded: &Catalog,
) -> Result<(), Error> {
    let (mut full, _) = Box::pin(desired_catalog_with(config, dev, environment, false)).await?;
    full.renames = reloaded.renames.clone();
    if &full == reloaded {
        tracing::info!("the partial reload gave what a full load gives");
        return Ok(());
    }
    let changes = crate::plan::build(&full, reloaded, crate::plan::Options::OFFLINE)
        .map(|p| p.steps.iter().map(|s| s.change.subject().to_string()).collect::<Vec<_>>())
        .unwrap_or_default();
    Err(Error::Other(format!(
        "the partial reload of the desired state differs from a full load{}",
        if changes.is_empty() {
            " (in what a plan does not compare)".to_string()
        } else {
            format!(": {}", listed(&changes))
        }
    )))
}

/// The renames the schema files declare (`-- schemaspec:renamed-from OLD`), and a note for
/// each hint schemaspec cannot follow (never ignored silently).
fn declared_renames(sources: &[load::Source]) -> (Vec<crate::catalog::Rename>, Vec<String>) {
    use crate::catalog::Rename;
    use crate::ident::QualifiedName;
    use crate::sqltext::rename::{hints, parts, Target};
    let qualified = |name: &str| -> Option<QualifiedName> {
        match parts(name).as_slice() {
            [n] => Some(QualifiedName::new("public", n.clone())),
            [s, n] => Some(QualifiedName::new(s.clone(), n.clone())),
            _ => None,
        }
    };
    let (mut renames, mut notes) = (Vec::new(), Vec::new());
    for source in sources {
        for h in hints(&source.text) {
            let place = format!("{}:{}", source.name, h.line);
            let rename = match &h.target {
                Target::Table { table: name }
                | Target::Index { index: name }
                | Target::View { view: name }
                | Target::Sequence { sequence: name }
                | Target::Type { type_name: name }
                | Target::Routine { routine: name } => qualified(name).and_then(|to| {
                    let from = match parts(&h.old).as_slice() {
                        [n] => QualifiedName::new(to.schema.clone(), n.clone()),
                        _ => qualified(&h.old)?,
                    };
                    Some(match &h.target {
                        Target::Index { .. } => Rename::Index { from, to },
                        Target::View { .. } => Rename::View { from, to },
                        Target::Sequence { .. } => Rename::Sequence { from, to },
                        Target::Type { .. } => Rename::Type { from, to },
                        Target::Routine { .. } => Rename::Routine { from, to },
                        Target::Table { .. } | Target::Column { .. } | Target::Other { .. } => {
                            Rename::Table { from, to }
                        }
                    })
                }),
                Target::Column { table, column } => qualified(table).and_then(|table| {
                    let (from, to) = (parts(&h.old), parts(column));
                    match (from.as_slice(), to.as_slice()) {
                        ([from], [to]) => Some(Rename::Column { table, from: from.clone(), to: to.clone() }),
                        _ => None,
                    }
                }),
                Target::Other { what } => {
                    notes.push(format!(
                        "{place}: a renamed-from hint above `{what} ...` is not followed: hints are read above CREATE TABLE, INDEX, VIEW, SEQUENCE, TYPE, DOMAIN, FUNCTION, PROCEDURE and AGGREGATE and above column lines for now, so that object is dropped and created"
                    ));
                    continue;
                }
            };
            match rename {
                Some(r) => renames.push(r),
                None => notes.push(format!(
                    "{place}: the renamed-from hint names `{}`, which is not a name schemaspec can read",
                    h.old
                )),
            }
        }
    }
    (renames, notes)
}

/// An object's (schema, name) as `unmanaged_objects` lists it.
fn unmanaged_key(id: &crate::catalog::ObjectId) -> (String, String) {
    use crate::catalog::ObjectId;
    match id {
        ObjectId::Function(q, args) => (q.schema.clone(), format!("{}({args})", q.name)),
        ObjectId::Schema(s) => (s.clone(), s.clone()),
        other => (other.schema().to_string(), other.name().to_string()),
    }
}

/// Statements a schema file may not hold, found before anything runs: those that would
/// change data or drop something (a schema file describes the state to reach), and those
/// that would change the cluster (roles, databases, tablespaces) rather than describe a
/// database.
fn check_schema_statements(
    sources: &[load::Source],
    statements: &[(usize, crate::sqltext::split::SqlStatement)],
    checked: &std::collections::HashSet<&str>,
) -> Result<(), Error> {
    for (i, st) in statements {
        let source = &sources[*i];
        if checked.contains(st.text.as_str()) {
            continue;
        }
        let words = crate::lint::words(&st.text);
        if let Some(not_state) = crate::sqltext::not_state(&words) {
            use crate::sqltext::NotState;
            let (message, hint) = match not_state {
                NotState::Data(command) => (
                    format!(
                        "{} changes data, and schema files describe the schema to reach, not data; nothing was run",
                        command.to_uppercase()
                    ),
                    "data belongs in a hand-written migration: write the statement in a file of its own in the migrations folder, then run `schemaspec hash`",
                ),
                NotState::Drop => (
                    "a DROP in a schema file: schema files describe the state to reach, so an object goes away when its definition does; nothing was run".to_string(),
                    "delete the object's CREATE statement (and the statements about it) instead: `schemaspec plan` then shows the drop",
                ),
            };
            return Err(Error::SqlError {
                file: source.name.clone(),
                line: st.line,
                column: st.column,
                message,
                hint: Some(hint.into()),
            });
        }
        if let Some(what) = crate::platform::cluster_statement(&words) {
            return Err(Error::SqlError {
                file: source.name.clone(),
                line: st.line,
                column: st.column,
                message: format!(
                    "this statement changes {what}, which belongs to the whole PostgreSQL cluster, not to the database the schema files describe; nothing was run"
                ),
                hint: Some(
                    "roles are created outside the schema files (by your platform, your ops tooling, or a hand-written migration): name the roles the files use in `roles = [...]` in schemaspec.toml (or set `platform`), and schemaspec creates them on its scratch clusters".into(),
                ),
            });
        }
    }
    Ok(())
}

/// The error for an object the schema files create where schemaspec does not manage.
fn unmanaged_error(
    config: &Config,
    (kind, schema, name, _): &pg::introspect::Unmanaged,
    count: usize,
    statements: &[(usize, crate::sqltext::split::SqlStatement)],
    sources: &[load::Source],
) -> Error {
    let object_name = name.split('(').next().unwrap_or(name);
    let own = object_name.rsplit('.').next().unwrap_or(object_name).to_lowercase();
    let schema_l = schema.to_lowercase();
    let found = statements.iter().find(|(_, st)| {
        let w = crate::lint::words(&st.text);
        let names: Vec<String> = w.iter().map(|x| x.to_lowercase()).collect();
        names.contains(&schema_l) && (kind == "schema" || names.contains(&own))
    });
    let why = if config.platform.schemas.contains(schema) {
        format!("it belongs to the platform ({})", config.platform.name.as_deref().unwrap_or("platform_schemas"))
    } else if *schema == config.tracking_schema {
        "it holds the tracking table".to_string()
    } else if config.exclude_schemas.contains(schema) {
        "it is in exclude_schemas".to_string()
    } else {
        "it is not in `schemas`".to_string()
    };
    let what = match kind.as_str() {
        "trigger" | "policy" => format!("{kind} {name} is on a table of schema {schema}"),
        "schema" => format!("schema {schema} is created"),
        _ => format!("{kind} {schema}.{name} is created in schema {schema}"),
    };
    let more = if count > 1 { format!(" ({} such objects in all)", count) } else { String::new() };
    let message = format!("{what}, which schemaspec does not manage ({why}): it would never reach the database{more}");
    let hint = if config.platform.schemas.contains(schema) {
        format!("{schema} is the platform's: put the object in a schema of your own. On the platform's tables, triggers and policies are managed, and so are grants and comments on its objects")
    } else {
        format!("manage {schema} (take it out of exclude_schemas, or add it to `schemas`), or move the object to a managed schema")
    };
    match found {
        Some((i, st)) => Error::SqlError {
            file: sources[*i].name.clone(),
            line: st.line,
            column: st.column,
            message,
            hint: Some(hint),
        },
        None => Error::failed(message, hint),
    }
}

/// What the schema files may use without defining: the live database seen whole (the
/// user's schema exclusions aside, only the tracking schema left out, and for a tenant
/// its neighbours). When no schemas
/// are excluded, that is the live catalog already read (borrowed: a copy of a large
/// catalog is tens of megabytes).
pub async fn environment<'a>(
    config: &Config,
    client: &tokio_postgres::Client,
    live: &'a Catalog,
) -> Result<std::borrow::Cow<'a, Catalog>, Error> {
    if config.schemas.is_empty() && config.exclude_schemas.is_empty() && config.platform.schemas.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(live));
    }
    let wide = pg::introspect::Scope {
        exclude: std::iter::once(&config.tracking_schema).chain(&config.environment_exclude).cloned().collect(),
        only: None,
        unmanaged_tables: config.unmanaged_tables.clone(),
        platform: Vec::new(),
        platform_extensions: config.platform.extensions.clone(),
        platform_publications: config.platform.publications.clone(),
    };
    read(client, &wide).await.map(std::borrow::Cow::Owned)
}

/// What `env` (the live database) has of the objects `messages` name, that may be taken
/// into a scratch database: not what the files create themselves (`defined`), not what
/// was taken already, and only what `allowed` lets through.
pub fn take_from(
    env: &Catalog,
    messages: &[String],
    defined: &std::collections::BTreeSet<String>,
    taken: &std::collections::BTreeSet<crate::catalog::ObjectId>,
    allowed: &dyn Fn(&crate::catalog::ObjectId) -> bool,
) -> Taken {
    let wanted: std::collections::BTreeSet<_> = env
        .objects_named_in(messages)
        .into_iter()
        .filter(|id| !taken.contains(id) && !defined.contains(id.name()) && allowed(id))
        .collect();
    if wanted.is_empty() {
        return Taken::default();
    }
    match crate::plan::build(&Catalog::default(), &env.subset(&wanted), crate::plan::Options::OFFLINE) {
        Ok(plan) => Taken {
            sql: plan.steps.iter().flat_map(|s| s.statements.iter().map(|st| st.plain().to_string())).collect(),
            created: plan.steps.iter().map(|s| s.change.subject()).collect(),
            wanted,
        },
        // Marked taken all the same: not asked for again.
        Err(_) => Taken { wanted, ..Taken::default() },
    }
}

/// What `take_from` takes: the statements that create it (plain forms), the objects the
/// messages named, and every object the statements create (those and what they need).
#[derive(Default)]
pub struct Taken {
    pub sql: Vec<String>,
    pub wanted: std::collections::BTreeSet<crate::catalog::ObjectId>,
    pub created: Vec<crate::catalog::ObjectId>,
}

/// Create `catalog`'s objects in the database behind `clients` (connections to it,
/// loaded over all of them): a copy of the live schema for proofs, rendered by the
/// engine itself. What it uses from schemas that are not copied (excluded ones) is taken
/// from `env` when missing.
pub async fn copy_schema(
    clients: &[tokio_postgres::Client],
    catalog: &Catalog,
    env: Option<&Catalog>,
) -> Result<(), Error> {
    let plan = crate::plan::build(&Catalog::default(), catalog, crate::plan::Options::OFFLINE)
        .map_err(|e| Error::Cycle(e.members))?;
    // Plain forms, as `dump` writes them: the idempotency guards (a DO block per
    // statement) are not needed in an empty database, and a DO block runs alone, so
    // with them the copy could not load in parallel (10.5 s instead of ~1.5 s at 1,000
    // tables).
    let sql: Vec<String> =
        plan.steps.iter().flat_map(|s| s.statements.iter().map(|st| st.plain().to_string())).collect();
    let source = load::Source { name: "<copy of the live schema>".into(), text: sql.join("\n") };
    let defined: std::collections::BTreeSet<String> =
        plan.steps.iter().map(|s| s.change.subject().name().to_string()).collect();
    let mut taken = std::collections::BTreeSet::new();
    let mut provide = |messages: &[String]| match env {
        Some(env) => {
            let t = take_from(env, messages, &defined, &taken, &|_| true);
            taken.extend(t.wanted.into_iter().chain(t.created));
            t.sql
        }
        None => Vec::new(),
    };
    load::load_with(clients, std::slice::from_ref(&source), &mut provide).await.map(|_| ())
}

/// What a fresh database on the platform has in the managed scope before any migration
/// (the platform's grants and comments on its own objects, its defaults in `public`):
/// what `dump` and `baseline` write the live schema relative to, so that they write only
/// the user's objects. Empty without a platform.
pub async fn platform_baseline(config: &Config, dev: &Target, env: Option<&Catalog>) -> Result<Catalog, Error> {
    if config.platform.is_empty() {
        return Ok(Catalog::default());
    }
    let prelude = Prelude::new(config, env)?;
    ensure_roles(config, dev, &prelude.roles).await?;
    let scope = config.scope();
    let (prelude, scope) = (&prelude, &scope);
    with_scratch(dev, |target| async move {
        let client = pg::connect(&prelude.target(target)).await?;
        prelude.load(&client).await?;
        read(&client, scope).await
    })
    .await
}

/// Make the (empty) scratch database behind `clients` stand for the live one: the
/// platform (`prelude`, whose target the clients were made from), then a copy of the
/// rest of `env`, the live database seen whole.
pub async fn copy_live(
    config: &Config,
    clients: &[tokio_postgres::Client],
    prelude: &Prelude,
    env: &Catalog,
) -> Result<(), Error> {
    copy_part(config, clients, prelude, env, env).await
}

/// `copy_live` of `part` of the live database (`env`, seen whole, provides what the
/// part uses from schemas it does not copy).
pub async fn copy_part(
    config: &Config,
    clients: &[tokio_postgres::Client],
    prelude: &Prelude,
    part: &Catalog,
    env: &Catalog,
) -> Result<(), Error> {
    prelude.load(&clients[0]).await?;
    if config.platform.schemas.is_empty() {
        copy_schema(clients, part, Some(env)).await
    } else {
        copy_schema(clients, &part.without_schemas(&config.platform.schemas), Some(env)).await
    }
}

/// The schema files, read: for a tenant of a schema-per-tenant project, with the
/// template schema's name retargeted to the tenant's (`aimed`).
fn schema_sources(config: &Config) -> Result<Vec<load::Source>, Error> {
    let mut sources = crate::migrations::read_schema(&config.schema_dirs, &config.root)?;
    if let (Some(template), Some(tenant)) = (&config.tenant_schema, &config.tenant) {
        for s in &mut sources {
            s.text = crate::sqltext::retarget::retarget(&s.text, template, tenant);
        }
    }
    Ok(sources)
}

/// Migration files as the loader and the cache keys take them.
pub fn sources_of(files: &[crate::history::LocalMigration]) -> Vec<load::Source> {
    files.iter().map(|m| load::Source { name: m.file_name.clone(), text: m.content.clone() }).collect()
}

/// The catalog the migration files produce when run in order on a scratch database
/// that has the platform (`Prelude`): what the history says the database should be.
/// When a file stops on an object that the live database (`env`) has in a schema
/// schemaspec does not manage (another tool's, a platform's the prelude could not copy),
/// that object is taken from it and the file run again; objects of managed schemas never
/// are (their absence is what drift is). A replay that took nothing is cached
/// (`cache::Slot::Replay`), keyed by the files, the server, the prelude and the scope:
/// the next `status` or `drift` over the same history replays nothing.
pub async fn replay(
    config: &Config,
    dev: &Target,
    files: &[crate::history::LocalMigration],
    env: Option<&Catalog>,
) -> Result<Catalog, Error> {
    if let Some(catalog) = shared_replay(config, dev, files).await {
        return Ok(catalog);
    }
    let timeouts = timeouts(config);
    let scope = config.scope();
    let prelude = Prelude::new(config, env)?;
    let started = std::time::Instant::now();
    let aimed = aimed(config, files);
    let files = aimed.as_deref().unwrap_or(files);
    let sources: Vec<load::Source> = sources_of(files);
    let replaying = format!(
        "replay {} {} {}",
        timeouts.lock_timeout,
        timeouts.statement_timeout,
        config.platform.search_path.as_deref().unwrap_or("")
    );
    let cache_key = cache_key(config, dev, &prelude, &replaying, &sources).await?.map(|(k, _)| k);
    if let Some(hit) =
        cache_key.as_deref().and_then(|k| crate::cache::load_slot(&config.root, crate::cache::Slot::Replay, k))
    {
        timing("replay_from_cache", started);
        return Ok(hit);
    }
    ensure_roles(config, dev, &prelude.roles).await?;
    let texts: Vec<String> = files
        .iter()
        .flat_map(|m| crate::sqltext::split::split(&m.content).statements.into_iter().map(|s| s.text))
        .collect();
    let defined = crate::sqltext::order::defined_names(&texts.iter().map(String::as_str).collect::<Vec<_>>());
    let unmanaged = |id: &crate::catalog::ObjectId| {
        let s = id.schema();
        scope.exclude.iter().any(|x| x == s) || scope.only.as_ref().is_some_and(|only| !only.iter().any(|x| x == s))
    };
    let (prelude, defined, unmanaged, scope) = (&prelude, &defined, &unmanaged, &scope);
    let replayed = with_scratch(dev, |target| async move {
        let client = pg::connect(&prelude.target(target)).await?;
        prelude.load(&client).await?;
        let mut taken = std::collections::BTreeSet::new();
        let progress = progress::bar(files.len(), "replaying the history");
        for m in files {
            progress.set_message(m.file_name.clone());
            progress.inc(1);
            let mut tries = 0;
            loop {
                let e = match pg::apply::run_file(&client, m, None, &timeouts).await {
                    Ok(_) => break,
                    // Said as what it is: a replay, which changed no database.
                    Err(Error::SqlError { file, line, column, message, .. }) => Error::SqlError {
                        message: format!("replaying the history on a scratch database: {message}"),
                        hint: Some(format!(
                            "{file} ran on its database once, but does not run after the files before it on a database that has only those (and the platform); nothing was changed. A file that needs what a later file creates: `schemaspec repair --renumber` (pending files) or `schemaspec baseline` (applied ones)"
                        )),
                        file,
                        line,
                        column,
                    },
                    Err(e) => e,
                };
                let (Some(env), Error::SqlError { message, .. }) = (env, &e) else { return Err(e) };
                let t = take_from(env, std::slice::from_ref(message), defined, &taken, unmanaged);
                if t.sql.is_empty() || tries == 20 {
                    return Err(e);
                }
                taken.extend(t.wanted.into_iter().chain(t.created));
                for s in t.sql {
                    client.batch_execute(&s).await.map_err(|e| Error::Other(pg::db_message(&e)))?;
                }
                tries += 1;
            }
        }
        Ok((read(&client, scope).await?, taken.is_empty()))
    })
    .await?;
    let (catalog, took_nothing) = replayed;
    if let (Some(k), true) = (&cache_key, took_nothing) {
        crate::cache::store_slot(&config.root, crate::cache::Slot::Replay, k, &catalog);
    }
    timing("replay", started);
    Ok(catalog)
}

/// Schema per tenant: a history replayed once for the template, on a scratch database
/// kept open while a fleet command runs, and read as each tenant's (`as_tenants`).
struct SharedReplay {
    open: Option<(pg::scratch::Scratch, tokio_postgres::Client)>,
    /// The schema's name now: the template's, or the last tenant read.
    current: String,
    /// The history did not replay alone (it needs what the live database has): each
    /// tenant replays its own.
    failed: bool,
}

type SharedSlot = std::sync::Arc<tokio::sync::Mutex<SharedReplay>>;

/// Open shared replays, by dev server and files.
static SHARED_REPLAYS: std::sync::Mutex<Vec<(String, SharedSlot)>> = std::sync::Mutex::new(Vec::new());

/// For a tenant (`config.tenant`): the replay of `files` as its catalog, from the one
/// replay of the template that the fleet's tenants at this history share: N tenants
/// cost one replay and N reads, not N replays. None (the caller replays on its own):
/// not a tenant, or the shared replay could not be made or read.
pub async fn shared_replay(config: &Config, dev: &Target, files: &[crate::history::LocalMigration]) -> Option<Catalog> {
    let (Some(template), Some(tenant)) = (config.tenant_schema.as_deref(), config.tenant.as_deref()) else {
        return None;
    };
    let key = format!("{}\n{}", dev.display, files.iter().map(|m| m.checksum.as_str()).collect::<Vec<_>>().join(","));
    let slot = {
        let mut open = SHARED_REPLAYS.lock().ok()?;
        match open.iter().find(|(k, _)| *k == key) {
            Some((_, slot)) => slot.clone(),
            None => {
                let slot = std::sync::Arc::new(tokio::sync::Mutex::new(SharedReplay {
                    open: None,
                    current: template.to_string(),
                    failed: false,
                }));
                open.push((key, slot.clone()));
                slot
            }
        }
    };
    let mut shared = slot.lock().await;
    if shared.failed {
        return None;
    }
    if shared.open.is_none() {
        let started = std::time::Instant::now();
        let made = async {
            let prelude = Prelude::new(config, None)?;
            ensure_roles(config, dev, &prelude.roles).await?;
            let scratch = pg::scratch::Scratch::create(dev).await?;
            let ran = async {
                let client = pg::connect(&prelude.target(scratch.target.clone())).await?;
                prelude.load(&client).await?;
                let timeouts = timeouts(config);
                for m in files {
                    pg::apply::run_file(&client, m, None, &timeouts).await?;
                }
                Ok::<_, Error>(client)
            }
            .await;
            match ran {
                Ok(client) => Ok((scratch, client)),
                Err(e) => {
                    scratch.drop().await;
                    Err(e)
                }
            }
        }
        .await;
        timing("shared_replay", started);
        match made {
            Ok(open) => shared.open = Some(open),
            Err(e) => {
                tracing::debug!("no shared replay for the tenants: {e}");
                shared.failed = true;
                return None;
            }
        }
    }
    let current = shared.current.clone();
    let (_, client) = shared.open.as_ref()?;
    let views = [(tenant.to_string(), config.scope())];
    let read_one = |_: &str, scope: &pg::introspect::Scope| {
        let scope = scope.clone();
        async move { read(client, &scope).await }
    };
    let read = as_tenants(client, (template, &current), &views, read_one).await;
    match read {
        Ok(mut catalogs) => {
            shared.current = tenant.to_string();
            catalogs.pop()
        }
        Err(e) => {
            // Where the schema now is named is not known: each tenant replays its own.
            tracing::debug!("the shared replay could not be read as {tenant}: {e}");
            shared.failed = true;
            None
        }
    }
}

/// Drop the scratch databases of the shared replays (`shared_replay`): at the end of a
/// fleet command.
pub async fn close_shared_replays() {
    let open: Vec<(String, SharedSlot)> =
        SHARED_REPLAYS.lock().map(|mut o| std::mem::take(&mut *o)).unwrap_or_default();
    for (_, slot) in open {
        if let Some((scratch, client)) = slot.lock().await.open.take() {
            drop(client);
            scratch.drop().await;
        }
    }
}

/// The migrations directory and the live database's history, reconciled.
pub struct Histories {
    pub dir: crate::migrations::Directory,
    pub target: Target,
    pub client: tokio_postgres::Client,
    pub tracking: pg::apply::Tracking,
    pub applied: Vec<crate::history::AppliedMigration>,
    pub status: Vec<crate::history::VersionStatus>,
}

/// Read the migrations directory and the live tracking table, and reconcile them.
pub async fn histories(config: &Config) -> Result<Histories, Error> {
    histories_at(config, live_target(config).await?).await
}

/// `histories` of the live database at `target`.
pub async fn histories_at(config: &Config, target: Target) -> Result<Histories, Error> {
    // The files are read while the connection is made and the tracking table read.
    let (at, cache) = (config.migrations_dir.clone(), history_cache(config));
    let reading = tokio::task::spawn_blocking(move || crate::migrations::read_remembering(&at, cache.as_deref()));
    let client = pg::connect(&target).await?;
    let tracking = tracking(config);
    let applied = tracking.applied(&client).await;
    let dir = reading.await.map_err(|e| Error::Other(format!("reading the migration files failed: {e}")))??;
    let applied = applied?;
    let status = crate::history::reconcile(&dir.migrations, &applied);
    Ok(Histories { dir, target, client, tracking, applied, status })
}

/// The migration files of the project (`migrations::read_remembering`).
pub fn read_migrations(config: &Config) -> Result<crate::migrations::Directory, Error> {
    crate::migrations::read_remembering(&config.migrations_dir, history_cache(config).as_deref())
}

/// Where the normalized checksums of migration files are remembered, unless the caches
/// are off.
fn history_cache(config: &Config) -> Option<std::path::PathBuf> {
    crate::cache::enabled().then(|| crate::cache::dir(&config.root))
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
    match &config.tenant {
        Some(tenant) => {
            pg::apply::Tracking::of_tenant(&config.tracking_schema, &tenant_tracking_table(config, tenant), tenant)
        }
        None => pg::apply::Tracking::new(&config.tracking_schema, &config.tracking_table),
    }
}

/// A tenant schema's tracking table, in the tracking schema: the project's table name
/// and the tenant's (`schema_migrations_acme`). Its length is checked when the tenants
/// are listed (`fleet::tenants`).
pub fn tenant_tracking_table(config: &Config, tenant: &str) -> String {
    format!("{}_{tenant}", config.tracking_table)
}

/// The migration files as a tenant of a schema-per-tenant project runs them: the
/// template schema's name retargeted to the tenant's (checksums stay the files' own, so
/// the history reconciles as it is). None when `config` aims at no tenant: the files
/// run as they are.
pub fn aimed<'a>(
    config: &Config,
    files: impl IntoIterator<Item = &'a crate::history::LocalMigration>,
) -> Option<Vec<crate::history::LocalMigration>> {
    let (Some(template), Some(tenant)) = (&config.tenant_schema, &config.tenant) else { return None };
    Some(
        files
            .into_iter()
            .map(|m| crate::history::LocalMigration {
                content: crate::sqltext::retarget::retarget(&m.content, template, tenant),
                ..m.clone()
            })
            .collect(),
    )
}

/// Read the cached desired catalog on a thread of its own while the live database is
/// read (`cache::prefetch`), unless the cache is off.
pub fn prefetch_desired(config: &Config) {
    if crate::cache::enabled() {
        crate::cache::prefetch(&config.root);
    }
}

/// The key of a cached catalog made from `sources` on `dev` with `prelude` (see
/// `cache`), the scope and `settings` besides, and that key without the sources (the
/// base key); `None` when `SCHEMASPEC_NO_CACHE` is set, or for a tenant.
async fn cache_key(
    config: &Config,
    dev: &Target,
    prelude: &Prelude,
    settings: &str,
    sources: &[load::Source],
) -> Result<Option<(String, String)>, Error> {
    // A tenant's catalogs are not kept: each slot holds one entry, so a fleet of tenants
    // would only evict one another, and the template's own. (Verdicts are kept per
    // tenant: `drift::clean_key`.)
    if !crate::cache::enabled() || config.tenant.is_some() {
        return Ok(None);
    }
    let facts = server_facts(dev).await?;
    let scope = config.scope();
    let settings = format!(
        "{:?} {:?} {:?} {settings} {}",
        scope.exclude,
        scope.only,
        scope.unmanaged_tables,
        prelude.fingerprint()
    );
    Ok(Some((crate::cache::key(sources, &facts, &settings), crate::cache::key(&[], &facts, &settings))))
}

/// What the dev server contributes to a desired catalog besides the files.
pub(crate) async fn server_facts(dev: &Target) -> Result<String, Error> {
    // Asked once per process and server: a fleet command asks for every target, and a
    // status that misses its verdict asks twice.
    static KNOWN: Remembered = std::sync::Mutex::new(Vec::new());
    once_per_process(&KNOWN, &dev.display, || async {
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
    })
    .await
}

/// Answers kept for the rest of the process, by key (`once_per_process`).
pub(crate) type Remembered = std::sync::Mutex<Vec<(String, String)>>;

/// `compute`'s answer for `key`, computed once per process: later calls get the first
/// answer (two at once may both compute it; the first stored is kept).
pub(crate) async fn once_per_process<E, Fut>(
    store: &Remembered,
    key: &str,
    compute: impl FnOnce() -> Fut,
) -> Result<String, E>
where
    Fut: std::future::Future<Output = Result<String, E>>,
{
    let known = |store: &Remembered| store.lock().ok()?.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    if let Some(v) = known(store) {
        return Ok(v);
    }
    let v = compute().await?;
    if let Ok(mut s) = store.lock() {
        if !s.iter().any(|(k, _)| k == key) {
            s.push((key.to_string(), v.clone()));
        }
    }
    Ok(known(store).unwrap_or(v))
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

/// The catalog fingerprint of the database `database` (its address) behind `clients`
/// (connections to it, at least one, among which the catalogs are summed in shares), by
/// way of what earlier runs remembered (see `remembered_fingerprint`); taken anew
/// (`fingerprint_over`) and remembered where that does not hold.
pub async fn catalog_fingerprint(
    config: &Config,
    clients: &[&tokio_postgres::Client],
    database: &str,
) -> Result<String, tokio_postgres::Error> {
    if let Some(first) = clients.first() {
        if let Some(known) = remembered_fingerprint(config, first, database).await? {
            return Ok(known);
        }
    }
    take_fingerprint(config, clients, database).await
}

/// The remembered values (`cache::remember`) of the catalog fingerprint: the catalogs
/// the last run summed ("list"), and per database the last fingerprint with the state
/// it was taken in (`fingerprint_slot`).
const FINGERPRINTS: &str = "catalogs";

/// Where the remembered state of the database `database` is stored.
fn fingerprint_slot(database: &str) -> String {
    format!("state {}", &crate::history::checksum(database)[..16])
}

/// The fingerprint the last run took of `database`, where the server is still in the
/// state it was taken in (`pg::introspect::catalog_state`): on a database no transaction
/// wrote to since, one small statement instead of summing the catalogs.
pub async fn remembered_fingerprint(
    config: &Config,
    client: &tokio_postgres::Client,
    database: &str,
) -> Result<Option<String>, tokio_postgres::Error> {
    let last = crate::cache::enabled()
        .then(|| crate::cache::remembered(&config.root, FINGERPRINTS, &fingerprint_slot(database)))
        .flatten();
    match last.as_deref().and_then(|l| l.split_once(' ')) {
        Some((fingerprint, state)) if pg::introspect::catalog_state(client).await? == state => {
            Ok(Some(fingerprint.to_string()))
        }
        _ => Ok(None),
    }
}

/// After a command that made scratch databases: they moved the state of their server
/// (each is a transaction that writes), so where that is the live database's server (as
/// with the embedded default), the fingerprint remembered at the start no longer holds
/// for the next run. Taken again once they are dropped, so that the next run, with
/// nothing changed, finds it. Not where the remembered one still holds, nor where the
/// caches are off.
pub async fn fingerprint_after_scratch(config: &Config, client: &tokio_postgres::Client, database: &str) {
    if !crate::cache::enabled() || config.tenant.is_some() || !pg::scratch::made_any() {
        return;
    }
    pg::scratch::settle().await;
    if let Ok(None) = remembered_fingerprint(config, client, database).await {
        if let Err(e) = take_fingerprint(config, &[client], database).await {
            tracing::debug!("no catalog fingerprint: {}", pg::db_message(&e));
        }
    }
}

/// The catalog fingerprint taken anew (`fingerprint_over`) over the catalogs the last
/// run listed, and remembered with the state it was taken in (`.schemaspec/cache/catalogs`).
pub async fn take_fingerprint(
    config: &Config,
    clients: &[&tokio_postgres::Client],
    database: &str,
) -> Result<String, tokio_postgres::Error> {
    let remember = crate::cache::enabled();
    let listed = remember.then(|| crate::cache::remembered(&config.root, FINGERPRINTS, "list")).flatten();
    let known = listed.as_deref().map(|l| l.split(',').map(str::to_string).collect());
    let taken = pg::introspect::fingerprint_over(clients, known).await?;
    if remember {
        let catalogs = taken.catalogs.join(",");
        if listed.as_deref() != Some(catalogs.as_str()) {
            crate::cache::remember(&config.root, FINGERPRINTS, "list", &catalogs);
        }
        if let Some(state) = &taken.state {
            let value = format!("{} {state}", taken.fingerprint);
            crate::cache::remember(&config.root, FINGERPRINTS, &fingerprint_slot(database), &value);
        }
    }
    Ok(taken.fingerprint)
}

/// The live catalog of `client` (`database`: its address), as `read` gives it: from the
/// cache (`cache::Slot::Live`) where the database's catalog fingerprint, taken before
/// anything is read, is the one the entry was read under. Every committed change to a
/// catalog row changes the fingerprint, so an entry is only ever used for the catalog
/// it was read from; a change made while it was read leaves the entry keyed by the
/// fingerprint from before, which the next run no longer finds. The key also holds the
/// scope, the platform and the binary (`cache::key`). Not for a tenant: one slot among
/// a fleet's members would only thrash.
pub async fn read_live(config: &Config, client: &tokio_postgres::Client, database: &str) -> Result<Catalog, Error> {
    let started = std::time::Instant::now();
    let scope = config.scope();
    let key = match crate::cache::enabled() && config.tenant.is_none() {
        true => catalog_fingerprint(config, &[client], database)
            .await
            .map_err(|e| tracing::debug!("no catalog fingerprint: {}", pg::db_message(&e)))
            .ok()
            .map(|f| crate::cache::key(&[], &f, &format!("live {database} {scope:?} {:?}", config.platform))),
        false => None,
    };
    if key.is_some() {
        timing("live_keyed", started);
    }
    if let Some(hit) = key.as_deref().and_then(|k| crate::cache::load_slot(&config.root, crate::cache::Slot::Live, k)) {
        timing("live_from_cache", started);
        return Ok(hit);
    }
    let live = read(client, &scope).await?;
    if let Some(k) = &key {
        crate::cache::store_slot(&config.root, crate::cache::Slot::Live, k, &live);
    }
    Ok(live)
}

pub async fn read(client: &tokio_postgres::Client, scope: &pg::introspect::Scope) -> Result<Catalog, Error> {
    read_with(&pg::introspect::Reader::new(client), scope).await
}

/// `read` through a `Reader` kept for the next read of the same connection.
pub async fn read_with(reader: &pg::introspect::Reader<'_>, scope: &pg::introspect::Scope) -> Result<Catalog, Error> {
    read_split(reader, None, scope).await
}

/// `read_with`, with a second connection to the same database that reads a share of
/// the catalog (`introspect::read_catalog_split`): for a scratch database only.
async fn read_split(
    reader: &pg::introspect::Reader<'_>,
    helper: Option<&pg::introspect::Reader<'_>>,
    scope: &pg::introspect::Scope,
) -> Result<Catalog, Error> {
    let _progress = progress::spinner("reading the catalog");
    pg::introspect::read_catalog_split(reader, helper, scope)
        .await
        .map_err(|e| Error::Other(format!("reading the catalog failed: {}", pg::db_message(&e))))
}

/// Items one per line (indented), the first 20 and then how many more: a list of 400
/// file names must not be one line.
pub fn listed<T: std::fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 20;
    let mut out: String = items.iter().take(SHOWN).map(|i| format!("\n  {i}")).collect();
    if items.len() > SHOWN {
        out += &format!("\n  ... and {} more", items.len() - SHOWN);
    }
    out
}

pub fn io(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Error::OutputClosed;
    }
    Error::Other(format!("writing output: {e}"))
}

pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| Error::Other(e.to_string()))?;
    writeln!(out).map_err(io)
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_lists_are_one_per_line_and_cut_at_20() {
        let items: Vec<String> = (1..=400).map(|i| format!("f{i}.sql")).collect();
        let text = super::listed(&items);
        assert_eq!(text.lines().count(), 1 + 20 + 1, "{text}");
        assert!(text.starts_with("\n  f1.sql\n  f2.sql") && text.ends_with("\n  ... and 380 more"), "{text}");
        assert_eq!(super::listed(&["a"]), "\n  a");
    }
}
