//! The desired-state cache: the normalized desired catalog, stored under
//! `.schemaspec/cache/` and keyed by everything that can change it, so a warm `plan`
//! reads only the live side. The key covers the schema files (names and bytes), the
//! dev server (version, role, template0's collation and encoding, the settings that
//! shape created objects, the extension versions it offers), the configuration that
//! narrows or shapes the catalog, and the schemaspec binary itself. Any change misses;
//! an unreadable entry misses. Only catalogs loaded without taking anything from the
//! live database are stored. An I/O edge like `migrations` (it owns its one file).

use crate::catalog::{Catalog, ObjectId};
use crate::ident::QualifiedName;
use crate::pg::load::Source;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    catalog: Catalog,
    // Skipped by Catalog's own serialization (not schema state), needed by the diff.
    equivalents: Vec<(ObjectId, String)>,
    extension_members: Vec<(String, String)>,
    /// The schema files' own text of constraints and indexes, where rendering uses it.
    constraint_sources: Vec<(QualifiedName, String, String)>,
    index_sources: Vec<(QualifiedName, String)>,
}

pub fn key(sources: &[Source], server_facts: &str, config: &str) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(env!("CARGO_PKG_VERSION").as_bytes());
    // The binary's own identity: a rebuilt schemaspec may normalize differently.
    let exe = std::env::current_exe().and_then(std::fs::metadata).ok();
    let stamp = exe.map(|m| format!("{}:{:?}", m.len(), m.modified().ok())).unwrap_or_default();
    field(stamp.as_bytes());
    field(server_facts.as_bytes());
    field(config.as_bytes());
    for s in sources {
        field(s.name.as_bytes());
        field(s.text.as_bytes());
    }
    hex::encode(h.finalize())
}

fn path(root: &Path) -> PathBuf {
    root.join(".schemaspec").join("cache").join("desired.bin")
}

pub fn load(root: &Path, key: &str) -> Option<Catalog> {
    let bytes = std::fs::read(path(root)).ok()?;
    let entry: Entry = bincode::deserialize(&bytes).ok()?;
    if entry.key != key {
        return None;
    }
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

/// Best effort: a cache that cannot be written only costs the next run its speed.
pub fn store(root: &Path, key: &str, catalog: &Catalog) {
    let entry = Entry {
        key: key.to_string(),
        catalog: catalog.clone(),
        equivalents: catalog.equivalents.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        extension_members: catalog.extension_members.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        constraint_sources: catalog
            .tables
            .values()
            .flat_map(|t| {
                t.constraints.values().filter_map(|c| Some((t.name.clone(), c.name.clone(), c.source.clone()?)))
            })
            .collect(),
        index_sources: catalog.indexes.values().filter_map(|i| Some((i.name.clone(), i.source.clone()?))).collect(),
    };
    let p = path(root);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(p.parent().expect("has a parent"))?;
        let bytes = bincode::serialize(&entry).map_err(std::io::Error::other)?;
        // Written aside and renamed: a reader never sees half a file.
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &p)
    };
    if let Err(e) = write() {
        tracing::warn!("could not write the desired-state cache {}: {e}", p.display());
    }
}
