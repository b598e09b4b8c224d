//! Renders changes as SQL that is safe to run twice: `IF [NOT] EXISTS`, `CREATE OR
//! REPLACE` where it keeps the meaning, and `DO` blocks that look in `pg_catalog` first
//! where PostgreSQL has no such clause. Reading SQL text (splitting, references) is
//! `sqltext`'s. Pure: no I/O.

use crate::catalog::*;
use crate::diff::{Change, EnumPosition};
use crate::ident::{ident, literal, QualifiedName};
use crate::kinds::Kind;

pub mod guard;

use guard::{Cond, Value};

/// One rendered statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// Must run outside a transaction block (`ALTER TYPE ... ADD VALUE` whose value a
    /// later statement may use, `CREATE INDEX CONCURRENTLY`).
    pub no_transaction: bool,
    /// The statement without its guard, when it has one.
    pub bare: Option<String>,
}

impl Statement {
    /// The statement without its guard, for files people edit (`dump`) and for reading:
    /// declarative schema files need no guards.
    pub fn plain(&self) -> &str {
        self.bare.as_deref().unwrap_or(&self.sql)
    }
}

pub(crate) fn stmt(sql: String) -> Statement {
    Statement { sql, no_transaction: false, bare: None }
}

/// `body` run only while `cond` holds; nothing when it never does.
pub(crate) fn when(cond: &Cond, body: &str) -> Option<Statement> {
    let sql = guard::guarded(cond, body)?;
    let bare = format!("{body};");
    Some(Statement { bare: (sql != bare).then_some(bare), sql, no_transaction: false })
}

/// `body` run only while `query` returns no row.
pub(crate) fn unless_exists(query: String, body: &str) -> Option<Statement> {
    Some(Statement { sql: guard::missing(&query, body), no_transaction: false, bare: Some(format!("{body};")) })
}

fn type_exists(q: &QualifiedName) -> String {
    format!(
        "SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = {} AND t.typname = {}",
        literal(&q.schema),
        literal(&q.name)
    )
}

/// A query with a row while the table has a constraint of that name (none, rather than
/// an error, while the table is missing).
pub(crate) fn constraint_exists(table: &QualifiedName, name: &str) -> String {
    format!(
        "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass({}) AND conname = {}",
        literal(&table.sql()),
        literal(name)
    )
}

/// `s.f(args)` for routines; args are PostgreSQL's identity arguments.
fn routine_sql(q: &QualifiedName, args: &str, kind: &str) -> String {
    if kind == "AGGREGATE" && args.is_empty() {
        format!("{}(*)", q.sql())
    } else {
        format!("{}({args})", q.sql())
    }
}

/// `KIND name` as COMMENT ON and GRANT ... ON write it.
pub fn object_ref(id: &ObjectId, kind: &str) -> String {
    match id {
        ObjectId::Schema(s) => format!("SCHEMA {}", ident(s)),
        ObjectId::Extension(e) => format!("EXTENSION {}", ident(e)),
        ObjectId::Type(q)
        | ObjectId::Collation(q)
        | ObjectId::Sequence(q)
        | ObjectId::Table(q)
        | ObjectId::Index(q)
        | ObjectId::View(q) => {
            format!("{kind} {}", q.sql())
        }
        ObjectId::Function(q, args) => format!("{kind} {}", routine_sql(q, args, kind)),
        ObjectId::Column(q, c) => format!("COLUMN {}.{}", q.sql(), ident(c)),
        ObjectId::Constraint(q, c) => format!("CONSTRAINT {} ON {}", ident(c), q.sql()),
        ObjectId::Trigger(q, t) => format!("TRIGGER {} ON {}", ident(t), q.sql()),
        ObjectId::Policy(q, p) => format!("POLICY {} ON {}", ident(p), q.sql()),
        ObjectId::EventTrigger(n) => format!("EVENT TRIGGER {}", ident(n)),
        ObjectId::Publication(n) => format!("PUBLICATION {}", ident(n)),
        ObjectId::DefaultPrivileges(..) => String::new(),
    }
}

fn grant_target(id: &ObjectId, kind: &str) -> String {
    match id {
        ObjectId::Table(q) | ObjectId::View(q) => format!("TABLE {}", q.sql()),
        ObjectId::Function(q, args) => {
            let k = if kind == "PROCEDURE" { "PROCEDURE" } else { "FUNCTION" };
            format!("{k} {}", routine_sql(q, args, kind))
        }
        _ => object_ref(id, kind),
    }
}

fn grantee_sql(g: &Grantee, owner: &str) -> String {
    match g {
        Grantee::Public => "PUBLIC".into(),
        Grantee::Owner => ident(owner),
        Grantee::Role(r) => ident(r),
    }
}

