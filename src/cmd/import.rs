//! `schemaspec import`: adopt the history another tool kept. Rows come from
//! `supabase_migrations.schema_migrations`, `flyway_schema_history`,
//! `_sqlx_migrations`, or any table with a version column; files from that tool's
//! migrations folder (e.g. `supabase/migrations`), copied under schemaspec's names.
//! What matches is recorded in one transaction; every mismatch is reported, never
//! guessed at: rows without a file, files without a row, files older than the newest
//! applied one, applied text that differs from the file, versions with no 14-digit
//! form, duplicates.

use super::*;
use crate::history::{self, LocalMigration};
use crate::ident::{ident, literal};
use crate::migrations;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    Supabase,
    Flyway,
    Sqlx,
    /// `--table` with `--version-column` (and optionally `--name-column`).
    Table,
}

pub struct Args {
    pub from: Vec<Source>,
    pub table: Option<String>,
    pub version_column: String,
    pub name_column: Option<String>,
    pub dir: Option<std::path::PathBuf>,
    pub dry_run: bool,
}

/// A row of the other tool's table.
struct ForeignRow {
    source: String,
    version: String,
    name: String,
    /// The SQL it ran, when the table keeps it (Supabase's `statements`).
    applied_sql: Option<String>,
    success: bool,
}

/// `20240101120000` stays; `1`, `42` become `00000000000001`...; anything else
/// (`1.1`, `V2_3`) has no form that keeps the order and is reported.
pub fn version14(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v.len() <= 14 && v.bytes().all(|b| b.is_ascii_digit())).then(|| format!("{v:0>14}"))
}

/// (version, name) of another tool's migration file name, or why not.
pub fn foreign_file_name(file: &str) -> Result<(String, String), String> {
    if file.ends_with(".down.sql") {
        return Err("a down migration (not applied by deploys)".into());
    }
    let stem = file
        .strip_suffix(".up.sql")
        .or_else(|| file.strip_suffix(".sql"))
        .ok_or_else(|| "not a .sql file".to_string())?;
    let stem = stem.strip_prefix('V').filter(|s| s.starts_with(|c: char| c.is_ascii_digit())).unwrap_or(stem);
    let (version, name) = stem.split_once("__").or_else(|| stem.split_once('_')).ok_or("no version_name form")?;
    let v = version14(version).ok_or_else(|| format!("version {version:?} has no 14-digit form"))?;
    Ok((v, crate::plan::files::slug(name)))
}

/// The `schemaspec import ...` command that adopts the history table found in the
/// database, with the project's migrations folder of that tool when there is one.
pub async fn found(config: &Config, client: &tokio_postgres::Client) -> Option<String> {
    let row = client
        .query_one(
            "SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL,
                    EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'flyway_schema_history' AND relkind IN ('r', 'p')),
                    EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relname = '_sqlx_migrations' AND relkind IN ('r', 'p'))",
            &[],
        )
        .await
        .ok()?;
    let [supabase, flyway, sqlx]: [bool; 3] = std::array::from_fn(|i| row.try_get(i).unwrap_or(false));
    let folder = |candidates: &[&str]| {
        candidates.iter().find(|d| config.root.join(d).is_dir()).map_or(String::new(), |d| format!(" --dir {d}"))
    };
    if supabase {
        Some(format!("schemaspec import --from supabase{}", folder(&["supabase/migrations"])))
    } else if flyway {
        Some(format!(
            "schemaspec import --from flyway{}",
            folder(&["db/migration", "src/main/resources/db/migration", "sql"])
        ))
    } else if sqlx {
        Some(format!("schemaspec import --from sqlx{}", folder(&["migrations"])))
    } else {
        None
    }
}

