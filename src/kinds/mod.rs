//! One module per object kind. Each holds the kind's diff of matched pairs, its SQL
//! (with typed guards), its hazards, its one-line description, the objects it needs
//! first and its phase, behind [`Kind`], a trait with no default methods: adding a kind
//! is one module and one line in each dispatch, and the compiler names every other site.
//! The catalog model (`catalog`) and its queries (`pg/queries`) stay where they are.
//! Pure: no I/O.

pub mod collation;
pub mod column;
pub mod comment;
pub mod constraint;
pub mod default_privilege;
pub mod defined;
pub mod event_trigger;
pub mod extension;
pub mod function;
pub mod index;
pub mod owner;
pub mod policy;
pub mod privilege;
pub mod publication;
pub mod rename;
pub mod rule;
pub mod schema;
pub mod sequence;
pub mod statistics;
pub mod table;
pub mod trigger;
pub mod types;
pub mod view;

use crate::catalog::{DefinedKind, Grantee, ObjectId, ObjectKind};
use crate::diff::Phase;
use crate::ident::ident;
use crate::ident::QualifiedName;
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::Statement;
use std::collections::BTreeSet;

/// What every kind's change answers, for the planner and the renderer.
pub trait Kind {
    /// The object the change is about: the graph node, the sort key, the subject of
    /// every error.
    fn subject(&self) -> ObjectId;
    /// Every object the change acts on: its subject and, for a type swap, the columns
    /// it recasts (so what depends on them is ordered around it).
    fn subjects(&self) -> Vec<ObjectId>;
    /// Whether it removes something (ordered after what depends on it) or makes it.
    fn phase(&self) -> Phase;
    /// True for the change that makes an object exist (after which its other changes,
    /// comments and grants may run).
    fn is_create(&self) -> bool;
    /// A change to an object that exists which nothing built on the object waits for
    /// (comments, grants, owners, `OWNED BY`, enabled states).
    fn is_finishing_touch(&self) -> bool;
    /// Its rank among changes of the same kind of object (after `object_rank` of its
    /// subject): the stable order the graph's nodes are added in, the order people
    /// write them.
    fn rank(&self) -> u8;
    /// The steps that belong in one migration file with it (a table's columns,
    /// constraints, indexes and policies together).
    fn group(&self) -> String;
    /// The relation name it frees (a drop) or takes (a create): tables, views,
    /// sequences, indexes and index-backed constraints share one namespace.
    fn relation_name(&self) -> Option<QualifiedName>;
    /// The table or view it lives in, whose drop takes it along (indexes, columns,
    /// constraints, triggers, policies).
    fn parent_relation(&self) -> Option<QualifiedName>;
    /// Objects it needs to exist first that `pg_depend` does not say (or says the other
    /// way round).
    fn requires(&self) -> Vec<ObjectId>;
    /// What it may do to a running database; `new_tables` are created by the same plan
    /// (empty, so building on them costs nothing).
    fn hazards(&self, new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard>;
    /// One line saying what it does.
    fn describe(&self) -> String;
    /// Its SQL, safe to run twice.
    fn render(&self) -> Vec<Statement>;
    /// What it changes in place whose old form a replacement's guard must wait out: each
    /// object with a condition that holds while it is still old (a column retyped in
    /// place; a swapped type and every column it recasts).
    fn retyped(&self) -> Vec<(ObjectId, Cond)>;
    /// Its online form on a table that holds rows (see `plan::online`), when it has
    /// one; `guarded`: the plain form is a replacement's guarded drop.
    fn online(&self, tables: &Existing, guarded: bool) -> Option<Online>;
    /// For a drop: a condition that holds while the object is still there as it was.
    fn still_exists(&self) -> Option<Cond>;
    /// For a drop whose object is created again by `create`: a condition that holds
    /// while the object still differs from its desired form (`None`: no such test).
    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond>;
}

/// The group of what is done to an object that exists (its comment, grants, owner):
/// the group its own steps are in.
pub fn object_group(id: &ObjectId) -> String {
    match id {
        ObjectId::Table(q)
        | ObjectId::Column(q, _)
        | ObjectId::Constraint(q, _)
        | ObjectId::Trigger(q, _)
        | ObjectId::Rule(q, _)
        | ObjectId::Policy(q, _) => table_group(q),
        ObjectId::Defined(k, _, _) => defined_group(*k).into(),
        ObjectId::Schema(_) | ObjectId::Extension(_) => "schemas and extensions".into(),
        ObjectId::DefaultPrivileges(..) => "default privileges".into(),
        ObjectId::EventTrigger(_) => "event triggers".into(),
        ObjectId::Publication(p) => format!("publication {p}"),
        ObjectId::Type(_) | ObjectId::Collation(_) => "types".into(),
        ObjectId::Sequence(_) => "sequences".into(),
        ObjectId::Function(..) => "functions".into(),
        ObjectId::Index(q) => format!("index {q}"),
        ObjectId::Statistics(q) => format!("statistics {q}"),
        ObjectId::View(q) => format!("view {q}"),
    }
}

/// Where a change sorts among the others, by the kind of object it is about (a comment
/// or grant sorts with its object).
pub fn object_rank(id: &ObjectId) -> u8 {
    match id {
        ObjectId::Schema(_) => 0,
        ObjectId::Extension(_) | ObjectId::DefaultPrivileges(..) => 1,
        ObjectId::Type(_) | ObjectId::Collation(_) => 2,
        ObjectId::Function(..) => 3,
        ObjectId::Sequence(_) => 4,
        ObjectId::Table(_) => 5,
        ObjectId::Column(..) => 6,
        ObjectId::Constraint(..) => 7,
        ObjectId::Index(_) => 8,
        ObjectId::View(_) => 9,
        ObjectId::Trigger(..) => 10,
        ObjectId::Policy(..) => 11,
        ObjectId::EventTrigger(_) => 12,
        ObjectId::Publication(_) => 13,
        ObjectId::Statistics(_) => 14,
        ObjectId::Rule(..) => 10,
        // Foreign-data objects follow the extensions that provide their wrappers; the
        // rest use functions and types.
        ObjectId::Defined(k, _, _) => match k {
            DefinedKind::ForeignDataWrapper | DefinedKind::Server | DefinedKind::UserMapping => 2,
            DefinedKind::TextSearchDictionary
            | DefinedKind::TextSearchConfiguration
            | DefinedKind::Operator
            | DefinedKind::OperatorFamily
            | DefinedKind::OperatorClass
            | DefinedKind::Cast => 3,
        },
    }
}

/// The group the steps on an object known by its definition are in.
pub fn defined_group(kind: DefinedKind) -> &'static str {
    match kind {
        DefinedKind::ForeignDataWrapper | DefinedKind::Server | DefinedKind::UserMapping => "foreign data",
        DefinedKind::TextSearchDictionary | DefinedKind::TextSearchConfiguration => "text search",
        DefinedKind::Operator | DefinedKind::OperatorFamily | DefinedKind::OperatorClass => "operators",
        DefinedKind::Cast => "casts",
    }
}