pub(crate) fn sequence_options(start: i64, inc: i64, min: i64, max: i64, cache: i64, cycle: bool) -> String {
    format!(
        "START WITH {start} INCREMENT BY {inc} MINVALUE {min} MAXVALUE {max} CACHE {cache} {}",
        if cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

pub(crate) fn options_clause(options: &[String]) -> String {
    if options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", options.join(", "))
    }
}

fn create_type_sql(t: &TypeDef) -> String {
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

fn alter_composite(from: &TypeDef, to: &TypeDef) -> Vec<Statement> {
    let (TypeKind::Composite { attributes: old }, TypeKind::Composite { attributes: new }) = (&from.kind, &to.kind)
    else {
        return Vec::new();
    };
    let name = to.name.sql();
    let mut out = Vec::new();
    for (n, _) in old.iter().filter(|(n, _)| !new.iter().any(|(m, _)| m == n)) {
        out.push(stmt(format!("ALTER TYPE {name} DROP ATTRIBUTE IF EXISTS {} CASCADE;", ident(n))));
    }
    for (n, t) in new {
        match old.iter().find(|(m, _)| m == n) {
            Some((_, ot)) if ot != t => {
                out.push(stmt(format!("ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {t};", ident(n))));
            }
            Some(_) => {}
            None => {
                let query = format!(
                    "SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.typrelid = a.attrelid \
                     WHERE t.oid = pg_catalog.to_regtype({}) AND a.attname = {} AND NOT a.attisdropped",
                    literal(&name),
                    literal(n)
                );
                out.extend(unless_exists(query, &format!("ALTER TYPE {name} ADD ATTRIBUTE {} {t} CASCADE", ident(n))));
            }
        }
    }
    out
}

/// True while the type is not yet in its desired form: an enum's labels in order, a
/// composite's attributes, a range's subtype and functions, a domain's base type.
pub fn type_differs(to: &TypeDef) -> Cond {
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
    body.push(create_type_sql(to));
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
        _ => format!("{col}::text{}::{}", if array { "[]" } else { "" }, c.data_type),
    }
}

fn alter_domain(from: &TypeDef, to: &TypeDef) -> Vec<Statement> {
    let (
        TypeKind::Domain { default: d1, not_null: n1, checks: c1, .. },
        TypeKind::Domain { default: d2, not_null: n2, checks: c2, .. },
    ) = (&from.kind, &to.kind)
    else {
        return Vec::new();
    };
    let name = to.name.sql();
    let mut out = Vec::new();
    if d1 != d2 {
        out.push(stmt(match d2 {
            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d};"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
        }));
    }
    if n1 != n2 {
        out.push(stmt(format!("ALTER DOMAIN {name} {} NOT NULL;", if *n2 { "SET" } else { "DROP" })));
    }
    for (n, def) in c1 {
        if !c2.iter().any(|(n2, d2)| n2 == n && d2 == def) {
            out.push(stmt(format!("ALTER DOMAIN {name} DROP CONSTRAINT IF EXISTS {};", ident(n))));
        }
    }
    for (n, def) in c2 {
        if !c1.iter().any(|(n1, d1)| n1 == n && d1 == def) {
            let query = format!(
                "SELECT 1 FROM pg_catalog.pg_constraint WHERE contypid = {}::regtype AND conname = {}",
                literal(&name),
                literal(n)
            );
            out.extend(unless_exists(query, &format!("ALTER DOMAIN {name} ADD CONSTRAINT {} {def}", ident(n))));
        }
    }
    out
}

