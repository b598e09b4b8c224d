//! `schemaspec.toml`, with every key overridable by a flag or an environment variable
//! (flags win over the environment, which wins over the file). Reads the one file.

use crate::error::Error;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "schemaspec.toml";

/// The file as written; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub dev_url: Option<String>,
    pub schema_dirs: Option<Vec<PathBuf>>,
    pub migrations_dir: Option<PathBuf>,
    pub tracking_table: Option<String>,
    pub schemas: Option<Vec<String>>,
    pub exclude_schemas: Option<Vec<String>>,
    pub max_file_lines: Option<usize>,
    pub down_blocks_max_files: Option<usize>,
    pub lock_timeout: Option<String>,
    pub statement_timeout: Option<String>,
    pub manage_ownership: Option<bool>,
    pub unmanaged_tables: Option<Vec<String>>,
    pub online_ddl: Option<bool>,
    pub lock_retries: Option<u32>,
    pub apply_checks_hazards: Option<bool>,
    /// A preset: supabase, rds, cloudsql, neon, azure.
    pub platform: Option<String>,
    /// Schemas, roles and extensions the platform provides, added to the preset's.
    pub platform_schemas: Option<Vec<String>>,
    pub platform_roles: Option<Vec<String>>,
    pub platform_extensions: Option<Vec<String>>,
    pub platform_search_path: Option<String>,
    /// A SQL file that creates the platform's schemas, for where no live database has them.
    pub platform_baseline: Option<PathBuf>,
    /// Roles the schema files use that exist outside schemaspec (created by ops tooling).
    pub roles: Option<Vec<String>>,
    /// A fleet's databases (`--targets` without a file): SQL run against `database_url`
    /// whose first column gives connection strings or database names on that server.
    pub targets_query: Option<String>,
    /// A fleet's databases: a command (run by `sh -c` in the project folder) that prints
    /// them, one per line.
    pub targets_command: Option<String>,
    /// Schema per tenant: the template schema the schema files define, whose migrations
    /// `--tenants` runs in every tenant schema.
    pub tenant_schema: Option<String>,
    /// The tenant schemas for `--tenants` without a file: SQL run on each database,
    /// whose first column gives schema names.
    pub tenants_query: Option<String>,
}

/// Other tools' history tables: left alone unless `unmanaged_tables` says otherwise
/// (they outlive a move to schemaspec, see `schemaspec import`).
pub const DEFAULT_UNMANAGED_TABLES: [&str; 2] = ["flyway_schema_history", "_sqlx_migrations"];

/// Overrides from flags and the environment (clap fills both).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub dev_url: Option<String>,
    pub schema_dirs: Vec<PathBuf>,
    pub migrations_dir: Option<PathBuf>,
    pub tracking_table: Option<String>,
    pub schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    pub max_file_lines: Option<usize>,
    pub lock_timeout: Option<String>,
    pub statement_timeout: Option<String>,
    pub manage_ownership: Option<bool>,
    pub online_ddl: Option<bool>,
    pub lock_retries: Option<u32>,
    pub platform: Option<String>,
}

/// What a managed platform provides (see `crate::platform`): a preset's lists plus the
/// project's additions.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    /// The preset's name, if one is in force.
    pub name: Option<String>,
    /// Schemas the platform owns: never managed, except user triggers and policies on
    /// their tables and user grants and comments on their objects.
    pub schemas: Vec<String>,
    /// Roles the platform provides: created on scratch clusters when missing.
    pub roles: Vec<String>,
    /// Extensions the platform installs: never dropped.
    pub extensions: Vec<String>,
    /// Publications the platform made: only which user tables they publish is managed.
    pub publications: Vec<String>,
    /// The search path migrations run with on the platform.
    pub search_path: Option<String>,
    /// SQL creating the platform's schemas where no live database has them.
    pub schemas_sql: Option<String>,
    /// SQL of the platform's defaults in the user's schemas.
    pub defaults_sql: Option<String>,
}