/// `KIND name` as `COMMENT ON` and `ALTER ... OWNER TO` write it.
pub fn object_ref(id: &ObjectId, kind: ObjectKind) -> String {
    let kw = kind.keyword();
    match id {
        ObjectId::Schema(s) => format!("SCHEMA {}", ident(s)),
        ObjectId::Extension(e) => format!("EXTENSION {}", ident(e)),
        ObjectId::Type(q)
        | ObjectId::Collation(q)
        | ObjectId::Sequence(q)
        | ObjectId::Table(q)
        | ObjectId::Index(q)
        | ObjectId::Statistics(q)
        | ObjectId::View(q) => format!("{kw} {}", q.sql()),
        ObjectId::Function(q, args) => format!("{kw} {}", routine_ref(q, args, kind)),
        ObjectId::Column(q, c) => format!("COLUMN {}.{}", q.sql(), ident(c)),
        ObjectId::Constraint(q, c) => format!("CONSTRAINT {} ON {}", ident(c), q.sql()),
        ObjectId::Trigger(q, t) => format!("TRIGGER {} ON {}", ident(t), q.sql()),
        ObjectId::Policy(q, p) => format!("POLICY {} ON {}", ident(p), q.sql()),
        ObjectId::Rule(q, r) => format!("RULE {} ON {}", ident(r), q.sql()),
        ObjectId::Defined(k, _, r) => format!("{} {r}", k.keyword()),
        ObjectId::EventTrigger(n) => format!("EVENT TRIGGER {}", ident(n)),
        ObjectId::Publication(n) => format!("PUBLICATION {}", ident(n)),
        ObjectId::DefaultPrivileges(..) => String::new(),
    }
}

