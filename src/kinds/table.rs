//! Tables: their creation (columns inline, constraints as steps of their own so foreign
//! keys can wait for what they reference), their attributes (row-level security,
//! persistence, storage options, replica identity), partitioning and inheritance. A
//! changed partitioning (key, or partitioned or not) is a drop and a create; attaching,
//! detaching and inheriting keep the rows where they are. Foreign tables are tables
//! here too (their columns, constraints, grants and comments are a table's): their rows
//! are elsewhere, so another server is a drop and a create, and their options and their
//! columns' options are altered in place.

use super::{table_group, Kind};
use crate::catalog::{Foreign, ObjectId, ReplicaIdentity, Table};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::{Cond, Value};
use crate::sql::{
    fdw_option_changes, fdw_options, options_clause, relkind_is, stmt, unless_exists, when, while_options_are,
    Statement,
};
use serde::Serialize;
use std::collections::BTreeSet;

/// Attributes of a table that stays, changed in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Altered {
    /// `ENABLE` / `DISABLE ROW LEVEL SECURITY`.
    RowSecurity,
    /// `FORCE` / `NO FORCE ROW LEVEL SECURITY`.
    ForceRowSecurity,
    /// `SET LOGGED` / `SET UNLOGGED` (rewrites the table).
    Persistence,
    /// Storage parameters set or reset.
    Options,
    ReplicaIdentity,
}

/// A partitioned parent and the partition's bound (`FOR VALUES ...`).
pub type PartitionOf = (QualifiedName, String);

#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Change {
    Create(Table),
    /// `reset`: storage parameters the table no longer sets.
    Alter {
        to: Table,
        what: BTreeSet<Altered>,
        reset: Vec<String>,
    },
    Drop(Table),
    /// Attach to, detach from, or move between partitioned parents (or change the bound).
    Partition {
        table: QualifiedName,
        from: Option<PartitionOf>,
        to: Option<PartitionOf>,
    },
    /// Parents gained (`INHERIT`) and lost (`NO INHERIT`); the rows stay where they are.
    Inherit {
        table: QualifiedName,
        from: Vec<QualifiedName>,
        to: Vec<QualifiedName>,
    },
    /// A foreign table's options or its columns' options (same server).
    ForeignOptions {
        table: QualifiedName,
        from: Box<Foreign>,
        to: Box<Foreign>,
    },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Table(c)
    }
}

/// Creates, drops, replacements and alterations that turn the live tables into the
/// desired ones, with their columns and constraints.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.tables, &d.desired.tables);
    for t in new {
        d.push(Change::Create(t.clone()));
        // The index it names is created after the table: set once it exists.
        if matches!(t.replica_identity, ReplicaIdentity::Index(_)) {
            d.push(Change::Alter { to: t.clone(), what: [Altered::ReplicaIdentity].into(), reset: Vec::new() });
        }
        super::constraint::add_all(d, t);
    }
    for t in gone {
        d.push(Change::Drop(t.clone()));
    }
    let shape = |t: &Table| (t.partitioned, t.partition_key.clone(), t.foreign.as_ref().map(|f| f.server.clone()));
    for (l, t) in both {
        if shape(l) != shape(t) {
            let id = ObjectId::Table(t.name.clone());
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(t.clone()).into());
            super::constraint::add_all(d, t);
            continue;
        }
        // A new bound, or joining or leaving a partitioned table: DETACH/ATTACH keep the rows.
        if l.partition_of != t.partition_of {
            // A parent that is itself re-created (a new partition key): detach before it
            // goes (its drop would take the partition along) and attach once it is back,
            // two steps on either side of it.
            let replaced = |p: &QualifiedName| match (d.live.tables.get(p), d.desired.tables.get(p)) {
                (Some(a), Some(b)) => shape(a) != shape(b),
                (Some(_) | None, Some(_) | None) => false,
            };
            let split = l.partition_of.as_ref().is_some_and(|(p, _)| replaced(p))
                || t.partition_of.as_ref().is_some_and(|(p, _)| replaced(p));
            if split && l.partition_of.is_some() && t.partition_of.is_some() {
                d.push(Change::Partition { table: t.name.clone(), from: l.partition_of.clone(), to: None });
                d.push(Change::Partition { table: t.name.clone(), from: None, to: t.partition_of.clone() });
            } else {
                d.push(Change::Partition {
                    table: t.name.clone(),
                    from: l.partition_of.clone(),
                    to: t.partition_of.clone(),
                });
            }
        }
        if l.inherits != t.inherits {
            d.push(Change::Inherit { table: t.name.clone(), from: l.inherits.clone(), to: t.inherits.clone() });
        }
        let mut what = altered(Some(l), t);
        // An index as replica identity is a step of its own, once the index exists.
        if matches!(t.replica_identity, ReplicaIdentity::Index(_)) && what.remove(&Altered::ReplicaIdentity) {
            d.push(Change::Alter { to: t.clone(), what: [Altered::ReplicaIdentity].into(), reset: Vec::new() });
        }
        if !what.is_empty() {
            let key = |o: &String| o.split('=').next().unwrap_or_default().to_string();
            let reset = l.options.iter().map(key).filter(|k| !t.options.iter().any(|o| key(o) == *k)).collect();
            d.push(Change::Alter { to: t.clone(), what, reset });
        }
        if let (Some(from), Some(to)) = (&l.foreign, &t.foreign) {
            if from != to {
                d.push(Change::ForeignOptions { table: t.name.clone(), from: from.clone(), to: to.clone() });
            }
        }
        super::column::diff(d, l, t);
        super::constraint::diff(d, l, t);
    }
}

