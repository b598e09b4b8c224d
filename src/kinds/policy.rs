//! Row-level security policies (`CREATE POLICY`). A changed policy is dropped and
//! created again: `ALTER POLICY` cannot change its command or permissiveness, and one
//! statement for every change is simpler to prove.

use super::{table_group, Kind};
use crate::catalog::{ObjectId, Policy};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, unless_exists, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Policy),
    Drop(Policy),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Policy(c)
    }
}

/// Creates, drops and replacements that turn the live policies into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.policies, &d.desired.policies);
    for p in new {
        d.push(Change::Create(p.clone()));
    }
    for p in gone {
        // Dropped with its table otherwise.
        if !d.table_dropped(&p.table) {
            d.push(Change::Drop(p.clone()));
        }
    }
    for (l, p) in both {
        let id = ObjectId::Policy(p.table.clone(), p.name.clone());
        let exprs = |p: &Policy| {
            format!("{}\n{}", p.using.clone().unwrap_or_default(), p.with_check.clone().unwrap_or_default())
        };
        let same_exprs = d.desired.same_definition(&id, &exprs(l), &exprs(p));
        let same_rest = Policy { using: p.using.clone(), with_check: p.with_check.clone(), ..l.clone() } == *p;
        if !(same_exprs && same_rest) {
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(p.clone()).into());
        }
    }
}

/// `CREATE POLICY ...` as the catalog describes it.
fn create_sql(p: &Policy) -> String {
    let roles: Vec<String> =
        p.roles.iter().map(|r| if r == "public" { "PUBLIC".to_string() } else { ident(r) }).collect();
    let mut s = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        ident(&p.name),
        p.table.sql(),
        if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" },
        p.command,
        roles.join(", ")
    );
    if let Some(u) = &p.using {
        s += &format!(" USING ({u})");
    }
    if let Some(c) = &p.with_check {
        s += &format!(" WITH CHECK ({c})");
    }
    s
}

impl Change {
    fn policy(&self) -> &Policy {
        match self {
            Change::Create(p) | Change::Drop(p) => p,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let p = self.policy();
        ObjectId::Policy(p.table.clone(), p.name.clone())
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
        table_group(&self.policy().table)
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        Some(self.policy().table.clone())
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Create(p) => vec![ObjectId::Table(p.table.clone())],
            Change::Drop(_) => Vec::new(),
        }
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Create(_) => BTreeSet::new(),
            // Rows it hid (or changes it refused) become visible (allowed) to someone,
            // unless the plan creates it again (see `plan::build`).
            Change::Drop(_) => [Hazard::RecreatesObject, Hazard::WeakensSecurity].into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(p) => format!("create policy {} on {}", p.name, p.table),
            Change::Drop(p) => format!("drop policy {} on {}", p.name, p.table),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(p) => {
                let query = format!(
                    "SELECT 1 FROM pg_catalog.pg_policy WHERE polrelid = {}::regclass AND polname = {}",
                    literal(&p.table.sql()),
                    literal(&p.name)
                );
                vec![unless_exists(query, &create_sql(p))]
            }
            Change::Drop(p) => vec![stmt(format!("DROP POLICY IF EXISTS {} ON {};", ident(&p.name), p.table.sql()))],
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

    fn policy(command: &str, using: Option<&str>, with_check: Option<&str>) -> Policy {
        Policy {
            name: "owner can edit".into(),
            table: QualifiedName::new("app", "Notes"),
            permissive: true,
            command: command.into(),
            roles: vec!["authenticated".into(), "public".into()],
            using: using.map(str::to_string),
            with_check: with_check.map(str::to_string),
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_is_guarded_by_the_catalog() {
        assert_snapshot!(sql(Change::Create(policy(
            "UPDATE",
            Some("(owner = auth.uid())"),
            Some("(owner = auth.uid())")
        ))));
    }

    #[test]
    fn restrictive_insert_has_only_a_check() {
        let p = Policy { permissive: false, ..policy("INSERT", None, Some("(length(body) < 1000)")) };
        let c = Change::Create(p);
        assert_eq!(c.render()[0].plain(), "CREATE POLICY \"owner can edit\" ON app.\"Notes\" AS RESTRICTIVE FOR INSERT TO authenticated, PUBLIC WITH CHECK ((length(body) < 1000));");
        assert_snapshot!(sql(c));
    }

    #[test]
    fn drop_names_the_table() {
        let c = Change::Drop(policy("ALL", Some("true"), None));
        assert_eq!(c.hazards(&BTreeSet::new()), [Hazard::RecreatesObject, Hazard::WeakensSecurity].into());
        assert_eq!(c.describe(), "drop policy owner can edit on app.\"Notes\"");
        assert_snapshot!(sql(c));
    }
}
