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
use crate::sqltext::split::split;
use futures_util::future::join_all;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// Key of the session advisory lock that serializes `apply` runs on one database.
const LOCK_KEY: i64 = 0x5343_4845_4d41_5350; // "SCHEMASP"

/// Key of the transaction advisory lock under which tracking tables are created.
const CREATE_KEY: i64 = 0x5343_4845_4d41_5343; // "SCHEMASC"

pub struct Tracking {
    pub schema: String,
    pub table: String,
    /// The advisory lock `apply` takes: one per database, or one per tenant schema.
    lock: i64,
}

/// Text columns a row keeps when the table has them: `content`, the text that ran, and
/// `rollback_sql`, the way back its `-- schemaspec:down` block carries.
pub const KEPT_TEXTS: [&str; 2] = ["content", "rollback_sql"];

/// (tracking table by qualified name, column of `KEPT_TEXTS`) that the table lacks and
/// whose role may not add (an older table, a deploy role that may only write rows): its
/// rows are written without it. Learned by `Tracking::ensure`, which every write follows.
static WITHOUT_TEXT: std::sync::Mutex<Vec<(String, &'static str)>> = std::sync::Mutex::new(Vec::new());

/// A row's record of what ran, for `repair --restore`, `status` and `show`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    pub name: String,
    pub checksum: String,
    pub success: Option<bool>,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    /// The text that ran (`None`: not kept, by an older version or another tool).
    pub content: Option<String>,
    /// The down block's SQL (`None`: the file had none, or it was not kept).
    pub rollback_sql: Option<String>,
}

impl Tracking {
    /// The database's tracking table, under the database's deploy lock.
    pub fn new(schema: &str, table: &str) -> Tracking {
        Tracking { schema: schema.to_string(), table: table.to_string(), lock: LOCK_KEY }
    }

