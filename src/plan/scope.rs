//! What a proof must copy of the live database. `generate` proves its files on a
//! scratch copy of the live schema; copying all of it costs as much as loading the
//! schema again (68 of the 82 s of a 5,000-table generate). The proof needs only the
//! part a plan can touch:
//!
//! - **whole**: every object the plan changes, and (transitively) every object that
//!   depends on one of them, whatever schema it is in: a view on a dropped column, a
//!   trigger calling a replaced function, another tool's view in an unmanaged schema.
//!   Copied with everything it has: columns, keys, indexes, triggers, policies, rules,
//!   statistics, grants, comments. A table holding a foreign key to a changed table is
//!   whole too, but what depends on it is not followed (a change to the referenced
//!   table reaches the key, not the holder's dependents).
//! - **needed**: what whole objects need to exist: referenced views, routines, types
//!   and sequences (whole, and what they need in turn), and referenced tables as
//!   *supports*: columns, defaults, checks and unique keys, without foreign keys,
//!   triggers, policies, rules, statistics, plain indexes, grants or comments.
//!
//! The same restriction applied to the live and the desired catalog gives what the
//! proof copies and what it compares with, so every changed object is checked exactly
//! as the full copy checks it. Where the part cannot be drawn with confidence (the
//! plan touches extensions, schemas dropped, publications, event triggers, default
//! privileges or objects known only by their definition; a table in it is
//! partitioned, inherits or is foreign), `scope`
//! returns `None` and the proof copies everything. Pure: no I/O.

use super::Plan;
use crate::catalog::{Catalog, ConstraintKind, ObjectId};
use crate::ident::QualifiedName;
use std::collections::BTreeSet;

/// The part of a catalog a proof copies (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProofScope {
    /// Copied with everything they have.
    pub whole: BTreeSet<ObjectId>,
    /// Tables copied with their columns, checks and unique keys only.
    pub supports: BTreeSet<QualifiedName>,
    /// Schemas not managed, copied whole: what the managed objects use there (a
    /// foreign key to `auth.users`, a call to `auth.uid()`) is not in their
    /// dependencies, which are read between managed objects.
    pub outside: BTreeSet<String>,
}

impl ProofScope {
    /// How many objects the copy holds.
    pub fn len(&self) -> usize {
        self.whole.len() + self.supports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.supports.is_empty()
    }
}

/// The relation, routine, type, sequence or collation an object lives in or is, as
/// one of the two catalogs has it; `None` for what a partial copy does not handle.
pub(crate) fn anchor(a: &Catalog, b: &Catalog, id: &ObjectId) -> Option<ObjectId> {
    let relation = |q: &QualifiedName| {
        if a.tables.contains_key(q) || b.tables.contains_key(q) {
            Some(ObjectId::Table(q.clone()))
        } else if a.views.contains_key(q) || b.views.contains_key(q) {
            Some(ObjectId::View(q.clone()))
        } else {
            None
        }
    };
    match id {
        ObjectId::Table(_)
        | ObjectId::View(_)
        | ObjectId::Type(_)
        | ObjectId::Sequence(_)
        | ObjectId::Function(..)
        | ObjectId::Collation(_)
        | ObjectId::Schema(_) => Some(id.clone()),
        ObjectId::Column(t, _)
        | ObjectId::Trigger(t, _)
        | ObjectId::Rule(t, _)
        | ObjectId::Constraint(t, _)
        | ObjectId::Policy(t, _) => relation(t),
        ObjectId::Index(q) => {
            let table = a.indexes.get(q).or_else(|| b.indexes.get(q)).map(|i| i.table.clone())?;
            relation(&table)
        }
        ObjectId::Statistics(q) => {
            let table = a.statistics.get(q).or_else(|| b.statistics.get(q)).map(|s| s.table.clone())?;
            relation(&table)
        }
        ObjectId::Extension(_)
        | ObjectId::EventTrigger(_)
        | ObjectId::Publication(_)
        | ObjectId::DefaultPrivileges(..)
        | ObjectId::Defined(..) => None,
    }
}

/// A dependency, its two ends anchored (`None`: not drawable), and what the scope
/// needs to know of its ends.
struct Edge {
    d: Option<ObjectId>,
    r: Option<ObjectId>,
    /// The dependent is a foreign key.
    foreign_key: bool,
    from_event_trigger: bool,
    /// The referenced object is an extension.
    on_extension: bool,
}

