//! Migration history as values: file names and versions, the chained sum file, and the
//! reconciliation of local files with the tracking table. Pure: no I/O.

use chrono::{Duration, NaiveDateTime, Timelike};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const SUM_FILE: &str = "schemaspec.sum";
const VERSION_FORMAT: &str = "%Y%m%d%H%M%S";
/// A header line marking a file as part of a baseline (`schemaspec baseline`); the
/// group is named by the version of its first file.
pub const BASELINE_MARKER: &str = "-- schemaspec:baseline";

/// A migration file as found in the migrations directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalMigration {
    pub version: String,
    pub name: String,
    pub file_name: String,
    #[serde(skip)]
    pub content: String,
    /// Hash of the normalized content: what "modified" is judged by.
    pub checksum: String,
    /// Hash of the bytes as they are, kept in the tracking table for audit.
    pub raw_checksum: String,
    /// The baseline group this file belongs to (its first version), if any.
    pub baseline: Option<String>,
    /// For a file with CRLF line endings or a byte order mark: its normalized checksum
    /// as versions before 0.2 recorded it (CRLF inside quoted text counted then).
    #[serde(skip)]
    pub legacy_checksum: Option<String>,
}

impl LocalMigration {
    /// A file as read. CRLF line endings become LF (a checkout on Windows is the same
    /// migration, and must do the same thing: function bodies included); the raw
    /// checksum is of the bytes as they were.
    pub fn new(file_name: &str, content: String) -> Option<LocalMigration> {
        Self::new_with(file_name, content, &mut |_, text| normalized_checksum(text))
    }

    /// `new`, the normalized checksum from `normalized`, given the raw checksum and the
    /// text with LF line endings: normalizing (tokenizing) is most of what reading a
    /// history costs, and its result is a function of the bytes alone (see
    /// `migrations::read_remembering`).
    pub fn new_with(
        file_name: &str,
        content: String,
        normalized: &mut dyn FnMut(&str, &str) -> String,
    ) -> Option<LocalMigration> {
        let (version, name) = parse_file_name(file_name)?;
        let raw_checksum = checksum(&content);
        let legacy_checksum = (content.contains('\r') || content.starts_with(crate::sqltext::split::BOM))
            .then(|| checksum(&normalize_v1(&content)));
        let content = if content.contains('\r') { content.replace("\r\n", "\n") } else { content };
        let baseline = content
            .strip_prefix(crate::sqltext::split::BOM)
            .unwrap_or(&content)
            .lines()
            .take(5)
            .find_map(|l| l.strip_prefix(BASELINE_MARKER))
            .map(|rest| rest.trim().to_string())
            .filter(|g| !g.is_empty());
        Some(LocalMigration {
            version,
            name,
            file_name: file_name.to_string(),
            checksum: normalized(&raw_checksum, &content),
            raw_checksum,
            baseline,
            legacy_checksum,
            content,
        })
    }

    /// Whether a recorded checksum is this file's: the normalized one, or (rows written
    /// before normalization existed, and audit copies) the raw one, or the normalized
    /// one as it was computed before line endings inside quoted text and a byte order
    /// mark were normalized too (rows recorded by earlier versions).
    pub fn matches(&self, recorded: &str) -> bool {
        recorded == self.checksum || recorded == self.raw_checksum || self.legacy_checksum.as_deref() == Some(recorded)
    }
}

/// A row of the tracking table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub version: String,
    pub name: String,
    pub checksum: String,
    pub success: bool,
}

/// `<14 digits>_<name>.sql` → (version, name).
pub fn parse_file_name(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.strip_suffix(".sql")?;
    let (version, name) = stem.split_once('_')?;
    let valid = version.len() == 14 && version.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty();
    valid.then(|| (version.to_string(), name.to_string()))
}

pub fn checksum(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// The content with comments, line endings (also inside quoted text and dollar-quoted
/// bodies: a checkout with CRLF line endings is the same migration), a leading byte
/// order mark, runs of whitespace and psql meta-commands taken out: editing only those
/// does not make an applied migration "modified". Other text inside quotes and
/// dollar-quoted bodies is kept byte for byte.
pub fn normalize(content: &str) -> String {
    let content = content.strip_prefix(crate::sqltext::split::BOM).unwrap_or(content);
    if content.contains('\r') {
        normalize_v1(&content.replace("\r\n", "\n"))
    } else {
        normalize_v1(content)
    }
}

/// `normalize` as recorded by versions before 0.2: CRLF inside quoted text counted.
fn normalize_v1(content: &str) -> String {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    // psql meta-commands are not part of what runs: removing one is no modification.
    let statements: Vec<String> =
        crate::sqltext::split::split(content).statements.into_iter().map(|s| s.text).collect();
    let sql = statements.join("\n");
    match Tokenizer::new(&PostgreSqlDialect {}, &sql).tokenize() {
        Ok(tokens) => {
            let words: Vec<String> =
                tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))).map(|t| t.to_string()).collect();
            words.join(" ")
        }
        // Not tokenizable: line endings and blank space only.
        Err(_) => sql
            .replace("\r\n", "\n")
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