    /// A tenant schema's own tracking table (`table` in `schema`), under a lock of its
    /// own: tenants of one database apply side by side, each once.
    pub fn of_tenant(schema: &str, table: &str, tenant: &str) -> Tracking {
        // FNV-1a of the tenant's name: stable across versions and machines.
        let hash =
            tenant.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Tracking { schema: schema.to_string(), table: table.to_string(), lock: LOCK_KEY ^ (hash as i64) }
    }

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
        self.change_history_after(client, &[], statements, action, version, detail).await
    }

    /// `change_history`, with `prelude` run first in the same transaction (before the
    /// archive table is made in the tracking table's image).
    pub async fn change_history_after(
        &self,
        client: &Client,
        prelude: &[String],
        statements: &[String],
        action: &str,
        version: Option<&str>,
        detail: &str,
    ) -> Result<(), String> {
        let sql = format!(
            "BEGIN;\n{}\n{}\n{}\n{}\nCOMMIT;",
            prelude.join("\n"),
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
             ALTER TABLE {archive} ADD COLUMN IF NOT EXISTS content text;
             ALTER TABLE {archive} ADD COLUMN IF NOT EXISTS rollback_sql text;
             CREATE TABLE IF NOT EXISTS {log} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), by_role text NOT NULL DEFAULT current_user, action text NOT NULL, version text, detail text NOT NULL);",
            archive = self.archive(),
            t = self.qualified(),
            log = self.log()
        )
    }

    /// Move a row to the archive table (nothing happens when there is no such row).
    pub fn archive_row_sql(&self, version: &str, reason: &str) -> String {
        self.archive_where_sql(&format!("version = {}", literal(version)), reason)
    }

    /// Move the rows `condition` selects to the archive table, with the reason.
    pub fn archive_where_sql(&self, condition: &str, reason: &str) -> String {
        format!(
            "WITH moved AS (DELETE FROM {t} WHERE {condition} RETURNING *)
             INSERT INTO {archive} (version, name, checksum, applied_at, execution_time_ms, applied_by, success, raw_checksum{c}, reason)
             SELECT version, name, checksum, applied_at, execution_time_ms, applied_by, success, raw_checksum{c}, {r} FROM moved;",
            c = self.kept_texts().iter().map(|c| format!(", {c}")).collect::<String>(),
            t = self.qualified(),
            archive = self.archive(),
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

    /// Whether rows keep the text of their file (`content`).
    pub fn keeps_text(&self) -> bool {
        self.keeps("content")
    }

    /// Whether rows keep this column of `KEPT_TEXTS`.
    fn keeps(&self, column: &str) -> bool {
        !WITHOUT_TEXT.lock().is_ok_and(|w| w.iter().any(|(t, c)| *t == self.qualified() && *c == column))
    }

    /// The columns of `KEPT_TEXTS` rows keep.
    fn kept_texts(&self) -> Vec<&'static str> {
        KEPT_TEXTS.into_iter().filter(|c| self.keeps(c)).collect()
    }

    fn set_keeps(&self, column: &'static str, keeps: bool) {
        if let Ok(mut w) = WITHOUT_TEXT.lock() {
            w.retain(|(t, c)| *t != self.qualified() || *c != column);
            if !keeps {
                w.push((self.qualified(), column));
            }
        }
    }

    /// A file's row for an insert: (column list, values), with the texts the table
    /// keeps: the file's, and the way back its down block carries (NULL: none).
    fn row_sql(&self, m: &LocalMigration) -> (String, String) {
        let mut columns = String::from("version, name, checksum, raw_checksum");
        let mut values = [&m.version, &m.name, &m.checksum, &m.raw_checksum].map(|v| literal(v)).join(", ");
        for column in self.kept_texts() {
            let value = match column {
                "content" => Some(m.content.clone()),
                _ => crate::plan::files::down_block(&m.content).map(|d| d.sql),
            };
            columns += &format!(", {column}");
            values += &format!(", {}", value.as_deref().map_or("NULL".to_string(), literal));
        }
        (columns, values)
    }

    /// Record a file as applied without running it (repair, baseline), where its
    /// version has no row (archived just before, or new). A plain insert: it works on a
    /// table whose unique key on `version` is being mended.
    pub fn record_sql(&self, m: &LocalMigration) -> String {
        let (columns, values) = self.row_sql(m);
        format!("INSERT INTO {} ({columns}, success) VALUES ({values}, true);", self.qualified())
    }

    /// Create the tracking schema and table if missing. Only what is missing is created
    /// (a role that may not create schemas, given USAGE on the tracking schema and
    /// SELECT, INSERT, UPDATE, DELETE on the table, can apply), and nothing is granted
    /// to PUBLIC: the history is readable by owners and those granted it.
    pub async fn ensure(&self, client: &Client) -> Result<(), Error> {
        let row = client
            .query_one(
                "SELECT to_regnamespace($1) IS NOT NULL, to_regclass($2) IS NOT NULL,
                        ARRAY(SELECT attname::text FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($2) AND attnum > 0 AND NOT attisdropped)",
                &[&ident(&self.schema), &self.qualified()],
            )
            .await
            .map_err(|e| Error::Other(db_message(&e)))?;
        let (has_schema, has_table): (bool, bool) =
            (row.try_get(0).map_err(internal)?, row.try_get(1).map_err(internal)?);
        let columns: Vec<String> = row.try_get(2).map_err(internal)?;
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
                     raw_checksum text,
                     content text,
                     rollback_sql text
                 );
                 REVOKE ALL ON {t} FROM PUBLIC;
                 COMMENT ON TABLE {t} IS 'Migrations applied by schemaspec; checksum is of the normalized text (comments and whitespace aside), raw_checksum of the bytes, content the text that ran (repair --restore writes a missing file back from it), rollback_sql the way back its -- schemaspec:down block carries; success = false means started outside a transaction and not finished.';",
                t = self.qualified()
            );
        } else {
            // Columns added since the table was made (raw_checksum), or left out of a
            // table made by hand: what schemaspec writes must be there.
            for (column, definition) in OPTIONAL_COLUMNS.iter().filter(|(c, _)| !KEPT_TEXTS.contains(c)) {
                if !columns.iter().any(|c| c == column) {
                    sql += &format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {column} {definition};", self.qualified());
                }
            }
        }
        for column in KEPT_TEXTS {
            let keeps = !has_table || columns.iter().any(|c| c == column);
            self.set_keeps(column, keeps);
            if keeps {
                continue;
            }
            // Optional: a role that may only write rows goes on without it.
            let add = format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {column} text", self.qualified());
            match client.batch_execute(&add).await {
                Ok(()) => self.set_keeps(column, true),
                Err(e) => tracing::warn!(
                    "{} has no {column} column and this role may not add it ({}): {}; an owner can add it: {add}",
                    self.qualified(),
                    db_message(&e),
                    if column == "content" {
                        "the texts of applied files are not kept (`repair --restore` needs them)"
                    } else {
                        "the ways back of applied files are not kept (`schemaspec show` reads them from the files instead)"
                    }
                ),
            }
        }
        if sql.is_empty() {
            return Ok(());
        }
        // One statement batch is one transaction: under this lock, tenants of one
        // database (each under a lock of its own) do not race to create the tracking
        // schema (`IF NOT EXISTS` does not stop two at once).
        let sql = format!("SELECT pg_catalog.pg_advisory_xact_lock({CREATE_KEY}); {sql}");
        client.batch_execute(&sql).await.map_err(|e| {
            Error::failed(
                format!("cannot create the tracking table {}: {}", self.qualified(), db_message(&e)),
                "nothing was applied. The role needs CREATE on the database for the tracking schema (or create the schema and table once as an owner and grant this role INSERT, UPDATE, DELETE on it, or set tracking_table to a schema it owns); a read-only database or a replica cannot be migrated",
            )
        })
    }

    /// What the row for each version records (the texts where the table has their
    /// columns), by version; `only`: just that version. Empty when there is no table.
    pub async fn recorded(
        &self,
        client: &Client,
        only: Option<&str>,
    ) -> Result<std::collections::BTreeMap<String, Recorded>, Error> {
        let columns: Vec<String> = client
            .query_one(
                "SELECT ARRAY(SELECT attname::text FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) AND attnum > 0 AND NOT attisdropped)",
                &[&self.qualified()],
            )
            .await
            .map_err(|e| Error::Other(db_message(&e)))?
            .try_get(0)
            .map_err(internal)?;
        if columns.is_empty() {
            return Ok(Default::default());
        }
        // Columns an older or hand-made table may lack read as NULL.
        let col = |c: &str| if columns.iter().any(|x| x == c) { format!("{c}::text") } else { "NULL::text".into() };
        let rows = client
            .query(
                &format!(
                    "SELECT version::text, name::text, checksum::text, success::text, {}, {}, {}, {} FROM {} WHERE $1::text IS NULL OR version = $1 ORDER BY version",
                    col("applied_at"),
                    col("applied_by"),
                    col("content"),
                    col("rollback_sql"),
                    self.qualified()
                ),
                &[&only],
            )
            .await
            .map_err(|e| Error::Other(db_message(&e)))?;
        let mut out = std::collections::BTreeMap::new();
        for r in &rows {
            let text = |i: usize| r.try_get::<_, Option<String>>(i).map_err(internal);
            let Some(version) = text(0)? else { continue };
            out.entry(version).or_insert(Recorded {
                name: text(1)?.unwrap_or_default(),
                checksum: text(2)?.unwrap_or_default(),
                success: text(3)?.map(|s| matches!(s.as_str(), "true" | "t")),
                applied_at: text(4)?,
                applied_by: text(5)?,
                content: text(6)?,
                rollback_sql: text(7)?,
            });
        }
        Ok(out)
    }

    /// Rows of the tracking table; none when it does not exist yet. A damaged table (a
    /// column missing or of another type, no unique key on `version`, a row with a
    /// NULL, two rows for one version) is an error naming the table, the column or the
    /// row, and the command that mends it.
    pub async fn applied(&self, client: &Client) -> Result<Vec<AppliedMigration>, Error> {
        let Some(shape) = self.structure(client).await? else { return Ok(Vec::new()) };
        if let Some(damage) = shape.into_iter().next() {
            return Err(damage.into_error(self));
        }
        let rows = self.read_rows(client).await?;
        if let Some(damage) = damaged_rows(&rows).into_iter().next() {
            return Err(damage.into_error(self));
        }
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(AppliedMigration {
                    version: r.version?,
                    name: r.name?,
                    checksum: r.checksum?,
                    success: r.success?,
                })
            })
            .collect())
    }

    /// What is wrong with the table's shape, in one round trip; `None` when it does not
    /// exist yet.
    pub async fn structure(&self, client: &Client) -> Result<Option<Vec<Damage>>, Error> {
        let row = client
            .query_opt(
                "SELECT c.relkind::text,
                        ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                        ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                        ARRAY(SELECT a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = '' FROM pg_catalog.pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                        EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                                WHERE i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1
                                  AND a.attname = 'version' AND i.indpred IS NULL AND i.indexprs IS NULL)
                 FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",
                &[&self.qualified()],
            )
            .await
            .map_err(|e| Error::Other(db_message(&e)))?;
        let Some(row) = row else { return Ok(None) };
        let kind: String = row.try_get(0).map_err(internal)?;
        let names: Vec<String> = row.try_get(1).map_err(internal)?;
        let types: Vec<String> = row.try_get(2).map_err(internal)?;
        let required: Vec<bool> = row.try_get(3).map_err(internal)?;
        let unique: bool = row.try_get(4).map_err(internal)?;
        Ok(Some(structure_damage(&kind, &names, &types, &required, unique)))
    }

    /// Every row as it is, NULLs and duplicates included (for the commands that mend
    /// them). Needs the four columns schemaspec reads, of readable types.
    pub async fn rows(&self, client: &Client) -> Result<Vec<TrackingRow>, Error> {
        let exists: bool = client
            .query_one("SELECT pg_catalog.to_regclass($1) IS NOT NULL", &[&self.qualified()])
            .await
            .map_err(|e| Error::Other(db_message(&e)))?
            .try_get(0)
            .map_err(internal)?;
        if !exists {
            return Ok(Vec::new());
        }
        self.read_rows(client).await
    }

    async fn read_rows(&self, client: &Client) -> Result<Vec<TrackingRow>, Error> {
        let rows = client
            .query(
                &format!(
                    "SELECT ctid::text, version::text, name::text, checksum::text, success::text FROM {} ORDER BY version, ctid",
                    self.qualified()
                ),
                &[],
            )
            .await
            .map_err(|e| Error::failed(
                format!("cannot read {}: {}", self.qualified(), db_message(&e)),
                "the tracking table needs the columns version, name, checksum (text) and success (boolean): `schemaspec repair --mend-tracking-table` adds or converts them",
            ))?;
        rows.iter()
            .map(|r| {
                let text = |i: usize| r.try_get::<_, Option<String>>(i).map_err(internal);
                Ok(TrackingRow {
                    ctid: text(0)?.unwrap_or_default(),
                    version: text(1)?,
                    name: text(2)?,
                    checksum: text(3)?,
                    success: text(4)?.map(|s| matches!(s.as_str(), "true" | "t")),
                })
            })
            .collect()
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
                .query_one("SELECT pg_try_advisory_lock($1)", &[&self.lock])
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
        let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&self.lock]).await;
    }

    fn insert_sql(&self, m: &LocalMigration, success: bool, ms: Option<i64>) -> String {
        let (columns, values) = self.row_sql(m);
        let content: String = self.kept_texts().iter().map(|c| format!(", {c} = EXCLUDED.{c}")).collect();
        format!(
            "INSERT INTO {} ({columns}, execution_time_ms, success) VALUES ({values}, {}, {success})
             ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, raw_checksum = EXCLUDED.raw_checksum{content},
                 execution_time_ms = EXCLUDED.execution_time_ms, success = EXCLUDED.success, applied_at = now(), applied_by = current_user",
            self.qualified(),
            ms.map_or("NULL".to_string(), |v| v.to_string()),
        )
    }
}

