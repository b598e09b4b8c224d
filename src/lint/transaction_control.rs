//! Transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, `PREPARE
//! TRANSACTION`, ...) in a migration file. schemaspec runs each file in one transaction
//! together with its tracking row; a `COMMIT` inside would commit the first part, leave
//! the rest to fail on its own and the row unwritten, and a `ROLLBACK` would undo the
//! first part while the file is recorded as applied. `apply` refuses such files before
//! running anything; `--fix` removes a `BEGIN ... COMMIT` that wraps a whole
//! transactional file (which adds nothing to the transaction the file runs in).

use super::{Finding, Input};
use crate::plan::files::is_no_transaction;
use crate::sqltext::split::{split, transaction_control};

pub const RULE: &str = "transaction-control";

/// Byte ranges of a `BEGIN` first and a `COMMIT` last that wrap the whole file, when
/// they are its only transaction control and the file runs in a transaction.
fn wrapper(content: &str) -> Option<[(usize, usize); 2]> {
    if is_no_transaction(content) {
        return None;
    }
    let statements = split(content).statements;
    let controls: Vec<(usize, &str)> =
        statements.iter().enumerate().filter_map(|(i, s)| transaction_control(&s.text).map(|c| (i, c))).collect();
    let [(0, "BEGIN" | "START TRANSACTION"), (last, "COMMIT" | "END")] = controls[..] else { return None };
    if last + 1 != statements.len() {
        return None;
    }
    let range = |s: &crate::sqltext::split::SqlStatement| {
        // Meta-command lines cut out of a statement: leave the file to the user.
        (content.get(s.offset..s.offset + s.text.len()) == Some(s.text.as_str()))
            .then_some((s.offset, s.offset + s.text.len()))
    };
    Some([range(&statements[0])?, range(&statements[last])?])
}

pub fn check(input: &Input) -> Vec<Finding> {
    let pending = |m: &&crate::history::LocalMigration| input.applied.is_none_or(|a| !a.contains(&m.version));
    let files = crate::history::replayable(input.migrations);
    let mut out = Vec::new();
    for m in files.iter().filter(pending) {
        let fixable = wrapper(&m.content).is_some();
        for st in split(&m.content).statements {
            let Some(command) = transaction_control(&st.text) else { continue };
            out.push(Finding {
                file: input.path(&m.file_name),
                line: Some(st.line),
                rule: RULE,
                message: format!(
                    "`{command}` in a migration file: schemaspec runs each file in one transaction of its own, so this would commit or undo part of the file on its own (`apply` refuses the file)"
                ),
                hint: if fixable {
                    "run `schemaspec check --fix` to remove the BEGIN ... COMMIT that wraps the file (it already runs in one transaction)".into()
                } else if is_no_transaction(&m.content) {
                    "remove it; statements that must commit together belong in a file without `-- schemaspec:no-transaction` (it runs in one transaction)".into()
                } else {
                    "remove it; split the file where it meant to commit part-way (each file commits as a whole)".into()
                },
            });
        }
    }
    out
}

/// The file without a `BEGIN ... COMMIT` that wraps it whole, or `None`.
pub fn fix(content: &str) -> Option<String> {
    let [(b0, b1), (c0, c1)] = wrapper(content)?;
    Some(format!("{}{}{}", &content[..b0], &content[b1..c0], &content[c1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_file_wrapper_is_fixed() {
        let wrapped = "-- note\nBEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n";
        assert_eq!(fix(wrapped).as_deref(), Some("-- note\n\nCREATE TABLE a (x int);\n\n"));
        for not in [
            "BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\nCREATE TABLE b (x int);\n",
            "CREATE TABLE a (x int);\nCOMMIT;\n",
            "BEGIN;\nSAVEPOINT s;\nCREATE TABLE a (x int);\nCOMMIT;\n",
            "-- schemaspec:no-transaction\nBEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n",
            "CREATE TABLE a (x int);\n",
        ] {
            assert_eq!(fix(not), None, "{not}");
        }
    }
}
