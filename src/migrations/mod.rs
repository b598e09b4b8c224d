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

/// Held while a command writes into the migrations directory (`generate`, `baseline`,
/// `import`, `repair --renumber`, `check --fix`, `hash`): concurrent runs wait for each
/// other, so versions stay unique and the sum file lists every file. An advisory lock
/// (flock) on the directory itself: nothing is left behind, and it goes with the process.
pub struct DirLock {
    _lock: nix::fcntl::Flock<std::fs::File>,
}

/// Lock the migrations directory (creating it), waiting for another run that holds it
/// (`waiting` is called once, if so); then undo a renumbering that an earlier run left
/// half-done.
pub fn lock(path: &Path, waiting: &mut dyn FnMut()) -> Result<DirLock, Error> {
    use nix::fcntl::{Flock, FlockArg};
    std::fs::create_dir_all(path).map_err(|e| io_error(path, e))?;
    let open = || std::fs::File::open(path).map_err(|e| io_error(path, e));
    let lock = match Flock::lock(open()?, FlockArg::LockExclusiveNonblock) {
        Ok(l) => l,
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
            waiting();
            Flock::lock(open()?, FlockArg::LockExclusive).map_err(|(_, e)| io_error(path, e.into()))?
        }
        Err((_, e)) => return Err(io_error(path, e.into())),
    };
    recover(path)?;
    Ok(DirLock { _lock: lock })
}

/// Where `rename_all` records what it is about to do (a dot-file: never a stray).
const JOURNAL: &str = ".schemaspec-renumber.journal";

/// Undo a renumbering that did not finish (the process died half-way): every file back
/// under its old name, the old sum file back. Needs the directory lock.
fn recover(dir: &Path) -> Result<(), Error> {
    let journal = dir.join(JOURNAL);
    let text = match std::fs::read_to_string(&journal) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(&journal, e)),
    };
    let (renames, sum) = parse_journal(&text);
    undo_renames(dir, &renames)?;
    match sum {
        Some(sum) => write_atomically(&dir.join(SUM_FILE), &sum)?,
        None => {
            let _ = std::fs::remove_file(dir.join(SUM_FILE));
        }
    }
    std::fs::remove_file(&journal).map_err(|e| io_error(&journal, e))?;
    tracing::warn!("undid a renumbering in {} that an earlier run left half-done", dir.display());
    Ok(())
}

/// The journal: one `old<TAB>new` line per rename, then `--sum--` and the sum file as it
/// was (or `--no-sum--`).
fn journal_text(renames: &[(String, String)], sum: Option<&str>) -> String {
    let mut out: String = renames.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    match sum {
        Some(s) => out += &format!("--sum--\n{s}"),
        None => out += "--no-sum--\n",
    }
    out
}

fn parse_journal(text: &str) -> (Vec<(String, String)>, Option<String>) {
    let (head, sum) = match text.split_once("--sum--\n") {
        Some((h, s)) => (h, Some(s.to_string())),
        None => (text.split("--no-sum--").next().unwrap_or(""), None),
    };
    let renames =
        head.lines().filter_map(|l| l.split_once('\t')).map(|(a, b)| (a.to_string(), b.to_string())).collect();
    (renames, sum)
}

/// The temporary name of a file being renamed (a dot-file: never read as a migration).
fn renaming(old: &str) -> String {
    format!(".{old}.renumbering")
}

/// Put every file of `renames` back under its old name, from wherever it got to.
fn undo_renames(dir: &Path, renames: &[(String, String)]) -> Result<(), Error> {
    for (old, new) in renames.iter().rev() {
        let (old_p, tmp_p, new_p) = (dir.join(old), dir.join(renaming(old)), dir.join(new));
        if old_p.exists() {
            continue;
        }
        let from = if tmp_p.exists() { tmp_p } else { new_p };
        if from.exists() {
            std::fs::rename(&from, &old_p).map_err(|e| io_error(&old_p, e))?;
        }
    }
    Ok(())
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    let hint = match e.kind() {
        std::io::ErrorKind::InvalidData => "save the file as UTF-8",
        std::io::ErrorKind::PermissionDenied => "check the permissions of the path",
        _ => "check that the path is a directory you can write to and that its disk has space; files written by this run were removed again",
    };
    Error::failed(format!("{}: {e}", path.display()), hint)
}