/// A row of the tracking table as stored: any field may be NULL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingRow {
    /// Where the row is (`(0,3)`): names a row that has no version.
    pub ctid: String,
    pub version: Option<String>,
    pub name: Option<String>,
    pub checksum: Option<String>,
    pub success: Option<bool>,
}

/// Something wrong with the tracking table, and the command that mends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    pub kind: DamageKind,
    pub problem: String,
    pub hint: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// A view, or another kind of relation.
    NotATable,
    MissingColumn(&'static str),
    /// A column of another type, and the type it should have.
    WrongType {
        column: &'static str,
        want: &'static str,
    },
    /// Someone else's NOT NULL column without a default: every insert fails.
    ForeignNotNull(String),
    /// No unique key on `version` (inserts say `ON CONFLICT (version)`).
    NoUniqueVersion,
    /// The row (by ctid) has no version.
    NullVersion(String),
    /// The row for a version has a NULL in a column schemaspec needs.
    NullField {
        version: String,
        column: &'static str,
    },
    /// A second row for a version, identical to the first (by ctid).
    Duplicate(String),
    /// Rows for one version that disagree.
    Conflicting(String),
}

impl Damage {
    fn into_error(self, t: &Tracking) -> Error {
        Error::failed(
            format!("the tracking table {} is damaged: {}; nothing was changed", t.qualified(), self.problem),
            self.hint,
        )
    }
}

