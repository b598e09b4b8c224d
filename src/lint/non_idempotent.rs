//! Statements in hand-written migrations that fail when run a second time ("policy
//! ... already exists", "relation ... does not exist"): a half-applied migration then
//! cannot be finished by running it again. `fix` rewrites each into a guarded form that
//! converges to the statement's own definition:
//!
//! - `CREATE TABLE/INDEX/SCHEMA/SEQUENCE/EXTENSION/MATERIALIZED VIEW` → `IF NOT EXISTS`;
//! - `CREATE FUNCTION/PROCEDURE/VIEW` → `CREATE OR REPLACE`;
//! - `CREATE POLICY/TRIGGER` → `DROP ... IF EXISTS` then create, so a re-run also
//!   restores the file's definition;
//! - `CREATE TYPE/DOMAIN`, `ADD CONSTRAINT name` → a `DO` block that skips the
//!   statement when the object exists (these have no `IF NOT EXISTS`);
//! - `ADD COLUMN`, `ADD VALUE` → `IF NOT EXISTS`; `DROP ...`, `DROP COLUMN/CONSTRAINT` →
//!   `IF EXISTS`.
//!
//! Files `schemaspec generate` wrote are guarded already and not looked at.

use super::{is_generated, Finding, Input};
use crate::ident::ident;
use crate::sqltext::split::split;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

pub const RULE: &str = "non-idempotent";

/// A word of a statement: its folded text, whether it was quoted, and its byte range.
struct Word {
    text: String,
    quoted: bool,
    start: usize,
    end: usize,
}

/// The statement's tokens (comments and whitespace aside) with byte offsets; `None`
/// when the tokenizer gives up.
fn located(sql: &str) -> Option<Vec<Word>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location().ok()?;
    let line_starts: Vec<usize> = std::iter::once(0).chain(sql.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let offset = |line: u64, column: u64| -> usize {
        let start = line_starts.get(line as usize - 1).copied().unwrap_or(sql.len());
        sql[start..].char_indices().nth(column as usize - 1).map_or(sql.len(), |(i, _)| start + i)
    };
    let mut words: Vec<Word> = Vec::new();
    for t in &tokens {
        if matches!(t.token, Token::Whitespace(_)) {
            continue;
        }
        let start = offset(t.location.line, t.location.column);
        let (text, quoted) = match &t.token {
            Token::Word(w) if w.quote_style.is_none() => (w.value.to_lowercase(), false),
            Token::Word(w) => (w.value.clone(), true),
            other => (other.to_string(), false),
        };
        words.push(Word { text, quoted, start, end: start });
    }
    // A token ends where the next begins (trailing whitespace trimmed).
    for i in 0..words.len() {
        let next = words.get(i + 1).map_or(sql.len(), |w| w.start);
        words[i].end = words[i].start + sql[words[i].start..next].trim_end().len();
    }
    Some(words)
}

/// One statement's problem and, where there is one, its guarded form.
struct Issue {
    message: String,
    fixed: Option<String>,
    /// A statement that, right before this one, makes it safe (`DROP POLICY IF EXISTS`).
    guarded_by: Option<String>,
}

fn kw(words: &[Word], i: usize, w: &str) -> bool {
    words.get(i).is_some_and(|x| !x.quoted && x.text == w)
}

/// The (possibly qualified) name starting at word `i`, quoted for SQL, and the index
/// after it.
fn name_at(words: &[Word], mut i: usize) -> Option<(String, usize)> {
    let mut parts = Vec::new();
    loop {
        let w = words.get(i)?;
        parts.push(ident(&w.text));
        i += 1;
        if words.get(i).is_some_and(|p| p.text == ".") {
            i += 1;
        } else {
            return Some((parts.join("."), i));
        }
    }
}

fn insert_at(sql: &str, at: usize, text: &str) -> String {
    format!("{}{text} {}", &sql[..at], &sql[at..])
}

