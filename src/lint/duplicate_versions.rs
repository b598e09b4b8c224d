//! Two files claim one version (parallel authors in the same second or hour, or a
//! hand rename): which one runs first is an accident of the file system.

use super::{Finding, Input};
use std::collections::BTreeMap;

pub const RULE: &str = "duplicate-version";

pub fn check(input: &Input) -> Vec<Finding> {
    let mut by_version: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in input.migrations {
        by_version.entry(&m.version).or_default().push(&m.file_name);
    }
    by_version
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .flat_map(|(v, files)| {
            let all = files.join(", ");
            files.into_iter().map(move |f| Finding {
                file: input.path(f),
                line: None,
                rule: RULE,
                message: format!("version {v} is claimed by {all}"),
                hint:
                    "run `schemaspec repair --renumber` (the applied file keeps its version, the others get new ones)"
                        .into(),
            })
        })
        .collect()
}
