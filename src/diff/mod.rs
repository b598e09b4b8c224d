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

/// One step from the live state toward the desired state. Creates carry the whole new
/// object and drops the whole old one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Change {
    Trigger(kinds::trigger::Change),
    Policy(kinds::policy::Change),
    Type(kinds::types::Change),
    Table(kinds::table::Change),
    Column(kinds::column::Change),
    Constraint(kinds::constraint::Change),
    Function(kinds::function::Change),
    View(kinds::view::Change),
    Index(kinds::index::Change),
    Sequence(kinds::sequence::Change),
    Collation(kinds::collation::Change),
    Extension(kinds::extension::Change),
    Schema(kinds::schema::Change),
    EventTrigger(kinds::event_trigger::Change),
    Publication(kinds::publication::Change),
    SetComment {
        target: ObjectId,
        kind: String,
        comment: Option<String>,
    },
    Grant {
        target: ObjectId,
        kind: String,
        item: AclItem,
        owner: String,
    },
    Revoke {
        target: ObjectId,
        kind: String,
        item: AclItem,
        owner: String,
    },
    /// `ALTER DEFAULT PRIVILEGES FOR ROLE role [IN SCHEMA schema] GRANT ...`.
    SetOwner {
        target: ObjectId,
        kind: String,
        owner: String,
    },
    GrantDefault {
        role: String,
        schema: String,
        object_type: String,
        item: AclItem,
    },
    RevokeDefault {
        role: String,
        schema: String,
        object_type: String,
        item: AclItem,
    },
}

/// Whether a change removes something (ordered after what depends on it) or makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Drop,
    Create,
}

impl Change {
    /// The kind module's change, for the kinds moved into `kinds` so far.
    pub fn kind(&self) -> Option<&dyn Kind> {
        match self {
            Change::Policy(c) => Some(c),
            Change::Type(c) => Some(c),
            Change::Table(c) => Some(c),
            Change::Column(c) => Some(c),
            Change::Constraint(c) => Some(c),
            Change::Function(c) => Some(c),
            Change::View(c) => Some(c),
            Change::Index(c) => Some(c),
            Change::Sequence(c) => Some(c),
            Change::Collation(c) => Some(c),
            Change::Extension(c) => Some(c),
            Change::Schema(c) => Some(c),
            Change::Trigger(c) => Some(c),
            Change::EventTrigger(c) => Some(c),
            Change::Publication(c) => Some(c),
            _ => None,
        }
    }

    /// The object the change is about.
    pub fn subject(&self) -> ObjectId {
        match self {
            Change::Policy(c) => c.subject(),
            Change::Type(c) => c.subject(),
            Change::Table(c) => c.subject(),
            Change::Column(c) => c.subject(),
            Change::Constraint(c) => c.subject(),
            Change::Function(c) => c.subject(),
            Change::View(c) => c.subject(),
            Change::Index(c) => c.subject(),
            Change::Sequence(c) => c.subject(),
            Change::Collation(c) => c.subject(),
            Change::Extension(c) => c.subject(),
            Change::Schema(c) => c.subject(),
            Change::Trigger(c) => c.subject(),
            Change::EventTrigger(c) => c.subject(),
            Change::Publication(c) => c.subject(),
            Change::SetComment { target, .. }
            | Change::Grant { target, .. }
            | Change::Revoke { target, .. }
            | Change::SetOwner { target, .. } => target.clone(),
            Change::GrantDefault { role, schema, object_type, .. }
            | Change::RevokeDefault { role, schema, object_type, .. } => {
                ObjectId::DefaultPrivileges(role.clone(), schema.clone(), object_type.clone())
            }
        }
    }

    pub fn phase(&self) -> Phase {
        match self {
            Change::Policy(c) => c.phase(),
            Change::Type(c) => c.phase(),
            Change::Table(c) => c.phase(),
            Change::Column(c) => c.phase(),
            Change::Constraint(c) => c.phase(),
            Change::Function(c) => c.phase(),
            Change::View(c) => c.phase(),
            Change::Index(c) => c.phase(),
            Change::Sequence(c) => c.phase(),
            Change::Collation(c) => c.phase(),
            Change::Extension(c) => c.phase(),
            Change::Schema(c) => c.phase(),
            Change::Trigger(c) => c.phase(),
            Change::EventTrigger(c) => c.phase(),
            Change::Publication(c) => c.phase(),
            Change::SetComment { .. }
            | Change::Grant { .. }
            | Change::Revoke { .. }
            | Change::SetOwner { .. }
            | Change::GrantDefault { .. }
            | Change::RevokeDefault { .. } => Phase::Create,
        }
    }

