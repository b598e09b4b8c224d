//! Statements and what every kind renders with: `Statement` (with its unguarded form),
//! typed guards (`guard`) turned into `DO` blocks that look in `pg_catalog` first where
//! PostgreSQL has no `IF [NOT] EXISTS`, and the few catalog lookups several kinds share.
//! Each kind's own SQL is in its module under `kinds`; reading SQL people wrote is
//! `sqltext`'s. Pure: no I/O.

use crate::diff::Change;
use crate::ident::{literal, QualifiedName};

pub mod guard;

use guard::Cond;

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
pub(crate) fn unless_exists(query: String, body: &str) -> Statement {
    Statement { sql: guard::missing(&query, body), no_transaction: false, bare: Some(format!("{body};")) }
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

/// Where a sequence's bounds tighten (`from` to `to`, as (min, max)), `alter` (the
/// statement that sets them, without its semicolon) with `RESTART WITH` the bound the
/// counter is outside of, run only while it is: PostgreSQL refuses bounds that leave the
/// current value out (`RESTART value (1) cannot be less than MINVALUE (50)`). The next
/// value is then the new bound: values move away from the ones already handed out.
/// The plain `alter` follows these.
pub(crate) fn keep_in_bounds(
    sequence: &QualifiedName,
    from: (i64, i64),
    to: (i64, i64),
    alter: &str,
) -> Vec<Statement> {
    let name = sequence.sql();
    let (min, max) = to;
    let below = guard::Cond::holds(format!("(SELECT last_value < {min} FROM {name})"));
    let above = guard::Cond::holds(format!("(SELECT last_value > {max} FROM {name})"));
    [(to.0 > from.0, below, min), (to.1 < from.1, above, max)]
        .into_iter()
        .filter(|(tightened, _, _)| *tightened)
        .filter_map(|(_, cond, bound)| when(&cond, &format!("{alter} RESTART WITH {bound}")))
        .collect()
}

pub(crate) fn sequence_options(start: i64, inc: i64, min: i64, max: i64, cache: i64, cycle: bool) -> String {
    format!(
        "START WITH {start} INCREMENT BY {inc} MINVALUE {min} MAXVALUE {max} CACHE {cache} {}",
        if cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

/// `key 'value', ...` from `key=value` items, as a foreign-data `OPTIONS (...)` takes
/// them (wrappers, servers, user mappings, foreign tables and their columns).
pub fn fdw_options(options: &[String]) -> String {
    let item = |kv: &String| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        format!("{} {}", crate::ident::ident(k), literal(v))
    };
    options.iter().map(item).collect::<Vec<_>>().join(", ")
}

/// The `OPTIONS (...)` items that turn `from` (`key=value`) into `to`: SET what both
/// have, ADD what is new, DROP what is gone.
pub(crate) fn fdw_option_changes(from: &[String], to: &[String]) -> Vec<String> {
    let key = |kv: &String| kv.split_once('=').map_or(kv.clone(), |(k, _)| k.to_string());
    let old: std::collections::BTreeSet<String> = from.iter().map(key).collect();
    let new: std::collections::BTreeSet<String> = to.iter().map(key).collect();
    let mut out: Vec<String> = to
        .iter()
        .filter(|kv| !from.contains(kv))
        .map(|kv| {
            let verb = if old.contains(&key(kv)) { "SET" } else { "ADD" };
            format!("{verb} {}", fdw_options(std::slice::from_ref(kv)))
        })
        .collect();
    out.extend(old.difference(&new).map(|k| format!("DROP {}", crate::ident::ident(k))));
    out
}

/// `body` (an `ALTER ... OPTIONS`) run only while the options `current` reads (a query
/// of a `text[]`) are still `from`: its ADD and DROP fail once it ran.
pub(crate) fn while_options_are(current: &str, from: &[String], body: &str) -> Option<Statement> {
    use guard::Value;
    let now = Value::Sql(format!("(SELECT ARRAY(SELECT o FROM pg_catalog.unnest(({current})) o ORDER BY 1))::text[]"));
    let items: Vec<String> = from.iter().map(|o| literal(o)).collect();
    let old = Value::Sql(format!("ARRAY[{}]::text[]", items.join(", ")));
    when(&Cond::not(Cond::differs(now, old)), body)
}

pub(crate) fn options_clause(options: &[String]) -> String {
    if options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", options.join(", "))
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

/// A drop that runs only while `condition` holds.
pub fn guarded_drop(drop: &Change, condition: &Cond) -> Vec<Statement> {
    match drop.kind().render().into_iter().next() {
        Some(plain) => when(condition, strip_semicolon(&plain.sql)).into_iter().collect(),
        None => Vec::new(),
    }
}
