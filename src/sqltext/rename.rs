//! Rename hints: `-- schemaspec:renamed-from OLD_NAME` on the line directly above a
//! `CREATE TABLE` (the table was called OLD_NAME) or above a column line inside one (the
//! column was). Read from the schema files' text, so a rename keeps its rows instead of
//! being a drop and a create. Pure: no I/O.

use super::split::split;

/// What a hint renames, as the files write the names (quoted or not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Table {
        table: String,
    },
    Index {
        index: String,
    },
    View {
        view: String,
    },
    Sequence {
        sequence: String,
    },
    /// A type or domain.
    Type {
        type_name: String,
    },
    /// A function, procedure or aggregate.
    Routine {
        routine: String,
    },
    Column {
        table: String,
        column: String,
    },
    /// A definition of another kind: hints there are not read yet (said so, never
    /// silently ignored).
    Other {
        what: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The hint's own line.
    pub line: usize,
    pub old: String,
    pub target: Target,
}

const MARK: &str = "-- schemaspec:renamed-from ";

/// Every rename hint in `text`.
pub fn hints(text: &str) -> Vec<Hint> {
    // Most files have none: not worth splitting into statements.
    if !text.contains(MARK) {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let statements = split(text).statements;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(old) = line.trim().strip_prefix(MARK).map(str::trim).filter(|o| !o.is_empty()) else { continue };
        // The definition is on the next line that is neither blank nor a comment.
        let Some(next) = (i + 1..lines.len()).find(|&j| {
            let l = lines[j].trim();
            !l.is_empty() && !l.starts_with("--")
        }) else {
            continue;
        };
        let next_line = next + 1;
        let target = statements.iter().find_map(|st| {
            let last = st.line + st.text.lines().count().saturating_sub(1);
            if st.line == next_line {
                Some(match created(&st.text) {
                    Some(("table", table)) => Target::Table { table },
                    Some(("index", index)) => Target::Index { index },
                    Some(("view", view)) => Target::View { view },
                    Some(("sequence", sequence)) => Target::Sequence { sequence },
                    Some(("type" | "domain", type_name)) => Target::Type { type_name },
                    Some(("function" | "procedure" | "aggregate", routine)) => Target::Routine { routine },
                    Some(_) | None => {
                        Target::Other { what: st.text.split_whitespace().take(3).collect::<Vec<_>>().join(" ") }
                    }
                })
            } else if st.line < next_line && next_line <= last {
                let ("table", table) = created(&st.text)? else { return None };
                let column = first_name(lines[next].trim())?;
                Some(Target::Column { table, column })
            } else {
                None
            }
        });
        if let Some(target) = target {
            out.push(Hint { line: i + 1, old: old.to_string(), target });
        }
    }
    out
}

/// The kind (`table`, `index`, `view`, `sequence`, `type`, `domain`, `function`,
/// `procedure`, `aggregate`) and the name (as written) a `CREATE`
/// statement makes: `CREATE [OR REPLACE] [UNLOGGED | TEMP] [UNIQUE] [MATERIALIZED] KIND
/// [CONCURRENTLY] [IF NOT EXISTS] name`.
fn created(statement: &str) -> Option<(&'static str, String)> {
    let mut rest = statement.trim_start();
    let take = |word: &str, rest: &mut &str| -> bool {
        let r = rest.trim_start();
        if r.len() >= word.len()
            && r[..word.len()].eq_ignore_ascii_case(word)
            && r[word.len()..].starts_with(char::is_whitespace)
        {
            *rest = &r[word.len()..];
            true
        } else {
            false
        }
    };
    if !take("create", &mut rest) {
        return None;
    }
    let _ = take("or", &mut rest) && take("replace", &mut rest);
    let _ = take("unlogged", &mut rest) || take("temporary", &mut rest) || take("temp", &mut rest);
    let _ = take("unique", &mut rest) || take("materialized", &mut rest);
    let kind = ["table", "index", "view", "sequence", "type", "domain", "function", "procedure", "aggregate"]
        .into_iter()
        .find(|k| take(k, &mut rest))?;
    let _ = take("concurrently", &mut rest);
    if take("if", &mut rest) {
        let _ = take("not", &mut rest) && take("exists", &mut rest);
    }
    // `CREATE INDEX ON t`: no name to rename.
    let name = first_name(rest.trim_start()).filter(|n| !n.eq_ignore_ascii_case("on"))?;
    Some((kind, name))
}

