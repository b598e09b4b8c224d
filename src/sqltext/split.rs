//! Splits SQL text into statements the way psql does: semicolons inside quotes,
//! dollar-quoted bodies, comments and `BEGIN ATOMIC ... END` bodies do not end a
//! statement. psql meta-commands (a backslash starting a line outside any quote) are
//! reported with their line, never sent to the server. Pure: no I/O.

/// One statement with where it starts in the text (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlStatement {
    pub text: String,
    /// Byte offset of the statement's first character in the whole text.
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

/// A psql meta-command found in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaCommand {
    pub line: usize,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Split {
    pub statements: Vec<SqlStatement>,
    pub meta_commands: Vec<MetaCommand>,
}

/// A UTF-8 byte order mark, which some editors put first in a file: not SQL, and not
/// counted in columns.
pub const BOM: char = '\u{feff}';

/// 1-based (line, column) of a byte offset; the column counts characters (a leading
/// byte order mark aside). For one offset; `Lines` answers many of one text.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    Lines::new(text).line_col(text, offset)
}

/// Where each line of a text starts, to give the (line, column) of many offsets
/// (`line_col` of each statement of a file) without counting from the start every
/// time: that was quadratic, 0.27 s of a 2,000-table plan's start and seconds for one
/// large file.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// `line_col(text, offset)`, for the text these lines are of.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The lines that start at or before the offset; the last of them holds it.
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line - 1];
        let bom = usize::from(line_start == 0 && text.starts_with(BOM) && offset >= BOM.len_utf8());
        (line, text[line_start..offset].chars().count() + 1 - bom)
    }
}

/// The transaction-control command a statement is, if it is one (`BEGIN`, `START
/// TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `SAVEPOINT`, `RELEASE`, `PREPARE
/// TRANSACTION`, `COMMIT PREPARED`, `ROLLBACK PREPARED`): such a statement would end or
/// split the transaction schemaspec runs a migration file in.
pub fn transaction_control(sql: &str) -> Option<&'static str> {
    let words: Vec<String> = sql
        .trim_end()
        .trim_end_matches(';')
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .take(2)
        .map(str::to_ascii_lowercase)
        .collect();
    let first = words.first().map(String::as_str)?;
    let second = words.get(1).map(String::as_str);
    Some(match (first, second) {
        // BEGIN ATOMIC opens a routine body, never a statement.
        ("begin", Some("atomic")) => return None,
        ("begin", _) => "BEGIN",
        ("start", Some("transaction")) => "START TRANSACTION",
        ("commit", Some("prepared")) => "COMMIT PREPARED",
        ("rollback", Some("prepared")) => "ROLLBACK PREPARED",
        ("commit", _) => "COMMIT",
        ("end", _) => "END",
        ("rollback", _) => "ROLLBACK",
        ("abort", _) => "ABORT",
        ("savepoint", _) => "SAVEPOINT",
        ("release", _) => "RELEASE",
        ("prepare", Some("transaction")) => "PREPARE TRANSACTION",
        _ => return None,
    })
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Where a comment starting at `i` ends (`--` at its line's end, a nested `/* */` after
/// its close, or the text's end); None when no comment starts at `i`.
pub(crate) fn comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    match (b.get(i), b.get(i + 1)) {
        (Some(b'-'), Some(b'-')) => {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        }
        (Some(b'/'), Some(b'*')) => {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        }
        _ => return None,
    }
    Some(i.min(b.len()))
}

/// The closing quote of the string literal opened at `i` (doubled quotes inside; in an
/// `E'...'` string, backslash escapes too), or the text's end when it is not closed.
pub(crate) fn literal_close(b: &[u8], i: usize) -> usize {
    let escape = i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e') && (i < 2 || !is_ident_char(b[i - 2]));
    quote_close(b, i, b'\'', escape)
}

/// The closing quote of the quoted identifier opened at `i` (doubled quotes inside), or
/// the text's end when it is not closed.
pub(crate) fn quoted_close(b: &[u8], i: usize) -> usize {
    quote_close(b, i, b'"', false)
}

/// The closing `quote` of the quoted text opened at `i`: a doubled quote is one inside
/// it, and with `backslash` so is an escaped one. The text's end when it is not closed.
fn quote_close(b: &[u8], mut i: usize, quote: u8, backslash: bool) -> usize {
    i += 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The closing position of a dollar-quote tag starting at `i` (`$tag$`), if it is one.
pub(crate) fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && (is_ident_char(b[i - 1]) || b[i - 1] == b'$') {
        return None;
    }
    let mut j = i + 1;
    if j < b.len() && b[j].is_ascii_digit() {
        return None;
    }
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    (j < b.len() && b[j] == b'$').then_some(j)
}