/// One column's options out of `column:key=value` items.
fn column_options(foreign: &Foreign, column: &str) -> Vec<String> {
    foreign
        .column_options
        .iter()
        .filter_map(|o| o.strip_prefix(column).and_then(|r| r.strip_prefix(':')))
        .map(str::to_string)
        .collect()
}

/// `ALTER FOREIGN TABLE ... OPTIONS` for the table and each column whose options
/// changed, each run while that object's options are still the old ones (ADD and DROP
/// fail once done).
fn foreign_options_sql(table: &QualifiedName, from: &Foreign, to: &Foreign) -> Vec<Statement> {
    let name = literal(&table.sql());
    let mut out = Vec::new();
    let items = fdw_option_changes(&from.options, &to.options);
    if !items.is_empty() {
        let now =
            format!("SELECT ftoptions FROM pg_catalog.pg_foreign_table WHERE ftrelid = pg_catalog.to_regclass({name})");
        let body = format!("ALTER FOREIGN TABLE {} OPTIONS ({})", table.sql(), items.join(", "));
        out.extend(while_options_are(&now, &from.options, &body));
    }
    let columns: BTreeSet<&str> = from
        .column_options
        .iter()
        .chain(&to.column_options)
        .filter_map(|o| o.split_once(':').map(|(c, _)| c))
        .collect();
    for c in columns {
        let (old, new) = (column_options(from, c), column_options(to, c));
        let items = fdw_option_changes(&old, &new);
        if items.is_empty() {
            continue;
        }
        let now = format!(
            "SELECT attfdwoptions FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass({name}) \
             AND attname = {} AND NOT attisdropped",
            literal(c)
        );
        let body =
            format!("ALTER FOREIGN TABLE {} ALTER COLUMN {} OPTIONS ({})", table.sql(), ident(c), items.join(", "));
        out.extend(while_options_are(&now, &old, &body));
    }
    out
}

/// The relkinds a table of this kind has.
fn relkinds(t: &Table) -> &'static [&'static str] {
    if t.foreign.is_some() {
        &["f"]
    } else {
        &["r", "p"]
    }
}

/// The attributes `t` sets that `from` (a new table when `None`) does not.
fn altered(from: Option<&Table>, t: &Table) -> BTreeSet<Altered> {
    let mut what = BTreeSet::new();
    let rls = from.map_or((false, false), |f| (f.rls_enabled, f.rls_forced));
    if t.rls_enabled != rls.0 {
        what.insert(Altered::RowSecurity);
    }
    if t.rls_forced != rls.1 {
        what.insert(Altered::ForceRowSecurity);
    }
    if t.replica_identity != from.map_or(ReplicaIdentity::Default, |f| f.replica_identity.clone()) {
        what.insert(Altered::ReplicaIdentity);
    }
    // A new table has these in its CREATE statement.
    if let Some(f) = from {
        if f.unlogged != t.unlogged {
            what.insert(Altered::Persistence);
        }
        if f.options != t.options {
            what.insert(Altered::Options);
        }
    }
    what
}

