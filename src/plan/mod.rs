//! Orders changes with a dependency graph and attaches hazards.
//!
//! Nodes are the changes, added in a fixed order; edges come from `pg_depend` on both
//! sides (the desired catalog orders creates, the live one orders drops). The
//! topological sort breaks ties stably: creates before drops ("drops late"), then it
//! keeps going with the same table while it can, so a table's columns, constraints,
//! indexes and policies sit together, then by kind and name. A cycle is reported with
//! every object in it. Pure: no I/O.

pub mod files;
pub mod online;
pub mod reload;
pub mod scope;

pub use online::Options;

use crate::catalog::{Catalog, ObjectId, RoutineKind};
use crate::diff::{self, Change, Phase};
use crate::ident::QualifiedName;
use crate::kinds;
use crate::sql::guard::Cond;
use crate::sql::{self, Statement};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// What a statement may do to a running database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hazard {
    /// Drops a table, column, schema or sequence: rows or values are gone.
    DeletesData,
    /// Rewrites every row of a table under an ACCESS EXCLUSIVE lock.
    RewritesTable,
    /// Builds an index on an existing table (blocks writes unless CONCURRENTLY).
    BuildsIndex,
    /// Scans an existing table to validate a constraint.
    ValidatesConstraint,
    /// Cannot run inside a transaction block.
    NoTransaction,
    /// Drops and recreates an object that other sessions may be using.
    RecreatesObject,
    /// Holds an ACCESS EXCLUSIVE lock on a table with rows while it scans or rewrites
    /// it: every read and write of the table waits.
    AccessExclusiveLock,
    /// Adds, renames or removes enum values (clients that cache enum labels see new ones).
    ChangesEnum,
    /// Rows keep their stored values but those now read differently: an enum label
    /// renamed in place (every row holding it now holds the new label).
    ChangesMeaning,
    /// Access control gets weaker: a policy dropped (not replaced), row-level security
    /// disabled or no longer forced, a privilege granted to PUBLIC.
    WeakensSecurity,
}

impl Hazard {
    pub const ALL: [Hazard; 10] = [
        Hazard::DeletesData,
        Hazard::RewritesTable,
        Hazard::BuildsIndex,
        Hazard::ValidatesConstraint,
        Hazard::NoTransaction,
        Hazard::RecreatesObject,
        Hazard::AccessExclusiveLock,
        Hazard::ChangesEnum,
        Hazard::ChangesMeaning,
        Hazard::WeakensSecurity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Hazard::DeletesData => "deletes_data",
            Hazard::RewritesTable => "rewrites_table",
            Hazard::BuildsIndex => "builds_index",
            Hazard::ValidatesConstraint => "validates_constraint",
            Hazard::NoTransaction => "no_transaction",
            Hazard::RecreatesObject => "recreates_object",
            Hazard::AccessExclusiveLock => "access_exclusive_lock",
            Hazard::ChangesEnum => "changes_enum",
            Hazard::ChangesMeaning => "changes_meaning",
            Hazard::WeakensSecurity => "weakens_security",
        }
    }

    pub fn parse(s: &str) -> Option<Hazard> {
        Hazard::ALL.into_iter().find(|h| h.name() == s.trim().to_ascii_lowercase().replace('-', "_"))
    }

    /// Hazards that `generate` refuses unless they are named in `--allow-hazards`.
    pub fn needs_consent(self) -> bool {
        match self {
            Hazard::DeletesData | Hazard::RewritesTable | Hazard::ChangesMeaning | Hazard::WeakensSecurity => true,
            Hazard::BuildsIndex
            | Hazard::ValidatesConstraint
            | Hazard::NoTransaction
            | Hazard::RecreatesObject
            | Hazard::AccessExclusiveLock
            | Hazard::ChangesEnum => false,
        }
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One ordered step of a plan.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// In JSON, as plans name it: `table public.notes`, `column public.notes.body`.
    #[serde(serialize_with = "object_as_text")]
    pub object: ObjectId,
    pub description: String,
    #[serde(serialize_with = "statements_as_text")]
    pub statements: Vec<Statement>,
    pub hazards: BTreeSet<Hazard>,
    /// Steps with the same group belong in the same migration file.
    pub group: String,
    #[serde(skip)]
    pub change: Change,
}

