//! Reads a database's catalog into a `Catalog`: one query per object kind (each kept in
//! `queries/*.sql`), so the number of round trips is fixed whatever the schema's size.
//! The queries are pipelined on one connection and run with an empty `search_path`, so
//! every name PostgreSQL prints is schema-qualified and both sides of a diff compare.

use crate::catalog::*;
use crate::ident::QualifiedName;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tokio_postgres::{Client, Row};

const SCHEMAS: &str = include_str!("queries/schemas.sql");
const EXTENSIONS: &str = include_str!("queries/extensions.sql");
const TYPES: &str = include_str!("queries/types.sql");
const SEQUENCES: &str = include_str!("queries/sequences.sql");
const TABLES: &str = include_str!("queries/tables.sql");
const COLUMNS: &str = include_str!("queries/columns.sql");
const CONSTRAINTS: &str = include_str!("queries/constraints.sql");
const INDEXES: &str = include_str!("queries/indexes.sql");
const STATISTICS: &str = include_str!("queries/statistics.sql");
const RULES: &str = include_str!("queries/rules.sql");
/// One query per kind known by its definition, each with the columns oid, schema,
/// reference, shape, options, probe, options_probe and comment; `$1` the excluded
/// schemas, `$2` the only ones (or NULL). Each also tells, filtered to one reference,
/// what that object's shape is now (see `shape_probe`).
const DEFINED: [(DefinedKind, &str); 9] = [
    (DefinedKind::ForeignDataWrapper, include_str!("queries/defined/foreign_data_wrapper.sql")),
    (DefinedKind::Server, include_str!("queries/defined/server.sql")),
    (DefinedKind::UserMapping, include_str!("queries/defined/user_mapping.sql")),
    (DefinedKind::TextSearchDictionary, include_str!("queries/defined/text_search_dictionary.sql")),
    (DefinedKind::TextSearchConfiguration, include_str!("queries/defined/text_search_configuration.sql")),
    (DefinedKind::Operator, include_str!("queries/defined/operator.sql")),
    (DefinedKind::OperatorFamily, include_str!("queries/defined/operator_family.sql")),
    (DefinedKind::OperatorClass, include_str!("queries/defined/operator_class.sql")),
    (DefinedKind::Cast, include_str!("queries/defined/cast.sql")),
];

/// A query of the shape `query` gives the object `reference` now (no row once it is
/// gone), for a guard in a migration: every schema in scope, comment lines cut.
fn shape_probe(query: &str, reference: &str) -> String {
    let body: Vec<&str> = query.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("--")).collect();
    let body = body.join("\n  ").replace("$1::text[]", "'{}'::text[]").replace("$2::text[]", "NULL::text[]");
    format!("SELECT x.shape FROM (\n  {body}\n) x WHERE x.reference = {}", crate::ident::literal(reference))
}
const UNMODELED: &str = include_str!("queries/unmodeled.sql");
const CASTS: &str = include_str!("queries/casts.sql");
const VIEWS: &str = include_str!("queries/views.sql");
const FUNCTIONS: &str = include_str!("queries/functions.sql");
const TRIGGERS: &str = include_str!("queries/triggers.sql");
const POLICIES: &str = include_str!("queries/policies.sql");
const PRIVILEGES: &str = include_str!("queries/privileges.sql");
const DEPENDS: &str = include_str!("queries/depends.sql");
const DEFAULT_PRIVILEGES: &str = include_str!("queries/default_privileges.sql");
const EVENT_TRIGGERS: &str = include_str!("queries/event_triggers.sql");
const OWNERS: &str = include_str!("queries/owners.sql");
const COLLATIONS: &str = include_str!("queries/collations.sql");
const NORMALIZE: &str = include_str!("queries/normalize.sql");
const EXTENSION_MEMBERS: &str = include_str!("queries/extension_members.sql");
const PLATFORM_OBJECTS: &str = include_str!("queries/platform_objects.sql");
const UNMANAGED: &str = include_str!("queries/unmanaged.sql");
const PUBLICATIONS: &str = include_str!("queries/publications.sql");
const PUBLICATIONS_14: &str = include_str!("queries/publications_14.sql");

/// An object in a schema schemaspec does not manage: (kind, schema, name, the table of an
/// index, trigger or policy); a trigger's or policy's name is `table.name`, a function's
/// `name(arguments)`.
pub type Unmanaged = (String, String, String, Option<String>);

/// The objects in schemas `scope` does not manage (see `queries/unmanaged.sql`).
pub async fn unmanaged_objects(
    client: &Client,
    scope: &Scope,
) -> Result<std::collections::BTreeSet<Unmanaged>, tokio_postgres::Error> {
    let rows = client.query(UNMANAGED, &[&scope.exclude, &scope.only, &scope.platform]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?, r.try_get(2).ok()?, r.try_get(3).ok()?)))
        .collect())
}

const FINGERPRINT: &str = include_str!("queries/fingerprint.sql");
const FINGERPRINT_CATALOGS: &str = include_str!("queries/fingerprint_catalogs.sql");
const FINGERPRINT_STATE: &str = include_str!("queries/fingerprint_state.sql");

/// A fingerprint of the database's catalog: equal fingerprints mean an equal catalog, so
/// what was concluded from reading it still holds. Every row of a catalog that is
/// inserted, updated or deleted changes its row count or the sum of its rows' `xmin` (a
/// new row version carries the id of the transaction that wrote it, newer than every id
/// a row it replaces had); per catalog of this database the pair is taken, and for the
/// shared ones (`queries/fingerprint.sql`) what concerns this database. Statistics and
/// large objects are left out, and so is what VACUUM and ANALYZE change in place (page
/// and row counts), except index validity. A fingerprint that changes without a change
/// to the schema only costs a cache miss.
///
/// The ids are summed as `age(xmin)`, an integer function, rather than converted to
/// text and back (twice as fast over a 2,000-table catalog). An age grows with every
/// transaction anywhere, so each sum is taken against the age of a fixed id in the same
/// statement (`xid_sum`): what is left depends on the rows alone.
pub async fn fingerprint(client: &Client) -> Result<String, tokio_postgres::Error> {
    fingerprint_over(&[client], None).await.map(|f| f.fingerprint)
}

/// A fingerprint as `fingerprint_over` took it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub fingerprint: String,
    /// The catalogs it covers.
    pub catalogs: Vec<String>,
    /// The server's state it was taken in (`catalog_state`), where every share of it
    /// was taken in the same one; else None.
    pub state: Option<String>,
}

/// The server's state as far as this database's catalog goes
/// (`queries/fingerprint_state.sql`), as a hash: one statement that sums no catalog.
/// Where it is the state a fingerprint was taken in, the fingerprint is the one the
/// catalog has now: a catalog row is only written by a transaction with an id, and the
/// snapshot the state holds changes when any such transaction ends; the one catalog
/// change made in place that a fingerprint covers (index validity) is part of it. On a
/// database that nothing writes to, this is what a fingerprint costs after the first.
pub async fn catalog_state(client: &Client) -> Result<String, tokio_postgres::Error> {
    let rows = simple_rows(client.simple_query(FINGERPRINT_STATE).await?);
    Ok(state_of(&rows))
}

/// The state (`catalog_state`) among the parts of a statement: a hash of its 'now' and
/// 'state' parts.
fn state_of(rows: &[(String, String)]) -> String {
    hash_of(
        rows.iter()
            .filter(|(p, _)| p.starts_with("now ") || p.starts_with("state "))
            .map(|(p, v)| format!("{p}={v}"))
            .collect(),
    )
}

