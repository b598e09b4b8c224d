//! The tracking table and running migration files.
//!
//! Each transactional file runs in one transaction together with the insert of its
//! tracking row, so a file is either applied and recorded or neither. A file marked
//! `-- schemaspec:no-transaction` cannot be: its row is written first as not yet
//! successful, each statement runs on its own, and the row is completed at the end, so a
//! crash leaves a visible "started, not finished" row rather than a silent half-state.

use super::db_message;
use crate::error::Error;
use crate::history::{AppliedMigration, LocalMigration};
use crate::ident::{ident, literal};
use crate::sql::split::split;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// Key of the session advisory lock that serializes `apply` runs on one database.
const LOCK_KEY: i64 = 0x5343_4845_4d41_5350; // "SCHEMASP"

pub struct Tracking {
    pub schema: String,
    pub table: String,
}

impl Tracking {
    pub fn qualified(&self) -> String {
        format!("{}.{}", ident(&self.schema), ident(&self.table))
    }

    /// Where `repair` and `baseline` move rows they take out of the history.
    pub fn archive(&self) -> String {
        format!("{}.{}", ident(&self.schema), ident(&format!("{}_archive", self.table)))
    }

    /// Where every repair, import and baseline is logged.
    pub fn log(&self) -> String {
        format!("{}.{}", ident(&self.schema), ident("history_log"))
    }