fn object_as_text<S: serde::Serializer>(id: &ObjectId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

fn statements_as_text<S: serde::Serializer>(v: &[Statement], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|st| &st.sql))
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// What the plan should say besides its steps: drops and adds that look like
    /// undeclared renames, and columns re-created for want of a cast.
    pub fn notes(&self) -> Vec<String> {
        let changes: Vec<&Change> = self.steps.iter().map(|s| &s.change).collect();
        let mut out = kinds::rename::candidates(&changes);
        out.extend(kinds::column::notes(&changes));
        out
    }

    pub fn hazards(&self) -> BTreeSet<Hazard> {
        self.steps.iter().flat_map(|s| s.hazards.iter().copied()).collect()
    }
}

/// What a plan re-creates without what it held (a table, a column), each as a sentence:
/// reverting a drop brings the object back, but not its rows.
pub fn lost_on_return(plan: &Plan) -> Vec<String> {
    use crate::kinds::{column::Change as Col, table::Change as Tab};
    plan.steps
        .iter()
        .filter_map(|s| match &s.change {
            Change::Table(Tab::Create(t)) if t.foreign.is_none() => Some(format!("table {}", t.name)),
            Change::Column(Col::Add { table, column }) => Some(format!("column {table}.{}", column.name)),
            _ => None,
        })
        .map(|what| format!("{what} comes back empty: reverting its drop cannot bring its data back"))
        .collect()
}

#[derive(Debug, thiserror::Error)]
#[error("dependency cycle between: {}", .members.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", "))]
pub struct CycleError {
    pub members: Vec<ObjectId>,
}

/// Diff two catalogs and order the result, in online forms where `options` ask for them.
pub fn build(live: &Catalog, desired: &Catalog, options: Options) -> Result<Plan, CycleError> {
    // Ordering and online forms see the live database as it is once its renames ran.
    let (live, changes) = diff::diff_renamed(live, desired);
    let live: &Catalog = &live;
    let ordered = order(changes, live, desired)?;
    let tables = |phase: Phase| -> BTreeSet<QualifiedName> {
        ordered
            .iter()
            .filter(|c| c.phase() == phase && matches!(c.subject(), ObjectId::Table(_)))
            .filter_map(relation_name)
            .collect()
    };
    let (created_tables, dropped_tables) = (tables(Phase::Create), tables(Phase::Drop));
    let existing = online::Existing { live, created: &created_tables, dropped: &dropped_tables };
    let guards = DropGuards::new(&ordered, live);
    // A drop whose object the plan creates again (a changed policy) weakens nothing.
    let created: BTreeSet<ObjectId> = ordered.iter().filter(|c| c.is_create()).map(Change::subject).collect();
    let hazards = |change: &Change| {
        let mut h = hazards(change, &created_tables);
        if change.phase() == Phase::Drop && created.contains(&change.subject()) {
            h.remove(&Hazard::WeakensSecurity);
        }
        h
    };
    let mut steps = Vec::with_capacity(ordered.len());
    let mut validations = Vec::new();
    for change in &ordered {
        let step = |description: String, statements, hazards, group| Step {
            object: change.subject(),
            description,
            statements,
            hazards,
            group,
            change: change.clone(),
        };
        let condition = guards.condition(change);
        let rewritten = if options.online { online::rewrite(change, &existing, condition.is_some()) } else { None };
        let (statements, hazards) = match rewritten {
            Some(o) => {
                if let Some(later) = o.later {
                    // A file of its own: the short lock of the first half is released
                    // before the scan starts.
                    let group = format!("validate {}", later.table);
                    validations.push(step(
                        later.description,
                        later.statements,
                        [Hazard::ValidatesConstraint].into(),
                        group,
                    ));
                }
                match o.then {
                    Some(then) => {
                        let built = describe(change) + " (index built concurrently)";
                        steps.push(step(built, o.statements, o.hazards, group_of(change)));
                        (then, BTreeSet::new())
                    }
                    None => (o.statements, o.hazards),
                }
            }
            None => {
                let statements = match &condition {
                    Some(cond) => sql::guarded_drop(change, cond),
                    None => change.kind().render(),
                };
                (statements, hazards(change))
            }
        };
        if !statements.is_empty() {
            steps.push(step(describe(change), statements, hazards, group_of(change)));
        }
    }
    drop(guards);
    steps.extend(validations);
    Ok(Plan { steps })
}