impl Platform {
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty() && self.roles.is_empty() && self.extensions.is_empty() && self.schemas_sql.is_none()
    }

    /// What identifies it for the desired-state cache.
    pub fn fingerprint(&self) -> String {
        crate::history::checksum(&format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            self.schemas,
            self.roles,
            self.extensions,
            self.publications,
            self.search_path,
            self.schemas_sql,
            self.defaults_sql
        ))
    }
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    /// The project root (where schemaspec.toml is, or the current directory).
    pub root: PathBuf,
    /// Whether `root` is a project: it holds schemaspec.toml, or it was named (`-C`).
    /// Outside a project nothing starts the embedded PostgreSQL.
    pub in_project: bool,
    pub database_url: Option<String>,
    pub dev_url: Option<String>,
    pub schema_dirs: Vec<PathBuf>,
    pub migrations_dir: PathBuf,
    pub tracking_schema: String,
    pub tracking_table: String,
    /// Only these schemas are managed; empty means every non-system schema.
    pub schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    pub max_file_lines: usize,
    /// `generate` writes a proved down block into each file when it writes at most this
    /// many (each costs two catalog reads of the scratch database); 0 writes none.
    pub down_blocks_max_files: usize,
    pub lock_timeout: String,
    pub statement_timeout: String,
    /// Make owners match the schema files' `ALTER ... OWNER TO` (off by default).
    pub manage_ownership: bool,
    /// Tables never managed (`name` or `schema.name`).
    pub unmanaged_tables: Vec<String>,
    /// Online forms on existing tables (CONCURRENTLY, NOT VALID then VALIDATE).
    pub online_ddl: bool,
    /// How often `apply` retries a statement (or a transactional file) that could not
    /// get its lock within `lock_timeout`, waiting longer each time.
    pub lock_retries: u32,
    /// `apply` refuses pending files whose hazards need consent not given with
    /// `apply --allow-hazards`.
    pub apply_checks_hazards: bool,
    pub platform: Platform,
    /// Roles the schema files use that exist outside schemaspec: created (NOLOGIN) on
    /// scratch clusters when missing.
    pub roles: Vec<String>,
    pub targets_query: Option<String>,
    pub targets_command: Option<String>,
    /// The live database, already parsed: one member of a fleet (`cmd::fleet`), which
    /// `database_url` (the fleet's control database) does not name.
    pub live: Option<crate::pg::Target>,
    pub tenant_schema: Option<String>,
    pub tenants_query: Option<String>,
    /// The tenant schema this configuration is aimed at (one member of a schema-per-tenant
    /// fleet, `cmd::fleet`): its migrations are the template's retargeted, its tracking
    /// table its own (`tenant_tracking_table`).
    pub tenant: Option<String>,
    /// Schemas the live database's environment (`cmd::environment`) is read without:
    /// for a tenant, its neighbours.
    pub environment_exclude: Vec<String>,
}

impl Config {
    /// The folder a command runs in: the nearest of `start` and its parents that holds
    /// schemaspec.toml, as git and cargo find theirs.
    pub fn find_root(start: &Path) -> Option<PathBuf> {
        start.ancestors().find(|d| d.join(CONFIG_FILE).is_file()).map(Path::to_path_buf)
    }

