//! Compares two catalogs and produces the typed changes that turn `live` into `desired`.
//!
//! Anything that cannot be altered in place becomes a drop plus a create, decided here;
//! the objects that depend on it (views over a changed column, triggers on a replaced
//! function, ...) are dropped and recreated around it. Ordering is not decided here but
//! by `plan`. Pure: no I/O.

use crate::catalog::*;
use crate::ident::QualifiedName;
use crate::kinds::{self, Kind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One step from the live state toward the desired state: one variant per object kind,
/// each holding that kind's own change (`kinds::<kind>::Change`). Creates carry the whole
/// new object and drops the whole old one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Change {
    Schema(kinds::schema::Change),
    Rename(kinds::rename::Change),
    Extension(kinds::extension::Change),
    Collation(kinds::collation::Change),
    Type(kinds::types::Change),
    Sequence(kinds::sequence::Change),
    Table(kinds::table::Change),
    Column(kinds::column::Change),
    Constraint(kinds::constraint::Change),
    Index(kinds::index::Change),
    View(kinds::view::Change),
    Function(kinds::function::Change),
    Trigger(kinds::trigger::Change),
    Policy(kinds::policy::Change),
    Statistics(kinds::statistics::Change),
    Rule(kinds::rule::Change),
    Defined(kinds::defined::Change),
    EventTrigger(kinds::event_trigger::Change),
    Publication(kinds::publication::Change),
    Comment(kinds::comment::Change),
    Owner(kinds::owner::Change),
    Privilege(kinds::privilege::Change),
    DefaultPrivilege(kinds::default_privilege::Change),
}

/// Whether a change removes something (ordered after what depends on it) or makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Drop,
    Create,
}

impl Change {
    /// The kind module's change: the central dispatch, one line per kind.
    pub fn kind(&self) -> &dyn Kind {
        match self {
            Change::Schema(c) => c,
            Change::Rename(c) => c,
            Change::Extension(c) => c,
            Change::Collation(c) => c,
            Change::Type(c) => c,
            Change::Sequence(c) => c,
            Change::Table(c) => c,
            Change::Column(c) => c,
            Change::Constraint(c) => c,
            Change::Index(c) => c,
            Change::Statistics(c) => c,
            Change::Rule(c) => c,
            Change::Defined(c) => c,
            Change::View(c) => c,
            Change::Function(c) => c,
            Change::Trigger(c) => c,
            Change::Policy(c) => c,
            Change::EventTrigger(c) => c,
            Change::Publication(c) => c,
            Change::Comment(c) => c,
            Change::Owner(c) => c,
            Change::Privilege(c) => c,
            Change::DefaultPrivilege(c) => c,
        }
    }

    /// The object the change is about.
    pub fn subject(&self) -> ObjectId {
        self.kind().subject()
    }

    pub fn phase(&self) -> Phase {
        self.kind().phase()
    }

    /// The table or view the changed object lives in, whose drop takes it along.
    pub fn parent_relation(&self) -> Option<QualifiedName> {
        self.kind().parent_relation()
    }

    /// Every object the change acts on: its subject, and for a type swap the columns it
    /// recasts (so what depends on them is ordered around it).
    pub fn subjects(&self) -> Vec<ObjectId> {
        self.kind().subjects()
    }

    /// True for the change that makes an object exist (after which its other changes,
    /// comments and grants may run).
    pub fn is_create(&self) -> bool {
        self.kind().is_create()
    }
}

/// All changes that turn `live` into `desired`, in a deterministic (not yet dependency)
/// order.
pub fn diff(live: &Catalog, desired: &Catalog) -> Vec<Change> {
    diff_renamed(live, desired).1
}

/// The live catalog as it is once the renames the desired state declares ran (`live`
/// itself when there are none), and every change, those renames first: each kind then
/// compares the renamed object.
pub fn diff_renamed<'a>(live: &'a Catalog, desired: &Catalog) -> (std::borrow::Cow<'a, Catalog>, Vec<Change>) {
    use std::borrow::Cow;
    let renames = kinds::rename::applicable(live, desired);
    let live = if renames.is_empty() { Cow::Borrowed(live) } else { Cow::Owned(kinds::rename::apply(live, &renames)) };
    let out = diff_kinds(&live, desired, renames.into_iter().map(Change::Rename).collect());
    (live, out)
}