/// Conditions that make replacements safe to run twice. A replacement's drop runs only
/// while the object differs from its desired form or still depends on something in its
/// old form that this plan removes; after a first run neither holds, so a second run
/// leaves the new object (and whatever was built on it since) alone.
struct DropGuards<'a> {
    drops: HashMap<ObjectId, &'a Change>,
    creates: HashMap<ObjectId, &'a Change>,
    retyped: HashMap<ObjectId, Cond>,
    taken: BTreeSet<QualifiedName>,
    depends_on: HashMap<&'a ObjectId, Vec<&'a ObjectId>>,
}

impl<'a> DropGuards<'a> {
    fn new(changes: &'a [Change], live: &'a Catalog) -> Self {
        let mut depends_on: HashMap<&ObjectId, Vec<&ObjectId>> = HashMap::new();
        for (dep, referenced) in live.depends.iter() {
            depends_on.entry(dep).or_default().push(referenced);
        }
        DropGuards {
            drops: changes.iter().filter(|c| c.phase() == Phase::Drop).map(|c| (c.subject(), c)).collect(),
            creates: changes.iter().filter(|c| c.is_create()).map(|c| (c.subject(), c)).collect(),
            retyped: changes.iter().flat_map(|c| c.kind().retyped()).collect(),
            taken: changes.iter().filter(|c| c.is_create()).filter_map(relation_name).collect(),
            depends_on,
        }
    }

    /// True while `id` is still in the form this plan takes away (for a replaced object:
    /// while it or, transitively, what it depends on is still old).
    fn still_old(&self, id: &ObjectId, depth: usize) -> Option<Cond> {
        if let Some(t) = self.retyped.get(id) {
            return Some(t.clone());
        }
        let drop = self.drops.get(id)?;
        match self.creates.get(id) {
            Some(create) => {
                let parts = self.replaced_parts(id, drop, create, depth);
                (!parts.is_empty()).then(|| Cond::or(parts))
            }
            None => drop.kind().still_exists(),
        }
    }

    fn replaced_parts(&self, id: &ObjectId, drop: &Change, create: &Change, depth: usize) -> Vec<Cond> {
        let mut parts: Vec<Cond> = drop.kind().differs_from(create).into_iter().collect();
        if depth > 8 {
            return parts;
        }
        let mut on: Vec<&ObjectId> = self.depends_on.get(id).cloned().unwrap_or_default();
        on.sort();
        on.dedup();
        for referenced in on {
            let mut candidates = vec![referenced.clone()];
            candidates.extend(referenced.parents());
            for c in candidates.iter().filter(|c| *c != id) {
                if let Some(p) = self.still_old(c, depth + 1) {
                    if !parts.contains(&p) {
                        parts.push(p);
                    }
                }
            }
        }
        parts
    }

    fn condition(&self, change: &Change) -> Option<Cond> {
        if change.phase() != Phase::Drop {
            return None;
        }
        let id = change.subject();
        match self.creates.get(&id) {
            Some(create) => {
                let parts = self.replaced_parts(&id, change, create, 0);
                if parts.is_empty() {
                    return None;
                }
                let exists = change.kind().still_exists().unwrap_or(Cond::True);
                Some(Cond::and([exists, Cond::or(parts)]))
            }
            // The name goes to another kind of relation: a second run must not trip on it.
            None if relation_name(change).is_some_and(|n| self.taken.contains(&n)) => change.kind().still_exists(),
            None => None,
        }
    }
}