/// Read the directory; a missing directory is an empty one. A renumbering another run
/// left half-done is undone first (under the directory lock); one in progress is waited
/// for.
pub fn read(path: &Path) -> Result<Directory, Error> {
    read_remembering(path, None)
}

/// `read`, with the normalized checksums of files read before taken from `cache` (a
/// cache folder, `cache::dir`): tokenizing every file is most of what reading a history
/// costs, and a normalized checksum depends on the file's bytes alone (see `Memo`).
pub fn read_remembering(path: &Path, cache: Option<&Path>) -> Result<Directory, Error> {
    if path.join(JOURNAL).exists() {
        drop(lock(path, &mut || {})?);
    }
    let Some(cache) = cache else { return read_files(path, &mut |_, text| history::normalized_checksum(text)) };
    let memo = Memo::load(cache);
    let mut used = Vec::new();
    let dir = read_files(path, &mut |raw, text| {
        let normalized = memo.known.get(raw).cloned().unwrap_or_else(|| history::normalized_checksum(text));
        used.push((raw.to_string(), normalized.clone()));
        normalized
    })?;
    used.sort();
    used.dedup();
    if used.len() != memo.known.len() || used.iter().any(|(raw, _)| !memo.known.contains_key(raw)) {
        Memo::store(cache, &used);
    }
    Ok(dir)
}

/// The normalized checksums of the migration files read last, by the checksum of each
/// file's bytes: `.schemaspec/cache/checksums`. Its first line names the binary that
/// computed them (another one may normalize differently), its second is the SHA-256 of
/// the lines after it: a file of another binary, or one damaged, is a miss for every
/// file, never a wrong checksum.
struct Memo {
    known: std::collections::HashMap<String, String>,
}

impl Memo {
    const FILE: &'static str = "checksums";

    fn load(cache: &Path) -> Memo {
        let text = std::fs::read_to_string(cache.join(Self::FILE)).unwrap_or_default();
        let mut parts = text.splitn(3, '\n');
        let (binary, digest, rest) = (parts.next(), parts.next(), parts.next().unwrap_or_default());
        let known =
            match binary == Some(crate::cache::binary().as_str()) && digest == Some(history::checksum(rest).as_str()) {
                true => rest
                    .lines()
                    .filter_map(|l| l.split_once('\t'))
                    .map(|(raw, normalized)| (raw.to_string(), normalized.to_string()))
                    .collect(),
                false => Default::default(),
            };
        Memo { known }
    }

    fn store(cache: &Path, entries: &[(String, String)]) {
        let rest: String = entries.iter().map(|(raw, normalized)| format!("{raw}\t{normalized}\n")).collect();
        let text = format!("{}\n{}\n{rest}", crate::cache::binary(), history::checksum(&rest));
        let path = cache.join(Self::FILE);
        let written =
            std::fs::create_dir_all(cache).and_then(|()| crate::cache::replace_private(&path, &[text.as_bytes()]));
        if let Err(e) = written {
            tracing::warn!("could not write the cache {}: {e}", path.display());
        }
    }
}

fn read_files(path: &Path, normalized: &mut dyn FnMut(&str, &str) -> String) -> Result<Directory, Error> {
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
        dir.migrations.extend(LocalMigration::new_with(&name, content, normalized));
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

/// Rewrite the sum file from the files as they are; returns the directory read.
pub fn rehash(path: &Path) -> Result<Directory, Error> {
    let dir = read(path)?;
    write(&dir, &[])?;
    Ok(dir)
}

/// Remove files written by a step that is being undone (best effort).
pub fn remove(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// Every file directly in another tool's migrations folder, by name: (name, text).
pub fn read_folder(path: &Path) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| io_error(path, e))? {
        let file = entry.map_err(|e| io_error(path, e))?.path();
        if !file.is_file() {
            continue;
        }
        let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        out.push((name, std::fs::read_to_string(&file).map_err(|e| io_error(&file, e))?));
    }
    out.sort();
    Ok(out)
}

