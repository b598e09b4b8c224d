//! Publications (logical replication): the publication with its options, and each table
//! (with its column list and row filter) or schema it publishes as a step of its own, so
//! a platform's publication (Supabase's `supabase_realtime`) can publish the user's
//! tables without schemaspec making or dropping it.

use super::Kind;
use crate::catalog::{ObjectId, Publication, PublishedTable};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, unless_exists, when, Statement};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What a publication publishes: a table (how: column list, row filter) or a schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Member {
    Table { table: QualifiedName, entry: PublishedTable },
    Schema(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Change {
    /// A publication with its options (and `FOR ALL TABLES`); tables and schemas are
    /// added by `Publish`.
    Create(Publication),
    /// `publish` or `publish_via_partition_root` changed.
    Alter {
        from: Publication,
        to: Publication,
    },
    Drop(Publication),
    /// A table or schema added to a publication, or, for a table already in it,
    /// published otherwise.
    Publish {
        publication: String,
        member: Member,
    },
    /// A table or schema taken out of a publication; with `unless_as`, only while the
    /// table is published otherwise than that (the first half of republishing it).
    Unpublish {
        publication: String,
        member: Member,
        unless_as: Option<PublishedTable>,
    },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Publication(c)
    }
}

/// Creates, drops, options and memberships that turn the live publications into the
/// desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.publications, &d.desired.publications);
    // A platform's publication is the platform's to make: only what it publishes of
    // ours is planned (where it is missing, those steps say so when they run).
    for p in new {
        if !p.held {
            d.push(Change::Create(p.clone()));
        }
        publish(d, p, None);
    }
    // A platform's publication stays; only what it publishes of ours goes.
    for p in gone {
        if p.held {
            let empty = Publication { tables: BTreeMap::new(), schemas: BTreeSet::new(), ..p.clone() };
            publish(d, &empty, Some(p));
        } else {
            d.push(Change::Drop(p.clone()));
        }
    }
    for (l, p) in both {
        if l.all_tables != p.all_tables && !l.held {
            d.push(Change::Drop(l.clone()));
            d.push(Change::Create(p.clone()));
            publish(d, p, None);
            continue;
        }
        if (&l.publish, l.via_root) != (&p.publish, p.via_root) {
            d.push(Change::Alter { from: l.clone(), to: p.clone() });
        }
        publish(d, p, Some(l));
    }
}

/// The memberships that turn `live`'s (none for a new publication) into `desired`'s.
fn publish(d: &mut Differ, desired: &Publication, live: Option<&Publication>) {
    let name = &desired.name;
    let empty = BTreeMap::new();
    let had = live.map_or(&empty, |l| &l.tables);
    for (t, entry) in &desired.tables {
        match had.get(t) {
            Some(old) if old == entry => continue,
            // Published otherwise (columns, filter): out, then in as desired.
            Some(old) => {
                let member = Member::Table { table: t.clone(), entry: old.clone() };
                let unless_as = Some(entry.clone());
                d.push(Change::Unpublish { publication: name.clone(), member, unless_as });
            }
            None => {}
        }
        let member = Member::Table { table: t.clone(), entry: entry.clone() };
        d.push(Change::Publish { publication: name.clone(), member });
    }
    let leaving: Vec<QualifiedName> =
        had.keys().filter(|t| !desired.tables.contains_key(*t) && !d.table_dropped(t)).cloned().collect();
    for t in leaving {
        let member = Member::Table { table: t, entry: PublishedTable::default() };
        d.push(Change::Unpublish { publication: name.clone(), member, unless_as: None });
    }
    let no_schemas = BTreeSet::new();
    let had = live.map_or(&no_schemas, |l| &l.schemas);
    for s in desired.schemas.difference(had) {
        d.push(Change::Publish { publication: name.clone(), member: Member::Schema(s.clone()) });
    }
    let leaving: Vec<String> = had.difference(&desired.schemas).cloned().collect();
    for s in leaving {
        d.push(Change::Unpublish { publication: name.clone(), member: Member::Schema(s), unless_as: None });
    }
}

/// `publish = '...', publish_via_partition_root = ...`.
fn options(p: &Publication) -> String {
    format!("publish = {}, publish_via_partition_root = {}", literal(&p.publish), p.via_root)
}

