//! The command line: parse arguments, run the subcommand, print the error chain with a
//! hint, map the result to an exit code.

use clap::{Parser, Subcommand};
use schemaspec::cmd::{self, Format};
use schemaspec::config::{Config, Overrides};
use schemaspec::error::{redact, Error};
use std::io::Write;
use std::path::PathBuf;

const EXIT_CODES: &str = "Exit codes: 0 success (nothing to do, or done); 1 error (nothing was changed \
    unless the message says so); 2 changes found (plan --exit-code), or pending/unclean history (status).";

#[derive(Parser)]
#[command(name = "schemaspec", version, about = "Declarative desired-state schema migrations for PostgreSQL", after_help = EXIT_CODES)]
struct Cli {
    /// Database to migrate [default: the embedded local PostgreSQL]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Server for scratch databases [default: the embedded local PostgreSQL]
    #[arg(long, env = "SCHEMASPEC_DEV_URL", global = true, hide_env_values = true)]
    dev_url: Option<String>,
    /// Directory (or file) of desired-state SQL; repeatable [default: schema]
    #[arg(long = "schema-dir", env = "SCHEMASPEC_SCHEMA_DIRS", value_delimiter = ',', global = true)]
    schema_dirs: Vec<PathBuf>,
    /// Directory of migration files [default: generated]
    #[arg(long, env = "SCHEMASPEC_MIGRATIONS_DIR", global = true)]
    migrations_dir: Option<PathBuf>,
    /// Tracking table as schema.table [default: schemaspec.schema_migrations]
    #[arg(long, env = "SCHEMASPEC_TRACKING_TABLE", global = true)]
    tracking_table: Option<String>,
    /// Manage only this schema; repeatable [default: every non-system schema]
    #[arg(long = "schema", env = "SCHEMASPEC_SCHEMAS", value_delimiter = ',', global = true)]
    schemas: Vec<String>,
    /// Never manage this schema; repeatable
    #[arg(long = "exclude-schema", env = "SCHEMASPEC_EXCLUDE_SCHEMAS", value_delimiter = ',', global = true)]
    exclude_schemas: Vec<String>,
    /// lock_timeout for migration statements [default: 10s]
    #[arg(long, env = "SCHEMASPEC_LOCK_TIMEOUT", global = true)]
    lock_timeout: Option<String>,
    /// statement_timeout for migration statements [default: 0, none]
    #[arg(long, env = "SCHEMASPEC_STATEMENT_TIMEOUT", global = true)]
    statement_timeout: Option<String>,
    /// Make owners match the schema files' ALTER ... OWNER TO [default: off]
    #[arg(long, env = "SCHEMASPEC_MANAGE_OWNERSHIP", global = true)]
    manage_ownership: bool,
    /// Project directory (where schemaspec.toml is) [default: current directory]
    #[arg(long, short = 'C', env = "SCHEMASPEC_PROJECT", global = true)]
    project: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scaffold schemaspec.toml, schema/ and generated/ (never overwrites anything)
    Init,
    /// Show what would change in the database: ordered statements with their hazards
    Plan {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Exit 2 when there are changes, 0 when there are none
        #[arg(long)]
        exit_code: bool,
    },
    /// Write the change as small, idempotent migration files, proved on a scratch database
    Generate {
        /// Diff against the migration files replayed on a scratch database, not the database
        #[arg(long)]
        from_history: bool,
        /// Allow these hazards (comma-separated: deletes_data, rewrites_table, ... or all)
        #[arg(long, value_delimiter = ',')]
        allow_hazards: Vec<String>,
        /// Most lines per file [default: 200, or max_file_lines in schemaspec.toml]
        #[arg(long, env = "SCHEMASPEC_MAX_FILE_LINES")]
        max_file_lines: Option<usize>,
    },
    /// Run pending migration files, each recorded in the tracking table
    Apply {
        /// Apply files older than the newest applied one instead of refusing
        #[arg(long)]
        allow_out_of_order: bool,
    },
    /// List applied, pending, modified, missing and out-of-order migrations
    Status {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Rewrite generated/schemaspec.sum from the files as they are
    Hash,
    /// Manage the embedded local PostgreSQL
    Embedded {
        #[command(subcommand)]
        action: EmbeddedAction,
    },
}

#[derive(Subcommand)]
enum EmbeddedAction {
    /// Start it (if needed) and print its connection string
    Start,
    /// Stop it
    Stop,
}

async fn run(cli: Cli, out: &mut dyn Write) -> Result<i32, Error> {
    let root = match cli.project {
        Some(p) => p,
        None => std::env::current_dir().map_err(|e| Error::Other(format!("current directory: {e}")))?,
    };
    let overrides = Overrides {
        database_url: cli.database_url,
        dev_url: cli.dev_url,
        schema_dirs: cli.schema_dirs,
        migrations_dir: cli.migrations_dir,
        tracking_table: cli.tracking_table,
        schemas: cli.schemas,
        exclude_schemas: cli.exclude_schemas,
        max_file_lines: None,
        lock_timeout: cli.lock_timeout,
        statement_timeout: cli.statement_timeout,
        manage_ownership: cli.manage_ownership.then_some(true),
    };
    let config = Config::load(&root, overrides)?;
    match cli.command {
        Command::Init => cmd::init::run(&config, out),
        Command::Plan { format, exit_code } => {
            cmd::plan::run(&config, &cmd::plan::Args { format, exit_code }, out).await
        }
        Command::Generate { from_history, allow_hazards, max_file_lines } => {
            cmd::generate::run(&config, &cmd::generate::Args { from_history, allow_hazards, max_file_lines }, out).await
        }
        Command::Apply { allow_out_of_order } => {
            cmd::apply::run(&config, &cmd::apply::Args { allow_out_of_order }, out).await
        }
        Command::Status { format } => cmd::status::run(&config, &cmd::status::Args { format }, out).await,
        Command::Hash => {
            let dir = schemaspec::migrations::read(&config.migrations_dir)?;
            schemaspec::migrations::write(&dir, &[])?;
            writeln!(out, "wrote {}/schemaspec.sum ({} files)", config.migrations_dir.display(), dir.migrations.len())
                .map_err(cmd::io)?;
            Ok(0)
        }
        Command::Embedded { action: EmbeddedAction::Start } => {
            let cluster = schemaspec::pg::embedded::ensure(&cmd::embedded_home(&config))?;
            writeln!(out, "{}", cluster.url(cmd::EMBEDDED_DB)).map_err(cmd::io)?;
            Ok(0)
        }
        Command::Embedded { action: EmbeddedAction::Stop } => {
            let stopped = schemaspec::pg::embedded::stop(&cmd::embedded_home(&config))?;
            writeln!(out, "{}", if stopped { "stopped" } else { "not running" }).map_err(cmd::io)?;
            Ok(0)
        }
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SCHEMASPEC_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let code = runtime.block_on(async {
        let mut stdout = std::io::stdout().lock();
        tokio::select! {
            result = run(cli, &mut stdout) => match result {
                Ok(code) => code,
                Err(e) => {
                    let _ = stdout.flush();
                    eprintln!("error: {}", redact(&e.to_string()));
                    if let Some(h) = e.hint() {
                        eprintln!("hint: {}", redact(&h));
                    }
                    1
                }
            },
            _ = tokio::signal::ctrl_c() => {
                schemaspec::pg::scratch::drop_all().await;
                eprintln!("interrupted");
                130
            }
        }
    });
    std::process::exit(code);
}
