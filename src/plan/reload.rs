//! A partial reload of the desired state. Editing one schema file of a large project
//! should not cost a load of every file: when the files change, `reload` compares their
//! statements with those the cached desired catalog was made from and names the part
//! to load again:
//!
//! - **reloaded**: the objects whose statements changed, were added or removed (every
//!   statement that creates or changes an object, grants on it or comments on it counts
//!   for its name), the objects that depend on them (transitively; a table holding a
//!   foreign key to one is reloaded, what depends on it is not followed), the objects of
//!   a new name that unchanged statements mention (the name meant something else or
//!   nothing before), and every object sharing a name with one of those. Every
//!   statement touching one of their names runs again, in file order.
//! - **copied**: what those statements mention that is not reloaded, and what that needs
//!   in turn, created from the cached catalog as a proof's part is (`scope::restrict`):
//!   tables as supports (columns, checks, unique keys), views, routines, types and
//!   sequences whole; every schema and extension.
//!
//! `splice` then replaces the reloaded objects' entries of the cached catalog with what
//! the partial database holds of them. A reload is refused, and everything loaded
//! again, wherever its result could differ from a full load: statements a reload does not
//! follow (`TouchKind::Opaque`: DO blocks, data, other object kinds), a changed schema,
//! extension, setting, default privilege or grant on all tables, a table family or a
//! foreign table in the part, a copied object that depends on a reloaded one or that a
//! later statement changes after a reloaded statement read it (`SELECT *` sees the
//! columns of its moment), and, in `splice`, anything the partial load made that was
//! not meant to be reloaded. Pure: no I/O.

use super::scope::{anchor, is_foreign_key, restrict, ProofScope};
use crate::catalog::{Catalog, ObjectId};
use crate::ident::QualifiedName;
use crate::sqltext::order::{touches, Touch, TouchKind};
use std::collections::{BTreeMap, BTreeSet};

/// What `reload` decides.
#[derive(Debug)]
pub enum Outcome {
    /// The statements are those of the cached catalog, in an order that gives the same
    /// result: it stands as it is.
    Same,
    /// Load only this part.
    Partial(Box<Reload>),
    /// Load everything again, for this reason.
    Full(String),
}

/// The part to load again (see the module's documentation).
#[derive(Debug)]
pub struct Reload {
    /// Indexes of the new statements to run, in file order.
    pub statements: Vec<usize>,
    /// What the partial database holds before they run, from the cached catalog.
    pub copy: Catalog,
    /// The cached catalog's objects (anchors) whose entries the partial load replaces.
    pub whole: BTreeSet<ObjectId>,
}

/// The relations, routines, types, sequences and collations of `c`, by name (without
/// schema); an index or statistics object's name stands for its table.
fn anchors_by_name(c: &Catalog) -> BTreeMap<&str, Vec<ObjectId>> {
    let mut by: BTreeMap<&str, Vec<ObjectId>> = BTreeMap::new();
    let ids = c
        .tables
        .keys()
        .map(|q| (q, ObjectId::Table(q.clone())))
        .chain(c.views.keys().map(|q| (q, ObjectId::View(q.clone()))))
        .chain(c.types.keys().map(|q| (q, ObjectId::Type(q.clone()))))
        .chain(c.sequences.keys().map(|q| (q, ObjectId::Sequence(q.clone()))))
        .chain(c.collations.keys().map(|q| (q, ObjectId::Collation(q.clone()))))
        .chain(c.functions.keys().map(|(q, a)| (q, ObjectId::Function(q.clone(), a.clone()))));
    for (q, id) in ids {
        by.entry(q.name.as_str()).or_default().push(id);
    }
    let parts = c
        .indexes
        .keys()
        .map(|q| (q, ObjectId::Index(q.clone())))
        .chain(c.statistics.keys().map(|q| (q, ObjectId::Statistics(q.clone()))));
    for (q, id) in parts {
        if let Some(a) = anchor(c, c, &id) {
            by.entry(q.name.as_str()).or_default().push(a);
        }
    }
    by
}

/// The relations, routines, types, sequences and collations `c` holds.
fn anchors_of(c: &Catalog) -> BTreeSet<ObjectId> {
    anchors_by_name(c).into_values().flatten().collect()
}

/// The first words of a statement, for a reason.
fn head(sql: &str) -> String {
    let line: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    format!("`{line} ...`")
}