    /// Change the history in one transaction: `statements` (archiving, recording rows),
    /// then the log entry, creating the archive and log tables first if missing. On
    /// failure everything is rolled back and PostgreSQL's message returned.
    pub async fn change_history(
        &self,
        client: &Client,
        statements: &[String],
        action: &str,
        version: Option<&str>,
        detail: &str,
    ) -> Result<(), String> {
        let sql = format!(
            "BEGIN;\n{}\n{}\n{}\nCOMMIT;",
            self.ensure_archive_sql(),
            statements.join("\n"),
            self.log_sql(action, version, detail)
        );
        if let Err(e) = client.batch_execute(&sql).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(db_message(&e));
        }
        Ok(())
    }

    fn ensure_archive_sql(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {archive} (LIKE {t}, archived_at timestamptz NOT NULL DEFAULT now(), archived_by text NOT NULL DEFAULT current_user, reason text NOT NULL);
             CREATE TABLE IF NOT EXISTS {log} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), by_role text NOT NULL DEFAULT current_user, action text NOT NULL, version text, detail text NOT NULL);",
            archive = self.archive(),
            t = self.qualified(),
            log = self.log()
        )
    }

    /// Move a row to the archive table (nothing happens when there is no such row).
    pub fn archive_row_sql(&self, version: &str, reason: &str) -> String {
        format!(
            "WITH moved AS (DELETE FROM {t} WHERE version = {v} RETURNING *)
             INSERT INTO {archive} (version, name, checksum, applied_at, execution_time_ms, applied_by, success, raw_checksum, reason)
             SELECT version, name, checksum, applied_at, execution_time_ms, applied_by, success, raw_checksum, {r} FROM moved;",
            t = self.qualified(),
            archive = self.archive(),
            v = literal(version),
            r = literal(reason)
        )
    }

    fn log_sql(&self, action: &str, version: Option<&str>, detail: &str) -> String {
        format!(
            "INSERT INTO {} (action, version, detail) VALUES ({}, {}, {});",
            self.log(),
            literal(action),
            version.map_or("NULL".to_string(), literal),
            literal(detail)
        )
    }

    /// Record a file as applied without running it (repair, baseline, import).
    pub fn record_sql(&self, m: &LocalMigration) -> String {
        self.insert_sql(m, true, None) + ";"
    }

    /// Create the tracking schema and table if missing. Only what is missing is created
    /// (a role that may not create schemas, given USAGE on the tracking schema and
    /// SELECT, INSERT, UPDATE, DELETE on the table, can apply), and nothing is granted
    /// to PUBLIC: the history is readable by owners and those granted it.
    pub async fn ensure(&self, client: &Client) -> Result<(), Error> {
        let row = client
            .query_one(
                "SELECT to_regnamespace($1) IS NOT NULL, to_regclass($2) IS NOT NULL,
                        EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($2) AND attname = 'raw_checksum')",
                &[&ident(&self.schema), &self.qualified()],
            )
            .await
            .map_err(|e| Error::Other(db_message(&e)))?;
        let (has_schema, has_table, has_raw): (bool, bool, bool) = (row.get(0), row.get(1), row.get(2));
        let mut sql = String::new();
        if !has_schema {
            sql += &format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; REVOKE ALL ON SCHEMA {schema} FROM PUBLIC;",
                schema = ident(&self.schema)
            );
        }
        if !has_table {
            sql += &format!(
                "CREATE TABLE IF NOT EXISTS {t} (
                     version text PRIMARY KEY,
                     name text NOT NULL,
                     checksum text NOT NULL,
                     applied_at timestamptz NOT NULL DEFAULT now(),
                     execution_time_ms bigint,
                     applied_by text NOT NULL DEFAULT current_user,
                     success boolean NOT NULL,
                     raw_checksum text
                 );
                 REVOKE ALL ON {t} FROM PUBLIC;
                 COMMENT ON TABLE {t} IS 'Migrations applied by schemaspec; checksum is of the normalized text (comments and whitespace aside), raw_checksum of the bytes; success = false means started outside a transaction and not finished.';",
                t = self.qualified()
            );
        } else if !has_raw {
            sql += &format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS raw_checksum text;", self.qualified());
        }
        if sql.is_empty() {
            return Ok(());
        }
        client.batch_execute(&sql).await.map_err(|e| {
            Error::failed(
                format!("cannot create the tracking table {}: {}", self.qualified(), db_message(&e)),
                "nothing was applied. The role needs CREATE on the database for the tracking schema (or create the schema and table once as an owner and grant this role INSERT, UPDATE, DELETE on it, or set tracking_table to a schema it owns); a read-only database or a replica cannot be migrated",
            )
        })
    }

    /// Rows of the tracking table; none when it does not exist yet.
    pub async fn applied(&self, client: &Client) -> Result<Vec<AppliedMigration>, Error> {
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&self.qualified()])
            .await
            .map_err(|e| Error::Other(db_message(&e)))?
            .get(0);
        if !exists {
            return Ok(Vec::new());
        }
        let rows = client
            .query(&format!("SELECT version, name, checksum, success FROM {} ORDER BY version", self.qualified()), &[])
            .await
            .map_err(|e| Error::Other(format!("cannot read {}: {}", self.qualified(), db_message(&e))))?;
        Ok(rows
            .iter()
            .map(|r| AppliedMigration { version: r.get(0), name: r.get(1), checksum: r.get(2), success: r.get(3) })
            .collect())
    }

    /// Take the deploy lock, waiting for another apply to finish. Waiting polls with
    /// `pg_try_advisory_lock` rather than blocking in `pg_advisory_lock`: a session blocked
    /// in a statement holds a snapshot, and `CREATE INDEX CONCURRENTLY` in the running
    /// apply waits for every such snapshot to go, so a blocked waiter would deadlock it.
    /// `waiting` is called once, when the lock is taken by someone else.
    pub async fn lock(&self, client: &Client, waiting: &mut dyn FnMut()) -> Result<(), Error> {
        let mut pause = Duration::from_millis(20);
        let mut told = false;
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
                .await
                .map_err(|e| Error::Other(db_message(&e)))?
                .get(0);
            if got {
                return Ok(());
            }
            if !told {
                waiting();
                told = true;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    pub async fn unlock(&self, client: &Client) {
        let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await;
    }

    fn insert_sql(&self, m: &LocalMigration, success: bool, ms: Option<i64>) -> String {
        format!(
            "INSERT INTO {} (version, name, checksum, raw_checksum, execution_time_ms, success) VALUES ({}, {}, {}, {}, {}, {success})
             ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, raw_checksum = EXCLUDED.raw_checksum,
                 execution_time_ms = EXCLUDED.execution_time_ms, success = EXCLUDED.success, applied_at = now(), applied_by = current_user",
            self.qualified(),
            literal(&m.version),
            literal(&m.name),
            literal(&m.checksum),
            literal(&m.raw_checksum),
            ms.map_or("NULL".to_string(), |v| v.to_string())
        )
    }
}

pub struct Timeouts {
    pub lock_timeout: String,
    pub statement_timeout: String,
    /// Retries after `lock_timeout` expired (SQLSTATE 55P03), with doubling waits.
    pub lock_retries: u32,
}

pub use crate::plan::files::is_no_transaction;

/// The wait before retry `attempt` (1-based): 0.5 s doubling, at most 8 s, plus up to a
/// quarter more so that deploys retrying together do not collide again.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << attempt.saturating_sub(1).min(4));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let jitter = nanos.subsec_nanos() as u64 % (base.as_millis() as u64 / 4 + 1);
    base + Duration::from_millis(jitter)
}

/// The session is gone: closed socket, I/O error, or the server ending it (terminated
/// by an administrator, shutting down, crashed: SQLSTATE class 57P).
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    e.is_closed()
        || e.as_db_error().is_none() && e.code().is_none()
        || e.code().is_some_and(|c| c.code().starts_with("57P"))
        || e.as_db_error().is_some_and(|d| matches!(d.severity(), "FATAL" | "PANIC"))
}

fn is_lock_timeout(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE)
}

/// After `e`: when it is a lock timeout with retries left, say so (at `place`, after
/// `done`, e.g. "rolled back, "), wait the backoff and return true (try again);
/// otherwise false.
async fn retry_after(
    e: &tokio_postgres::Error,
    attempt: &mut u32,
    timeouts: &Timeouts,
    place: &str,
    done: &str,
) -> bool {
    if !is_lock_timeout(e) || *attempt >= timeouts.lock_retries {
        return false;
    }
    *attempt += 1;
    let wait = backoff(*attempt);
    tracing::warn!(
        "{place}: lock not available within lock_timeout; {done}retry {attempt}/{} in {} ms",
        timeouts.lock_retries,
        wait.as_millis()
    );
    tokio::time::sleep(wait).await;
    true
}

