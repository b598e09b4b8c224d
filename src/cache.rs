//! The catalog caches, under `.schemaspec/cache/`: the normalized desired catalog, so
//! a warm `plan` loads no schema files; the live catalog, keyed by the database's
//! catalog fingerprint (`pg::introspect::fingerprint`), so a `plan` against a database
//! that has not changed since the last one reads two small queries' worth of it; and
//! the applied history replayed, so a warm `status` or `drift` replays nothing. Each
//! is keyed by everything that can change it: the files (the schema files, or the
//! migration files replayed: names and bytes; for the live entry, the fingerprint), the
//! dev server for the catalogs made on it (version, role, template0's collation and
//! encoding, the settings that shape created objects, the extension versions it
//! offers), the configuration that narrows or shapes the catalog, and the schemaspec
//! binary itself. Any change misses; an unreadable entry misses, and so does one whose
//! checksum (SHA-256 of what follows it) does not match: a corrupt entry is a miss,
//! never a wrong catalog. Beside them, small remembered values (`remember`): the clean
//! verdicts, and the catalog fingerprint with the server state it was taken in
//! (`cmd::catalog_fingerprint`). Only catalogs
//! made without taking anything from the live database are stored. A desired entry also
//! keeps the statements it was made from and its key without the files (`base`), so
//! that when only the files changed, the catalog can be reloaded in part
//! (`plan::reload`). An I/O edge like `migrations` (it owns its files).

use crate::catalog::{Catalog, ObjectId};
use crate::ident::QualifiedName;
use crate::pg::load::Source;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    /// The key without the files: what else the catalog depends on.
    base: String,
    /// The statements the catalog was made from, in file order (desired entries).
    statements: Vec<String>,
    catalog: Catalog,
    // Skipped by Catalog's own serialization (not schema state), needed by the diff.
    equivalents: Vec<(ObjectId, String)>,
    extension_members: Vec<(String, String)>,
    /// The schema files' own text of constraints and indexes, where rendering uses it.
    constraint_sources: Vec<(QualifiedName, String, String)>,
    index_sources: Vec<(QualifiedName, String)>,
}

