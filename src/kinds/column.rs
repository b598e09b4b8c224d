//! Columns of tables that stay. A column is altered in place where PostgreSQL can (type,
//! collation, default, NOT NULL, storage, identity); a changed generated expression is a
//! drop and an add (its values are derived, nothing is lost). On tables that hold rows,
//! `SET NOT NULL` goes through a `NOT VALID` check validated in a later file.

use super::{is_widening, table_group, Kind};
use crate::catalog::{Catalog, Column, Identity, ObjectId, Sequence, Table, TypeKind};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Later, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{constraint_exists, sequence_options, stmt, unless_exists, when, Statement};
use serde::Serialize;
use std::collections::BTreeSet;

/// What changed about a column that stays, as the differ found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Altered {
    /// Data type or collation: `ALTER COLUMN ... TYPE` rewrites the table.
    Type,
    Default,
    NotNull,
    Storage,
    Identity,
}

// An alteration carries both forms of the column; plans hold few of them, so boxing
// would buy nothing but indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Change {
    Add {
        table: QualifiedName,
        column: Column,
    },
    /// `via_text`: the type change needs `USING col::text::new` (enum to enum, ...).
    /// `sequence`: an identity turned serial, whose new sequence takes the identity
    /// sequence's name, so the change creates it once the identity is gone.
    Alter {
        table: QualifiedName,
        from: Column,
        to: Column,
        via_text: bool,
        what: BTreeSet<Altered>,
        sequence: Option<Box<Sequence>>,
        /// Of a foreign table: its rows are elsewhere, so a new type needs no `USING`
        /// (PostgreSQL refuses one there) and no check of values.
        foreign: bool,
    },
    Drop {
        table: QualifiedName,
        column: Column,
    },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Column(c)
    }
}

/// What the plan should say about its column steps: a column dropped and added again
/// because PostgreSQL has no cast from its old type to its new one.
pub fn notes(changes: &[&crate::diff::Change]) -> Vec<String> {
    let mut out = Vec::new();
    for c in changes {
        let crate::diff::Change::Column(Change::Drop { table, column: old }) = c else { continue };
        for other in changes {
            let crate::diff::Change::Column(Change::Add { table: t, column: new }) = other else { continue };
            if t == table && new.name == old.name && new.data_type != old.data_type {
                out.push(format!(
                    "column {table}.{}: PostgreSQL has no cast from {} to {}, so the column is dropped and added again and its values are lost (deletes_data); to keep them, convert them in a hand-written migration first",
                    old.name, old.data_type, new.data_type
                ));
            }
        }
    }
    out
}

/// What differs between two forms of a column.
pub(crate) fn altered(from: &Column, to: &Column) -> BTreeSet<Altered> {
    let mut what = BTreeSet::new();
    if from.data_type != to.data_type || from.collation != to.collation {
        what.insert(Altered::Type);
    }
    if from.default != to.default {
        what.insert(Altered::Default);
    }
    if from.not_null != to.not_null {
        what.insert(Altered::NotNull);
    }
    if from.storage != to.storage {
        what.insert(Altered::Storage);
    }
    if from.identity != to.identity {
        what.insert(Altered::Identity);
    }
    what
}

