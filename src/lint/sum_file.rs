//! The sum file chains a hash over the files in version order: an edited, deleted,
//! inserted or reordered file breaks the chain from that file on.

use super::{Finding, Input};
use crate::history::{self, SumProblem, SUM_FILE};

pub const RULE: &str = "sum-mismatch";

pub fn check(input: &Input) -> Vec<Finding> {
    let Some(problem) = history::verify_sum(input.migrations, input.sum) else { return Vec::new() };
    let (file, message) = match problem {
        SumProblem::Missing => (SUM_FILE.to_string(), format!("{SUM_FILE} is missing")),
        SumProblem::Mismatch { file } => {
            let listed = input.sum.is_some_and(|s| s.lines().any(|l| l.split_whitespace().next() == Some(&file)));
            let what = if listed { "was edited or moved" } else { "is new (not in the sum file)" };
            (file.clone(), format!("{file} {what}; the sum file no longer matches from here on"))
        }
        SumProblem::Removed { file } => (file.clone(), format!("{file} is listed in {SUM_FILE} but was deleted")),
    };
    vec![Finding {
        file: input.path(&file),
        line: None,
        rule: RULE,
        message,
        hint: "restore the file; if the change is intended, run `schemaspec hash` (and `schemaspec status` to see whether it was applied)".into(),
    }]
}