/// Whether a constraint is a foreign key in either catalog.
pub(crate) fn is_foreign_key(a: &Catalog, b: &Catalog, id: &ObjectId) -> bool {
    let ObjectId::Constraint(t, name) = id else { return false };
    [a, b].iter().any(|c| {
        c.tables.get(t).and_then(|t| t.constraints.get(name)).is_some_and(|k| k.kind == ConstraintKind::ForeignKey)
    })
}

/// The part of `live` (the live database seen whole) and `desired` a proof of `plan`
/// must copy and compare, or `None` where the whole copy is needed. `managed`: the
/// live database as managed (its schemas are the ones restricted).
pub fn scope(live: &Catalog, managed: &Catalog, desired: &Catalog, plan: &Plan) -> Option<ProofScope> {
    let mut seeds = BTreeSet::new();
    for step in &plan.steps {
        let subject = step.change.subject();
        // A schema made anew is fine; one dropped may hold what no plan names.
        if let ObjectId::Schema(s) = &subject {
            if !desired.schemas.contains_key(s) {
                return None;
            }
        }
        seeds.insert(anchor(live, desired, &subject)?);
        // A rename names the object under both names.
        if let crate::diff::Change::Rename(r) = &step.change {
            for id in rename_ids(r)? {
                seeds.insert(anchor(live, desired, &id)?);
            }
        }
    }
    // Every dependency anchored once: the loops below go over them until nothing grows.
    let edges: Vec<Edge> = live
        .depends
        .iter()
        .chain(desired.depends.iter())
        .map(|(dependent, referenced)| Edge {
            d: anchor(live, desired, dependent),
            r: anchor(live, desired, referenced),
            foreign_key: is_foreign_key(live, desired, dependent),
            from_event_trigger: matches!(dependent, ObjectId::EventTrigger(_)),
            on_extension: matches!(referenced, ObjectId::Extension(_)),
        })
        .collect();
    // Dependents, transitively; a foreign key's holder is whole, not followed further.
    let mut whole = seeds;
    let mut holders = BTreeSet::new();
    loop {
        let mut more = Vec::new();
        for e in &edges {
            let Some(r) = &e.r else { continue };
            if !whole.contains(r) {
                continue;
            }
            let d = e.d.clone()?;
            if whole.contains(&d) || holders.contains(&d) {
                continue;
            }
            if e.foreign_key {
                holders.insert(d);
            } else {
                more.push(d);
            }
        }
        if more.is_empty() {
            break;
        }
        whole.extend(more);
    }
    whole.extend(holders);
    // Event triggers are copied (they may refuse DDL), with the routines they call.
    for e in edges.iter().filter(|e| e.from_event_trigger) {
        whole.insert(e.r.clone()?);
    }
    // What they need: tables as supports, the rest whole; then what those need.
    let mut supports: BTreeSet<QualifiedName> = BTreeSet::new();
    let mut frontier: Vec<ObjectId> = whole.iter().cloned().collect();
    while !frontier.is_empty() {
        let members: BTreeSet<ObjectId> = frontier.drain(..).collect();
        for e in &edges {
            let Some(d) = &e.d else { continue };
            if !members.contains(d) {
                continue;
            }
            // A support table's foreign keys are not copied, so what they need is not.
            if e.foreign_key && matches!(d, ObjectId::Table(q) if supports.contains(q)) {
                continue;
            }
            let Some(r) = &e.r else {
                // Needs an extension's object (every extension is copied), or a
                // definition's: not drawable.
                if e.on_extension {
                    continue;
                }
                return None;
            };
            if whole.contains(r) {
                continue;
            }
            match r {
                ObjectId::Table(q) => {
                    if supports.insert(q.clone()) {
                        frontier.push(r.clone());
                    }
                }
                _ => {
                    whole.insert(r.clone());
                    frontier.push(r.clone());
                }
            }
        }
    }
    supports.retain(|q| !whole.contains(&ObjectId::Table(q.clone())));
    // Families of tables and foreign tables: the whole copy.
    let parents: BTreeSet<&QualifiedName> =
        live.tables.values().chain(desired.tables.values()).flat_map(|t| t.inherits.iter()).collect();
    let tables = whole.iter().filter_map(|id| match id {
        ObjectId::Table(q) => Some(q),
        _ => None,
    });
    for q in tables.chain(supports.iter()) {
        for c in [live, desired] {
            if let Some(t) = c.tables.get(q) {
                if t.partitioned || t.partition_of.is_some() || !t.inherits.is_empty() || t.foreign.is_some() {
                    return None;
                }
            }
        }
        if parents.contains(q) {
            return None;
        }
    }
    let outside = live.schemas.keys().filter(|s| !managed.schemas.contains_key(*s)).cloned().collect();
    // Even when it is most of the schema: the same proof, and one path for all.
    Some(ProofScope { whole, supports, outside })
}

