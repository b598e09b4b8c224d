//! psql meta-commands (`\d`, `\i`, `\set`) are not SQL: a migration tool sends them
//! to the server, which fails with a syntax error far from the cause.

use super::{Finding, Input};
use crate::sqltext::split::split;

pub const RULE: &str = "meta-command";

pub fn check(input: &Input) -> Vec<Finding> {
    let migrations = input.migrations.iter().map(|m| (input.path(&m.file_name), m.content.as_str()));
    let schema = input.schema_files.iter().map(|(p, t)| (p.clone(), t.as_str()));
    migrations
        .chain(schema)
        .flat_map(|(path, text)| {
            split(text).meta_commands.into_iter().map(move |c| Finding {
                file: path.clone(),
                line: Some(c.line),
                rule: RULE,
                message: format!("psql meta-command `{}` is not SQL", c.text),
                hint: "remove the line (`\\d` and friends only inspect; `\\i` should be the included SQL itself)"
                    .into(),
            })
        })
        .collect()
}
