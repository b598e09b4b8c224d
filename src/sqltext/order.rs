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
//!
//! `layers` goes one step further for the loader: it groups the ordered statements into
//! layers whose statements can run at the same time over several connections. A
//! statement waits for the last earlier statement that changed a name it mentions, and a
//! statement that changes a name also waits for every earlier one that read it, so a
//! layer gives the same result as running the statements one by one in order. What this
//! cannot classify (DO blocks, DML, extensions, default privileges, grants on all tables
//! in a schema) runs alone, with nothing before or after it crossing.
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
    /// Every name it mentions, as `Names` ids, sorted and without repeats (ids, not
    /// strings: at 20,000 statements the strings were 70 MB).
    mentions: Vec<u32>,
    /// How the statement may run beside others, and the names whose objects it changes.
    reach: Reach,
    /// It is a `CREATE TABLE`: others mentioning its name may lock it (a foreign key
    /// takes a SHARE ROW EXCLUSIVE lock on the table it references).
    creates_table: bool,
    /// What a partial reload of the desired state does with it (see `touches`).
    touch: TouchKind,
}

/// How a partial reload of the desired state (`plan::reload`) treats a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TouchKind {
    /// Creates or changes the relations, types, sequences or routines it names, or what
    /// belongs to them (columns, keys, indexes, triggers, policies, rules, grants,
    /// comments): reloaded with those objects.
    Local,
    /// Creates or changes a schema or an extension: the part copied into a partial
    /// load reproduces it; a change to one reloads everything.
    Global,
    /// Acts on what exists at its place in the order (a session setting, default
    /// privileges, a grant on all tables in a schema): runs at its place in every
    /// partial load.
    Ordered,
    /// Anything else (DO blocks, data, object kinds a reload does not follow): the
    /// files holding one are always loaded whole.
    Opaque,
}

/// What one statement touches, for a partial reload of the desired state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touch {
    /// The names (without schema) of the objects it creates or changes.
    pub names: Vec<String>,
    /// Every name it mentions (words and names written as literals).
    pub mentions: BTreeSet<String>,
    pub kind: TouchKind,
}

/// What each statement touches (see `Touch`).
pub fn touches(statements: &[&str]) -> Vec<Touch> {
    let mut names = Names::default();
    let infos: Vec<Info> = statements.iter().map(|s| info(s, &mut names)).collect();
    let mut by_id = vec![String::new(); names.len()];
    for (name, id) in names.0 {
        by_id[id as usize] = name;
    }
    infos
        .into_iter()
        .map(|inf| {
            let mut touched: Vec<String> = match inf.reach {
                Reach::Names(n) => n,
                Reach::Alone | Reach::Session => Vec::new(),
            };
            touched.extend(inf.defines);
            touched.sort();
            touched.dedup();
            let mentions = inf.mentions.iter().map(|&m| by_id[m as usize].clone()).collect();
            Touch { names: touched, mentions, kind: inf.touch }
        })
        .collect()
}

/// Object kinds a `Local` statement may create, change, grant on or comment on.
const LOCAL_KINDS: &[&str] =
    &["table", "view", "type", "domain", "sequence", "function", "procedure", "index", "policy", "trigger", "rule"];

