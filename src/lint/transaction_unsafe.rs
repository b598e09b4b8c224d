//! Statements that cannot run inside the transaction a migration file runs in:
//! `CREATE/DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`, `VACUUM`, and an enum value
//! added by `ALTER TYPE ... ADD VALUE` that a later statement of the same file uses
//! ("unsafe use of new value"). Such files need `-- schemaspec:no-transaction` on their
//! first line (and then every statement must be idempotent), or the statements split
//! into files of their own.

use super::{words, Finding, Input};
use crate::plan::files::is_no_transaction;
use crate::sqltext::split::split;

pub const RULE: &str = "transaction-unsafe";

pub fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    // Files a baseline superseded never run again.
    let files = crate::history::replayable(input.migrations);
    for m in files.iter().filter(|m| !is_no_transaction(&m.content)) {
        let mut new_values: Vec<(String, usize)> = Vec::new();
        for st in split(&m.content).statements {
            let w = words(&st.text);
            let first = w.first().map(String::as_str);
            let concurrently =
                matches!(first, Some("create" | "drop" | "reindex")) && w.iter().any(|x| x == "concurrently");
            let never = matches!(first, Some("vacuum"))
                || (first == Some("create") && w.get(1).is_some_and(|x| x == "database"));
            if concurrently || never {
                out.push(Finding {
                    file: input.path(&m.file_name),
                    line: Some(st.line),
                    rule: RULE,
                    message: format!(
                        "{} cannot run inside a transaction block, and this file runs in one",
                        st.text.split_whitespace().take(4).collect::<Vec<_>>().join(" ")
                    ),
                    hint: format!(
                        "move it to a file of its own whose first line is `{}`",
                        crate::plan::files::NO_TRANSACTION_MARKER
                    ),
                });
            }
            for (value, line) in &new_values {
                if w.iter().any(|x| x == value) {
                    out.push(Finding {
                        file: input.path(&m.file_name),
                        line: Some(st.line),
                        rule: RULE,
                        message: format!("uses enum value {value} added at line {line} of the same transaction (\"unsafe use of new value\")"),
                        hint: "add the value in an earlier migration file, or mark this file `-- schemaspec:no-transaction`".into(),
                    });
                }
            }
            if first == Some("alter") && w.get(1).is_some_and(|x| x == "type") {
                if let Some(i) = w.iter().position(|x| x == "value") {
                    let v = if w.get(i + 1).is_some_and(|x| x == "if") { w.get(i + 4) } else { w.get(i + 1) };
                    if let Some(v) = v.filter(|v| v.starts_with('\'')) {
                        new_values.push((v.clone(), st.line));
                    }
                }
            }
        }
    }
    out
}
