//! One orchestration function per subcommand: the only place that chains I/O (files,
//! database) and the pure steps (diff, plan, render). Each writes to the writer it is
//! given and returns an exit code: 0 done or nothing to do, 2 changes/pending/findings.

pub mod apply;
pub mod generate;
pub mod init;
pub mod plan;
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

/// Run `f` against a fresh scratch database, dropping it afterwards whatever happens.
pub async fn with_scratch<T, F, Fut>(dev: &Target, f: F) -> Result<T, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let scratch = Scratch::create(dev).await?;
    let result = f(scratch.target.clone()).await;
    scratch.drop().await;
    result
}

/// Load the schema files into a scratch database and read its catalog.
pub async fn desired_catalog(config: &Config, dev: &Target) -> Result<Catalog, Error> {
    let sources = crate::migrations::read_schema(&config.schema_dirs, &config.root)?;
    let scope = config.scope();
    with_scratch(dev, |target| async move {
        let client = pg::connect(&target).await?;
        load::load(&client, &sources).await?;
        read(&client, &scope).await
    })
    .await
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
