//! Identifier and literal quoting: the one place where names become SQL text.
//!
//! Nothing else in the crate wraps a name in `format!`; it asks this module for the quoted
//! form. Pure: no I/O.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A schema-qualified object name, as PostgreSQL stores it (case preserved, unquoted).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName { schema: schema.into(), name: name.into() }
    }

    /// `"schema"."name"` with quoting only where PostgreSQL needs it.
    pub fn sql(&self) -> String {
        format!("{}.{}", ident(&self.schema), ident(&self.name))
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

/// Keywords that must be quoted when used as identifiers (PostgreSQL's reserved and
/// type/function-name keywords; quoting an unreserved one too is harmless).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_object",
    "json_objectagg",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Quote an identifier when PostgreSQL would need it (upper case, special characters,
/// leading digit, keywords); otherwise return it bare, as pg_dump does.
pub fn ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A string literal. Uses the `E''` form only when the text holds a backslash, so the
/// result means the same whatever `standard_conforming_strings` is.
/// Reads back a name as `quote_ident` prints it: `schema.name`, either part quoted or not.
pub fn parse_qualified(sql: &str) -> Option<QualifiedName> {
    let mut parts = Vec::new();
    let mut chars = sql.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.push(c);
                chars.next();
            }
        }
        parts.push(part);
        match chars.next() {
            Some('.') => continue,
            None => break,
            Some(_) => return None,
        }
    }
    match <[String; 2]>::try_from(parts) {
        Ok([schema, name]) if !schema.is_empty() && !name.is_empty() => Some(QualifiedName::new(schema, name)),
        _ => None,
    }
}

pub fn literal(text: &str) -> String {
    let body = text.replace('\'', "''");
    if text.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// Dollar-quote a body with a tag that does not occur inside it.
pub fn dollar_quote(body: &str, base: &str) -> String {
    let mut n = 0;
    loop {
        let tag = if n == 0 { format!("${base}$") } else { format!("${base}{n}$") };
        if !body.contains(&tag) {
            return format!("{tag}{body}{tag}");
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(ident("select"), "\"select\"");
        assert_eq!(ident("my-policy"), "\"my-policy\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("1abc"), "\"1abc\"");
        assert_eq!(ident(""), "\"\"");
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
    }

    #[test]
    fn qualified_names_read_back() {
        let q = QualifiedName::new("my schema", "a\"b.c");
        assert_eq!(parse_qualified(&q.sql()), Some(q));
        assert_eq!(parse_qualified("public.t"), Some(QualifiedName::new("public", "t")));
        assert_eq!(parse_qualified("t"), None);
        assert_eq!(parse_qualified("\"unterminated"), None);
    }

    #[test]
    fn dollar_quote_avoids_collisions() {
        assert_eq!(dollar_quote("x", "ss"), "$ss$x$ss$");
        assert_eq!(dollar_quote("a $ss$ b", "ss"), "$ss1$a $ss$ b$ss1$");
    }
}