/// See `TouchKind`. Tokens come without whitespace.
fn touch_kind(t: &[Token], reach: &Reach) -> TouchKind {
    let kw = |i: usize| match t.get(i) {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
        _ => None,
    };
    let is = |i: usize, w: &str| kw(i).as_deref() == Some(w);
    let local_kind = |i: usize| kw(i).is_some_and(|w| LOCAL_KINDS.contains(&w.as_str()));
    if *reach == Reach::Session {
        return TouchKind::Ordered;
    }
    match kw(0).as_deref() {
        Some("alter") if is(1, "default") && is(2, "privileges") => TouchKind::Ordered,
        Some("grant" | "revoke") => {
            let Some(on) = (1..t.len()).find(|&j| is(j, "on")) else { return TouchKind::Opaque };
            if is(on + 1, "all") && matches!(reach, Reach::Alone) {
                TouchKind::Ordered
            } else if is(on + 1, "schema") {
                TouchKind::Global
            } else if !matches!(reach, Reach::Names(_)) {
                TouchKind::Opaque
            } else if local_kind(on + 1) || is(on + 1, "routine") || kw(on + 1).is_none() {
                TouchKind::Local
            } else if matches!(t.get(on + 1), Some(Token::Word(_)))
                && matches!(t.get(on + 2), Some(Token::Period | Token::Comma) | None)
                || matches!(t.get(on + 1), Some(Token::Word(_))) && (is(on + 2, "to") || is(on + 2, "from"))
            {
                // `ON t TO ...`: a table (or view) named without its kind.
                TouchKind::Local
            } else {
                TouchKind::Opaque
            }
        }
        Some("create") => {
            let mut i = 1;
            while kw(i).is_some_and(|w| MODIFIERS.contains(&w.as_str()) || w == "unique" || w == "constraint") {
                i += 1;
            }
            match kw(i).as_deref() {
                Some("schema" | "extension") => TouchKind::Global,
                Some(_) if local_kind(i) && matches!(reach, Reach::Names(_)) => TouchKind::Local,
                _ => TouchKind::Opaque,
            }
        }
        Some("alter") => match kw(1).as_deref() {
            Some("schema") if matches!(reach, Reach::Names(_)) => TouchKind::Global,
            Some("materialized") if is(2, "view") && matches!(reach, Reach::Names(_)) => TouchKind::Local,
            Some(_) if local_kind(1) && matches!(reach, Reach::Names(_)) => TouchKind::Local,
            _ => TouchKind::Opaque,
        },
        Some("comment") if is(1, "on") => {
            let i = if is(2, "materialized") { 3 } else { 2 };
            if is(i, "schema") || is(i, "extension") {
                TouchKind::Global
            } else if (local_kind(i) || is(i, "column") || is(i, "constraint")) && matches!(reach, Reach::Names(_)) {
                TouchKind::Local
            } else {
                TouchKind::Opaque
            }
        }
        _ => TouchKind::Opaque,
    }
}

/// How a statement may share a layer with others.
#[derive(Clone, Debug, PartialEq)]
enum Reach {
    /// It changes only the objects with these names (and reads what it mentions).
    Names(Vec<String>),
    /// It cannot be classified: it runs alone.
    Alone,
    /// A session setting: it runs alone, on every connection.
    Session,
}

/// One group of `layers`: statements that may run at the same time, one that must run
/// alone, or a setting every connection needs. `Together` holds them in groups: the
/// statements of a group mention the same table created by another statement (the
/// first such), so they may wait for each other's locks on it (a foreign key
/// locks the table it references); a group is best kept on one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layer {
    Together(Vec<Vec<usize>>),
    Alone(usize),
    Everywhere(usize),
}

/// Words (unquoted ones lower-cased, as PostgreSQL folds them) and the dots between
/// them; `None` for `.`.
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

/// Names as small numbers, so that statements can mention thousands of them cheaply.
#[derive(Default)]
struct Names(HashMap<String, u32>);

