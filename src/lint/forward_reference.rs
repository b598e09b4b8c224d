//! A migration that uses a table, view, type or function that no earlier migration
//! creates but a later one does, or a column of a table that only a later migration
//! adds: it only ever worked because the files ran in another order somewhere, and a
//! fresh database cannot replay the history.

use super::{words, Finding, Input};
use crate::history;
use crate::sqltext::{order::defined_names, split::split};
use std::collections::{BTreeMap, BTreeSet};

pub const RULE: &str = "forward-reference";

/// Words after which a relation or type name follows.
const RELATION_BEFORE: [&str; 8] = ["from", "join", "references", "into", "update", "table", "on", "::"];

/// Names in relation or type position, and called functions.
fn referenced(sql: &str) -> BTreeSet<String> {
    let w = words(sql);
    let mut out = BTreeSet::new();
    for i in 1..w.len() {
        let before = w[i - 1].as_str();
        // Skip the schema of a qualified name: the name itself is the one after the dot.
        let mut j = i;
        while w.get(j + 1).is_some_and(|d| d == ".") && j + 2 < w.len() {
            j += 2;
        }
        if RELATION_BEFORE.contains(&before) || w.get(j + 1).is_some_and(|p| p == "(") {
            out.insert(w[j].clone());
        }
    }
    out
}

/// The last part of the (possibly qualified) name starting at word `i`, and the index
/// after it.
fn name_end(w: &[String], mut i: usize) -> Option<(String, usize)> {
    let mut last = w.get(i)?.clone();
    while w.get(i + 1).is_some_and(|d| d == ".") {
        i += 2;
        last = w.get(i)?.clone();
    }
    Some((last, i + 1))
}

/// Columns a statement defines: `CREATE TABLE t (c ...)` and `ALTER TABLE t ADD
/// [COLUMN] [IF NOT EXISTS] c`, as (table, column).
fn columns_defined(w: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let at = |i: usize, s: &str| w.get(i).is_some_and(|x| x == s);
    if at(0, "create") {
        let Some(t) = (1..w.len().min(6)).find(|&i| at(i, "table")) else { return out };
        let mut i = t + 1;
        if at(i, "if") {
            i += 3;
        }
        let Some((table, after)) = name_end(w, i) else { return out };
        if !at(after, "(") {
            return out;
        }
        // First word of each top-level item that is not a table constraint.
        let mut depth = 0;
        let mut item_start = true;
        for x in &w[after..] {
            match x.as_str() {
                "(" => {
                    depth += 1;
                    if depth == 1 {
                        item_start = true;
                    }
                    continue;
                }
                ")" => depth -= 1,
                "," if depth == 1 => {
                    item_start = true;
                    continue;
                }
                word if depth == 1
                    && item_start
                    && !["constraint", "primary", "unique", "check", "foreign", "exclude", "like"].contains(&word) =>
                {
                    out.push((table.clone(), word.to_string()));
                }
                _ => {}
            }
            item_start = false;
            if depth == 0 {
                break;
            }
        }
    } else if at(0, "alter") && at(1, "table") {
        let mut i = 2;
        if at(i, "if") {
            i += 2;
        }
        if at(i, "only") {
            i += 1;
        }
        let Some((table, mut j)) = name_end(w, i) else { return out };
        while j < w.len() {
            if at(j, "add")
                && !["constraint", "primary", "unique", "check", "foreign", "exclude"].iter().any(|k| at(j + 1, k))
            {
                let mut k = j + 1;
                if at(k, "column") {
                    k += 1;
                }
                if at(k, "if") {
                    k += 3;
                }
                if let Some(c) = w.get(k) {
                    out.push((table.clone(), c.clone()));
                }
            }
            j += 1;
        }
    }
    out
}

/// The one table a statement acts on, when it acts on one (`CREATE INDEX ... ON t`,
/// `ALTER TABLE t`, `CREATE POLICY ... ON t`, `UPDATE t`, `INSERT INTO t`), and the words
/// that may name its columns.
fn single_table(w: &[String]) -> Option<(String, usize)> {
    let at = |i: usize, s: &str| w.get(i).is_some_and(|x| x == s);
    let after = |start: usize| {
        let mut i = start;
        while at(i, "only") || at(i, "if") || at(i, "exists") {
            i += 1;
        }
        name_end(w, i)
    };
    if at(0, "create") && (1..4).any(|i| at(i, "index")) || at(0, "create") && at(1, "policy") {
        let on = w.iter().position(|x| x == "on")?;
        after(on + 1)
    } else if at(0, "alter") && at(1, "table") {
        after(2)
    } else if at(0, "update") {
        after(1)
    } else if at(0, "insert") && at(1, "into") {
        after(2)
    } else {
        None
    }
}

pub fn check(input: &Input) -> Vec<Finding> {
    let files = history::replayable(input.migrations);
    let created: Vec<BTreeSet<String>> = files
        .iter()
        .map(|m| {
            let texts: Vec<String> = split(&m.content).statements.into_iter().map(|s| s.text).collect();
            defined_names(&texts.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .collect();
    // Where each name is first created.
    let mut first_created: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, names) in created.iter().enumerate() {
        for n in names {
            first_created.entry(n).or_insert(i);
        }
    }
    // Where each (table, column) is first added.
    let mut first_added: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, m) in files.iter().enumerate() {
        for st in split(&m.content).statements {
            for tc in columns_defined(&words(&st.text)) {
                first_added.entry(tc).or_insert(i);
            }
        }
    }
    let mut out = Vec::new();
    for (i, m) in files.iter().enumerate() {
        for st in split(&m.content).statements {
            let w = words(&st.text);
            if let Some((table, from)) = single_table(&w) {
                let own: BTreeSet<String> = columns_defined(&w).into_iter().map(|(_, c)| c).collect();
                let mut named = BTreeSet::new();
                for word in &w[from..] {
                    let key = (table.clone(), word.clone());
                    let Some(&later) = first_added.get(&key) else { continue };
                    if later > i && !own.contains(word) && named.insert(word.clone()) {
                        out.push(Finding {
                            file: input.path(&m.file_name),
                            line: Some(st.line),
                            rule: RULE,
                            message: format!("uses column {word} of {table}, which only the later migration {} adds", files[later].file_name),
                            hint: "move the statement into a migration after that one (`schemaspec repair --renumber` renumbers pending files)".into(),
                        });
                    }
                }
            }
            for name in referenced(&st.text) {
                let Some(&later) = first_created.get(name.as_str()) else { continue };
                if later > i {
                    out.push(Finding {
                        file: input.path(&m.file_name),
                        line: Some(st.line),
                        rule: RULE,
                        message: format!("uses {name}, which only the later migration {} creates", files[later].file_name),
                        hint: "move the statement into a migration after that one, or create the object earlier (`schemaspec repair --renumber` renumbers pending files)".into(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(sql: &str) -> Vec<String> {
        words(sql)
    }

    #[test]
    fn columns_a_statement_adds() {
        assert_eq!(
            columns_defined(&w(
                "CREATE TABLE public.t (id int PRIMARY KEY, body text DEFAULT lower('X'), CONSTRAINT c CHECK (id > 0))"
            )),
            vec![("t".to_string(), "id".to_string()), ("t".to_string(), "body".to_string())]
        );
        assert_eq!(
            columns_defined(&w(
                "alter table profiles add column if not exists website text, add constraint k unique (website)"
            )),
            vec![("profiles".to_string(), "website".to_string())]
        );
        assert_eq!(
            single_table(&w("create index i on only public.profiles using btree (lower(website))")).map(|t| t.0),
            Some("profiles".into())
        );
    }
}
