//! Rules on tables and views (`CREATE RULE`; a view's own `_RETURN` rule is the view).
//! A changed definition is replaced in place (`CREATE OR REPLACE RULE`); the enabled
//! state is a step of its own, after the rule exists.

use super::{table_group, Kind};
use crate::catalog::{Enabled, ObjectId, Rule};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Rule),
    /// `ENABLE` / `DISABLE` / `ENABLE REPLICA` / `ENABLE ALWAYS`, to the trigger's state.
    SetEnabled(Rule),
    Drop(Rule),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Rule(c)
    }
}

/// Creates, drops, replacements and enabled states that turn the live rules into the
/// desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.rules, &d.desired.rules);
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
        if l.definition != t.definition {
            // In place: what depends on the table is untouched.
            d.push(Change::Create(t.clone()));
            if t.enabled != l.enabled {
                d.push(Change::SetEnabled(t.clone()));
            }
        } else if l.enabled != t.enabled {
            d.push(Change::SetEnabled(t.clone()));
        }
    }
}

/// A new rule, and its state when it is not the default one.
pub(crate) fn create(d: &mut Differ, t: &Rule) {
    d.push(Change::Create(t.clone()));
    if t.enabled != Enabled::Origin {
        d.push(Change::SetEnabled(t.clone()));
    }
}

impl Change {
    fn rule(&self) -> &Rule {
        match self {
            Change::Create(t) | Change::SetEnabled(t) | Change::Drop(t) => t,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let t = self.rule();
        ObjectId::Rule(t.table.clone(), t.name.clone())
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
        table_group(&self.rule().table)
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        Some(self.rule().table.clone())
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Create(t) | Change::SetEnabled(t) => {
                vec![ObjectId::Table(t.table.clone()), ObjectId::View(t.table.clone())]
            }
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
            Change::Create(t) => format!("create or replace rule {} on {}", t.name, t.table),
            Change::SetEnabled(t) => format!("set enabled state of rule {} on {}", t.name, t.table),
            Change::Drop(t) => format!("drop rule {} on {}", t.name, t.table),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(t) => vec![stmt(t.definition.replacen("CREATE RULE ", "CREATE OR REPLACE RULE ", 1) + ";")],
            Change::SetEnabled(t) => {
                vec![stmt(format!("ALTER TABLE {} {} RULE {};", t.table.sql(), t.enabled.verb(), ident(&t.name)))]
            }
            Change::Drop(t) => vec![stmt(format!("DROP RULE IF EXISTS {} ON {};", ident(&t.name), t.table.sql()))],
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

    fn rule(enabled: Enabled) -> Rule {
        Rule {
            name: "archive_instead".into(),
            table: QualifiedName::new("app", "notes"),
            definition: "CREATE RULE archive_instead AS\n    ON DELETE TO app.notes DO INSTEAD  UPDATE app.notes SET archived = true\n  WHERE (notes.id = old.id)".into(),
            enabled,
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_replaces_in_place() {
        let c = Change::Create(rule(Enabled::Origin));
        assert_eq!(c.subject(), ObjectId::Rule(QualifiedName::new("app", "notes"), "archive_instead".into()));
        assert_eq!(c.parent_relation(), Some(QualifiedName::new("app", "notes")));
        assert_snapshot!(sql(c));
    }

    #[test]
    fn enabled_states_and_drop() {
        let states = [Enabled::Origin, Enabled::Disabled, Enabled::Replica, Enabled::Always]
            .map(|e| sql(Change::SetEnabled(rule(e))));
        assert!(Change::SetEnabled(rule(Enabled::Disabled)).is_finishing_touch());
        assert_snapshot!(states.join("\n") + "\n" + &sql(Change::Drop(rule(Enabled::Origin))));
    }

    #[test]
    fn a_dropped_rule_is_a_hazard() {
        let c = Change::Drop(rule(Enabled::Origin));
        assert!(c.hazards(&BTreeSet::new()).contains(&Hazard::RecreatesObject));
        assert!(Change::Create(rule(Enabled::Origin)).hazards(&BTreeSet::new()).is_empty());
    }
}