/// SHA-256 (hex) of `parts` sorted, one per line: the same for the same parts in any
/// order.
fn hash_of(mut parts: Vec<String>) -> String {
    use sha2::{Digest, Sha256};
    parts.sort();
    let mut h = Sha256::new();
    for p in &parts {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// `fingerprint`, its sums shared among `clients` (connections to the same database),
/// each summing its share of the catalogs in one statement: on a fresh server process
/// most of the cost is opening each catalog for the first time, which two processes do
/// side by side. `known`: the catalogs to sum, as an earlier call returned them, which
/// saves the round trip that lists them; the first statement lists them again, and
/// where they differ (another server) the sums are taken again over the catalogs there
/// are. Returns the fingerprint and the catalogs it covers.
pub async fn fingerprint_over(
    clients: &[&Client],
    known: Option<Vec<String>>,
) -> Result<Fingerprint, tokio_postgres::Error> {
    let mut catalogs = match known.filter(|k| !k.is_empty()) {
        Some(known) => known,
        None => {
            let listed = clients[0].simple_query(FINGERPRINT_CATALOGS).await?;
            let mut names: Vec<String> = simple_rows(listed).into_iter().map(|(name, _)| name).collect();
            names.sort();
            names
        }
    };
    let mut sums = fingerprint_sums(clients, &catalogs).await?;
    if sums.listed != catalogs.join(",") {
        // Not the catalogs of this server: again, over the ones it lists.
        catalogs = sums.listed.split(',').filter(|n| !n.is_empty()).map(str::to_string).collect();
        sums = fingerprint_sums(clients, &catalogs).await?;
    }
    let mut parts = sums.parts;
    parts.push(format!("catalogs={}", sums.listed));
    Ok(Fingerprint { fingerprint: hash_of(parts), catalogs, state: sums.state })
}

/// What the statements of a fingerprint answered.
struct Sums {
    /// `part=value`, each sum made independent of the current id.
    parts: Vec<String>,
    /// The catalogs the server lists ('catalogs', comma-separated).
    listed: String,
    /// The state the first statement saw, where every statement saw the same snapshot.
    state: Option<String>,
}

/// The parts of a fingerprint over `catalogs`, summed in shares on `clients` side by
/// side.
async fn fingerprint_sums(clients: &[&Client], catalogs: &[String]) -> Result<Sums, tokio_postgres::Error> {
    let statements = fingerprint_statements(catalogs, clients.len().max(1));
    let answers = futures_util::future::try_join_all(
        statements.iter().zip(clients.iter().cycle()).map(|(sql, client)| client.simple_query(sql)),
    )
    .await?;
    let answers: Vec<Vec<(String, String)>> = answers.into_iter().map(simple_rows).collect();
    Ok(sums_of(&answers))
}

/// `Sums` from the answers of a fingerprint's statements, the first one's first.
fn sums_of(answers: &[Vec<(String, String)>]) -> Sums {
    let (mut parts, mut listed) = (Vec::new(), String::new());
    let snapshots: Vec<Option<&str>> =
        answers.iter().map(|a| a.iter().find(|(p, _)| p == "now snapshot").map(|(_, v)| v.as_str())).collect();
    let one_snapshot = snapshots.first().is_some_and(|first| first.is_some() && snapshots.iter().all(|s| s == first));
    for answer in answers {
        let reference = reference_of(answer);
        for (part, value) in answer {
            match (part.as_str(), part.strip_prefix("xid ")) {
                ("reference", _) => {}
                ("catalogs", _) => listed = value.clone(),
                (p, _) if p.starts_with("now ") => {}
                (_, Some(catalog)) => parts.push(format!("{catalog}={}", xid_sum(value, reference))),
                _ => parts.push(format!("{part}={value}")),
            }
        }
    }
    let state = answers.first().filter(|_| one_snapshot).map(|first| state_of(first));
    Sums { parts, listed, state }
}

/// The first two columns of each row of a simple-protocol answer, as text ("" where
/// NULL or absent).
fn simple_rows(messages: Vec<tokio_postgres::SimpleQueryMessage>) -> Vec<(String, String)> {
    messages
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                let column = |i: usize| r.try_get(i).ok().flatten().unwrap_or_default().to_string();
                Some((column(0), column(1)))
            }
            _ => None,
        })
        .collect()
}

/// The statements of a fingerprint over `catalogs`, in `n` shares: the first also takes
/// the server's state and the shared catalogs' parts and lists the catalogs there are
/// ('catalogs'), and so sums half as many catalogs as each other share (on fresh server
/// processes the shared parts cost about as much as a third of the catalogs); every one
/// takes its own 'reference' (`xid_sum`) and snapshot (the state is only a fingerprint's
/// where all of them saw the same).
fn fingerprint_statements(catalogs: &[String], n: usize) -> Vec<String> {
    // Catalog i goes to the share of slot i mod (2n - 1): one slot for the first share,
    // two for each other.
    let slots = 2 * n - 1;
    let share_of = |i: usize| (i % slots).div_ceil(2);
    let sum = |name: &String| {
        format!(
            "SELECT {}::text, pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.sum(a), 0)::text || ':' || \
             pg_catalog.count(*) FILTER (WHERE a = 2147483647)::text FROM (SELECT pg_catalog.age(xmin) AS a FROM pg_catalog.{}) x",
            crate::ident::literal(&format!("xid {name}")),
            crate::ident::ident(name)
        )
    };
    (0..n)
        .map(|k| {
            let mut parts: Vec<String> = Vec::new();
            if k == 0 {
                parts.push(FINGERPRINT_STATE.trim().to_string());
                parts.push(FINGERPRINT.trim().to_string());
                parts.push(format!(
                    "SELECT 'catalogs', pg_catalog.string_agg(relname, ',' ORDER BY relname COLLATE \"C\") FROM ({}) l(relname)",
                    FINGERPRINT_CATALOGS.trim()
                ));
            } else {
                parts.push("SELECT 'reference', pg_catalog.age('3'::pg_catalog.xid)::text".to_string());
                parts.push("SELECT 'now snapshot', pg_catalog.pg_current_snapshot()::text".to_string());
            }
            parts.extend(catalogs.iter().enumerate().filter(|(i, _)| share_of(*i) == k).map(|(_, c)| sum(c)));
            parts.join("\nUNION ALL\n")
        })
        .collect()
}

/// The age of the first normal transaction id, as a statement saw it ('reference').
fn reference_of(rows: &[(String, String)]) -> Option<i128> {
    rows.iter().find(|(p, _)| p == "reference").and_then(|(_, v)| v.parse().ok())
}

/// `rows:sum of ages:rows of no normal id` made independent of the current id. A normal
/// id's age is (current − id), so the sum less (normal rows × the reference's age,
/// current − 3) is the sum of (3 − id): the same for as long as the rows are. An id that
/// is not normal (the bootstrap's, a frozen one's) has the age 2147483647 at any time.
/// (When the current id passes the wrap-around point of one of them, the value moves
/// once: a cache miss, never a match that should not be.)
fn xid_sum(value: &str, reference: Option<i128>) -> String {
    let parts: Vec<i128> = value.split(':').filter_map(|v| v.parse().ok()).collect();
    match (parts.as_slice(), reference) {
        ([rows, sum, special], Some(reference)) => {
            format!("{rows}:{}:{special}", sum - (rows - special) * reference)
        }
        // Not in the expected shape: kept as it is (a value that moves is only a miss).
        _ => value.to_string(),
    }
}

/// (kind, schema, name) of the objects in managed schemas of kinds schemaspec does not
/// model yet (see `queries/unmodeled.sql`).
pub async fn unmodeled(
    client: &Client,
    scope: &Scope,
) -> Result<std::collections::BTreeSet<(String, String, String)>, tokio_postgres::Error> {
    let rows = client.query(UNMODELED, &[&scope.exclude, &scope.only]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// Which schemas are read.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Never managed (the tracking schema, configured exclusions).
    pub exclude: Vec<String>,
    /// When set, only these are managed.
    pub only: Option<Vec<String>>,
    /// Tables never managed, as `name` (any schema) or `schema.name`: other tools'
    /// history tables by default.
    pub unmanaged_tables: Vec<String>,
    /// Schemas a platform owns (also in `exclude`): the user's triggers (those whose
    /// function is not the platform's) and policies on their tables are read, and their
    /// objects are known by id for the grants and comments the user gives them.
    pub platform: Vec<String>,
    /// Extensions a platform installs: never dropped.
    pub platform_extensions: Vec<String>,
    /// Publications a platform made: never created nor dropped.
    pub platform_publications: Vec<String>,
}

/// Key of a catalog row in the oid map: (catalog table, oid). Columns are not in the
/// map; see `Builder::id`.
type OidKey = (&'static str, u32);

/// The catalogs whose rows the builder maps to objects.
const CLASSES: [&str; 21] = [
    "pg_class",
    "pg_type",
    "pg_proc",
    "pg_namespace",
    "pg_extension",
    "pg_constraint",
    "pg_trigger",
    "pg_policy",
    "pg_collation",
    "pg_event_trigger",
    "pg_statistic_ext",
    "pg_rewrite",
    "pg_foreign_data_wrapper",
    "pg_foreign_server",
    "pg_user_mapping",
    "pg_ts_dict",
    "pg_ts_config",
    "pg_operator",
    "pg_opfamily",
    "pg_opclass",
    "pg_cast",
];

fn class_key(cls: &str) -> Option<&'static str> {
    CLASSES.iter().find(|c| **c == cls).copied()
}

/// A connection whose catalog is read again and again (a proof reads its scratch
/// database's catalog twice per file): the catalog queries are prepared on it once, so
/// a later read sends only their executions, and after a few of those the server keeps
/// one plan for each instead of planning it anew. Tied to its one connection.
pub struct Reader<'a> {
    client: &'a Client,
    prepared: std::sync::Mutex<HashMap<usize, tokio_postgres::Statement>>,
}

