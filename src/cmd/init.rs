//! `schemaspec init`: scaffold a project. Never overwrites anything.

use super::*;
use crate::config::CONFIG_FILE;

const CONFIG_TEMPLATE: &str = r#"# schemaspec configuration. Every key can also be set by a flag or environment
# variable (see `schemaspec --help` and docs/configuration.md).

# Database to migrate. Unset: schemaspec runs its own local PostgreSQL in .schemaspec/.
# database_url = "postgres://app@localhost:5432/app"     # or DATABASE_URL

# Server where scratch databases may be created (to load the schema files).
# dev_url = "postgres://postgres@localhost:5432/postgres"  # or SCHEMASPEC_DEV_URL

schema_dirs = ["schema"]
migrations_dir = "generated"
tracking_table = "schemaspec.schema_migrations"

# Only these schemas are managed (default: every non-system schema).
# schemas = ["public"]
# exclude_schemas = ["audit"]

max_file_lines = 200
# Make owners match the schema files' ALTER ... OWNER TO.
# manage_ownership = false
lock_timeout = "10s"
statement_timeout = "0"
"#;

const SCHEMA_TEMPLATE: &str = "-- Declarative schema: write the objects as they should be; schemaspec works out the\n-- migrations. Any number of .sql files, in any order.\n";

pub fn run(config: &Config, out: &mut dyn Write) -> Result<i32, Error> {
    let root = &config.root;
    let mut create = |path: std::path::PathBuf, content: Option<&str>| -> Result<(), Error> {
        let shown = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        if path.exists() {
            writeln!(out, "exists  {shown}").map_err(io)?;
            return Ok(());
        }
        match content {
            Some(text) => std::fs::write(&path, text),
            None => std::fs::create_dir_all(&path),
        }
        .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
        writeln!(out, "created {shown}").map_err(io)
    };
    create(root.join(CONFIG_FILE), Some(CONFIG_TEMPLATE))?;
    let schema_dir = config.schema_dirs.first().cloned().unwrap_or_else(|| root.join("schema"));
    let had_schema = schema_dir.exists();
    create(schema_dir.clone(), None)?;
    if !had_schema {
        create(schema_dir.join("schema.sql"), Some(SCHEMA_TEMPLATE))?;
    }
    create(config.migrations_dir.clone(), None)?;
    // Keep the embedded cluster out of version control.
    let gitignore = root.join(".gitignore");
    let current = std::fs::read_to_string(&gitignore).unwrap_or_default();
    if !current.lines().any(|l| l.trim() == ".schemaspec/") {
        let sep = if current.is_empty() || current.ends_with('\n') { "" } else { "\n" };
        std::fs::write(&gitignore, format!("{current}{sep}.schemaspec/\n"))
            .map_err(|e| Error::Other(format!("{}: {e}", gitignore.display())))?;
        writeln!(out, "added   .schemaspec/ to .gitignore").map_err(io)?;
    }
    Ok(EXIT_OK)
}