/// Replace one file's content (`check --fix`).
pub fn rewrite(dir: &Path, file_name: &str, content: &str) -> Result<(), Error> {
    write_atomically(&dir.join(file_name), content)
}

/// Rename files (`repair --renumber`) and rewrite the sum file, all or nothing:
/// `(old, new)` names. Fails before touching anything when a new name is taken. What is
/// about to happen is journaled first; a failure part-way undoes it at once, and a
/// process killed part-way has it undone by the next run that reads the directory. Needs
/// the directory lock.
pub fn rename_all(dir: &Path, renames: &[(String, String)]) -> Result<Directory, Error> {
    for (_, new) in renames {
        if dir.join(new).exists() && !renames.iter().any(|(old, _)| old == new) {
            return Err(Error::Other(format!("{} already exists; not overwriting it", dir.join(new).display())));
        }
    }
    let sum = std::fs::read_to_string(dir.join(SUM_FILE)).ok();
    let journal = dir.join(JOURNAL);
    write_atomically(&journal, &journal_text(renames, sum.as_deref()))?;
    let result = (|| {
        // Through temporary names, so a chain of renames never overwrites a file.
        for (old, _) in renames {
            std::fs::rename(dir.join(old), dir.join(renaming(old))).map_err(|e| io_error(&dir.join(old), e))?;
        }
        for (old, new) in renames {
            std::fs::rename(dir.join(renaming(old)), dir.join(new)).map_err(|e| io_error(&dir.join(new), e))?;
        }
        let renamed = read_files(dir, &mut |_, text| history::normalized_checksum(text))?;
        write_atomically(&dir.join(SUM_FILE), &history::sum_file(&renamed.migrations))?;
        Ok(renamed)
    })();
    match result {
        Ok(renamed) => {
            std::fs::remove_file(&journal).map_err(|e| io_error(&journal, e))?;
            Ok(renamed)
        }
        Err(e) => {
            if let Err(undo) = recover(dir) {
                return Err(Error::failed(
                    format!("{e}; undoing the renames failed too: {undo}"),
                    format!(
                        "{JOURNAL} in {} lists every rename (old, new): the next schemaspec run undoes them",
                        dir.display()
                    ),
                ));
            }
            Err(e)
        }
    }
}

/// Move files into a subfolder (`baseline --archive-files`).
pub fn archive(dir: &Path, files: &[String], folder: &str) -> Result<PathBuf, Error> {
    let to = dir.join(folder);
    std::fs::create_dir_all(&to).map_err(|e| io_error(&to, e))?;
    for f in files {
        std::fs::rename(dir.join(f), to.join(f)).map_err(|e| io_error(&dir.join(f), e))?;
    }
    Ok(to)
}

/// Write a file whole or not at all: into a temporary dot-file beside it (never read as
/// a migration or reported as a stray), then renamed over it; the temporary file is
/// removed on any failure.
fn write_atomically(path: &Path, content: &str) -> Result<(), Error> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, content).and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_error(path, e)
    })
}

