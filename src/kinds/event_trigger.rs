//! Event triggers (database-wide, on DDL events). A changed event, tag list or function
//! is a drop and a create; the enabled state is a step of its own.

use super::Kind;
use crate::catalog::{Enabled, EventTrigger, ObjectId};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, unless_exists, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(EventTrigger),
    /// `ALTER EVENT TRIGGER ... ENABLE / DISABLE / ENABLE REPLICA / ENABLE ALWAYS`.
    SetEnabled(EventTrigger),
    Drop(EventTrigger),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::EventTrigger(c)
    }
}

/// Creates, drops, replacements and enabled states that turn the live event triggers
/// into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.event_triggers, &d.desired.event_triggers);
    for e in new {
        d.push(Change::Create(e.clone()));
    }
    for e in gone {
        d.push(Change::Drop(e.clone()));
    }
    for e in d.desired.event_triggers.values() {
        if e.enabled != Enabled::Origin && !d.live.event_triggers.contains_key(&e.name) {
            d.push(Change::SetEnabled(e.clone()));
        }
    }
    for (l, e) in both {
        if (&l.event, &l.tags, &l.function) != (&e.event, &e.tags, &e.function) {
            let id = ObjectId::EventTrigger(e.name.clone());
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(e.clone()).into());
            if e.enabled != Enabled::Origin {
                d.push(Change::SetEnabled(e.clone()));
            }
        } else if l.enabled != e.enabled {
            d.push(Change::SetEnabled(e.clone()));
        }
    }
}

impl Change {
    fn event_trigger(&self) -> &EventTrigger {
        match self {
            Change::Create(e) | Change::SetEnabled(e) | Change::Drop(e) => e,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::EventTrigger(self.event_trigger().name.clone())
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
        "event triggers".into()
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
        match self {
            Change::Create(e) => format!("create event trigger {}", e.name),
            Change::SetEnabled(e) => format!("set enabled state of event trigger {}", e.name),
            Change::Drop(e) => format!("drop event trigger {}", e.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(e) => {
                let tags = if e.tags.is_empty() {
                    String::new()
                } else {
                    format!(" WHEN TAG IN ({})", e.tags.iter().map(|t| literal(t)).collect::<Vec<_>>().join(", "))
                };
                let query = format!("SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = {}", literal(&e.name));
                let create = format!(
                    "CREATE EVENT TRIGGER {} ON {}{tags} EXECUTE FUNCTION {}()",
                    ident(&e.name),
                    ident(&e.event),
                    e.function.sql()
                );
                vec![unless_exists(query, &create)]
            }
            Change::SetEnabled(e) => {
                vec![stmt(format!("ALTER EVENT TRIGGER {} {};", ident(&e.name), e.enabled.verb()))]
            }
            Change::Drop(e) => vec![stmt(format!("DROP EVENT TRIGGER IF EXISTS {};", ident(&e.name)))],
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

    fn event_trigger(tags: &[&str], enabled: Enabled) -> EventTrigger {
        EventTrigger {
            name: "audit ddl".into(),
            event: "ddl_command_end".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            function: QualifiedName::new("audit", "log_ddl"),
            enabled,
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_for_every_command() {
        assert_snapshot!(sql(Change::Create(event_trigger(&[], Enabled::Origin))));
    }

    #[test]
    fn create_for_some_tags() {
        assert_snapshot!(sql(Change::Create(event_trigger(&["CREATE TABLE", "ALTER TABLE"], Enabled::Origin))));
    }

    #[test]
    fn enabled_states_and_drop() {
        let states = [Enabled::Origin, Enabled::Disabled, Enabled::Replica, Enabled::Always]
            .map(|e| sql(Change::SetEnabled(event_trigger(&[], e))));
        assert_snapshot!(states.join("\n") + "\n" + &sql(Change::Drop(event_trigger(&[], Enabled::Origin))));
    }
}
