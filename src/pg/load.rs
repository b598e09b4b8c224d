//! Loads SQL files into a database (the desired state into a scratch database, or a
//! migration history replayed). PostgreSQL is the parser of record: a statement that
//! fails because something it references does not exist yet is
//! deferred and retried after the others, so files and statements may come in any
//! order. A genuine error names file:line:column and PostgreSQL's message. Statements go
//! in batches first (few round trips, few transactions); only a batch that fails is run
//! statement by statement.
//!
//! Given several connections, the loader first runs the layers of `sqltext::order::layers`
//! over all of them at once: a layer's groups spread over the connections, each
//! connection's share in pipelined batches of `LAYER_BATCH` statements. Until the first
//! failure: from the layer where something failed on, everything goes through the
//! one-connection path above, in order, so its deferral and error reporting decide.

use crate::error::Error;
use crate::sqltext::order::Layer;
use crate::sqltext::split::{line_col, split, SqlStatement};
use futures_util::future::join_all;
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::Client;

/// One SQL source: a display name (path) and its text.
#[derive(Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

struct Item<'a> {
    source: &'a Source,
    stmt: SqlStatement,
}

/// Statements sent in one round trip on the first pass.
const BATCH: usize = 250;

/// Statements per transaction in a parallel layer: small enough that a connection
/// waiting for another's lock does not wait long.
const LAYER_BATCH: usize = 50;

/// Errors that mean "something this statement needs is not there yet".
fn is_missing_dependency(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        [
            SqlState::UNDEFINED_TABLE,
            SqlState::UNDEFINED_OBJECT,
            SqlState::UNDEFINED_FUNCTION,
            SqlState::INVALID_SCHEMA_NAME,
            SqlState::UNDEFINED_COLUMN,
            SqlState::INVALID_FOREIGN_KEY,
        ]
        .contains(c)
    })
}

/// Statements of every source in file order (transaction control left out);
/// meta-commands are an error.
fn statements(sources: &[Source]) -> Result<Vec<(usize, SqlStatement)>, Error> {
    let mut items = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let s = split(&source.text);
        if let Some(m) = s.meta_commands.first() {
            return Err(Error::MetaCommand { file: source.name.clone(), line: m.line, command: m.text.clone() });
        }
        items.extend(s.statements.into_iter().filter(|st| !is_transaction_control(&st.text)).map(|stmt| (i, stmt)));
    }
    Ok(items)
}

/// What loading `sources` starts from, which needs no server: their statements (by
/// source) and the layers of their dependency graph. Made on a thread of its own while
/// the scratch database is created (`prepare`), it is off the path of a cold load: 0.1 s
/// at 1,000 tables.
pub struct Prepared {
    statements: Vec<(usize, SqlStatement)>,
    layers: Vec<crate::sqltext::order::Layer>,
}

/// `Prepared` for `sources`; an error for a psql meta-command in them.
pub fn prepare(sources: &[Source]) -> Result<Prepared, Error> {
    let statements = statements(sources)?;
    let texts: Vec<&str> = statements.iter().map(|(_, st)| st.text.as_str()).collect();
    let layers = crate::sqltext::order::layers(&texts);
    Ok(Prepared { statements, layers })
}

/// BEGIN/COMMIT in a schema file would end the loader's own transaction handling (a
/// dump's wrapping `BEGIN; ... COMMIT;` says nothing about the desired state).
fn is_transaction_control(sql: &str) -> bool {
    crate::sqltext::split::transaction_control(sql).is_some()
}

/// The error for a failed statement, located in its file.
pub fn located_error(source: &str, text: &str, stmt: &SqlStatement, e: &tokio_postgres::Error) -> Error {
    let (line, column) = match e.as_db_error().and_then(|d| d.position()) {
        Some(ErrorPosition::Original(pos)) => {
            // PostgreSQL counts characters from 1 within the statement.
            let byte =
                stmt.text.char_indices().nth((*pos as usize).saturating_sub(1)).map_or(stmt.text.len(), |(b, _)| b);
            line_col(text, stmt.offset + byte)
        }
        _ => (stmt.line, stmt.column),
    };
    Error::SqlError {
        file: source.to_string(),
        line,
        column,
        message: super::db_message(e),
        hint: e.as_db_error().and_then(|d| d.hint()).map(str::to_string),
    }
}

