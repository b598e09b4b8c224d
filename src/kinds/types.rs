//! User-defined types: enums, composites, ranges and domains. What PostgreSQL can change
//! in place is altered (enum values added or one renamed; composite attributes added,
//! dropped or retyped; a domain's default, NOT NULL and checks). Anything else, while
//! columns use the type, is a swap in one block: the old type renamed away, the new one
//! created, every column recast, the old one dropped. An unused type is dropped and
//! created again.

use super::{is_widening, object_group, Kind};
use crate::catalog::{Column, ObjectId, TypeDef, TypeKind};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::{Cond, Value};
use crate::sql::{stmt, unless_exists, when, Statement};
use serde::Serialize;
use std::collections::BTreeSet;

/// Where a new enum value goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum EnumPosition {
    Last,
    Before(String),
    After(String),
}

/// One step of a composite type's alteration, in the order they run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AttributeChange {
    Drop(String),
    Retype(String, String),
    Add(String, String),
}

/// One step of a domain's alteration, in the order they run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum DomainChange {
    /// The new default, `None` to drop it.
    Default(Option<String>),
    NotNull(bool),
    DropCheck(String),
    /// (name, definition).
    AddCheck(String, String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Change {
    Create(TypeDef),
    Drop(TypeDef),
    AddEnumValue {
        name: QualifiedName,
        value: String,
        position: EnumPosition,
    },
    /// One label replaced by another at the same place: `RENAME VALUE`, rows keep theirs.
    RenameEnumValue {
        name: QualifiedName,
        from: String,
        to: String,
    },
    /// Attributes of a composite type added, dropped or retyped, the rest in place.
    AlterComposite {
        name: QualifiedName,
        steps: Vec<AttributeChange>,
    },
    AlterDomain {
        name: QualifiedName,
        steps: Vec<DomainChange>,
    },
    /// A type that cannot change in place while columns use it (enum values removed or
    /// reordered; a composite attribute retyped; a range or domain over another type):
    /// the old type is renamed away, the new one created, every column using it recast,
    /// the old one dropped.
    Replace {
        from: TypeDef,
        to: TypeDef,
        columns: Vec<(QualifiedName, Column)>,
    },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Type(c)
    }
}

/// Creates, drops, alterations, swaps and recreations that turn the live types into
/// the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.types, &d.desired.types);
    for t in new {
        d.push(Change::Create(t.clone()));
    }
    for t in gone {
        d.push(Change::Drop(t.clone()));
    }
    for (l, t) in both {
        if l == t {
            continue;
        }
        // The columns a swap would recast; a type they use cannot change in place.
        let columns = columns_using(d, t);
        match (&l.kind, &t.kind) {
            (TypeKind::Enum { labels: old }, TypeKind::Enum { labels: new }) if is_subsequence(old, new) => {
                for (i, value) in new.iter().enumerate() {
                    if old.contains(value) {
                        continue;
                    }
                    // Place it after its predecessor in the new order; a value added
                    // first goes before the old first value.
                    let position = match i {
                        0 => new
                            .iter()
                            .find(|v| old.contains(v))
                            .map_or(EnumPosition::Last, |v| EnumPosition::Before(v.clone())),
                        _ => EnumPosition::After(new[i - 1].clone()),
                    };
                    d.push(Change::AddEnumValue { name: t.name.clone(), value: value.clone(), position });
                }
            }
            (TypeKind::Enum { labels: old }, TypeKind::Enum { labels: new }) if renamed_label(old, new).is_some() => {
                if let Some((from, to)) = renamed_label(old, new) {
                    d.push(Change::RenameEnumValue { name: t.name.clone(), from, to });
                }
            }
            (TypeKind::Composite { attributes: old }, TypeKind::Composite { attributes: new })
                if composite_alterable(old, new) && (columns.is_empty() || !retypes_attribute(old, new)) =>
            {
                d.push(Change::AlterComposite { name: t.name.clone(), steps: attribute_steps(old, new) });
            }
            (
                TypeKind::Domain { base: b1, collation: c1, default: d1, not_null: n1, checks: k1 },
                TypeKind::Domain { base: b2, collation: c2, default: d2, not_null: n2, checks: k2 },
            ) if b1 == b2 && c1 == c2 => {
                let mut steps = Vec::new();
                if d1 != d2 {
                    steps.push(DomainChange::Default(d2.clone()));
                }
                if n1 != n2 {
                    steps.push(DomainChange::NotNull(*n2));
                }
                for (n, _) in k1.iter().filter(|c| !k2.contains(c)) {
                    steps.push(DomainChange::DropCheck(n.clone()));
                }
                for (n, def) in k2.iter().filter(|c| !k1.contains(c)) {
                    steps.push(DomainChange::AddCheck(n.clone(), def.clone()));
                }
                d.push(Change::AlterDomain { name: t.name.clone(), steps });
            }
            (
                TypeKind::Enum { .. } | TypeKind::Composite { .. } | TypeKind::Range { .. } | TypeKind::Domain { .. },
                _,
            ) if matches!(t.kind, TypeKind::Enum { .. }) || !columns.is_empty() => {
                d.mark_replaced(ObjectId::Type(t.name.clone()));
                for (table, c) in &columns {
                    d.mark_replaced(ObjectId::Column(table.clone(), c.name.clone()));
                }
                d.push(Change::Replace { from: l.clone(), to: t.clone(), columns });
            }
            (
                TypeKind::Enum { .. } | TypeKind::Composite { .. } | TypeKind::Range { .. } | TypeKind::Domain { .. },
                _,
            ) => d.replace(
                ObjectId::Type(t.name.clone()),
                Change::Drop(l.clone()).into(),
                Change::Create(t.clone()).into(),
            ),
        }
    }
}

