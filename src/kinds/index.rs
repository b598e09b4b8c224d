//! Indexes (not those behind constraints: a constraint owns its index). A changed
//! definition, a move to another table or an INVALID index (left by a failed
//! concurrent build, never used) is a drop and a create. On tables that hold rows they
//! are built and dropped `CONCURRENTLY`, in files of their own.

use super::{table_group, Kind};
use crate::catalog::{Index, ObjectId};
use crate::diff::{Differ, Phase};
use crate::ident::{literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::{Cond, Value};
use crate::sql::{relkind_is, stmt, when, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Index),
    Drop(Index),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Index(c)
    }
}

/// Creates, drops and rebuilds that turn the live indexes into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.indexes, &d.desired.indexes);
    for i in new {
        d.push(Change::Create(i.clone()));
    }
    for i in gone {
        // Dropped with its table otherwise.
        if !d.table_dropped(&i.table) {
            d.push(Change::Drop(i.clone()));
        }
    }
    for (l, i) in both {
        let id = ObjectId::Index(i.name.clone());
        if l.table != i.table || !l.valid || !d.desired.same_definition(&id, &l.definition, &i.definition) {
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(i.clone()).into());
        }
    }
}

/// `CREATE [UNIQUE] INDEX IF NOT EXISTS ...` as PostgreSQL prints it (or as the schema
/// file wrote it, where the printed form would not create the same index).
pub(crate) fn create_sql(i: &Index) -> String {
    if let Some(source) = &i.source {
        return format!("{source};");
    }
    let def = &i.definition;
    let sql = if let Some(rest) = def.strip_prefix("CREATE UNIQUE INDEX ") {
        format!("CREATE UNIQUE INDEX IF NOT EXISTS {rest}")
    } else if let Some(rest) = def.strip_prefix("CREATE INDEX ") {
        format!("CREATE INDEX IF NOT EXISTS {rest}")
    } else {
        def.clone()
    };
    sql + ";"
}

/// `CREATE INDEX CONCURRENTLY`, preceded by the removal of an invalid leftover (a build
/// that died half-way; IF NOT EXISTS alone would keep it); `None` when the statement is
/// not a plain `CREATE [UNIQUE] INDEX`.
pub(crate) fn create_concurrently(i: &Index) -> Option<Vec<Statement>> {
    let create = create_sql(i);
    let concurrent = ["CREATE UNIQUE INDEX ", "CREATE INDEX "]
        .iter()
        .find_map(|head| create.strip_prefix(head).map(|rest| format!("{head}CONCURRENTLY {rest}")))?;
    let invalid = format!(
        "SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = pg_catalog.to_regclass({}) AND NOT indisvalid",
        literal(&i.name.sql())
    );
    let mut cleanup = when(&Cond::exists(invalid), &format!("DROP INDEX IF EXISTS {}", i.name.sql()))?;
    cleanup.no_transaction = true;
    Some(vec![cleanup, Statement { sql: concurrent, no_transaction: true, bare: None }])
}

impl Change {
    fn index(&self) -> &Index {
        match self {
            Change::Create(i) | Change::Drop(i) => i,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Index(self.index().name.clone())
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
        table_group(&self.index().table)
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        Some(self.index().name.clone())
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        Some(self.index().table.clone())
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Create(i) => vec![ObjectId::Table(i.table.clone())],
            Change::Drop(_) => Vec::new(),
        }
    }

    fn hazards(&self, new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Create(i) if !new_tables.contains(&i.table) => [Hazard::BuildsIndex].into(),
            Change::Create(_) | Change::Drop(_) => BTreeSet::new(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(i) => format!("create index {}", i.name),
            Change::Drop(i) if !i.valid => {
                format!("drop index {} (INVALID: left by a failed concurrent build; rebuilt)", i.name)
            }
            Change::Drop(i) => format!("drop index {}", i.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(i) => vec![stmt(create_sql(i))],
            Change::Drop(i) => vec![stmt(format!("DROP INDEX IF EXISTS {};", i.name.sql()))],
        }
    }

    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        Vec::new()
    }

    fn online(&self, tables: &Existing, guarded: bool) -> Option<Online> {
        match self {
            Change::Create(i) if tables.kept(&i.table) => Some(Online {
                statements: create_concurrently(i)?,
                hazards: [Hazard::BuildsIndex, Hazard::NoTransaction].into(),
                then: None,
                later: None,
            }),
            Change::Drop(i) if tables.kept(&i.table) && !guarded => Some(Online {
                statements: vec![Statement {
                    sql: format!("DROP INDEX CONCURRENTLY IF EXISTS {};", i.name.sql()),
                    no_transaction: true,
                    bare: None,
                }],
                hazards: [Hazard::NoTransaction].into(),
                then: None,
                later: None,
            }),
            Change::Create(_) | Change::Drop(_) => None,
        }
    }

    fn still_exists(&self) -> Option<Cond> {
        match self {
            // Once a constraint owns an index of that name (it took the name over), the
            // index is the constraint's: a second run leaves it alone.
            Change::Drop(i) => Some(Cond::and([
                relkind_is(&i.name, &["i", "I"]),
                Cond::not(Cond::exists(format!(
                    "SELECT 1 FROM pg_catalog.pg_constraint WHERE conindid = pg_catalog.to_regclass({})",
                    literal(&i.name.sql())
                ))),
            ])),
            Change::Create(_) => None,
        }
    }

    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond> {
        let (Change::Drop(old), crate::diff::Change::Index(Change::Create(new))) = (self, create) else {
            return None;
        };
        let name = literal(&old.name.sql());
        Some(Cond::and([
            Cond::holds(format!("pg_catalog.to_regclass({name}) IS NOT NULL")),
            Cond::differs(
                Value::Sql(format!(
                    "pg_catalog.replace(pg_catalog.pg_get_indexdef(pg_catalog.to_regclass({name})), ' ON ONLY ', ' ON ')"
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

    fn index(unique: bool, valid: bool) -> Index {
        let u = if unique { "UNIQUE " } else { "" };
        Index {
            name: QualifiedName::new("app", "notes_author_idx"),
            table: QualifiedName::new("app", "notes"),
            definition: format!(
                "CREATE {u}INDEX notes_author_idx ON app.notes USING btree (author_id, created_at DESC)"
            ),
            valid,
            source: None,
        }
    }

    fn sql(statements: &[Statement]) -> String {
        statements.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_gets_if_not_exists() {
        assert_snapshot!(
            sql(&Change::Create(index(false, true)).render())
                + "\n"
                + &sql(&Change::Create(index(true, true)).render())
        );
    }

    #[test]
    fn concurrent_build_first_removes_an_invalid_leftover() {
        let statements = create_concurrently(&index(true, true)).unwrap();
        assert!(statements.iter().all(|s| s.no_transaction));
        assert_snapshot!(sql(&statements));
    }

    #[test]
    fn replacement_drop_runs_only_while_the_definition_differs() {
        let drop = Change::Drop(index(false, false));
        assert!(drop.describe().contains("INVALID"));
        let cond = drop.differs_from(&Change::Create(index(true, true)).into()).unwrap();
        let guard = Cond::and([drop.still_exists().unwrap(), cond]);
        assert_snapshot!(sql(&drop.render()) + "\n" + &guard.sql());
    }
}