fn internal(e: tokio_postgres::Error) -> Error {
    Error::Other(format!("unexpected answer reading the tracking table: {e}"))
}

/// The columns schemaspec reads and writes, and the types it takes for each.
const COLUMNS: [(&str, &[&str], bool); 10] = [
    ("content", &["text"], false),
    ("rollback_sql", &["text"], false),
    ("version", &["text", "character varying"], true),
    ("name", &["text", "character varying"], true),
    ("checksum", &["text", "character varying"], true),
    ("success", &["boolean"], true),
    ("raw_checksum", &["text", "character varying"], false),
    ("execution_time_ms", &["bigint", "integer"], false),
    ("applied_at", &["timestamp with time zone", "timestamp without time zone"], false),
    ("applied_by", &["text", "character varying", "name"], false),
];

/// Columns of the tracking table that schemaspec writes but does not need to read, with
/// their definitions.
const OPTIONAL_COLUMNS: [(&str, &str); 6] = [
    // (`content` and `rollback_sql` are added only where the role may: see `ensure`.)
    ("raw_checksum", "text"),
    ("content", "text"),
    ("rollback_sql", "text"),
    ("execution_time_ms", "bigint"),
    ("applied_at", "timestamptz NOT NULL DEFAULT now()"),
    ("applied_by", "text NOT NULL DEFAULT current_user"),
];