/// A schema file's error, with what to do when PostgreSQL gave no hint of its own.
fn schema_error(mut e: Error) -> Error {
    if let Error::SqlError { hint: hint @ None, message, .. } = &mut e {
        // The statement is right; the scratch cluster lacks a cluster-wide role.
        let role = message.contains("role \"") && message.contains("does not exist");
        *hint = Some(if role {
            "roles belong to the whole cluster, so the scratch cluster the schema files load into has only those schemaspec is told about: name it in `roles = [...]` in schemaspec.toml (or set `platform` when your platform provides it), and schemaspec creates it there; the database you deploy to must have it too".into()
        } else {
            "fix the statement at that place in the schema file; nothing was changed (schema files are loaded into a scratch database, never into the target)".into()
        });
    }
    e
}

/// Run `items` one at a time: those stopped by a missing dependency come back with their
/// error; any other error ends the load, located in its file.
async fn run_each<'a>(
    client: &Client,
    items: Vec<Item<'a>>,
    done: &mut usize,
) -> Result<Vec<(Item<'a>, tokio_postgres::Error)>, Error> {
    let mut deferred = Vec::new();
    for item in items {
        match client.batch_execute(&item.stmt.text).await {
            Ok(()) => *done += 1,
            Err(e) if is_missing_dependency(&e) => deferred.push((item, e)),
            Err(e) => return Err(schema_error(located_error(&item.source.name, &item.source.text, &item.stmt, &e))),
        }
    }
    Ok(deferred)
}

/// Run every statement of `sources`, deferring those whose dependencies are missing.
pub async fn load(client: &Client, sources: &[Source]) -> Result<usize, Error> {
    load_with(std::slice::from_ref(client), sources, &mut |_| Vec::new()).await
}

/// How many connections to load a scratch database over: the dev server is normally on
/// this machine, so one per core (at least two, to overlap round trips), at most eight.
pub fn connections() -> usize {
    if let Some(n) = std::env::var("SCHEMASPEC_LOAD_CONNECTIONS").ok().and_then(|v| v.parse::<usize>().ok()) {
        return n.max(1);
    }
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8)
}

/// Like `load`, over `clients` (connections to one database; the first is where
/// anything that cannot run in parallel runs). When statements are stuck on missing
/// objects, `provide` is shown their error messages and may return SQL that creates
/// what they need (objects the files use without defining, taken from elsewhere), after
/// which they are retried.
pub async fn load_with(
    clients: &[Client],
    sources: &[Source],
    provide: &mut dyn FnMut(&[String]) -> Vec<String>,
) -> Result<usize, Error> {
    load_prepared(clients, sources, prepare(sources)?, provide).await
}