/// What `ADD` takes: `TABLE t (columns) WHERE (filter)` or `TABLES IN SCHEMA s`.
fn published(member: &Member) -> String {
    match member {
        Member::Table { table, entry } => {
            let columns = entry
                .columns
                .as_ref()
                .map(|c| format!(" ({})", c.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")))
                .unwrap_or_default();
            let filter = entry.row_filter.as_ref().map(|f| format!(" WHERE ({f})")).unwrap_or_default();
            format!("TABLE {}{columns}{filter}", table.sql())
        }
        Member::Schema(s) => format!("TABLES IN SCHEMA {}", ident(s)),
    }
}

/// A query with a row while the table or schema is in the publication.
fn membership(publication: &str, member: &Member) -> String {
    match member {
        Member::Table { table, .. } => format!(
            "SELECT 1 FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid \
             WHERE p.pubname = {} AND r.prrelid = pg_catalog.to_regclass({})",
            literal(publication),
            literal(&table.sql())
        ),
        Member::Schema(s) => format!(
            "SELECT 1 FROM pg_catalog.pg_publication_namespace n JOIN pg_catalog.pg_publication p ON p.oid = n.pnpubid \
             WHERE p.pubname = {} AND n.pnnspid = pg_catalog.to_regnamespace({})",
            literal(publication),
            literal(&ident(s))
        ),
    }
}

/// A query with a row while the table is published exactly as `entry` says (read with
/// an empty search path, as the catalog was).
fn published_as(publication: &str, table: &QualifiedName, entry: &PublishedTable) -> String {
    let member = membership(publication, &Member::Table { table: table.clone(), entry: entry.clone() });
    let columns = match &entry.columns {
        None => "r.prattrs IS NULL".to_string(),
        Some(c) => format!(
            "ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(r.prattrs) k JOIN pg_catalog.pg_attribute a \
             ON a.attrelid = r.prrelid AND a.attnum = k ORDER BY a.attnum) = ARRAY[{}]::text[]",
            c.iter().map(|n| literal(n)).collect::<Vec<_>>().join(", ")
        ),
    };
    let filter = match &entry.row_filter {
        None => "r.prqual IS NULL".to_string(),
        Some(f) => format!("pg_catalog.pg_get_expr(r.prqual, r.prrelid) = {}", literal(f)),
    };
    format!("{member} AND {columns} AND {filter}")
}

impl Change {
    fn publication(&self) -> &str {
        match self {
            Change::Create(p) | Change::Drop(p) | Change::Alter { to: p, .. } => &p.name,
            Change::Publish { publication, .. } | Change::Unpublish { publication, .. } => publication,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Publication(self.publication().to_string())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) | Change::Alter { .. } | Change::Publish { .. } => Phase::Create,
            Change::Drop(_) | Change::Unpublish { .. } => Phase::Drop,
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
        format!("publication {}", self.publication())
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Publish { member: Member::Table { table, .. }, .. } => vec![ObjectId::Table(table.clone())],
            Change::Publish { member: Member::Schema(s), .. } => vec![ObjectId::Schema(s.clone())],
            Change::Create(_) | Change::Alter { .. } | Change::Drop(_) | Change::Unpublish { .. } => Vec::new(),
        }
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        BTreeSet::new()
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(p) => format!("create publication {}", p.name),
            Change::Alter { to, .. } => format!("set options of publication {}", to.name),
            Change::Drop(p) => format!("drop publication {}", p.name),
            Change::Publish { publication, member: Member::Table { table, .. } } => {
                format!("publish table {table} in {publication}")
            }
            Change::Publish { publication, member: Member::Schema(s) } => {
                format!("publish the tables of schema {s} in {publication}")
            }
            Change::Unpublish { publication, member: Member::Table { table, .. }, .. } => {
                format!("stop publishing table {table} in {publication}")
            }
            Change::Unpublish { publication, member: Member::Schema(s), .. } => {
                format!("stop publishing the tables of schema {s} in {publication}")
            }
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(p) => {
                let exists = format!("SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = {}", literal(&p.name));
                let all = if p.all_tables { " FOR ALL TABLES" } else { "" };
                let create = format!("CREATE PUBLICATION {}{all} WITH ({})", ident(&p.name), options(p));
                vec![unless_exists(exists, &create)]
            }
            Change::Alter { to, .. } => {
                vec![stmt(format!("ALTER PUBLICATION {} SET ({});", ident(&to.name), options(to)))]
            }
            Change::Drop(p) => vec![stmt(format!("DROP PUBLICATION IF EXISTS {};", ident(&p.name)))],
            Change::Publish { publication, member } => {
                let add = format!("ALTER PUBLICATION {} ADD {}", ident(publication), published(member));
                vec![unless_exists(membership(publication, member), &add)]
            }
            Change::Unpublish { publication, member, unless_as } => {
                let (dropped, as_wanted) = match member {
                    Member::Table { table, .. } => (
                        format!("TABLE {}", table.sql()),
                        unless_as.as_ref().map_or(Cond::False, |e| Cond::exists(published_as(publication, table, e))),
                    ),
                    Member::Schema(s) => (format!("TABLES IN SCHEMA {}", ident(s)), Cond::False),
                };
                let drop = format!("ALTER PUBLICATION {} DROP {dropped}", ident(publication));
                let condition = Cond::and([Cond::exists(membership(publication, member)), Cond::not(as_wanted)]);
                when(&condition, &drop).into_iter().collect()
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

    fn publication(all_tables: bool) -> Publication {
        Publication {
            name: "realtime".into(),
            all_tables,
            publish: "insert, update".into(),
            via_root: true,
            tables: BTreeMap::new(),
            schemas: BTreeSet::new(),
            held: false,
        }
    }

    fn table(columns: Option<&[&str]>, filter: Option<&str>) -> Member {
        Member::Table {
            table: QualifiedName::new("app", "Messages"),
            entry: PublishedTable {
                columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
                row_filter: filter.map(str::to_string),
            },
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_alter_and_drop() {
        let text = [
            sql(Change::Create(publication(true))),
            sql(Change::Alter { from: publication(false), to: publication(false) }),
            sql(Change::Drop(publication(false))),
        ];
        assert_snapshot!(text.join("\n"));
    }

    #[test]
    fn publish_a_table_with_columns_and_filter_or_a_schema() {
        let name = "realtime".to_string();
        let table =
            sql(Change::Publish { publication: name.clone(), member: table(Some(&["id", "body"]), Some("(id > 0)")) });
        let schema = sql(Change::Publish { publication: name, member: Member::Schema("app".into()) });
        assert_snapshot!(table + "\n" + &schema);
    }

    #[test]
    fn republish_only_while_published_otherwise() {
        let c = Change::Unpublish {
            publication: "realtime".into(),
            member: table(None, None),
            unless_as: Some(PublishedTable { columns: Some(vec!["id".into()]), row_filter: None }),
        };
        assert_eq!(c.phase(), Phase::Drop);
        assert_snapshot!(sql(c));
    }
}