/// The key of the catalog made from `sources`; with no sources, the base key.
pub fn key(sources: &[Source], server_facts: &str, config: &str) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(binary().as_bytes());
    field(server_facts.as_bytes());
    field(config.as_bytes());
    for s in sources {
        field(s.name.as_bytes());
        field(s.text.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The binary's own identity (its version, size and time): a rebuilt schemaspec may
/// normalize differently.
pub fn binary() -> String {
    let exe = std::env::current_exe().and_then(std::fs::metadata).ok();
    let stamp = exe.map(|m| format!("{}:{:?}", m.len(), m.modified().ok())).unwrap_or_default();
    format!("{} {stamp}", env!("CARGO_PKG_VERSION"))
}

/// What a cache entry holds: each slot keeps one entry, its newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The normalized desired catalog of the schema files (`plan`, `generate`).
    Desired,
    /// The catalog of the applied history replayed (`status`, `drift`, `revert`).
    Replay,
    /// The live database's catalog, keyed by its fingerprint (`plan`, `generate`).
    Live,
}

/// Whether the caches are used: not when `SCHEMASPEC_NO_CACHE` is set.
pub fn enabled() -> bool {
    std::env::var_os("SCHEMASPEC_NO_CACHE").is_none()
}

/// The folder of every cache entry and verdict.
pub fn dir(root: &Path) -> PathBuf {
    root.join(".schemaspec").join("cache")
}

fn path(root: &Path, slot: Slot) -> PathBuf {
    let name = match slot {
        Slot::Desired => "desired.bin",
        Slot::Replay => "replay.bin",
        Slot::Live => "live.bin",
    };
    dir(root).join(name)
}

pub fn load(root: &Path, key: &str) -> Option<Catalog> {
    load_slot(root, Slot::Desired, key)
}

/// What the desired slot holds for `key` and `base`.
pub enum Lookup {
    /// The catalog of exactly these files.
    Hit(Catalog),
    /// A catalog made under the same base key from other files, and their statements.
    Base(Catalog, Vec<String>),
    Miss,
}

/// The desired entry, read once, for `key` or else `base`.
pub fn lookup(root: &Path, key: &str, base: &str) -> Lookup {
    match read(root, Slot::Desired) {
        Some(e) if e.key == key => Lookup::Hit(e.catalog),
        Some(e) if e.base == base => Lookup::Base(e.catalog, e.statements),
        _ => Lookup::Miss,
    }
}

/// Store the desired catalog under `key` and `base`, made from `statements`.
pub fn store(root: &Path, key: &str, base: &str, statements: &[&str], catalog: &Catalog) {
    write(root, Slot::Desired, key, base, statements, catalog)
}

/// Whether there is a desired entry at all (it may still miss).
pub fn has_desired(root: &Path) -> bool {
    path(root, Slot::Desired).exists()
}

pub fn load_slot(root: &Path, slot: Slot, key: &str) -> Option<Catalog> {
    read(root, slot).filter(|e| e.key == key).map(|e| e.catalog)
}

/// An entry as read: its catalog whole again.
struct Loaded {
    key: String,
    base: String,
    statements: Vec<String>,
    catalog: Catalog,
}

/// A read of the desired entry started ahead (`prefetch`), for the path it reads.
type Prefetched = (PathBuf, std::thread::JoinHandle<Option<Loaded>>);
static PREFETCHED: std::sync::Mutex<Option<Prefetched>> = std::sync::Mutex::new(None);

/// Start reading the desired entry on a thread of its own, while the caller reads the
/// live database: a warm `plan` then waits for neither one after the other (reading and
/// checking a 5,000-table entry takes ~0.4 s). The next `lookup` takes what it read.
pub fn prefetch(root: &Path) {
    let p = path(root, Slot::Desired);
    let reading = p.clone();
    let spawned = std::thread::Builder::new().name("cache".into()).spawn(move || read_path(&reading));
    if let (Ok(handle), Ok(mut slot)) = (spawned, PREFETCHED.lock()) {
        *slot = Some((p, handle));
    }
}

/// The entry in `slot`, if its checksum holds.
fn read(root: &Path, slot: Slot) -> Option<Loaded> {
    let p = path(root, slot);
    let ahead = PREFETCHED.lock().ok().and_then(|mut slot| slot.take_if(|(at, _)| *at == p));
    match ahead {
        Some((_, handle)) => handle.join().ok().flatten(),
        None => read_path(&p),
    }
}

fn read_path(p: &Path) -> Option<Loaded> {
    let bytes = std::fs::read(p).ok()?;
    let (sum, payload) = bytes.split_at_checked(32)?;
    if Sha256::digest(payload).as_slice() != sum {
        tracing::debug!("the cache {} is corrupt: not used", p.display());
        return None;
    }
    let mut entry: Entry = bincode::deserialize(payload).ok()?;
    let (key, base, statements) =
        (std::mem::take(&mut entry.key), std::mem::take(&mut entry.base), std::mem::take(&mut entry.statements));
    Some(Loaded { key, base, statements, catalog: catalog_of(entry)? })
}

fn catalog_of(entry: Entry) -> Option<Catalog> {
    let mut catalog = entry.catalog;
    catalog.equivalents = entry.equivalents.into_iter().collect();
    catalog.extension_members = entry.extension_members.into_iter().collect();
    for (table, name, source) in entry.constraint_sources {
        catalog.tables.get_mut(&table)?.constraints.get_mut(&name)?.source = Some(source);
    }
    for (index, source) in entry.index_sources {
        catalog.indexes.get_mut(&index)?.source = Some(source);
    }
    Some(catalog)
}

/// `Entry` as written: the same fields in the same order, borrowed from the catalog
/// (a copy of a 5,000-table catalog is ~40 MB).
#[derive(Serialize)]
struct EntryRef<'a> {
    key: &'a str,
    base: &'a str,
    statements: &'a [&'a str],
    catalog: &'a Catalog,
    equivalents: Vec<(&'a ObjectId, &'a String)>,
    extension_members: Vec<(&'a String, &'a String)>,
    constraint_sources: Vec<(&'a QualifiedName, &'a String, &'a String)>,
    index_sources: Vec<(&'a QualifiedName, &'a String)>,
}

