//! A migration that uses a table, view, type or function that no earlier migration
//! creates but a later one does: it only ever worked because the files ran in another
//! order somewhere, and a fresh database cannot replay the history.

use super::{words, Finding, Input};
use crate::history;
use crate::sql::{order::defined_names, split::split};
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
    let mut out = Vec::new();
    for (i, m) in files.iter().enumerate() {
        for st in split(&m.content).statements {
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