impl<'a> Reader<'a> {
    pub fn new(client: &'a Client) -> Reader<'a> {
        Reader { client, prepared: std::sync::Mutex::new(HashMap::new()) }
    }

    /// `sql` (one of this module's constants) prepared on the connection, once.
    async fn statement(&self, sql: &'static str) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
        let key = sql.as_ptr() as usize;
        if let Some(s) = self.prepared.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(s);
        }
        let statement = self.client.prepare(sql).await?;
        if let Ok(mut m) = self.prepared.lock() {
            m.insert(key, statement.clone());
        }
        Ok(statement)
    }

    async fn query(
        &self,
        sql: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.client.query(&statement, params).await
    }
}

pub async fn read_catalog(client: &Client, scope: &Scope) -> Result<Catalog, tokio_postgres::Error> {
    read_catalog_with(&Reader::new(client), scope).await
}

/// `read_catalog` through a `Reader` the caller keeps for the next read.
pub async fn read_catalog_with(reader: &Reader<'_>, scope: &Scope) -> Result<Catalog, tokio_postgres::Error> {
    read_catalog_split(reader, None, scope).await
}

/// What the builder needs after the columns and constraints (`read_later`).
struct Later {
    privileges: Vec<Row>,
    default_privileges: Vec<Row>,
    members: Vec<Row>,
    event_triggers: Vec<Row>,
    owners: Vec<Row>,
    platform: Vec<Row>,
    publications: Vec<Row>,
    statistics: Vec<Row>,
    unmodeled: Vec<Row>,
    casts: Vec<Row>,
    rules: Vec<Row>,
    defined: Vec<Vec<Row>>,
    /// On a second connection, the indexes (held whole) and dependencies (made compact
    /// as they come) too; else None, and they are streamed when their turn comes.
    indexes: Option<Vec<Row>>,
    depends: Option<Vec<DepRow>>,
}

/// The small queries the builder needs after the columns and constraints, pipelined on
/// `reader`; with `whole`, the indexes and dependencies after them, held whole.
async fn read_later(
    reader: &Reader<'_>,
    scope: &Scope,
    version: i32,
    whole: bool,
) -> Result<Later, tokio_postgres::Error> {
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&scope.exclude, &scope.only];
    let platform_only: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&scope.platform];
    // Publications: column lists, row filters and schemas came with PostgreSQL 15.
    let publications_sql = if version >= 150000 { PUBLICATIONS } else { PUBLICATIONS_14 };
    // Pipelined: one round trip for all of them (the nine `DEFINED` among them).
    let (
        privileges,
        default_privileges,
        members,
        event_triggers,
        owners,
        platform,
        publications,
        statistics,
        unmodeled,
        casts,
        rules,
        defined,
    ) = tokio::try_join!(
        reader.query(PRIVILEGES, &[]),
        reader.query(DEFAULT_PRIVILEGES, &params[..1]),
        reader.query(EXTENSION_MEMBERS, &[]),
        reader.query(EVENT_TRIGGERS, &params),
        reader.query(OWNERS, &[]),
        reader.query(PLATFORM_OBJECTS, &platform_only),
        reader.query(publications_sql, &[]),
        reader.query(STATISTICS, &params),
        reader.query(UNMODELED, &params),
        reader.query(CASTS, &[]),
        reader.query(RULES, &params),
        futures_util::future::try_join_all(DEFINED.iter().map(|(_, q)| reader.query(q, &params))),
    )?;
    let (indexes, depends) = match whole {
        true => {
            let mut deps = Vec::new();
            let (i, ()) = tokio::try_join!(
                reader.query(INDEXES, &params),
                in_chunks(reader, DEPENDS, &[], |rows| dep_rows(rows, &mut deps))
            )?;
            (Some(i), Some(deps))
        }
        false => (None, None),
    };
    Ok(Later {
        privileges,
        default_privileges,
        members,
        event_triggers,
        owners,
        platform,
        publications,
        statistics,
        unmodeled,
        casts,
        rules,
        defined,
        indexes,
        depends,
    })
}

/// Catalog queries run with these: no search path, no timeout, and no JIT (compiling
/// these queries costs more than it saves: with thousands of tables it turned a 30 ms
/// query into a second).
const READ_SETTINGS: &str = "SET search_path = ''; SET statement_timeout = 0; SET jit = off";

/// `read_catalog_with`, with a second connection to the same database (`helper`) where
/// one is free, as after loading a scratch database: it reads what the builder needs
/// after the columns and constraints, the indexes (held whole, about 3 MB at 5,000
/// tables) and dependencies (made compact as they come) among it, while the first
/// streams the columns and constraints into the builder, so that the server works on
/// both at once (at 5,000 tables the four large queries took 2 s one after the other).
/// The two read in two snapshots: nothing else may change the database meanwhile.
pub async fn read_catalog_split(
    reader: &Reader<'_>,
    helper: Option<&Reader<'_>>,
    scope: &Scope,
) -> Result<Catalog, tokio_postgres::Error> {
    let client = reader.client;
    client.batch_execute(READ_SETTINGS).await?;
    let row = client.query_one("SELECT current_setting('server_version_num')::int4, current_user::text", &[]).await?;
    let (version, current_user): (i32, String) = (row.get(0), row.get(1));
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&scope.exclude, &scope.only];
    // Triggers and policies: on managed tables, and the user's on a platform's tables.
    let with_platform: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&scope.exclude, &scope.only, &scope.platform];
    let mut b = Builder::default();
    // The first connection's share: the small queries the builder needs first, issued
    // together (tokio-postgres pipelines them over the one connection), then the
    // columns and constraints. The four queries that grow with every table (columns,
    // constraints, indexes, dependencies) are streamed to the builder in chunks when it
    // needs them: held all at once they were most of the memory a plan used (190 MB at
    // 5,000 tables). The streamed ones are prepared in the same round trip, so that
    // each costs one more (its rows) when its turn comes.
    let first = async {
        let prepared = async {
            tokio::try_join!(
                reader.statement(COLUMNS),
                reader.statement(CONSTRAINTS),
                reader.statement(INDEXES),
                reader.statement(DEPENDS)
            )
        };
        let (schemas, extensions, collations, types, sequences, tables, views, functions, triggers, policies, _) = tokio::try_join!(
            reader.query(SCHEMAS, &params),
            reader.query(EXTENSIONS, &[]),
            reader.query(COLLATIONS, &params),
            reader.query(TYPES, &params),
            reader.query(SEQUENCES, &params),
            reader.query(TABLES, &params),
            reader.query(VIEWS, &params),
            reader.query(FUNCTIONS, &params),
            reader.query(TRIGGERS, &with_platform),
            reader.query(POLICIES, &with_platform),
            prepared,
        )?;
        b.cat.server_version = version;
        b.cat.current_user = current_user;
        b.schemas(schemas);
        b.extensions(extensions, scope);
        b.collations(collations);
        b.types(types);
        b.sequences(sequences);
        b.tables(tables);
        b.views(views);
        in_chunks(reader, COLUMNS, &params, |rows| b.columns(rows)).await?;
        in_chunks(reader, CONSTRAINTS, &params, |rows| b.constraints(rows)).await?;
        Ok::<_, tokio_postgres::Error>((functions, triggers, policies))
    };
    let ((functions, triggers, policies), later) = match helper {
        Some(h) => {
            let second = async {
                h.client.batch_execute(READ_SETTINGS).await?;
                let later = read_later(h, scope, version, true).await?;
                h.client.batch_execute("RESET search_path").await?;
                Ok(later)
            };
            tokio::try_join!(first, second)?
        }
        None => {
            let first = first.await?;
            (first, read_later(reader, scope, version, false).await?)
        }
    };
    match later.indexes {
        Some(rows) => rows.chunks(1000).for_each(|c| b.indexes(c)),
        None => in_chunks(reader, INDEXES, &params, |rows| b.indexes(rows)).await?,
    }
    b.statistics(later.statistics);
    b.cat.unmodeled = later.unmodeled.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    for r in &later.casts {
        match (r.get::<_, &str>(0), r.get::<_, Option<String>>(2)) {
            ("c", Some(target)) => {
                b.cat.casts.insert((r.get(1), target));
            }
            _ => {
                b.cat.builtin_types.insert(r.get(1));
            }
        }
    }
    b.functions(functions);
    b.triggers(triggers);
    b.rules(later.rules);
    for ((kind, query), rows) in DEFINED.iter().zip(later.defined) {
        b.defined(*kind, query, rows);
    }
    b.policies(policies);
    b.event_triggers(later.event_triggers);
    b.platform_objects(later.platform);
    b.publications(later.publications, scope);
    b.privileges(later.privileges);
    b.owners(later.owners);
    match later.depends {
        Some(rows) => b.dep_rows.extend(rows),
        None => in_chunks(reader, DEPENDS, &[], |rows| b.depends(rows)).await?,
    }
    b.resolve_depends();
    b.pack();
    client.batch_execute("RESET search_path").await?;
    b.default_privileges(later.default_privileges);
    for row in &later.members {
        let (ext, schema, name): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        b.cat.extension_members.insert(format!("{schema}.{name}"), ext.clone());
        b.cat.extension_members.entry(name).or_insert(ext);
    }
    if !scope.unmanaged_tables.is_empty() {
        let unmanaged = &scope.unmanaged_tables;
        b.cat.remove_tables(|q| unmanaged.iter().any(|u| *u == q.name || *u == format!("{}.{}", q.schema, q.name)));
    }
    Ok(b.cat)
}