/// Adds, drops, alterations and recreations that turn a kept table's columns into the
/// desired ones.
pub(crate) fn diff(d: &mut Differ, l: &Table, t: &Table) {
    // A child leaving a parent keeps the columns it inherited, as its own (`NO INHERIT`).
    let leaves_parent = l.inherits.iter().any(|p| !t.inherits.contains(p));
    let add = |c: &Column| Change::Add { table: t.name.clone(), column: c.clone() };
    for dc in t.columns.iter().filter(|c| c.local) {
        match l.column(&dc.name) {
            None => d.push(add(dc)),
            Some(lc) if lc == dc => {}
            Some(lc) if lc.generated != dc.generated => {
                // A generated expression cannot be altered in place (before PG 17);
                // its values are derived, so recreating the column loses nothing.
                let id = ObjectId::Column(t.name.clone(), dc.name.clone());
                let drop = Change::Drop { table: t.name.clone(), column: lc.clone() };
                d.replace(id, drop.into(), add(dc).into());
            }
            // A detached partition's columns become its own by themselves.
            Some(lc)
                if !lc.local
                    && !leaves_parent
                    && !inherited_in_desired(d.desired, t, &dc.name)
                    && t.partition_of.is_none()
                    && l.partition_of.is_none() =>
            {
                // It came from a parent that no longer has it: the parent's drop takes
                // it away, then the table gets its own.
                d.push(add(dc));
            }
            Some(lc) => alter(d, &t.name, lc, dc),
        }
    }
    // A table that joins a parent must have each of the parent's columns first
    // (`INHERIT` merges them): one it lacks is added, with what it inherits.
    let joins_parent = t.inherits.iter().any(|p| !l.inherits.contains(p));
    // Inherited columns: only what a child may override (default, NOT NULL).
    for dc in t.columns.iter().filter(|c| !c.local) {
        if joins_parent && l.column(&dc.name).is_none() {
            d.push(add(dc));
        }
        if let Some(lc) = l.column(&dc.name) {
            if lc.default != dc.default || lc.not_null != dc.not_null {
                let to = Column { data_type: lc.data_type.clone(), collation: lc.collation.clone(), ..dc.clone() };
                let what = altered(lc, &to);
                let sequence = None;
                let foreign = t.foreign.is_some();
                d.push(Change::Alter {
                    table: t.name.clone(),
                    from: lc.clone(),
                    to,
                    via_text: false,
                    what,
                    sequence,
                    foreign,
                });
            }
        }
    }
    for lc in l.columns.iter().filter(|c| c.local || leaves_parent) {
        if t.column(&lc.name).is_none() {
            d.push(Change::Drop { table: l.name.clone(), column: lc.clone() });
        }
    }
}

fn inherited_in_desired(desired: &Catalog, t: &Table, column: &str) -> bool {
    t.inherits
        .iter()
        .chain(t.partition_of.iter().map(|(p, _)| p))
        .any(|p| desired.tables.get(p).is_some_and(|pt| pt.column(column).is_some()))
}

fn alter(d: &mut Differ, table: &QualifiedName, lc: &Column, dc: &Column) {
    let what = altered(lc, dc);
    let retype = what.contains(&Altered::Type);
    // No cast from the old type to the new (bigint to timestamp): the column is dropped
    // and added again, which deletes its values (so it needs consent), and converges.
    if retype && !d.desired.cast_path(&lc.data_type, &dc.data_type) {
        let id = ObjectId::Column(table.clone(), dc.name.clone());
        let drop = Change::Drop { table: table.clone(), column: lc.clone() };
        d.replace(id, drop.into(), Change::Add { table: table.clone(), column: dc.clone() }.into());
        return;
    }
    if retype {
        d.mark_replaced(ObjectId::Column(table.clone(), dc.name.clone()));
    }
    let is_enum = |c: &Catalog, t: &str| {
        c.types.values().any(|ty| matches!(ty.kind, TypeKind::Enum { .. }) && t.trim_end_matches("[]") == ty.name.sql())
    };
    let via_text = retype && (is_enum(d.live, &lc.data_type) || is_enum(d.desired, &dc.data_type));
    let sequence = match (&lc.identity, &dc.identity, dc.default.as_deref().and_then(nextval_of)) {
        (Some(_), None, Some(name)) => {
            let live_identities = super::sequence::identity_sequences(d.live);
            d.desired
                .sequences
                .values()
                .find(|s| s.name.sql() == name && live_identities.contains(&s.name))
                .cloned()
                .map(Box::new)
        }
        (Some(_) | None, Some(_) | None, Some(_) | None) => None,
    };
    let foreign = d.desired.tables.get(table).is_some_and(|t| t.foreign.is_some());
    d.push(Change::Alter { table: table.clone(), from: lc.clone(), to: dc.clone(), via_text, what, sequence, foreign });
}

/// The column as `CREATE TABLE` and `ADD COLUMN` write it.
pub(crate) fn column_sql(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.data_type);
    if let Some(coll) = &c.collation {
        s += &format!(" COLLATE {coll}");
    }
    if let Some(g) = &c.generated {
        s += &format!(" GENERATED ALWAYS AS ({g}) STORED");
    }
    if let Some(d) = &c.default {
        s += &format!(" DEFAULT {d}");
    }
    if let Some(id) = &c.identity {
        s += &format!(" {}", identity_sql(id));
    }
    if c.not_null {
        s += " NOT NULL";
    }
    s
}

/// `SET STORAGE` for a column whose storage is not its type's default (or back to the
/// default). Storage is not part of a column definition before PostgreSQL 16, so it is a
/// statement of its own.
pub(crate) fn storage_sql(table: &QualifiedName, c: &Column) -> Statement {
    let mode = c.storage.as_deref().unwrap_or(&c.type_storage);
    stmt(format!("ALTER TABLE {} ALTER COLUMN {} SET STORAGE {mode};", table.sql(), ident(&c.name)))
}

