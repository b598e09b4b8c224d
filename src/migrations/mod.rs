//! The migrations directory: every read and write of migration files and the sum file.

use crate::error::Error;
use crate::history::{self, LocalMigration, SUM_FILE};
use std::path::{Path, PathBuf};

/// What the directory holds.
#[derive(Debug, Default)]
pub struct Directory {
    pub path: PathBuf,
    /// Migrations in version order.
    pub migrations: Vec<LocalMigration>,
    /// Files that are neither migrations nor the sum file (`.backup`, `.skip`, ...).
    pub strays: Vec<String>,
    pub sum: Option<String>,
}

impl Directory {
    pub fn versions(&self) -> std::collections::BTreeSet<String> {
        self.migrations.iter().map(|m| m.version.clone()).collect()
    }

    /// Versions that more than one file claims.
    pub fn duplicate_versions(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        for m in &self.migrations {
            *seen.entry(&m.version).or_default() += 1;
        }
        seen.into_iter().filter(|(_, n)| *n > 1).map(|(v, _)| v.to_string()).collect()
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Other(format!("{}: {e}", path.display()))
}

/// Read the directory; a missing directory is an empty one.
pub fn read(path: &Path) -> Result<Directory, Error> {
    let mut dir = Directory { path: path.to_path_buf(), ..Default::default() };
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(dir),
        Err(e) => return Err(io_error(path, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(path, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let file = entry.path();
        if !file.is_file() || name.starts_with('.') {
            continue;
        }
        if name == SUM_FILE {
            dir.sum = Some(std::fs::read_to_string(&file).map_err(|e| io_error(&file, e))?);
            continue;
        }
        if history::parse_file_name(&name).is_none() {
            dir.strays.push(name);
            continue;
        }
        let content = std::fs::read_to_string(&file).map_err(|e| io_error(&file, e))?;
        dir.migrations.extend(LocalMigration::new(&name, content));
    }
    dir.migrations.sort_by(|a, b| (&a.version, &a.file_name).cmp(&(&b.version, &b.file_name)));
    dir.strays.sort();
    Ok(dir)
}

/// Write new migration files and the updated sum file. Either all are written or, on
/// failure, the new files are removed again and the sum file is left as it was.
pub fn write(dir: &Directory, new: &[LocalMigration]) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(&dir.path).map_err(|e| io_error(&dir.path, e))?;
    let mut written = Vec::new();
    let result = (|| {
        for m in new {
            let path = dir.path.join(&m.file_name);
            if path.exists() {
                return Err(Error::Other(format!("{} already exists; not overwriting it", path.display())));
            }
            write_atomically(&path, &m.content)?;
            written.push(path);
        }
        let mut all = dir.migrations.clone();
        all.extend(new.iter().cloned());
        all.sort_by(|a, b| (&a.version, &a.file_name).cmp(&(&b.version, &b.file_name)));
        write_atomically(&dir.path.join(SUM_FILE), &history::sum_file(&all))
    })();
    if let Err(e) = result {
        for p in &written {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    Ok(written)
}

fn write_atomically(path: &Path, content: &str) -> Result<(), Error> {
    let tmp = path.with_extension("tmp-schemaspec");
    std::fs::write(&tmp, content).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_error(path, e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))
}

/// Every `.sql` file under the schema directories, sorted by path, with its text.
pub fn read_schema(dirs: &[PathBuf], root: &Path) -> Result<Vec<crate::pg::load::Source>, Error> {
    let mut files = Vec::new();
    for d in dirs {
        if !d.exists() {
            return Err(Error::Other(format!(
                "schema directory {} does not exist (run `schemaspec init`, or set schema_dirs in schemaspec.toml)",
                d.display()
            )));
        }
        collect_sql(d, &mut files)?;
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| io_error(&p, e))?;
            let name = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            Ok(crate::pg::load::Source { name, text })
        })
        .collect()
}

fn collect_sql(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if path.is_dir() {
            collect_sql(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
    Ok(())
}