const REPAIR_TABLE: &str =
    "`schemaspec repair --mend-tracking-table` mends it (in one transaction, archiving the rows it takes out)";

/// What is wrong with the table's shape: its kind, a column schemaspec needs missing
/// or of another type, a column of someone else's that inserts would fail on, or no
/// unique key on `version` (inserts say `ON CONFLICT (version)`).
pub fn structure_damage(
    kind: &str,
    names: &[String],
    types: &[String],
    required: &[bool],
    unique: bool,
) -> Vec<Damage> {
    let mut out = Vec::new();
    if !matches!(kind, "r" | "p") {
        out.push(Damage {
            kind: DamageKind::NotATable,
            problem: "it is not a table (a view, or another kind of relation)".into(),
            hint: "rename or drop that relation, or set tracking_table to another name".into(),
        });
        return out;
    }
    for (column, accepted, needed) in COLUMNS {
        match names.iter().position(|n| n == column) {
            None if needed => out.push(Damage {
                kind: DamageKind::MissingColumn(column),
                problem: format!("column {column} is missing"),
                hint: REPAIR_TABLE.into(),
            }),
            None => {}
            Some(i) => {
                let ty = &types[i];
                if !accepted.iter().any(|a| ty == a || ty.starts_with(&format!("{a}("))) {
                    out.push(Damage {
                        kind: DamageKind::WrongType { column, want: accepted[0] },
                        problem: format!("column {column} is {ty}, not {}", accepted[0]),
                        hint: REPAIR_TABLE.into(),
                    });
                }
            }
        }
    }
    for (i, n) in names.iter().enumerate() {
        if required.get(i).copied().unwrap_or(false) && !COLUMNS.iter().any(|(c, _, _)| c == n) {
            out.push(Damage {
                kind: DamageKind::ForeignNotNull(n.clone()),
                problem: format!("column {n} is NOT NULL without a default, and schemaspec does not write it"),
                hint: format!("give it a default or drop NOT NULL (ALTER TABLE ... ALTER COLUMN {n} DROP NOT NULL)"),
            });
        }
    }
    if !unique && out.is_empty() {
        out.push(Damage {
            kind: DamageKind::NoUniqueVersion,
            problem: "it has no primary key (or unique index) on version".into(),
            hint: REPAIR_TABLE.into(),
        });
    }
    out
}