fn create_sql(t: &Table) -> String {
    let name = t.name.sql();
    let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
    let kind = if t.foreign.is_some() { "FOREIGN TABLE" } else { "TABLE" };
    // A foreign column's options follow its type.
    let column = |c: &crate::catalog::Column| {
        let sql = super::column::column_sql(c);
        let options = t.foreign.as_ref().map(|f| column_options(f, &c.name)).unwrap_or_default();
        if options.is_empty() {
            return sql;
        }
        let head = format!("{} {}", ident(&c.name), c.data_type);
        let rest = sql.strip_prefix(&head).unwrap_or_default();
        format!("{head} OPTIONS ({}){rest}", fdw_options(&options))
    };
    let mut sql = if let Some((parent, bound)) = &t.partition_of {
        format!("CREATE {unlogged}{kind} IF NOT EXISTS {name} PARTITION OF {} {bound}", parent.sql())
    } else {
        let cols: Vec<String> = t.columns.iter().filter(|c| c.local).map(|c| format!("    {}", column(c))).collect();
        let body = if cols.is_empty() { "()".to_string() } else { format!("(\n{}\n)", cols.join(",\n")) };
        let mut s = format!("CREATE {unlogged}{kind} IF NOT EXISTS {name} {body}");
        if !t.inherits.is_empty() {
            s += &format!(" INHERITS ({})", t.inherits.iter().map(|p| p.sql()).collect::<Vec<_>>().join(", "));
        }
        s
    };
    if let Some(key) = &t.partition_key {
        sql += &format!(" PARTITION BY {key}");
    }
    if let Some(f) = &t.foreign {
        sql += &format!(" SERVER {}", ident(&f.server));
        if !f.options.is_empty() {
            sql += &format!(" OPTIONS ({})", fdw_options(&f.options));
        }
    }
    sql += &options_clause(&t.options);
    sql + ";"
}

fn attributes_sql(t: &Table, what: &BTreeSet<Altered>, reset: &[String]) -> Vec<Statement> {
    let name = t.name.sql();
    let mut out = Vec::new();
    if what.contains(&Altered::RowSecurity) {
        let verb = if t.rls_enabled { "ENABLE" } else { "DISABLE" };
        out.push(stmt(format!("ALTER TABLE {name} {verb} ROW LEVEL SECURITY;")));
    }
    if what.contains(&Altered::ForceRowSecurity) {
        let verb = if t.rls_forced { "FORCE" } else { "NO FORCE" };
        out.push(stmt(format!("ALTER TABLE {name} {verb} ROW LEVEL SECURITY;")));
    }
    if what.contains(&Altered::Persistence) {
        let verb = if t.unlogged { "UNLOGGED" } else { "LOGGED" };
        out.push(stmt(format!("ALTER TABLE {name} SET {verb};")));
    }
    if what.contains(&Altered::Options) {
        if !reset.is_empty() {
            out.push(stmt(format!("ALTER TABLE {name} RESET ({});", reset.join(", "))));
        }
        if !t.options.is_empty() {
            out.push(stmt(format!("ALTER TABLE {name} SET ({});", t.options.join(", "))));
        }
    }
    if what.contains(&Altered::ReplicaIdentity) {
        let ri = match &t.replica_identity {
            ReplicaIdentity::Default => "DEFAULT".to_string(),
            ReplicaIdentity::Nothing => "NOTHING".to_string(),
            ReplicaIdentity::Full => "FULL".to_string(),
            ReplicaIdentity::Index(i) => format!("USING INDEX {}", ident(i)),
        };
        out.push(stmt(format!("ALTER TABLE {name} REPLICA IDENTITY {ri};")));
    }
    out
}

/// A query with a row while the table is a partition or child of `parent` (with
/// `bound`, when given).
fn child_of(table: &QualifiedName, parent: &QualifiedName, bound: Option<&str>) -> String {
    let bound =
        bound.map_or(String::new(), |b| format!(" AND pg_catalog.pg_get_expr(c.relpartbound, c.oid) = {}", literal(b)));
    format!(
        "SELECT 1 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhrelid = pg_catalog.to_regclass({}) AND i.inhparent = pg_catalog.to_regclass({}){bound}",
        literal(&table.sql()),
        literal(&parent.sql())
    )
}