/// Write dumped schema files into `dir`. Existing `.sql` files there are an error,
/// unless `replace`, when they are removed first (only after every new file was
/// staged, so a failure leaves the directory as it was).
pub fn write_schema_dir(dir: &Path, files: &[(String, String)], replace: bool) -> Result<Vec<PathBuf>, Error> {
    let mut existing = Vec::new();
    if dir.exists() {
        collect_sql(dir, &mut existing)?;
    }
    if !existing.is_empty() && !replace {
        return Err(Error::Other(format!(
            "{} already holds {} .sql file(s); dump into an empty directory (--out DIR) or replace them with --force",
            dir.display(),
            existing.len()
        )));
    }
    let staging = dir.with_extension("schemaspec-dump");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io_error(&staging, e))?;
    for (name, content) in files {
        std::fs::write(staging.join(name), content).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staging);
            io_error(&staging.join(name), e)
        })?;
    }
    for f in &existing {
        std::fs::remove_file(f).map_err(|e| io_error(f, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let mut written = Vec::new();
    for (name, _) in files {
        std::fs::rename(staging.join(name), dir.join(name)).map_err(|e| io_error(&dir.join(name), e))?;
        written.push(dir.join(name));
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(written)
}

/// Every `.sql` file under the schema directories, sorted by path, with its text.
pub fn read_schema(dirs: &[PathBuf], root: &Path) -> Result<Vec<crate::pg::load::Source>, Error> {
    let mut files = Vec::new();
    for d in dirs {
        if !d.exists() {
            return Err(Error::failed(
                format!("schema directory {} does not exist", d.display()),
                "run `schemaspec init`, or set schema_dirs in schemaspec.toml (or --schema-dir)",
            ));
        }
        collect_sql(d, &mut files)?;
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| io_error(&p, e))?;
            // CRLF checkouts describe the same state (function bodies included).
            let text = if text.contains('\r') { text.replace("\r\n", "\n") } else { text };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn checksums(dir: &Directory) -> Vec<(String, String)> {
        dir.migrations.iter().map(|m| (m.file_name.clone(), m.checksum.clone())).collect()
    }

    /// The remembered checksums are the files' own: the same as read without them, a
    /// file edited is taken anew, and a memo damaged or of another binary is a miss.
    #[test]
    fn remembered_checksums_are_the_files_own() {
        let root = tempfile::tempdir().expect("temp dir");
        let (files, cache) = (root.path().join("generated"), root.path().join("cache"));
        std::fs::create_dir_all(&files).expect("folder");
        std::fs::write(files.join("20260101000000_a.sql"), "CREATE TABLE a (id int);  -- note\n").expect("write");
        std::fs::write(files.join("20260101000001_b.sql"), "create table b ();\r\n").expect("write");
        let plain = checksums(&read(&files).expect("read"));
        assert_eq!(checksums(&read_remembering(&files, Some(&cache)).expect("read")), plain);
        assert_eq!(Memo::load(&cache).known.len(), 2, "both remembered");
        assert_eq!(checksums(&read_remembering(&files, Some(&cache)).expect("read")), plain, "served");

        // The memo is what is read: a value planted under a valid digest is taken.
        let mut planted: Vec<(String, String)> = Memo::load(&cache).known.into_iter().collect();
        planted.sort();
        let raw_a = history::checksum("CREATE TABLE a (id int);  -- note\n");
        for (raw, normalized) in planted.iter_mut() {
            if *raw == raw_a {
                *normalized = "0".repeat(64);
            }
        }
        Memo::store(&cache, &planted);
        let served = checksums(&read_remembering(&files, Some(&cache)).expect("read"));
        assert_eq!(served[0].1, "0".repeat(64));

        // Damaged (the digest no longer matches): every file taken anew.
        let text = std::fs::read_to_string(cache.join(Memo::FILE)).expect("memo");
        std::fs::write(cache.join(Memo::FILE), text.replace(&"0".repeat(64), &"1".repeat(64))).expect("write");
        assert_eq!(checksums(&read_remembering(&files, Some(&cache)).expect("read")), plain, "damaged");

        // Of another binary: the same.
        Memo::store(&cache, &planted);
        let text = std::fs::read_to_string(cache.join(Memo::FILE)).expect("memo");
        let other = text.replacen(&crate::cache::binary(), "0.0.0 another", 1);
        std::fs::write(cache.join(Memo::FILE), other).expect("write");
        assert_eq!(checksums(&read_remembering(&files, Some(&cache)).expect("read")), plain, "another binary");

        // A file edited: its new bytes are a new key.
        std::fs::write(files.join("20260101000001_b.sql"), "create table b (id int);\n").expect("write");
        let edited = checksums(&read(&files).expect("read"));
        assert_ne!(edited, plain);
        assert_eq!(checksums(&read_remembering(&files, Some(&cache)).expect("read")), edited);
        assert_eq!(Memo::load(&cache).known.len(), 2, "only the files read are kept");
    }
}