/// Per name, the statements touching it, in order, each with how many ordered
/// statements (settings...) come before it: its place relative to those counts.
fn by_name<'a>(texts: &[&'a str], ts: &[&'a Touch]) -> BTreeMap<&'a str, Vec<(usize, &'a str)>> {
    let mut out: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
    let mut barriers = 0;
    for (text, t) in texts.iter().zip(ts) {
        match t.kind {
            TouchKind::Ordered => barriers += 1,
            TouchKind::Local => {
                for n in &t.names {
                    out.entry(n.as_str()).or_default().push((barriers, text));
                }
            }
            TouchKind::Global | TouchKind::Opaque => {}
        }
    }
    out
}

/// Whether a statement may change what a statement reading its object sees: it
/// redefines it (`CREATE OR REPLACE`), or adds, drops or retypes a column, an attribute
/// or a value (not a constraint: a copy has those a reader can need).
fn reshapes(sql: &str) -> bool {
    let w = crate::lint::words(sql);
    let at = |i: usize| w.get(i).map_or("", String::as_str);
    if at(0) == "create" {
        return at(1) == "or";
    }
    if at(0) != "alter" {
        return false;
    }
    const KEYS: [&str; 6] = ["constraint", "primary", "unique", "check", "foreign", "exclude"];
    (2..w.len()).any(|i| match at(i) {
        "add" | "drop" => !KEYS.contains(&at(i + 1)),
        "type" => true,
        _ => false,
    })
}

/// Whether a statement creates a table `LIKE` another.
fn likes(sql: &str) -> bool {
    let w = crate::lint::words(sql);
    w.first().is_some_and(|f| f == "create")
        && w.iter().take(6).any(|x| x == "table")
        && w.windows(2).any(|p| (p[0] == "(" || p[0] == ",") && p[1] == "like")
}

/// What of the cached `old` catalog (made from `old_texts`) to load again now that the
/// statements are `new_texts` (see the module's documentation).
pub fn reload(old_texts: &[&str], new_texts: &[&str], old: &Catalog) -> Outcome {
    // Tokenized once per distinct text: most statements are on both sides.
    let mut distinct: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for t in old_texts.iter().chain(new_texts) {
        let next = distinct.len();
        distinct.entry(t).or_insert(next);
    }
    let mut texts = vec![""; distinct.len()];
    for (t, &i) in &distinct {
        texts[i] = t;
    }
    let all = touches(&texts);
    let of = |side: &[&str]| -> Vec<&Touch> { side.iter().map(|t| &all[distinct[t]]).collect() };
    let (t_old, t_new) = (of(old_texts), of(new_texts));
    for (texts, ts) in [(old_texts, &t_old), (new_texts, &t_new)] {
        if let Some(i) = ts.iter().position(|t| t.kind == TouchKind::Opaque) {
            return Outcome::Full(format!("a partial reload does not follow {}", head(texts[i])));
        }
    }
    let of_kind = |texts: &[&str], ts: &[&Touch], kind: TouchKind| -> Vec<String> {
        texts.iter().zip(ts).filter(|(_, t)| t.kind == kind).map(|(s, _)| s.to_string()).collect()
    };
    if of_kind(old_texts, &t_old, TouchKind::Ordered) != of_kind(new_texts, &t_new, TouchKind::Ordered) {
        return Outcome::Full("a setting, default privilege or grant on all objects changed".into());
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    if sorted(of_kind(old_texts, &t_old, TouchKind::Global)) != sorted(of_kind(new_texts, &t_new, TouchKind::Global)) {
        return Outcome::Full("a schema or extension statement changed".into());
    }
    let (before, after) = (by_name(old_texts, &t_old), by_name(new_texts, &t_new));
    let mut seeds: BTreeSet<String> =
        before.keys().chain(after.keys()).filter(|n| before.get(*n) != after.get(*n)).map(|n| n.to_string()).collect();
    if seeds.is_empty() {
        return Outcome::Same;
    }
    if let Some(s) = seeds.iter().find(|n| old.schemas.contains_key(*n)) {
        return Outcome::Full(format!("a statement on `{s}`, a schema's name, changed"));
    }
    let by = anchors_by_name(old);
    // Statements mentioning a new name are reloaded with it.
    loop {
        let fresh: BTreeSet<&str> = seeds.iter().map(String::as_str).filter(|n| !by.contains_key(n)).collect();
        let more: Vec<String> = t_new
            .iter()
            .filter(|t| t.kind == TouchKind::Local && t.mentions.iter().any(|m| fresh.contains(m.as_str())))
            .flat_map(|t| t.names.iter().filter(|n| !seeds.contains(*n)).cloned())
            .collect();
        if more.is_empty() {
            break;
        }
        seeds.extend(more);
    }
    let named = |names: &BTreeSet<String>| -> BTreeSet<ObjectId> {
        names.iter().filter_map(|n| by.get(n.as_str())).flatten().cloned().collect()
    };
    // Dependents, transitively; a foreign key's holder is reloaded, not followed.
    let edges: Vec<(Option<ObjectId>, Option<ObjectId>, bool)> = old
        .depends
        .iter()
        .map(|(d, r)| (anchor(old, old, d), anchor(old, old, r), is_foreign_key(old, old, d)))
        .collect();
    let mut followed = named(&seeds);
    let mut holders = BTreeSet::new();
    loop {
        let mut more = Vec::new();
        for (d, r, fk) in &edges {
            let Some(r) = r else { continue };
            if !followed.contains(r) {
                continue;
            }
            let Some(d) = d else { return Outcome::Full(format!("an object outside relations depends on {r}")) };
            if followed.contains(d) || holders.contains(d) {
                continue;
            }
            if *fk {
                holders.insert(d.clone());
            } else {
                more.push(d.clone());
            }
        }
        if more.is_empty() {
            break;
        }
        followed.extend(more);
    }
    let mut whole: BTreeSet<ObjectId> = followed.into_iter().chain(holders).collect();
    // Sequences owned by a reloaded table come with it.
    for (q, s) in &old.sequences {
        if s.owned_by.as_ref().is_some_and(|(t, _)| whole.contains(&ObjectId::Table(t.clone()))) {
            whole.insert(ObjectId::Sequence(q.clone()));
        }
    }
    // Every statement touching a reloaded name runs again, so whatever else has that
    // name is reloaded too.
    let mut names: BTreeSet<String> = seeds;
    names.extend(whole.iter().map(|a| a.name().to_string()));
    whole.extend(named(&names));
    let statements: Vec<usize> = t_new
        .iter()
        .enumerate()
        .filter(|(_, t)| match t.kind {
            TouchKind::Ordered => true,
            TouchKind::Local => t.names.iter().any(|n| names.contains(n)),
            TouchKind::Global | TouchKind::Opaque => false,
        })
        .map(|(i, _)| i)
        .collect();
    // What they mention, and what that needs: tables as supports, the rest whole.
    let mut first_read: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in &statements {
        for m in &t_new[i].mentions {
            if by.contains_key(m.as_str()) && !names.contains(m) {
                first_read.entry(m.as_str()).or_insert(i);
            }
        }
    }
    // A copy holds an object as the files leave it; a statement that reads it before a
    // later one reshapes it saw it otherwise.
    for (i, t) in t_new.iter().enumerate() {
        let read_before = t.names.iter().find(|n| first_read.get(n.as_str()).is_some_and(|&r| r < i));
        if let Some(n) = read_before.filter(|_| reshapes(new_texts[i])) {
            return Outcome::Full(format!("{} changes `{n}` after a reloaded statement read it", head(new_texts[i])));
        }
    }
    let mut copied: BTreeSet<ObjectId> = BTreeSet::new();
    let mut supports: BTreeSet<QualifiedName> = BTreeSet::new();
    let mut frontier: Vec<ObjectId> = Vec::new();
    // `CREATE TABLE ... (LIKE t INCLUDING ALL)` copies t's indexes and comments too: t
    // is copied whole.
    let liked: BTreeSet<&str> = statements
        .iter()
        .filter(|&&i| likes(new_texts[i]))
        .flat_map(|&i| t_new[i].mentions.iter().map(String::as_str))
        .collect();
    for (n, id) in
        first_read.keys().filter_map(|n| Some((*n, by.get(n)?))).flat_map(|(n, ids)| ids.iter().map(move |id| (n, id)))
    {
        if whole.contains(id) {
            continue;
        }
        let fresh = match id {
            ObjectId::Table(q) if !liked.contains(n) => supports.insert(q.clone()),
            _ => copied.insert(id.clone()),
        };
        if fresh {
            frontier.push(id.clone());
        }
    }
    while !frontier.is_empty() {
        let members: BTreeSet<ObjectId> = std::mem::take(&mut frontier).into_iter().collect();
        for (d, r, fk) in &edges {
            let Some(d) = d else { continue };
            if !members.contains(d) || *fk && matches!(d, ObjectId::Table(q) if supports.contains(q)) {
                continue;
            }
            let Some(r) = r else { return Outcome::Full(format!("{d} needs an object outside relations")) };
            if whole.contains(r) {
                return Outcome::Full(format!("{d}, copied, needs {r}, reloaded"));
            }
            let fresh = match r {
                ObjectId::Table(q) => supports.insert(q.clone()),
                _ => copied.insert(r.clone()),
            };
            if fresh {
                frontier.push(r.clone());
            }
        }
    }
    // Families of tables and foreign tables: the whole load.
    let parents: BTreeSet<&QualifiedName> = old.tables.values().flat_map(|t| t.inherits.iter()).collect();
    let in_part = whole.iter().filter_map(|id| match id {
        ObjectId::Table(q) => Some(q),
        _ => None,
    });
    for q in in_part.chain(supports.iter()) {
        let family = old.tables.get(q).is_some_and(|t| {
            t.partitioned || t.partition_of.is_some() || !t.inherits.is_empty() || t.foreign.is_some()
        });
        if family || parents.contains(q) {
            return Outcome::Full(format!("table {q} is partitioned, inherits, is inherited from or is foreign"));
        }
    }
    let scope = ProofScope { whole: copied, supports, outside: BTreeSet::new() };
    let mut copy = restrict(old, &scope);
    // Default privileges act where their statements run (they run in the partial load).
    copy.default_privileges.clear();
    copy.event_triggers.clear();
    copy.collations.retain(|q, _| !whole.contains(&ObjectId::Collation(q.clone())));
    Outcome::Partial(Box::new(Reload { statements, copy, whole }))
}

/// `old` with the entries of the reloaded objects (`reload.whole`) replaced by what the
/// partial database (`part`, read whole) holds of the objects its statements made; an
/// error where `part` holds what a splice cannot place.
pub fn splice(old: &Catalog, part: &Catalog, reload: &Reload) -> Result<Catalog, String> {
    let copied = anchors_of(&reload.copy);
    let before = anchors_of(old);
    for a in anchors_of(part) {
        if !copied.contains(&a) && !reload.whole.contains(&a) && before.contains(&a) {
            return Err(format!("the partial load made {a}, which it was not to reload"));
        }
    }
    if !part.unmodeled.is_empty() || !part.defined.is_empty() || !part.publications.is_empty() {
        return Err("the partial load made objects known only by their definition".into());
    }
    let own = |id: &ObjectId| anchor(part, part, id).is_some_and(|a| !copied.contains(&a));
    let gone = |id: &ObjectId| anchor(old, old, id).is_some_and(|a| reload.whole.contains(&a));
    for t in part.tables.values().filter(|t| own(&ObjectId::Table(t.name.clone()))) {
        if t.partitioned || t.partition_of.is_some() || !t.inherits.is_empty() || t.foreign.is_some() {
            return Err(format!("table {} is partitioned, inherits or is foreign", t.name));
        }
    }
    fn merge<K: Ord + Clone, V: Clone>(
        old: &BTreeMap<K, V>,
        part: &BTreeMap<K, V>,
        id: impl Fn(&K) -> ObjectId,
        gone: &dyn Fn(&ObjectId) -> bool,
        own: &dyn Fn(&ObjectId) -> bool,
    ) -> BTreeMap<K, V> {
        let kept = old.iter().filter(|(k, _)| !gone(&id(k)));
        let made = part.iter().filter(|(k, _)| own(&id(k)));
        kept.chain(made).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
    let same = |id: &ObjectId| id.clone();
    let q = |f: fn(QualifiedName) -> ObjectId| move |k: &QualifiedName| f(k.clone());
    let pair =
        |f: fn(QualifiedName, String) -> ObjectId| move |(a, b): &(QualifiedName, String)| f(a.clone(), b.clone());
    type Test<'a> = &'a dyn Fn(&ObjectId) -> bool;
    let (g, o): (Test, Test) = (&gone, &own);
    let depends = old
        .depends
        .iter()
        .filter(|(d, _)| !gone(d))
        .chain(part.depends.iter().filter(|(d, _)| own(d)))
        .map(|(d, r)| (d.clone(), r.clone()))
        .collect();
    Ok(Catalog {
        collations: merge(&old.collations, &part.collations, q(ObjectId::Collation), g, o),
        types: merge(&old.types, &part.types, q(ObjectId::Type), g, o),
        sequences: merge(&old.sequences, &part.sequences, q(ObjectId::Sequence), g, o),
        tables: merge(&old.tables, &part.tables, q(ObjectId::Table), g, o),
        indexes: merge(&old.indexes, &part.indexes, q(ObjectId::Index), g, o),
        statistics: merge(&old.statistics, &part.statistics, q(ObjectId::Statistics), g, o),
        views: merge(&old.views, &part.views, q(ObjectId::View), g, o),
        functions: merge(&old.functions, &part.functions, pair(ObjectId::Function), g, o),
        triggers: merge(&old.triggers, &part.triggers, pair(ObjectId::Trigger), g, o),
        rules: merge(&old.rules, &part.rules, pair(ObjectId::Rule), g, o),
        policies: merge(&old.policies, &part.policies, pair(ObjectId::Policy), g, o),
        owners: merge(&old.owners, &part.owners, same, g, o),
        comments: merge(&old.comments, &part.comments, same, g, o),
        privileges: merge(&old.privileges, &part.privileges, same, g, o),
        equivalents: merge(&old.equivalents, &part.equivalents, same, g, o),
        depends,
        ..old.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Table;

    fn catalog(tables: &[&str]) -> Catalog {
        let mut c = Catalog::default();
        c.schemas.insert("app".into(), crate::catalog::Schema { name: "app".into() });
        for t in tables {
            let q = QualifiedName::new("app", *t);
            c.tables.insert(q.clone(), Table::empty(q));
        }
        c
    }

    fn partial(o: Outcome) -> Reload {
        match o {
            Outcome::Partial(r) => *r,
            other => panic!("expected a partial reload, got {other:?}"),
        }
    }

    /// One table's statement changed: only its statements run again, what they mention
    /// is copied, the rest is left alone.
    #[test]
    fn an_edit_reloads_its_object_and_copies_what_it_mentions() {
        let old = ["CREATE TABLE app.a (id int PRIMARY KEY)", "CREATE TABLE app.b (a_id int REFERENCES app.a)"];
        let new = ["CREATE TABLE app.a (id int PRIMARY KEY)", "CREATE TABLE app.b (a_id int REFERENCES app.a, n text)"];
        let r = partial(reload(&old, &new, &catalog(&["a", "b"])));
        assert_eq!(r.statements, vec![1]);
        assert_eq!(r.whole, [ObjectId::Table(QualifiedName::new("app", "b"))].into_iter().collect());
        assert_eq!(r.copy.tables.keys().map(|q| q.name.as_str()).collect::<Vec<_>>(), vec!["a"]);
    }

    #[test]
    fn what_a_reload_cannot_follow_loads_everything() {
        let c = catalog(&["a"]);
        let same = ["CREATE TABLE app.a (id int)"];
        assert!(matches!(reload(&same, &same, &c), Outcome::Same));
        let with_do = ["CREATE TABLE app.a (id int)", "DO $$ BEGIN END $$"];
        assert!(matches!(reload(&same, &with_do, &c), Outcome::Full(_)));
        let set = ["SET search_path = app", "CREATE TABLE app.a (id int)"];
        assert!(matches!(reload(&same, &set, &c), Outcome::Full(_)), "a setting added");
        let schema = ["CREATE SCHEMA app", "CREATE TABLE app.a (id int)"];
        assert!(matches!(reload(&same, &schema, &c), Outcome::Full(_)), "a schema statement added");
        // A statement moved to another file (same order) changes nothing.
        let two = ["CREATE TABLE app.a (id int)", "COMMENT ON TABLE app.a IS 'x'"];
        assert!(matches!(reload(&two, &two, &c), Outcome::Same));
        // A view that reads a table before a later statement changes it.
        let c = catalog(&["a", "v"]);
        let old =
            ["CREATE TABLE app.a (id int)", "CREATE VIEW app.v AS SELECT * FROM app.a", "ALTER TABLE app.a ADD x int"];
        let new = [
            "CREATE TABLE app.a (id int)",
            "CREATE VIEW app.v AS SELECT *, 1 FROM app.a",
            "ALTER TABLE app.a ADD x int",
        ];
        assert!(matches!(reload(&old, &new, &c), Outcome::Full(_)));
    }
}