fn identity_sql(id: &Identity) -> String {
    format!(
        "GENERATED {} AS IDENTITY (SEQUENCE NAME {} {})",
        if id.always { "ALWAYS" } else { "BY DEFAULT" },
        id.sequence.sql(),
        sequence_options(id.start, id.increment, id.min_value, id.max_value, id.cache, id.cycle)
    )
}

/// The column exists (with the given type, when one is given).
pub(crate) fn column_exists(table: &QualifiedName, column: &str, data_type: Option<&str>) -> Cond {
    let typed = data_type
        .map_or(String::new(), |t| format!(" AND pg_catalog.format_type(atttypid, atttypmod) = {}", literal(t)));
    Cond::exists(format!(
        "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass({}) AND attname = {} AND NOT attisdropped{typed}",
        literal(&table.sql()),
        literal(column)
    ))
}

fn alter_sql(
    table: &QualifiedName,
    from: &Column,
    to: &Column,
    (via_text, foreign): (bool, bool),
    what: &BTreeSet<Altered>,
    sequence: Option<&Sequence>,
) -> Vec<Statement> {
    let t = table.sql();
    let c = ident(&to.name);
    let mut out = Vec::new();
    let retype = what.contains(&Altered::Type);
    let default_changes = what.contains(&Altered::Default);
    // Becoming an identity column: drop the old default (and the serial sequence whose
    // name the identity takes), all guarded so that a second run finds it done.
    if let (None, Some(id)) = (&from.identity, &to.identity) {
        let query = format!(
            "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {}::regclass AND attname = {} AND attidentity <> ''",
            literal(&t),
            literal(&to.name)
        );
        let mut body = Vec::new();
        // The numbering carries over: the identity continues where the serial's
        // sequence was (and past every value the column holds).
        let serial = from.default.as_deref().and_then(nextval_of);
        if let Some(old) = &serial {
            body.push(format!(
                "PERFORM pg_catalog.set_config('schemaspec.counter', COALESCE((SELECT last_value::text FROM {old} WHERE is_called), ''), true)"
            ));
        }
        if from.default.is_some() {
            body.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"));
        }
        if from.default.as_deref() == Some(format!("nextval({}::regclass)", literal(&id.sequence.sql())).as_str()) {
            body.push(format!("DROP SEQUENCE IF EXISTS {}", id.sequence.sql()));
        }
        if retype {
            body.push(format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE {} USING {c}::{}", to.data_type, to.data_type));
        }
        if to.not_null && !from.not_null {
            body.push(format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"));
        }
        body.push(format!("ALTER TABLE {t} ALTER COLUMN {c} ADD {}", identity_sql(id)));
        let carried = if serial.is_some() {
            "NULLIF(pg_catalog.current_setting('schemaspec.counter'), '')::bigint, "
        } else {
            ""
        };
        body.push(format!(
            "PERFORM pg_catalog.setval({}::regclass, v, true) FROM (SELECT GREATEST({carried}(SELECT max({c}) FROM {t})::bigint) AS v) AS x WHERE v IS NOT NULL",
            literal(&id.sequence.sql())
        ));
        out.push(unless_exists(query, &body.join(";\n    ")));
        return out;
    }
    if from.default.is_some() && (default_changes || retype) {
        out.push(stmt(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;")));
    }
    // An identity whose sequence only changes its name (its table was renamed) keeps
    // the sequence, and with it the counter.
    let renamed_sequence =
        |a: &Identity, b: &Identity| a.sequence != b.sequence && a.sequence.schema == b.sequence.schema;
    let identity_goes = match (&from.identity, &to.identity) {
        (Some(a), Some(b)) => a.sequence != b.sequence && !renamed_sequence(a, b),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if identity_goes {
        out.push(stmt(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP IDENTITY IF EXISTS;")));
    }
    if let Some(s) = sequence {
        out.push(stmt(super::sequence::create_sql(s)));
        out.push(stmt(format!("ALTER SEQUENCE {} OWNED BY {t}.{c};", s.name.sql())));
    }
    if retype {
        let coll = to.collation.as_ref().map(|c| format!(" COLLATE {c}")).unwrap_or_default();
        let via = if via_text { "::text" } else { "" };
        let using = if foreign { String::new() } else { format!(" USING {c}{via}::{}", to.data_type) };
        let alter = format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE {}{coll}{using}", to.data_type);
        if from.data_type != to.data_type {
            // Even to the type it already has, ALTER TYPE trips over dependent views:
            // a second run must see it is done.
            let done = column_exists(table, &to.name, Some(&to.data_type));
            // A cast that truncates or rounds would do so silently: the migration stops
            // instead when a value would not survive, before anything changed.
            if !via_text && !foreign && lossy_narrowing(&from.data_type, &to.data_type) {
                let check = format!(
                    "IF EXISTS (SELECT 1 FROM {t} WHERE {c} IS DISTINCT FROM ({c}::{}{coll})::{}) THEN\n      \
                     RAISE EXCEPTION 'column %.% holds values that type % would truncate or round; nothing was changed', \
                     {}, {}, {} USING HINT = 'change or remove those values first (a hand-written migration), then apply again';\n    \
                     END IF",
                    to.data_type,
                    from.data_type,
                    literal(&t),
                    literal(&to.name),
                    literal(&to.data_type)
                );
                out.extend(when(&Cond::not(done.clone()), &check));
            }
            out.extend(when(&Cond::not(done), &alter));
        } else {
            out.push(stmt(format!("{alter};")));
        }
    }
    if let Some(d) = &to.default {
        if default_changes || retype {
            out.push(stmt(format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {d};")));
        }
        // An identity turned into a serial: its new sequence continues past every value
        // the column holds (and never goes back).
        if let (Some(_), None, Some(seq)) = (&from.identity, &to.identity, nextval_of(d)) {
            out.push(stmt(format!(
                "SELECT pg_catalog.setval(s, GREATEST(m, COALESCE(pg_catalog.pg_sequence_last_value(s), 0)), true) \
                 FROM (SELECT {}::regclass AS s, (SELECT max({c}) FROM {t})::bigint AS m) AS x WHERE m IS NOT NULL;",
                literal(&seq)
            )));
        }
    }
    if what.contains(&Altered::NotNull) {
        let verb = if to.not_null { "SET" } else { "DROP" };
        out.push(stmt(format!("ALTER TABLE {t} ALTER COLUMN {c} {verb} NOT NULL;")));
    }
    if what.contains(&Altered::Storage) || (retype && to.storage.is_some()) {
        out.push(storage_sql(table, to));
    }
    if let (Some(a), Some(b)) = (&from.identity, &to.identity) {
        if renamed_sequence(a, b) {
            // A second run finds no sequence of the old name.
            out.push(stmt(format!(
                "ALTER SEQUENCE IF EXISTS {} RENAME TO {};",
                a.sequence.sql(),
                ident(&b.sequence.name)
            )));
        }
        let a = &Identity { sequence: b.sequence.clone(), ..(**a).clone() };
        if a.sequence != b.sequence {
            // The identity moves to another sequence: dropped above, added anew.
            out.push(stmt(format!("ALTER TABLE {t} ALTER COLUMN {c} ADD {};", identity_sql(b))));
        } else {
            if a.always != b.always {
                let g = if b.always { "ALWAYS" } else { "BY DEFAULT" };
                out.push(stmt(format!("ALTER TABLE {t} ALTER COLUMN {c} SET GENERATED {g};")));
            }
            if a != &**b {
                let alter = format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} SET INCREMENT BY {} SET MINVALUE {} SET MAXVALUE {} SET START WITH {} SET CACHE {} SET {}CYCLE",
                    b.increment, b.min_value, b.max_value, b.start, b.cache, if b.cycle { "" } else { "NO " }
                );
                out.extend(crate::sql::keep_in_bounds(
                    &b.sequence,
                    (a.min_value, a.max_value),
                    (b.min_value, b.max_value),
                    &alter,
                ));
                out.push(stmt(format!("{alter};")));
            }
        }
    }
    out
}

/// A narrowing within a family whose casts cut values to fit instead of failing: shorter
/// strings or bit strings, fewer digits or fractional seconds, or a number to an integer.
fn lossy_narrowing(from: &str, to: &str) -> bool {
    let base = |t: &str| t.split('(').next().unwrap_or(t).trim().to_string();
    let family = |t: &str| match base(t).as_str() {
        "text" | "character varying" | "character" => Some("string"),
        "bit" | "bit varying" => Some("bits"),
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision" => Some("number"),
        b if b.starts_with("timestamp") || b.starts_with("time") || b.starts_with("interval") => Some("time"),
        _ => None,
    };
    !is_widening(from, to) && family(from).is_some() && family(from) == family(to)
}

/// The sequence a `nextval('seq'::regclass)` default draws from, as written there.
fn nextval_of(default: &str) -> Option<String> {
    let inner = default.strip_prefix("nextval('")?.strip_suffix("'::regclass)")?;
    Some(inner.replace("''", "'"))
}

/// Name of the temporary check that proves a column holds no NULL (unique per column,
/// at most 63 bytes).
pub fn not_null_check_name(table: &QualifiedName, column: &str) -> String {
    let tag = &crate::history::checksum(&format!("{}.{column}", table.sql()))[..8];
    let mut prefix: String = String::new();
    for ch in column.chars() {
        if prefix.len() + ch.len_utf8() > 36 {
            break;
        }
        prefix.push(ch);
    }
    format!("{prefix}_not_null_{tag}")
}

/// First half of `SET NOT NULL` online: `CHECK (col IS NOT NULL) NOT VALID`, only while
/// the column is still nullable.
fn add_not_null_check(table: &QualifiedName, column: &str) -> Vec<Statement> {
    let name = not_null_check_name(table, column);
    let done = Cond::or([
        Cond::exists(constraint_exists(table, &name)),
        Cond::exists(format!(
            "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {}::regclass AND attname = {} AND attnotnull",
            literal(&table.sql()),
            literal(column)
        )),
    ]);
    let sql = format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
        table.sql(),
        ident(&name),
        ident(column)
    );
    when(&Cond::not(done), &sql).into_iter().collect()
}

/// Second half: validate the check (reads and writes go on), then `SET NOT NULL`, which
/// PostgreSQL proves from the valid check without a scan, and drop the check.
fn finish_not_null(table: &QualifiedName, column: &str) -> Vec<Statement> {
    let name = not_null_check_name(table, column);
    let t = table.sql();
    let validate = format!("ALTER TABLE {t} VALIDATE CONSTRAINT {}", ident(&name));
    let validate = when(&Cond::exists(constraint_exists(table, &name)), &validate);
    validate
        .into_iter()
        .chain([
            stmt(format!("ALTER TABLE {t} ALTER COLUMN {} SET NOT NULL;", ident(column))),
            stmt(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {};", ident(&name))),
        ])
        .collect()
}

impl Change {
    fn parts(&self) -> (&QualifiedName, &Column) {
        match self {
            Change::Add { table, column }
            | Change::Drop { table, column }
            | Change::Alter { table, to: column, .. } => (table, column),
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let (table, c) = self.parts();
        ObjectId::Column(table.clone(), c.name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Add { .. } | Change::Alter { .. } => Phase::Create,
            Change::Drop { .. } => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Add { .. })
    }

    fn is_finishing_touch(&self) -> bool {
        false
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        table_group(self.parts().0)
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        Some(self.parts().0.clone())
    }

    fn requires(&self) -> Vec<ObjectId> {
        Vec::new()
    }

    fn hazards(&self, new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        let mut h = BTreeSet::new();
        match self {
            Change::Add { .. } => {}
            Change::Drop { .. } => {
                h.insert(Hazard::DeletesData);
            }
            // A foreign table's column holds nothing here: a new type rewrites and
            // loses nothing (the far side decides what reads back).
            Change::Alter { foreign: true, .. } => {}
            Change::Alter { table, from, to, what, .. } => {
                let existing = !new_tables.contains(table);
                if what.contains(&Altered::Type) {
                    h.insert(Hazard::RewritesTable);
                    if existing {
                        h.insert(Hazard::AccessExclusiveLock);
                    }
                    if !is_widening(&from.data_type, &to.data_type) {
                        h.insert(Hazard::DeletesData);
                    }
                }
                if to.not_null && !from.not_null && existing {
                    h.insert(Hazard::ValidatesConstraint);
                    h.insert(Hazard::AccessExclusiveLock);
                }
            }
        }
        h
    }

    fn describe(&self) -> String {
        match self {
            Change::Add { table, column } => format!("add column {}.{}", table, column.name),
            Change::Alter { table, to, .. } => format!("alter column {}.{}", table, to.name),
            Change::Drop { table, column } => format!("drop column {}.{}", table, column.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Add { table, column } => {
                let mut out =
                    vec![stmt(format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {};", table.sql(), column_sql(column)))];
                if column.storage.is_some() {
                    out.push(storage_sql(table, column));
                }
                out
            }
            Change::Alter { table, from, to, via_text, what, sequence, foreign } => {
                alter_sql(table, from, to, (*via_text, *foreign), what, sequence.as_deref())
            }
            Change::Drop { table, column } => {
                vec![stmt(format!("ALTER TABLE {} DROP COLUMN IF EXISTS {};", table.sql(), ident(&column.name)))]
            }
        }
    }

    /// `SET NOT NULL` on a kept table: the rest of the change with the column still
    /// nullable and a `NOT VALID` check, then (in a later file) the validation.
    /// A column whose data type changes stays old until its `ALTER ... TYPE` ran.
    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        match self {
            Change::Alter { table, from, to, .. } if from.data_type != to.data_type => {
                vec![(self.subject(), column_exists(table, &from.name, Some(&from.data_type)))]
            }
            Change::Add { .. } | Change::Alter { .. } | Change::Drop { .. } => Vec::new(),
        }
    }

    fn online(&self, tables: &Existing, _guarded: bool) -> Option<Online> {
        let Change::Alter { table, from, to, via_text, what, sequence, .. } = self else { return None };
        let only_nullability_scans = what.contains(&Altered::NotNull)
            && to.not_null
            && !what.contains(&Altered::Type)
            && !(from.identity.is_none() && to.identity.is_some());
        if !tables.kept(table) || !only_nullability_scans {
            return None;
        }
        let mut nullable = to.clone();
        nullable.not_null = false;
        let rest = altered(from, &nullable);
        let mut statements = if rest.is_empty() {
            Vec::new()
        } else {
            alter_sql(table, from, &nullable, (*via_text, false), &rest, sequence.as_deref())
        };
        statements.extend(add_not_null_check(table, &to.name));
        Some(Online {
            statements,
            hazards: BTreeSet::new(),
            then: None,
            later: Some(Later {
                table: table.clone(),
                description: format!("set {table}.{} not null (validated first)", to.name),
                statements: finish_not_null(table, &to.name),
            }),
        })
    }

    fn still_exists(&self) -> Option<Cond> {
        match self {
            Change::Drop { table, column } => Some(column_exists(table, &column.name, None)),
            Change::Add { .. } | Change::Alter { .. } => None,
        }
    }

    fn differs_from(&self, _create: &crate::diff::Change) -> Option<Cond> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    fn column(data_type: &str, not_null: bool, default: Option<&str>) -> Column {
        Column {
            name: "title".into(),
            data_type: data_type.into(),
            not_null,
            default: default.map(str::to_string),
            identity: None,
            generated: None,
            collation: None,
            storage: None,
            type_storage: "x".into(),
            local: true,
        }
    }

    fn table() -> QualifiedName {
        QualifiedName::new("app", "notes")
    }

    fn alter(from: Column, to: Column) -> Change {
        let what = altered(&from, &to);
        Change::Alter { table: table(), from, to, via_text: false, what, sequence: None, foreign: false }
    }

    fn sql(statements: &[Statement]) -> String {
        statements.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn add_and_drop() {
        let add = Change::Add { table: table(), column: column("text", true, Some("''::text")) };
        let drop = Change::Drop { table: table(), column: column("text", false, None) };
        assert_eq!(drop.hazards(&BTreeSet::new()), [Hazard::DeletesData].into());
        assert_snapshot!(sql(&add.render()) + "\n" + &sql(&drop.render()));
    }

    #[test]
    fn retype_is_guarded_and_keeps_the_default() {
        let c = alter(
            column("character varying(100)", false, Some("'x'::character varying")),
            column("text", false, Some("'x'::text")),
        );
        let Change::Alter { what, .. } = &c else { unreachable!() };
        assert_eq!(*what, [Altered::Type, Altered::Default].into());
        // Widening: the table is rewritten, no value is lost.
        assert!(!c.hazards(&BTreeSet::new()).contains(&Hazard::DeletesData));
        assert_snapshot!(sql(&c.render()));
    }

    #[test]
    fn set_not_null_online_and_plain() {
        let c = alter(column("text", false, None), column("text", true, None));
        assert_eq!(c.hazards(&BTreeSet::new()), [Hazard::ValidatesConstraint, Hazard::AccessExclusiveLock].into());
        let online = add_not_null_check(&table(), "title");
        let later = finish_not_null(&table(), "title");
        assert_snapshot!(sql(&c.render()) + "\n" + &sql(&online) + "\n" + &sql(&later));
    }
}