    pub fn load(root: &Path, overrides: Overrides) -> Result<Config, Error> {
        let path = root.join(CONFIG_FILE);
        let in_project = path.exists();
        let file: FileConfig = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| Error::Config { path: path.clone(), message: toml_error(&text, &e) })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => return Err(Error::Config { path, message: e.to_string() }),
        };
        let platform = platform(&path, root, overrides.platform.or(file.platform.clone()), &file)?;
        let tracking = overrides
            .tracking_table
            .or(file.tracking_table)
            .unwrap_or_else(|| "schemaspec.schema_migrations".to_string());
        let (tracking_schema, tracking_table) = match tracking.split_once('.') {
            Some((s, t)) if !s.is_empty() && !t.is_empty() => (s.to_string(), t.to_string()),
            _ => {
                return Err(Error::Config {
                    path,
                    message: format!("tracking_table must be `schema.table`, got {tracking:?}"),
                })
            }
        };
        let schemas = if overrides.schemas.is_empty() { file.schemas.unwrap_or_default() } else { overrides.schemas };
        let exclude_schemas = if overrides.exclude_schemas.is_empty() {
            file.exclude_schemas.unwrap_or_default()
        } else {
            overrides.exclude_schemas
        };
        // The tracking schema is never managed: in a schema that is, it would take the
        // user's objects out of every plan without a word.
        let managed = if platform.schemas.contains(&tracking_schema) {
            false
        } else if schemas.is_empty() {
            tracking_schema == "public" && !exclude_schemas.contains(&tracking_schema)
        } else {
            schemas.contains(&tracking_schema)
        };
        if managed {
            return Err(Error::failed(
                format!(
                    "{}: tracking_table = {tracking:?} is in schema {tracking_schema}, which schemaspec manages; the tracking schema is never managed, so every object in {tracking_schema} would silently drop out of plans",
                    path.display()
                ),
                "keep the tracking table in a schema of its own: tracking_table = \"schemaspec.schema_migrations\" (the default)",
            ));
        }
        let tenant_schema = file.tenant_schema.filter(|s| !s.trim().is_empty());
        if let Some(t) = &tenant_schema {
            if !crate::sqltext::retarget::is_plain(t) {
                return Err(Error::failed(
                    format!("{}: tenant_schema = {t:?} is not a plain lowercase name", path.display()),
                    "the template schema's name is replaced in each tenant's migrations: use a lowercase name that needs no quoting and names nothing else, e.g. tenant_template",
                ));
            }
            if !schemas.contains(t) {
                return Err(Error::failed(
                    format!("{}: tenant_schema = {t:?} is not among the managed schemas", path.display()),
                    format!("list the managed schemas, the template among them (schemas = [\"{t}\"]): tenant schemas must not be managed as schemas of their own"),
                ));
            }
        }
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { root.join(p) };
        let schema_dirs = if !overrides.schema_dirs.is_empty() {
            overrides.schema_dirs
        } else {
            file.schema_dirs.unwrap_or_else(|| vec![PathBuf::from("schema")])
        };
        let max_file_lines = overrides.max_file_lines.or(file.max_file_lines).unwrap_or(200);
        if max_file_lines < 10 {
            return Err(Error::Config { path, message: "max_file_lines must be at least 10".into() });
        }
        let lock_timeout = overrides.lock_timeout.or(file.lock_timeout).unwrap_or_else(|| "10s".into());
        let statement_timeout = overrides.statement_timeout.or(file.statement_timeout).unwrap_or_else(|| "0".into());
        for (key, value) in [("lock_timeout", &lock_timeout), ("statement_timeout", &statement_timeout)] {
            if !is_duration(value) {
                return Err(Error::Config {
                    path,
                    message: format!(
                        "{key} = {value:?} is not a duration PostgreSQL accepts (a number with us, ms, s, min, h or d, e.g. \"10s\"; 0 for none)"
                    ),
                });
            }
        }
        Ok(Config {
            in_project,
            root: root.to_path_buf(),
            database_url: overrides.database_url.or(file.database_url).filter(|s| !s.is_empty()),
            dev_url: overrides.dev_url.or(file.dev_url).filter(|s| !s.is_empty()),
            schema_dirs: schema_dirs.into_iter().map(resolve).collect(),
            migrations_dir: resolve(
                overrides.migrations_dir.or(file.migrations_dir).unwrap_or_else(|| PathBuf::from("generated")),
            ),
            tracking_schema,
            tracking_table,
            schemas,
            exclude_schemas,
            max_file_lines,
            down_blocks_max_files: file.down_blocks_max_files.unwrap_or(50),
            lock_timeout,
            statement_timeout,
            manage_ownership: overrides.manage_ownership.or(file.manage_ownership).unwrap_or(false),
            unmanaged_tables: file
                .unmanaged_tables
                .unwrap_or_else(|| DEFAULT_UNMANAGED_TABLES.iter().map(|t| t.to_string()).collect()),
            online_ddl: overrides.online_ddl.or(file.online_ddl).unwrap_or(true),
            lock_retries: overrides.lock_retries.or(file.lock_retries).unwrap_or(5),
            apply_checks_hazards: file.apply_checks_hazards.unwrap_or(false),
            roles: file.roles.unwrap_or_default(),
            targets_query: file.targets_query.filter(|s| !s.trim().is_empty()),
            targets_command: file.targets_command.filter(|s| !s.trim().is_empty()),
            live: None,
            tenant_schema,
            tenants_query: file.tenants_query.filter(|s| !s.trim().is_empty()),
            tenant: None,
            environment_exclude: Vec::new(),
            platform,
        })
    }

    pub fn plan_options(&self) -> crate::plan::Options {
        crate::plan::Options { online: self.online_ddl }
    }

    /// The introspection scope: never the tracking schema, nor the platform's schemas
    /// (but the user's triggers and policies on their tables).
    pub fn scope(&self) -> crate::pg::introspect::Scope {
        let mut exclude = self.exclude_schemas.clone();
        exclude.push(self.tracking_schema.clone());
        exclude.extend(self.platform.schemas.iter().cloned());
        crate::pg::introspect::Scope {
            exclude,
            only: (!self.schemas.is_empty()).then(|| self.schemas.clone()),
            unmanaged_tables: self.unmanaged_tables.clone(),
            platform: self.platform.schemas.clone(),
            platform_extensions: self.platform.extensions.clone(),
            platform_publications: self.platform.publications.clone(),
        }
    }

    /// Roles every scratch cluster must have: the platform's and the project's own.
    pub fn external_roles(&self) -> Vec<String> {
        let mut roles: Vec<String> = self.platform.roles.iter().chain(&self.roles).cloned().collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

/// The platform in force: the named preset (if any) plus the file's additions.
fn platform(path: &Path, root: &Path, name: Option<String>, file: &FileConfig) -> Result<Platform, Error> {
    let mut p = Platform::default();
    if let Some(name) = name.filter(|n| !n.is_empty() && n != "none") {
        let preset = crate::platform::preset(&name).ok_or_else(|| Error::Config {
            path: path.to_path_buf(),
            message: format!(
                "platform = {name:?} is not a platform schemaspec knows ({}); describe it with platform_schemas, platform_roles and platform_extensions instead",
                crate::platform::PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
            ),
        })?;
        p.name = Some(preset.name.to_string());
        p.schemas = preset.schemas.iter().map(|s| s.to_string()).collect();
        p.roles = preset.roles.iter().map(|s| s.to_string()).collect();
        p.extensions = preset.extensions.iter().map(|s| s.to_string()).collect();
        p.publications = preset.publications.iter().map(|s| s.to_string()).collect();
        p.search_path = preset.search_path.map(str::to_string);
        p.schemas_sql = preset.schemas_sql.map(str::to_string);
        p.defaults_sql = preset.defaults_sql.map(str::to_string);
    }
    let add = |to: &mut Vec<String>, more: &Option<Vec<String>>| {
        for m in more.iter().flatten() {
            if !to.contains(m) {
                to.push(m.clone());
            }
        }
    };
    add(&mut p.schemas, &file.platform_schemas);
    add(&mut p.roles, &file.platform_roles);
    add(&mut p.extensions, &file.platform_extensions);
    if let Some(sp) = &file.platform_search_path {
        p.search_path = Some(sp.clone());
    }
    if let Some(file_path) = &file.platform_baseline {
        let full = if file_path.is_absolute() { file_path.clone() } else { root.join(file_path) };
        let sql = std::fs::read_to_string(&full).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: format!("platform_baseline = {}: {e}", file_path.display()),
        })?;
        p.schemas_sql = Some(sql);
    }
    Ok(p)
}