/// Attributes dropped (in the old order), then retyped or added in the new order.
fn attribute_steps(old: &[(String, String)], new: &[(String, String)]) -> Vec<AttributeChange> {
    let mut steps: Vec<AttributeChange> = old
        .iter()
        .filter(|(n, _)| !new.iter().any(|(m, _)| m == n))
        .map(|(n, _)| AttributeChange::Drop(n.clone()))
        .collect();
    for (n, t) in new {
        match old.iter().find(|(m, _)| m == n) {
            Some((_, ot)) if ot != t => steps.push(AttributeChange::Retype(n.clone(), t.clone())),
            Some(_) => {}
            None => steps.push(AttributeChange::Add(n.clone(), t.clone())),
        }
    }
    steps
}

/// Columns (kept, with the same declared type on both sides) whose type is `ty` or an
/// array of it: the ones a type swap must recast.
fn columns_using(d: &Differ, ty: &TypeDef) -> Vec<(QualifiedName, Column)> {
    let sql = ty.name.sql();
    d.desired
        .tables
        .values()
        .flat_map(|t| t.columns.iter().filter(|c| c.local).map(move |c| (t.name.clone(), c.clone())))
        .filter(|(_, c)| c.data_type.trim_end_matches("[]") == sql)
        .filter(|(t, c)| {
            d.live.tables.get(t).and_then(|lt| lt.column(&c.name)).is_some_and(|lc| lc.data_type == c.data_type)
        })
        .collect()
}

/// Same labels in the same order but one, replaced at the same place by a label that
/// was not there: read as a rename (rows keep their value), `(old, new)`.
fn renamed_label(old: &[String], new: &[String]) -> Option<(String, String)> {
    if old.len() != new.len() {
        return None;
    }
    let differing: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    match differing.as_slice() {
        [i] if !new.contains(&old[*i]) && !old.contains(&new[*i]) => Some((old[*i].clone(), new[*i].clone())),
        _ => None,
    }
}

/// Whether `ALTER TYPE ... ADD/DROP/ALTER ATTRIBUTE` gets from `old` to `new` with the
/// attributes in the desired order: kept ones stay in their order, new ones come last.
fn composite_alterable(old: &[(String, String)], new: &[(String, String)]) -> bool {
    let kept: Vec<&String> = old.iter().map(|(n, _)| n).filter(|n| new.iter().any(|(m, _)| m == *n)).collect();
    let new_names: Vec<&String> = new.iter().map(|(n, _)| n).collect();
    new_names.len() >= kept.len() && new_names[..kept.len()] == kept[..]
}