/// What is wrong with the rows: a NULL where a value is needed, or two rows for one
/// version (identical copies, or conflicting ones).
pub fn damaged_rows(rows: &[TrackingRow]) -> Vec<Damage> {
    let mut out = Vec::new();
    let mut seen: std::collections::BTreeMap<&str, &TrackingRow> = std::collections::BTreeMap::new();
    for r in rows {
        let Some(v) = r.version.as_deref() else {
            out.push(Damage {
                kind: DamageKind::NullVersion(r.ctid.clone()),
                problem: format!("the row at {} has no version (NULL), so it can name no migration", r.ctid),
                hint: REPAIR_TABLE.into(),
            });
            continue;
        };
        let null = [("name", r.name.is_none()), ("checksum", r.checksum.is_none()), ("success", r.success.is_none())];
        if let Some((column, _)) = null.iter().find(|(_, n)| *n) {
            out.push(Damage {
                kind: DamageKind::NullField { version: v.to_string(), column },
                problem: format!("the row for version {v} has no {column} (NULL)"),
                hint: format!("`schemaspec repair --mark-applied {v}` proves the file's effects are in place and writes a complete row; `schemaspec repair --mark-unapplied {v}` archives the row so `apply` runs the file again"),
            });
        }
        match seen.get(v) {
            Some(first) if (first.name.as_deref(), first.checksum.as_deref(), first.success) == (r.name.as_deref(), r.checksum.as_deref(), r.success) => {
                out.push(Damage {
                    kind: DamageKind::Duplicate(r.ctid.clone()),
                    problem: format!("version {v} is recorded twice (identical rows)"),
                    hint: REPAIR_TABLE.into(),
                })
            }
            Some(first) => out.push(Damage {
                kind: DamageKind::Conflicting(v.to_string()),
                problem: format!(
                    "version {v} is recorded twice, and the rows disagree (success {} and {}, checksums {} and {})",
                    shown(first.success),
                    shown(r.success),
                    first.checksum.as_deref().unwrap_or("NULL"),
                    r.checksum.as_deref().unwrap_or("NULL")
                ),
                hint: format!("only a person can tell which is right: `schemaspec repair --mark-applied {v}` (proves the effects are in place) or `--mark-unapplied {v}` replaces both with one"),
            }),
            None => {
                seen.insert(v, r);
            }
        }
    }
    out
}