async fn rows(client: &tokio_postgres::Client, args: &Args) -> Result<(Vec<ForeignRow>, Vec<String>), Error> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let q = |e: tokio_postgres::Error| Error::Other(pg::db_message(&e));
    // Where a table lives: the first schema on the search path or any schema.
    let locate = |name: &'static str| async move {
        client
            .query_opt(
                "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relname = $1 AND c.relkind IN ('r','p') ORDER BY n.nspname <> 'public', n.nspname LIMIT 1",
                &[&name],
            )
            .await
            .map(|r| r.map(|r| r.get::<_, String>(0)))
    };
    let has_column = |schema: String, table: &'static str, column: &'static str| async move {
        client
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped",
                &[&schema, &table, &column],
            )
            .await
            .map(|r| r.is_some())
    };
    let mut sources = args.from.clone();
    if sources.is_empty() {
        if args.table.is_some() {
            sources.push(Source::Table);
        }
        for (s, t) in [
            (Source::Supabase, "schema_migrations"),
            (Source::Flyway, "flyway_schema_history"),
            (Source::Sqlx, "_sqlx_migrations"),
        ] {
            let found = match s {
                Source::Supabase => client
                    .query_opt("SELECT to_regclass('supabase_migrations.schema_migrations')::text", &[])
                    .await
                    .map_err(q)?
                    .and_then(|r| r.get::<_, Option<String>>(0))
                    .is_some(),
                _ => locate(t).await.map_err(q)?.is_some(),
            };
            if found {
                sources.push(s);
            }
        }
    }
    if sources.is_empty() {
        return Err(Error::Other(
            "no history table found (looked for supabase_migrations.schema_migrations, flyway_schema_history, _sqlx_migrations); name one with --table".into(),
        ));
    }
    for s in sources {
        match s {
            Source::Supabase => {
                let name = if has_column("supabase_migrations".into(), "schema_migrations", "name").await.map_err(q)? {
                    "name"
                } else {
                    "''"
                };
                let stmts =
                    if has_column("supabase_migrations".into(), "schema_migrations", "statements").await.map_err(q)? {
                        "array_to_string(statements, E';\\n')"
                    } else {
                        "NULL"
                    };
                let sql = format!("SELECT version::text, coalesce({name}, '')::text, ({stmts})::text FROM supabase_migrations.schema_migrations ORDER BY version");
                for r in client.query(&sql, &[]).await.map_err(q)? {
                    let [version, name, applied_sql] = cells(&r);
                    let source = "supabase_migrations.schema_migrations";
                    let Some(version) = version else {
                        problems.push(format!("{source}: a row without a version; not imported"));
                        continue;
                    };
                    out.push(ForeignRow {
                        source: source.into(),
                        version,
                        name: name.unwrap_or_default(),
                        applied_sql,
                        success: true,
                    });
                }
            }
            Source::Flyway => {
                let schema = locate("flyway_schema_history")
                    .await
                    .map_err(q)?
                    .ok_or_else(|| Error::Other("flyway_schema_history not found".into()))?;
                let t = format!("{}.flyway_schema_history", ident(&schema));
                let sql = format!(
                    "SELECT version::text, description::text, type::text, success::text FROM {t} ORDER BY installed_rank"
                );
                for r in client.query(&sql, &[]).await.map_err(q)? {
                    let [version, name, kind, success] = cells(&r);
                    let (Some(v), Some("SQL")) = (version.filter(|v| !v.is_empty()), kind.as_deref()) else {
                        problems.push(format!(
                            "{t}: row {:?} ({}) is not a versioned SQL migration; not imported",
                            name.unwrap_or_default(),
                            kind.as_deref().unwrap_or("no type")
                        ));
                        continue;
                    };
                    out.push(ForeignRow {
                        source: t.clone(),
                        version: v,
                        name: name.unwrap_or_default(),
                        applied_sql: None,
                        success: truthy(success),
                    });
                }
            }
            Source::Sqlx => {
                let schema = locate("_sqlx_migrations")
                    .await
                    .map_err(q)?
                    .ok_or_else(|| Error::Other("_sqlx_migrations not found".into()))?;
                let t = format!("{}._sqlx_migrations", ident(&schema));
                let sql = format!("SELECT version::text, description::text, success::text FROM {t} ORDER BY version");
                for r in client.query(&sql, &[]).await.map_err(q)? {
                    let [version, name, success] = cells(&r);
                    let Some(version) = version else {
                        problems.push(format!("{t}: a row without a version; not imported"));
                        continue;
                    };
                    out.push(ForeignRow {
                        source: t.clone(),
                        version,
                        name: name.unwrap_or_default(),
                        applied_sql: None,
                        success: truthy(success),
                    });
                }
            }
            Source::Table => {
                let table = args
                    .table
                    .as_deref()
                    .ok_or_else(|| Error::Other("--from table needs --table SCHEMA.TABLE".into()))?;
                let q_name = crate::ident::parse_qualified(table)
                    .ok_or_else(|| Error::Other(format!("--table {table:?} is not a table name")))?;
                let name = args.name_column.as_deref().map_or("''".to_string(), |c| format!("{}::text", ident(c)));
                let sql =
                    format!("SELECT {}::text, {name} FROM {} ORDER BY 1", ident(&args.version_column), q_name.sql());
                for r in client
                    .query(&sql, &[])
                    .await
                    .map_err(|e| Error::Other(format!("reading {table}: {}", pg::db_message(&e))))?
                {
                    let [version, name] = cells(&r);
                    let Some(version) = version else {
                        problems.push(format!("{table}: a row without a version; not imported"));
                        continue;
                    };
                    out.push(ForeignRow {
                        source: table.to_string(),
                        version,
                        name: name.unwrap_or_default(),
                        applied_sql: None,
                        success: true,
                    });
                }
            }
        }
    }
    Ok((out, problems))
}

