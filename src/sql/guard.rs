//! Typed guards: the conditions over `pg_catalog` that make generated statements safe to
//! run twice, built as values and rendered in one place. Building a condition flattens
//! nested `And`/`Or`, drops repeated terms, folds constants (two literals compared,
//! `true`/`false` terms) and, inside an `And`, treats every conjunct as known in the
//! others (so "the view exists AND (the view exists AND ...)" checks once). No string
//! is ever joined with " OR ". Pure: no I/O.

use crate::ident::{dollar_quote, literal};

/// One side of a comparison: a literal known when the plan is made, or an expression
/// PostgreSQL evaluates when the migration runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A constant, already written as SQL (`'v'`, `NULL`, `ARRAY['a']::text[]`).
    Const(String),
    /// An expression over the catalog.
    Sql(String),
}

impl Value {
    /// A text constant.
    pub fn text(s: &str) -> Value {
        Value::Const(literal(s))
    }

    fn sql(&self) -> &str {
        match self {
            Value::Const(s) | Value::Sql(s) => s,
        }
    }
}

/// A boolean condition over the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    True,
    False,
    /// `EXISTS (query)`.
    Exists(String),
    /// A boolean expression that is none of the other forms (`to_regprocedure(..) IS NOT NULL`).
    Holds(String),
    /// `current IS DISTINCT FROM desired`.
    Differs(Value, Value),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    pub fn exists(query: impl Into<String>) -> Cond {
        Cond::Exists(query.into())
    }

    pub fn holds(expr: impl Into<String>) -> Cond {
        Cond::Holds(expr.into())
    }

    /// `current IS DISTINCT FROM desired`, folded when both are constants.
    pub fn differs(current: Value, desired: Value) -> Cond {
        match (&current, &desired) {
            (Value::Const(a), Value::Const(b)) => Cond::from(a != b),
            (Value::Const(_) | Value::Sql(_), _) => Cond::Differs(current, desired),
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(c: Cond) -> Cond {
        match c {
            Cond::True => Cond::False,
            Cond::False => Cond::True,
            Cond::Not(inner) => *inner,
            other => Cond::Not(Box::new(other)),
        }
    }

    pub fn and(terms: impl IntoIterator<Item = Cond>) -> Cond {
        let mut flat = Vec::new();
        for t in terms {
            match t {
                Cond::True => {}
                Cond::False => return Cond::False,
                Cond::And(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        dedup(&mut flat);
        // Each conjunct is known to hold while the others are evaluated.
        let mut i = 0;
        while i < flat.len() {
            let known = flat[i].clone();
            let mut changed = false;
            for (j, term) in flat.iter_mut().enumerate() {
                if j != i {
                    let simpler = term.assuming(&known);
                    if simpler != *term {
                        *term = simpler;
                        changed = true;
                    }
                }
            }
            if changed {
                return Cond::and(flat);
            }
            i += 1;
        }
        match flat.len() {
            0 => Cond::True,
            1 => flat.pop().unwrap_or(Cond::True),
            _ => Cond::And(flat),
        }
    }

    pub fn or(terms: impl IntoIterator<Item = Cond>) -> Cond {
        let mut flat = Vec::new();
        for t in terms {
            match t {
                Cond::False => {}
                Cond::True => return Cond::True,
                Cond::Or(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        dedup(&mut flat);
        match flat.len() {
            0 => Cond::False,
            1 => flat.pop().unwrap_or(Cond::False),
            _ => Cond::Or(flat),
        }
    }

    /// This condition where `known` holds (every occurrence of it replaced by true).
    fn assuming(&self, known: &Cond) -> Cond {
        if self == known {
            return Cond::True;
        }
        match self {
            Cond::Not(inner) => Cond::not(inner.assuming(known)),
            Cond::And(terms) => Cond::and(terms.iter().map(|t| t.assuming(known))),
            Cond::Or(terms) => Cond::or(terms.iter().map(|t| t.assuming(known))),
            Cond::True | Cond::False | Cond::Exists(_) | Cond::Holds(_) | Cond::Differs(..) => self.clone(),
        }
    }

    /// The condition as a SQL boolean expression.
    pub fn sql(&self) -> String {
        self.render(0)
    }

    /// `depth` 1 is a term of the outermost `AND`: an `OR` there gets a line per term,
    /// the layout long guards are easiest to read in.
    fn render(&self, depth: usize) -> String {
        match self {
            Cond::True => "true".into(),
            Cond::False => "false".into(),
            Cond::Exists(q) => format!("EXISTS ({q})"),
            Cond::Holds(e) => e.clone(),
            Cond::Differs(a, b) => format!("{} IS DISTINCT FROM {}", a.sql(), b.sql()),
            Cond::Not(inner) => match inner.as_ref() {
                Cond::Exists(_) => format!("NOT {}", inner.render(depth + 2)),
                other => format!("NOT ({})", other.render(depth + 2)),
            },
            Cond::And(terms) => {
                let nested = if depth == 0 { 1 } else { depth + 1 };
                terms.iter().map(|t| t.render(nested)).collect::<Vec<_>>().join(" AND ")
            }
            Cond::Or(terms) if depth == 1 => {
                let lines: Vec<String> = terms.iter().map(|t| t.render(2)).collect();
                format!("(\n      {}\n    )", lines.join("\n      OR "))
            }
            Cond::Or(terms) => {
                let joined = terms.iter().map(|t| t.render(depth + 1)).collect::<Vec<_>>().join(" OR ");
                if depth == 0 {
                    joined
                } else {
                    format!("({joined})")
                }
            }
        }
    }
}

impl From<bool> for Cond {
    fn from(b: bool) -> Cond {
        if b {
            Cond::True
        } else {
            Cond::False
        }
    }
}

fn dedup(terms: &mut Vec<Cond>) {
    let mut seen: Vec<Cond> = Vec::with_capacity(terms.len());
    terms.retain(|t| {
        if seen.contains(t) {
            false
        } else {
            seen.push(t.clone());
            true
        }
    });
}

/// `body` (one statement or several, without their last semicolon) made to run only
/// while `cond` holds: `None` when it never does, the bare statement when it always
/// does, otherwise a `DO` block that evaluates `cond` with an empty search_path, so
/// definitions and types PostgreSQL prints are qualified exactly as schemaspec read them.
pub fn guarded(cond: &Cond, body: &str) -> Option<String> {
    let block = match cond {
        Cond::False => return None,
        Cond::True => return Some(format!("{body};")),
        other => format!(
            "\nDECLARE\n  saved text := pg_catalog.current_setting('search_path');\n  needed boolean;\nBEGIN\n  \
             PERFORM pg_catalog.set_config('search_path', '', true);\n  needed := ({});\n  \
             PERFORM pg_catalog.set_config('search_path', saved, true);\n  IF needed THEN\n    {body};\n  END IF;\nEND\n",
            other.sql()
        ),
    };
    Some(format!("DO {};", dollar_quote(&block, "schemaspec")))
}

/// `body` run only while `query` returns no row. The query looks objects up by their
/// qualified names and prints nothing, so it needs no search_path of its own.
pub fn missing(query: &str, body: &str) -> String {
    let block = format!("\nBEGIN\n  IF {} THEN\n    {body};\n  END IF;\nEND\n", Cond::not(Cond::exists(query)).sql());
    format!("DO {};", dollar_quote(&block, "schemaspec"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(k: &str) -> Cond {
        Cond::differs(Value::text(k), Value::text("v"))
    }

    #[test]
    fn constants_fold() {
        assert_eq!(kind("v"), Cond::False);
        assert_eq!(kind("m"), Cond::True);
        assert_eq!(Cond::or([kind("v"), Cond::holds("x")]), Cond::holds("x"));
        assert_eq!(Cond::and([Cond::True, Cond::holds("x")]), Cond::holds("x"));
        assert_eq!(Cond::and([kind("v"), Cond::holds("x")]), Cond::False);
        assert_eq!(Cond::not(Cond::not(Cond::exists("q"))), Cond::exists("q"));
    }

    #[test]
    fn repeated_terms_are_checked_once() {
        let exists = Cond::exists("SELECT 1 FROM pg_class");
        let differs = Cond::differs(Value::Sql("a".into()), Value::text("b"));
        let view = Cond::and([exists.clone(), differs.clone()]);
        let c = Cond::and([exists.clone(), Cond::or([view, Cond::holds("y")])]);
        assert_eq!(c, Cond::And(vec![exists.clone(), Cond::Or(vec![differs, Cond::holds("y")])]));
        assert_eq!(Cond::or([exists.clone(), exists.clone()]), exists);
        assert_eq!(c.sql(), "EXISTS (SELECT 1 FROM pg_class) AND (\n      a IS DISTINCT FROM 'b'\n      OR y\n    )");
    }

    #[test]
    fn guards_render_by_shape() {
        assert_eq!(guarded(&Cond::False, "DROP VIEW v"), None);
        assert_eq!(guarded(&Cond::True, "DROP VIEW v").as_deref(), Some("DROP VIEW v;"));
        let created = missing("SELECT 1", "CREATE TYPE t AS ENUM ('a')");
        assert!(created.contains("IF NOT EXISTS (SELECT 1) THEN\n    CREATE TYPE t AS ENUM ('a');"), "{created}");
        let other = guarded(&Cond::holds("x IS NULL"), "SELECT 1").unwrap();
        assert!(other.contains("needed := (x IS NULL);"), "{other}");
        let nested = Cond::and([Cond::exists("a"), Cond::not(Cond::and([Cond::exists("b"), Cond::holds("c")]))]);
        assert_eq!(nested.sql(), "EXISTS (a) AND NOT (EXISTS (b) AND c)");
    }
}
