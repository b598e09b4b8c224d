//! A fast pre-pass over schema statements: order them by what they define and
//! reference, so files written in any order mostly load in one pass (PostgreSQL remains
//! the parser of record: what this misses, the loader's defer-and-retry catches).
//!
//! It reads tokens with sqlparser's PostgreSQL tokenizer rather than its parser, which
//! rejects parts of PostgreSQL's grammar (procedures, DO blocks, some domain forms). A
//! statement defines the name after `CREATE [modifiers] KIND [IF NOT EXISTS]`; it
//! references every identifier it mentions. A statement moves only later, after the
//! statements defining what it mentions; one that cannot be tokenized keeps its place,
//! and session settings (`SET`, `RESET`, `set_config`) are barriers nothing crosses.
//! Pure: no I/O.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};
use std::collections::{BTreeSet, HashMap};

const KINDS: &[&str] = &[
    "table",
    "view",
    "type",
    "domain",
    "schema",
    "sequence",
    "function",
    "procedure",
    "aggregate",
    "collation",
    "extension",
];
const MODIFIERS: &[&str] =
    &["or", "replace", "temp", "temporary", "unlogged", "global", "local", "materialized", "recursive", "trusted"];

struct Info {
    defines: Option<String>,
    mentions: BTreeSet<String>,
    barrier: bool,
}

/// Words (unquoted ones lower-cased, as PostgreSQL folds them) and the dots between
/// them; `None` for `.`.
fn words(sql: &str) -> Option<Vec<Option<(String, bool)>>> {
    let dialect = PostgreSqlDialect {};
    Some(words_of(Tokenizer::new(&dialect, sql).tokenize().ok()?))
}

fn words_of(tokens: Vec<Token>) -> Vec<Option<(String, bool)>> {
    tokens
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(Some(match w.quote_style {
                Some(_) => (w.value, true),
                None => (w.value.to_lowercase(), false),
            })),
            Token::Period => Some(None),
            _ => None,
        })
        .collect()
}

fn info(sql: &str) -> Info {
    let Some(tokens) = words(sql) else {
        return Info { defines: None, mentions: BTreeSet::new(), barrier: false };
    };
    let word = |i: usize| tokens.get(i).and_then(|t| t.as_ref());
    let plain = |i: usize| word(i).filter(|(_, quoted)| !quoted).map(|(w, _)| w.as_str());
    let barrier = matches!(plain(0), Some("set" | "reset"))
        || (plain(0) == Some("select") && tokens.iter().flatten().any(|(w, _)| w == "set_config"));
    let mut defines = None;
    if plain(0) == Some("create") {
        let mut i = 1;
        while plain(i).is_some_and(|w| MODIFIERS.contains(&w)) {
            i += 1;
        }
        if plain(i).is_some_and(|w| KINDS.contains(&w)) {
            i += 1;
            if plain(i) == Some("if") && plain(i + 1) == Some("not") && plain(i + 2) == Some("exists") {
                i += 3;
            }
            // `schema.name`: the name is the word after the dot.
            defines = match (word(i), tokens.get(i + 1), word(i + 2)) {
                (Some(_), Some(None), Some((name, _))) => Some(name.clone()),
                (Some((name, _)), _, _) => Some(name.clone()),
                _ => None,
            };
        }
    }
    let mentions = tokens.into_iter().flatten().map(|(w, _)| w).collect();
    Info { defines, mentions, barrier }
}

/// The names the statements create (without schema, folded as PostgreSQL folds them).
pub fn defined_names(statements: &[&str]) -> BTreeSet<String> {
    statements.iter().filter_map(|s| info(s).defines).collect()
}

