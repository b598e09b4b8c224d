//! Table constraints: primary keys, unique, check, foreign key and exclusion. A changed
//! definition is a drop and an add (PostgreSQL alters only a few attributes in place).
//! On tables that hold rows, unique constraints are built from a concurrent index and
//! checks and foreign keys are added `NOT VALID` and validated in a later file.

use super::{table_group, Kind};
use crate::catalog::{Constraint, ConstraintKind, Index, ObjectId, Table};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Later, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{constraint_exists, stmt, unless_exists, Statement};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Add { table: QualifiedName, constraint: Constraint },
    Drop { table: QualifiedName, constraint: Constraint },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Constraint(c)
    }
}

/// The constraints of a table that is being created: added after it, so foreign keys
/// can wait for the tables they reference.
pub(crate) fn add_all(d: &mut Differ, t: &Table) {
    for c in t.constraints.values().filter(|c| c.local) {
        d.push(Change::Add { table: t.name.clone(), constraint: c.clone() });
    }
}

/// Adds, drops and replacements that turn a kept table's own constraints (not those it
/// inherits) into the desired ones.
pub(crate) fn diff(d: &mut Differ, l: &Table, t: &Table) {
    let local = |t: &Table| -> BTreeMap<String, Constraint> {
        t.constraints.iter().filter(|(_, c)| c.local).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    let (lm, dm) = (local(l), local(t));
    let (gone, new, both) = crate::diff::split(&lm, &dm);
    for c in new {
        d.push(Change::Add { table: t.name.clone(), constraint: c.clone() });
    }
    for c in gone {
        d.push(Change::Drop { table: l.name.clone(), constraint: c.clone() });
    }
    for (lc, c) in both {
        let id = ObjectId::Constraint(t.name.clone(), c.name.clone());
        if !d.desired.same_definition(&id, &lc.definition, &c.definition) {
            let drop = Change::Drop { table: l.name.clone(), constraint: lc.clone() };
            d.replace(id, drop.into(), Change::Add { table: t.name.clone(), constraint: c.clone() }.into());
        }
    }
}

/// What `ADD CONSTRAINT` writes: the schema file's own text where it has one.
fn definition(c: &Constraint) -> &str {
    c.source.as_deref().unwrap_or(&c.definition)
}

/// A unique constraint built online: its index `CONCURRENTLY` (no-transaction
/// statements), then `ADD CONSTRAINT ... USING INDEX`, which only takes a short lock.
/// `None` unless the definition is a plain `UNIQUE [NULLS NOT DISTINCT] (cols)`
/// [`DEFERRABLE` ...] that an index can carry.
fn unique_concurrently(table: &QualifiedName, c: &Constraint) -> Option<(Vec<Statement>, Vec<Statement>)> {
    let rest = definition(c).strip_prefix("UNIQUE ")?;
    let (nulls, rest) = match rest.strip_prefix("NULLS NOT DISTINCT ") {
        Some(r) => (" NULLS NOT DISTINCT", r),
        None => ("", rest),
    };
    let close = rest.find(')')?;
    let (columns, tail) = rest.split_at(close + 1);
    let tail = tail.trim();
    let deferrable = ["", "DEFERRABLE", "DEFERRABLE INITIALLY DEFERRED", "DEFERRABLE INITIALLY IMMEDIATE"];
    if !columns.starts_with('(') || columns[1..].contains('(') || !deferrable.contains(&tail) {
        return None;
    }
    let index = Index {
        name: QualifiedName::new(table.schema.clone(), c.name.clone()),
        table: table.clone(),
        definition: format!("CREATE UNIQUE INDEX {} ON {} USING btree {columns}{nulls}", ident(&c.name), table.sql()),
        valid: true,
        source: None,
    };
    let build = super::index::create_concurrently(&index)?;
    let tail = if tail.is_empty() { String::new() } else { format!(" {tail}") };
    let attach = format!(
        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}{tail}",
        table.sql(),
        ident(&c.name),
        ident(&c.name)
    );
    Some((build, vec![unless_exists(constraint_exists(table, &c.name), &attach)]))
}

/// `ADD CONSTRAINT ... NOT VALID` (a short lock, no scan); `None` when the constraint is
/// meant to stay NOT VALID anyway.
fn add_not_valid(table: &QualifiedName, c: &Constraint) -> Option<Vec<Statement>> {
    let def = definition(c);
    if def.ends_with("NOT VALID") {
        return None;
    }
    let sql = format!("ALTER TABLE {} ADD CONSTRAINT {} {def} NOT VALID", table.sql(), ident(&c.name));
    Some(vec![unless_exists(constraint_exists(table, &c.name), &sql)])
}