fn shown(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "true",
        Some(false) => "false",
        None => "NULL",
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

/// The file's statements, or why it must not run at all: a psql meta-command (it would
/// reach the server as a syntax error mid-file) or transaction control.
pub fn runnable(m: &LocalMigration) -> Result<Vec<crate::sqltext::split::SqlStatement>, Error> {
    let parts = split(&m.content);
    if let Some(c) = parts.meta_commands.first() {
        return Err(Error::MetaCommand { file: m.file_name.clone(), line: c.line, command: c.text.clone() });
    }
    if let Some((st, command)) =
        parts.statements.iter().find_map(|s| crate::sqltext::split::transaction_control(&s.text).map(|c| (s, c)))
    {
        return Err(Error::TransactionControl {
            file: m.file_name.clone(),
            line: st.line,
            command: command.to_string(),
            no_transaction: is_no_transaction(&m.content),
        });
    }
    Ok(parts.statements)
}

/// Where a failure in `run_file` happened.
enum At {
    /// schemaspec's own statements (settings, the tracking row).
    Ours,
    /// The file's statement with this index.
    Statement(usize),
    /// At COMMIT: a deferred constraint or trigger of the file.
    Commit,
}

/// Run one migration file; with `tracking`, record it. Returns how long it took.
///
/// Files with psql meta-commands or transaction control (`BEGIN`, `COMMIT`, ...) are
/// refused before anything runs: the file already runs in one transaction, and a
/// `COMMIT` inside it would commit part of it and leave the rest to fail on its own.
///
/// A transactional file's statements go to the server one message each, pipelined (one
/// round trip in all), so an error is located at the statement that failed even when
/// PostgreSQL gives no position.
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
    let no_transaction = is_no_transaction(&m.content);
    let statements = runnable(m)?;
    let settings = format!(
        "SET lock_timeout = {}; SET statement_timeout = {}",
        literal(&timeouts.lock_timeout),
        literal(&timeouts.statement_timeout)
    );
    // The error names the file, the place and the statement it happened in.
    let fail = |e: &tokio_postgres::Error, at: At| {
        if connection_lost(e) {
            return Error::ConnectionLost { file: m.file_name.clone(), no_transaction, message: db_message(e) };
        }
        let stmt = match at {
            At::Ours => return Error::Other(format!("{}: {}", m.file_name, db_message(e))),
            At::Statement(i) => &statements[i],
            At::Commit => match statements.last() {
                Some(last) => last,
                None => return Error::Other(format!("{}: {}", m.file_name, db_message(e))),
            },
        };
        let mut err = super::load::located_error(&m.file_name, &m.content, stmt, e);
        if let Error::SqlError { message, hint, .. } = &mut err {
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
            if matches!(at, At::Commit) {
                *message =
                    format!("{message} (when the file's transaction committed: a deferred constraint or trigger)");
            } else {
                let first =
                    stmt.text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("--")).unwrap_or("");
                let first: String = first.chars().take(120).collect();
                *message = format!("{message} (in the statement at line {}: {first})", stmt.line);
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
    if no_transaction {
        client.batch_execute(&settings).await.map_err(|e| fail(&e, At::Ours))?;
        if let Some(t) = tracking {
            client.batch_execute(&t.insert_sql(m, false, None)).await.map_err(|e| fail(&e, At::Ours))?;
        }
        for (i, stmt) in statements.iter().enumerate() {
            let mut attempt = 0;
            while let Err(e) = client.batch_execute(&stmt.text).await {
                let place = format!("{}:{}", m.file_name, stmt.line);
                if !retry_after(&e, &mut attempt, timeouts, &place, "").await {
                    return Err(fail(&e, At::Statement(i)));
                }
            }
        }
        if let Some(t) = tracking {
            let ms = started.elapsed().as_millis() as i64;
            client.batch_execute(&t.insert_sql(m, true, Some(ms))).await.map_err(|e| fail(&e, At::Ours))?;
        }
        return Ok(started.elapsed());
    }
    let mut attempt = 0;
    loop {
        let result: Result<(), (tokio_postgres::Error, At)> = async {
            client.batch_execute(&format!("BEGIN; {settings}")).await.map_err(|e| (e, At::Ours))?;
            // Pipelined: every statement is sent before the first answer is read; after
            // a failure the server refuses the rest (the transaction is aborted).
            let results = join_all(statements.iter().map(|s| client.batch_execute(&s.text))).await;
            if let Some((i, e)) = results.into_iter().enumerate().find_map(|(i, r)| r.err().map(|e| (i, e))) {
                return Err((e, At::Statement(i)));
            }
            if let Some(t) = tracking {
                let ms = started.elapsed().as_millis() as i64;
                client.batch_execute(&t.insert_sql(m, true, Some(ms))).await.map_err(|e| (e, At::Ours))?;
            }
            client.batch_execute("COMMIT").await.map_err(|e| (e, At::Commit))
        }
        .await;
        let Err((e, at)) = result else { return Ok(started.elapsed()) };
        if !connection_lost(&e) {
            let _ = client.batch_execute("ROLLBACK").await;
        }
        if !retry_after(&e, &mut attempt, timeouts, &m.file_name, "rolled back, ").await {
            return Err(fail(&e, at));
        }
    }
}
