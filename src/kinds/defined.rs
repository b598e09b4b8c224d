//! Objects known by their definition alone (`catalog::DefinedKind`): foreign-data
//! wrappers, servers and user mappings; text search dictionaries and configurations;
//! operators, operator families and classes; casts. None holds data, and PostgreSQL has
//! no `CREATE OR REPLACE` for any of them: a changed definition is a drop and a create,
//! each guarded so that a file runs twice. The options of wrappers, servers and user
//! mappings (a server's host, a mapping's user) are altered in place, which keeps the
//! foreign tables and mappings that depend on them.
//!
//! `pg/queries/defined.sql` writes each object's definition, the query that finds it and
//! (for the kinds with options) the query of its options; this module only compares and
//! renders them.

use super::{defined_group, Kind};
use crate::catalog::{Defined, ObjectId};
use crate::diff::{Differ, Phase};
use crate::ident::QualifiedName;
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::{Cond, Value};
use crate::sql::{fdw_option_changes, stmt, unless_exists, while_options_are, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Defined),
    /// Same shape, other options: `ALTER ... OPTIONS (SET ..., ADD ..., DROP ...)`.
    AlterOptions {
        live: Defined,
        desired: Defined,
    },
    Drop(Defined),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Defined(c)
    }
}

/// Creates, drops, replacements and option changes that turn the live objects into the
/// desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.defined, &d.desired.defined);
    for x in new {
        d.push(Change::Create(x.clone()));
    }
    // Each goes by itself (user mappings before their server: pg_depend orders them).
    for x in gone {
        d.push(Change::Drop(x.clone()));
    }
    for (l, x) in both {
        if l.shape != x.shape {
            d.replace(x.id(), Change::Drop(l.clone()).into(), Change::Create(x.clone()).into());
        } else if l.options != x.options {
            d.push(Change::AlterOptions { live: l.clone(), desired: x.clone() });
        }
    }
}

impl Change {
    fn object(&self) -> &Defined {
        match self {
            Change::Create(x) | Change::Drop(x) | Change::AlterOptions { desired: x, .. } => x,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        self.object().id()
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) | Change::AlterOptions { .. } => Phase::Create,
            Change::Drop(_) => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Create(_))
    }

    fn is_finishing_touch(&self) -> bool {
        false
    }

    /// In the order of `DefinedKind`: wrappers before servers before mappings, a family
    /// before its classes.
    fn rank(&self) -> u8 {
        self.object().kind as u8
    }

    fn group(&self) -> String {
        defined_group(self.object().kind).into()
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Create(x) if !x.schema.is_empty() => vec![ObjectId::Schema(x.schema.clone())],
            Change::Create(_) | Change::AlterOptions { .. } | Change::Drop(_) => Vec::new(),
        }
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Create(_) | Change::AlterOptions { .. } => BTreeSet::new(),
            Change::Drop(_) => [Hazard::RecreatesObject].into(),
        }
    }

    fn describe(&self) -> String {
        let x = self.object();
        match self {
            Change::Create(_) => format!("create {} {}", x.kind.word(), x.reference),
            Change::AlterOptions { .. } => format!("alter options of {} {}", x.kind.word(), x.reference),
            Change::Drop(_) => format!("drop {} {}", x.kind.word(), x.reference),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(x) => vec![unless_exists(x.probe.clone(), &x.definition)],
            Change::AlterOptions { live, desired } => {
                let (from, to) = (live.options.as_deref().unwrap_or(&[]), desired.options.as_deref().unwrap_or(&[]));
                let items = fdw_option_changes(from, to);
                if items.is_empty() {
                    return Vec::new();
                }
                let body =
                    format!("ALTER {} {} OPTIONS ({})", desired.kind.keyword(), desired.reference, items.join(", "));
                match &live.options_probe {
                    Some(probe) => while_options_are(probe, from, &body).into_iter().collect(),
                    None => vec![stmt(format!("{body};"))],
                }
            }
            Change::Drop(x) => vec![stmt(format!("DROP {} IF EXISTS {};", x.kind.keyword(), x.reference))],
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
            Change::Drop(x) => Some(Cond::exists(x.probe.clone())),
            Change::Create(_) | Change::AlterOptions { .. } => None,
        }
    }

    /// While the object's shape is not yet the desired one.
    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond> {
        let (Change::Drop(old), crate::diff::Change::Defined(Change::Create(new))) = (self, create) else {
            return None;
        };
        Some(Cond::differs(Value::Sql(format!("({})", old.shape_probe)), Value::text(&new.shape)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::DefinedKind;
    use insta::assert_snapshot;

    fn server(options: &[&str]) -> Defined {
        Defined {
            kind: DefinedKind::Server,
            schema: String::new(),
            reference: "billing".into(),
            definition: "CREATE SERVER billing FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db1', dbname 'b')"
                .into(),
            shape: "CREATE SERVER billing FOREIGN DATA WRAPPER postgres_fdw".into(),
            options: Some(options.iter().map(|s| s.to_string()).collect()),
            probe: "SELECT 1 FROM pg_catalog.pg_foreign_server WHERE srvname = 'billing'".into(),
            options_probe: Some("SELECT srvoptions FROM pg_catalog.pg_foreign_server WHERE srvname = 'billing'".into()),
            shape_probe: "SELECT x.shape FROM (SELECT 'CREATE SERVER billing' AS shape, 'billing' AS reference) x \
                          WHERE x.reference = 'billing'"
                .into(),
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_is_guarded_by_the_probe() {
        let c = Change::Create(server(&["dbname=b", "host=db1"]));
        assert_eq!(c.subject(), ObjectId::Defined(DefinedKind::Server, String::new(), "billing".into()));
        assert_eq!(c.group(), "foreign data");
        assert_snapshot!(sql(c));
    }

    #[test]
    fn options_are_set_added_and_dropped_in_place() {
        let c = Change::AlterOptions {
            live: server(&["dbname=b", "host=db1", "port=5433"]),
            desired: server(&["dbname=b", "fetch_size=500", "host=db2"]),
        };
        assert_snapshot!(sql(c));
    }

    #[test]
    fn replacement_drop_runs_while_the_shape_differs() {
        let drop = Change::Drop(server(&[]));
        let mut new = server(&[]);
        new.shape = "CREATE SERVER billing VERSION '2' FOREIGN DATA WRAPPER postgres_fdw".into();
        let guard = drop.differs_from(&Change::Create(new).into()).unwrap();
        assert_snapshot!(guard.sql());
    }

    #[test]
    fn drop_names_the_kind() {
        let mut cast = server(&[]);
        cast.kind = DefinedKind::Cast;
        cast.reference = "(app.mood AS text)".into();
        let c = Change::Drop(cast);
        assert!(c.hazards(&BTreeSet::new()).contains(&Hazard::RecreatesObject));
        assert_eq!(c.describe(), "drop cast (app.mood AS text)");
        assert_snapshot!(sql(c));
    }
}