fn kind_rank(c: &Change) -> u8 {
    kinds::object_rank(&c.subject())
}

/// Within a kind: keys before checks before foreign keys, the order people write them.
fn sub_rank(c: &Change) -> u8 {
    c.kind().rank()
}

/// The table (or kind) a change belongs with, for keeping related steps together.
pub fn group_of(c: &Change) -> String {
    c.kind().group()
}

/// Relation name a change frees (drop) or takes (create), which share one namespace.
fn relation_name(c: &Change) -> Option<QualifiedName> {
    c.kind().relation_name()
}

fn is_finishing_touch(c: &Change) -> bool {
    c.kind().is_finishing_touch()
}

/// Objects a change needs to exist first, known from the change itself.
fn requires(c: &Change) -> Vec<ObjectId> {
    c.kind().requires()
}

/// (routine, object its body names) for routines whose bodies PostgreSQL does not track:
/// names resolved against the catalog's relations, types and routines, in any schema when
/// written unqualified.
fn body_references(c: &Catalog) -> Vec<(ObjectId, ObjectId)> {
    let mut by_name: HashMap<&str, Vec<ObjectId>> = HashMap::new();
    let relations = c.tables.keys().map(|q| ObjectId::Table(q.clone()));
    let views = c.views.keys().map(|q| ObjectId::View(q.clone()));
    let types = c.types.keys().map(|q| ObjectId::Type(q.clone()));
    let sequences = c.sequences.keys().map(|q| ObjectId::Sequence(q.clone()));
    let routines = c.functions.keys().map(|(q, a)| ObjectId::Function(q.clone(), a.clone()));
    let ids: Vec<ObjectId> = relations.chain(views).chain(types).chain(sequences).chain(routines).collect();
    for id in &ids {
        by_name.entry(id.name()).or_default().push(id.clone());
    }
    let mut out = Vec::new();
    for ((q, a), f) in &c.functions {
        if f.kind == RoutineKind::Aggregate || f.definition.contains("BEGIN ATOMIC") {
            continue;
        }
        let routine = ObjectId::Function(q.clone(), a.clone());
        for (schema, name) in crate::sqltext::order::body_mentions(&f.definition) {
            for id in by_name.get(name.as_str()).into_iter().flatten() {
                if *id != routine && schema.as_ref().is_none_or(|s| s == id.schema()) {
                    out.push((routine.clone(), id.clone()));
                }
            }
        }
    }
    out
}