impl Change {
    fn parts(&self) -> (&QualifiedName, &Constraint) {
        match self {
            Change::Add { table, constraint } | Change::Drop { table, constraint } => (table, constraint),
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let (table, c) = self.parts();
        ObjectId::Constraint(table.clone(), c.name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Add { .. } => Phase::Create,
            Change::Drop { .. } => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Add { .. })
    }

    fn is_finishing_touch(&self) -> bool {
        false
    }

    /// Keys before checks before foreign keys, the order people write them.
    fn rank(&self) -> u8 {
        match (self, self.parts().1.kind) {
            (Change::Drop { .. }, _) => 0,
            (Change::Add { .. }, ConstraintKind::PrimaryKey) => 0,
            (Change::Add { .. }, ConstraintKind::Unique) => 1,
            (Change::Add { .. }, ConstraintKind::Exclusion) => 2,
            (Change::Add { .. }, ConstraintKind::Check) => 3,
            (Change::Add { .. }, ConstraintKind::ForeignKey) => 4,
        }
    }

    fn group(&self) -> String {
        table_group(self.parts().0)
    }

    /// An index-backed constraint's index takes the constraint's name in the schema.
    fn relation_name(&self) -> Option<QualifiedName> {
        let (table, c) = self.parts();
        match c.kind {
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => {
                Some(QualifiedName::new(table.schema.clone(), c.name.clone()))
            }
            ConstraintKind::Check | ConstraintKind::ForeignKey => None,
        }
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        Some(self.parts().0.clone())
    }

    fn requires(&self) -> Vec<ObjectId> {
        Vec::new()
    }

    /// ADD CONSTRAINT holds ACCESS EXCLUSIVE while it builds or scans; a foreign key
    /// takes SHARE ROW EXCLUSIVE (writes wait, reads go on).
    fn hazards(&self, new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Add { table, .. } if new_tables.contains(table) => BTreeSet::new(),
            Change::Add { constraint, .. } => match constraint.kind {
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => {
                    [Hazard::BuildsIndex, Hazard::AccessExclusiveLock].into()
                }
                ConstraintKind::Check => [Hazard::ValidatesConstraint, Hazard::AccessExclusiveLock].into(),
                ConstraintKind::ForeignKey => [Hazard::ValidatesConstraint].into(),
            },
            Change::Drop { .. } => BTreeSet::new(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Add { table, constraint } => format!("add constraint {} on {}", constraint.name, table),
            Change::Drop { table, constraint } => format!("drop constraint {} on {}", constraint.name, table),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Add { table, constraint } => {
                let add = format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {}",
                    table.sql(),
                    ident(&constraint.name),
                    definition(constraint)
                );
                vec![unless_exists(constraint_exists(table, &constraint.name), &add)]
            }
            Change::Drop { table, constraint } => vec![stmt(format!(
                "ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {};",
                table.sql(),
                ident(&constraint.name)
            ))],
        }
    }

    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        Vec::new()
    }

    fn online(&self, tables: &Existing, _guarded: bool) -> Option<Online> {
        let Change::Add { table, constraint } = self else { return None };
        if !tables.kept(table) {
            return None;
        }
        match constraint.kind {
            ConstraintKind::Unique => {
                let (build, attach) = unique_concurrently(table, constraint)?;
                Some(Online {
                    statements: build,
                    hazards: [Hazard::BuildsIndex, Hazard::NoTransaction].into(),
                    then: Some(attach),
                    later: None,
                })
            }
            ConstraintKind::Check | ConstraintKind::ForeignKey => Some(Online {
                statements: add_not_valid(table, constraint)?,
                hazards: BTreeSet::new(),
                then: None,
                later: Some(Later {
                    table: table.clone(),
                    description: format!("validate constraint {} on {table}", constraint.name),
                    // Scans under a lock that lets reads and writes go on; a no-op when valid.
                    statements: vec![stmt(format!(
                        "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                        table.sql(),
                        ident(&constraint.name)
                    ))],
                }),
            }),
            ConstraintKind::PrimaryKey | ConstraintKind::Exclusion => None,
        }
    }

    fn still_exists(&self) -> Option<Cond> {
        match self {
            Change::Drop { table, constraint } => Some(Cond::exists(constraint_exists(table, &constraint.name))),
            Change::Add { .. } => None,
        }
    }

    /// While the constraint's definition is not yet the desired one.
    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond> {
        let (Change::Drop { table, constraint }, crate::diff::Change::Constraint(Change::Add { constraint: new, .. })) =
            (self, create)
        else {
            return None;
        };
        let (printed, options) = printed_and_options(new);
        let options = match options {
            // The backing index's storage parameters, which the printed form leaves out.
            Some(options) => format!(
                " OR pg_catalog.array_to_string(COALESCE((SELECT i.reloptions FROM pg_catalog.pg_class i WHERE i.oid = conindid), '{{}}'), ', ') IS DISTINCT FROM {}",
                literal(&options)
            ),
            None => String::new(),
        };
        Some(Cond::exists(format!(
            "{} AND (pg_catalog.pg_get_constraintdef(oid) IS DISTINCT FROM {}{options})",
            constraint_exists(table, &constraint.name),
            literal(&printed)
        )))
    }
}

