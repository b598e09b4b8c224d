//! Reads SQL text people wrote: splits it into statements with their lines (`split`),
//! finds what each statement defines and references and sorts files into load layers
//! (`order`), and locates statements in their source files (`source`). Used by loading,
//! lint and the commands; rendering changes to SQL is another matter (`sql`, the kinds).
//! Pure: no I/O.

pub mod order;
pub mod rename;
pub mod retarget;
pub mod source;
pub mod split;

/// What a statement does that a schema file cannot say, from its lowercase words: a
/// change to data (`INSERT`, `UPDATE`, `DELETE`, `MERGE`, `TRUNCATE`, `COPY`, also
/// behind `WITH`) or a drop. Schema files describe the state to reach; applied to a
/// database, these would be silently skipped.
pub fn not_state(words: &[String]) -> Option<NotState> {
    let data = ["insert", "update", "delete", "merge", "truncate", "copy"];
    let command = |w: &str| data.iter().copied().find(|d| *d == w);
    match words.first().map(String::as_str) {
        Some("drop") => Some(NotState::Drop),
        // Only a data-changing CTE's command: `WITH ... SELECT` reads.
        Some("with") => words.iter().find_map(|w| command(w).filter(|c| data[..4].contains(c))).map(NotState::Data),
        Some(w) => command(w).map(NotState::Data),
        None => None,
    }
}

/// See [`not_state`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotState {
    /// The command word (`insert`, `copy`, ...).
    Data(&'static str),
    Drop,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<String> {
        sql.split_whitespace().map(|w| w.trim_end_matches(';').to_lowercase()).collect()
    }

    #[test]
    fn data_and_drops_are_not_state() {
        assert_eq!(not_state(&words("INSERT INTO t VALUES (1)")), Some(NotState::Data("insert")));
        assert_eq!(not_state(&words("COPY t FROM stdin")), Some(NotState::Data("copy")));
        assert_eq!(not_state(&words("WITH x AS (SELECT 1) DELETE FROM t")), Some(NotState::Data("delete")));
        assert_eq!(not_state(&words("DROP POLICY IF EXISTS p ON t")), Some(NotState::Drop));
        for sql in [
            "CREATE TABLE t (id int)",
            "CREATE FUNCTION f() RETURNS void AS $$ DELETE FROM t $$ LANGUAGE sql",
            "COMMENT ON TABLE t IS 'x'",
            "WITH x AS (SELECT 1) SELECT * FROM x",
        ] {
            assert_eq!(not_state(&words(sql)), None, "{sql}");
        }
    }
}