fn exception_guard(sql: &str) -> String {
    let body = sql.trim().trim_end_matches(';');
    let mut tag = "schemaspec_fix".to_string();
    while body.contains(&format!("${tag}$")) {
        tag.push('_');
    }
    format!(
        "DO ${tag}$\nBEGIN\n  {body};\nEXCEPTION WHEN duplicate_object OR duplicate_table THEN\n  NULL; -- exists already\nEND\n${tag}$;"
    )
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY`: a build that fails or is cancelled leaves an
/// INVALID index behind, which `IF NOT EXISTS` then keeps for good. The guarded form
/// drops an invalid leftover first (as generated files do), then builds `IF NOT EXISTS`.
fn concurrent_index(sql: &str, w: &[Word], after: usize, guarded: bool) -> Option<Issue> {
    let name_at_word = if guarded { after + 3 } else { after };
    if kw(w, name_at_word, "on") {
        return Some(Issue {
            guarded_by: None,
            message:
                "CREATE INDEX without a name creates another index each time it runs; name it and use IF NOT EXISTS"
                    .into(),
            fixed: None,
        });
    }
    let index = &w.get(name_at_word)?.text;
    let on = (name_at_word..w.len()).find(|&j| kw(w, j, "on"))?;
    let mut table_start = on + 1;
    if kw(w, table_start, "only") {
        table_start += 1;
    }
    let (table, _) = name_at(w, table_start)?;
    // The index lands in its table's schema.
    let qualified = match table.rsplit_once('.') {
        Some((schema, _)) => format!("{schema}.{}", ident(index)),
        None => ident(index),
    };
    let guard = invalid_index_guard(&qualified);
    let create = if guarded { sql.trim_start().to_string() } else { insert_at(sql, w[after].start, "IF NOT EXISTS") };
    Some(Issue {
        guarded_by: Some(guard.clone()),
        message: if guarded {
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps an INVALID index that a failed or cancelled build left behind; drop such a leftover first".into()
        } else {
            "CREATE INDEX CONCURRENTLY fails when run again, and a failed build leaves an INVALID index; drop an invalid leftover first and use IF NOT EXISTS".into()
        },
        fixed: Some(format!("{guard}\n{}", create.trim_start())),
    })
}

/// Drops `index` when it is INVALID (a leftover of a failed concurrent build).
fn invalid_index_guard(index: &str) -> String {
    format!(
        "DO $schemaspec_fix$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = pg_catalog.to_regclass({}) AND NOT indisvalid) THEN\n    DROP INDEX {index};\n  END IF;\nEND\n$schemaspec_fix$;",
        crate::ident::literal(index)
    )
}

/// Whether `previous` is the invalid-index guard for the index `guard` is about.
fn same_guard(guard: &str, previous: &str) -> bool {
    if guard.contains("indisvalid") {
        return crate::history::normalize(guard) == crate::history::normalize(previous);
    }
    super::words(guard) == super::words(previous)
}

/// The statement's issue, unless the statement before it guards it.
fn issue_after(previous: Option<&str>, sql: &str) -> Option<Issue> {
    let issue = issue(sql)?;
    match (&issue.guarded_by, previous) {
        (Some(guard), Some(prev)) if same_guard(guard, prev) => None,
        _ => Some(issue),
    }
}

fn issue(sql: &str) -> Option<Issue> {
    let w = located(sql)?;
    let at = |i: usize| w.get(i).map_or(sql.len(), |x| x.start);
    let mut i = 1;
    if kw(&w, 0, "create") {
        if kw(&w, 1, "or") {
            return None; // OR REPLACE
        }
        while ["global", "local", "temp", "temporary", "unlogged", "unique", "recursive", "constraint", "trusted"]
            .iter()
            .any(|m| kw(&w, i, m))
        {
            i += 1;
        }
        let kind = w.get(i)?.text.clone();
        let mut after = i + 1;
        if kind == "materialized" && kw(&w, after, "view") {
            after += 1;
        }
        if kind == "index" && kw(&w, after, "concurrently") {
            after += 1;
        }
        let guarded = kw(&w, after, "if");
        let what = if kind == "materialized" { "materialized view".to_string() } else { kind.clone() };
        let message = |form: &str| format!("CREATE {} fails when run again; use {form}", what.to_uppercase());
        return match kind.as_str() {
            "table" | "schema" | "sequence" | "extension" | "materialized" if !guarded => Some(Issue {
                guarded_by: None,
                message: message("IF NOT EXISTS"),
                fixed: Some(insert_at(sql, at(after), "IF NOT EXISTS")),
            }),
            "index" if kw(&w, i + 1, "concurrently") => concurrent_index(sql, &w, after, guarded),
            "index" if !guarded => {
                let named = !kw(&w, after, "on");
                Some(Issue {
                    guarded_by: None,
                    message: if named {
                        message("IF NOT EXISTS")
                    } else {
                        "CREATE INDEX without a name creates another index each time it runs; name it and use IF NOT EXISTS".into()
                    },
                    fixed: named.then(|| insert_at(sql, at(after), "IF NOT EXISTS")),
                })
            }
            "function" | "procedure" | "view" if i == 1 => Some(Issue {
                guarded_by: None,
                message: message("CREATE OR REPLACE"),
                fixed: Some(insert_at(sql, at(1), "OR REPLACE")),
            }),
            "policy" | "trigger" => {
                let (name, next) = name_at(&w, after)?;
                // The table follows ON (for triggers, after the event list).
                let on = (next..w.len()).find(|&j| kw(&w, j, "on"))?;
                let (table, _) = name_at(&w, on + 1)?;
                let drop = format!("DROP {} IF EXISTS {name} ON {table};\n", kind.to_uppercase());
                Some(Issue {
                    guarded_by: Some(drop.clone()),
                    message: format!(
                        "CREATE {} fails when run again (\"{} ... already exists\"); drop it if it exists first",
                        kind.to_uppercase(),
                        kind
                    ),
                    fixed: Some(format!("{drop}{}", sql.trim_start())),
                })
            }
            "type" | "domain" => Some(Issue {
                guarded_by: None,
                message: format!(
                    "CREATE {} fails when run again and has no IF NOT EXISTS; guard it",
                    kind.to_uppercase()
                ),
                fixed: Some(exception_guard(sql)),
            }),
            _ => None,
        };
    }
    if kw(&w, 0, "drop") {
        let mut after = 1;
        if kw(&w, 1, "materialized") || kw(&w, 1, "event") || kw(&w, 1, "foreign") {
            after += 1;
        }
        after += 1;
        if kw(&w, after, "concurrently") {
            after += 1;
        }
        if kw(&w, after, "if") || w.len() <= after {
            return None;
        }
        return Some(Issue {
            guarded_by: None,
            message: "DROP fails when the object is already gone; use IF EXISTS".into(),
            fixed: Some(insert_at(sql, at(after), "IF EXISTS")),
        });
    }
    if kw(&w, 0, "alter") && (kw(&w, 1, "table") || kw(&w, 1, "type")) {
        // Every sub-command that is not guarded, fixed from the end so offsets hold.
        let mut inserts: Vec<(usize, &str)> = Vec::new();
        let mut unfixable = None;
        for j in 2..w.len() {
            let next_is_if = |k: usize| kw(&w, k, "if");
            if kw(&w, j, "add") && (kw(&w, j + 1, "column") || kw(&w, j + 1, "value")) && !next_is_if(j + 2) {
                inserts.push((at(j + 2), "IF NOT EXISTS"));
            } else if kw(&w, j, "drop")
                && (kw(&w, j + 1, "column") || kw(&w, j + 1, "constraint"))
                && !next_is_if(j + 2)
            {
                inserts.push((at(j + 2), "IF EXISTS"));
            } else if kw(&w, j, "add") && kw(&w, j + 1, "constraint") {
                unfixable.get_or_insert("constraint");
            } else if kw(&w, j, "add")
                && ["primary", "unique", "check", "foreign", "exclude"].iter().any(|k| kw(&w, j + 1, k))
            {
                unfixable = Some("unnamed");
            }
        }
        return match (unfixable, inserts.is_empty()) {
            (Some("unnamed"), _) => Some(Issue {
                guarded_by: None,
                message: "ALTER TABLE ... ADD of an unnamed constraint adds another one (or fails) each time it runs; name it with ADD CONSTRAINT".into(),
                fixed: None,
            }),
            (Some(_), true) => Some(Issue {
                guarded_by: None,
                message: "ADD CONSTRAINT fails when run again (\"constraint ... already exists\"); guard it".into(),
                fixed: Some(exception_guard(sql)),
            }),
            (Some(_), false) => Some(Issue {
                guarded_by: None,
                message: "ADD CONSTRAINT fails when run again; split the ALTER TABLE so each sub-command can be guarded".into(),
                fixed: None,
            }),
            (None, true) => None,
            (None, false) => {
                let mut fixed = sql.to_string();
                for (pos, text) in inserts.into_iter().rev() {
                    fixed = insert_at(&fixed, pos, text);
                }
                Some(Issue {
                    message: "ADD COLUMN / ADD VALUE / DROP ... fails when run again; guard it".into(),
                    fixed: Some(fixed),
                    guarded_by: None,
                })
            }
        };
    }
    None
}

pub fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    // Applied files do not run again here; when the tracking table was read, only the
    // others count (a fix would make an applied file "modified").
    let pending = |m: &&crate::history::LocalMigration| input.applied.is_none_or(|a| !a.contains(&m.version));
    // Files a baseline superseded never run again either.
    let files = crate::history::replayable(input.migrations);
    for m in files.iter().filter(|m| !is_generated(m)).filter(pending) {
        let mut previous: Option<String> = None;
        for st in split(&m.content).statements {
            let found = issue_after(previous.as_deref(), &st.text);
            previous = Some(st.text.clone());
            if let Some(issue) = found {
                out.push(Finding {
                    file: input.path(&m.file_name),
                    line: Some(st.line),
                    rule: RULE,
                    message: issue.message,
                    hint: if issue.fixed.is_some() {
                        "run `schemaspec check --fix` to rewrite it in a guarded form".into()
                    } else {
                        "rewrite it by hand (see docs/check.md#non-idempotent)".into()
                    },
                });
            }
        }
    }
    out
}

/// The file with every fixable statement in its guarded form, or `None` when nothing
/// changes.
pub fn fix(content: &str) -> Option<String> {
    let mut out = String::new();
    let mut last = 0;
    let mut changed = false;
    let mut previous: Option<String> = None;
    for st in split(content).statements {
        let found = issue_after(previous.as_deref(), &st.text);
        previous = Some(st.text.clone());
        // Statements with meta-command lines cut out are left for the user.
        if content.get(st.offset..st.offset + st.text.len()) != Some(st.text.as_str()) {
            continue;
        }
        if let Some(Issue { fixed: Some(fixed), .. }) = found {
            out += &content[last..st.offset];
            out += &fixed;
            last = st.offset + st.text.len();
            changed = true;
        }
    }
    out += &content[last..];
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(sql: &str) -> String {
        fix(sql).unwrap_or_else(|| sql.to_string())
    }

    #[test]
    fn guards_each_kind() {
        assert_eq!(fixed("create table t (a int);"), "create table IF NOT EXISTS t (a int);");
        assert_eq!(fixed("CREATE UNIQUE INDEX i ON t (a);"), "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a);");
        assert_eq!(
            fixed("CREATE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql;"),
            "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql;"
        );
        assert_eq!(
            fixed("create policy \"Users can read own audit chunks\" on public.audit_results_chunks for select using (true);"),
            "DROP POLICY IF EXISTS \"Users can read own audit chunks\" ON public.audit_results_chunks;\ncreate policy \"Users can read own audit chunks\" on public.audit_results_chunks for select using (true);"
        );
        assert_eq!(
            fixed("alter table t add column b int, drop column c;"),
            "alter table t add column IF NOT EXISTS b int, drop column IF EXISTS c;"
        );
        assert_eq!(fixed("drop table t;"), "drop table IF EXISTS t;");
        assert!(fixed("create type mood as enum ('a');").starts_with("DO $schemaspec_fix$"));
        assert!(fixed("alter table t add constraint c check (a > 0);").contains("duplicate_object"));
    }

    #[test]
    fn concurrent_index_builds_drop_an_invalid_leftover_first() {
        let sql = "-- schemaspec:no-transaction\nCREATE INDEX CONCURRENTLY notes_body ON app.notes (body);\n";
        let once = fix(sql).unwrap();
        assert!(once.contains("to_regclass('app.notes_body') AND NOT indisvalid"), "{once}");
        assert!(once.contains("DROP INDEX app.notes_body;"), "{once}");
        assert!(once.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_body ON app.notes (body);"), "{once}");
        // Fixed once, nothing left to fix.
        assert_eq!(fix(&once), None, "{once}");
        // Guarded by IF NOT EXISTS alone: still an issue, fixed the same way.
        let if_not_exists = fix("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON t (a);").unwrap();
        assert!(if_not_exists.starts_with("DO $schemaspec_fix$") && if_not_exists.contains("to_regclass('u')"));
        assert!(if_not_exists.ends_with("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON t (a);"));
    }

    #[test]
    fn guarded_statements_are_left_alone() {
        for sql in [
            "create table if not exists t (a int);",
            "create or replace view v as select 1;",
            "drop index concurrently if exists i;",
            "alter table t add column if not exists b int;",
            "grant select on t to public;",
            "DROP POLICY IF EXISTS p ON public.t;\ncreate policy p on public.t using (true);",
        ] {
            assert_eq!(fix(sql), None, "{sql}");
        }
        // Unnamed constraints cannot be guarded: found, not fixed.
        assert!(issue("alter table t add primary key (a);").is_some_and(|i| i.fixed.is_none()));
    }
}