/// A row's first `N` columns as text (the queries cast every column), NULL as `None`.
fn cells<const N: usize>(r: &tokio_postgres::Row) -> [Option<String>; N] {
    std::array::from_fn(|i| r.try_get::<_, Option<String>>(i).ok().flatten())
}

/// A boolean read as text: only `true`/`t` count (a NULL is a failure).
fn truthy(v: Option<String>) -> bool {
    matches!(v.as_deref(), Some("true" | "t"))
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let target = live_target(config).await?;
    let client = pg::connect(&target).await?;
    let (foreign, mut problems) = rows(&client, args).await?;
    let _lock = if args.dry_run { None } else { Some(migrations_lock(config, out)?) };
    let mut dir = super::read_migrations(config)?;

    // 1. Files from the other tool's folder, under schemaspec's names.
    let mut copies: Vec<LocalMigration> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    if let Some(from) = &args.dir {
        let from = config.root.join(from);
        let mut by_version: BTreeMap<String, String> = BTreeMap::new();
        for (n, content) in migrations::read_folder(&from)? {
            let (v, name) = match foreign_file_name(&n) {
                Ok(x) => x,
                // `.sql.backup`, `.sql.skip`: the other tool never ran them either.
                Err(why) if !n.ends_with(".sql") => {
                    notes.push(format!("skipped {}/{n} ({why}; the tool that wrote it skips it too)", from.display()));
                    continue;
                }
                Err(why) => {
                    problems.push(format!("{}/{n}: not imported: {why}", from.display()));
                    continue;
                }
            };
            if let Some(other) = by_version.insert(v.clone(), n.clone()) {
                problems.push(format!(
                    "{n} and {other} both have version {v}: not imported; rename one, then import again"
                ));
                copies.retain(|c| c.version != v);
                continue;
            }
            let m = new_migration(&v, &name, content)?;
            match dir.migrations.iter().find(|d| d.version == v) {
                Some(d) if d.checksum == m.checksum => {}
                Some(d) => problems
                    .push(format!("{n}: version {v} is already {} with other content; not imported", d.file_name)),
                None => copies.push(m),
            }
        }
    }

    // 2. Rows, matched with the files by version.
    let mut local: Vec<LocalMigration> = dir.migrations.iter().chain(&copies).cloned().collect();
    local.sort_by(|a, b| a.version.cmp(&b.version));
    let t = tracking(config);
    if !args.dry_run {
        t.ensure(&client).await?;
    }
    let existing: BTreeMap<String, history::AppliedMigration> =
        t.applied(&client).await?.into_iter().map(|a| (a.version.clone(), a)).collect();
    // Rows a repair or baseline archived were taken out on purpose: not brought back.
    let archived: std::collections::BTreeSet<String> =
        match client.query(&format!("SELECT version::text FROM {}", t.archive()), &[]).await {
            Ok(rows) => rows.iter().filter_map(|r| r.try_get::<_, Option<String>>(0).ok().flatten()).collect(),
            Err(_) => Default::default(),
        };
    let mut records: Vec<String> = Vec::new();
    let mut imported = 0;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for row in &foreign {
        let Some(v) = version14(&row.version) else {
            problems.push(format!("{}: version {:?} has no 14-digit form; not imported", row.source, row.version));
            continue;
        };
        if let Some(src) = seen.insert(v.clone(), row.source.clone()) {
            if src != row.source {
                problems.push(format!("version {v} is recorded by both {src} and {}; imported once", row.source));
            }
            continue;
        }
        if archived.contains(&v) && !existing.contains_key(&v) {
            problems.push(format!(
                "{v} was taken out of the history by a repair or baseline ({}); not imported again",
                t.archive()
            ));
            continue;
        }
        let file = local.iter().find(|m| m.version == v);
        // The checksum that goes in: the file's when it is the text that ran.
        let (checksum, raw, name, text) = match (file, &row.applied_sql) {
            (Some(f), Some(sql)) if !sql.trim().is_empty() && !same_sql(sql, &f.content) => {
                problems.push(format!("{}: the SQL {} recorded for {v} differs from the file; imported with the recorded text's checksum (status shows it modified)", f.file_name, row.source));
                (history::normalized_checksum(sql), history::checksum(sql), f.name.clone(), Some(sql.clone()))
            }
            (Some(f), _) => (f.checksum.clone(), f.raw_checksum.clone(), f.name.clone(), Some(f.content.clone())),
            // The tool kept the statements it ran: the file comes back from them.
            (None, Some(sql)) if !sql.trim().is_empty() => {
                let name = crate::plan::files::slug(&row.name);
                let content = format!(
                    "-- Restored by schemaspec import from the statements {} recorded for {v}:\n-- the file never reached this clone (pushed from another one).\n{}\n",
                    row.source,
                    restored_text(sql)
                );
                let m = new_migration(&v, &name, content)?;
                notes.push(format!(
                    "restored {} from {}: {v} was applied, its file was missing",
                    m.file_name, row.source
                ));
                let recorded = (m.checksum.clone(), m.raw_checksum.clone(), m.name.clone(), Some(m.content.clone()));
                copies.push(m);
                recorded
            }
            (None, _) => {
                problems.push(format!("{v} ({}) is applied according to {} but has no local file (\"Remote migration versions not found in local migrations directory\"); restore the file, or `schemaspec repair --forget {v}` once nothing depends on it", row.name, row.source));
                (history::normalized_checksum(""), history::checksum(""), crate::plan::files::slug(&row.name), None)
            }
        };
        if !row.success {
            problems.push(format!("{v} is recorded as failed by {}; imported as failed (fix the database, then `schemaspec repair --mark-applied {v}`)", row.source));
        }
        match existing.get(&v) {
            Some(a) if a.checksum == checksum || file.is_some_and(|f| f.matches(&a.checksum)) => continue,
            Some(_) => {
                problems.push(format!("{v} is already in {} with another checksum; left as it is", t.qualified()));
                continue;
            }
            None => {}
        }
        let (column, value) = match &text {
            Some(text) if t.keeps_text() => (", content", format!(", {}", literal(text))),
            _ => ("", String::new()),
        };
        records.push(format!(
            "INSERT INTO {} (version, name, checksum, raw_checksum{column}, success) VALUES ({}, {}, {}, {}{value}, {}) ON CONFLICT (version) DO NOTHING;",
            t.qualified(),
            literal(&v),
            literal(&name),
            literal(&checksum),
            literal(&raw),
            row.success
        ));
        imported += 1;
    }
    let recorded: std::collections::BTreeSet<&str> = seen.keys().map(String::as_str).collect();
    let newest = recorded.iter().next_back().copied();
    for m in &local {
        if !recorded.contains(m.version.as_str()) && !existing.contains_key(&m.version) {
            if newest.is_some_and(|n| n > m.version.as_str()) {
                problems.push(format!("{} is not applied but older than the newest applied version (\"Found local migration files to be inserted before the last migration on remote database\"); `schemaspec repair --renumber` gives it a new version", m.file_name));
            } else {
                problems.push(format!("{} is not applied (pending)", m.file_name));
            }
        }
    }

    if args.dry_run {
        writeln!(out, "dry run: would copy {} file(s) and record {imported} row(s)", copies.len()).map_err(io)?;
    } else {
        if !copies.is_empty() {
            migrations::write(&dir, &copies)?;
            dir = super::read_migrations(config)?;
        }
        let sources: std::collections::BTreeSet<&str> = foreign.iter().map(|r| r.source.as_str()).collect();
        let detail = format!("{imported} row(s) from {}", sources.into_iter().collect::<Vec<_>>().join(", "));
        t.change_history(&client, &records, "import", None, &detail)
            .await
            .map_err(|e| Error::Other(format!("recording the imported rows failed, none were recorded: {e}")))?;
        writeln!(
            out,
            "copied {} file(s) into {}; recorded {imported} row(s) in {}",
            copies.len(),
            dir.path.display(),
            t.qualified()
        )
        .map_err(io)?;
    }
    for n in &notes {
        writeln!(out, "{n}").map_err(io)?;
    }
    for p in &problems {
        writeln!(out, "mismatch: {p}").map_err(io)?;
    }
    Ok(if problems.is_empty() { EXIT_OK } else { EXIT_CHANGES })
}