    /// The table or view the changed object lives in, whose drop takes it along.
    pub fn parent_relation(&self) -> Option<QualifiedName> {
        self.kind()?.parent_relation()
    }

    /// Every object the change acts on: its subject, and for an enum replacement the
    /// columns it recasts (so what depends on them is ordered around it).
    pub fn subjects(&self) -> Vec<ObjectId> {
        match self.kind() {
            Some(k) => k.subjects(),
            None => vec![self.subject()],
        }
    }

    /// True for the change that makes an object exist (after which its other
    /// changes, comments and grants may run).
    pub fn is_create(&self) -> bool {
        self.kind().is_some_and(|k| k.is_create())
    }
}

/// All changes that turn `live` into `desired`, in a deterministic (not yet dependency)
/// order.
pub fn diff(live: &Catalog, desired: &Catalog) -> Vec<Change> {
    let mut d = Differ { live, desired, out: Vec::new(), replaced: BTreeSet::new() };
    kinds::schema::diff(&mut d);
    kinds::extension::diff(&mut d);
    kinds::collation::diff(&mut d);
    kinds::types::diff(&mut d);
    kinds::sequence::diff(&mut d);
    kinds::table::diff(&mut d);
    kinds::index::diff(&mut d);
    kinds::view::diff(&mut d);
    kinds::function::diff(&mut d);
    kinds::trigger::diff(&mut d);
    kinds::policy::diff(&mut d);
    kinds::publication::diff(&mut d);
    kinds::event_trigger::diff(&mut d);
    d.recreate_dependents();
    d.recreate_children();
    d.comments();
    d.owners();
    d.privileges();
    d.default_privileges();
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

    /// Owners the desired state names (only present when ownership is managed).
    fn owners(&mut self) {
        for (id, owner) in &self.desired.owners {
            let have = if self.created(id) { None } else { self.live.owners.get(id) };
            if have != Some(owner) && self.desired.contains(id) {
                let kind = self.desired.kind_word(id).to_string();
                self.out.push(Change::SetOwner { target: id.clone(), kind, owner: owner.clone() });
            }
        }
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
        let recreated: BTreeSet<QualifiedName> = self
            .replaced
            .iter()
            .filter_map(|id| match id {
                ObjectId::Table(q) | ObjectId::View(q) => Some(q.clone()),
                _ => None,
            })
            .collect();
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
    fn created(&self, id: &ObjectId) -> bool {
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
            ObjectId::Constraint(..) | ObjectId::Trigger(..) | ObjectId::Policy(..) => parent_created(),
            _ => false,
        }
    }

    fn comments(&mut self) {
        let mut ids: BTreeSet<&ObjectId> = self.desired.comments.keys().collect();
        ids.extend(
            self.live
                .comments
                .keys()
                .filter(|id| self.desired.contains(id) || self.desired.platform_objects.contains(id)),
        );
        for id in ids {
            let want = self.desired.comments.get(id);
            // A new extension brings its own comment with it.
            if matches!(id, ObjectId::Extension(_)) && !self.live.contains(id) {
                continue;
            }
            let have = if self.created(id) { None } else { self.live.comments.get(id) };
            if want != have {
                self.out.push(Change::SetComment {
                    target: id.clone(),
                    kind: self.desired.kind_word(id).to_string(),
                    comment: want.cloned(),
                });
            }
        }
    }

    fn privileges(&mut self) {
        let mut ids: BTreeSet<ObjectId> = self.desired.privileges.keys().cloned().collect();
        ids.extend(
            self.live
                .privileges
                .keys()
                .filter(|id| self.desired.contains(id) || self.desired.platform_objects.contains(id))
                .cloned(),
        );
        // Objects this plan creates get what default privileges grant on creation.
        ids.extend(
            self.out.iter().filter(|c| c.is_create()).map(Change::subject).filter(|id| self.initial_acl(id).is_some()),
        );
        for id in &ids {
            let want = self.desired.privileges.get(id);
            let created = self.created(id);
            let have = if created { None } else { self.live.privileges.get(id) };
            let initial = if created { self.initial_acl(id) } else { None };
            // An object without an entry has its default ACL; the other side knows it.
            let defaults =
                match want.or(have).map(|p| p.defaults.clone()).or_else(|| initial.as_ref().map(|(d, _)| d.clone())) {
                    Some(d) => d,
                    None => continue,
                };
            let want_items = want.map_or(&defaults, |p| &p.items);
            let have_items = match (&initial, have) {
                (Some((_, start)), _) => start,
                (None, Some(p)) => &p.items,
                (None, None) => &defaults,
            };
            let owner = have.or(want).map(|p| p.owner.clone()).or_else(|| self.creator()).unwrap_or_default();
            let kind = self.desired.kind_word(id).to_string();
            let (target, kind) = (id.clone(), kind.clone());
            self.acl_changes(have_items, want_items, |item, grant| {
                let (target, kind, owner) = (target.clone(), kind.clone(), owner.clone());
                if grant {
                    Change::Grant { target, kind, item, owner }
                } else {
                    Change::Revoke { target, kind, item, owner }
                }
            });
        }
    }

    /// A revoke for each item only `have` has, a grant for each only `want` has.
    fn acl_changes(
        &mut self,
        have: &BTreeSet<AclItem>,
        want: &BTreeSet<AclItem>,
        change: impl Fn(AclItem, bool) -> Change,
    ) {
        self.out.extend(have.difference(want).map(|i| change(i.clone(), false)));
        self.out.extend(want.difference(have).map(|i| change(i.clone(), true)));
    }

    /// The role that creates objects: the one migrations run as.
    fn creator(&self) -> Option<String> {
        [&self.live.current_user, &self.desired.current_user].into_iter().find(|u| !u.is_empty()).cloned()
    }

    /// (built-in default ACL, ACL right after creation) of an object this plan creates,
    /// when default privileges of its creator apply to it.
    fn initial_acl(&self, id: &ObjectId) -> Option<(BTreeSet<AclItem>, BTreeSet<AclItem>)> {
        let letter = match id {
            ObjectId::Table(_) | ObjectId::View(_) => "r",
            ObjectId::Sequence(_) => "S",
            ObjectId::Function(..) => "f",
            ObjectId::Type(_) => "T",
            ObjectId::Schema(_) => "n",
            _ => return None,
        };
        let schema = if letter == "n" { String::new() } else { id.schema().to_string() };
        let entries = &self.desired.default_privileges;
        let owner = self.creator()?;
        let global = entries.get(&(owner.clone(), String::new(), letter.to_string()));
        let in_schema = entries.get(&(owner.clone(), schema, letter.to_string()));
        if global.is_none() && in_schema.is_none() {
            return None;
        }
        let builtin = global
            .map(|g| g.defaults.clone())
            .or_else(|| self.desired.privileges.get(id).map(|p| p.defaults.clone()))
            .unwrap_or_else(|| builtin_acl(letter));
        let mut start = global.map_or_else(|| builtin.clone(), |g| g.items.clone());
        if let Some(s) = in_schema {
            start.extend(s.items.iter().cloned());
        }
        Some((builtin, start))
    }
}