/// A leading, possibly qualified and quoted, name: `a`, `"A b"`, `s.t`, `s."T"`.
fn first_name(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    loop {
        match chars.peek() {
            Some('"') => {
                out.push('"');
                chars.next();
                loop {
                    let c = chars.next()?;
                    out.push(c);
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            out.push('"');
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            Some(c) if c.is_alphanumeric() || *c == '_' || *c == '$' => {
                while let Some(&c) = chars.peek() {
                    if !(c.is_alphanumeric() || c == '_' || c == '$') {
                        break;
                    }
                    out.push(c);
                    chars.next();
                }
            }
            _ => break,
        }
        if chars.peek() == Some(&'.') {
            out.push('.');
            chars.next();
        } else {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The parts of a name as PostgreSQL reads it: unquoted parts fold to lower case.
pub fn parts(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = name.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        part.push('"');
                        continue;
                    }
                    break;
                }
                part.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
        }
        out.push(part);
        if chars.next() != Some('.') {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_column_hints() {
        let text = "-- schemaspec:renamed-from posts\nCREATE TABLE articles (\n  id int,\n  -- schemaspec:renamed-from body\n  \"Text\" text\n);\n";
        let h = hints(text);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h[0], Hint { line: 1, old: "posts".into(), target: Target::Table { table: "articles".into() } });
        assert_eq!(
            h[1],
            Hint {
                line: 4,
                old: "body".into(),
                target: Target::Column { table: "articles".into(), column: "\"Text\"".into() }
            }
        );
    }

    #[test]
    fn names_fold_like_postgresql() {
        assert_eq!(parts("App.\"Old Name\""), vec!["app".to_string(), "Old Name".to_string()]);
        assert_eq!(parts("posts"), vec!["posts".to_string()]);
    }

    #[test]
    fn qualified_names_and_other_kinds() {
        let text = "-- schemaspec:renamed-from app.old_v\nCREATE VIEW app.v AS SELECT 1;\n\n-- schemaspec:renamed-from x\n\nCREATE UNLOGGED TABLE IF NOT EXISTS app.\"T\" (id int);\n-- schemaspec:renamed-from i\nCREATE UNIQUE INDEX CONCURRENTLY j ON t (a);\n-- schemaspec:renamed-from f\nCREATE POLICY g ON t USING (true);\n";
        let h = hints(text);
        assert_eq!(h[0].target, Target::View { view: "app.v".into() });
        assert_eq!(h[1].target, Target::Table { table: "app.\"T\"".into() });
        assert_eq!(h[2].target, Target::Index { index: "j".into() });
        assert!(matches!(&h[3].target, Target::Other { .. }), "{h:?}");
    }

    #[test]
    fn hints_above_types_and_routines() {
        let text = "-- schemaspec:renamed-from mood\nCREATE TYPE app.day_mood AS ENUM ('a');\n\
                    -- schemaspec:renamed-from is_calm\nCREATE OR REPLACE FUNCTION app.is_quiet(m int) RETURNS int LANGUAGE sql AS 'SELECT 1';\n\
                    -- schemaspec:renamed-from pct\nCREATE DOMAIN percent AS int;\n";
        let targets: Vec<Target> = hints(text).into_iter().map(|h| h.target).collect();
        assert_eq!(
            targets,
            vec![
                Target::Type { type_name: "app.day_mood".into() },
                Target::Routine { routine: "app.is_quiet".into() },
                Target::Type { type_name: "percent".into() },
            ]
        );
    }
}