pub fn normalized_checksum(content: &str) -> String {
    checksum(&normalize(content))
}

/// `n` fresh versions, one second apart, strictly after every version in `taken`, and
/// ending at `now` where that is room enough: a run that writes 400 files takes the 400
/// seconds up to the clock rather than the 400 after it, so a teammate's file written
/// meanwhile still sorts after them. Only when the newest taken version leaves no room
/// (a second run right after a first) do they go past the clock, by as little as needed.
/// `None` when they would not fit in 14 digits (a version at the end of time).
pub fn next_versions(now: NaiveDateTime, taken: &BTreeSet<String>, n: usize) -> Option<Vec<String>> {
    // Versions have whole seconds: compare in whole seconds.
    let now = now.with_nanosecond(0).unwrap_or(now);
    let mut t = now - Duration::seconds(n.saturating_sub(1) as i64);
    if let Some(max) = taken.iter().next_back() {
        if let Ok(max_t) = NaiveDateTime::parse_from_str(max, VERSION_FORMAT) {
            if max_t >= t {
                t = max_t + Duration::seconds(1);
            }
        } else if max.as_str() >= now.format(VERSION_FORMAT).to_string().as_str() {
            // Not a timestamp (a renumbered or foreign version): count past it.
            t = NaiveDateTime::parse_from_str("99991231235959", VERSION_FORMAT).expect("valid");
        }
    }
    let versions: Vec<String> =
        (0..n).map(|i| (t + Duration::seconds(i as i64)).format(VERSION_FORMAT).to_string()).collect();
    versions.iter().all(|v| v.len() == 14 && v.bytes().all(|b| b.is_ascii_digit())).then_some(versions)
}

/// The sum file: a chained hash over the files in version order, so that an edited,
/// removed, inserted or reordered file changes every later line.
pub fn sum_file(files: &[LocalMigration]) -> String {
    let mut chain = String::new();
    let mut lines = Vec::new();
    for f in files {
        chain = hex::encode(Sha256::digest(format!("{chain}{}{}", f.file_name, f.checksum).as_bytes()));
        lines.push(format!("{} h1:{}", f.file_name, chain));
    }
    format!("h1:{}\n{}\n", if chain.is_empty() { checksum("") } else { chain }, lines.join("\n")).replace("\n\n", "\n")
}

/// What is wrong between the sum file and the files. In JSON: `{"problem": "mismatch",
/// "file": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum SumProblem {
    Missing,
    /// The first file whose chain entry does not match (edited, inserted or reordered).
    Mismatch {
        file: String,
    },
    /// A file listed in the sum file that is not in the directory.
    Removed {
        file: String,
    },
}

impl std::fmt::Display for SumProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SumProblem::Missing => f.write_str("there is no schemaspec.sum for the migration files"),
            SumProblem::Mismatch { file } => {
                write!(f, "{file} was edited, added or moved after schemaspec.sum was written")
            }
            SumProblem::Removed { file } => write!(f, "{file} is in schemaspec.sum but not in the folder"),
        }
    }
}

pub fn verify_sum(files: &[LocalMigration], sum: Option<&str>) -> Option<SumProblem> {
    let Some(sum) = sum else {
        return (!files.is_empty()).then_some(SumProblem::Missing);
    };
    if sum == sum_file(files) {
        return None;
    }
    let expected = sum_file(files);
    let listed: Vec<&str> = sum.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    for (want, have) in expected.lines().skip(1).zip(sum.lines().skip(1)) {
        if want != have {
            let file = want.split_whitespace().next().unwrap_or_default().to_string();
            return Some(SumProblem::Mismatch { file });
        }
    }
    if let Some(gone) = listed.iter().find(|l| !files.iter().any(|f| f.file_name == **l)) {
        return Some(SumProblem::Removed { file: gone.to_string() });
    }
    let first_new = files.get(listed.len()).map(|f| f.file_name.clone()).unwrap_or_default();
    Some(SumProblem::Mismatch { file: first_new })
}