/// A constraint's definition as `pg_get_constraintdef` prints it, and for a key or
/// exclusion constraint the storage parameters of its index as introspection wrote them
/// in (`WITH (fillfactor=90)`, before any `WHERE (`), joined by `, `: empty when none.
fn printed_and_options(c: &Constraint) -> (String, Option<String>) {
    if !matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion) {
        return (c.definition.clone(), None);
    }
    let d = &c.definition;
    let before_where = d.find(" WHERE (").unwrap_or(d.len());
    let Some(start) = d[..before_where].find(" WITH (") else { return (d.clone(), Some(String::new())) };
    let inner = start + " WITH (".len();
    let Some(len) = d[inner..].find(')') else { return (d.clone(), Some(String::new())) };
    let printed = format!("{}{}", &d[..start], &d[inner + len + 1..]);
    (printed, Some(d[inner..inner + len].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    #[test]
    fn storage_parameters_come_apart_from_the_printed_form() {
        let c = |kind, definition: &str| Constraint {
            name: "k".into(),
            kind,
            definition: definition.into(),
            local: true,
            source: None,
        };
        assert_eq!(
            printed_and_options(&c(ConstraintKind::Unique, "UNIQUE (code) WITH (fillfactor=90)")),
            ("UNIQUE (code)".into(), Some("fillfactor=90".into()))
        );
        assert_eq!(
            printed_and_options(&c(
                ConstraintKind::Exclusion,
                "EXCLUDE USING btree (a WITH =) WITH (fillfactor=70) WHERE ((b > 100))"
            )),
            ("EXCLUDE USING btree (a WITH =) WHERE ((b > 100))".into(), Some("fillfactor=70".into()))
        );
        assert_eq!(
            printed_and_options(&c(ConstraintKind::Unique, "UNIQUE (code)")),
            ("UNIQUE (code)".into(), Some(String::new()))
        );
        assert_eq!(printed_and_options(&c(ConstraintKind::Check, "CHECK ((x > 0))")), ("CHECK ((x > 0))".into(), None));
    }

    fn constraint(name: &str, kind: ConstraintKind, definition: &str) -> Change {
        Change::Add {
            table: QualifiedName::new("public", "Users"),
            constraint: Constraint {
                name: name.into(),
                kind,
                definition: definition.into(),
                local: true,
                source: None,
            },
        }
    }

    fn sql(statements: &[Statement]) -> String {
        statements.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn add_is_guarded_by_the_catalog() {
        let c = constraint("users_pkey", ConstraintKind::PrimaryKey, "PRIMARY KEY (id)");
        assert_eq!(c.render()[0].plain(), "ALTER TABLE public.\"Users\" ADD CONSTRAINT users_pkey PRIMARY KEY (id);");
        assert_eq!(c.relation_name(), Some(QualifiedName::new("public", "users_pkey")));
        assert_snapshot!(sql(&c.render()));
    }

    #[test]
    fn online_unique_builds_its_index_first() {
        let c = constraint("users_email_key", ConstraintKind::Unique, "UNIQUE NULLS NOT DISTINCT (email)");
        let Change::Add { table, constraint } = &c else { unreachable!() };
        let (build, attach) = unique_concurrently(table, constraint).unwrap();
        assert_snapshot!(sql(&build) + "\n" + &sql(&attach));
    }

    #[test]
    fn online_check_is_added_not_valid_and_drop_guard() {
        let c = constraint("age_positive", ConstraintKind::Check, "CHECK ((age > 0))");
        let Change::Add { table, constraint } = &c else { unreachable!() };
        let drop = Change::Drop { table: table.clone(), constraint: constraint.clone() };
        let guard = drop.differs_from(&constraint_change_with("CHECK ((age >= 0))")).unwrap();
        assert_snapshot!(
            sql(&add_not_valid(table, constraint).unwrap()) + "\n" + &sql(&drop.render()) + "\n" + &guard.sql()
        );
    }

    fn constraint_change_with(definition: &str) -> crate::diff::Change {
        constraint("age_positive", ConstraintKind::Check, definition).into()
    }
}