pub fn store_slot(root: &Path, slot: Slot, key: &str, catalog: &Catalog) {
    write(root, slot, key, "", &[], catalog)
}

/// Best effort: a cache that cannot be written only costs the next run its speed.
fn write(root: &Path, slot: Slot, key: &str, base: &str, statements: &[&str], catalog: &Catalog) {
    let entry = EntryRef {
        key,
        base,
        statements,
        catalog,
        equivalents: catalog.equivalents.iter().collect(),
        extension_members: catalog.extension_members.iter().collect(),
        constraint_sources: catalog
            .tables
            .values()
            .flat_map(|t| t.constraints.values().filter_map(|c| Some((&t.name, &c.name, c.source.as_ref()?))))
            .collect(),
        index_sources: catalog.indexes.values().filter_map(|i| Some((&i.name, i.source.as_ref()?))).collect(),
    };
    let p = path(root, slot);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir(root))?;
        let payload = bincode::serialize(&entry).map_err(std::io::Error::other)?;
        // Only its owner reads it: the live entry holds what the database holds.
        replace_private(&p, &[Sha256::digest(&payload).as_slice(), &payload])
    };
    if let Err(e) = write() {
        tracing::warn!("could not write the cache {}: {e}", p.display());
    }
}

/// Write `parts` to a new file at `path` that only its owner can read (every cache file
/// is: what they hold comes from the databases).
fn write_private(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    for part in parts {
        std::io::Write::write_all(&mut file, part)?;
    }
    Ok(())
}

/// Replace the file at `path` with `parts`, its owner's alone: written aside under a
/// name of its own per write (a fleet marks verdicts at once) and renamed, so a reader
/// never sees half a file.
pub fn replace_private(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    let written = write_private(&tmp, parts).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A verdict that holds for as long as its key does: `status` and `drift` mark a live
/// catalog they found to match its history (`clean`), keyed by the catalog's fingerprint
/// (`pg::introspect::fingerprint`), the history and the rest of what the comparison
/// depends on. The newest `VERDICTS` keys are kept, one per line: a fleet's databases
/// each have their own.
pub fn mark(root: &Path, name: &str, key: &str) {
    remember(root, name, key, "")
}

/// `mark`, with what else was found under the same key (one line, no tab): `status`
/// keeps the objects of kinds it does not manage, which the same catalog holds as long
/// as the key holds.
pub fn remember(root: &Path, name: &str, key: &str, value: &str) {
    const VERDICTS: usize = 4096;
    let value = value.replace(['\n', '\r', '\t'], " ");
    let p = dir(root).join(name);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir(root))?;
        let old = std::fs::read_to_string(&p).unwrap_or_default();
        let mut lines: Vec<String> =
            old.lines().filter(|l| l.split('\t').next() != Some(key)).map(str::to_string).collect();
        lines.push(if value.is_empty() { key.to_string() } else { format!("{key}\t{value}") });
        let keep = &lines[lines.len().saturating_sub(VERDICTS)..];
        replace_private(&p, &[(keep.join("\n") + "\n").as_bytes()])
    };
    if let Err(e) = write() {
        tracing::warn!("could not write the cache {}: {e}", p.display());
    }
}

/// Whether the verdict `name` was marked with `key`.
pub fn marked(root: &Path, name: &str, key: &str) -> bool {
    remembered(root, name, key).is_some()
}