/// `load_with`, from what `prepare` made of `sources`.
pub async fn load_prepared(
    clients: &[Client],
    sources: &[Source],
    prepared: Prepared,
    provide: &mut dyn FnMut(&[String]) -> Vec<String>,
) -> Result<usize, Error> {
    let Prepared { statements, layers } = prepared;
    let items: Vec<Item> =
        statements.into_iter().filter_map(|(i, stmt)| Some(Item { source: sources.get(i)?, stmt })).collect();
    let settings = "SET check_function_bodies = off; SET client_min_messages = warning; SET synchronous_commit = off";
    for result in join_all(clients.iter().map(|c| c.batch_execute(settings))).await {
        result.map_err(|e| Error::Other(super::db_message(&e)))?;
    }
    let mut slots: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    let mut done = 0;
    let mut layers = layers.into_iter();
    let mut rest: Vec<Item> = Vec::new();
    if clients.len() > 1 {
        for layer in layers.by_ref() {
            let started = std::time::Instant::now();
            let failed = run_layer(clients, &layer, &slots).await;
            let ran = layer_indexes(&layer);
            tracing::trace!("layer of {} in {:?}", ran.len(), started.elapsed());
            done += ran.len() - failed.len();
            if !failed.is_empty() {
                tracing::debug!("parallel load stopped after {done} statements: {} failed", failed.len());
                rest.extend(failed.into_iter().filter_map(|i| slots[i].take()));
                break;
            }
            for i in ran {
                slots[i] = None;
            }
        }
    }
    rest.extend(layers.flat_map(|l| layer_indexes(&l)).filter_map(|i| slots[i].take()));
    tracing::debug!("{done} statements loaded over {} connections, {} to load in order", clients.len(), rest.len());
    let client = &clients[0];
    // First pass in batches: one round trip and one transaction per batch. A batch that
    // fails is rolled back whole by PostgreSQL, and its statements run one by one, so
    // errors keep their file:line and missing dependencies are deferred as usual.
    let mut pending = Vec::new();
    let mut items = rest.into_iter().peekable();
    while items.peek().is_some() {
        let batch: Vec<Item> = items.by_ref().take(BATCH).collect();
        // A newline before each `;`: a statement may end in a line comment.
        let joined = batch.iter().map(|i| i.stmt.text.as_str()).collect::<Vec<_>>().join("\n;\n");
        if batch.len() > 1 && client.batch_execute(&joined).await.is_ok() {
            done += batch.len();
            continue;
        }
        pending.extend(run_each(client, batch, &mut done).await?.into_iter().map(|(i, _)| i));
    }
    if pending.is_empty() {
        return Ok(done);
    }
    loop {
        let before = pending.len();
        let deferred = run_each(client, pending, &mut done).await?;
        if deferred.is_empty() {
            return Ok(done);
        }
        if deferred.len() == before {
            let messages: Vec<String> =
                deferred.iter().filter_map(|(_, e)| e.as_db_error().map(|d| d.message().to_string())).collect();
            let extra = provide(&messages);
            let mut provided = false;
            for sql in &extra {
                match client.batch_execute(sql).await {
                    Ok(()) => provided = true,
                    Err(e) => tracing::warn!("could not provide a missing object: {}", super::db_message(&e)),
                }
            }
            if !provided {
                let (item, e) = &deferred[0];
                return Err(schema_error(located_error(&item.source.name, &item.source.text, &item.stmt, e)));
            }
        }
        pending = deferred.into_iter().map(|(i, _)| i).collect();
    }
}

/// What a body may name that lives outside the schema files (another schema, an
/// extension of the target): not the files' error, so not reported.
const MISSING: [&str; 5] = ["42P01", "42883", "42704", "3F000", "42703"];

/// Routines whose bodies PostgreSQL rejects now that everything they reference exists
/// (the load runs with `check_function_bodies` off, so statements may come in any order):
/// (schema, name, signature, message) of each SQL and PL/pgSQL routine outside the
/// system schemas and extensions whose body is wrong in itself (a reference to something
/// missing is left to the apply that runs it), checked by the language's own validator as psql's
/// default settings would have at creation. Two round trips, however many routines.
pub async fn invalid_bodies(client: &Client) -> Result<Vec<(String, String, String, String)>, Error> {
    let check = "SET check_function_bodies = on; \
        CREATE TEMP TABLE IF NOT EXISTS schemaspec_invalid_bodies (fn oid, code text, message text); \
        DO $schemaspec$ DECLARE r record; BEGIN \
          FOR r IN SELECT p.oid, l.lanname FROM pg_catalog.pg_proc p \
                   JOIN pg_catalog.pg_language l ON l.oid = p.prolang \
                   JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
                   WHERE l.lanname IN ('sql', 'plpgsql') AND p.oid >= 16384 \
                     AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' \
                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass \
                                     AND d.objid = p.oid AND d.deptype = 'e') \
          LOOP \
            BEGIN \
              IF r.lanname = 'sql' THEN PERFORM pg_catalog.fmgr_sql_validator(r.oid); \
              ELSE PERFORM pg_catalog.plpgsql_validator(r.oid); END IF; \
            EXCEPTION WHEN OTHERS THEN \
              INSERT INTO pg_temp.schemaspec_invalid_bodies VALUES (r.oid, SQLSTATE, SQLERRM); \
            END; \
          END LOOP; \
        END $schemaspec$; \
        SET check_function_bodies = off";
    client.batch_execute(check).await.map_err(|e| Error::Other(super::db_message(&e)))?;
    let rows = client
        .query(
            "SELECT n.nspname::text, p.proname::text, p.oid::regprocedure::text, e.message \
             FROM pg_temp.schemaspec_invalid_bodies e JOIN pg_catalog.pg_proc p ON p.oid = e.fn \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             WHERE e.code <> ALL ($1::text[]) ORDER BY 1, 3",
            &[&MISSING.as_slice()],
        )
        .await
        .map_err(|e| Error::Other(super::db_message(&e)))?;
    client
        .batch_execute("DROP TABLE pg_temp.schemaspec_invalid_bodies")
        .await
        .map_err(|e| Error::Other(super::db_message(&e)))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
}

