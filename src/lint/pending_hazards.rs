//! Pending migrations that would destroy data, rewrite tables or take long locks: for
//! generated files, the hazards their header lists; for hand-written ones, the
//! statements that drop or retype. Needs to know what is pending, so it runs only when
//! `check` can read the tracking table.

use super::{is_generated, words, Finding, Input};
use crate::history::{self, LocalMigration};
use crate::sqltext::split::split;

pub const RULE: &str = "pending-hazard";

fn hand_written_hazard(sql: &str) -> Option<&'static str> {
    let w = words(sql);
    let has = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    match w.first().map(String::as_str) {
        Some("truncate") | Some("delete") => Some("deletes_data"),
        Some("drop") if matches!(w.get(1).map(String::as_str), Some("table" | "schema" | "materialized")) => {
            Some("deletes_data")
        }
        Some("alter") if has("drop", "column") => Some("deletes_data"),
        Some("drop") if w.get(1).is_some_and(|t| t == "policy") => Some("weakens_security"),
        Some("alter") if has("disable", "row") || has("no", "force") => Some("weakens_security"),
        Some("grant") if has("to", "public") => Some("weakens_security"),
        Some("alter") if w.get(1).is_some_and(|t| t == "table") && w.iter().skip(3).any(|x| x == "type") => {
            Some("rewrites_table")
        }
        _ => None,
    }
}

/// `DROP POLICY [IF EXISTS] name ON table` of a policy the same file creates again
/// (`check --fix` writes policies so): a replacement, which weakens nothing.
fn replaced_policy(drop: &[String], all: &[Vec<String>]) -> bool {
    let Some(rest) = drop.strip_prefix(&["drop".to_string(), "policy".to_string()]) else { return false };
    let rest = rest.strip_prefix(&["if".to_string(), "exists".to_string()]).unwrap_or(rest);
    let target: Vec<&String> = rest.iter().filter(|w| *w != ";").collect();
    all.iter().any(|w| {
        w.len() >= 2 + target.len()
            && w[0] == "create"
            && w[1] == "policy"
            && w[2..2 + target.len()].iter().zip(&target).all(|(a, b)| a == *b)
    })
}

/// The hazards of one migration file, with the line where known: for a generated file
/// those its header lists, for a hand-written one the statements that drop or retype.
pub fn file_hazards(m: &LocalMigration) -> Vec<(Option<usize>, String)> {
    let mut found = Vec::new();
    if is_generated(m) {
        let listed = m.content.lines().take(5).find_map(|l| l.strip_prefix("-- hazards:")).unwrap_or("");
        found.extend(
            listed.split(',').map(str::trim).filter(|h| !h.is_empty() && *h != "none").map(|h| (None, h.to_string())),
        );
    } else {
        let statements = split(&m.content).statements;
        let all: Vec<Vec<String>> = statements.iter().map(|st| words(&st.text)).collect();
        for (st, w) in statements.iter().zip(&all) {
            let hazard = hand_written_hazard(&st.text).filter(|_| !replaced_policy(w, &all));
            found.extend(hazard.map(|h| (Some(st.line), h.to_string())));
        }
    }
    found
}

pub fn check(input: &Input) -> Vec<Finding> {
    let Some(applied) = input.applied else { return Vec::new() };
    // Pending: not applied, and not superseded by a baseline.
    let pending: Vec<LocalMigration> =
        history::replayable(input.migrations).into_iter().filter(|m| !applied.contains(&m.version)).collect();
    let mut out = Vec::new();
    for m in &pending {
        for (line, h) in file_hazards(m).into_iter().filter(|(_, h)| !input.allowed_hazards.contains(h)) {
            out.push(Finding {
                file: input.path(&m.file_name),
                line,
                rule: RULE,
                message: format!("pending migration has hazard {h}"),
                hint: format!("review it; accept it with `schemaspec check --allow-hazards {h}`"),
            });
        }
    }
    out
}
