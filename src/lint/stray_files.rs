//! Files in the migrations directory that are not migrations (`.backup`, `.skip`,
//! `.orig`, a name without a version): listed, never applied or skipped silently.

use super::{Finding, Input};

pub const RULE: &str = "stray-file";

pub fn check(input: &Input) -> Vec<Finding> {
    input
        .strays
        .iter()
        .map(|s| Finding {
            file: input.path(s),
            line: None,
            rule: RULE,
            message: format!("{s} is not a migration (expected <14-digit version>_<name>.sql); it is never applied"),
            hint: "delete it, move it out of the migrations directory, or rename it to a migration name".into(),
        })
        .collect()
}
