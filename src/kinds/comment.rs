//! Comments on any object (`COMMENT ON ... IS`): set, changed or removed (`IS NULL`).

use super::{object_group, object_ref, Kind};
use crate::catalog::{ObjectId, ObjectKind};
use crate::diff::{Differ, Phase};
use crate::ident::{literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    /// `None` removes the comment.
    Set { target: ObjectId, kind: ObjectKind, comment: Option<String> },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Comment(c)
    }
}

/// Comments the desired state sets, changes or removes, on objects it has (or that the
/// platform made); an object this plan creates starts with none.
pub(crate) fn diff(d: &mut Differ) {
    let mut ids: BTreeSet<&ObjectId> = d.desired.comments.keys().collect();
    ids.extend(d.live.comments.keys().filter(|id| d.desired.contains(id) || d.desired.platform_objects.contains(id)));
    for id in ids {
        let want = d.desired.comments.get(id);
        // A new extension brings its own comment with it.
        if matches!(id, ObjectId::Extension(_)) && !d.live.contains(id) {
            continue;
        }
        let have = if d.created(id) { None } else { d.live.comments.get(id) };
        if want != have {
            let kind = d.desired.object_kind(id);
            d.push(Change::Set { target: id.clone(), kind, comment: want.cloned() });
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
        format!("set comment on {}", self.subject())
    }

    fn render(&self) -> Vec<Statement> {
        let Change::Set { target, kind, comment } = self;
        let text = comment.as_deref().map_or("NULL".to_string(), literal);
        vec![stmt(format!("COMMENT ON {} IS {text};", object_ref(target, *kind)))]
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

    fn set(target: ObjectId, kind: ObjectKind, comment: Option<&str>) -> String {
        Change::Set { target, kind, comment: comment.map(str::to_string) }.render()[0].sql.clone()
    }

    #[test]
    fn on_relations_and_columns() {
        let q = QualifiedName::new("app", "notes");
        assert_snapshot!(
            set(ObjectId::Table(q.clone()), ObjectKind::Table, Some("What people wrote; it's theirs."))
                + "\n"
                + &set(ObjectId::Column(q.clone(), "body".into()), ObjectKind::Column, Some("Markdown"))
                + "\n"
                + &set(ObjectId::View(q), ObjectKind::MaterializedView, None)
        );
    }

    #[test]
    fn on_routines_and_aggregates() {
        let f = QualifiedName::new("app", "note_count");
        assert_snapshot!(
            set(ObjectId::Function(f.clone(), "owner uuid".into()), ObjectKind::Function, Some("Per owner"))
                + "\n"
                + &set(ObjectId::Function(f, String::new()), ObjectKind::Aggregate, Some("All of them"))
        );
    }

    #[test]
    fn on_things_inside_tables() {
        let q = QualifiedName::new("app", "notes");
        let c =
            Change::Set { target: ObjectId::Policy(q.clone(), "own".into()), kind: ObjectKind::Policy, comment: None };
        assert!(c.is_finishing_touch());
        assert_eq!(c.group(), "table app.notes");
        assert_snapshot!(
            c.render()[0].sql.clone()
                + "\n"
                + &set(ObjectId::Trigger(q.clone(), "touch".into()), ObjectKind::Trigger, Some("x"))
                + "\n"
                + &set(ObjectId::Constraint(q, "notes_pkey".into()), ObjectKind::Constraint, Some("y"))
        );
    }
}