fn diff_kinds(live: &Catalog, desired: &Catalog, out: Vec<Change>) -> Vec<Change> {
    let mut d = Differ { live, desired, out, replaced: BTreeSet::new() };
    kinds::schema::diff(&mut d);
    kinds::extension::diff(&mut d);
    kinds::defined::diff(&mut d);
    kinds::collation::diff(&mut d);
    kinds::types::diff(&mut d);
    kinds::sequence::diff(&mut d);
    kinds::table::diff(&mut d);
    kinds::index::diff(&mut d);
    kinds::statistics::diff(&mut d);
    kinds::view::diff(&mut d);
    kinds::function::diff(&mut d);
    kinds::trigger::diff(&mut d);
    kinds::policy::diff(&mut d);
    kinds::rule::diff(&mut d);
    kinds::publication::diff(&mut d);
    kinds::event_trigger::diff(&mut d);
    d.recreate_dependents();
    d.recreate_children();
    kinds::comment::diff(&mut d);
    kinds::owner::diff(&mut d);
    kinds::privilege::diff(&mut d);
    kinds::default_privilege::diff(&mut d);
    d.out
}

/// The state of one diff: each kind's `diff` adds its changes here.
pub(crate) struct Differ<'a> {
    pub(crate) live: &'a Catalog,
    pub(crate) desired: &'a Catalog,
    out: Vec<Change>,
    /// Objects dropped and created again, and columns whose type changes in place.
    replaced: BTreeSet<ObjectId>,
}

/// Keys only in `a`, only in `b`, and in both.
pub(crate) fn split<'m, K: Ord + Clone, V>(
    a: &'m BTreeMap<K, V>,
    b: &'m BTreeMap<K, V>,
) -> (Vec<&'m V>, Vec<&'m V>, Vec<(&'m V, &'m V)>) {
    let mut only_a = Vec::new();
    let mut both = Vec::new();
    for (k, va) in a {
        match b.get(k) {
            Some(vb) => both.push((va, vb)),
            None => only_a.push(va),
        }
    }
    let only_b = b.iter().filter(|(k, _)| !a.contains_key(*k)).map(|(_, v)| v).collect();
    (only_a, only_b, both)
}

impl<'a> Differ<'a> {
    pub(crate) fn push(&mut self, change: impl Into<Change>) {
        self.out.push(change.into());
    }

    /// The table or view is going away (dropped, or dropped and recreated), taking its
    /// indexes, triggers and policies with it.
    pub(crate) fn table_dropped(&self, t: &QualifiedName) -> bool {
        let (table, view) = (ObjectId::Table(t.clone()), ObjectId::View(t.clone()));
        // A platform's table is never dropped (the user's policies on it are managed).
        if self.live.platform_objects.contains(&table) || self.live.platform_objects.contains(&view) {
            return false;
        }
        !(self.desired.contains(&table) || self.desired.contains(&view))
            || self.replaced.contains(&table)
            || self.replaced.contains(&view)
            || (self.live.contains(&table) && self.desired.contains(&view))
            || (self.live.contains(&view) && self.desired.contains(&table))
    }

    /// The object changes in a way that takes its dependents along (a retyped column).
    pub(crate) fn mark_replaced(&mut self, id: ObjectId) {
        self.replaced.insert(id);
    }

    pub(crate) fn replace(&mut self, id: ObjectId, drop: Change, create: Change) {
        self.replaced.insert(id);
        self.out.push(drop);
        self.out.push(create);
    }