/// An attribute kept on both sides changes its type.
fn retypes_attribute(old: &[(String, String)], new: &[(String, String)]) -> bool {
    new.iter().any(|(n, t)| old.iter().any(|(m, u)| m == n && u != t))
}

/// Every element of `old` appears in `new`, in the same relative order.
fn is_subsequence(old: &[String], new: &[String]) -> bool {
    let mut it = new.iter();
    old.iter().all(|o| it.any(|n| n == o))
}

/// Values a type swap cannot carry over: an enum value removed (rows holding it make the
/// migration fail), a composite attribute dropped or narrowed, a range or domain moved to
/// a type that does not widen the old one.
fn swap_loses_values(from: &TypeKind, to: &TypeKind) -> bool {
    let narrows = |a: &str, b: &str| a != b && !is_widening(a, b);
    match (from, to) {
        (TypeKind::Enum { labels: old }, TypeKind::Enum { labels: new }) => old.iter().any(|l| !new.contains(l)),
        (TypeKind::Composite { attributes: old }, TypeKind::Composite { attributes: new }) => {
            old.iter().any(|(n, t)| new.iter().find(|(m, _)| m == n).is_none_or(|(_, u)| narrows(t, u)))
        }
        (TypeKind::Range { subtype: a, .. }, TypeKind::Range { subtype: b, .. }) => narrows(a, b),
        (TypeKind::Domain { base: a, .. }, TypeKind::Domain { base: b, .. }) => narrows(a, b),
        // Another kind of type: nothing carries over by itself.
        (TypeKind::Enum { .. } | TypeKind::Composite { .. } | TypeKind::Range { .. } | TypeKind::Domain { .. }, _) => {
            true
        }
    }
}

fn type_exists(q: &QualifiedName) -> String {
    format!(
        "SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = {} AND t.typname = {}",
        literal(&q.schema),
        literal(&q.name)
    )
}

fn create_sql(t: &TypeDef) -> String {
    let name = t.name.sql();
    match &t.kind {
        TypeKind::Enum { labels } => {
            format!("CREATE TYPE {name} AS ENUM ({})", labels.iter().map(|l| literal(l)).collect::<Vec<_>>().join(", "))
        }
        TypeKind::Domain { base, collation, default, not_null, checks } => {
            let mut s = format!("CREATE DOMAIN {name} AS {base}");
            if let Some(c) = collation {
                s += &format!(" COLLATE {c}");
            }
            if let Some(d) = default {
                s += &format!(" DEFAULT {d}");
            }
            if *not_null {
                s += " NOT NULL";
            }
            for (n, def) in checks {
                s += &format!(" CONSTRAINT {} {def}", ident(n));
            }
            s
        }
        TypeKind::Composite { attributes } => format!(
            "CREATE TYPE {name} AS ({})",
            attributes.iter().map(|(n, t)| format!("{} {t}", ident(n))).collect::<Vec<_>>().join(", ")
        ),
        TypeKind::Range { subtype, options } => {
            let mut opts = vec![format!("SUBTYPE = {subtype}")];
            opts.extend(options.iter().cloned());
            format!("CREATE TYPE {name} AS RANGE ({})", opts.join(", "))
        }
    }
}

