//! Retargets migration text from one schema to another: the files a schema-per-tenant
//! project generates for its template schema, run in each tenant's schema. Only where
//! SQL names a schema is the template's name replaced:
//!
//! - an identifier (unquoted, folded; or quoted, exact) that qualifies a name, as in
//!   `tenant.users` or `"tenant".users` (not after a dot: `t.tenant` is a column);
//! - an identifier after `SCHEMA` (`CREATE SCHEMA [IF NOT EXISTS] tenant`, `ON SCHEMA`,
//!   `IN SCHEMA`, `SET SCHEMA`, `WITH SCHEMA`), or in a `search_path` setting
//!   (`SET search_path = tenant, public`);
//! - inside a string literal: the whole literal (`n.nspname = 'tenant'`,
//!   `SET search_path TO 'tenant'`), or a qualifying word in it (`'tenant.users'::regclass`,
//!   `EXECUTE 'SELECT * FROM tenant.users'`);
//! - the same inside dollar-quoted bodies (routine bodies, `DO` blocks), which are SQL.
//!
//! Comments are left as they are. A table, column, alias or variable named like the
//! template used as a qualifier would be replaced too: the template's name must be used
//! for nothing else, and `cmd::tenants` proves on scratch databases that the retargeted
//! history builds what the original builds. Pure: no I/O.

/// Whether `name` can be a template or a tenant schema: a lowercase identifier that
/// needs no quoting (so it reads the same as an identifier and inside a literal) and
/// fits PostgreSQL's 63 bytes.
pub fn is_plain(name: &str) -> bool {
    !name.is_empty() && name.len() <= 63 && name.is_ascii() && crate::ident::ident(name) == name
}

use super::split::{comment_end, dollar_tag, literal_close, quoted_close};

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// Whether a dot follows position `i`, past any spaces.
fn dot_follows(b: &[u8], mut i: usize) -> bool {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    b.get(i) == Some(&b'.')
}

/// Whether a dot precedes position `i`, past any spaces.
fn dot_precedes(b: &[u8], mut i: usize) -> bool {
    while i > 0 && b[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    i > 0 && b[i - 1] == b'.'
}

/// `text` with the schema `from` replaced by `to` where it names a schema (see the
/// module). Both must be plain names (`is_plain`).
pub fn retarget(text: &str, from: &str, to: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 64);
    // The last words outside quotes, lowercase: `SCHEMA [IF [NOT] EXISTS]` before a name.
    let mut recent: Vec<String> = Vec::new();
    let after_schema = |recent: &[String]| {
        let words: Vec<&str> = recent.iter().rev().map(String::as_str).take(4).collect();
        matches!(words[..], ["schema", ..] | ["exists", "if", "schema", ..] | ["exists", "not", "if", "schema"])
    };
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(end) = comment_end(b, i) {
            i = end;
        } else if c == b'\'' {
            let (start, end) = (i + 1, literal_close(b, i));
            out.push_str(&text[copied..start]);
            out.push_str(&in_literal(&text[start..end], from, to));
            copied = end;
            i = end + 1;
            recent.push("'".into());
        } else if c == b'"' {
            let (start, name_end) = (i, quoted_close(b, i));
            i = (name_end + 1).min(b.len());
            let name = &text[start + 1..name_end];
            if name == from && names_schema(b, start, i, &recent, &after_schema) {
                out.push_str(&text[copied..start]);
                out.push_str(&format!("\"{to}\""));
                copied = i;
            }
            recent.push(name.to_lowercase());
        } else if c == b'$' && dollar_tag(b, i).is_some() {
            let close = dollar_tag(b, i).unwrap_or(i);
            let tag = &text[i..=close];
            let body_start = close + 1;
            let body_end = text[body_start..].find(tag).map_or(b.len(), |n| body_start + n);
            out.push_str(&text[copied..body_start]);
            out.push_str(&retarget(&text[body_start..body_end], from, to));
            copied = body_end;
            i = (body_end + tag.len()).min(b.len());
            recent.push("$".into());
        } else if is_ident_start(c) && (i == 0 || !is_ident_char(b[i - 1])) {
            let start = i;
            while i < b.len() && is_ident_char(b[i]) {
                i += 1;
            }
            let word = text[start..i].to_lowercase();
            if word == from && names_schema(b, start, i, &recent, &after_schema) {
                out.push_str(&text[copied..start]);
                out.push_str(to);
                copied = i;
            }
            recent.push(word);
        } else {
            if !c.is_ascii_whitespace() {
                recent.push((c as char).to_string());
            }
            i += 1;
        }
        if recent.len() > 64 {
            recent.drain(..recent.len() - 32);
        }
    }
    out.push_str(&text[copied.min(text.len())..]);
    out
}