/// Both names of a renamed object; `None` for a routine (every overload of its name).
fn rename_ids(r: &crate::kinds::rename::Change) -> Option<Vec<ObjectId>> {
    use crate::kinds::rename::Change as R;
    Some(match r {
        R::Table { from, to } => vec![ObjectId::Table(from.clone()), ObjectId::Table(to.clone())],
        R::Column { table, .. } | R::Constraint { table, .. } => vec![ObjectId::Table(table.clone())],
        R::Index { from, to } => vec![ObjectId::Index(from.clone()), ObjectId::Index(to.clone())],
        R::View { from, to, .. } => vec![ObjectId::View(from.clone()), ObjectId::View(to.clone())],
        R::Sequence { from, to } => vec![ObjectId::Sequence(from.clone()), ObjectId::Sequence(to.clone())],
        R::Type { from, to, .. } => vec![ObjectId::Type(from.clone()), ObjectId::Type(to.clone())],
        R::Routine { .. } => return None,
    })
}

/// `catalog` restricted to `scope`: whole objects with everything they have, support
/// tables trimmed to what others need of them, every schema, extension, collation,
/// event trigger and default privilege; no publications and nothing known only by its
/// definition (a plan touching those is proved on the whole copy).
pub fn restrict(catalog: &Catalog, scope: &ProofScope) -> Catalog {
    let outside = |q: &QualifiedName| scope.outside.contains(&q.schema);
    let whole = |id: &ObjectId| {
        anchor(catalog, catalog, id).is_some_and(|a| scope.whole.contains(&a) || scope.outside.contains(a.schema()))
    };
    let support = |q: &QualifiedName| scope.supports.contains(q);
    let kept = |id: &ObjectId| match id {
        ObjectId::Schema(_) | ObjectId::Extension(_) | ObjectId::EventTrigger(_) | ObjectId::DefaultPrivileges(..) => {
            true
        }
        ObjectId::Publication(_) | ObjectId::Defined(..) => false,
        ObjectId::Table(q) => whole(id) || support(q),
        ObjectId::Column(q, _) | ObjectId::Constraint(q, _) => whole(id) || support(q),
        ObjectId::Collation(_)
        | ObjectId::Type(_)
        | ObjectId::Sequence(_)
        | ObjectId::Function(..)
        | ObjectId::Index(_)
        | ObjectId::View(_)
        | ObjectId::Trigger(..)
        | ObjectId::Policy(..)
        | ObjectId::Statistics(_)
        | ObjectId::Rule(..) => whole(id),
    };
    let copied = |q: &QualifiedName| scope.whole.contains(&ObjectId::Table(q.clone())) || support(q) || outside(q);
    // Grants and comments of what is copied whole (a support's are not copied).
    let described = |id: &ObjectId| match id {
        ObjectId::Table(q) | ObjectId::Column(q, _) | ObjectId::Constraint(q, _) if support(q) => {
            scope.whole.contains(&ObjectId::Table(q.clone()))
        }
        _ => kept(id),
    };
    // Built by picking, not by cloning and trimming: a 5,000-table catalog is ~40 MB.
    let mut sequences = pick(&catalog.sequences, |q, _| whole(&ObjectId::Sequence(q.clone())));
    for s in sequences.values_mut() {
        if s.owned_by.as_ref().is_some_and(|(t, _)| !copied(t)) {
            s.owned_by = None;
        }
    }
    let mut tables = pick(&catalog.tables, |q, _| copied(q));
    for (q, t) in &mut tables {
        if !scope.whole.contains(&ObjectId::Table(q.clone())) && !outside(q) {
            t.constraints.retain(|_, k| k.kind != ConstraintKind::ForeignKey);
        }
    }
    Catalog {
        server_version: catalog.server_version,
        current_user: catalog.current_user.clone(),
        schemas: catalog.schemas.clone(),
        extensions: catalog.extensions.clone(),
        collations: catalog.collations.clone(),
        types: pick(&catalog.types, |q, _| whole(&ObjectId::Type(q.clone()))),
        sequences,
        tables,
        indexes: pick(&catalog.indexes, |q, i| {
            whole(&ObjectId::Index(q.clone())) || support(&i.table) && i.definition.starts_with("CREATE UNIQUE INDEX")
        }),
        statistics: pick(&catalog.statistics, |q, _| whole(&ObjectId::Statistics(q.clone()))),
        unmodeled: Default::default(),
        builtin_types: catalog.builtin_types.clone(),
        casts: catalog.casts.clone(),
        renames: catalog.renames.clone(),
        views: pick(&catalog.views, |q, _| whole(&ObjectId::View(q.clone()))),
        functions: pick(&catalog.functions, |(q, a), _| whole(&ObjectId::Function(q.clone(), a.clone()))),
        triggers: pick(&catalog.triggers, |(q, n), _| whole(&ObjectId::Trigger(q.clone(), n.clone()))),
        rules: pick(&catalog.rules, |(q, n), _| whole(&ObjectId::Rule(q.clone(), n.clone()))),
        defined: Default::default(),
        policies: pick(&catalog.policies, |(q, n), _| whole(&ObjectId::Policy(q.clone(), n.clone()))),
        event_triggers: catalog.event_triggers.clone(),
        publications: Default::default(),
        owners: pick(&catalog.owners, |id, _| kept(id)),
        default_privileges: catalog.default_privileges.clone(),
        comments: pick(&catalog.comments, |id, _| described(id)),
        privileges: pick(&catalog.privileges, |id, _| described(id)),
        extension_members: catalog.extension_members.clone(),
        equivalents: catalog.equivalents.clone(),
        depends: catalog
            .depends
            .iter()
            .filter(|(d, r)| kept(d) && kept(r))
            .map(|(d, r)| (d.clone(), r.clone()))
            .collect(),
        platform_objects: catalog.platform_objects.clone(),
    }
}