/// The SQL for one change.
pub fn render(change: &Change) -> Vec<Statement> {
    match change {
        Change::Policy(c) => c.render(),
        Change::Table(c) => c.render(),
        Change::Column(c) => c.render(),
        Change::Constraint(c) => c.render(),
        Change::Function(c) => c.render(),
        Change::View(c) => c.render(),
        Change::Index(c) => c.render(),
        Change::Sequence(c) => c.render(),
        Change::Collation(c) => c.render(),
        Change::Extension(c) => c.render(),
        Change::Schema(c) => c.render(),
        Change::Trigger(c) => c.render(),
        Change::EventTrigger(c) => c.render(),
        Change::Publication(c) => c.render(),
        Change::CreateType(t) => unless_exists(type_exists(&t.name), &create_type_sql(t)).into_iter().collect(),
        Change::DropType(t) => {
            let kw = if matches!(t.kind, TypeKind::Domain { .. }) { "DOMAIN" } else { "TYPE" };
            vec![stmt(format!("DROP {kw} IF EXISTS {};", t.name.sql()))]
        }
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
        Change::AlterDomain { from, to } => alter_domain(from, to),
        Change::ReplaceType { from, to, columns } => replace_type_sql(from, to, columns).into_iter().collect(),
        Change::RenameEnumValue { name, from, to } => {
            let query = format!(
                "SELECT 1 FROM pg_catalog.pg_enum WHERE enumtypid = pg_catalog.to_regtype({}) AND enumlabel = {}",
                literal(&name.sql()),
                literal(to)
            );
            let rename = format!("ALTER TYPE {} RENAME VALUE {} TO {}", name.sql(), literal(from), literal(to));
            unless_exists(query, &rename).into_iter().collect()
        }
        Change::AlterComposite { from, to } => alter_composite(from, to),
        Change::SetComment { target, kind, comment } => {
            let text = comment.as_deref().map_or("NULL".to_string(), literal);
            vec![stmt(format!("COMMENT ON {} IS {text};", object_ref(target, kind)))]
        }
        Change::Grant { target, kind, item, owner } => {
            let (privilege, on) = privilege_and_target(target, kind, &item.privilege);
            let with = if item.grantable { " WITH GRANT OPTION" } else { "" };
            vec![stmt(format!("GRANT {privilege} ON {on} TO {}{with};", grantee_sql(&item.grantee, owner)))]
        }
        Change::Revoke { target, kind, item, owner } => {
            let (privilege, on) = privilege_and_target(target, kind, &item.privilege);
            vec![stmt(format!("REVOKE {privilege} ON {on} FROM {};", grantee_sql(&item.grantee, owner)))]
        }
        Change::SetOwner { target, kind, owner } => {
            vec![stmt(format!("ALTER {} OWNER TO {};", object_ref(target, kind), ident(owner)))]
        }
        Change::GrantDefault { role, schema, object_type, item } => {
            vec![stmt(default_privileges_sql(role, schema, object_type, item, true))]
        }
        Change::RevokeDefault { role, schema, object_type, item } => {
            vec![stmt(default_privileges_sql(role, schema, object_type, item, false))]
        }
    }
}

fn default_privileges_sql(role: &str, schema: &str, object_type: &str, item: &AclItem, grant: bool) -> String {
    let in_schema = if schema.is_empty() { String::new() } else { format!(" IN SCHEMA {}", ident(schema)) };
    let grantee = grantee_sql(&item.grantee, role);
    let on = default_object_kind(object_type);
    if grant {
        let with = if item.grantable { " WITH GRANT OPTION" } else { "" };
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {}{in_schema} GRANT {} ON {on} TO {grantee}{with};",
            ident(role),
            item.privilege
        )
    } else {
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {}{in_schema} REVOKE {} ON {on} FROM {grantee};",
            ident(role),
            item.privilege
        )
    }
}

/// Column privileges are written `SELECT (col) ON TABLE t`.
fn privilege_and_target(target: &ObjectId, kind: &str, privilege: &str) -> (String, String) {
    match target {
        ObjectId::Column(q, c) => (format!("{privilege} ({})", ident(c)), format!("TABLE {}", q.sql())),
        _ => (privilege.to_string(), grant_target(target, kind)),
    }
}

/// The relation exists with one of these `relkind`s.
pub(crate) fn relkind_is(q: &QualifiedName, kinds: &[&str]) -> Cond {
    Cond::exists(format!(
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = {} AND c.relname = {} AND c.relkind IN ({})",
        literal(&q.schema),
        literal(&q.name),
        kinds.iter().map(|k| literal(k)).collect::<Vec<_>>().join(", ")
    ))
}

fn strip_semicolon(s: &str) -> &str {
    s.trim_end().trim_end_matches(';')
}

/// A condition that holds while an object about to be replaced still differs from its
/// desired form. `None`: no such test (the drop then runs whenever the object exists).
pub fn differs_from_desired(drop: &Change, create: &Change) -> Option<Cond> {
    drop.kind()?.differs_from(create)
}

/// A condition that holds while the object a drop removes is still there as it was
/// (same kind of relation; the constraint, column or routine still exists).
pub fn still_exists(drop: &Change) -> Option<Cond> {
    if let Some(k) = drop.kind() {
        return k.still_exists();
    }
    Some(match drop {
        Change::DropType(t) => Cond::exists(type_exists(&t.name)),
        _ => return None,
    })
}

// Online forms (chosen by `plan::online`): statements that keep ACCESS EXCLUSIVE locks
// short on tables that already hold rows. Each is safe to run twice, also after a crash
// half-way: a concurrent build that died leaves an INVALID index, which the next run
// drops before building again (IF NOT EXISTS alone would keep the broken one).

/// A drop that runs only while `condition` holds.
pub fn guarded_drop(drop: &Change, condition: &Cond) -> Vec<Statement> {
    match render(drop).into_iter().next() {
        Some(plain) => when(condition, strip_semicolon(&plain.sql)).into_iter().collect(),
        None => Vec::new(),
    }
}
