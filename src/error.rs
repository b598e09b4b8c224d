//! The errors callers branch on, each with a hint saying what to do next.

use crate::catalog::ObjectId;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}:{line}:{column}: {message}")]
    SqlError { file: String, line: usize, column: usize, message: String, hint: Option<String> },

    #[error("{file}:{line}: psql meta-command `{command}` is not SQL")]
    MetaCommand { file: String, line: usize, command: String },

    #[error("{file}:{line}: `{command}` in a migration file; nothing of the file was run")]
    TransactionControl { file: String, line: usize, command: String, no_transaction: bool },

    #[error("migration {file} was edited after it was applied (checksum {applied} in the database, {local} on disk)")]
    ChecksumMismatch { file: String, applied: String, local: String },

    #[error("{dir}/schemaspec.sum does not match the migration files: {detail}")]
    SumMismatch { dir: String, detail: String },

    #[error("migration {version} ({name}) is recorded as started but never finished")]
    DirtyMigration { version: String, name: String },

    #[error("lost the connection to the database while applying {file}: {message}")]
    ConnectionLost { file: String, no_transaction: bool, message: String },

    #[error("{file} is not named like a migration (<14-digit version>_<name>.sql); nothing was applied")]
    InvalidFileName { file: String },

    #[error("dependency cycle between: {}", .0.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", "))]
    Cycle(Vec<ObjectId>),

    #[error("the plan has hazards that were not allowed: {0}")]
    HazardsNotAllowed(String),

    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },

    #[error("no PostgreSQL server binaries found (looked on PATH, in `pg_config --bindir` and under /usr/lib/postgresql/*/bin)")]
    NoServerBinaries,

    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },

    #[error("the generated migrations do not reach the desired state: {0}")]
    ProofFailed(String),

    #[error("{message}")]
    Failed { message: String, hint: String },

    /// Whoever read the output stopped reading (`schemaspec man | head`).
    #[error("the output was closed")]
    OutputClosed,

    #[error("{0}")]
    Other(String),
}

impl Error {
    /// What the user should do about it.
    /// An error with what to do about it.
    pub fn failed(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Failed { message: message.into(), hint: hint.into() }
    }

    /// Where the problem is, for machines: (file, line, column), as far as known.
    pub fn location(&self) -> Option<(String, Option<usize>, Option<usize>)> {
        match self {
            Error::SqlError { file, line, column, .. } => Some((file.clone(), Some(*line), Some(*column))),
            Error::MetaCommand { file, line, .. } | Error::TransactionControl { file, line, .. } => {
                Some((file.clone(), Some(*line), None))
            }
            Error::ChecksumMismatch { file, .. }
            | Error::ConnectionLost { file, .. }
            | Error::InvalidFileName { file } => Some((file.clone(), None, None)),
            Error::Config { path, .. } => Some((path.display().to_string(), None, None)),
            Error::SumMismatch { .. }
            | Error::DirtyMigration { .. }
            | Error::Cycle(_)
            | Error::HazardsNotAllowed(_)
            | Error::Connect { .. }
            | Error::NoServerBinaries
            | Error::ProofFailed(_)
            | Error::Failed { .. }
            | Error::OutputClosed
            | Error::Other(_) => None,
        }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::SqlError { hint, .. } => return hint.clone(),
            Error::MetaCommand { .. } => {
                "remove it: schema and migration files are plain SQL run by schemaspec, not psql scripts".into()
            }
            Error::TransactionControl { no_transaction: false, .. } => {
                "schemaspec runs each migration file in one transaction of its own, and records it in the same transaction: remove the transaction control (`schemaspec check --fix` removes a BEGIN ... COMMIT that wraps the whole file), or split the file where it committed part-way".into()
            }
            Error::TransactionControl { no_transaction: true, .. } => {
                "this file is marked `-- schemaspec:no-transaction`, so each statement commits on its own and a crash part-way is resumed statement by statement: remove the transaction control, and move statements that must commit together into a file without the marker (it runs in one transaction)".into()
            }
            Error::ChecksumMismatch { .. } => {
                "restore the file as it was applied, or run `schemaspec generate` to add a new migration with the change".into()
            }
            Error::SumMismatch { .. } => {
                "restore the migration files; if the change is intended, `schemaspec hash` rewrites the sum file".into()
            }
            Error::DirtyMigration { .. } => {
                "a hand-written file ran outside a transaction and stopped part-way, so only a person can tell what is in place: `schemaspec repair --mark-applied VERSION` records it when its effects are all there (it proves that first), `schemaspec repair --mark-unapplied VERSION` then `schemaspec apply` runs it again (make its statements safe to re-run first: `schemaspec check --fix`)".into()
            }
            Error::ConnectionLost { no_transaction: false, .. } => {
                "the server rolled the file back with its transaction (nothing of it is applied or recorded); run `schemaspec apply` again once the database is reachable".into()
            }
            Error::ConnectionLost { no_transaction: true, .. } => {
                "the file runs outside a transaction, so part of it may be applied; its row is marked as not finished. Run `schemaspec apply` again once the database is reachable: generated files resume (their statements are idempotent); for a hand-written one, `schemaspec status` says what to do".into()
            }
            Error::InvalidFileName { .. } => {
                "rename it to <YYYYMMDDHHMMSS>_<name>.sql (`schemaspec repair --renumber` fixes versions), or move it out of the migrations directory; `schemaspec check` lists every such file".into()
            }
            Error::Cycle(_) => "break the cycle in the schema files, e.g. add a foreign key with ALTER TABLE after both tables".into(),
            Error::HazardsNotAllowed(_) => "review the plan, then name the hazards with `--allow-hazards KIND[,KIND]` (or `all`)".into(),
            Error::Connect { message, .. } if message.contains("no encryption") => {
                "the server accepts only TLS connections here: add sslmode=require (or verify-full with sslrootcert=<CA file>) to the URL".into()
            }
            Error::Connect { message, .. } if message.contains("password authentication failed") => {
                "the password (or user) is wrong: check the URL or PGPASSWORD; it is never printed".into()
            }
            Error::Connect { message, .. } if message.to_ascii_lowercase().contains("certificate") => {
                "the server's certificate could not be verified: point sslrootcert at the CA that signed it, or use sslmode=require to encrypt without verifying".into()
            }
            Error::Connect { .. } => {
                "check that the server is running and the URL (host, port, user, password, database) is right".into()
            }
            Error::NoServerBinaries => {
                "install the server (Debian/Ubuntu: `apt-get install postgresql`), or set --database-url and --dev-url (DATABASE_URL, SCHEMASPEC_DEV_URL) to a server you have".into()
            }
            Error::Config { .. } => "fix the setting; `docs/configuration.md` lists every key".into(),
            Error::ProofFailed(_) => "nothing was written; please report this with the schema that caused it".into(),
            Error::Failed { hint, .. } => hint.clone(),
            Error::Other(_) | Error::OutputClosed => return None,
        })
    }
}