/// True while the type is not yet in its desired form: an enum's labels in order, a
/// composite's attributes, a range's subtype and functions, a domain's base type.
pub(crate) fn type_differs(to: &TypeDef) -> Cond {
    let name = literal(&to.name.sql());
    let array = |items: Vec<String>| {
        format!("ARRAY[{}]::text[]", items.iter().map(|i| literal(i)).collect::<Vec<_>>().join(", "))
    };
    let (current, desired) = match &to.kind {
        TypeKind::Enum { labels } => (
            format!(
                "(SELECT pg_catalog.array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e \
                 WHERE e.enumtypid = pg_catalog.to_regtype({name}))"
            ),
            array(labels.clone()),
        ),
        TypeKind::Composite { attributes } => (
            format!(
                "(SELECT pg_catalog.array_agg(a.attname::text || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) \
                 ORDER BY a.attnum) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.typrelid = a.attrelid \
                 WHERE t.oid = pg_catalog.to_regtype({name}) AND a.attnum > 0 AND NOT a.attisdropped)"
            ),
            array(attributes.iter().map(|(n, t)| format!("{n} {}", without_collation(t))).collect()),
        ),
        TypeKind::Range { subtype, options } => {
            let mut want = vec![subtype.clone()];
            for key in ["CANONICAL = ", "SUBTYPE_DIFF = "] {
                want.extend(options.iter().filter(|o| o.starts_with(key)).cloned());
            }
            (
                format!(
                    "(SELECT pg_catalog.array_remove(ARRAY[pg_catalog.format_type(r.rngsubtype, NULL), \
                     CASE WHEN r.rngcanonical <> 0 THEN 'CANONICAL = ' || r.rngcanonical::regproc::text END, \
                     CASE WHEN r.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text END], NULL) \
                     FROM pg_catalog.pg_range r WHERE r.rngtypid = pg_catalog.to_regtype({name}))"
                ),
                array(want),
            )
        }
        TypeKind::Domain { base, .. } => (
            format!(
                "(SELECT pg_catalog.format_type(t.typbasetype, t.typtypmod) FROM pg_catalog.pg_type t \
                 WHERE t.oid = pg_catalog.to_regtype({name}))"
            ),
            literal(base),
        ),
    };
    Cond::differs(Value::Sql(current), Value::Const(desired))
}

/// `text COLLATE "C"` -> `text`: an attribute's type as `format_type` prints it.
fn without_collation(t: &str) -> &str {
    t.split(" COLLATE ").next().unwrap_or(t)
}

/// Swap a type for its new form, in one block that runs only while the type differs from
/// the desired one: the old type is renamed away (with its multirange), the new one
/// created, every column recast (composites attribute by attribute, by name; everything
/// else through its text form), the old type dropped.
fn replace_type_sql(from: &TypeDef, to: &TypeDef, columns: &[(QualifiedName, Column)]) -> Option<Statement> {
    let aside = |q: &QualifiedName| QualifiedName::new(q.schema.clone(), format!("{}__schemaspec_old", q.name));
    let old = aside(&to.name);
    let keyword = if matches!(to.kind, TypeKind::Domain { .. }) { "DOMAIN" } else { "TYPE" };
    let mut body = vec![format!("ALTER {keyword} {} RENAME TO {}", to.name.sql(), ident(&old.name))];
    if let TypeKind::Range { options, .. } = &from.kind {
        let multirange = options.iter().find_map(|o| o.strip_prefix("MULTIRANGE_TYPE_NAME = "));
        let mut types = vec![literal(&old.sql())];
        if let Some(m) = multirange.and_then(crate::ident::parse_qualified) {
            body.push(format!("ALTER TYPE {} RENAME TO {}", m.sql(), ident(&aside(&m).name)));
            types.push(literal(&aside(&m).sql()));
        }
        // Their constructor functions keep their names and would clash with the new ones.
        body.push(format!(
            "EXECUTE COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format('ALTER FUNCTION %s RENAME TO %I', \
             p.oid::regprocedure, p.proname || '__schemaspec_old'), '; ') FROM pg_catalog.pg_depend d \
             JOIN pg_catalog.pg_proc p ON p.oid = d.objid WHERE d.classid = 'pg_catalog.pg_proc'::regclass \
             AND d.refclassid = 'pg_catalog.pg_type'::regclass AND d.deptype = 'i' \
             AND d.refobjid IN ({})), 'SELECT 1')",
            types.iter().map(|t| format!("pg_catalog.to_regtype({t})")).collect::<Vec<_>>().join(", ")
        ));
    }
    body.push(create_sql(to));
    for (table, c) in columns {
        let (t, col) = (table.sql(), ident(&c.name));
        if c.default.is_some() {
            body.push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP DEFAULT"));
        }
        body.push(format!("ALTER TABLE {t} ALTER COLUMN {col} TYPE {} USING {}", c.data_type, recast(from, to, c)));
        if let Some(d) = &c.default {
            body.push(format!("ALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {d}"));
        }
    }
    body.push(format!("DROP {keyword} {}", old.sql()));
    when(&type_differs(to), &body.join(";\n    "))
}