impl Names {
    fn id(&mut self, name: String) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(name).or_insert(next)
    }

    fn get(&self, name: &str) -> Option<u32> {
        self.0.get(name).copied()
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

fn info(sql: &str, names: &mut Names) -> Info {
    let dialect = PostgreSqlDialect {};
    let Ok(raw) = Tokenizer::new(&dialect, sql).tokenize() else {
        return Info {
            defines: None,
            mentions: Vec::new(),
            reach: Reach::Alone,
            creates_table: false,
            touch: TouchKind::Opaque,
        };
    };
    let raw: Vec<Token> = raw.into_iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    let reach = reach(&raw);
    let touch = touch_kind(&raw, &reach);
    let literal_names: Vec<String> = raw
        .iter()
        .filter_map(|t| match t {
            Token::SingleQuotedString(lit) => {
                lit.rsplit('.').next().filter(|n| is_plain_name(n)).map(str::to_lowercase)
            }
            _ => None,
        })
        .collect();
    let tokens = words_of(raw);
    let word = |i: usize| tokens.get(i).and_then(|t| t.as_ref());
    let plain = |i: usize| word(i).filter(|(_, quoted)| !quoted).map(|(w, _)| w.as_str());
    let mut defines = None;
    let mut creates_table = false;
    if plain(0) == Some("create") {
        let mut i = 1;
        while plain(i).is_some_and(|w| MODIFIERS.contains(&w)) {
            i += 1;
        }
        if plain(i).is_some_and(|w| KINDS.contains(&w)) {
            creates_table = plain(i) == Some("table");
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
    // `nextval('app.ids')`, `'app.t'::regclass`: names written as literals count too.
    let mut mentions: Vec<u32> =
        tokens.into_iter().flatten().map(|(w, _)| w).chain(literal_names).map(|w| names.id(w)).collect();
    mentions.sort_unstable();
    mentions.dedup();
    Info { defines, mentions, reach, creates_table, touch }
}

fn is_plain_name(p: &str) -> bool {
    p.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A word as PostgreSQL folds it (unquoted: lower case).
fn folded(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_some() => Some(w.value.clone()),
        Token::Word(w) => Some(w.value.to_lowercase()),
        _ => None,
    }
}

/// The dotted name starting at `i` (`a`, `a.b`, `a.b.c`): its parts and the index after it.
fn dotted(t: &[Token], mut i: usize) -> Option<(Vec<String>, usize)> {
    let mut parts = vec![folded(t.get(i)?)?];
    while matches!(t.get(i + 1), Some(Token::Period)) {
        parts.push(folded(t.get(i + 2)?)?);
        i += 2;
    }
    Some((parts, i + 1))
}

/// The last part of the dotted name starting at `i` (`t` of `app.t`).
fn last_name(t: &[Token], i: usize) -> Option<String> {
    dotted(t, i).and_then(|(mut parts, _)| parts.pop())
}

/// How a statement may run beside others (see `Reach`). Tokens come without whitespace.
fn reach(t: &[Token]) -> Reach {
    let kw = |i: usize| match t.get(i) {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
        _ => None,
    };
    let is = |i: usize, w: &str| kw(i).as_deref() == Some(w);
    // The object after `on` at or after `from`: `CREATE POLICY p ON t`, `... ON t`.
    let after_on = |from: usize| -> Option<String> {
        let on = (from..t.len()).find(|&j| is(j, "on"))?;
        let mut j = on + 1;
        if is(j, "only") {
            j += 1;
        }
        last_name(t, j)
    };
    let skip_if_exists = |mut i: usize| {
        if is(i, "if") && is(i + 1, "exists") {
            i += 2;
        }
        if is(i, "only") {
            i += 1;
        }
        i
    };
    let named = |v: Option<String>| v.map_or(Reach::Alone, |n| Reach::Names(vec![n]));
    let first = kw(0);
    match first.as_deref() {
        Some("set" | "reset") => Reach::Session,
        Some("select") if t.iter().any(|x| folded(x).as_deref() == Some("set_config")) => Reach::Session,
        Some("create") => {
            let mut i = 1;
            while kw(i).is_some_and(|w| MODIFIERS.contains(&w.as_str()) && w != "temp" && w != "temporary") {
                i += 1;
            }
            if is(i, "unique") {
                i += 1;
            }
            match kw(i).as_deref() {
                Some("extension" | "temp" | "temporary") | None => Reach::Alone,
                Some(kind) if KINDS.contains(&kind) => {
                    i += 1;
                    if is(i, "if") && is(i + 1, "not") && is(i + 2, "exists") {
                        i += 3;
                    }
                    named(last_name(t, i))
                }
                Some("index") => {
                    let table = after_on(i);
                    let mut names: Vec<String> = table.into_iter().collect();
                    let mut j = i + 1;
                    if is(j, "concurrently") {
                        j += 1;
                    }
                    if is(j, "if") && is(j + 1, "not") && is(j + 2, "exists") {
                        j += 3;
                    }
                    if !is(j, "on") {
                        names.extend(last_name(t, j));
                    }
                    if names.is_empty() {
                        Reach::Alone
                    } else {
                        Reach::Names(names)
                    }
                }
                Some("policy" | "trigger" | "constraint") => named(after_on(i)),
                Some("rule") => {
                    let to = (i..t.len()).find(|&j| is(j, "to"));
                    named(to.and_then(|j| last_name(t, j + 1)))
                }
                Some(_) => Reach::Alone,
            }
        }
        // A rename or a move to another schema changes a name nothing else knows yet.
        Some("alter") if (0..t.len()).any(|j| is(j, "rename") || (is(j, "set") && is(j + 1, "schema"))) => Reach::Alone,
        Some("alter") => match kw(1).as_deref() {
            Some("policy" | "trigger") => named(after_on(2)),
            Some("materialized" | "foreign") if is(2, "view") || is(2, "table") => {
                named(last_name(t, skip_if_exists(3)))
            }
            Some(kind) if KINDS.contains(&kind) && kind != "extension" || kind == "index" => {
                // `ALTER TABLE ... ALL IN TABLESPACE` moves many tables.
                if t.iter().any(|x| folded(x).as_deref() == Some("tablespace")) && is(2, "all") {
                    return Reach::Alone;
                }
                named(last_name(t, skip_if_exists(2)))
            }
            _ => Reach::Alone,
        },
        Some("comment") if is(1, "on") => {
            let mut i = 2;
            while kw(i)
                .is_some_and(|w| ["materialized", "foreign", "text", "search", "access", "event"].contains(&w.as_str()))
            {
                i += 1;
            }
            let column = is(i, "column");
            let Some((path, next)) = dotted(t, i + 1) else { return Reach::Alone };
            if is(next, "on") {
                // `COMMENT ON CONSTRAINT c ON t`, `... POLICY p ON t`, `... TRIGGER t ON r`.
                return named(last_name(t, next + 1));
            }
            let target = if column { path.len().checked_sub(2).map(|k| path[k].clone()) } else { path.last().cloned() };
            named(target)
        }
        Some("grant" | "revoke") => {
            let Some(on) = (1..t.len()).find(|&j| is(j, "on")) else { return Reach::Alone };
            let mut i = on + 1;
            if is(i, "all") {
                // `ON ALL TABLES IN SCHEMA s` reaches whatever exists at that moment.
                return Reach::Alone;
            }
            while kw(i).is_some_and(|w| {
                ["table", "sequence", "function", "procedure", "routine", "schema", "type", "domain", "language"]
                    .contains(&w.as_str())
            }) {
                i += 1;
            }
            // Names up to TO/FROM, each without a routine's argument list.
            let mut names = Vec::new();
            while let Some((path, next)) = dotted(t, i) {
                if matches!(path.as_slice(), [w] if w == "to" || w == "from") && kw(i).is_some() {
                    break;
                }
                names.extend(path.last().cloned());
                i = next;
                if matches!(t.get(i), Some(Token::LParen)) {
                    let mut depth = 0;
                    while let Some(x) = t.get(i) {
                        match x {
                            Token::LParen => depth += 1,
                            Token::RParen => depth -= 1,
                            _ => {}
                        }
                        i += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
                if !matches!(t.get(i), Some(Token::Comma)) {
                    break;
                }
                i += 1;
            }
            if names.is_empty() {
                Reach::Alone
            } else {
                Reach::Names(names)
            }
        }
        _ => Reach::Alone,
    }
}

/// The names the statements create (without schema, folded as PostgreSQL folds them).
/// The name one statement defines (`CREATE [modifiers] KIND [IF NOT EXISTS] [schema.]name`),
/// without its schema.
pub fn defines(statement: &str) -> Option<String> {
    info(statement, &mut Names::default()).defines
}

pub fn defined_names(statements: &[&str]) -> BTreeSet<String> {
    let mut names = Names::default();
    statements.iter().filter_map(|s| info(s, &mut names).defines).collect()
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
        let plain = is_plain_name;
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

/// The order in which to run the statements: a permutation of their indexes.
fn order_of(infos: &[Info], names: &Names) -> Vec<usize> {
    let mut definers: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, inf) in infos.iter().enumerate() {
        if let Some(d) = inf.defines.as_deref().and_then(|d| names.get(d)) {
            definers[d as usize].push(i);
        }
    }
    let n = infos.len();
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    let mut last_barrier: Option<usize> = None;
    for (i, inf) in infos.iter().enumerate() {
        for &m in &inf.mentions {
            for &d in &definers[m as usize] {
                // A definer after a barrier that comes before i cannot be waited for
                // without crossing it; the loader's retry handles those.
                if d != i && last_barrier.is_none_or(|b| d > b || i < b) {
                    deps[i].insert(d);
                }
            }
        }
        // Session settings are barriers.
        if inf.reach == Reach::Session {
            // Everything since the previous barrier (which itself waits for what came
            // before it).
            deps[i].extend(last_barrier.unwrap_or(0)..i);
            last_barrier = Some(i);
        } else if let Some(b) = last_barrier {
            deps[i].insert(b);
        }
    }
    // Kahn's algorithm, smallest ready index first; when stuck on a cycle, the smallest
    // remaining index goes next. Linear in the edges (a scan for the next ready
    // statement made it quadratic in the statements).
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = vec![0; n];
    for (i, d) in deps.iter().enumerate() {
        waiting[i] = d.len();
        for &j in d {
            dependents[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut remaining: BTreeSet<usize> = (0..n).collect();
    let mut out = Vec::with_capacity(n);
    while let Some(next) = ready.pop_first().or_else(|| remaining.first().copied()) {
        if !remaining.remove(&next) {
            continue;
        }
        out.push(next);
        for &k in &dependents[next] {
            waiting[k] -= 1;
            if waiting[k] == 0 && remaining.contains(&k) {
                ready.insert(k);
            }
        }
    }
    out
}

/// `statements` in dependency order, grouped into layers to run one after the other;
/// the statements of a `Layer::Together` may run at the same time in any order and give
/// what running them in order gives.
pub fn layers(statements: &[&str]) -> Vec<Layer> {
    let mut names = Names::default();
    let infos: Vec<Info> = statements.iter().map(|s| info(s, &mut names)).collect();
    let order = order_of(&infos, &names);
    // Per name: the layer of its last change (0: none), and the last layer that read it.
    let mut changed: Vec<usize> = vec![0; names.len()];
    let mut read: Vec<usize> = vec![0; names.len()];
    let ids = |ns: &[String]| -> Vec<usize> { ns.iter().filter_map(|n| names.get(n)).map(|n| n as usize).collect() };
    let (mut floor, mut top) = (0, 0);
    let mut level = vec![0; statements.len()];
    for &i in &order {
        let inf = &infos[i];
        let l = match &inf.reach {
            Reach::Alone | Reach::Session => top + 1,
            Reach::Names(targets) => {
                let mut l = floor + 1;
                for &m in &inf.mentions {
                    l = l.max(changed[m as usize] + 1);
                }
                for w in ids(targets) {
                    l = l.max(read[w] + 1).max(changed[w] + 1);
                }
                l
            }
        };
        level[i] = l;
        top = top.max(l);
        match &inf.reach {
            Reach::Alone | Reach::Session => floor = l,
            Reach::Names(targets) => {
                for w in ids(targets) {
                    changed[w] = l;
                }
            }
        }
        for &m in &inf.mentions {
            read[m as usize] = read[m as usize].max(l);
        }
    }
    let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); top + 1];
    for &i in &order {
        by_level[level[i]].push(i);
    }
    let mut tables = vec![false; names.len()];
    for inf in &infos {
        if let (true, Some(d)) = (inf.creates_table, inf.defines.as_deref().and_then(|d| names.get(d))) {
            tables[d as usize] = true;
        }
    }
    // The table a statement may lock besides its own: the first other table it mentions.
    let lock_key = |i: usize| -> Option<u32> {
        let own = match &infos[i].reach {
            Reach::Names(targets) => ids(targets),
            Reach::Alone | Reach::Session => Vec::new(),
        };
        infos[i].mentions.iter().copied().find(|&m| tables[m as usize] && !own.contains(&(m as usize)))
    };
    by_level
        .into_iter()
        .filter(|l| !l.is_empty())
        .map(|l| match infos[l[0]].reach {
            Reach::Alone => Layer::Alone(l[0]),
            Reach::Session => Layer::Everywhere(l[0]),
            Reach::Names(_) => {
                let mut groups: Vec<Vec<usize>> = Vec::new();
                let mut group_of: HashMap<u32, usize> = HashMap::new();
                for i in l {
                    match lock_key(i) {
                        Some(k) => match group_of.get(&k) {
                            Some(&g) => groups[g].push(i),
                            None => {
                                group_of.insert(k, groups.len());
                                groups.push(vec![i]);
                            }
                        },
                        None => groups.push(vec![i]),
                    }
                }
                Layer::Together(groups)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dependency_order(statements: &[&str]) -> Vec<usize> {
        let mut names = Names::default();
        let infos: Vec<Info> = statements.iter().map(|s| info(s, &mut names)).collect();
        order_of(&infos, &names)
    }

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
    fn independent_tables_share_a_layer_and_users_follow_their_definers() {
        let s = [
            "CREATE SCHEMA app",
            "CREATE TABLE app.a (id int PRIMARY KEY)",
            "CREATE TABLE app.b (id int PRIMARY KEY)",
            "CREATE TABLE app.c (a_id int REFERENCES app.a (id))",
            "CREATE INDEX c_a ON app.c (a_id)",
            "COMMENT ON TABLE app.b IS 'b'",
            "GRANT SELECT ON app.a, app.b TO PUBLIC",
        ];
        use Layer::Together as T;
        assert_eq!(
            layers(&s),
            vec![T(vec![vec![0]]), T(vec![vec![1], vec![2]]), T(vec![vec![3], vec![5]]), T(vec![vec![4], vec![6]])]
        );
    }

    #[test]
    fn tables_referencing_the_same_table_are_grouped() {
        let s = [
            "CREATE TABLE p (id int PRIMARY KEY)",
            "CREATE TABLE q (id int PRIMARY KEY)",
            "CREATE TABLE a (p_id int REFERENCES p)",
            "CREATE TABLE b (q_id int REFERENCES q)",
            "CREATE TABLE c (p_id int REFERENCES p)",
        ];
        assert_eq!(layers(&s)[1], Layer::Together(vec![vec![2, 4], vec![3]]));
    }

    #[test]
    fn a_change_waits_for_earlier_readers_of_what_it_changes() {
        // `SELECT *` is expanded when the view is created: adding the column first would
        // give the view one more column than running the file in order does.
        let s = [
            "CREATE TABLE t (a int)",
            "CREATE VIEW v AS SELECT * FROM t",
            "ALTER TABLE t ADD COLUMN b int",
            "COMMENT ON COLUMN t.b IS 'later'",
        ];
        use Layer::Together as T;
        assert_eq!(layers(&s), vec![T(vec![vec![0]]), T(vec![vec![1]]), T(vec![vec![2]]), T(vec![vec![3]])]);
    }

    #[test]
    fn settings_run_everywhere_and_unknown_statements_alone() {
        let s = [
            "SET search_path = app",
            "CREATE TABLE a (id int)",
            "CREATE TABLE b (id int)",
            "DO $$ BEGIN PERFORM 1; END $$",
            "CREATE EXTENSION citext",
            "GRANT SELECT ON ALL TABLES IN SCHEMA app TO PUBLIC",
            "CREATE TABLE c (id int DEFAULT nextval('app.ids'))",
            "CREATE SEQUENCE app.ids",
            "ALTER TABLE a RENAME TO z",
        ];
        use Layer::{Alone as A, Everywhere as E, Together as T};
        assert_eq!(
            layers(&s),
            vec![E(0), T(vec![vec![1], vec![2]]), A(3), A(4), A(5), T(vec![vec![7]]), T(vec![vec![6]]), A(8)],
            "the sequence named in a literal comes before the table using it"
        );
    }

    #[test]
    fn targets_of_policies_triggers_grants_and_comments() {
        let t = |sql: &str| info(sql, &mut Names::default()).reach;
        let names = |v: &[&str]| Reach::Names(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(t("CREATE POLICY own ON app.t USING (true)"), names(&["t"]));
        assert_eq!(t("CREATE TRIGGER x BEFORE UPDATE OF a ON app.t FOR EACH ROW EXECUTE FUNCTION f()"), names(&["t"]));
        assert_eq!(t("CREATE UNIQUE INDEX IF NOT EXISTS i ON ONLY app.t (a)"), names(&["t", "i"]));
        assert_eq!(t("CREATE INDEX ON t (a)"), names(&["t"]));
        assert_eq!(t("GRANT EXECUTE ON FUNCTION app.f(integer, text), g() TO x"), names(&["f", "g"]));
        assert_eq!(t("REVOKE ALL ON SCHEMA app FROM PUBLIC"), names(&["app"]));
        assert_eq!(t("COMMENT ON COLUMN app.t.c IS 'x'"), names(&["t"]));
        assert_eq!(t("COMMENT ON CONSTRAINT c ON app.t IS 'x'"), names(&["t"]));
        assert_eq!(t("ALTER TABLE IF EXISTS ONLY app.t ADD COLUMN x int"), names(&["t"]));
        assert_eq!(t("CREATE TEMP TABLE x (a int)"), Reach::Alone);
        assert_eq!(t("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO x"), Reach::Alone);
        assert_eq!(t("GRANT r TO x"), Reach::Alone);
        assert_eq!(t("INSERT INTO t VALUES (1)"), Reach::Alone);
        assert_eq!(t("SELECT pg_catalog.set_config('search_path', '', false)"), Reach::Session);
    }

    #[test]
    fn cycles_fall_back_to_file_order() {
        let s = ["CREATE TABLE a (b int REFERENCES b)", "CREATE TABLE b (a int REFERENCES a)"];
        assert_eq!(dependency_order(&s), vec![0, 1]);
    }
}