/// Run one migration file; with `tracking`, record it. Returns how long it took.
///
/// A statement that cannot get its lock within `lock_timeout` is retried (a
/// transactional file as a whole, after its rollback; a no-transaction file's statement
/// on its own, which is safe because those statements are idempotent).
pub async fn run_file(
    client: &Client,
    m: &LocalMigration,
    tracking: Option<&Tracking>,
    timeouts: &Timeouts,
) -> Result<Duration, Error> {
    let started = Instant::now();
    let settings = format!(
        "SET lock_timeout = {}; SET statement_timeout = {}",
        literal(&timeouts.lock_timeout),
        literal(&timeouts.statement_timeout)
    );
    let no_transaction = is_no_transaction(&m.content);
    // The error names the file, the place and the statement it happened in.
    let fail = |e: &tokio_postgres::Error, stmt: &crate::sql::split::SqlStatement| {
        if connection_lost(e) {
            return Error::ConnectionLost { file: m.file_name.clone(), no_transaction, message: db_message(e) };
        }
        let mut err = super::load::located_error(&m.file_name, &m.content, stmt, e);
        if let Error::SqlError { line, message, hint, .. } = &mut err {
            let what_to_do = if is_lock_timeout(e) {
                "another session held a lock the statement needs for longer than lock_timeout allows, retries included; run `schemaspec apply` again at a quieter moment, or raise lock_timeout / lock_retries"
            } else if no_transaction {
                "the file runs outside a transaction: statements before this one stay applied and its row is marked as not finished. Fix the cause; `schemaspec apply` then resumes a generated file, and `schemaspec status` says what to do with a hand-written one"
            } else {
                "the file was rolled back: nothing of it is applied or recorded. Fix it (it has not been applied, so it may still be edited) and run `schemaspec apply` again"
            };
            *hint = Some(match hint.take() {
                Some(pg) => format!("{pg}. {what_to_do}"),
                None => what_to_do.to_string(),
            });
            let statements = split(&m.content).statements;
            if let Some(st) = statements.iter().rev().find(|s| s.line <= *line) {
                let first =
                    st.text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("--")).unwrap_or("");
                let first: String = first.chars().take(120).collect();
                *message = format!("{message} (in the statement at line {}: {first})", st.line);
            }
            if is_lock_timeout(e) {
                *message = format!(
                    "{message}; gave up after {} retries (lock_timeout {})",
                    timeouts.lock_retries, timeouts.lock_timeout
                );
            }
        }
        err
    };
    // Errors of schemaspec's own statements (settings, the tracking row): no file location.
    let plain = |e: &tokio_postgres::Error| {
        if connection_lost(e) {
            Error::ConnectionLost { file: m.file_name.clone(), no_transaction, message: db_message(e) }
        } else {
            Error::Other(format!("{}: {}", m.file_name, db_message(e)))
        }
    };
    let whole = crate::sql::split::SqlStatement { text: m.content.clone(), offset: 0, line: 1, column: 1 };
    if no_transaction {
        client.batch_execute(&settings).await.map_err(|e| plain(&e))?;
        if let Some(t) = tracking {
            client.batch_execute(&t.insert_sql(m, false, None)).await.map_err(|e| plain(&e))?;
        }
        for stmt in split(&m.content).statements {
            let mut attempt = 0;
            while let Err(e) = client.batch_execute(&stmt.text).await {
                let place = format!("{}:{}", m.file_name, stmt.line);
                if !retry_after(&e, &mut attempt, timeouts, &place, "").await {
                    return Err(fail(&e, &stmt));
                }
            }
        }
        if let Some(t) = tracking {
            let ms = started.elapsed().as_millis() as i64;
            client.batch_execute(&t.insert_sql(m, true, Some(ms))).await.map_err(|e| plain(&e))?;
        }
        return Ok(started.elapsed());
    }
    let mut attempt = 0;
    loop {
        // (error, whether it is the file's: its statements, or deferred checks at COMMIT)
        let result: Result<(), (tokio_postgres::Error, bool)> = async {
            client.batch_execute(&format!("BEGIN; {settings}")).await.map_err(|e| (e, false))?;
            client.batch_execute(&m.content).await.map_err(|e| (e, true))?;
            if let Some(t) = tracking {
                let ms = started.elapsed().as_millis() as i64;
                client.batch_execute(&t.insert_sql(m, true, Some(ms))).await.map_err(|e| (e, false))?;
            }
            client.batch_execute("COMMIT").await.map_err(|e| (e, true))
        }
        .await;
        let Err((e, in_file)) = result else { return Ok(started.elapsed()) };
        if !connection_lost(&e) {
            let _ = client.batch_execute("ROLLBACK").await;
        }
        if !retry_after(&e, &mut attempt, timeouts, &m.file_name, "rolled back, ").await {
            return Err(if in_file { fail(&e, &whole) } else { plain(&e) });
        }
    }
}
