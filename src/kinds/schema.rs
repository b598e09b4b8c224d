//! Schemas (namespaces). Dropping one deletes whatever data lives in it.

use super::Kind;
use crate::catalog::{ObjectId, Schema};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Schema),
    Drop(Schema),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Schema(c)
    }
}

/// Creates and drops that turn the live schemas into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, _) = crate::diff::split(&d.live.schemas, &d.desired.schemas);
    for s in new {
        d.push(Change::Create(s.clone()));
    }
    for s in gone {
        d.push(Change::Drop(s.clone()));
    }
}

impl Change {
    fn schema(&self) -> &Schema {
        match self {
            Change::Create(s) | Change::Drop(s) => s,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Schema(self.schema().name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) => Phase::Create,
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
        "schemas and extensions".into()
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
        match self {
            Change::Create(_) => BTreeSet::new(),
            Change::Drop(_) => [Hazard::DeletesData].into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(s) => format!("create schema {}", s.name),
            Change::Drop(s) => format!("drop schema {}", s.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(s) => vec![stmt(format!("CREATE SCHEMA IF NOT EXISTS {};", ident(&s.name)))],
            Change::Drop(s) => vec![stmt(format!("DROP SCHEMA IF EXISTS {};", ident(&s.name)))],
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

    fn schema(name: &str) -> Schema {
        Schema { name: name.into() }
    }

    #[test]
    fn create_is_idempotent() {
        assert_snapshot!(Change::Create(schema("app")).render()[0].sql);
    }

    #[test]
    fn names_are_quoted() {
        assert_snapshot!(Change::Create(schema("Billing Data")).render()[0].sql);
    }

    #[test]
    fn drop_deletes_data() {
        let c = Change::Drop(schema("legacy"));
        assert_eq!(c.hazards(&BTreeSet::new()), [Hazard::DeletesData].into());
        assert_snapshot!(c.render()[0].sql);
    }
}