/// Run `sql` and hand its rows to `f` a thousand at a time: the rows of the queries that
/// grow with every table are never held whole (tokio-postgres streams them, and the
/// server waits while a chunk is built).
async fn in_chunks(
    reader: &Reader<'_>,
    sql: &'static str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    mut f: impl FnMut(&[Row]),
) -> Result<(), tokio_postgres::Error> {
    use futures_util::TryStreamExt;
    let statement = reader.statement(sql).await?;
    let stream = reader.client.query_raw(&statement, params.iter().copied()).await?;
    futures_util::pin_mut!(stream);
    let mut chunk = Vec::with_capacity(1000);
    while let Some(row) = stream.try_next().await? {
        chunk.push(row);
        if chunk.len() == 1000 {
            f(&chunk);
            chunk.clear();
        }
    }
    f(&chunk);
    Ok(())
}

/// Turns query rows into the catalog. A method given a whole query's rows takes them by
/// value, so they are freed as soon as they are read; the streamed ones get a chunk.
#[derive(Default)]
struct Builder {
    cat: Catalog,
    oids: HashMap<OidKey, ObjectId>,
    /// Relation oid -> (name, is view) for tables and views, to place columns.
    relations: HashMap<u32, (QualifiedName, bool)>,
    /// `pg_depend` rows, until every object they may name has been read.
    dep_rows: Vec<DepRow>,
    /// (relation oid, attnum) -> column name: with `relations`, the column's id (kept
    /// apart from `oids`, whose ids are larger, because columns are most of the objects).
    attnames: HashMap<(u32, i32), String>,
}

fn qn(row: &Row, schema: &str, name: &str) -> QualifiedName {
    QualifiedName::new(row.get::<_, String>(schema), row.get::<_, String>(name))
}

impl Builder {
    fn comment(&mut self, row: &Row, id: &ObjectId) {
        if let Some(c) = row.get::<_, Option<String>>("comment") {
            self.cat.comments.insert(id.clone(), c);
        }
    }