    /// Objects that depend (in the live database) on something being replaced must be
    /// dropped before it and created again after it, even when their own definition is
    /// unchanged. Repeats until nothing new is pulled in.
    fn recreate_dependents(&mut self) {
        let mut dependents: BTreeMap<&ObjectId, Vec<&ObjectId>> = BTreeMap::new();
        for (dep, referenced) in self.live.depends.iter() {
            dependents.entry(referenced).or_default().push(dep);
        }
        // Whatever goes away (replaced or dropped) takes its dependents with it.
        let mut queue: Vec<ObjectId> = self.replaced.iter().cloned().collect();
        queue.extend(self.out.iter().filter(|c| c.phase() == Phase::Drop).map(Change::subject));
        let mut seen: BTreeSet<ObjectId> = BTreeSet::new();
        while let Some(id) = queue.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let column_change = matches!(id, ObjectId::Column(..));
            let mut related: Vec<&ObjectId> = dependents.get(&id).cloned().unwrap_or_default();
            if let ObjectId::Table(t) | ObjectId::View(t) = &id {
                // Dependents of a relation's columns go with the relation.
                for (dep, referenced) in self.live.depends.iter() {
                    if matches!(referenced, ObjectId::Column(rt, _) if rt == t) {
                        related.push(dep);
                    }
                }
            }
            for dep in related {
                if self.replaced.contains(dep) || dep.is_child_of(&id) {
                    continue;
                }
                // A column type change rebuilds constraints by itself. Indexes are dropped
                // and created again explicitly: the plan shows the build, and the desired
                // definition may need another operator class for the new type.
                if column_change && matches!(dep, ObjectId::Constraint(..)) {
                    continue;
                }
                if let Some((drop, create)) = self.recreation(dep) {
                    self.replaced.insert(dep.clone());
                    // The object may already be changing; a recreate supersedes that.
                    self.out.retain(|c| c.subject() != *dep);
                    self.out.push(drop);
                    self.out.push(create);
                    queue.push(dep.clone());
                }
            }
        }
    }

    /// A table or view that is dropped and created again loses its indexes, triggers,
    /// policies and constraints with it: they need no drop of their own, and the ones the
    /// desired state has are created again after it.
    fn recreate_children(&mut self) {
        let recreated: BTreeSet<QualifiedName> = self.replaced.iter().filter_map(|id| id.relation().cloned()).collect();
        if recreated.is_empty() {
            return;
        }
        let belongs = |c: &Change| c.parent_relation().is_some_and(|q| recreated.contains(&q));
        self.out.retain(|c| !belongs(c));
        let d = self.desired;
        for q in &recreated {
            if let Some(t) = d.tables.get(q) {
                kinds::constraint::add_all(self, t);
            }
            for i in d.indexes.values().filter(|i| &i.table == q) {
                self.push(kinds::index::Change::Create(i.clone()));
                self.replaced.insert(ObjectId::Index(i.name.clone()));
            }
            for t in d.triggers.values().filter(|t| &t.table == q) {
                kinds::trigger::create(self, t);
                self.replaced.insert(ObjectId::Trigger(q.clone(), t.name.clone()));
            }
            for p in d.policies.values().filter(|p| &p.table == q) {
                self.push(kinds::policy::Change::Create(p.clone()));
                self.replaced.insert(ObjectId::Policy(q.clone(), p.name.clone()));
            }
        }
    }

    /// Drop and create changes for an object that exists on both sides, if it is a kind
    /// that can be recreated without losing data.
    fn recreation(&self, id: &ObjectId) -> Option<(Change, Change)> {
        let (l, d) = (self.live, self.desired);
        match id {
            ObjectId::View(q) => Some((
                kinds::view::Change::Drop(l.views.get(q)?.clone()).into(),
                kinds::view::Change::Create(d.views.get(q)?.clone()).into(),
            )),
            ObjectId::Index(q) => Some((
                kinds::index::Change::Drop(l.indexes.get(q)?.clone()).into(),
                kinds::index::Change::Create(d.indexes.get(q)?.clone()).into(),
            )),
            // They hold nothing ANALYZE does not fill again.
            ObjectId::Statistics(q) => Some((
                kinds::statistics::Change::Drop(l.statistics.get(q)?.clone()).into(),
                kinds::statistics::Change::Create(d.statistics.get(q)?.clone()).into(),
            )),
            ObjectId::Function(q, a) => {
                let k = (q.clone(), a.clone());
                Some((
                    kinds::function::Change::Drop(l.functions.get(&k)?.clone()).into(),
                    kinds::function::Change::Create(d.functions.get(&k)?.clone()).into(),
                ))
            }
            ObjectId::Trigger(q, n) => {
                let k = (q.clone(), n.clone());
                Some((
                    kinds::trigger::Change::Drop(l.triggers.get(&k)?.clone()).into(),
                    kinds::trigger::Change::Create(d.triggers.get(&k)?.clone()).into(),
                ))
            }
            ObjectId::Policy(q, n) => {
                let k = (q.clone(), n.clone());
                Some((
                    kinds::policy::Change::Drop(l.policies.get(&k)?.clone()).into(),
                    kinds::policy::Change::Create(d.policies.get(&k)?.clone()).into(),
                ))
            }
            ObjectId::Rule(q, n) => {
                let k = (q.clone(), n.clone());
                Some((
                    kinds::rule::Change::Drop(l.rules.get(&k)?.clone()).into(),
                    kinds::rule::Change::Create(d.rules.get(&k)?.clone()).into(),
                ))
            }
            ObjectId::Defined(k, s, r) => {
                let k = (*k, s.clone(), r.clone());
                Some((
                    kinds::defined::Change::Drop(l.defined.get(&k)?.clone()).into(),
                    kinds::defined::Change::Create(d.defined.get(&k)?.clone()).into(),
                ))
            }
            ObjectId::Constraint(q, n) => {
                let lc = l.tables.get(q)?.constraints.get(n)?.clone();
                let dc = d.tables.get(q)?.constraints.get(n)?.clone();
                Some((
                    kinds::constraint::Change::Drop { table: q.clone(), constraint: lc }.into(),
                    kinds::constraint::Change::Add { table: q.clone(), constraint: dc }.into(),
                ))
            }
            ObjectId::Schema(_)
            | ObjectId::Extension(_)
            | ObjectId::Collation(_)
            | ObjectId::Type(_)
            | ObjectId::Sequence(_)
            | ObjectId::Table(_)
            | ObjectId::Column(..)
            | ObjectId::EventTrigger(_)
            | ObjectId::Publication(_)
            | ObjectId::DefaultPrivileges(..) => None,
        }
    }

    /// Whether an object is created by this diff (new or recreated), so it starts with
    /// no comment and default privileges.
    pub(crate) fn created(&self, id: &ObjectId) -> bool {
        // A platform's object is there already (its grants and comments are the user's).
        if self.live.platform_objects.contains(id) {
            return false;
        }
        if !self.live.contains(id) || (self.replaced.contains(id) && !matches!(id, ObjectId::Column(..))) {
            return true;
        }
        let parent_created = || self.desired.parent_of(id).is_some_and(|p| self.created(&p));
        match id {
            // A recreated column (generated expression change) or one of a recreated
            // table or view.
            ObjectId::Column(..) => {
                self.out
                    .iter()
                    .any(|c| matches!(c, Change::Column(kinds::column::Change::Add { .. })) && c.subject() == *id)
                    || parent_created()
            }
            ObjectId::Constraint(..) | ObjectId::Trigger(..) | ObjectId::Policy(..) | ObjectId::Rule(..) => {
                parent_created()
            }
            ObjectId::Schema(_)
            | ObjectId::Extension(_)
            | ObjectId::Collation(_)
            | ObjectId::Type(_)
            | ObjectId::Sequence(_)
            | ObjectId::Function(..)
            | ObjectId::Table(_)
            | ObjectId::Index(_)
            | ObjectId::View(_)
            | ObjectId::EventTrigger(_)
            | ObjectId::DefaultPrivileges(..)
            | ObjectId::Publication(_)
            | ObjectId::Defined(..)
            | ObjectId::Statistics(_) => false,
        }
    }

    /// The objects the changes so far create.
    pub(crate) fn created_objects(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.out.iter().filter(|c| c.is_create()).map(Change::subject)
    }

    /// The role that creates objects: the one migrations run as.
    pub(crate) fn creator(&self) -> Option<String> {
        [&self.live.current_user, &self.desired.current_user].into_iter().find(|u| !u.is_empty()).cloned()
    }

    /// (built-in default ACL, ACL right after creation) of an object this plan creates,
    /// when default privileges of its creator apply to it.
    pub(crate) fn initial_acl(&self, id: &ObjectId) -> Option<(BTreeSet<AclItem>, BTreeSet<AclItem>)> {
        let objects = DefaultObjects::of(id)?;
        let schema = if objects == DefaultObjects::Schemas { String::new() } else { id.schema().to_string() };
        let entries = &self.desired.default_privileges;
        let owner = self.creator()?;
        let global = entries.get(&(owner.clone(), String::new(), objects));
        let in_schema = entries.get(&(owner.clone(), schema, objects));
        if global.is_none() && in_schema.is_none() {
            return None;
        }
        let builtin = global
            .map(|g| g.defaults.clone())
            .or_else(|| self.desired.privileges.get(id).map(|p| p.defaults.clone()))
            .unwrap_or_else(|| objects.builtin_acl());
        let mut start = global.map_or_else(|| builtin.clone(), |g| g.items.clone());
        if let Some(s) = in_schema {
            start.extend(s.items.iter().cloned());
        }
        Some((builtin, start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, cols: &[(&str, &str)]) -> Table {
        Table {
            columns: cols
                .iter()
                .map(|(n, t)| Column {
                    name: n.to_string(),
                    data_type: t.to_string(),
                    not_null: false,
                    default: None,
                    identity: None,
                    generated: None,
                    collation: None,
                    storage: None,
                    type_storage: "EXTENDED".into(),
                    local: true,
                })
                .collect(),
            ..Table::empty(QualifiedName::new("public", name))
        }
    }

    #[test]
    fn identical_catalogs_have_no_changes() {
        let mut c = Catalog::default();
        let t = table("users", &[("id", "integer")]);
        c.tables.insert(t.name.clone(), t);
        assert!(diff(&c, &c).is_empty());
    }

    #[test]
    fn added_and_dropped_columns() {
        let mut live = Catalog::default();
        let mut desired = Catalog::default();
        let a = table("t", &[("id", "integer"), ("old", "text")]);
        let b = table("t", &[("id", "integer"), ("new", "text")]);
        live.tables.insert(a.name.clone(), a);
        desired.tables.insert(b.name.clone(), b);
        let changes = diff(&live, &desired);
        assert_eq!(changes.len(), 2);
        assert!(
            matches!(&changes[0], Change::Column(kinds::column::Change::Add { column, .. }) if column.name == "new")
        );
        assert!(
            matches!(&changes[1], Change::Column(kinds::column::Change::Drop { column, .. }) if column.name == "old")
        );
    }

    #[test]
    fn view_over_retyped_column_is_recreated() {
        let mut live = Catalog::default();
        let mut desired = Catalog::default();
        let t1 = table("t", &[("id", "integer")]);
        let t2 = table("t", &[("id", "bigint")]);
        let q = QualifiedName::new("public", "v");
        let v = View {
            name: q.clone(),
            materialized: false,
            definition: "SELECT id FROM public.t".into(),
            options: vec![],
            populated: true,
            columns: vec![("id".into(), "integer".into())],
        };
        live.tables.insert(t1.name.clone(), t1.clone());
        desired.tables.insert(t2.name.clone(), t2);
        live.views.insert(q.clone(), v.clone());
        desired.views.insert(q.clone(), View { columns: vec![("id".into(), "bigint".into())], ..v.clone() });
        live.depends =
            [(ObjectId::View(q.clone()), ObjectId::Column(t1.name.clone(), "id".into()))].into_iter().collect();
        let changes = diff(&live, &desired);
        assert!(changes.iter().any(|c| matches!(c, Change::View(kinds::view::Change::Drop(_)))));
        assert!(changes.iter().any(|c| matches!(c, Change::View(kinds::view::Change::Create(_)))));
        assert!(changes.iter().any(|c| matches!(c, Change::Column(kinds::column::Change::Alter { .. }))));
    }

    #[test]
    fn enum_values_added_in_place() {
        let q = QualifiedName::new("public", "mood");
        let mk = |labels: &[&str]| TypeDef {
            name: q.clone(),
            kind: TypeKind::Enum { labels: labels.iter().map(|s| s.to_string()).collect() },
        };
        let mut live = Catalog::default();
        let mut desired = Catalog::default();
        live.types.insert(q.clone(), mk(&["a", "c"]));
        desired.types.insert(q.clone(), mk(&["z", "a", "b", "c"]));
        let changes = diff(&live, &desired);
        assert_eq!(
            changes,
            vec![
                kinds::types::Change::AddEnumValue {
                    name: q.clone(),
                    value: "z".into(),
                    position: kinds::types::EnumPosition::Before("a".into())
                }
                .into(),
                kinds::types::Change::AddEnumValue {
                    name: q.clone(),
                    value: "b".into(),
                    position: kinds::types::EnumPosition::After("a".into())
                }
                .into(),
            ]
        );
    }
}
