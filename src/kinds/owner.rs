//! Owners (`ALTER ... OWNER TO`), where ownership is managed (`manage_owners`).

use super::{object_group, object_ref, Kind};
use crate::catalog::{ObjectId, ObjectKind};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Set { target: ObjectId, kind: ObjectKind, owner: String },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Owner(c)
    }
}

/// Owners the desired state names (only present when ownership is managed).
pub(crate) fn diff(d: &mut Differ) {
    for (id, owner) in &d.desired.owners {
        let have = if d.created(id) { None } else { d.live.owners.get(id) };
        if have != Some(owner) && d.desired.contains(id) {
            let kind = d.desired.object_kind(id);
            d.push(Change::Set { target: id.clone(), kind, owner: owner.clone() });
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let Change::Set { target, .. } = self;
        target.clone()
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        Phase::Create
    }

    fn is_create(&self) -> bool {
        false
    }

    fn is_finishing_touch(&self) -> bool {
        true
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        object_group(&self.subject())
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        Vec::new()
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        BTreeSet::new()
    }

    fn describe(&self) -> String {
        let Change::Set { target, owner, .. } = self;
        format!("set owner of {target} to {owner}")
    }

    fn render(&self) -> Vec<Statement> {
        let Change::Set { target, kind, owner } = self;
        vec![stmt(format!("ALTER {} OWNER TO {};", object_ref(target, *kind), ident(owner)))]
    }

    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        Vec::new()
    }

    fn online(&self, _tables: &Existing, _guarded: bool) -> Option<Online> {
        None
    }

    fn still_exists(&self) -> Option<Cond> {
        None
    }

    fn differs_from(&self, _create: &crate::diff::Change) -> Option<Cond> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    fn set(target: ObjectId, kind: ObjectKind) -> String {
        Change::Set { target, kind, owner: "App Owner".into() }.render()[0].sql.clone()
    }

    #[test]
    fn schema_and_table() {
        let q = QualifiedName::new("app", "notes");
        assert_snapshot!(
            set(ObjectId::Schema("app".into()), ObjectKind::Schema)
                + "\n"
                + &set(ObjectId::Table(q), ObjectKind::Table)
        );
    }

    #[test]
    fn routines_by_kind() {
        let f = QualifiedName::new("app", "f");
        assert_snapshot!(
            set(ObjectId::Function(f.clone(), "integer".into()), ObjectKind::Procedure)
                + "\n"
                + &set(ObjectId::Function(f, String::new()), ObjectKind::Aggregate)
        );
    }

    #[test]
    fn types_domains_and_views() {
        let q = QualifiedName::new("app", "x");
        let c = Change::Set { target: ObjectId::Type(q.clone()), kind: ObjectKind::Domain, owner: "o".into() };
        assert_eq!(c.describe(), "set owner of type app.x to o");
        assert_snapshot!(
            set(ObjectId::Type(q.clone()), ObjectKind::Domain)
                + "\n"
                + &set(ObjectId::View(q.clone()), ObjectKind::MaterializedView)
                + "\n"
                + &set(ObjectId::Sequence(q), ObjectKind::Sequence)
        );
    }
}