    fn schemas(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name: String = row.get("name");
            let id = ObjectId::Schema(name.clone());
            self.oids.insert(("pg_namespace", row.get("oid")), id.clone());
            self.comment(row, &id);
            self.cat.schemas.insert(name.clone(), Schema { name });
        }
    }

    fn extensions(&mut self, rows: Vec<Row>, scope: &Scope) {
        for row in &rows {
            let name: String = row.get("name");
            let schema: String = row.get("schema");
            let held = scope.platform_extensions.contains(&name)
                || scope.exclude.contains(&schema)
                || scope.only.as_ref().is_some_and(|only| !only.contains(&schema));
            let id = ObjectId::Extension(name.clone());
            self.oids.insert(("pg_extension", row.get("oid")), id.clone());
            self.comment(row, &id);
            self.cat.extensions.insert(name.clone(), Extension { name, schema, version: row.get("version"), held });
        }
    }

    fn collations(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name = qn(row, "schema", "name");
            let id = ObjectId::Collation(name.clone());
            self.oids.insert(("pg_collation", row.get("oid")), id.clone());
            self.comment(row, &id);
            self.cat.collations.insert(
                name.clone(),
                Collation {
                    name,
                    provider: row.get("provider"),
                    deterministic: row.get("deterministic"),
                    lc_collate: row.get("lc_collate"),
                    lc_ctype: row.get("lc_ctype"),
                    locale: row.get("locale"),
                    rules: row.get("rules"),
                },
            );
        }
    }

    fn types(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name = qn(row, "schema", "name");
            let id = ObjectId::Type(name.clone());
            let oid: u32 = row.get("oid");
            self.oids.insert(("pg_type", oid), id.clone());
            let relid: u32 = row.get("relid");
            if relid != 0 {
                self.oids.insert(("pg_class", relid), id.clone());
            }
            for c in row.get::<_, Vec<u32>>("constraint_oids") {
                self.oids.insert(("pg_constraint", c), id.clone());
            }
            self.comment(row, &id);
            let kind = match row.get::<_, String>("kind").as_str() {
                "e" => TypeKind::Enum { labels: row.get("labels") },
                "d" => {
                    let names: Vec<String> = row.get("check_names");
                    let defs: Vec<String> = row.get("check_defs");
                    TypeKind::Domain {
                        base: row.get("base"),
                        collation: row.get("collation"),
                        default: row.get("default_expr"),
                        not_null: row.get("not_null"),
                        checks: names.into_iter().zip(defs).collect(),
                    }
                }
                "c" => {
                    let names: Vec<String> = row.get("attr_names");
                    let types: Vec<String> = row.get("attr_types");
                    TypeKind::Composite { attributes: names.into_iter().zip(types).collect() }
                }
                _ => TypeKind::Range {
                    subtype: row.get("range_subtype"),
                    options: row.get::<_, Option<Vec<String>>>("range_options").unwrap_or_default(),
                },
            };
            self.cat.types.insert(name.clone(), TypeDef { name, kind });
        }
    }

    fn sequences(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name = qn(row, "schema", "name");
            let id = ObjectId::Sequence(name.clone());
            self.oids.insert(("pg_class", row.get("oid")), id.clone());
            self.comment(row, &id);
            let owned_by = row
                .get::<_, Option<String>>("owner_table")
                .map(|t| (QualifiedName::new(row.get::<_, String>("owner_schema"), t), row.get("owner_column")));
            self.cat.sequences.insert(
                name.clone(),
                Sequence {
                    name,
                    data_type: row.get("data_type"),
                    start: row.get("start"),
                    increment: row.get("increment"),
                    min_value: row.get("min_value"),
                    max_value: row.get("max_value"),
                    cache: row.get("cache"),
                    cycle: row.get("cycle"),
                    owned_by,
                },
            );
        }
    }

    fn tables(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name = qn(row, "schema", "name");
            let id = ObjectId::Table(name.clone());
            let oid: u32 = row.get("oid");
            self.oids.insert(("pg_class", oid), id.clone());
            self.oids.insert(("pg_type", row.get("rowtype_oid")), id.clone());
            self.oids.insert(("pg_type", row.get("array_oid")), id.clone());
            self.relations.insert(oid, (name.clone(), false));
            self.comment(row, &id);
            let parents: Vec<QualifiedName> = row
                .get::<_, Vec<String>>("parent_schemas")
                .into_iter()
                .zip(row.get::<_, Vec<String>>("parent_names"))
                .map(|(s, n)| QualifiedName::new(s, n))
                .collect();
            let bound: Option<String> = row.get("partition_bound");
            let (partition_of, inherits) = match bound {
                Some(b) => (parents.first().cloned().map(|p| (p, b)), Vec::new()),
                None => (None, parents),
            };
            let replica_identity = match row.get::<_, String>("replica_identity").as_str() {
                "n" => ReplicaIdentity::Nothing,
                "f" => ReplicaIdentity::Full,
                "i" => match row.get::<_, Option<String>>("replica_index") {
                    Some(i) => ReplicaIdentity::Index(i),
                    None => ReplicaIdentity::Default,
                },
                _ => ReplicaIdentity::Default,
            };
            self.cat.tables.insert(
                name.clone(),
                Table {
                    name,
                    partitioned: row.get("partitioned"),
                    unlogged: row.get("unlogged"),
                    rls_enabled: row.get("rls_enabled"),
                    rls_forced: row.get("rls_forced"),
                    partition_key: row.get("partition_key"),
                    partition_of,
                    inherits,
                    options: row.get("options"),
                    replica_identity,
                    // Room for every column at once (`relnatts` also counts dropped
                    // ones): grown by doubling, a third of the space went unused.
                    columns: Vec::with_capacity(usize::try_from(row.get::<_, i32>("column_slots")).unwrap_or(0)),
                    constraints: BTreeMap::new(),
                    foreign: row.get::<_, Option<String>>("server").map(|server| {
                        let mut options: Vec<String> = row.get("foreign_options");
                        options.sort();
                        let column_options = row.get::<_, Option<Vec<String>>>("column_options").unwrap_or_default();
                        Box::new(Foreign { server, options, column_options })
                    }),
                },
            );
        }
    }

    fn views(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name = qn(row, "schema", "name");
            let id = ObjectId::View(name.clone());
            let oid: u32 = row.get("oid");
            self.oids.insert(("pg_class", oid), id.clone());
            self.relations.insert(oid, (name.clone(), true));
            self.comment(row, &id);
            let definition: String = row.get("definition");
            self.cat.views.insert(
                name.clone(),
                View {
                    name,
                    materialized: row.get("materialized"),
                    definition: definition.trim_end_matches(|c: char| c == ';' || c.is_whitespace()).to_string(),
                    options: row.get("options"),
                    populated: row.get("populated"),
                    columns: Vec::new(),
                },
            );
        }
    }

    fn columns(&mut self, rows: &[Row]) {
        for row in rows {
            let rel: u32 = row.get("rel_oid");
            let Some((table, is_view)) = self.relations.get(&rel).cloned() else { continue };
            let name: String = row.get("name");
            let num: i32 = row.get("num");
            let id = ObjectId::Column(table.clone(), name.clone());
            self.attnames.insert((rel, num), name.clone());
            self.comment(row, &id);
            let data_type: String = row.get("data_type");
            if is_view {
                if let Some(v) = self.cat.views.get_mut(&table) {
                    v.columns.push((name, data_type));
                }
                continue;
            }
            let identity = match row.get::<_, String>("identity").as_str() {
                "a" | "d" => Some(Box::new(Identity {
                    always: row.get::<_, String>("identity") == "a",
                    sequence: QualifiedName::new(
                        row.get::<_, Option<String>>("seq_schema").unwrap_or_default(),
                        row.get::<_, Option<String>>("seq_name").unwrap_or_default(),
                    ),
                    start: row.get::<_, Option<i64>>("seq_start").unwrap_or(1),
                    increment: row.get::<_, Option<i64>>("seq_increment").unwrap_or(1),
                    min_value: row.get::<_, Option<i64>>("seq_min").unwrap_or(1),
                    max_value: row.get::<_, Option<i64>>("seq_max").unwrap_or(i64::MAX),
                    cache: row.get::<_, Option<i64>>("seq_cache").unwrap_or(1),
                    cycle: row.get::<_, Option<bool>>("seq_cycle").unwrap_or(false),
                })),
                _ => None,
            };
            let column = Column {
                name,
                data_type,
                not_null: row.get("not_null"),
                default: row.get("default_expr"),
                identity,
                generated: row.get("generated"),
                collation: row.get("collation"),
                storage: row.get("storage"),
                type_storage: row.get("type_storage"),
                local: row.get("local"),
            };
            if let Some(t) = self.cat.tables.get_mut(&table) {
                t.columns.push(column);
            }
        }
    }

    fn constraints(&mut self, rows: &[Row]) {
        for row in rows {
            let rel: u32 = row.get("rel_oid");
            let Some((table, _)) = self.relations.get(&rel).cloned() else { continue };
            let name: String = row.get("name");
            let id = ObjectId::Constraint(table.clone(), name.clone());
            self.oids.insert(("pg_constraint", row.get("oid")), id.clone());
            let index_oid: u32 = row.get("index_oid");
            let kind = match row.get::<_, String>("kind").as_str() {
                "p" => ConstraintKind::PrimaryKey,
                "u" => ConstraintKind::Unique,
                "f" => ConstraintKind::ForeignKey,
                "x" => ConstraintKind::Exclusion,
                _ => ConstraintKind::Check,
            };
            if index_oid != 0 && kind != ConstraintKind::ForeignKey {
                self.oids.insert(("pg_class", index_oid), id.clone());
            }
            self.comment(row, &id);
            let mut definition: String = row.get("definition");
            if let Some(opts) = row.get::<_, Option<Vec<String>>>("index_options").filter(|o| !o.is_empty()) {
                definition = with_index_options(&definition, &opts);
            }
            let c = Constraint { name: name.clone(), kind, definition, local: row.get("local"), source: None };
            if let Some(t) = self.cat.tables.get_mut(&table) {
                t.constraints.insert(name, c);
            }
        }
    }

    fn statistics(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name = qn(row, "schema", "name");
            let id = ObjectId::Statistics(name.clone());
            self.oids.insert(("pg_statistic_ext", row.get("oid")), id.clone());
            self.comment(row, &id);
            let statistics = Statistics {
                name: name.clone(),
                table: qn(row, "table_schema", "table_name"),
                definition: row.get("definition"),
                target: row.get("target"),
            };
            self.cat.statistics.insert(name, statistics);
        }
    }

    fn indexes(&mut self, rows: &[Row]) {
        for row in rows {
            let name = qn(row, "schema", "name");
            let id = ObjectId::Index(name.clone());
            self.oids.insert(("pg_class", row.get("oid")), id.clone());
            self.comment(row, &id);
            let definition: String = row.get("definition");
            self.cat.indexes.insert(
                name.clone(),
                Index {
                    name,
                    table: qn(row, "table_schema", "table_name"),
                    // A partitioned parent's index is printed `ON ONLY`; created without
                    // ONLY, PostgreSQL builds and attaches the partitions' indexes itself.
                    definition: definition.replacen(" ON ONLY ", " ON ", 1),
                    valid: row.get("valid"),
                    source: None,
                },
            );
        }
    }

    fn functions(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name = qn(row, "schema", "name");
            let args: String = row.get("identity_args");
            let id = ObjectId::Function(name.clone(), args.clone());
            self.oids.insert(("pg_proc", row.get("oid")), id.clone());
            self.comment(row, &id);
            let kind = match row.get::<_, String>("kind").as_str() {
                "p" => RoutineKind::Procedure,
                "a" => RoutineKind::Aggregate,
                _ => RoutineKind::Function,
            };
            let definition: String = row.get("definition");
            self.cat.functions.insert(
                (name.clone(), args.clone()),
                Function {
                    name,
                    identity_args: args,
                    kind,
                    signature: row.get("signature"),
                    defaults: row.get("defaults"),
                    result: row.get("result"),
                    definition: definition.trim_end().to_string(),
                },
            );
        }
    }

    fn triggers(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let table = qn(row, "table_schema", "table_name");
            let name: String = row.get("name");
            let id = ObjectId::Trigger(table.clone(), name.clone());
            self.oids.insert(("pg_trigger", row.get("oid")), id.clone());
            self.comment(row, &id);
            let enabled = Enabled::from_letter(row.get("enabled")).unwrap_or(Enabled::Origin);
            self.cat.triggers.insert(
                (table.clone(), name.clone()),
                Trigger {
                    name,
                    table,
                    definition: row.get("definition"),
                    constraint: row.get("is_constraint"),
                    enabled,
                },
            );
        }
    }

    fn rules(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let table = qn(row, "table_schema", "table_name");
            let name: String = row.get("name");
            let id = ObjectId::Rule(table.clone(), name.clone());
            self.oids.insert(("pg_rewrite", row.get("oid")), id.clone());
            self.comment(row, &id);
            let enabled = Enabled::from_letter(row.get("enabled")).unwrap_or(Enabled::Origin);
            let rule = Rule { name: name.clone(), table: table.clone(), definition: row.get("definition"), enabled };
            self.cat.rules.insert((table, name), rule);
        }
    }

    /// Objects known by their definition; the options of those with options sorted (the
    /// order ALTER leaves them in is not the order they were written in) and written
    /// into the definition.
    fn defined(&mut self, kind: DefinedKind, query: &str, rows: Vec<Row>) {
        for row in &rows {
            let shape: String = row.get("shape");
            let options = row.get::<_, Option<Vec<String>>>("options").map(|mut o| {
                o.sort();
                o
            });
            let definition = match options.as_deref() {
                Some(o) if !o.is_empty() => format!("{shape} OPTIONS ({})", crate::sql::fdw_options(o)),
                Some(_) | None => shape.clone(),
            };
            let x = Defined {
                kind,
                schema: row.get("schema"),
                reference: row.get("reference"),
                definition,
                shape,
                options,
                probe: row.get("probe"),
                options_probe: row.get("options_probe"),
                shape_probe: String::new(),
            };
            let x = Defined { shape_probe: shape_probe(query, &x.reference), ..x };
            let id = x.id();
            self.oids.insert((kind.class(), row.get("oid")), id.clone());
            self.comment(row, &id);
            self.cat.defined.insert((kind, x.schema.clone(), x.reference.clone()), x);
        }
    }

    fn policies(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let table = qn(row, "table_schema", "table_name");
            let name: String = row.get("name");
            let id = ObjectId::Policy(table.clone(), name.clone());
            self.oids.insert(("pg_policy", row.get("oid")), id.clone());
            self.comment(row, &id);
            self.cat.policies.insert(
                (table.clone(), name.clone()),
                Policy {
                    name,
                    table,
                    permissive: row.get("permissive"),
                    command: row.get("command"),
                    roles: row.get("roles"),
                    using: row.get("using_expr"),
                    with_check: row.get("check_expr"),
                },
            );
        }
    }

    /// Publications, with the tables and schemas they publish that are managed (others'
    /// memberships are not modelled, so never touched).
    fn publications(&mut self, rows: Vec<Row>, scope: &Scope) {
        let managed = |schema: &str| {
            !scope.exclude.iter().any(|x| x == schema)
                && scope.only.as_ref().is_none_or(|o| o.iter().any(|x| x == schema))
        };
        for row in &rows {
            let name: String = row.get("publication");
            match row.get::<_, &str>("row") {
                "publication" => {
                    let id = ObjectId::Publication(name.clone());
                    self.oids.insert(("pg_publication", row.get("oid")), id.clone());
                    self.comment(row, &id);
                    self.cat.publications.insert(
                        name.clone(),
                        Publication {
                            held: scope.platform_publications.contains(&name),
                            name,
                            all_tables: row.get("all_tables"),
                            publish: row.get("publish"),
                            via_root: row.get("via_root"),
                            tables: Default::default(),
                            schemas: Default::default(),
                        },
                    );
                }
                kind => {
                    let schema: String = row.get("schema");
                    let Some(p) = self.cat.publications.get_mut(&name).filter(|_| managed(&schema)) else { continue };
                    if kind == "table" {
                        let entry = PublishedTable { columns: row.get("columns"), row_filter: row.get("row_filter") };
                        p.tables.insert(QualifiedName::new(schema, row.get::<_, String>("name")), entry);
                    } else {
                        p.schemas.insert(schema);
                    }
                }
            }
        }
    }

    /// Objects of a platform's schemas: known by id (for grants and comments), not managed.
    fn platform_objects(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let Some(cls) = class_key(&row.get::<_, String>("cls")) else { continue };
            let name = qn(row, "schema", "name");
            let id = match row.get::<_, String>("kind").as_str() {
                "schema" => ObjectId::Schema(name.name),
                "view" => ObjectId::View(name),
                "sequence" => ObjectId::Sequence(name),
                "function" => ObjectId::Function(name, row.get("args")),
                _ => ObjectId::Table(name),
            };
            self.oids.insert((cls, row.get("oid")), id.clone());
            self.comment(row, &id);
            self.cat.platform_objects.insert(id);
        }
    }

    fn event_triggers(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let name: String = row.get("name");
            let id = ObjectId::EventTrigger(name.clone());
            self.oids.insert(("pg_event_trigger", row.get("oid")), id.clone());
            self.comment(row, &id);
            self.cat.event_triggers.insert(
                name.clone(),
                EventTrigger {
                    name,
                    event: row.get("event"),
                    tags: row.get("tags"),
                    function: qn(row, "function_schema", "function_name"),
                    enabled: Enabled::from_letter(row.get("enabled")).unwrap_or(Enabled::Origin),
                },
            );
        }
    }

    fn owners(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let Some(cls) = class_key(&row.get::<_, String>("cls")) else { continue };
            let Some(id) = self.id(cls, row.get("oid"), 0) else { continue };
            // A table's row type shares the table's id; only the table's owner counts.
            if cls == "pg_type" && !matches!(id, ObjectId::Type(_)) {
                continue;
            }
            if !matches!(id, ObjectId::Column(..) | ObjectId::Constraint(..) | ObjectId::Index(_)) {
                self.cat.owners.insert(id, row.get("owner"));
            }
        }
    }

    fn privileges(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let Some(cls) = class_key(&row.get::<_, String>("cls")) else { continue };
            let Some(id) = self.id(cls, row.get("oid"), row.get("sub")) else { continue };
            // A table's row type shares the table's id; its ACL is not the table's.
            if cls == "pg_type" && !matches!(id, ObjectId::Type(_)) {
                continue;
            }
            let owner: String = row.get("owner");
            let acl = parse_acl(&row.get::<_, Vec<String>>("acl"), &owner);
            let dflt = parse_acl(&row.get::<_, Vec<String>>("dflt"), &owner);
            if acl != dflt {
                self.cat.privileges.insert(id, Privileges { owner, items: acl, defaults: dflt });
            }
        }
    }

    fn default_privileges(&mut self, rows: Vec<Row>) {
        for row in &rows {
            let role: String = row.get("role");
            let schema: String = row.get("schema");
            if !schema.is_empty() && !self.cat.schemas.contains_key(&schema) {
                continue;
            }
            let acl = parse_acl(&row.get::<_, Vec<String>>("acl"), &role);
            let dflt = parse_acl(&row.get::<_, Vec<String>>("dflt"), &role);
            // Large objects and any kind a later server adds are not schema state here.
            let Some(objects) = DefaultObjects::from_letter(row.get("object_type")) else { continue };
            if acl != dflt {
                let key = (role.clone(), schema, objects);
                self.cat.default_privileges.insert(key, Privileges { owner: role, items: acl, defaults: dflt });
            }
        }
    }

    /// Keeps `pg_depend` rows in their compact form; `resolve_depends` turns them into
    /// pairs once all are read.
    fn depends(&mut self, rows: &[Row]) {
        dep_rows(rows, &mut self.dep_rows);
    }

    /// Fill `depends` from the rows `depends` kept, each object named once.
    fn resolve_depends(&mut self) {
        let rows = std::mem::take(&mut self.dep_rows);
        let mut index: HashMap<IdRef<'_>, u32> = HashMap::new();
        let mut pairs = Vec::new();
        for row in &rows {
            let Some((dep, referenced)) = self.dependency(row) else { continue };
            let mut at = |r| {
                let next = u32::try_from(index.len()).expect("fewer than 2^32 objects");
                *index.entry(r).or_insert(next)
            };
            pairs.push((at(dep), at(referenced)));
        }
        // The objects are made once their number is known: no room to spare.
        let mut refs: Vec<(u32, IdRef<'_>)> = index.into_iter().map(|(r, i)| (i, r)).collect();
        refs.sort_unstable_by_key(|(i, _)| *i);
        let mut ids = Vec::with_capacity(refs.len());
        ids.extend(refs.into_iter().map(|(_, r)| r.to_id()));
        self.cat.depends = Depends::new(ids, pairs);
    }

    /// Rebuild the large maps with full nodes. Filled in key order, a B-tree's nodes
    /// stay about half empty; built from sorted entries at once, they are full (at
    /// 5,000 tables, ~5 MB less per catalog).
    fn pack(&mut self) {
        fn packed<K: Ord, V>(map: &mut BTreeMap<K, V>) {
            *map = std::mem::take(map).into_iter().collect();
        }
        let c = &mut self.cat;
        packed(&mut c.tables);
        packed(&mut c.indexes);
        packed(&mut c.views);
        packed(&mut c.sequences);
        packed(&mut c.types);
        packed(&mut c.functions);
        packed(&mut c.triggers);
        packed(&mut c.policies);
        packed(&mut c.comments);
        packed(&mut c.owners);
        packed(&mut c.privileges);
    }

    /// The (dependent, referenced) pair a `pg_depend` row stands for, when it is one the
    /// plan needs.
    fn dependency(&self, row: &DepRow) -> Option<(IdRef<'_>, IdRef<'_>)> {
        let dep = self.lookup(CLASSES[usize::from(row.cls)], row.oid, row.sub)?;
        let referenced = self.lookup(CLASSES[usize::from(row.ref_cls)], row.ref_oid, row.ref_sub)?;
        if dep == referenced || dep.is_child_of(&referenced) {
            return None;
        }
        // A sequence OWNED BY a column is set after the table exists; the column's
        // default is what must wait for the sequence.
        if row.auto && matches!(dep, IdRef::Object(ObjectId::Sequence(_))) {
            return None;
        }
        Some((dep, referenced))
    }

    /// The object `(classid, objid, objsubid)` names: a column when `sub` is non-zero.
    fn id(&self, cls: &'static str, oid: u32, sub: i32) -> Option<ObjectId> {
        self.id_ref(cls, oid, sub).map(|r| r.to_id())
    }

    fn id_ref(&self, cls: &'static str, oid: u32, sub: i32) -> Option<IdRef<'_>> {
        if sub == 0 {
            return self.oids.get(&(cls, oid)).map(IdRef::Object);
        }
        let (relation, _) = self.relations.get(&oid).filter(|_| cls == "pg_class")?;
        let column = self.attnames.get(&(oid, sub))?;
        Some(IdRef::Column(relation, column))
    }

    /// Like `id`, falling back to the whole object for a sub-object schemaspec does not
    /// track (a dependency on a column of a relation it does not read columns of).
    fn lookup(&self, cls: &'static str, oid: u32, sub: i32) -> Option<IdRef<'_>> {
        self.id_ref(cls, oid, sub).or_else(|| self.id_ref(cls, oid, 0))
    }
}

/// A `pg_depend` row as `depends.sql` reports it, classes as indexes into `CLASSES`.
/// The dependency rows among `rows`, made compact (a row of a class not modelled is
/// left out); they need nothing the builder knows until `resolve_depends`.
fn dep_rows(rows: &[Row], out: &mut Vec<DepRow>) {
    let class = |row: &Row, column: &str| {
        let name: String = row.get(column);
        CLASSES.iter().position(|c| *c == name).and_then(|i| u8::try_from(i).ok())
    };
    for row in rows {
        let (Some(cls), Some(ref_cls)) = (class(row, "cls"), class(row, "ref_cls")) else { continue };
        out.push(DepRow {
            cls,
            oid: row.get("oid"),
            sub: row.get("sub"),
            ref_cls,
            ref_oid: row.get("ref_oid"),
            ref_sub: row.get("ref_sub"),
            auto: row.get::<_, String>("deptype") == "a",
        });
    }
}

struct DepRow {
    cls: u8,
    ref_cls: u8,
    /// `deptype = 'a'` (automatic) rather than normal.
    auto: bool,
    oid: u32,
    sub: i32,
    ref_oid: u32,
    ref_sub: i32,
}

/// An object id borrowed from the builder's maps (a column's is made from two parts).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum IdRef<'a> {
    Object(&'a ObjectId),
    Column(&'a QualifiedName, &'a str),
}

impl IdRef<'_> {
    fn to_id(self) -> ObjectId {
        match self {
            IdRef::Object(id) => id.clone(),
            IdRef::Column(relation, column) => ObjectId::Column(relation.clone(), column.to_string()),
        }
    }

    /// `ObjectId::is_child_of`, without building either id.
    fn is_child_of(&self, other: &IdRef<'_>) -> bool {
        match (self, other) {
            (IdRef::Column(relation, _), IdRef::Object(ObjectId::Table(t) | ObjectId::View(t))) => relation == &t,
            (IdRef::Object(id), IdRef::Object(parent)) => id.is_child_of(parent),
            (IdRef::Column(..) | IdRef::Object(_), IdRef::Column(..)) | (IdRef::Column(..), IdRef::Object(_)) => false,
        }
    }
}

/// Put `WITH (options)` where PostgreSQL's grammar wants it in a key or exclusion
/// constraint: before `WHERE` (exclusion) or `DEFERRABLE`/`INITIALLY`, else at the end.
fn with_index_options(definition: &str, options: &[String]) -> String {
    let with = format!(" WITH ({})", options.join(", "));
    for marker in [" WHERE (", " DEFERRABLE", " INITIALLY "] {
        if let Some(i) = definition.find(marker) {
            return format!("{}{with}{}", &definition[..i], &definition[i..]);
        }
    }
    format!("{definition}{with}")
}

/// Parse `aclitem` text (`grantee=privs/grantor`) into items, writing the owner as
/// `Grantee::Owner`.
pub fn parse_acl(items: &[String], owner: &str) -> BTreeSet<AclItem> {
    let mut out = BTreeSet::new();
    for item in items {
        let Some((grantee, rest)) = split_acl_grantee(item) else { continue };
        let privs = rest.split('/').next().unwrap_or("");
        let grantee = if grantee.is_empty() {
            Grantee::Public
        } else if grantee == owner {
            Grantee::Owner
        } else {
            Grantee::Role(grantee)
        };
        let mut chars = privs.chars().peekable();
        while let Some(c) = chars.next() {
            let grantable = chars.peek() == Some(&'*');
            if grantable {
                chars.next();
            }
            if let Some(p) = privilege_name(c) {
                out.insert(AclItem { grantee: grantee.clone(), privilege: p.to_string(), grantable });
            }
        }
    }
    out
}

fn split_acl_grantee(item: &str) -> Option<(String, &str)> {
    if let Some(rest) = item.strip_prefix('"') {
        // Quoted role name: "" inside stands for one quote.
        let mut name = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if rest[i + 1..].starts_with('"') {
                    name.push('"');
                    chars.next();
                    continue;
                }
                return rest[i + 1..].strip_prefix('=').map(|r| (name, r));
            }
            name.push(c);
        }
        None
    } else {
        let (g, r) = item.split_once('=')?;
        Some((g.to_string(), r))
    }
}