/// Order changes so that each runs after what it needs and before what it frees.
pub fn order(mut changes: Vec<Change>, live: &Catalog, desired: &Catalog) -> Result<Vec<Change>, CycleError> {
    // Nodes are added in a fixed order: the same input always gives the same graph.
    changes.sort_by_cached_key(|c| (c.phase(), kind_rank(c), sub_rank(c), c.subject(), format!("{c:?}")));
    changes.dedup();
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(changes.len(), changes.len() * 2);
    let nodes: Vec<NodeIndex> = (0..changes.len()).map(|i| graph.add_node(i)).collect();
    let mut by_subject: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        for s in c.subjects() {
            by_subject.entry(s).or_default().push(i);
        }
    }
    let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
    let on = |id: &ObjectId, phase: Phase| -> Vec<usize> {
        by_subject.get(id).map_or(Vec::new(), |v| v.iter().copied().filter(|&i| changes[i].phase() == phase).collect())
    };
    // Changes on an object, or (when it has none) on the relation it lives in.
    let on_or_parent = |id: &ObjectId, phase: Phase| -> Vec<usize> {
        let direct = on(id, phase);
        if !direct.is_empty() {
            return direct;
        }
        // The relation's own comments and grants say nothing about what lives in it.
        id.parents().iter().flat_map(|p| on(p, phase)).filter(|&i| !is_finishing_touch(&changes[i])).collect()
    };
    let with_parent = |id: &ObjectId, phase: Phase| -> Vec<usize> {
        let mut v = on(id, phase);
        for p in id.parents() {
            v.extend(on(&p, phase));
        }
        v
    };

    for (i, c) in changes.iter().enumerate() {
        let subject = c.subject();
        // A drop of an object comes before its creation (recreate); the create of an
        // object before everything else done to it or to what lives in it.
        if c.phase() == Phase::Create {
            for j in on(&subject, Phase::Drop) {
                edges.insert((j, i));
            }
            for j in with_parent(&subject, Phase::Create) {
                if j != i && changes[j].is_create() && (!c.is_create() || changes[j].subject() != subject) {
                    edges.insert((j, i));
                }
                // Revoke before grant: a changed grant option is a revoke plus a grant.
                use kinds::{default_privilege as dp, privilege as p};
                let revoke_then_grant = matches!(
                    (&changes[j], c),
                    (Change::Privilege(p::Change::Revoke { .. }), Change::Privilege(p::Change::Grant { .. }))
                        | (
                            Change::DefaultPrivilege(dp::Change::Revoke { .. }),
                            Change::DefaultPrivilege(dp::Change::Grant { .. })
                        )
                );
                if revoke_then_grant && changes[j].subject() == subject {
                    edges.insert((j, i));
                }
            }
        }
    }
    // Desired dependencies order creates and alters. Finishing touches on the referenced
    // object (comments, grants, OWNED BY) need not wait for its dependents' creation.
    for (dep, referenced) in desired.depends.iter() {
        for a in on_or_parent(dep, Phase::Create) {
            for b in with_parent(referenced, Phase::Create) {
                if a != b && !is_finishing_touch(&changes[b]) {
                    edges.insert((b, a));
                }
            }
        }
    }
    // Relations dropped here: what lives in them is created afresh, not altered.
    let dropped_relations: BTreeSet<QualifiedName> =
        changes.iter().filter(|c| c.phase() == Phase::Drop).filter_map(|c| c.subject().relation().cloned()).collect();
    let recreated_with_parent =
        |c: &Change| c.is_create() && c.parent_relation().is_some_and(|q| dropped_relations.contains(&q));
    // Live dependencies order drops: what depends goes first.
    for (dep, referenced) in live.depends.iter() {
        let dep_drops = on_or_parent(dep, Phase::Drop);
        let dep_alters: Vec<usize> =
            on(dep, Phase::Create).into_iter().filter(|&a| !recreated_with_parent(&changes[a])).collect();
        let mut referenced_changes: Vec<usize> = by_subject.get(referenced).cloned().unwrap_or_default();
        for p in referenced.parents() {
            referenced_changes.extend(on(&p, Phase::Drop));
        }
        for &b in &referenced_changes {
            // A rename takes nothing away: what depends on the object follows it.
            if matches!(changes[b], Change::Rename(_)) {
                continue;
            }
            for &a in &dep_drops {
                if a != b {
                    edges.insert((a, b));
                }
            }
            // What stops depending on something changes before that thing goes (unless
            // it is dropped first anyway, which already lets go).
            if changes[b].phase() == Phase::Drop && dep_drops.is_empty() {
                for &a in &dep_alters {
                    if a != b {
                        edges.insert((a, b));
                    }
                }
            }
        }
    }
    // What a change needs that pg_depend does not say (or says the other way round).
    for (i, c) in changes.iter().enumerate() {
        for needed in requires(c) {
            for j in with_parent(&needed, Phase::Create) {
                if j != i && changes[j].is_create() {
                    edges.insert((j, i));
                }
            }
        }
    }
    // A renamed table or column gets its new name before anything else is done to it or
    // to what lives in it (drops included: they name it by its new name).
    for (i, c) in changes.iter().enumerate() {
        let Change::Rename(r) = c else { continue };
        let renamed = c.subject();
        // Only a renamed table is named by what is done to what lives in it; anything
        // else renamed is named by the changes to itself.
        let table = match r {
            kinds::rename::Change::Table { to, .. } => Some(to.clone()),
            kinds::rename::Change::Column { .. }
            | kinds::rename::Change::Constraint { .. }
            | kinds::rename::Change::Index { .. }
            | kinds::rename::Change::View { .. }
            | kinds::rename::Change::Sequence { .. }
            | kinds::rename::Change::Type { .. }
            | kinds::rename::Change::Routine { .. } => None,
        };
        let on_it: Vec<usize> = (0..changes.len())
            .filter(|&j| j != i && !matches!(changes[j], Change::Rename(_)))
            .filter(|&j| {
                changes[j].subject() == renamed || changes[j].parent_relation().is_some_and(|p| Some(p) == table)
            })
            .collect();
        for &j in &on_it {
            edges.insert((i, j));
        }
        // Its drops still come before its creates (a replaced primary key: one at a time).
        for &d in on_it.iter().filter(|&&j| changes[j].phase() == Phase::Drop) {
            for &k in on_it.iter().filter(|&&j| changes[j].phase() == Phase::Create) {
                edges.insert((d, k));
            }
        }
    }
    // An enum value placed next to another new value waits for it.
    for (i, c) in changes.iter().enumerate() {
        use kinds::types::{Change::AddEnumValue, EnumPosition};
        if let Change::Type(AddEnumValue { name, position: EnumPosition::Before(p) | EnumPosition::After(p), .. }) = c {
            for (j, other) in changes.iter().enumerate() {
                if matches!(other, Change::Type(AddEnumValue { name: n, value, .. }) if n == name && value == p) {
                    edges.insert((j, i));
                }
            }
        }
    }
    // A child joins a parent once both have their columns, and leaves it before its
    // formerly inherited columns or the old parent go.
    for (i, c) in changes.iter().enumerate() {
        let Change::Table(kinds::table::Change::Inherit { table, from, to }) = c else { continue };
        for (j, other) in changes.iter().enumerate() {
            let column_of = |t: &QualifiedName| matches!(other.subject(), ObjectId::Column(q, _) if &q == t);
            if let Change::Column(column) = other {
                match column {
                    kinds::column::Change::Add { .. } | kinds::column::Change::Alter { .. } => {
                        if column_of(table) || to.iter().any(&column_of) {
                            edges.insert((j, i));
                        }
                    }
                    kinds::column::Change::Drop { .. } => {
                        if column_of(table) {
                            edges.insert((i, j));
                        }
                    }
                }
            }
            if let Change::Table(kinds::table::Change::Drop(t)) = other {
                if from.contains(&t.name) && !to.contains(&t.name) {
                    edges.insert((i, j));
                }
            }
        }
    }
    // Default privileges apply to what is created after them.
    for (i, c) in changes.iter().enumerate() {
        if let Change::DefaultPrivilege(d) = c {
            for (j, other) in changes.iter().enumerate() {
                let applies = other.is_create()
                    && other.subject().default_privileges_apply()
                    && d.schema().is_none_or(|s| other.subject().schema() == s);
                if applies {
                    edges.insert((i, j));
                }
            }
        }
    }
    // A dropped relation frees its name for a new one.
    let mut freed: HashMap<QualifiedName, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if c.phase() == Phase::Drop {
            if let Some(n) = relation_name(c) {
                freed.entry(n).or_default().push(i);
            }
        }
    }
    for (i, c) in changes.iter().enumerate() {
        if c.phase() == Phase::Create {
            if let Some(drops) = relation_name(c).and_then(|n| freed.get(&n)) {
                for &d in drops {
                    edges.insert((d, i));
                }
            }
        }
    }
    for (a, b) in edges {
        graph.add_edge(nodes[a], nodes[b], ());
    }
    // What routine bodies reach (not in pg_depend): created before the routine where
    // that closes no cycle. A default, check or index that runs the routine while the
    // plan builds it then finds the tables it reads; a routine and a table that name
    // each other keep the order the hard dependencies give.
    for (routine, reached) in body_references(desired) {
        for a in on(&routine, Phase::Create).into_iter().filter(|&a| changes[a].is_create()) {
            for b in on(&reached, Phase::Create).into_iter().filter(|&b| changes[b].is_create()) {
                if a != b && !petgraph::algo::has_path_connecting(&graph, nodes[a], nodes[b], None) {
                    graph.update_edge(nodes[b], nodes[a], ());
                }
            }
        }
    }
    let order = sticky_toposort(&graph, &changes)?;
    let mut slots: Vec<Option<Change>> = changes.into_iter().map(Some).collect();
    Ok(order.into_iter().map(|i| slots[i].take().expect("each node once")).collect())
}