/// A TOML error by its line and what is wrong, without the excerpt of the file that
/// `toml` prints: the line may hold a connection string with a password.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let (line, column) = crate::sqltext::split::line_col(text, span.start);
            // The key (a setting's name) may be shown; its value may not.
            let key = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim())
                .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)));
            match key {
                Some(k) => format!("line {line}, column {column} ({k}): {}", e.message()),
                None => format!("line {line}, column {column}: {}", e.message()),
            }
        }
        None => e.message().to_string(),
    }
}

/// A value PostgreSQL takes for a time setting: digits (milliseconds) or a number with
/// a unit.
fn is_duration(v: &str) -> bool {
    let v = v.trim();
    let digits = v.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(v.len());
    let (number, unit) = v.split_at(digits);
    !number.is_empty() && number.parse::<f64>().is_ok() && ["", "us", "ms", "s", "min", "h", "d"].contains(&unit.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_file() {
        let dir = std::env::temp_dir().join(format!("schemaspec-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = Config::load(&dir, Overrides::default()).unwrap();
        assert_eq!(c.migrations_dir, dir.join("generated"));
        assert_eq!((c.tracking_schema.as_str(), c.tracking_table.as_str()), ("schemaspec", "schema_migrations"));
        assert_eq!(c.max_file_lines, 200);
        std::fs::write(dir.join(CONFIG_FILE), "migrations_dir = \"m\"\nbogus = 1\n").unwrap();
        let err = Config::load(&dir, Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
        std::fs::write(dir.join(CONFIG_FILE), "migrations_dir = \"m\"\n").unwrap();
        let c = Config::load(&dir, Overrides { migrations_dir: Some("o".into()), ..Default::default() }).unwrap();
        assert_eq!(c.migrations_dir, dir.join("o"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_tracking_table_in_a_managed_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let load = |tracking: &str, schemas: &[&str], exclude: &[&str]| {
            let o = Overrides {
                tracking_table: Some(tracking.into()),
                schemas: schemas.iter().map(|s| s.to_string()).collect(),
                exclude_schemas: exclude.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            };
            Config::load(dir.path(), o).map(|_| ()).map_err(|e| e.to_string())
        };
        assert!(load("public.schema_migrations", &[], &[]).unwrap_err().contains("which schemaspec manages"));
        assert!(load("app.schema_migrations", &["app"], &[]).is_err());
        assert!(load("public.schema_migrations", &["app"], &[]).is_ok());
        assert!(load("public.schema_migrations", &[], &["public"]).is_ok());
        assert!(load("ops.schema_migrations", &[], &[]).is_ok());
    }

    #[test]
    fn durations_postgresql_takes() {
        for ok in ["0", "10s", "500ms", "1.5s", "2min", "1h", "1d", "250", "10 s"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "soon", "s", "10sec", "-1s", "10 seconds"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}