fn privilege_name(c: char) -> Option<&'static str> {
    Some(match c {
        'r' => "SELECT",
        'w' => "UPDATE",
        'a' => "INSERT",
        'd' => "DELETE",
        'D' => "TRUNCATE",
        'x' => "REFERENCES",
        't' => "TRIGGER",
        'X' => "EXECUTE",
        'U' => "USAGE",
        'C' => "CREATE",
        'c' => "CONNECT",
        'T' => "TEMPORARY",
        'm' => "MAINTAIN",
        _ => return None,
    })
}

/// Record, in the scratch database, the read-back form of definitions that PostgreSQL
/// does not print as a fixpoint, and return them keyed by object.
pub async fn normalized_definitions(client: &Client) -> Result<BTreeMap<ObjectId, String>, tokio_postgres::Error> {
    client.batch_execute(NORMALIZE).await?;
    let rows =
        client.query("SELECT kind, schema_name, rel, name, normalized FROM pg_temp.schemaspec_normalized", &[]).await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (kind, schema, rel, name, normalized): (String, String, Option<String>, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        let id = match (kind.as_str(), rel) {
            ("constraint", Some(t)) => ObjectId::Constraint(QualifiedName::new(schema, t), name),
            ("policy", Some(t)) => ObjectId::Policy(QualifiedName::new(schema, t), name),
            ("index", _) => ObjectId::Index(QualifiedName::new(schema, name)),
            ("view", _) => ObjectId::View(QualifiedName::new(schema, name)),
            _ => continue,
        };
        out.insert(id, normalized);
    }
    Ok(out)
}