fn partition_sql(table: &QualifiedName, from: Option<&PartitionOf>, to: Option<&PartitionOf>) -> Vec<Statement> {
    let mut out = Vec::new();
    if let Some((parent, _)) = from {
        // Detach while attached there, unless already as desired.
        let detach = format!("ALTER TABLE {} DETACH PARTITION {}", parent.sql(), table.sql());
        let attached = Cond::exists(child_of(table, parent, None));
        let as_desired = match to.filter(|(p2, _)| p2 == parent) {
            Some((p2, b2)) => Cond::exists(child_of(table, p2, Some(b2))),
            None => Cond::False,
        };
        out.extend(when(&Cond::and([attached, Cond::not(as_desired)]), &detach));
    }
    if let Some((parent, bound)) = to {
        let attach = format!("ALTER TABLE {} ATTACH PARTITION {} {bound}", parent.sql(), table.sql());
        out.push(unless_exists(child_of(table, parent, None), &attach));
    }
    out
}

impl Change {
    fn name(&self) -> &QualifiedName {
        match self {
            Change::Create(t) | Change::Drop(t) | Change::Alter { to: t, .. } => &t.name,
            Change::Partition { table, .. } | Change::Inherit { table, .. } | Change::ForeignOptions { table, .. } => {
                table
            }
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Table(self.name().clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    /// A detach lets go of the parent: it runs before the parent (or anything it leaves)
    /// goes.
    fn phase(&self) -> Phase {
        match self {
            Change::Create(_)
            | Change::Alter { .. }
            | Change::Partition { to: Some(_), .. }
            | Change::Inherit { .. }
            | Change::ForeignOptions { .. } => Phase::Create,
            Change::Drop(_) | Change::Partition { to: None, .. } => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Create(_))
    }

    /// `REPLICA IDENTITY USING INDEX` waits for its index, which waits for the table.
    fn is_finishing_touch(&self) -> bool {
        match self {
            Change::Alter { to, what, .. } => {
                matches!(to.replica_identity, ReplicaIdentity::Index(_))
                    && what.len() == 1
                    && what.contains(&Altered::ReplicaIdentity)
            }
            Change::Create(_)
            | Change::Drop(_)
            | Change::Partition { .. }
            | Change::Inherit { .. }
            | Change::ForeignOptions { .. } => false,
        }
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        table_group(self.name())
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        match self {
            Change::Create(t) | Change::Drop(t) => Some(t.name.clone()),
            Change::Alter { .. }
            | Change::Partition { .. }
            | Change::Inherit { .. }
            | Change::ForeignOptions { .. } => None,
        }
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Create(t) => t
                .partition_of
                .iter()
                .map(|(p, _)| p)
                .chain(t.inherits.iter())
                .map(|p| ObjectId::Table(p.clone()))
                .collect(),
            Change::Partition { to: Some((p, _)), .. } => vec![ObjectId::Table(p.clone())],
            // The new parents exist, and the child has every column they have.
            Change::Inherit { table, from, to } => to
                .iter()
                .filter(|p| !from.contains(p))
                .map(|p| ObjectId::Table(p.clone()))
                .chain(std::iter::once(ObjectId::Table(table.clone())))
                .collect(),
            // `REPLICA IDENTITY USING INDEX` needs the index.
            Change::Alter { to, what, .. } => match &to.replica_identity {
                ReplicaIdentity::Index(i) if what.contains(&Altered::ReplicaIdentity) => {
                    vec![ObjectId::Index(QualifiedName::new(to.name.schema.clone(), i.clone()))]
                }
                ReplicaIdentity::Index(_)
                | ReplicaIdentity::Default
                | ReplicaIdentity::Nothing
                | ReplicaIdentity::Full => Vec::new(),
            },
            // The columns whose options it sets.
            Change::ForeignOptions { table, to, .. } => to
                .column_options
                .iter()
                .filter_map(|o| o.split_once(':'))
                .map(|(c, _)| ObjectId::Column(table.clone(), c.to_string()))
                .collect(),
            Change::Partition { to: None, .. } | Change::Drop(_) => Vec::new(),
        }
    }

    fn hazards(&self, new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        let existing = !new_tables.contains(self.name());
        let mut h = BTreeSet::new();
        match self {
            // A foreign table's rows stay where they are.
            Change::Drop(t) if t.foreign.is_some() => {
                h.insert(Hazard::RecreatesObject);
            }
            Change::Drop(_) => {
                h.insert(Hazard::DeletesData);
            }
            Change::Alter { to, what, .. } => {
                if what.contains(&Altered::Persistence) {
                    h.insert(Hazard::RewritesTable);
                    if existing {
                        h.insert(Hazard::AccessExclusiveLock);
                    }
                }
                // Every row becomes visible to whoever may read the table.
                let rls_off = what.contains(&Altered::RowSecurity) && !to.rls_enabled;
                let unforced = what.contains(&Altered::ForceRowSecurity) && !to.rls_forced;
                if rls_off || unforced {
                    h.insert(Hazard::WeakensSecurity);
                }
            }
            // Attaching scans the partition, which waits under ACCESS EXCLUSIVE meanwhile.
            Change::Partition { to: Some(_), .. } => {
                h.insert(Hazard::ValidatesConstraint);
                if existing {
                    h.insert(Hazard::AccessExclusiveLock);
                }
            }
            Change::Create(_)
            | Change::Partition { to: None, .. }
            | Change::Inherit { .. }
            | Change::ForeignOptions { .. } => {}
        }
        h
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(t) if t.foreign.is_some() => format!("create foreign table {}", t.name),
            Change::Create(t) => format!("create table {}", t.name),
            Change::Alter { to, .. } => format!("alter table {}", to.name),
            Change::Drop(t) if t.foreign.is_some() => format!("drop foreign table {}", t.name),
            Change::Drop(t) => format!("drop table {}", t.name),
            Change::ForeignOptions { table, .. } => format!("alter options of foreign table {table}"),
            Change::Partition { table, to: Some((p, _)), .. } => format!("attach {table} as a partition of {p}"),
            Change::Partition { table, to: None, .. } => format!("detach partition {table}"),
            Change::Inherit { table, to, .. } if to.is_empty() => format!("set {table} to inherit from no table"),
            Change::Inherit { table, to, .. } => format!(
                "set {table} to inherit from {}",
                to.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(t) => {
                let mut out = vec![stmt(create_sql(t))];
                for c in t.columns.iter().filter(|c| c.storage.is_some()) {
                    out.push(super::column::storage_sql(&t.name, c));
                }
                // Inherited columns take the parent's default and NULL-ness; where this
                // table differs, say so (repeating the parent's is harmless).
                for c in t.columns.iter().filter(|c| !c.local && c.identity.is_none() && c.generated.is_none()) {
                    if let Some(d) = &c.default {
                        out.push(stmt(format!(
                            "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};",
                            t.name.sql(),
                            ident(&c.name)
                        )));
                    }
                    if c.not_null {
                        out.push(stmt(format!(
                            "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;",
                            t.name.sql(),
                            ident(&c.name)
                        )));
                    }
                }
                let mut what = altered(None, t);
                if matches!(t.replica_identity, ReplicaIdentity::Index(_)) {
                    what.remove(&Altered::ReplicaIdentity);
                }
                out.extend(attributes_sql(t, &what, &[]));
                out
            }
            Change::Alter { to, what, reset } => attributes_sql(to, what, reset),
            Change::Partition { table, from, to } => partition_sql(table, from.as_ref(), to.as_ref()),
            Change::Inherit { table, from, to } => {
                let mut out = Vec::new();
                for p in from.iter().filter(|p| !to.contains(p)) {
                    let sql = format!("ALTER TABLE {} NO INHERIT {}", table.sql(), p.sql());
                    out.extend(when(&Cond::exists(child_of(table, p, None)), &sql));
                }
                for p in to.iter().filter(|p| !from.contains(p)) {
                    let sql = format!("ALTER TABLE {} INHERIT {}", table.sql(), p.sql());
                    out.push(unless_exists(child_of(table, p, None), &sql));
                }
                out
            }
            Change::ForeignOptions { table, from, to } => foreign_options_sql(table, from, to),
            Change::Drop(t) if t.foreign.is_some() => {
                vec![stmt(format!("DROP FOREIGN TABLE IF EXISTS {};", t.name.sql()))]
            }
            Change::Drop(t) => vec![stmt(format!("DROP TABLE IF EXISTS {};", t.name.sql()))],
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
            Change::Drop(t) => Some(relkind_is(&t.name, relkinds(t))),
            Change::Create(_)
            | Change::Alter { .. }
            | Change::Partition { .. }
            | Change::Inherit { .. }
            | Change::ForeignOptions { .. } => None,
        }
    }

    /// While the table is not yet partitioned (or bound), foreign or on the server as
    /// desired.
    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond> {
        let (Change::Drop(old), crate::diff::Change::Table(Change::Create(new))) = (self, create) else {
            return None;
        };
        let name = literal(&old.name.sql());
        let server = Cond::differs(
            Value::Sql(format!(
                "(SELECT s.srvname::text FROM pg_catalog.pg_foreign_table ft \
                 JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = pg_catalog.to_regclass({name}))"
            )),
            Value::Const(new.foreign.as_ref().map_or("NULL".to_string(), |f| literal(&f.server))),
        );
        Some(Cond::and([
            relkind_is(&old.name, relkinds(old)),
            Cond::or([
                Cond::not(relkind_is(&new.name, relkinds(new))),
                server,
                Cond::differs(
                    Value::Sql(format!("pg_catalog.pg_get_partkeydef(pg_catalog.to_regclass({name}))")),
                    Value::Const(new.partition_key.as_deref().map_or("NULL".to_string(), literal)),
                ),
                Cond::differs(
                    Value::Sql(format!(
                        "(SELECT pg_catalog.pg_get_expr(relpartbound, oid) FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass({name}))"
                    )),
                    Value::Const(new.partition_of.as_ref().map_or("NULL".to_string(), |(_, b)| literal(b))),
                ),
            ]),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;
    use insta::assert_snapshot;

    fn table() -> Table {
        let mut t = Table::empty(QualifiedName::new("app", "notes"));
        t.columns = vec![Column {
            name: "id".into(),
            data_type: "bigint".into(),
            not_null: true,
            default: None,
            identity: None,
            generated: None,
            collation: None,
            storage: None,
            type_storage: "p".into(),
            local: true,
        }];
        t
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_with_row_level_security_and_replica_identity() {
        let t = Table {
            rls_enabled: true,
            replica_identity: ReplicaIdentity::Full,
            options: vec!["fillfactor=70".into()],
            ..table()
        };
        assert_snapshot!(sql(Change::Create(t)));
    }

    fn foreign(options: &[&str], column_options: &[&str]) -> Box<Foreign> {
        Box::new(Foreign {
            server: "billing".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            column_options: column_options.iter().map(|s| s.to_string()).collect(),
        })
    }

    #[test]
    fn a_foreign_table_is_created_on_its_server() {
        let t = Table { foreign: Some(foreign(&["table_name=invoices"], &["id:column_name=invoice_id"])), ..table() };
        let drop = Change::Drop(t.clone());
        assert!(!drop.hazards(&BTreeSet::new()).contains(&Hazard::DeletesData), "its rows are elsewhere");
        assert_snapshot!(sql(Change::Create(t)) + "\n" + &sql(drop));
    }

    #[test]
    fn foreign_options_change_in_place() {
        let c = Change::ForeignOptions {
            table: QualifiedName::new("app", "notes"),
            from: foreign(&["fetch_size=100", "table_name=a"], &["id:column_name=x"]),
            to: foreign(&["table_name=b"], &["id:column_name=y"]),
        };
        assert_eq!(c.requires(), vec![ObjectId::Column(QualifiedName::new("app", "notes"), "id".into())]);
        assert_snapshot!(sql(c));
    }

    #[test]
    fn alter_renders_only_what_changed() {
        let from = Table { options: vec!["fillfactor=70".into(), "autovacuum_enabled=false".into()], ..table() };
        let to = Table { unlogged: true, rls_forced: true, options: vec!["fillfactor=80".into()], ..table() };
        let what = altered(Some(&from), &to);
        assert_eq!(what, [Altered::ForceRowSecurity, Altered::Persistence, Altered::Options].into());
        let c = Change::Alter { to, what, reset: vec!["autovacuum_enabled".into()] };
        assert!(c.hazards(&BTreeSet::new()).contains(&Hazard::RewritesTable));
        assert_snapshot!(sql(c));
    }

    #[test]
    fn attach_detach_and_inherit_are_guarded() {
        let table = QualifiedName::new("app", "events_2026");
        let parent = QualifiedName::new("app", "events");
        let bound = "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')".to_string();
        let moved = Change::Partition {
            table: table.clone(),
            from: Some((parent.clone(), "DEFAULT".into())),
            to: Some((parent.clone(), bound)),
        };
        let inherit = Change::Inherit { table, from: vec![], to: vec![parent] };
        assert_snapshot!(sql(moved) + "\n" + &sql(inherit) + "\n" + &sql(Change::Drop(super::tests::table())));
    }
}
