//! A file's way back, the trailing `-- schemaspec:down` block (`schemaspec show` prints
//! it, the tracking table keeps it as `rollback_sql`): every line after the marker is
//! commented out, so applying the file never runs it, and uncommented it must be SQL a
//! person can run as it stands: complete quotes and comments, no psql meta-commands, no
//! transaction control. `generate` writes blocks that pass; a hand-written one is held
//! to the same. A marker above SQL is not a block: what follows it runs with the file.

use super::{Finding, Input};
use crate::plan::files::{down_block, misplaced_down_marker, DOWN_MARKER};
use crate::sqltext::split::{split, transaction_control};

pub const RULE: &str = "down-block";

pub fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in input.migrations {
        let file = input.path(&m.file_name);
        let finding = |line: usize, message: String, hint: &str| Finding {
            file: file.clone(),
            line: Some(line),
            rule: RULE,
            message,
            hint: hint.into(),
        };
        if let Some(line) = misplaced_down_marker(&m.content) {
            out.push(finding(
                line,
                format!("`{DOWN_MARKER}` stands above SQL: the statements after it run with the file, they are not its way back"),
                "put the down block last, every line of it commented out (`-- ` before each)",
            ));
        }
        let Some(down) = down_block(&m.content) else { continue };
        // A line of the block is the marker's line plus its line in the SQL.
        let at = |line: usize| down.line + line;
        if let Err(e) = sqlparser::tokenizer::Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, &down.sql)
            .tokenize_with_location()
        {
            out.push(finding(
                at(usize::try_from(e.location.line).unwrap_or(0).max(1)),
                format!("the down block does not parse: {}", e.message),
                "close the quote, dollar quote or comment it opens",
            ));
            continue;
        }
        let parts = split(&down.sql);
        for c in parts.meta_commands {
            out.push(finding(
                at(c.line),
                format!("psql meta-command `{}` in the down block is not SQL", c.text),
                "write the SQL itself: the way back is run as SQL, not through psql",
            ));
        }
        for st in parts.statements {
            if let Some(command) = transaction_control(&st.text) {
                out.push(finding(
                    at(st.line),
                    format!("`{command}` in the down block: a way back runs in one transaction of its own"),
                    "remove it (mark the block's first line `-- schemaspec:no-transaction` if it cannot run in a transaction)",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::LocalMigration;

    fn findings(content: &str) -> Vec<Finding> {
        let m = LocalMigration::new("20260101000000_x.sql", content.into()).unwrap();
        check(&Input {
            dir: "generated",
            migrations: &[m],
            strays: &[],
            sum: None,
            schema_files: &[],
            applied: None,
            allowed_hazards: &Default::default(),
        })
    }

    #[test]
    fn a_good_block_passes_and_bad_ones_name_their_line() {
        assert_eq!(findings("CREATE TABLE t ();\n-- schemaspec:down\n-- DROP TABLE IF EXISTS t;\n"), vec![]);
        let meta = findings("CREATE TABLE t ();\n-- schemaspec:down\n-- DROP TABLE t;\n-- \\i other.sql\n");
        assert_eq!(meta.len(), 1);
        assert_eq!(meta[0].line, Some(4));
        assert!(meta[0].message.contains("meta-command"), "{meta:?}");
        let open = findings("CREATE TABLE t ();\n-- schemaspec:down\n-- SELECT 'unterminated;\n");
        assert_eq!(open.len(), 1);
        assert!(open[0].message.contains("does not parse"), "{open:?}");
        assert_eq!(open[0].line, Some(3));
        let tx = findings("CREATE TABLE t ();\n-- schemaspec:down\n-- BEGIN;\n-- DROP TABLE t;\n-- COMMIT;\n");
        assert_eq!(tx.iter().map(|f| f.line).collect::<Vec<_>>(), vec![Some(3), Some(5)]);
        let above = findings("-- schemaspec:down\nDROP TABLE t;\n");
        assert_eq!(above.len(), 1);
        assert!(above[0].message.contains("stands above SQL"), "{above:?}");
    }
}