/// Names a routine's body mentions, as `(schema, name)` with `schema` when written
/// qualified: the body is the dollar- or single-quoted text of its `CREATE FUNCTION`.
/// PL/pgSQL and non-atomic SQL bodies are not in `pg_depend`, so this is what tells the
/// plan which tables, types and functions a routine reaches when it runs.
pub fn body_mentions(definition: &str) -> BTreeSet<(Option<String>, String)> {
    let dialect = PostgreSqlDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, definition).tokenize() else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for t in tokens {
        let body = match t {
            Token::DollarQuotedString(d) => d.value,
            Token::SingleQuotedString(s) => s,
            _ => continue,
        };
        let Ok(inner) = Tokenizer::new(&dialect, &body).tokenize() else { continue };
        // `nextval('seq')`, `'public.t'::regclass`: names written as literals.
        let plain = |p: &str| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        };
        for t in &inner {
            if let Token::SingleQuotedString(lit) = t {
                match lit.split('.').collect::<Vec<_>>()[..] {
                    [n] if plain(n) => out.insert((None, n.to_lowercase())),
                    [sch, n] if plain(sch) && plain(n) => out.insert((Some(sch.to_lowercase()), n.to_lowercase())),
                    _ => false,
                };
            }
        }
        let words = words_of(inner);
        for (i, w) in words.iter().enumerate() {
            let Some((name, _)) = w else { continue };
            match (i.checked_sub(2).and_then(|j| words[j].as_ref()), words.get(i.wrapping_sub(1))) {
                (Some((schema, _)), Some(None)) => out.insert((Some(schema.clone()), name.clone())),
                _ => out.insert((None, name.clone())),
            };
        }
    }
    out
}

/// The order in which to run `statements`: a permutation of their indexes.
pub fn dependency_order(statements: &[&str]) -> Vec<usize> {
    let infos: Vec<Info> = statements.iter().map(|s| info(s)).collect();
    let mut definers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, inf) in infos.iter().enumerate() {
        if let Some(d) = &inf.defines {
            definers.entry(d.as_str()).or_default().push(i);
        }
    }
    let n = statements.len();
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    let mut last_barrier: Option<usize> = None;
    for (i, inf) in infos.iter().enumerate() {
        for m in &inf.mentions {
            for &d in definers.get(m.as_str()).into_iter().flatten() {
                // A definer after a barrier that comes before i cannot be waited for
                // without crossing it; the loader's retry handles those.
                if d != i && last_barrier.is_none_or(|b| d > b || i < b) {
                    deps[i].insert(d);
                }
            }
        }
        if inf.barrier {
            deps[i].extend(0..i);
            last_barrier = Some(i);
        } else if let Some(b) = last_barrier {
            deps[i].insert(b);
        }
    }
    // Kahn's algorithm, smallest index first; when stuck on a cycle, the smallest
    // remaining index goes next.
    let mut remaining: BTreeSet<usize> = (0..n).collect();
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while let Some(&next) =
        remaining.iter().find(|&&i| deps[i].iter().all(|&d| done[d])).or_else(|| remaining.iter().next())
    {
        remaining.remove(&next);
        done[next] = true;
        out.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_move_before_their_users() {
        let s = [
            "CREATE VIEW v AS SELECT * FROM public.orders",
            "CREATE TABLE lines (order_id int REFERENCES orders(id))",
            "CREATE TABLE IF NOT EXISTS public.orders (id int PRIMARY KEY, s status)",
            "CREATE TYPE status AS ENUM ('a')",
        ];
        assert_eq!(dependency_order(&s), vec![3, 2, 0, 1]);
    }

    #[test]
    fn settings_are_barriers_and_unknown_statements_stay() {
        let s = [
            "CREATE TABLE a (b_id int REFERENCES b)",
            "SET search_path = x",
            "CREATE TABLE b (id int)",
            "DO $$ BEGIN END $$",
        ];
        assert_eq!(dependency_order(&s), vec![0, 1, 2, 3]);
    }

    #[test]
    fn routine_bodies_name_what_they_reach() {
        let def = "CREATE OR REPLACE FUNCTION public.f() RETURNS integer LANGUAGE plpgsql AS $function$\n\
                   BEGIN RETURN (SELECT count(*) FROM billing.\"Invoices\" JOIN lines USING (id)) + nextval('ids'); END\n$function$";
        let m = body_mentions(def);
        assert!(m.contains(&(Some("billing".into()), "Invoices".into())));
        assert!(m.contains(&(None, "lines".into())));
        assert!(m.contains(&(None, "ids".into())), "a sequence named in a literal");
        assert!(!m.contains(&(None, "public".into())), "names outside the body are not mentions");
    }

    #[test]
    fn cycles_fall_back_to_file_order() {
        let s = ["CREATE TABLE a (b int REFERENCES b)", "CREATE TABLE b (a int REFERENCES a)"];
        assert_eq!(dependency_order(&s), vec![0, 1]);
    }
}