/// The expression that turns a column's old value into the new type.
fn recast(from: &TypeDef, to: &TypeDef, c: &Column) -> String {
    let col = ident(&c.name);
    let array = c.data_type.ends_with("[]");
    match (&from.kind, &to.kind) {
        // Field by field, by name: attributes may be added, dropped, reordered or retyped.
        (TypeKind::Composite { attributes: old }, TypeKind::Composite { attributes: new }) if !array => {
            let fields: Vec<String> = new
                .iter()
                .map(|(n, ty)| match old.iter().any(|(m, _)| m == n) {
                    true => format!("({col}).{}::{}", ident(n), without_collation(ty)),
                    false => format!("NULL::{}", without_collation(ty)),
                })
                .collect();
            format!("CASE WHEN {col}::text IS NULL THEN NULL ELSE ROW({})::{} END", fields.join(", "), c.data_type)
        }
        (TypeKind::Enum { .. } | TypeKind::Composite { .. } | TypeKind::Range { .. } | TypeKind::Domain { .. }, _) => {
            format!("{col}::text{}::{}", if array { "[]" } else { "" }, c.data_type)
        }
    }
}

/// `DROP DOMAIN` / `DROP TYPE`, `ALTER DOMAIN` / `ALTER TYPE`.
fn keyword(t: &TypeDef) -> &'static str {
    match t.kind {
        TypeKind::Domain { .. } => "DOMAIN",
        TypeKind::Enum { .. } | TypeKind::Composite { .. } | TypeKind::Range { .. } => "TYPE",
    }
}

