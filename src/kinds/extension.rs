//! Extensions. One a platform installed, or one in a schema schemaspec does not manage,
//! is someone else's: files that do not mention it never drop it. A moved or updated
//! extension is altered in place.

use super::Kind;
use crate::catalog::{Extension, ObjectId};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, unless_exists, Statement};
use serde::Serialize;
use std::collections::BTreeSet;

/// What changed about an extension that stays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Altered {
    /// `ALTER EXTENSION ... SET SCHEMA`.
    Schema,
    /// `ALTER EXTENSION ... UPDATE TO`.
    Version,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Change {
    Create(Extension),
    Alter { to: Extension, what: BTreeSet<Altered> },
    Drop(Extension),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Extension(c)
    }
}

/// Creates, drops and alterations that turn the live extensions into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.extensions, &d.desired.extensions);
    for e in new {
        d.push(Change::Create(e.clone()));
    }
    for e in gone.into_iter().filter(|e| !e.held) {
        d.push(Change::Drop(e.clone()));
    }
    for (l, e) in both {
        let mut what = BTreeSet::new();
        if l.schema != e.schema {
            what.insert(Altered::Schema);
        }
        if l.version != e.version {
            what.insert(Altered::Version);
        }
        if !what.is_empty() {
            d.push(Change::Alter { to: e.clone(), what });
        }
    }
}

impl Change {
    fn extension(&self) -> &Extension {
        match self {
            Change::Create(e) | Change::Drop(e) | Change::Alter { to: e, .. } => e,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Extension(self.extension().name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) | Change::Alter { .. } => Phase::Create,
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
            Change::Create(_) | Change::Alter { .. } => BTreeSet::new(),
            // An extension may own tables (pg_cron's jobs, PostGIS's reference data).
            Change::Drop(_) => [Hazard::DeletesData].into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(e) => format!("create extension {}", e.name),
            Change::Alter { to, .. } => format!("alter extension {}", to.name),
            Change::Drop(e) => format!("drop extension {}", e.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(e) => vec![stmt(format!(
                "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} VERSION {};",
                ident(&e.name),
                ident(&e.schema),
                literal(&e.version)
            ))],
            Change::Alter { to, what } => {
                let mut out = Vec::new();
                if what.contains(&Altered::Schema) {
                    let query = format!(
                        "SELECT 1 FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace \
                         WHERE e.extname = {} AND n.nspname = {}",
                        literal(&to.name),
                        literal(&to.schema)
                    );
                    let move_it = format!("ALTER EXTENSION {} SET SCHEMA {}", ident(&to.name), ident(&to.schema));
                    out.push(unless_exists(query, &move_it));
                }
                if what.contains(&Altered::Version) {
                    out.push(stmt(format!("ALTER EXTENSION {} UPDATE TO {};", ident(&to.name), literal(&to.version))));
                }
                out
            }
            Change::Drop(e) => vec![stmt(format!("DROP EXTENSION IF EXISTS {};", ident(&e.name)))],
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

    fn extension() -> Extension {
        Extension { name: "pg_trgm".into(), schema: "extensions".into(), version: "1.6".into(), held: false }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_names_schema_and_version() {
        assert_snapshot!(sql(Change::Create(extension())));
    }

    #[test]
    fn alter_moves_and_updates_only_what_changed() {
        let moved = sql(Change::Alter { to: extension(), what: [Altered::Schema].into() });
        let both = sql(Change::Alter { to: extension(), what: [Altered::Schema, Altered::Version].into() });
        assert!(!moved.contains("UPDATE TO"));
        assert_snapshot!(both);
    }

    #[test]
    fn drop_deletes_data() {
        let c = Change::Drop(extension());
        assert_eq!(c.hazards(&BTreeSet::new()), [Hazard::DeletesData].into());
        assert_snapshot!(sql(c));
    }
}