/// Whether the name at `start..end` names a schema: it qualifies a name (a dot follows
/// and none precedes), it follows `SCHEMA`, or it is in a `search_path` setting.
fn names_schema(
    b: &[u8],
    start: usize,
    end: usize,
    recent: &[String],
    after_schema: &dyn Fn(&[String]) -> bool,
) -> bool {
    (dot_follows(b, end) && !dot_precedes(b, start)) || after_schema(recent) || in_search_path(recent)
}

/// Whether the next name is an item of `search_path TO|= a, b, ...` (`recent` ends there).
fn in_search_path(recent: &[String]) -> bool {
    let mut i = recent.len();
    while i > 0 {
        match recent[i - 1].as_str() {
            "to" | "=" => return i >= 2 && recent[i - 2] == "search_path",
            "," if i >= 2 => i -= 2,
            _ => return false,
        }
    }
    false
}

/// A string literal's content (as written, quotes doubled) retargeted: the whole of it
/// when it is the schema's name, else each qualifying word in it (a name after which a
/// dot follows, as in `'tenant.users'` or dynamic SQL), quoted or not.
fn in_literal(content: &str, from: &str, to: &str) -> String {
    if content == from {
        return to.to_string();
    }
    let b = content.as_bytes();
    let mut out = String::with_capacity(content.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' && content[i + 1..].starts_with(from) && content[i + 1 + from.len()..].starts_with("\".") {
            if !dot_precedes(b, i) {
                out.push_str(&content[copied..i + 1]);
                out.push_str(to);
                copied = i + 1 + from.len();
            }
            i += from.len() + 2;
        } else if is_ident_start(c) && (i == 0 || !is_ident_char(b[i - 1])) {
            let start = i;
            while i < b.len() && is_ident_char(b[i]) {
                i += 1;
            }
            if content[start..i].eq_ignore_ascii_case(from) && dot_follows(b, i) && !dot_precedes(b, start) {
                out.push_str(&content[copied..start]);
                out.push_str(to);
                copied = i;
            }
        } else {
            i += 1;
        }
    }
    out.push_str(&content[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sql: &str) -> String {
        retarget(sql, "tenant", "acme_1")
    }

    #[test]
    fn qualifiers_and_schema_names_are_retargeted() {
        assert_eq!(
            t("CREATE TABLE IF NOT EXISTS tenant.users (id int, tenant_id int);"),
            "CREATE TABLE IF NOT EXISTS acme_1.users (id int, tenant_id int);"
        );
        assert_eq!(t("CREATE SCHEMA IF NOT EXISTS tenant;"), "CREATE SCHEMA IF NOT EXISTS acme_1;");
        assert_eq!(t("GRANT USAGE ON SCHEMA \"tenant\" TO app;"), "GRANT USAGE ON SCHEMA \"acme_1\" TO app;");
        assert_eq!(
            t("ALTER DEFAULT PRIVILEGES IN SCHEMA tenant GRANT SELECT ON TABLES TO app"),
            "ALTER DEFAULT PRIVILEGES IN SCHEMA acme_1 GRANT SELECT ON TABLES TO app"
        );
        assert_eq!(t("SELECT \"tenant\".f(x) FROM Tenant . t"), "SELECT \"acme_1\".f(x) FROM acme_1 . t");
        assert_eq!(
            t("CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = public, tenant, pg_temp AS 'SELECT 1'"),
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = public, acme_1, pg_temp AS 'SELECT 1'"
        );
        assert_eq!(t("SET search_path TO tenant"), "SET search_path TO acme_1");
        assert_eq!(t("SET x TO tenant; SELECT a, tenant FROM t"), "SET x TO tenant; SELECT a, tenant FROM t");
        assert_eq!(
            t("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA tenant VERSION '1.6';"),
            "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA acme_1 VERSION '1.6';"
        );
    }

    #[test]
    fn other_uses_of_the_word_are_left() {
        for sql in [
            "SELECT t.tenant FROM x t",
            "CREATE TABLE other.tenant (tenant int)",
            "SELECT tenant FROM x",
            "-- tenant.users is created here\nSELECT 1",
            "/* tenant.x */ SELECT 1",
            "SELECT 'tenants.x', 'my tenant', \"tenant\"",
            "SELECT tenant_x.y, x_tenant.y",
        ] {
            assert_eq!(t(sql), sql, "{sql}");
        }
    }

    #[test]
    fn literals_that_name_the_schema_are_retargeted() {
        assert_eq!(
            t("IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy WHERE polrelid = 'tenant.notes'::regclass AND polname = 'p') THEN"),
            "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy WHERE polrelid = 'acme_1.notes'::regclass AND polname = 'p') THEN"
        );
        assert_eq!(
            t("WHERE n.nspname = 'tenant' AND t.typname = 'mood'"),
            "WHERE n.nspname = 'acme_1' AND t.typname = 'mood'"
        );
        assert_eq!(t("SET search_path TO 'tenant', 'public'"), "SET search_path TO 'acme_1', 'public'");
        assert_eq!(t("SELECT '\"tenant\".\"Notes\"'::regclass"), "SELECT '\"acme_1\".\"Notes\"'::regclass");
        assert_eq!(
            t("EXECUTE 'SELECT count(*) FROM tenant.users WHERE x = ''tenant.y'''"),
            "EXECUTE 'SELECT count(*) FROM acme_1.users WHERE x = ''acme_1.y'''"
        );
        assert_eq!(t("SELECT E'it\\'s tenant.x'"), "SELECT E'it\\'s acme_1.x'");
    }

    #[test]
    fn dollar_quoted_bodies_are_sql_too() {
        let body = "CREATE FUNCTION tenant.touch() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  PERFORM 1 FROM tenant.users; -- tenant.users\n  RETURN NEW;\nEND\n$fn$;";
        assert_eq!(
            t(body),
            "CREATE FUNCTION acme_1.touch() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  PERFORM 1 FROM acme_1.users; -- tenant.users\n  RETURN NEW;\nEND\n$fn$;"
        );
        assert_eq!(
            t("DO $$ BEGIN EXECUTE 'x'; END $$; SELECT $1, tenant.f()"),
            "DO $$ BEGIN EXECUTE 'x'; END $$; SELECT $1, acme_1.f()"
        );
    }

    #[test]
    fn retargeting_back_restores_the_text() {
        let sql = "CREATE VIEW tenant.v AS SELECT * FROM tenant.users WHERE 'tenant.x' <> n.tenant; SET search_path TO 'tenant'";
        assert_eq!(retarget(&t(sql), "acme_1", "tenant"), sql);
    }

    #[test]
    fn unterminated_text_never_panics() {
        for sql in [
            "'tenant",
            "\"tenant",
            "$x$ tenant.y",
            "/* tenant.x",
            "E'\\",
            "tenant.",
            "\"\"",
            "é tenant.x",
            "\"é",
            "'é",
            "$é$ x",
            "E'é\\",
        ] {
            let _ = t(sql);
        }
        assert_eq!(t("é tenant.x"), "é acme_1.x");
    }

    #[test]
    fn plain_names_only() {
        assert!(is_plain("tenant_001"));
        for bad in ["", "Tenant", "a b", "select", "x\"y", &"a".repeat(64)] {
            assert!(!is_plain(bad), "{bad}");
        }
    }
}