/// For desired constraints whose printed form does not read back the same, find the
/// schema files' own expression that PostgreSQL turns into exactly that constraint: each
/// candidate is added under a temporary name in the scratch database, compared, and
/// removed. Sets `Constraint::source` where one is found.
pub async fn source_forms(
    client: &Client,
    catalog: &mut Catalog,
    statements: &[&str],
) -> Result<(), tokio_postgres::Error> {
    let targets: Vec<(QualifiedName, String)> = catalog
        .equivalents
        .keys()
        .filter_map(|id| if let ObjectId::Constraint(t, n) = id { Some((t.clone(), n.clone())) } else { None })
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let candidates = crate::sqltext::source::check_expressions(statements);
    const TMP: &str = "schemaspec_source_tmp";
    client.batch_execute("SET search_path = ''").await?;
    for (table, name) in targets {
        let Some(definition) =
            catalog.tables.get(&table).and_then(|t| t.constraints.get(&name)).map(|c| c.definition.clone())
        else {
            continue;
        };
        let flags = if definition.contains(" NO INHERIT") { " NO INHERIT" } else { "" };
        let wanted = definition.trim_end_matches(" NOT VALID");
        let mut ordered: Vec<&crate::sqltext::source::CheckSource> =
            candidates.iter().filter(|c| c.table == table.name && c.name.as_deref() == Some(name.as_str())).collect();
        ordered.extend(candidates.iter().filter(|c| c.table == table.name && c.name.is_none()));
        for c in ordered {
            let add = format!("ALTER TABLE {} ADD CONSTRAINT {TMP} CHECK ({}){flags}", table.sql(), c.expression);
            // search_path for resolving the user's expression: as the files were loaded.
            if client.batch_execute(&format!("RESET search_path; {add}; SET search_path = ''")).await.is_err() {
                client.batch_execute("SET search_path = ''").await?;
                continue;
            }
            let got: Option<String> = client
                .query_opt(
                    "SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE conrelid = $1::text::regclass AND conname = $2",
                    &[&table.sql(), &TMP],
                )
                .await?
                .map(|r| r.get(0));
            client.batch_execute(&format!("ALTER TABLE {} DROP CONSTRAINT {TMP}", table.sql())).await?;
            if got.as_deref() == Some(wanted) {
                let not_valid = if definition.ends_with(" NOT VALID") { " NOT VALID" } else { "" };
                if let Some(con) = catalog.tables.get_mut(&table).and_then(|t| t.constraints.get_mut(&name)) {
                    con.source = Some(format!("CHECK ({}){flags}{not_valid}", c.expression));
                }
                break;
            }
        }
    }
    index_source_forms(client, catalog, statements).await?;
    client.batch_execute("RESET search_path").await
}