/// A file's text from the statements a tool recorded without their semicolons (`rows`
/// joined them with `;` and a newline): the last one ended too.
fn restored_text(sql: &str) -> String {
    let sql = sql.trim_end();
    if sql.ends_with(';') {
        sql.to_string()
    } else {
        format!("{sql};")
    }
}

/// Whether two texts are the same SQL, comments, whitespace and statement separators
/// aside (Supabase records the statements of a file without their semicolons).
fn same_sql(a: &str, b: &str) -> bool {
    let words =
        |s: &str| history::normalize(s).split(' ').filter(|w| *w != ";").map(str::to_string).collect::<Vec<_>>();
    words(a) == words(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_names_and_versions() {
        assert_eq!(version14("20240101000000").as_deref(), Some("20240101000000"));
        assert_eq!(version14("42").as_deref(), Some("00000000000042"));
        assert_eq!(version14("1.1"), None);
        assert_eq!(foreign_file_name("V3__add_tags.sql"), Ok(("00000000000003".into(), "add_tags".into())));
        assert_eq!(foreign_file_name("20240101000000_init.sql"), Ok(("20240101000000".into(), "init".into())));
        assert_eq!(foreign_file_name("7_users.up.sql"), Ok(("00000000000007".into(), "users".into())));
        assert!(foreign_file_name("7_users.down.sql").is_err());
        assert!(foreign_file_name("notes.txt").is_err());
    }
}
