//! The command line: parse arguments, run the subcommand, print the error chain with a
//! hint, map the result to an exit code.

use clap::{CommandFactory, Parser, Subcommand};
use schemaspec::cmd::{self, Format};
use schemaspec::config::{Config, Overrides};
use schemaspec::error::{redact, Error};
use std::io::Write;
use std::path::PathBuf;

// glibc's malloc kept freed memory of the many small, short-lived allocations of
// statement analysis and catalog reading resident (a 5,000-table plan peaked at 315 MB,
// most of it freed); mimalloc returns it (the same plan: see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_CODES: &str = "Exit codes: 0 success (nothing to do, or done; status with only pending files); \
    1 error, usage errors included (nothing was changed unless the message says so); 2 changes found (plan --exit-code), \
    a history that needs a person (status: modified, missing, out-of-order, failed, drifted), findings (check), \
    drift (drift), or mismatches reported (import).";

#[derive(Parser)]
#[command(name = "schemaspec", version, about = "Declarative desired-state schema migrations for PostgreSQL", after_help = EXIT_CODES)]
struct Cli {
    /// Database to migrate [default: the embedded local PostgreSQL]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true, help_heading = "Global options")]
    database_url: Option<String>,
    /// Server for scratch databases [default: the embedded local PostgreSQL]
    #[arg(long, env = "SCHEMASPEC_DEV_URL", global = true, hide_env_values = true, help_heading = "Global options")]
    dev_url: Option<String>,
    /// Directory (or file) of desired-state SQL; repeatable [default: schema]
    #[arg(
        long = "schema-dir",
        env = "SCHEMASPEC_SCHEMA_DIRS",
        value_delimiter = ',',
        global = true,
        help_heading = "Global options"
    )]
    schema_dirs: Vec<PathBuf>,
    /// Directory of migration files [default: generated]
    #[arg(long, env = "SCHEMASPEC_MIGRATIONS_DIR", global = true, help_heading = "Global options")]
    migrations_dir: Option<PathBuf>,
    /// Tracking table as schema.table [default: schemaspec.schema_migrations]
    #[arg(long, env = "SCHEMASPEC_TRACKING_TABLE", global = true, help_heading = "Global options")]
    tracking_table: Option<String>,
    /// Manage only this schema; repeatable [default: every non-system schema]
    #[arg(
        long = "schema",
        env = "SCHEMASPEC_SCHEMAS",
        value_delimiter = ',',
        global = true,
        help_heading = "Global options"
    )]
    schemas: Vec<String>,
    /// Never manage this schema; repeatable
    #[arg(
        long = "exclude-schema",
        env = "SCHEMASPEC_EXCLUDE_SCHEMAS",
        value_delimiter = ',',
        global = true,
        help_heading = "Global options"
    )]
    exclude_schemas: Vec<String>,
    /// lock_timeout for migration statements [default: 10s]
    #[arg(long, env = "SCHEMASPEC_LOCK_TIMEOUT", global = true, help_heading = "Global options")]
    lock_timeout: Option<String>,
    /// statement_timeout for migration statements [default: 0, none]
    #[arg(long, env = "SCHEMASPEC_STATEMENT_TIMEOUT", global = true, help_heading = "Global options")]
    statement_timeout: Option<String>,
    /// Make owners match the schema files' ALTER ... OWNER TO [default: off]
    #[arg(long, env = "SCHEMASPEC_MANAGE_OWNERSHIP", global = true, help_heading = "Global options")]
    manage_ownership: bool,
    /// Plain DDL on existing tables instead of online forms (CONCURRENTLY, NOT VALID then VALIDATE) [default: online]
    #[arg(long, env = "SCHEMASPEC_NO_ONLINE_DDL", global = true, help_heading = "Global options")]
    no_online_ddl: bool,
    /// Retries of a statement that could not get its lock within lock_timeout, with backoff [default: 5]
    #[arg(long, env = "SCHEMASPEC_LOCK_RETRIES", global = true, help_heading = "Global options")]
    lock_retries: Option<u32>,
    /// Managed platform the database runs on: supabase, rds, cloudsql, neon, azure [default: none]
    #[arg(long, env = "SCHEMASPEC_PLATFORM", global = true, help_heading = "Global options")]
    platform: Option<String>,
    /// Project directory (where schemaspec.toml is) [default: the nearest folder, from here up, that has one]
    #[arg(long, short = 'C', env = "SCHEMASPEC_PROJECT", global = true, help_heading = "Global options")]
    project: Option<PathBuf>,
    /// Color the output: auto (at a terminal, unless NO_COLOR; CLICOLOR_FORCE forces it), always or never
    #[arg(long, value_enum, default_value = "auto", global = true, help_heading = "Global options")]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            Color::Auto => anstream::ColorChoice::Auto,
            Color::Always => anstream::ColorChoice::Always,
            Color::Never => anstream::ColorChoice::Never,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Scaffold schemaspec.toml, schema/ and generated/ (never overwrites anything)
    #[command(after_help = "Examples:\n  schemaspec init\n  $EDITOR schema/schema.sql")]
    Init,
    /// Show what would change in the database: ordered statements with their hazards
    #[command(
        after_help = "Examples:\n  schemaspec plan\n  schemaspec plan --exit-code          # CI: exit 2 when there are changes\n  schemaspec plan --format json --strict\n  schemaspec plan --targets tenants.txt --exit-code   # a fleet, grouped by what would change"
    )]
    #[command(group(clap::ArgGroup::new("fleet").args(["targets", "tenants"]).multiple(true)))]
    Plan {
        /// Output: text for people, json for machines (docs/json.md)
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Exit 2 when there are changes, 0 when there are none
        #[arg(long)]
        exit_code: bool,
        /// Fail (exit 1) when the schema files or the database hold objects of kinds
        /// schemaspec does not manage (listed as notes either way)
        #[arg(long)]
        strict: bool,
        /// Plan every database of a fleet (as `apply --targets`): targets that need the same change
        /// are one group
        #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with = "strict")]
        targets: Option<Option<PathBuf>>,
        /// Schema per tenant: run in every tenant schema (of each --targets database, else of
        /// database_url's) the template schema's migrations (tenant_schema); FILE lists one schema per
        /// line; without FILE, schemaspec.toml's tenants_query lists them (docs/fleet.md)
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        tenants: Option<Option<PathBuf>>,
        /// With --targets: how many databases at once (default: the number of cores)
        #[arg(long, requires = "fleet")]
        jobs: Option<usize>,
    },
    /// Write the change as small, idempotent migration files, proved on a scratch database
    #[command(
        after_help = "Examples:\n  schemaspec generate\n  schemaspec generate --allow-hazards deletes_data\n  schemaspec generate --from-history   # CI: the files in generated/ reach schema/"
    )]
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
    #[command(
        after_help = "Examples:\n  schemaspec apply\n  schemaspec apply --dry-run\n  schemaspec apply --from-schema --allow-hazards deletes_data   # plan, prove, write and apply at once\n  DATABASE_URL=postgres://app@db/app schemaspec apply\n  schemaspec apply --targets tenants.txt --jobs 8 --canary 2 --report apply.json   # a fleet (docs/fleet.md)"
    )]
    #[command(group(clap::ArgGroup::new("fleet").args(["targets", "tenants"]).multiple(true)))]
    Apply {
        /// Apply files older than the newest applied one instead of refusing
        #[arg(long)]
        allow_out_of_order: bool,
        /// Hazards accepted in pending files' headers, when schemaspec.toml sets apply_checks_hazards
        #[arg(long, value_delimiter = ',')]
        allow_hazards: Vec<String>,
        /// List the files that would run, with their hazards; change nothing (not even the tracking table)
        #[arg(long)]
        dry_run: bool,
        /// The declarative loop in one step: generate the migration from the schema files (proved, hazards
        /// needing --allow-hazards), write it to the migrations folder and apply it, so the history stays complete
        #[arg(long)]
        from_schema: bool,
        /// Apply to every database of a fleet: FILE lists one connection string or database name (on the
        /// server of database_url) per line; without FILE, schemaspec.toml's targets_query or
        /// targets_command lists them (docs/fleet.md)
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        targets: Option<Option<PathBuf>>,
        /// Schema per tenant: run in every tenant schema (of each --targets database, else of
        /// database_url's) the template schema's migrations (tenant_schema); FILE lists one schema per
        /// line; without FILE, schemaspec.toml's tenants_query lists them (docs/fleet.md)
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        tenants: Option<Option<PathBuf>>,
        /// With --targets: how many databases at once (default: the number of cores)
        #[arg(long, requires = "fleet")]
        jobs: Option<usize>,
        /// With --targets: apply to the first N databases first, and stop if any of them fails
        #[arg(long, value_name = "N", requires = "fleet", default_value_t = 0)]
        canary: usize,
        /// With --targets: start no new database after K have failed
        #[arg(long, value_name = "K", requires = "fleet")]
        max_failures: Option<usize>,
        /// With --targets: also write the JSON report to FILE (a CI artifact)
        #[arg(long, value_name = "FILE", requires = "fleet")]
        report: Option<PathBuf>,
        /// With --targets: text for people, json for machines (docs/fleet.md)
        #[arg(long, value_enum, default_value = "text", requires = "fleet")]
        format: Format,
    },
    /// Three-way view of files, tracking table and live catalog: applied, pending, modified, missing, out-of-order, failed
    #[command(
        after_help = "Examples:\n  schemaspec status\n  schemaspec status --format json --no-catalog\n  schemaspec status --targets tenants.txt"
    )]
    #[command(group(clap::ArgGroup::new("fleet").args(["targets", "tenants"]).multiple(true)))]
    Status {
        /// Output: text for people, json for machines (docs/json.md)
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Do not replay the history to compare the live catalog (files and tracking table only)
        #[arg(long)]
        no_catalog: bool,
        /// Read every database of a fleet (as `apply --targets`) and summarize: how many are at which
        /// version, which have pending files, which drifted
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        targets: Option<Option<PathBuf>>,
        /// Schema per tenant: run in every tenant schema (of each --targets database, else of
        /// database_url's) the template schema's migrations (tenant_schema); FILE lists one schema per
        /// line; without FILE, schemaspec.toml's tenants_query lists them (docs/fleet.md)
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        tenants: Option<Option<PathBuf>>,
        /// With --targets: how many databases at once (default: the number of cores)
        #[arg(long, requires = "fleet")]
        jobs: Option<usize>,
        /// With --targets: a line for every database, not only those that need attention (with
        /// --format json: each one's own status report)
        #[arg(long, requires = "fleet")]
        detail: bool,
    },
    /// Lint the migrations directory and schema files (exit 0 clean, 2 findings, 1 error)
    #[command(
        after_help = "Examples:\n  schemaspec check\n  schemaspec check --fix\n  schemaspec check --format github"
    )]
    Check {
        /// Output: text, json (docs/json.md), or github (annotations on the pull request's diff)
        #[arg(long, value_enum, default_value = "text")]
        format: cmd::check::CheckFormat,
        /// Rewrite non-idempotent statements of hand-written migrations in guarded forms
        #[arg(long)]
        fix: bool,
        /// Hazards accepted in pending migrations (comma-separated, or all)
        #[arg(long, value_delimiter = ',')]
        allow_hazards: Vec<String>,
    },
    /// Put the history right: mark files applied (after proof) or unapplied, forget rows, renumber files
    #[command(
        after_help = "Examples:\n  schemaspec repair --mark-applied 20261126081313\n  schemaspec repair --renumber\n  schemaspec repair --restore 20261126081313"
    )]
    Repair {
        /// Record version V as applied, after proving its effects are already in the database
        #[arg(long, value_name = "V")]
        mark_applied: Vec<String>,
        /// Remove version V's row (archived), so the next apply runs the file again
        #[arg(long, value_name = "V")]
        mark_unapplied: Vec<String>,
        /// Remove a row that has no local file (archived), after checking nothing depends on it
        #[arg(long, value_name = "V")]
        forget: Vec<String>,
        /// Give duplicate and out-of-order pending files fresh versions; rewrite the sum file
        #[arg(long)]
        renumber: bool,
        /// Mend a damaged tracking table: missing or mistyped columns, rows without a version, duplicate rows, a missing primary key
        #[arg(long)]
        mend_tracking_table: bool,
        /// Write back the missing file of applied version V from the text recorded when it was applied
        #[arg(long, value_name = "V")]
        restore: Vec<String>,
    },
    /// Write the live schema as declarative schema files (then `plan` is empty)
    #[command(after_help = "Examples:\n  schemaspec dump --out schema\n  schemaspec dump --force")]
    Dump {
        /// Directory to write [default: the first schema directory]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the .sql files already in that directory
        #[arg(long)]
        force: bool,
    },
    /// Start the history afresh from the live schema: small proved files recorded as applied, old rows archived
    #[command(after_help = "Examples:\n  schemaspec baseline\n  schemaspec baseline --archive-files")]
    Baseline {
        /// Move the earlier migration files to <migrations dir>/archive/
        #[arg(long)]
        archive_files: bool,
        /// Most lines per file [default and maximum: 200]
        #[arg(long)]
        max_file_lines: Option<usize>,
    },
    /// Adopt another tool's history (Supabase, Flyway, sqlx, any version table) and migrations folder
    #[command(
        after_help = "Examples:\n  schemaspec import --dir supabase/migrations\n  schemaspec import --from flyway --dry-run"
    )]
    Import {
        /// Which history table(s) [default: every one found]
        #[arg(long, value_enum, value_delimiter = ',')]
        from: Vec<cmd::import::Source>,
        /// A history table as schema.table (with --from table)
        #[arg(long)]
        table: Option<String>,
        /// Its version column
        #[arg(long, default_value = "version")]
        version_column: String,
        /// Its name/description column
        #[arg(long)]
        name_column: Option<String>,
        /// The other tool's migrations folder (e.g. supabase/migrations), copied under schemaspec's names
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Report what would be imported; change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Compare the live catalog with the applied history replayed (exit 2 on drift) and with the schema files
    #[command(
        after_help = "Examples:\n  schemaspec drift\n  schemaspec drift --format json\n  schemaspec drift --targets tenants.txt"
    )]
    #[command(group(clap::ArgGroup::new("fleet").args(["targets", "tenants"]).multiple(true)))]
    Drift {
        /// Output: text for people, json for machines (docs/json.md)
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Compare every database of a fleet (as `apply --targets`): which drifted, and in what
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        targets: Option<Option<PathBuf>>,
        /// Schema per tenant: run in every tenant schema (of each --targets database, else of
        /// database_url's) the template schema's migrations (tenant_schema); FILE lists one schema per
        /// line; without FILE, schemaspec.toml's tenants_query lists them (docs/fleet.md)
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        tenants: Option<Option<PathBuf>>,
        /// With --targets: how many databases at once (default: the number of cores)
        #[arg(long, requires = "fleet")]
        jobs: Option<usize>,
    },
    /// Rewrite generated/schemaspec.sum from the files as they are
    #[command(after_help = "Examples:\n  schemaspec hash")]
    Hash,
    /// Take the database back to an applied version, as new proved migration files (the later ones stay applied: history is append-only)
    #[command(
        after_help = "Examples:\n  schemaspec revert --to 20261126081313\n  schemaspec revert --last 1 --allow-hazards deletes_data --apply"
    )]
    #[command(group(clap::ArgGroup::new("fleet").args(["targets", "tenants"]).multiple(true)))]
    Revert {
        /// The applied version whose state to go back to (the files after it are undone)
        #[arg(long, value_name = "VERSION", conflicts_with = "last", required_unless_present = "last")]
        to: Option<String>,
        /// Undo the newest N applied files
        #[arg(long, value_name = "N")]
        last: Option<usize>,
        /// Allow these hazards (comma-separated: deletes_data, ... or all): undoing an added column deletes what it holds
        #[arg(long, value_delimiter = ',')]
        allow_hazards: Vec<String>,
        /// Apply the revert files at once
        #[arg(long)]
        apply: bool,
        /// Then rewrite the schema files from the reverted database (as `dump --force` does), so `plan` is empty again; needs --apply
        #[arg(long, requires = "apply", conflicts_with = "targets")]
        update_schema: bool,
        /// Revert a fleet that shares one applied history: the files are written once (proved against the
        /// first database); with --apply they run on every database as `apply --targets` runs them (docs/fleet.md)
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        targets: Option<Option<PathBuf>>,
        /// Schema per tenant: the template's database and every tenant schema sharing one history go back
        /// together: the files are planned against the template; with --apply run there, then in every tenant
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        tenants: Option<Option<PathBuf>>,
        /// With --targets: how many databases at once (default: the number of cores)
        #[arg(long, requires = "fleet")]
        jobs: Option<usize>,
    },
    /// Show one migration: its file, state, when it ran, hazards and its way back (the down block, or the recorded rollback_sql)
    #[command(
        after_help = "Examples:\n  schemaspec show 20261126081313\n  schemaspec show 20261126081313 --format json"
    )]
    Show {
        /// The migration's version (the 14 digits its file name starts with)
        version: String,
        /// Output: text for people, json for machines (docs/json.md)
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Write an empty, timestamped migration file for hand-written SQL, and update the sum file
    #[command(
        after_help = "Examples:\n  schemaspec new backfill_user_emails\n  schemaspec new add_index_concurrently --no-transaction"
    )]
    New {
        /// What the file does, in a few words (`backfill_user_emails`)
        name: String,
        /// Mark it to run outside a transaction (`-- schemaspec:no-transaction`), for CREATE INDEX CONCURRENTLY and the like
        #[arg(long)]
        no_transaction: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout
    #[command(
        after_help = "Examples:\n  schemaspec completions bash > /etc/bash_completion.d/schemaspec\n  schemaspec completions zsh > \"${fpath[1]}/_schemaspec\"\n  schemaspec completions fish > ~/.config/fish/completions/schemaspec.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout: `schemaspec man > schemaspec.1`
    #[command(after_help = "Examples:\n  schemaspec man > /usr/local/share/man/man1/schemaspec.1")]
    Man,
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

/// Whether the command reports in JSON (`--format json`): its errors are JSON too.
fn wants_json(command: &Command) -> bool {
    match command {
        Command::Plan { format, .. }
        | Command::Status { format, .. }
        | Command::Drift { format, .. }
        | Command::Show { format, .. } => *format == Format::Json,
        Command::Check { format, .. } => *format == cmd::check::CheckFormat::Json,
        Command::Apply { format, targets, .. } => targets.is_some() && *format == Format::Json,
        Command::Init
        | Command::Generate { .. }
        | Command::Repair { .. }
        | Command::Dump { .. }
        | Command::Baseline { .. }
        | Command::Import { .. }
        | Command::Hash
        | Command::Revert { .. }
        | Command::New { .. }
        | Command::Completions { .. }
        | Command::Man
        | Command::Embedded { .. } => false,
    }
}

/// The fleet `--targets` and `--tenants` name: their files, or (the flag alone) the
/// configured query or command; tenants are schemas in each database of `--targets`,
/// else in database_url's.
async fn fleet_members(
    config: &Config,
    targets: Option<Option<PathBuf>>,
    tenants: Option<Option<PathBuf>>,
) -> Result<Vec<cmd::fleet::Member>, Error> {
    let databases = match &targets {
        Some(file) => cmd::fleet::members(config, file.as_deref()).await?,
        None => vec![cmd::live_target(config).await?],
    };
    match &tenants {
        Some(file) => cmd::fleet::tenants(config, databases, file.as_deref()).await,
        None => Ok(databases.into_iter().map(cmd::fleet::Member::database).collect()),
    }
}

/// An error as JSON on stdout: `{"error": ..., "hint": ..., "location": {"file", "line",
/// "column"}}` (docs/json.md).
fn json_error(e: &Error) -> String {
    let location = e
        .location()
        .map(|(file, line, column)| serde_json::json!({"file": redact(&file), "line": line, "column": column}));
    let body = serde_json::json!({
        "error": redact(&e.to_string()),
        "hint": e.hint().map(|h| redact(&h)),
        "location": location,
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

/// The project folder: the one named with -C (then a project even without
/// schemaspec.toml), else the nearest folder from here up that holds schemaspec.toml
/// (`init` makes the current folder one), else the current folder.
fn project_root(project: Option<&PathBuf>, init: bool) -> Result<(PathBuf, bool), Error> {
    if let Some(p) = project {
        return Ok((p.clone(), true));
    }
    let here = std::env::current_dir().map_err(|e| Error::Other(format!("current directory: {e}")))?;
    let found = if init { None } else { Config::find_root(&here) };
    Ok((found.unwrap_or(here), false))
}

/// The line an error points at, from its file under the project: (path, line number,
/// line text, byte range in the line to underline).
fn error_source(e: &Error, root: &std::path::Path) -> Option<(String, usize, String, std::ops::Range<usize>)> {
    let (file, line, column) = e.location()?;
    let line = line?;
    let text = std::fs::read_to_string(root.join(&file)).ok()?;
    let source = text.lines().nth(line.checked_sub(1)?)?.trim_end().to_string();
    if source.trim().is_empty() {
        return None;
    }
    // A column counts characters; the span is in bytes. No column: the whole line.
    let span = match column {
        Some(c) => {
            let start = source.char_indices().nth(c.saturating_sub(1)).map_or(source.len(), |(i, _)| i);
            let end = source[start..].chars().next().map_or(start, |ch| start + ch.len_utf8());
            start..end.max(start)
        }
        None => {
            let start = source.len() - source.trim_start().len();
            start..source.len()
        }
    };
    Some((file, line, source, span))
}

/// The error as people read it: the message, the offending line with a caret where the
/// error has a place in a file, and the hint.
fn print_error(e: &Error, root: Option<&std::path::Path>, color: bool) {
    use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
    let message = redact(&e.to_string());
    match root.and_then(|r| error_source(e, r)) {
        Some((path, line, source, span)) => {
            let report = &[Level::ERROR.primary_title(&message).element(
                Snippet::source(&source).line_start(line).path(&path).annotation(AnnotationKind::Primary.span(span)),
            )];
            let renderer = if color { Renderer::styled() } else { Renderer::plain() };
            eprintln!("{}", renderer.render(report));
        }
        None => eprintln!("error: {message}"),
    }
    if let Some(h) = e.hint() {
        eprintln!("hint: {}", redact(&h));
    }
}

/// `project`: where the project is (see `project_root`), found once by `main`.
async fn run(cli: Cli, project: Result<(PathBuf, bool), Error>, out: &mut dyn Write) -> Result<i32, Error> {
    // Neither needs a project.
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "schemaspec", out);
            return Ok(0);
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(out).map_err(cmd::io)?;
            return Ok(0);
        }
        _ => {}
    }
    let (root, named) = project?;
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
        online_ddl: cli.no_online_ddl.then_some(false),
        lock_retries: cli.lock_retries,
        platform: cli.platform,
    };
    let mut config = Config::load(&root, overrides)?;
    config.in_project |= named;
    match cli.command {
        Command::Init => cmd::init::run(&config, out),
        Command::Plan { format, exit_code, targets, tenants, jobs, .. } if targets.is_some() || tenants.is_some() => {
            let members = fleet_members(&config, targets, tenants).await?;
            let options = cmd::fleet::Options::reading(jobs, format);
            cmd::fleet::plan(&config, &members, &options, exit_code, out).await
        }
        Command::Plan { format, exit_code, strict, .. } => {
            cmd::plan::run(&config, &cmd::plan::Args { format, exit_code, strict }, out).await
        }
        Command::Generate { from_history, allow_hazards, max_file_lines } => {
            let goal = cmd::generate::Goal::SchemaFiles;
            cmd::generate::run(&config, &cmd::generate::Args { goal, from_history, allow_hazards, max_file_lines }, out)
                .await
        }
        Command::Apply {
            allow_out_of_order,
            allow_hazards,
            dry_run,
            targets,
            tenants,
            jobs,
            canary,
            max_failures,
            report,
            format,
            from_schema,
        } if targets.is_some() || tenants.is_some() => {
            if from_schema {
                return Err(Error::failed(
                    "--from-schema writes a migration from one database; it cannot go with --targets",
                    "generate against one database (or a copy of the fleet's shape), commit the file, then `schemaspec apply --targets`",
                ));
            }
            let members = fleet_members(&config, targets, tenants).await?;
            let options =
                cmd::fleet::Options { canary, max_failures, report, ..cmd::fleet::Options::reading(jobs, format) };
            let args = cmd::apply::Args { allow_out_of_order, allow_hazards, dry_run };
            cmd::fleet::apply(&config, &args, &members, &options, out).await
        }
        Command::Apply { allow_out_of_order, allow_hazards, dry_run, from_schema: true, .. } => {
            if dry_run {
                // What one step would do: the plan.
                let args = cmd::plan::Args { format: Format::Text, exit_code: false, strict: false };
                return cmd::plan::run(&config, &args, out).await;
            }
            // Files already there first (generate diffs against a database that has them),
            // then the new one.
            let apply = cmd::apply::Args { allow_out_of_order, allow_hazards: allow_hazards.clone(), dry_run };
            cmd::apply::run(&config, &apply, out).await?;
            let goal = cmd::generate::Goal::SchemaFiles;
            let gen = cmd::generate::Args { goal, from_history: false, allow_hazards, max_file_lines: None };
            cmd::generate::run(&config, &gen, out).await?;
            cmd::apply::run(&config, &apply, out).await
        }
        Command::Apply { allow_out_of_order, allow_hazards, dry_run, from_schema: false, .. } => {
            cmd::apply::run(&config, &cmd::apply::Args { allow_out_of_order, allow_hazards, dry_run }, out).await
        }
        Command::Status { format, no_catalog, targets, tenants, jobs, detail }
            if targets.is_some() || tenants.is_some() =>
        {
            let members = fleet_members(&config, targets, tenants).await?;
            let options = cmd::fleet::Options::reading(jobs, format);
            cmd::fleet::status(&config, no_catalog, &members, &options, detail, out).await
        }
        Command::Status { format, no_catalog, .. } => {
            cmd::status::run(&config, &cmd::status::Args { format, no_catalog }, out).await
        }
        Command::Check { format, fix, allow_hazards } => {
            cmd::check::run(&config, &cmd::check::Args { format, fix, allow_hazards }, out).await
        }
        Command::Repair { mark_applied, mark_unapplied, forget, renumber, mend_tracking_table, restore } => {
            let args =
                cmd::repair::Args { mark_applied, mark_unapplied, forget, renumber, mend_tracking_table, restore };
            cmd::repair::run(&config, &args, out).await
        }
        Command::Dump { out: dir, force } => {
            cmd::dump::dump(&config, &cmd::dump::DumpArgs { out: dir, force }, out).await
        }
        Command::Baseline { archive_files, max_file_lines } => {
            cmd::dump::baseline(&config, &cmd::dump::BaselineArgs { archive_files, max_file_lines }, out).await
        }
        Command::Import { from, table, version_column, name_column, dir, dry_run } => {
            let args = cmd::import::Args { from, table, version_column, name_column, dir, dry_run };
            cmd::import::run(&config, &args, out).await
        }
        Command::Drift { format, targets, tenants, jobs } if targets.is_some() || tenants.is_some() => {
            let members = fleet_members(&config, targets, tenants).await?;
            let options = cmd::fleet::Options::reading(jobs, format);
            cmd::fleet::drift(&config, &members, &options, out).await
        }
        Command::Drift { format, .. } => cmd::drift::run(&config, &cmd::drift::Args { format }, out).await,
        Command::Show { version, format } => cmd::show::run(&config, &cmd::show::Args { version, format }, out).await,
        Command::Hash => {
            let _lock = cmd::migrations_lock(&config, out)?;
            let dir = schemaspec::migrations::rehash(&config.migrations_dir)?;
            writeln!(out, "wrote {}/schemaspec.sum ({} files)", config.migrations_dir.display(), dir.migrations.len())
                .map_err(cmd::io)?;
            Ok(0)
        }
        Command::New { name, no_transaction } => cmd::new::run(&config, &name, no_transaction, out),
        Command::Revert { to, last, allow_hazards, apply, update_schema, targets, tenants, jobs } => {
            let args = cmd::revert::Args { to, last, allow_hazards, apply, update_schema };
            if targets.is_none() && tenants.is_none() {
                return cmd::revert::run(&config, &args, out).await;
            }
            let members = fleet_members(&config, targets, tenants).await?;
            let options = cmd::fleet::Options::reading(jobs, Format::Text);
            cmd::fleet::revert(&config, &args, &members, &options, out).await
        }
        Command::Completions { .. } | Command::Man => Ok(0),
        Command::Embedded { action: EmbeddedAction::Start } => {
            cmd::require_project(&config)?;
            let cluster = schemaspec::pg::embedded::ensure(&cmd::embedded_home(&config))?;
            schemaspec::pg::scratch::admin_of(&cluster).await?;
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

/// mimalloc keeps memory committed for later: arenas are committed when reserved, and
/// freed pages are returned after a delay. A run's memory peaks while the second
/// catalog is read, when much of what reading the first one used is free again; taking
/// and returning memory as it is used costs no measurable time and lowered the peak of
/// a 5,000-table plan from 133 to 124 MB. (The arena mimalloc reserved before `main`
/// stays committed; `MIMALLOC_ARENA_EAGER_COMMIT=0` in the environment covers it too.)
///
/// Transparent huge pages are turned off for the process: mimalloc asks for them on its
/// arenas, and where the kernel gives them (`madvise` or `always` mode) each first touch
/// zeroes 2 MB. That was two thirds of a warm `status`'s CPU time, and a 2,000-table
/// plan peaked at 70–75 MB with them against 58 MB without, in the same time. (Children
/// inherit the setting: the embedded PostgreSQL, for which it is the advice anyway.)
fn tune_allocator() {
    // Best effort, before logging is set up: a kernel without the call keeps them on.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
    // Option numbers of mimalloc 3's `mi_option_e` (include/mimalloc.h).
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets two integer options; mimalloc reads them when it next needs them.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

/// The first of SIGINT, SIGTERM (a CI runner cancelling a job) or SIGHUP (a closed
/// terminal) to arrive.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    }
}

fn signal_number(name: &str) -> i32 {
    match name {
        "SIGHUP" => 1,
        "SIGTERM" => 15,
        _ => 2,
    }
}

fn main() {
    tune_allocator();
    // Usage errors exit 1 like every other error: 2 means "changes found" to CI.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let color = cli.color.choice();
    // Log lines are colored only where stderr is a terminal that wants color.
    let log_color = match color {
        anstream::ColorChoice::Auto => anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never,
        anstream::ColorChoice::Never => false,
        anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi => true,
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SCHEMASPEC_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_ansi(log_color)
        .with_writer(std::io::stderr)
        .init();
    let json = wants_json(&cli.command);
    let project = project_root(cli.project.as_ref(), matches!(cli.command, Command::Init));
    let root = project.as_ref().ok().map(|(r, _)| r.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let code = runtime.block_on(async {
        // Styles are written always and dropped here for pipes, files and NO_COLOR.
        let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), color);
        tokio::select! {
            result = async {
                let result = run(cli, project, &mut stdout).await;
                // Scratch databases dropped behind the command: gone before it ends.
                schemaspec::pg::scratch::settle().await;
                result
            } => match result {
                Ok(code) => code,
                // As a program killed by SIGPIPE would: quietly.
                Err(Error::OutputClosed) => 141,
                Err(e) if json => {
                    let _ = writeln!(stdout, "{}", json_error(&e));
                    1
                }
                Err(e) => {
                    let _ = stdout.flush();
                    print_error(&e, root.as_deref(), log_color);
                    1
                }
            },
            signal = interrupted() => {
                schemaspec::pg::scratch::drop_all().await;
                eprintln!("interrupted ({signal}); scratch databases dropped");
                128 + signal_number(signal)
            }
        }
    });
    std::process::exit(code);
}
