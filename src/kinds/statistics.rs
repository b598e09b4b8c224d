//! Extended statistics (`CREATE STATISTICS`): what the planner is told about columns or
//! expressions of one table that go together. They hold no data of their own (`ANALYZE`
//! fills them), so a changed definition is simply a drop and a create; the statistics
//! target alone is set in place. Written as the first kind added module-first: one query
//! (`pg/queries/statistics.sql`), one model struct (`catalog::Statistics`), this module,
//! one line in `Change::kind`, one case folder (`tests/cases/extended_statistics`).

use super::{table_group, Kind};
use crate::catalog::{ObjectId, Statistics};
use crate::diff::{Differ, Phase};
use crate::ident::{literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::{Cond, Value};
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Statistics),
    /// The statistics target changed, nothing else.
    SetTarget(Statistics),
    Drop(Statistics),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Statistics(c)
    }
}

/// Creates, drops, replacements and targets that turn the live statistics objects into
/// the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.statistics, &d.desired.statistics);
    for s in new {
        create(d, s);
    }
    for s in gone {
        // Dropped with its table otherwise.
        if !d.table_dropped(&s.table) {
            d.push(Change::Drop(s.clone()));
        }
    }
    for (l, s) in both {
        let id = ObjectId::Statistics(s.name.clone());
        if l.table != s.table || !d.desired.same_definition(&id, &l.definition, &s.definition) {
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(s.clone()).into());
            if s.target.is_some() {
                d.push(Change::SetTarget(s.clone()));
            }
        } else if l.target != s.target {
            d.push(Change::SetTarget(s.clone()));
        }
    }
}

/// A new statistics object, and its target when it is not the default.
pub(crate) fn create(d: &mut Differ, s: &Statistics) {
    d.push(Change::Create(s.clone()));
    if s.target.is_some() {
        d.push(Change::SetTarget(s.clone()));
    }
}

impl Change {
    fn statistics(&self) -> &Statistics {
        match self {
            Change::Create(s) | Change::SetTarget(s) | Change::Drop(s) => s,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Statistics(self.statistics().name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) | Change::SetTarget(_) => Phase::Create,
            Change::Drop(_) => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Create(_))
    }

    fn is_finishing_touch(&self) -> bool {
        false
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        table_group(&self.statistics().table)
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        Some(self.statistics().table.clone())
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Create(s) => vec![ObjectId::Table(s.table.clone())],
            Change::SetTarget(_) | Change::Drop(_) => Vec::new(),
        }
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        BTreeSet::new()
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(s) => format!("create statistics {} on {}", s.name, s.table),
            Change::SetTarget(s) => format!("set statistics target of {}", s.name),
            Change::Drop(s) => format!("drop statistics {}", s.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(s) => {
                let def = s.definition.replacen("CREATE STATISTICS ", "CREATE STATISTICS IF NOT EXISTS ", 1);
                vec![stmt(format!("{def};"))]
            }
            // -1 is the default; PostgreSQL 17 also reads it so.
            Change::SetTarget(s) => {
                vec![stmt(format!("ALTER STATISTICS {} SET STATISTICS {};", s.name.sql(), s.target.unwrap_or(-1)))]
            }
            Change::Drop(s) => vec![stmt(format!("DROP STATISTICS IF EXISTS {};", s.name.sql()))],
        }
    }

    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        Vec::new()
    }

    fn online(&self, _tables: &Existing, _guarded: bool) -> Option<Online> {
        None
    }

    fn still_exists(&self) -> Option<Cond> {
        match self {
            Change::Drop(s) => Some(Cond::exists(format!(
                "SELECT 1 FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace \
                 WHERE n.nspname = {} AND s.stxname = {}",
                literal(&s.name.schema),
                literal(&s.name.name)
            ))),
            Change::Create(_) | Change::SetTarget(_) => None,
        }
    }

    /// While the statistics object is not yet defined as desired.
    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond> {
        let (Change::Drop(old), crate::diff::Change::Statistics(Change::Create(new))) = (self, create) else {
            return None;
        };
        Some(Cond::differs(
            Value::Sql(format!(
                "(SELECT pg_catalog.pg_get_statisticsobjdef(s.oid) FROM pg_catalog.pg_statistic_ext s \
                 JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = {} AND s.stxname = {})",
                literal(&old.name.schema),
                literal(&old.name.name)
            )),
            Value::text(&new.definition),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    fn statistics(kinds: &str, target: Option<i32>) -> Statistics {
        Statistics {
            name: QualifiedName::new("app", "orders_city_zip"),
            table: QualifiedName::new("app", "orders"),
            definition: format!("CREATE STATISTICS app.orders_city_zip ({kinds}) ON city, zip FROM app.orders"),
            target,
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_is_idempotent() {
        let c = Change::Create(statistics("ndistinct, dependencies", None));
        assert_eq!(c.requires(), vec![ObjectId::Table(QualifiedName::new("app", "orders"))]);
        assert_eq!(c.group(), "table app.orders");
        assert_snapshot!(sql(c));
    }

    #[test]
    fn target_set_and_reset() {
        let set = sql(Change::SetTarget(statistics("mcv", Some(500))));
        let reset = sql(Change::SetTarget(statistics("mcv", None)));
        assert_snapshot!(set + "\n" + &reset);
    }

    #[test]
    fn replacement_drop_runs_while_the_definition_differs() {
        let drop = Change::Drop(statistics("ndistinct", None));
        let create: crate::diff::Change = Change::Create(statistics("ndistinct, mcv", None)).into();
        let guard = Cond::and([drop.still_exists().unwrap(), drop.differs_from(&create).unwrap()]);
        assert_snapshot!(sql(drop) + "\n" + &guard.sql());
    }
}