/// First version of the newest baseline among the files: older files are superseded.
pub fn newest_baseline(local: &[LocalMigration]) -> Option<&str> {
    local.iter().filter_map(|l| l.baseline.as_deref()).max()
}

/// The files a fresh database runs: from the newest baseline on (all without one).
pub fn replayable(local: &[LocalMigration]) -> Vec<LocalMigration> {
    let baseline = newest_baseline(local);
    local.iter().filter(|l| baseline.is_none_or(|b| l.version.as_str() >= b)).cloned().collect()
}

/// The files the tracking table records as applied (modified ones too: what ran is
/// what the database has), in version order: what replaying the history runs.
pub fn applied_files(local: &[LocalMigration], applied: &[AppliedMigration]) -> Vec<LocalMigration> {
    let status = reconcile(local, applied);
    local
        .iter()
        .filter(|m| {
            status.iter().any(|s| {
                s.version == m.version && matches!(s.state, MigrationState::Applied | MigrationState::Modified)
            })
        })
        .cloned()
        .collect()
}

/// State of one version across the directory and the tracking table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationState {
    Applied,
    Pending,
    /// Applied, but the local file changed since.
    Modified,
    /// In the tracking table, not in the directory.
    MissingLocally,
    /// Pending, with a version older than the newest applied one.
    OutOfOrder,
    /// Started outside a transaction and never recorded as finished.
    Failed,
    /// Not applied and older than the newest baseline, which already contains its
    /// effects: never run.
    Superseded,
}

#[derive(Clone, Debug, Serialize)]
pub struct VersionStatus {
    pub version: String,
    pub name: String,
    pub state: MigrationState,
}