/// Like `source_forms`, for indexes: the schema files' `CREATE INDEX`, verified under a
/// temporary name.
async fn index_source_forms(
    client: &Client,
    catalog: &mut Catalog,
    statements: &[&str],
) -> Result<(), tokio_postgres::Error> {
    let names = crate::sqltext::source::index_names(statements);
    let targets: Vec<QualifiedName> = catalog
        .equivalents
        .keys()
        .filter_map(|id| if let ObjectId::Index(q) = id { Some(q.clone()) } else { None })
        .collect();
    const TMP: &str = "schemaspec_source_tmp";
    for q in targets {
        let Some(index) = catalog.indexes.get(&q).cloned() else { continue };
        let table = [index.table.schema.as_str(), index.table.name.as_str()];
        for (_, i) in names.iter().filter(|(n, _)| *n == q.name) {
            let (Some(trial), Some(real)) = (
                crate::sqltext::source::index_statement(statements[*i], TMP, &table),
                crate::sqltext::source::index_statement(statements[*i], &q.name, &table),
            ) else {
                continue;
            };
            if client.batch_execute(&trial).await.is_err() {
                continue;
            }
            let tmp = QualifiedName::new(q.schema.clone(), TMP);
            let got: Option<String> = client
                .query_opt("SELECT pg_catalog.pg_get_indexdef($1::text::regclass)", &[&tmp.sql()])
                .await?
                .map(|r| {
                    r.get::<_, String>(0).replacen(" ON ONLY ", " ON ", 1).replacen(
                        &format!("INDEX {TMP} ON"),
                        &format!("INDEX {} ON", crate::ident::ident(&q.name)),
                        1,
                    )
                });
            client.batch_execute(&format!("DROP INDEX {}", tmp.sql())).await?;
            if got.as_deref() == Some(index.definition.as_str()) {
                if let Some(ix) = catalog.indexes.get_mut(&q) {
                    ix.source = Some(real);
                }
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every catalog is summed in exactly one share; the first share, which also takes
    /// the shared parts and the list, sums about half as many as each other one.
    #[test]
    fn fingerprint_shares_cover_each_catalog_once() {
        let catalogs: Vec<String> = (0..60).map(|i| format!("pg_c{i:02}")).collect();
        for n in 1..=3 {
            let statements = fingerprint_statements(&catalogs, n);
            assert_eq!(statements.len(), n);
            let count = |sql: &str, c: &str| sql.matches(&format!("FROM pg_catalog.{c})")).count();
            for c in &catalogs {
                assert_eq!(statements.iter().map(|s| count(s, c)).sum::<usize>(), 1, "{c} in {n} share(s)");
            }
            let sizes: Vec<usize> =
                statements.iter().map(|s| catalogs.iter().filter(|c| count(s, c) == 1).count()).collect();
            if n == 2 {
                assert_eq!(sizes, vec![20, 40]);
            }
            assert!(statements[0].contains("'catalogs'") && statements[0].contains("pg_roles"));
            assert!(statements.iter().all(|s| s.contains("'reference'") && s.contains("'now snapshot'")));
        }
    }

    /// The state is the first statement's, and only where every statement saw the same
    /// snapshot; it is no part of the fingerprint, whose parts are the same whatever the
    /// snapshot was.
    #[test]
    fn a_state_is_kept_only_where_every_share_saw_one_snapshot() {
        let row = |p: &str, v: &str| (p.to_string(), v.to_string());
        let first = |snapshot: &str| {
            vec![
                row("now snapshot", snapshot),
                row("now started", "1700000000.5"),
                row("state pg_index flags", "3:77"),
                row("reference", "10"),
                row("catalogs", "pg_a,pg_b"),
                row("xid pg_a", "2:30:0"),
            ]
        };
        let second =
            |snapshot: &str| vec![row("reference", "10"), row("now snapshot", snapshot), row("xid pg_b", "1:5:1")];
        let same = sums_of(&[first("5:9:7"), second("5:9:7")]);
        assert_eq!(same.state, Some(state_of(&first("5:9:7"))));
        assert_eq!(same.listed, "pg_a,pg_b");
        let mut parts = same.parts.clone();
        parts.sort();
        assert_eq!(parts, vec!["pg_a=2:10:0", "pg_b=1:5:1", "state pg_index flags=3:77"]);
        let apart = sums_of(&[first("5:9:7"), second("5:10:")]);
        assert_eq!(apart.state, None, "a transaction ended between the shares");
        assert_eq!(apart.parts, same.parts, "the fingerprint's parts do not hold the snapshot");
        assert_eq!(sums_of(&[vec![row("xid pg_a", "2:30:0")]]).state, None, "no snapshot, no state");
        assert_ne!(state_of(&first("5:9:7")), state_of(&first("5:10:")));
        let other_index = vec![row("now snapshot", "5:9:7"), row("state pg_index flags", "3:78")];
        assert_ne!(
            state_of(&other_index),
            state_of(&[row("now snapshot", "5:9:7"), row("state pg_index flags", "3:77")])
        );
    }

    /// The sum of ids, taken against the reference's age in the same statement, does
    /// not move as the current id does; a row replaced by a newer one moves it; ids that
    /// are not normal count at their fixed age; an odd value is kept as it is.
    #[test]
    fn xid_sums_hold_still_as_the_current_id_moves() {
        // Rows with ids 100 and 200 and one bootstrap row, seen when the current id is
        // 1,000 and again at 5,000: ages (900, 800, max) and (4900, 4800, max).
        let max = 2147483647_i128;
        let at = |now: i128, ids: &[i128]| {
            let sum: i128 = ids.iter().map(|id| now - id).sum::<i128>() + max;
            (format!("{}:{sum}:1", ids.len() + 1), Some(now - 3))
        };
        let (v1, r1) = at(1000, &[100, 200]);
        let (v2, r2) = at(5000, &[100, 200]);
        assert_ne!(v1, v2);
        assert_eq!(xid_sum(&v1, r1), xid_sum(&v2, r2));
        // Row 200 replaced by a newer version (id 4000): same count, another sum.
        let (v3, r3) = at(5000, &[100, 4000]);
        assert_ne!(xid_sum(&v1, r1), xid_sum(&v3, r3));
        assert_eq!(xid_sum("odd", r1), "odd");
        assert_eq!(xid_sum(&v1, None), v1);
    }

    #[test]
    fn parses_acl_items_with_owner_public_and_grant_option() {
        let items =
            vec!["alice=arwdDxt/alice".to_string(), "=X/alice".to_string(), "\"Bob \"\"B\"\"\"=r*/alice".to_string()];
        let acl = parse_acl(&items, "alice");
        assert!(acl.contains(&AclItem { grantee: Grantee::Owner, privilege: "SELECT".into(), grantable: false }));
        assert!(acl.contains(&AclItem { grantee: Grantee::Public, privilege: "EXECUTE".into(), grantable: false }));
        assert!(acl.contains(&AclItem {
            grantee: Grantee::Role("Bob \"B\"".into()),
            privilege: "SELECT".into(),
            grantable: true
        }));
        assert_eq!(acl.len(), 9);
    }
}