/// What was remembered with the verdict `name` under `key` ("" for a bare mark); None
/// when it was not marked.
pub fn remembered(root: &Path, name: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir(root).join(name)).ok()?;
    text.lines().find_map(|l| match l.split_once('\t') {
        Some((k, v)) if k == key => Some(v.to_string()),
        None if l == key => Some(String::new()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Constraint, ConstraintKind, Index, Table};

    /// What `store` writes, `load` reads back whole, the fields Catalog's own
    /// serialization skips included; another key misses.
    #[test]
    fn an_entry_reads_back_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = QualifiedName::new("app", "t");
        let mut catalog = Catalog { server_version: 150000, current_user: "me".into(), ..Catalog::default() };
        let check = Constraint {
            name: "t_check".into(),
            kind: ConstraintKind::Check,
            definition: "CHECK ((a > 0))".into(),
            local: true,
            source: Some("CHECK (a > 0)".into()),
        };
        let table =
            Table { constraints: [("t_check".to_string(), check)].into_iter().collect(), ..Table::empty(name.clone()) };
        catalog.tables.insert(name.clone(), table);
        let index = QualifiedName::new("app", "t_idx");
        catalog.indexes.insert(
            index.clone(),
            Index {
                name: index.clone(),
                table: name.clone(),
                definition: "CREATE INDEX t_idx ON app.t USING btree (a)".into(),
                valid: false,
                source: Some("create index t_idx on app.t (a)".into()),
            },
        );
        catalog.equivalents.insert(ObjectId::Table(name), "equivalent".into());
        catalog.extension_members.insert("citext".into(), "citext".into());
        store(dir.path(), "k1", "b1", &["CREATE TABLE app.t ()"], &catalog);
        // Catalog's equality covers the skipped fields too.
        assert_eq!(load(dir.path(), "k1").as_ref(), Some(&catalog));
        assert_eq!(load(dir.path(), "k2"), None);
        // By its base key, with its statements.
        assert!(matches!(lookup(dir.path(), "k1", "b1"), Lookup::Hit(c) if c == catalog));
        let statements = vec!["CREATE TABLE app.t ()".to_string()];
        assert!(matches!(lookup(dir.path(), "k2", "b1"), Lookup::Base(c, s) if c == catalog && s == statements));
        assert!(matches!(lookup(dir.path(), "k2", "b2"), Lookup::Miss));
        // One changed byte anywhere is a miss, never another catalog.
        let p = path(dir.path(), Slot::Desired);
        let good = std::fs::read(&p).unwrap();
        for at in [0, 40, good.len() / 2, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x20;
            std::fs::write(&p, &bad).unwrap();
            assert_eq!(load(dir.path(), "k1"), None, "byte {at} changed");
        }
        std::fs::write(&p, &good).unwrap();
        // Slots do not see each other's entries.
        assert_eq!(load_slot(dir.path(), Slot::Replay, "k1"), None);
        assert!(!marked(dir.path(), "clean", "k1"));
        mark(dir.path(), "clean", "k1");
        assert!(marked(dir.path(), "clean", "k1") && !marked(dir.path(), "clean", "k2"));
        mark(dir.path(), "clean", "k2");
        assert!(marked(dir.path(), "clean", "k1") && marked(dir.path(), "clean", "k2"));
        // What is kept with a verdict comes back with it, on one line; a bare mark has none.
        remember(dir.path(), "clean", "k1", "[\"a\tb\"]\nx");
        assert_eq!(remembered(dir.path(), "clean", "k1").as_deref(), Some("[\"a b\"] x"));
        assert_eq!(remembered(dir.path(), "clean", "k2").as_deref(), Some(""));
        assert_eq!(remembered(dir.path(), "clean", "k3"), None);
        store_slot(dir.path(), Slot::Replay, "k1", &Catalog::default());
        assert_eq!(load_slot(dir.path(), Slot::Replay, "k1"), Some(Catalog::default()));
        assert!(load(dir.path(), "k1").is_some_and(|c| c.current_user == "me"));
        // A corrupt entry is a miss, never an error.
        std::fs::write(path(dir.path(), Slot::Replay), b"not a catalog").unwrap();
        assert_eq!(load_slot(dir.path(), Slot::Replay, "k1"), None);
    }
}