pub fn reconcile(local: &[LocalMigration], applied: &[AppliedMigration]) -> Vec<VersionStatus> {
    let applied_by: BTreeMap<&str, &AppliedMigration> = applied.iter().map(|a| (a.version.as_str(), a)).collect();
    let newest_applied = applied.iter().filter(|a| a.success).map(|a| a.version.as_str()).max();
    let baseline = newest_baseline(local);
    let mut out: BTreeMap<String, VersionStatus> = BTreeMap::new();
    for l in local {
        let state = match applied_by.get(l.version.as_str()) {
            Some(a) if !a.success => MigrationState::Failed,
            Some(a) if !l.matches(&a.checksum) => MigrationState::Modified,
            Some(_) => MigrationState::Applied,
            None if baseline.is_some_and(|b| l.version.as_str() < b) => MigrationState::Superseded,
            None if newest_applied.is_some_and(|n| n > l.version.as_str()) => MigrationState::OutOfOrder,
            None => MigrationState::Pending,
        };
        out.insert(l.version.clone(), VersionStatus { version: l.version.clone(), name: l.name.clone(), state });
    }
    for a in applied {
        out.entry(a.version.clone()).or_insert_with(|| VersionStatus {
            version: a.version.clone(),
            name: a.name.clone(),
            state: MigrationState::MissingLocally,
        });
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &str, body: &str) -> LocalMigration {
        LocalMigration::new(&format!("{v}_x.sql"), body.to_string()).unwrap()
    }

    #[test]
    fn file_names() {
        assert_eq!(parse_file_name("20260101000000_init.sql"), Some(("20260101000000".into(), "init".into())));
        assert_eq!(parse_file_name("20260101000000_init.sql.backup"), None);
        assert_eq!(parse_file_name("2026_init.sql"), None);
    }

    #[test]
    fn versions_are_unique_and_increasing() {
        let now = NaiveDateTime::parse_from_str("20260101000000", VERSION_FORMAT).unwrap();
        let taken: BTreeSet<String> = ["20260101000000".to_string()].into();
        assert_eq!(next_versions(now, &taken, 2).unwrap(), vec!["20260101000001", "20260101000002"]);
        assert_eq!(next_versions(now, &BTreeSet::new(), 1).unwrap(), vec!["20260101000000"]);
        // After a version at the end of time there is none left (never 15 digits).
        let end: BTreeSet<String> = ["99999999999999".to_string()].into();
        assert_eq!(next_versions(now, &end, 2), None);
        // Regression: later in the same second as a taken version (found by CI).
        let later = now + Duration::milliseconds(500);
        assert_eq!(next_versions(later, &taken, 1).unwrap(), vec!["20260101000001"]);
        // A run of many files ends at the clock: never 13 minutes ahead of it.
        let old: BTreeSet<String> = ["20251201000000".to_string()].into();
        let run = next_versions(now, &old, 400).unwrap();
        assert_eq!((run[0].as_str(), run[399].as_str()), ("20251231235321", "20260101000000"));
        // Right after such a run, the next one goes only as far past the clock as it must.
        let taken: BTreeSet<String> = run.into_iter().collect();
        let next = next_versions(now + Duration::seconds(1), &taken, 3).unwrap();
        assert_eq!(next, vec!["20260101000001", "20260101000002", "20260101000003"]);
        let roomy = next_versions(now + Duration::seconds(10), &taken, 3).unwrap();
        assert_eq!(roomy, vec!["20260101000008", "20260101000009", "20260101000010"]);
    }

    #[test]
    fn sum_detects_edits_and_reordering() {
        let files = vec![m("20260101000000", "a"), m("20260101000001", "b")];
        let sum = sum_file(&files);
        assert_eq!(verify_sum(&files, Some(&sum)), None);
        let edited = vec![m("20260101000000", "a2"), m("20260101000001", "b")];
        assert_eq!(verify_sum(&edited, Some(&sum)), Some(SumProblem::Mismatch { file: "20260101000000_x.sql".into() }));
        assert_eq!(
            verify_sum(&files[..1], Some(&sum)),
            Some(SumProblem::Removed { file: "20260101000001_x.sql".into() })
        );
        assert_eq!(verify_sum(&files, None), Some(SumProblem::Missing));
    }

    #[test]
    fn only_sql_changes_count_as_modifications() {
        let base = "CREATE TABLE t (a text DEFAULT 'x  y');\nSELECT 1;\n";
        let same = "-- note\r\nCREATE  TABLE t\r\n  (a text /* why */ DEFAULT 'x  y');\r\n\\d t\r\n\r\nSELECT 1;";
        assert_eq!(normalized_checksum(base), normalized_checksum(same));
        // Inside quotes every byte counts.
        assert_ne!(normalized_checksum(base), normalized_checksum(&base.replace("x  y", "x y")));
        assert_ne!(normalized_checksum(base), normalized_checksum(&base.replace("text", "varchar")));
        let m = LocalMigration::new("20260101000000_x.sql", same.into()).unwrap();
        assert!(m.matches(&checksum(same)) && m.matches(&normalized_checksum(base)));
    }

    #[test]
    fn byte_order_marks_and_crlf_never_change_the_normalized_checksum() {
        let body = "-- Generated by schemaspec.\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$;\nDO $x$\nBEGIN\n  PERFORM 1;\nEND\n$x$;\n";
        let crlf = body.replace('\n', "\r\n");
        let bom = format!("\u{feff}{body}");
        assert_eq!(normalized_checksum(body), normalized_checksum(&crlf));
        assert_eq!(normalized_checksum(body), normalized_checksum(&bom));
        assert_eq!(normalized_checksum(body), normalized_checksum(&format!("\u{feff}{crlf}")));
        // A file recorded by an earlier version (its CRLF body counted) still matches.
        let m = LocalMigration::new("20260101000000_x.sql", crlf.clone()).unwrap();
        assert!(m.matches(&checksum(&normalize_v1(&crlf))));
        assert!(!m.matches(&checksum(&normalize_v1(&crlf.replace("RETURN 1", "RETURN 2")))));
    }

    #[test]
    fn baseline_supersedes_older_unapplied_files() {
        let old = m("20260101000000", "a");
        let base = LocalMigration::new("20260102000000_b.sql", "-- x\n-- schemaspec:baseline 20260102000000\nb".into())
            .unwrap();
        let states: Vec<MigrationState> =
            reconcile(&[old.clone(), base.clone()], &[]).into_iter().map(|s| s.state).collect();
        assert_eq!(states, vec![MigrationState::Superseded, MigrationState::Pending]);
        assert_eq!(replayable(&[old, base.clone()]), vec![base]);
    }

    #[test]
    fn reconcile_states() {
        let local = vec![m("20260101000000", "a"), m("20260101000001", "b"), m("20260101000003", "d")];
        let applied = vec![
            AppliedMigration {
                version: "20260101000000".into(),
                name: "x".into(),
                checksum: checksum("changed"),
                success: true,
            },
            AppliedMigration {
                version: "20260101000002".into(),
                name: "y".into(),
                checksum: "c".into(),
                success: true,
            },
        ];
        let states: Vec<MigrationState> = reconcile(&local, &applied).into_iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            vec![
                MigrationState::Modified,
                MigrationState::OutOfOrder,
                MigrationState::MissingLocally,
                MigrationState::Pending
            ]
        );
    }
}