pub fn split(text: &str) -> Split {
    let b = text.as_bytes();
    let lines = Lines::new(text);
    let mut out = Split::default();
    let mut i = 0;
    let mut start: Option<usize> = None;
    // Words at the start of the current statement, to spot CREATE FUNCTION/PROCEDURE.
    let mut words: Vec<String> = Vec::new();
    let mut atomic_depth = 0usize;
    // Like psql: a semicolon inside parentheses (a rule's action list) ends nothing.
    let mut paren_depth = 0usize;
    let mut line_has_code = false;
    let mut pieces: Vec<(usize, usize)> = Vec::new(); // parts of the statement (meta lines cut out)
    let mut piece_start: Option<usize> = None;

    macro_rules! begin {
        ($at:expr) => {
            if start.is_none() {
                start = Some($at);
            }
            if piece_start.is_none() {
                piece_start = Some($at);
            }
        };
    }

    if text.starts_with(BOM) {
        i = BOM.len_utf8();
    }
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line_has_code = false;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => i += 1,
            b'-' | b'/' if comment_end(b, i).is_some() => i = comment_end(b, i).unwrap_or(b.len()),
            b'\\' if !line_has_code => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                if let Some(ps) = piece_start.take() {
                    pieces.push((ps, i));
                }
                out.meta_commands
                    .push(MetaCommand { line: lines.line_col(text, i).0, text: text[i..end].trim_end().to_string() });
                i = end;
            }
            b'\'' => {
                begin!(i);
                line_has_code = true;
                i = (literal_close(b, i) + 1).min(b.len());
            }
            b'"' => {
                begin!(i);
                line_has_code = true;
                i = (quoted_close(b, i) + 1).min(b.len());
            }
            b'$' if dollar_tag(b, i).is_some() => {
                begin!(i);
                line_has_code = true;
                let end = dollar_tag(b, i).unwrap();
                let tag = &text[i..=end];
                i = match text[end + 1..].find(tag) {
                    Some(n) => end + 1 + n + tag.len(),
                    None => b.len(),
                };
            }
            b'(' | b')' => {
                begin!(i);
                line_has_code = true;
                paren_depth = if c == b'(' { paren_depth + 1 } else { paren_depth.saturating_sub(1) };
                i += 1;
            }
            b';' if atomic_depth == 0 && paren_depth == 0 => {
                if let Some(s) = start.take() {
                    let ps = piece_start.take().unwrap_or(s);
                    pieces.push((ps, i + 1));
                    let body: String = pieces.iter().map(|(a, z)| &text[*a..*z]).collect();
                    let (line, column) = lines.line_col(text, s);
                    out.statements.push(SqlStatement { text: body, offset: s, line, column });
                }
                pieces.clear();
                piece_start = None;
                words.clear();
                i += 1;
            }
            _ if is_ident_char(c) => {
                begin!(i);
                line_has_code = true;
                let s = i;
                while i < b.len() && (is_ident_char(b[i]) || b[i] == b'$') {
                    i += 1;
                }
                let word = text[s..i].to_ascii_lowercase();
                let routine = words.first().is_some_and(|w| w == "create")
                    && words.iter().take(4).any(|w| w == "function" || w == "procedure");
                if routine {
                    match word.as_str() {
                        "begin" => atomic_depth += 1,
                        "case" if atomic_depth > 0 => atomic_depth += 1,
                        "end" if atomic_depth > 0 => atomic_depth -= 1,
                        _ => {}
                    }
                }
                if words.len() < 8 {
                    words.push(word);
                }
            }
            _ => {
                begin!(i);
                line_has_code = true;
                i += 1;
            }
        }
    }
    if let Some(s) = start {
        let ps = piece_start.unwrap_or(s);
        pieces.push((ps, b.len()));
        let body: String = pieces.iter().map(|(a, z)| &text[*a..*z]).collect();
        if !body.trim().is_empty() {
            let (line, column) = lines.line_col(text, s);
            out.statements.push(SqlStatement { text: body.trim_end().to_string(), offset: s, line, column });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Lines` gives, at every offset of texts with a byte order mark, characters of
    /// several bytes, CRLF and blank lines, what counting from the start gives.
    #[test]
    fn lines_give_the_line_and_column_counting_from_the_start_gives() {
        let naive = |text: &str, offset: usize| {
            let mut offset = offset.min(text.len());
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let before = &text[..offset];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let bom = usize::from(line_start == 0 && before.starts_with(BOM));
            (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1 - bom)
        };
        for text in ["\u{feff}select 1;\nselect 'é€';\r\n\n  select 2;", "a\n\nb", "", "\n", "é\u{feff}x"] {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(lines.line_col(text, offset), naive(text, offset), "{text:?} at {offset}");
            }
        }
        let split = split("\u{feff}select 1;\n\n  select 'é'; select 3;\n\\echo hi\nselect 4;");
        let at: Vec<(usize, usize)> = split.statements.iter().map(|s| (s.line, s.column)).collect();
        assert_eq!(at, vec![(1, 1), (3, 3), (3, 15), (5, 1)]);
        assert_eq!(split.meta_commands[0].line, 4);
    }

    fn texts(sql: &str) -> Vec<String> {
        split(sql).statements.into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn semicolons_in_quotes_and_bodies_do_not_split() {
        let sql = "create table a (x text default ';');\n\
                   create function f() returns int as $$ select 1; $$ language sql;\n\
                   select \"a;b\" from t; -- c;\n/* x; /* nested; */ */ select 2;";
        assert_eq!(
            texts(sql),
            vec![
                "create table a (x text default ';');",
                "create function f() returns int as $$ select 1; $$ language sql;",
                "select \"a;b\" from t;",
                "select 2;"
            ]
        );
    }

    #[test]
    fn begin_atomic_bodies_stay_whole() {
        let sql = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; SELECT 3; END;\nselect 1;";
        let s = texts(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("SELECT 3; END;"));
    }

    #[test]
    fn a_rule_action_list_stays_whole() {
        let sql =
            "CREATE RULE r AS ON DELETE TO t DO INSTEAD (UPDATE t SET a = 1; INSERT INTO u VALUES (1));\nselect 1;";
        let s = texts(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("VALUES (1));"));
    }

    #[test]
    fn meta_commands_are_reported_with_lines() {
        let sql = "select 1;\n\\d users\ncreate function f() returns text as $$\n\\not meta\n$$ language sql;\n";
        let split = split(sql);
        assert_eq!(split.meta_commands, vec![MetaCommand { line: 2, text: "\\d users".into() }]);
        assert_eq!(split.statements.len(), 2);
        assert_eq!(split.statements[1].line, 3);
    }

    #[test]
    fn a_byte_order_mark_is_not_sql() {
        let s = split("\u{feff}CREATE TABLE t (a int);\nSELECT 1;").statements;
        assert_eq!(s[0].text, "CREATE TABLE t (a int);");
        assert_eq!((s[0].line, s[0].column), (1, 1));
        assert_eq!((s[1].line, s[1].column), (2, 1));
    }

    #[test]
    fn transaction_control_statements() {
        for (sql, verb) in [
            ("BEGIN;", "BEGIN"),
            ("begin transaction isolation level serializable", "BEGIN"),
            ("START TRANSACTION;", "START TRANSACTION"),
            ("COMMIT", "COMMIT"),
            ("commit and chain;", "COMMIT"),
            ("END;", "END"),
            ("ROLLBACK TO SAVEPOINT a;", "ROLLBACK"),
            ("abort;", "ABORT"),
            ("SAVEPOINT a;", "SAVEPOINT"),
            ("RELEASE SAVEPOINT a;", "RELEASE"),
            ("PREPARE TRANSACTION 'x';", "PREPARE TRANSACTION"),
            ("COMMIT PREPARED 'x';", "COMMIT PREPARED"),
        ] {
            assert_eq!(transaction_control(sql), Some(verb), "{sql}");
        }
        for sql in ["BEGIN ATOMIC SELECT 1; END", "create table begin_x ()", "PREPARE q AS SELECT 1", "ending"] {
            assert_eq!(transaction_control(sql), None, "{sql}");
        }
    }

    #[test]
    fn escape_strings_and_positions() {
        let sql = "\n\n  select E'it\\'s;';  select 'a''b;'";
        let s = split(sql).statements;
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].line, s[0].column), (3, 3));
        assert_eq!(s[1].text, "select 'a''b;'");
    }
}