/// PostgreSQL's built-in default ACL for a kind, owner written as `Grantee::Owner`.
fn builtin_acl(letter: &str) -> BTreeSet<AclItem> {
    let owner_privs: &[&str] = match letter {
        "r" => &["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
        "S" => &["USAGE", "SELECT", "UPDATE"],
        "f" => &["EXECUTE"],
        "T" => &["USAGE"],
        _ => &["USAGE", "CREATE"],
    };
    let mut out: BTreeSet<AclItem> = owner_privs
        .iter()
        .map(|p| AclItem { grantee: Grantee::Owner, privilege: p.to_string(), grantable: false })
        .collect();
    if letter == "f" || letter == "T" {
        out.insert(AclItem {
            grantee: Grantee::Public,
            privilege: if letter == "f" { "EXECUTE" } else { "USAGE" }.into(),
            grantable: false,
        });
    }
    out
}

impl Differ<'_> {
    fn default_privileges(&mut self) {
        let keys: BTreeSet<&(String, String, String)> =
            self.live.default_privileges.keys().chain(self.desired.default_privileges.keys()).collect();
        for key in keys {
            let want = self.desired.default_privileges.get(key);
            let have = self.live.default_privileges.get(key);
            let Some(defaults) = want.or(have).map(|p| &p.defaults) else { continue };
            let want_items = want.map_or(defaults, |p| &p.items);
            let have_items = have.map_or(defaults, |p| &p.items);
            self.acl_changes(have_items, want_items, |item, grant| {
                let (role, schema, object_type) = key.clone();
                if grant {
                    Change::GrantDefault { role, schema, object_type, item }
                } else {
                    Change::RevokeDefault { role, schema, object_type, item }
                }
            });
        }
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
