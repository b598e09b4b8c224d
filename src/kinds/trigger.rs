//! Triggers on tables and views. A changed definition is dropped and created again
//! (`CREATE OR REPLACE TRIGGER` cannot turn a trigger into a constraint trigger); the
//! enabled state is a step of its own, after the trigger exists.

use super::{table_group, Kind};
use crate::catalog::{Enabled, ObjectId, Trigger};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, unless_exists, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Trigger),
    /// `ENABLE` / `DISABLE` / `ENABLE REPLICA` / `ENABLE ALWAYS`, to the trigger's state.
    SetEnabled(Trigger),
    Drop(Trigger),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Trigger(c)
    }
}

/// Creates, drops, replacements and enabled states that turn the live triggers into
/// the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.triggers, &d.desired.triggers);
    for t in new {
        create(d, t);
    }
    for t in gone {
        // Dropped with its table otherwise.
        if !d.table_dropped(&t.table) {
            d.push(Change::Drop(t.clone()));
        }
    }
    for (l, t) in both {
        if l.definition != t.definition || l.constraint != t.constraint {
            let id = ObjectId::Trigger(t.table.clone(), t.name.clone());
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(t.clone()).into());
            if t.enabled != Enabled::Origin {
                d.push(Change::SetEnabled(t.clone()));
            }
        } else if l.enabled != t.enabled {
            d.push(Change::SetEnabled(t.clone()));
        }
    }
}

/// A new trigger, and its state when it is not the default one.
pub(crate) fn create(d: &mut Differ, t: &Trigger) {
    d.push(Change::Create(t.clone()));
    if t.enabled != Enabled::Origin {
        d.push(Change::SetEnabled(t.clone()));
    }
}

impl Change {
    fn trigger(&self) -> &Trigger {
        match self {
            Change::Create(t) | Change::SetEnabled(t) | Change::Drop(t) => t,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let t = self.trigger();
        ObjectId::Trigger(t.table.clone(), t.name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) | Change::SetEnabled(_) => Phase::Create,
            Change::Drop(_) => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Create(_))
    }

    fn is_finishing_touch(&self) -> bool {
        matches!(self, Change::SetEnabled(_))
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        table_group(&self.trigger().table)
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        Some(self.trigger().table.clone())
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Create(t) | Change::SetEnabled(t) => vec![ObjectId::Table(t.table.clone())],
            Change::Drop(_) => Vec::new(),
        }
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Create(_) | Change::SetEnabled(_) => BTreeSet::new(),
            Change::Drop(_) => [Hazard::RecreatesObject].into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(t) => format!("create trigger {} on {}", t.name, t.table),
            Change::SetEnabled(t) => format!("set enabled state of trigger {} on {}", t.name, t.table),
            Change::Drop(t) => format!("drop trigger {} on {}", t.name, t.table),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            // A constraint trigger has no OR REPLACE: it is looked up instead.
            Change::Create(t) if t.constraint => {
                let query = format!(
                    "SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {}::regclass AND tgname = {}",
                    literal(&t.table.sql()),
                    literal(&t.name)
                );
                vec![unless_exists(query, &t.definition)]
            }
            Change::Create(t) => {
                vec![stmt(t.definition.replacen("CREATE TRIGGER ", "CREATE OR REPLACE TRIGGER ", 1) + ";")]
            }
            Change::SetEnabled(t) => {
                vec![stmt(format!("ALTER TABLE {} {} TRIGGER {};", t.table.sql(), t.enabled.verb(), ident(&t.name)))]
            }
            Change::Drop(t) => vec![stmt(format!("DROP TRIGGER IF EXISTS {} ON {};", ident(&t.name), t.table.sql()))],
        }
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

    fn trigger(constraint: bool, enabled: Enabled) -> Trigger {
        let kind = if constraint { "CONSTRAINT TRIGGER" } else { "TRIGGER" };
        Trigger {
            name: "touch".into(),
            table: QualifiedName::new("app", "notes"),
            definition: format!(
                "CREATE {kind} touch AFTER UPDATE ON app.notes FOR EACH ROW EXECUTE FUNCTION app.touch()"
            ),
            constraint,
            enabled,
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_replaces_in_place() {
        assert_snapshot!(sql(Change::Create(trigger(false, Enabled::Origin))));
    }

    #[test]
    fn constraint_trigger_is_looked_up() {
        assert_snapshot!(sql(Change::Create(trigger(true, Enabled::Origin))));
    }

    #[test]
    fn enabled_states_and_drop() {
        let states = [Enabled::Origin, Enabled::Disabled, Enabled::Replica, Enabled::Always]
            .map(|e| sql(Change::SetEnabled(trigger(false, e))));
        assert!(Change::SetEnabled(trigger(false, Enabled::Disabled)).is_finishing_touch());
        assert_snapshot!(states.join("\n") + "\n" + &sql(Change::Drop(trigger(false, Enabled::Origin))));
    }
}