/// A safety net for free text (server messages, error chains): connection strings in
/// it lose their passwords, in URI form (credentials up to the last `@` before the
/// host, so unencoded `@ / ?` in a password are covered) and in `password = value`
/// form (any case, spaces around `=`, quoted values). What schemaspec itself shows of a
/// connection is built from the parsed parameters instead (`pg::conninfo`).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out += head;
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let uri = &tail[..end];
        match uri.rfind('@') {
            Some(at) => {
                let userinfo = &uri[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out += &userinfo[..colon];
                        out += ":***";
                        out += &uri[at..];
                    }
                    None => out += uri,
                }
            }
            None => out += uri,
        }
        rest = &tail[end..];
    }
    out += rest;
    redact_password_values(&out)
}

/// `password = value` (any case; quoted values whole) → `password=***`.
fn redact_password_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut result = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(found) = lower[i..].find("password") {
        let key_end = i + found + "password".len();
        let after = &text[key_end..];
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        if !after[spaces..].starts_with('=') {
            result += &text[i..key_end];
            i = key_end;
            continue;
        }
        let value_start = key_end + spaces + 1;
        let value = &text[value_start..];
        let value = &value[value.len() - value.trim_start_matches([' ', '\t']).len()..];
        let start = text.len() - value.len();
        let len = if let Some(quoted) = value.strip_prefix('\'') {
            let mut n = 1;
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                n += c.len_utf8();
                match c {
                    '\\' => n += chars.next().map_or(0, char::len_utf8),
                    '\'' => break,
                    _ => {}
                }
            }
            n
        } else {
            value.find(|c: char| c.is_whitespace() || c == '&' || c == '"' || c == ',').unwrap_or(value.len())
        };
        result += &text[i..key_end];
        result += "=***";
        i = start + len;
    }
    result += &text[i..];
    result
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/app"), "postgres://app:***@db:5432/app");
        assert_eq!(redact("postgresql://app@db/app"), "postgresql://app@db/app");
        assert_eq!(redact("host=db password=s3cret user=x"), "host=db password=*** user=x");
        assert_eq!(redact("url postgres://u:p@h/d?password=z"), "url postgres://u:***@h/d?password=***");
        assert_eq!(redact("postgres://u:p@s/s?x@h/d is down"), "postgres://u:***@h/d is down");
        assert_eq!(redact("host=h password = 'a b\\'c' x"), "host=h password=*** x");
        assert_eq!(redact("PASSWORD=hunter2 host=h"), "PASSWORD=*** host=h");
        assert_eq!(redact("the password was wrong"), "the password was wrong");
    }
}