/// `s.f(args)`, args as PostgreSQL's identity arguments (`*` for an aggregate of none).
pub fn routine_ref(q: &QualifiedName, args: &str, kind: ObjectKind) -> String {
    if kind == ObjectKind::Aggregate && args.is_empty() {
        format!("{}(*)", q.sql())
    } else {
        format!("{}({args})", q.sql())
    }
}

/// A grantee as `GRANT ... TO` writes it (`Owner` stands for `owner`).
pub fn grantee_sql(g: &Grantee, owner: &str) -> String {
    match g {
        Grantee::Public => "PUBLIC".into(),
        Grantee::Owner => ident(owner),
        Grantee::Role(r) => ident(r),
    }
}

/// The group of a table's own steps.
pub fn table_group(q: &QualifiedName) -> String {
    format!("table {q}")
}

/// Whether every value of type `from` survives a cast to `to` unchanged.
pub(crate) fn is_widening(from: &str, to: &str) -> bool {
    let base = |t: &str| t.split('(').next().unwrap_or(t).trim().to_string();
    let arg = |t: &str| -> Option<Vec<i64>> {
        let inner = t.split_once('(')?.1.trim_end_matches(')');
        inner.split(',').map(|x| x.trim().parse().ok()).collect()
    };
    let ints = ["smallint", "integer", "bigint"];
    if let (Some(a), Some(b)) = (ints.iter().position(|t| *t == from), ints.iter().position(|t| *t == to)) {
        return b >= a;
    }
    let texty = ["character varying", "text", "character"];
    if to == "text" && texty.contains(&base(from).as_str()) {
        return true;
    }
    // Only these keep every value when their modifier grows; `vector(3)` to `vector(4)`
    // or `bit(3)` to `bit(4)` cannot cast a single row.
    let growable = ["character varying", "character", "numeric", "bit varying", "timestamp", "time"];
    if base(from) == base(to) && growable.contains(&base(from).as_str()) {
        return match (arg(from), arg(to)) {
            (Some(a), Some(b)) if a.len() == 1 && b.len() == 1 => b[0] >= a[0],
            (Some(a), Some(b)) if a.len() == 2 && b.len() == 2 => b[1] == a[1] && b[0] - b[1] >= a[0] - a[1],
            (Some(_), None) => base(to) != "character",
            _ => false,
        };
    }
    matches!((from, to), ("real", "double precision") | ("timestamp without time zone", "timestamp with time zone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_is_recognised() {
        assert!(is_widening("integer", "bigint"));
        assert!(!is_widening("bigint", "integer"));
        assert!(is_widening("character varying(10)", "character varying(20)"));
        assert!(!is_widening("character varying(20)", "character varying(10)"));
        assert!(is_widening("character varying(20)", "text"));
        assert!(is_widening("numeric(10,2)", "numeric(12,2)"));
        assert!(!is_widening("text", "integer"));
        assert!(!is_widening("vector(3)", "vector(4)"));
        assert!(!is_widening("bit(3)", "bit(4)"));
    }
}