impl Change {
    fn name(&self) -> &QualifiedName {
        match self {
            Change::Create(t) | Change::Drop(t) | Change::Replace { to: t, .. } => &t.name,
            Change::AddEnumValue { name, .. }
            | Change::RenameEnumValue { name, .. }
            | Change::AlterComposite { name, .. }
            | Change::AlterDomain { name, .. } => name,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Type(self.name().clone())
    }

    /// A swap also acts on every column it recasts, so what depends on them is ordered
    /// around it.
    fn subjects(&self) -> Vec<ObjectId> {
        match self {
            Change::Replace { to, columns, .. } => std::iter::once(ObjectId::Type(to.name.clone()))
                .chain(columns.iter().map(|(t, c)| ObjectId::Column(t.clone(), c.name.clone())))
                .collect(),
            Change::Create(_)
            | Change::Drop(_)
            | Change::AddEnumValue { .. }
            | Change::RenameEnumValue { .. }
            | Change::AlterComposite { .. }
            | Change::AlterDomain { .. } => vec![self.subject()],
        }
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Drop(_) => Phase::Drop,
            Change::Create(_)
            | Change::AddEnumValue { .. }
            | Change::RenameEnumValue { .. }
            | Change::AlterComposite { .. }
            | Change::AlterDomain { .. }
            | Change::Replace { .. } => Phase::Create,
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
        object_group(&self.subject())
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
        let mut h = BTreeSet::new();
        match self {
            Change::Drop(_) => {
                h.insert(Hazard::RecreatesObject);
            }
            Change::AddEnumValue { .. } => {
                h.insert(Hazard::NoTransaction);
                h.insert(Hazard::ChangesEnum);
            }
            // Every row holding the old label now reads the new one.
            Change::RenameEnumValue { .. } => {
                h.insert(Hazard::ChangesEnum);
                h.insert(Hazard::ChangesMeaning);
            }
            Change::Replace { from, to, columns } => {
                h.insert(Hazard::RecreatesObject);
                if matches!(from.kind, TypeKind::Enum { .. }) {
                    h.insert(Hazard::ChangesEnum);
                }
                if !columns.is_empty() {
                    h.insert(Hazard::RewritesTable);
                    h.insert(Hazard::AccessExclusiveLock);
                }
                if !columns.is_empty() && swap_loses_values(&from.kind, &to.kind) {
                    h.insert(Hazard::DeletesData);
                }
            }
            Change::Create(_) | Change::AlterComposite { .. } | Change::AlterDomain { .. } => {}
        }
        h
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(t) => format!("create type {}", t.name),
            Change::Drop(t) => format!("drop type {}", t.name),
            Change::AddEnumValue { name, value, .. } => format!("add value {value:?} to enum {name}"),
            Change::RenameEnumValue { name, from, to } => format!("rename value {from:?} of enum {name} to {to:?}"),
            Change::AlterComposite { name, .. } => format!("alter composite type {name}"),
            Change::AlterDomain { name, .. } => format!("alter domain {name}"),
            Change::Replace { to, columns, .. } => {
                format!("replace type {} ({} column(s) recast)", to.name, columns.len())
            }
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(t) => vec![unless_exists(type_exists(&t.name), &create_sql(t))],
            Change::Drop(t) => vec![stmt(format!("DROP {} IF EXISTS {};", keyword(t), t.name.sql()))],
            Change::AddEnumValue { name, value, position } => {
                let pos = match position {
                    EnumPosition::Last => String::new(),
                    EnumPosition::Before(v) => format!(" BEFORE {}", literal(v)),
                    EnumPosition::After(v) => format!(" AFTER {}", literal(v)),
                };
                vec![Statement {
                    sql: format!("ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{pos};", name.sql(), literal(value)),
                    no_transaction: true,
                    bare: None,
                }]
            }
            Change::RenameEnumValue { name, from, to } => {
                let query = format!(
                    "SELECT 1 FROM pg_catalog.pg_enum WHERE enumtypid = pg_catalog.to_regtype({}) AND enumlabel = {}",
                    literal(&name.sql()),
                    literal(to)
                );
                let rename = format!("ALTER TYPE {} RENAME VALUE {} TO {}", name.sql(), literal(from), literal(to));
                vec![unless_exists(query, &rename)]
            }
            Change::AlterComposite { name, steps } => {
                let name = name.sql();
                let mut out = Vec::new();
                for step in steps {
                    match step {
                        AttributeChange::Drop(n) => {
                            out.push(stmt(format!("ALTER TYPE {name} DROP ATTRIBUTE IF EXISTS {} CASCADE;", ident(n))))
                        }
                        AttributeChange::Retype(n, t) => {
                            out.push(stmt(format!("ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {t};", ident(n))))
                        }
                        AttributeChange::Add(n, t) => {
                            let query = format!(
                                "SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.typrelid = a.attrelid \
                                 WHERE t.oid = pg_catalog.to_regtype({}) AND a.attname = {} AND NOT a.attisdropped",
                                literal(&name),
                                literal(n)
                            );
                            let add = format!("ALTER TYPE {name} ADD ATTRIBUTE {} {t} CASCADE", ident(n));
                            out.push(unless_exists(query, &add));
                        }
                    }
                }
                out
            }
            Change::AlterDomain { name, steps } => {
                let name = name.sql();
                let mut out = Vec::new();
                for step in steps {
                    match step {
                        DomainChange::Default(Some(d)) => {
                            out.push(stmt(format!("ALTER DOMAIN {name} SET DEFAULT {d};")))
                        }
                        DomainChange::Default(None) => out.push(stmt(format!("ALTER DOMAIN {name} DROP DEFAULT;"))),
                        DomainChange::NotNull(n) => {
                            out.push(stmt(format!("ALTER DOMAIN {name} {} NOT NULL;", if *n { "SET" } else { "DROP" })))
                        }
                        DomainChange::DropCheck(n) => {
                            out.push(stmt(format!("ALTER DOMAIN {name} DROP CONSTRAINT IF EXISTS {};", ident(n))))
                        }
                        DomainChange::AddCheck(n, def) => {
                            let query = format!(
                                "SELECT 1 FROM pg_catalog.pg_constraint WHERE contypid = {}::regtype AND conname = {}",
                                literal(&name),
                                literal(n)
                            );
                            let add = format!("ALTER DOMAIN {name} ADD CONSTRAINT {} {def}", ident(n));
                            out.push(unless_exists(query, &add));
                        }
                    }
                }
                out
            }
            Change::Replace { from, to, columns } => replace_type_sql(from, to, columns).into_iter().collect(),
        }
    }

