//! Functions, procedures and aggregates. `CREATE OR REPLACE` changes a routine in place
//! unless its result type or kind changes or a parameter default goes away: then it is
//! dropped and created again, with what depends on it.

use super::Kind;
use crate::catalog::{Function, ObjectId, RoutineKind};
use crate::diff::{Differ, Phase};
use crate::ident::{literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::{Cond, Value};
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    /// `CREATE OR REPLACE ...`: a new routine, or one changed in place.
    Create(Function),
    Drop(Function),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Function(c)
    }
}

/// Creates, drops, replacements in place and recreations that turn the live routines
/// into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.functions, &d.desired.functions);
    for f in new {
        d.push(Change::Create(f.clone()));
    }
    for f in gone {
        d.push(Change::Drop(f.clone()));
    }
    for (l, f) in both {
        if l == f {
            continue;
        }
        if l.kind == f.kind && l.result == f.result && f.defaults >= l.defaults {
            d.push(Change::Create(f.clone()));
        } else {
            let id = ObjectId::Function(f.name.clone(), f.identity_args.clone());
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(f.clone()).into());
        }
    }
}

impl Change {
    fn function(&self) -> &Function {
        match self {
            Change::Create(f) | Change::Drop(f) => f,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let f = self.function();
        ObjectId::Function(f.name.clone(), f.identity_args.clone())
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
        "functions".into()
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
            Change::Drop(_) => [Hazard::RecreatesObject].into(),
        }
    }

    fn describe(&self) -> String {
        let f = self.function();
        let verb = match self {
            Change::Create(_) => "create",
            Change::Drop(_) => "drop",
        };
        format!("{verb} {} {}({})", f.kind.word(), f.name, f.identity_args)
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(f) => vec![stmt(format!("{};", f.definition))],
            Change::Drop(f) => {
                let args = match (f.kind, f.identity_args.as_str()) {
                    (RoutineKind::Aggregate, "") => "*",
                    (RoutineKind::Function | RoutineKind::Procedure | RoutineKind::Aggregate, args) => args,
                };
                vec![stmt(format!("DROP {} IF EXISTS {}({args});", f.kind.keyword(), f.name.sql()))]
            }
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
            Change::Drop(f) => {
                Some(Cond::holds(format!("pg_catalog.to_regprocedure({}) IS NOT NULL", literal(&f.signature))))
            }
            Change::Create(_) => None,
        }
    }

    /// While the routine's definition is not yet the desired one (aggregates have no
    /// `pg_get_functiondef`: their drop runs while they exist).
    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond> {
        let (Change::Drop(old), crate::diff::Change::Function(Change::Create(new))) = (self, create) else {
            return None;
        };
        if old.kind == RoutineKind::Aggregate {
            return None;
        }
        let sig = literal(&old.signature);
        Some(Cond::and([
            Cond::holds(format!("pg_catalog.to_regprocedure({sig}) IS NOT NULL")),
            Cond::differs(
                Value::Sql(format!(
                    "pg_catalog.regexp_replace(pg_catalog.pg_get_functiondef(pg_catalog.to_regprocedure({sig})), '[[:space:]]+$', '')"
                )),
                Value::text(&new.definition),
            ),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    fn routine(kind: RoutineKind, args: &str) -> Function {
        Function {
            name: QualifiedName::new("app", "note_count"),
            identity_args: args.into(),
            kind,
            signature: format!("app.note_count({args})"),
            defaults: 0,
            result: "bigint".into(),
            definition: format!(
                "CREATE OR REPLACE FUNCTION app.note_count({args})\n RETURNS bigint\n LANGUAGE sql\nAS $function$ SELECT count(*) FROM app.notes $function$"
            ),
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_is_the_definition() {
        assert_snapshot!(sql(Change::Create(routine(RoutineKind::Function, "owner uuid"))));
    }

    #[test]
    fn drop_names_the_kind_and_arguments() {
        let text = [
            sql(Change::Drop(routine(RoutineKind::Function, "owner uuid"))),
            sql(Change::Drop(routine(RoutineKind::Procedure, "integer"))),
            sql(Change::Drop(routine(RoutineKind::Aggregate, ""))),
        ];
        assert_eq!(Change::Drop(routine(RoutineKind::Aggregate, "")).describe(), "drop aggregate app.note_count()");
        assert_snapshot!(text.join("\n"));
    }

    #[test]
    fn replacement_drop_runs_while_the_definition_differs() {
        let drop = Change::Drop(routine(RoutineKind::Function, ""));
        let new = Change::Create(routine(RoutineKind::Function, "")).into();
        let guard = Cond::and([drop.still_exists().unwrap(), drop.differs_from(&new).unwrap()]);
        assert_eq!(Change::Drop(routine(RoutineKind::Aggregate, "")).differs_from(&new), None);
        assert_snapshot!(guard.sql());
    }
}