/// Run `statements` in order, each on its own, skipping those that fail: passes over what
/// is left until a pass runs nothing more (a statement may need one that comes later).
/// Returns what never ran, with PostgreSQL's message. For copies that are allowed to be
/// partial: a platform's objects on a dev server that lacks some of its extensions.
pub async fn run_tolerant(client: &Client, statements: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut pending: Vec<&String> = statements.iter().collect();
    loop {
        let mut failed = Vec::new();
        let before = pending.len();
        for sql in pending {
            if let Err(e) = client.batch_execute(sql).await {
                if e.as_db_error().is_none() {
                    return Err(Error::Other(super::db_message(&e)));
                }
                failed.push((sql, super::db_message(&e)));
            }
        }
        if failed.is_empty() || failed.len() == before {
            return Ok(failed.into_iter().map(|(s, m)| (s.clone(), m)).collect());
        }
        pending = failed.into_iter().map(|(s, _)| s).collect();
    }
}

fn layer_indexes(layer: &Layer) -> Vec<usize> {
    match layer {
        Layer::Together(groups) => groups.concat(),
        Layer::Alone(i) | Layer::Everywhere(i) => vec![*i],
    }
}

/// Run one layer over `clients`; the indexes of statements that failed (in order). A
/// setting runs on every connection; a statement that must run alone, on the first.
async fn run_layer(clients: &[Client], layer: &Layer, slots: &[Option<Item<'_>>]) -> Vec<usize> {
    let sql = |i: usize| slots[i].as_ref().map_or("", |item| item.stmt.text.as_str());
    match layer {
        Layer::Everywhere(i) => {
            let results = join_all(clients.iter().map(|c| c.batch_execute(sql(*i)))).await;
            if results.iter().all(Result::is_ok) {
                Vec::new()
            } else {
                vec![*i]
            }
        }
        Layer::Alone(i) => match clients[0].batch_execute(sql(*i)).await {
            Ok(()) => Vec::new(),
            Err(_) => vec![*i],
        },
        Layer::Together(groups) => {
            // Whole groups to the least loaded connection, largest first, so statements
            // that lock the same table wait for each other on one connection instead of
            // across two (where batches could deadlock). Each connection runs its share
            // in pipelined batches, one transaction each: a commit per statement made
            // every backend process the others' catalog invalidations per statement.
            let mut shares: Vec<Vec<usize>> = vec![Vec::new(); clients.len()];
            let mut by_size: Vec<&Vec<usize>> = groups.iter().collect();
            by_size.sort_by_key(|g| std::cmp::Reverse(g.len()));
            for g in by_size {
                let least = (0..shares.len()).min_by_key(|&c| shares[c].len()).unwrap_or(0);
                shares[least].extend(g);
            }
            let failed = join_all(clients.iter().zip(&shares).map(|(client, mine)| async move {
                let batches: Vec<&[usize]> = mine.chunks(LAYER_BATCH).collect();
                let texts: Vec<String> =
                    batches.iter().map(|b| b.iter().map(|&i| sql(i)).collect::<Vec<_>>().join("\n;\n")).collect();
                let results = join_all(texts.iter().map(|t| client.batch_execute(t))).await;
                batches
                    .into_iter()
                    .zip(results)
                    .filter(|(_, r)| r.is_err())
                    .flat_map(|(b, _)| b.to_vec())
                    .collect::<Vec<_>>()
            }))
            .await;
            let failed: std::collections::HashSet<usize> = failed.into_iter().flatten().collect();
            // In the layer's order, for the in-order path that takes over.
            groups.iter().flatten().copied().filter(|i| failed.contains(i)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_transaction_control;

    #[test]
    fn transaction_control_is_recognised() {
        assert!(is_transaction_control("BEGIN;"));
        assert!(is_transaction_control("commit"));
        assert!(is_transaction_control("START TRANSACTION ISOLATION LEVEL SERIALIZABLE;"));
        assert!(!is_transaction_control("BEGIN ATOMIC"));
        assert!(!is_transaction_control("create table begin_x ()"));
    }
}