/// The entries of `map` that `keep` keeps.
fn pick<K: Ord + Clone, V: Clone>(
    map: &std::collections::BTreeMap<K, V>,
    keep: impl Fn(&K, &V) -> bool,
) -> std::collections::BTreeMap<K, V> {
    map.iter().filter(|(k, v)| keep(k, v)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Constraint, Index, Table};

    fn table(name: &str, keys: &[(&str, ConstraintKind)]) -> (QualifiedName, Table) {
        let q = QualifiedName::new("app", name);
        let constraints = keys
            .iter()
            .map(|(n, kind)| {
                let c = Constraint {
                    name: n.to_string(),
                    kind: *kind,
                    definition: format!("{n} definition"),
                    local: true,
                    source: None,
                };
                (n.to_string(), c)
            })
            .collect();
        (q.clone(), Table { constraints, ..Table::empty(q) })
    }

    fn index(name: &str, table: &str, unique: bool) -> (QualifiedName, Index) {
        let q = QualifiedName::new("app", name);
        let kind = if unique { "CREATE UNIQUE INDEX" } else { "CREATE INDEX" };
        let definition = format!("{kind} {name} ON app.{table} USING btree (id)");
        (q.clone(), Index { name: q, table: QualifiedName::new("app", table), definition, valid: true, source: None })
    }

    /// A whole table keeps everything; a support keeps its columns, checks and unique
    /// keys (what a foreign key to it needs), not its own keys to others or plain
    /// indexes; the rest of the schema is left out.
    #[test]
    fn restrict_keeps_whole_objects_and_trims_supports() {
        let mut c = Catalog::default();
        c.tables.extend([
            table("t", &[("t_s_fkey", ConstraintKind::ForeignKey), ("t_pkey", ConstraintKind::PrimaryKey)]),
            table("s", &[("s_u_fkey", ConstraintKind::ForeignKey), ("s_check", ConstraintKind::Check)]),
            table("u", &[]),
        ]);
        c.indexes.extend([index("t_plain", "t", false), index("s_code", "s", true), index("s_plain", "s", false)]);
        let t = QualifiedName::new("app", "t");
        let s = QualifiedName::new("app", "s");
        let scope = ProofScope {
            whole: [ObjectId::Table(t.clone())].into_iter().collect(),
            supports: [s.clone()].into_iter().collect(),
            outside: BTreeSet::new(),
        };
        let r = restrict(&c, &scope);
        assert_eq!(r.tables.keys().cloned().collect::<Vec<_>>(), vec![s.clone(), t.clone()]);
        assert_eq!(r.tables[&t].constraints.len(), 2);
        assert_eq!(r.tables[&s].constraints.keys().cloned().collect::<Vec<_>>(), vec!["s_check".to_string()]);
        let indexes: Vec<String> = r.indexes.keys().map(|q| q.name.clone()).collect();
        assert_eq!(indexes, vec!["s_code".to_string(), "t_plain".to_string()]);
        // A schema outside management is copied whole.
        let outside = ProofScope { outside: ["app".to_string()].into_iter().collect(), ..ProofScope::default() };
        assert_eq!(restrict(&c, &outside).tables.len(), 3);
    }
}