    /// The type and every column it recasts stay old until the swap ran.
    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        match self {
            Change::Replace { to, .. } => self.subjects().into_iter().map(|s| (s, type_differs(to))).collect(),
            Change::Create(_)
            | Change::Drop(_)
            | Change::AddEnumValue { .. }
            | Change::RenameEnumValue { .. }
            | Change::AlterComposite { .. }
            | Change::AlterDomain { .. } => Vec::new(),
        }
    }

    fn online(&self, _tables: &Existing, _guarded: bool) -> Option<Online> {
        None
    }

    fn still_exists(&self) -> Option<Cond> {
        match self {
            Change::Drop(t) => Some(Cond::exists(type_exists(&t.name))),
            Change::Create(_)
            | Change::AddEnumValue { .. }
            | Change::RenameEnumValue { .. }
            | Change::AlterComposite { .. }
            | Change::AlterDomain { .. }
            | Change::Replace { .. } => None,
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

    fn mood(labels: &[&str]) -> TypeDef {
        TypeDef {
            name: QualifiedName::new("app", "mood"),
            kind: TypeKind::Enum { labels: labels.iter().map(|s| s.to_string()).collect() },
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_enum_and_add_values() {
        let name = QualifiedName::new("app", "mood");
        let add = Change::AddEnumValue {
            name: name.clone(),
            value: "meh".into(),
            position: EnumPosition::After("ok".into()),
        };
        assert!(add.render()[0].no_transaction);
        let rename = Change::RenameEnumValue { name, from: "sad".into(), to: "blue".into() };
        assert_snapshot!(sql(Change::Create(mood(&["ok", "sad"]))) + "\n" + &sql(add) + "\n" + &sql(rename));
    }

    #[test]
    fn composite_and_domain_alterations_in_order() {
        let composite = Change::AlterComposite {
            name: QualifiedName::new("app", "address"),
            steps: attribute_steps(
                &[("street".into(), "text".into()), ("zip".into(), "integer".into())],
                &[("street".into(), "character varying(200)".into()), ("city".into(), "text".into())],
            ),
        };
        let domain = Change::AlterDomain {
            name: QualifiedName::new("app", "email"),
            steps: vec![
                DomainChange::Default(None),
                DomainChange::NotNull(true),
                DomainChange::DropCheck("email_check".into()),
                DomainChange::AddCheck("email_has_at".into(), "CHECK ((VALUE ~~ '%@%'::text))".into()),
            ],
        };
        assert_snapshot!(sql(composite) + "\n" + &sql(domain));
    }

    #[test]
    fn swap_recasts_columns_under_a_guard() {
        let columns = vec![(
            QualifiedName::new("app", "notes"),
            Column {
                name: "mood".into(),
                data_type: "app.mood".into(),
                not_null: false,
                default: Some("'ok'::app.mood".into()),
                identity: None,
                generated: None,
                collation: None,
                storage: None,
                type_storage: "p".into(),
                local: true,
            },
        )];
        let c = Change::Replace { from: mood(&["ok", "sad"]), to: mood(&["sad", "ok"]), columns };
        assert_eq!(c.subjects().len(), 2);
        assert!(!c.hazards(&BTreeSet::new()).contains(&Hazard::DeletesData));
        assert_snapshot!(sql(c));
    }
}