/// Kahn's algorithm; among ready nodes it prefers the group of the node just emitted,
/// then the smallest (phase, kind, group, id).
fn sticky_toposort(graph: &DiGraph<usize, ()>, changes: &[Change]) -> Result<Vec<usize>, CycleError> {
    type Key = (Phase, u8, String, usize);
    let key = |i: usize| -> Key { (changes[i].phase(), kind_rank(&changes[i]), group_of(&changes[i]), i) };
    let mut indegree: Vec<usize> =
        graph.node_indices().map(|n| graph.neighbors_directed(n, petgraph::Incoming).count()).collect();
    let mut ready: BTreeSet<Key> = BTreeSet::new();
    let mut ready_by_group: BTreeMap<(Phase, String), BTreeSet<Key>> = BTreeMap::new();
    let push = |i: usize, ready: &mut BTreeSet<Key>, by: &mut BTreeMap<(Phase, String), BTreeSet<Key>>| {
        let k = key(i);
        by.entry((k.0, k.2.clone())).or_default().insert(k.clone());
        ready.insert(k);
    };
    for n in graph.node_indices() {
        if indegree[n.index()] == 0 {
            push(n.index(), &mut ready, &mut ready_by_group);
        }
    }
    let mut out = Vec::with_capacity(changes.len());
    let mut last_group: Option<(Phase, String)> = None;
    while !ready.is_empty() {
        let next = last_group
            .as_ref()
            .and_then(|g| ready_by_group.get(g))
            .and_then(|s| s.first().cloned())
            .unwrap_or_else(|| ready.first().cloned().expect("not empty"));
        ready.remove(&next);
        let group = (next.0, next.2.clone());
        if let Some(s) = ready_by_group.get_mut(&group) {
            s.remove(&next);
            if s.is_empty() {
                ready_by_group.remove(&group);
            }
        }
        last_group = Some(group);
        let i = next.3;
        out.push(i);
        for m in graph.neighbors_directed(NodeIndex::new(i), petgraph::Outgoing) {
            indegree[m.index()] -= 1;
            if indegree[m.index()] == 0 {
                push(m.index(), &mut ready, &mut ready_by_group);
            }
        }
    }
    if out.len() == changes.len() {
        return Ok(out);
    }
    let mut members: BTreeSet<ObjectId> = BTreeSet::new();
    for scc in petgraph::algo::tarjan_scc(graph) {
        if scc.len() > 1 {
            members.extend(scc.iter().map(|n| changes[n.index()].subject()));
            for n in &scc {
                tracing::debug!("in cycle: {}", describe(&changes[n.index()]));
            }
        }
    }
    Err(CycleError { members: members.into_iter().collect() })
}

fn hazards(c: &Change, created_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
    c.kind().hazards(created_tables)
}

/// One line saying what a change does.
pub fn describe(c: &Change) -> String {
    c.kind().describe()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazard_names_round_trip() {
        for h in Hazard::ALL {
            assert_eq!(Hazard::parse(h.name()), Some(h));
        }
        assert_eq!(Hazard::parse("deletes-data"), Some(Hazard::DeletesData));
    }
}
