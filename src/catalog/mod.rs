//! The schema model: a pure, deterministic picture of what a database contains.
//!
//! Both sides of a diff are `Catalog`s built by `pg::introspect` from `pg_catalog`. Every
//! map is a `BTreeMap`, so iteration order (and with it every file schemaspec writes) is
//! the same for the same database. Definitions that PostgreSQL can print itself
//! (`pg_get_indexdef`, `pg_get_viewdef`, `pg_get_functiondef`, ...) are kept as its text:
//! both sides are read with an empty `search_path`, so the text is fully qualified and
//! comparable. This module must not depend on I/O.

use crate::ident::QualifiedName;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Every object schemaspec manages: the node of the dependency graph, the sort key of
/// the plan and the subject of every error.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectId {
    Schema(String),
    Extension(String),
    Collation(QualifiedName),
    Type(QualifiedName),
    Sequence(QualifiedName),
    Function(QualifiedName, String),
    Table(QualifiedName),
    Column(QualifiedName, String),
    Constraint(QualifiedName, String),
    Index(QualifiedName),
    View(QualifiedName),
    Trigger(QualifiedName, String),
    Policy(QualifiedName, String),
    EventTrigger(String),
    /// An extended statistics object (`CREATE STATISTICS`).
    Statistics(QualifiedName),
    /// A rule on a table or view (`CREATE RULE`), other than a view's own `_RETURN`.
    Rule(QualifiedName, String),
    /// An object known by its definition alone (see `Defined`): its kind, schema ("" for
    /// objects outside schemas) and reference as statements name it.
    Defined(DefinedKind, String, String),
    /// Default privileges of (role, schema or "" for all schemas, kind of object).
    DefaultPrivileges(String, String, DefaultObjects),
    Publication(String),
}

impl ObjectId {
    /// The relations this one may live inside: a column or trigger belongs to a table
    /// or a view (which one, only a catalog knows); constraints and policies to tables.
    pub fn parents(&self) -> Vec<ObjectId> {
        match self {
            ObjectId::Column(t, _) | ObjectId::Trigger(t, _) | ObjectId::Rule(t, _) => {
                vec![ObjectId::Table(t.clone()), ObjectId::View(t.clone())]
            }
            ObjectId::Constraint(t, _) | ObjectId::Policy(t, _) => vec![ObjectId::Table(t.clone())],
            ObjectId::Schema(_)
            | ObjectId::Extension(_)
            | ObjectId::Type(_)
            | ObjectId::Sequence(_)
            | ObjectId::Function(..)
            | ObjectId::Table(_)
            | ObjectId::Index(_)
            | ObjectId::View(_)
            | ObjectId::Collation(_)
            | ObjectId::EventTrigger(_)
            | ObjectId::Publication(_)
            | ObjectId::DefaultPrivileges(..)
            | ObjectId::Defined(..)
            | ObjectId::Statistics(_) => Vec::new(),
        }
    }

    /// The name of a table or view (relations whose drop takes what lives in them).
    pub fn relation(&self) -> Option<&QualifiedName> {
        match self {
            ObjectId::Table(q) | ObjectId::View(q) => Some(q),
            ObjectId::Schema(_)
            | ObjectId::Extension(_)
            | ObjectId::Collation(_)
            | ObjectId::Type(_)
            | ObjectId::Sequence(_)
            | ObjectId::Function(..)
            | ObjectId::Column(..)
            | ObjectId::Constraint(..)
            | ObjectId::Index(_)
            | ObjectId::Trigger(..)
            | ObjectId::Policy(..)
            | ObjectId::EventTrigger(_)
            | ObjectId::DefaultPrivileges(..)
            | ObjectId::Publication(_)
            | ObjectId::Rule(..)
            | ObjectId::Defined(..)
            | ObjectId::Statistics(_) => None,
        }
    }

    /// Whether `ALTER DEFAULT PRIVILEGES` decides the privileges this object starts
    /// with (tables and views, sequences, routines, types).
    pub fn default_privileges_apply(&self) -> bool {
        DefaultObjects::of(self).is_some_and(|d| d != DefaultObjects::Schemas)
    }

    /// The object's own name, without schema (what a statement creating it names).
    pub fn name(&self) -> &str {
        match self {
            ObjectId::Schema(s) | ObjectId::Extension(s) | ObjectId::EventTrigger(s) | ObjectId::Publication(s) => s,
            ObjectId::Collation(q)
            | ObjectId::Type(q)
            | ObjectId::Sequence(q)
            | ObjectId::Function(q, _)
            | ObjectId::Table(q)
            | ObjectId::Index(q)
            | ObjectId::View(q)
            | ObjectId::Column(q, _)
            | ObjectId::Constraint(q, _)
            | ObjectId::Trigger(q, _)
            | ObjectId::Statistics(q)
            | ObjectId::Rule(q, _)
            | ObjectId::Policy(q, _) => &q.name,
            ObjectId::DefaultPrivileges(r, _, _) => r,
            ObjectId::Defined(_, _, r) => r,
        }
    }

    /// Whether `other` is the relation this object lives inside.
    pub fn is_child_of(&self, other: &ObjectId) -> bool {
        self.parents().contains(other)
    }

    pub fn schema(&self) -> &str {
        match self {
            ObjectId::Schema(s) => s,
            ObjectId::Extension(_) | ObjectId::EventTrigger(_) | ObjectId::Publication(_) => "",
            ObjectId::DefaultPrivileges(_, s, _) | ObjectId::Defined(_, s, _) => s,
            ObjectId::Rule(q, _) => &q.schema,
            ObjectId::Type(q)
            | ObjectId::Collation(q)
            | ObjectId::Sequence(q)
            | ObjectId::Function(q, _)
            | ObjectId::Table(q)
            | ObjectId::Column(q, _)
            | ObjectId::Constraint(q, _)
            | ObjectId::Index(q)
            | ObjectId::View(q)
            | ObjectId::Trigger(q, _)
            | ObjectId::Statistics(q)
            | ObjectId::Policy(q, _) => &q.schema,
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectId::Schema(s) => write!(f, "schema {s}"),
            ObjectId::Extension(e) => write!(f, "extension {e}"),
            ObjectId::Type(q) => write!(f, "type {q}"),
            ObjectId::Collation(q) => write!(f, "collation {q}"),
            ObjectId::Sequence(q) => write!(f, "sequence {q}"),
            ObjectId::Function(q, args) => write!(f, "function {q}({args})"),
            ObjectId::Table(q) => write!(f, "table {q}"),
            ObjectId::Column(q, c) => write!(f, "column {q}.{c}"),
            ObjectId::Constraint(q, c) => write!(f, "constraint {c} on {q}"),
            ObjectId::Index(q) => write!(f, "index {q}"),
            ObjectId::Statistics(q) => write!(f, "statistics {q}"),
            ObjectId::View(q) => write!(f, "view {q}"),
            ObjectId::Trigger(q, t) => write!(f, "trigger {t} on {q}"),
            ObjectId::Policy(q, p) => write!(f, "policy {p} on {q}"),
            ObjectId::EventTrigger(n) => write!(f, "event trigger {n}"),
            ObjectId::Publication(n) => write!(f, "publication {n}"),
            ObjectId::Rule(q, r) => write!(f, "rule {r} on {q}"),
            ObjectId::Defined(k, _, r) => write!(f, "{} {r}", k.word()),
            ObjectId::DefaultPrivileges(r, s, t) => {
                let on = if s.is_empty() { String::new() } else { format!(" in schema {s}") };
                write!(f, "default privileges of {r} on {}{on}", t.keyword())
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// `server_version_num` of the server the catalog was read from.
    pub server_version: i32,
    /// The role the catalog was read as: on the live side, the role migrations run as.
    pub current_user: String,
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, Extension>,
    pub collations: BTreeMap<QualifiedName, Collation>,
    pub types: BTreeMap<QualifiedName, TypeDef>,
    pub sequences: BTreeMap<QualifiedName, Sequence>,
    pub tables: BTreeMap<QualifiedName, Table>,
    pub indexes: BTreeMap<QualifiedName, Index>,
    pub statistics: BTreeMap<QualifiedName, Statistics>,
    /// (kind, schema, name) of objects in managed schemas of kinds schemaspec does not
    /// model yet: never planned, always listed (`plan --strict` refuses them).
    #[serde(default)]
    pub unmodeled: BTreeSet<(String, String, String)>,
    /// The server's built-in types and the casts between them (see `cast_path`).
    #[serde(default)]
    pub builtin_types: BTreeSet<String>,
    #[serde(default)]
    pub casts: BTreeSet<(String, String)>,
    /// Renames the schema files declare (`-- schemaspec:renamed-from`), desired side only.
    #[serde(default)]
    pub renames: Vec<Rename>,
    pub views: BTreeMap<QualifiedName, View>,
    pub functions: BTreeMap<(QualifiedName, String), Function>,
    pub triggers: BTreeMap<(QualifiedName, String), Trigger>,
    #[serde(default)]
    pub rules: BTreeMap<(QualifiedName, String), Rule>,
    /// Objects known by their definition, keyed by their id's parts.
    #[serde(default)]
    pub defined: BTreeMap<(DefinedKind, String, String), Defined>,
    pub policies: BTreeMap<(QualifiedName, String), Policy>,
    pub event_triggers: BTreeMap<String, EventTrigger>,
    pub publications: BTreeMap<String, Publication>,
    /// Owners of schemas, relations, routines, types and collations. Compared only when
    /// ownership is managed (`manage_ownership`); see `cmd::desired_catalog`.
    pub owners: BTreeMap<ObjectId, String>,
    /// `ALTER DEFAULT PRIVILEGES` entries, keyed by (role, schema or "", type letter).
    pub default_privileges: BTreeMap<(String, String, DefaultObjects), Privileges>,
    /// Comments on any object, keyed by the object.
    pub comments: BTreeMap<ObjectId, String>,
    /// Privileges of objects whose ACL is not the default; the owner is written as
    /// `Grantee::Owner` so catalogs owned by different roles compare equal.
    pub privileges: BTreeMap<ObjectId, Privileges>,
    /// Names of types and functions that installed extensions provide (`name` and
    /// `schema.name`), mapped to the extension. Not schema state: used to find which
    /// extension a schema file relies on without creating it.
    #[serde(skip)]
    pub extension_members: BTreeMap<String, String>,
    /// For the desired side: the form PostgreSQL gives a definition when it is created
    /// again from its printed text, where that differs (see `pg/queries/normalize.sql`).
    /// A live object with that definition is the same as the desired one.
    #[serde(skip)]
    pub equivalents: BTreeMap<ObjectId, String>,
    /// `(dependent, referenced)` pairs from `pg_depend`, between managed objects.
    pub depends: Depends,
    /// Objects in a platform's schemas (not managed themselves), known by id so that
    /// the grants and comments the user gives them are.
    pub platform_objects: BTreeSet<ObjectId>,
}

/// `(dependent, referenced)` pairs, sorted and without repeats, each object kept once:
/// at 5,000 tables there are ~50,000 pairs over ~25,000 objects, and a pair of ids is
/// 160 bytes before their names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depends {
    /// Every object some pair names, sorted.
    ids: Vec<ObjectId>,
    /// Indexes into `ids`; sorted, so in the order of the objects themselves.
    pairs: Vec<(u32, u32)>,
}

impl Depends {
    /// From objects (repeats allowed) and pairs of indexes into them. The objects are
    /// sorted where they are: a second array of them would double what this costs.
    pub fn new(mut ids: Vec<ObjectId>, pairs: Vec<(u32, u32)>) -> Depends {
        let n = ids.len();
        let mut used = vec![false; n];
        for &(a, b) in &pairs {
            used[a as usize] = true;
            used[b as usize] = true;
        }
        let mut order: Vec<usize> = (0..n).filter(|&i| used[i]).collect();
        order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
        let kept = order.len();
        // target[i]: where ids[i] goes; the unused go after the used, to be cut off.
        let mut target = vec![0usize; n];
        let mut unused = kept;
        for (at, &i) in order.iter().enumerate() {
            target[i] = at;
        }
        for i in (0..n).filter(|&i| !used[i]) {
            target[i] = unused;
            unused += 1;
        }
        drop(order);
        // Apply the permutation by following its cycles.
        let mut place = target.clone();
        for i in 0..n {
            while place[i] != i {
                let t = place[i];
                ids.swap(i, t);
                place.swap(i, t);
            }
        }
        drop(place);
        ids.truncate(kept);
        // Equal neighbours become one; rank[k] is sorted position k's final index.
        let mut rank = vec![0u32; kept];
        let mut write = 0usize;
        for read in 0..kept {
            if read > 0 && ids[read] == ids[write - 1] {
                rank[read] = u32::try_from(write - 1).expect("fewer than 2^32 objects");
                continue;
            }
            ids.swap(write, read);
            rank[read] = u32::try_from(write).expect("fewer than 2^32 objects");
            write += 1;
        }
        ids.truncate(write);
        let mut pairs: Vec<(u32, u32)> =
            pairs.into_iter().map(|(a, b)| (rank[target[a as usize]], rank[target[b as usize]])).collect();
        pairs.sort_unstable();
        pairs.dedup();
        Depends { ids, pairs }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ObjectId, &ObjectId)> + '_ {
        self.pairs.iter().map(|&(a, b)| (&self.ids[a as usize], &self.ids[b as usize]))
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Keeps the pairs `keep` accepts (and the objects they name).
    pub fn retain(&mut self, mut keep: impl FnMut(&ObjectId, &ObjectId) -> bool) {
        let ids = &self.ids;
        let pairs = self.pairs.iter().copied().filter(|&(a, b)| keep(&ids[a as usize], &ids[b as usize])).collect();
        *self = Depends::new(std::mem::take(&mut self.ids), pairs);
    }
}

impl FromIterator<(ObjectId, ObjectId)> for Depends {
    fn from_iter<I: IntoIterator<Item = (ObjectId, ObjectId)>>(pairs: I) -> Depends {
        let mut index: std::collections::HashMap<ObjectId, u32> = Default::default();
        let mut ids = Vec::new();
        let mut at = |id: ObjectId| -> u32 {
            *index.entry(id).or_insert_with_key(|id| {
                ids.push(id.clone());
                u32::try_from(ids.len() - 1).expect("fewer than 2^32 objects")
            })
        };
        let pairs = pairs.into_iter().map(|(d, r)| (at(d), at(r))).collect();
        Depends::new(ids, pairs)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    pub schema: String,
    pub version: String,
    /// Installed by a platform, or living in a schema schemaspec does not manage: never
    /// dropped (it is someone else's), though files may still create it.
    pub held: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collation {
    pub name: QualifiedName,
    /// `c` libc, `i` icu, `b` builtin, `d` default.
    pub provider: String,
    pub deterministic: bool,
    pub lc_collate: Option<String>,
    pub lc_ctype: Option<String>,
    pub locale: Option<String>,
    pub rules: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    pub name: QualifiedName,
    pub kind: TypeKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeKind {
    Enum {
        labels: Vec<String>,
    },
    Domain {
        base: String,
        collation: Option<String>,
        default: Option<String>,
        not_null: bool,
        /// (name, definition) of each CHECK constraint, by name.
        checks: Vec<(String, String)>,
    },
    Composite {
        attributes: Vec<(String, String)>,
    },
    Range {
        subtype: String,
        /// Extra options as `key = value` SQL fragments (subtype_opclass, collation, ...).
        options: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub name: QualifiedName,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `OWNED BY table.column`, set after the table exists.
    pub owned_by: Option<(QualifiedName, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: QualifiedName,
    pub partitioned: bool,
    pub unlogged: bool,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// `PARTITION BY` clause of a partitioned table (`RANGE (created_at)`).
    pub partition_key: Option<String>,
    /// For a partition: its parent and bound (`FOR VALUES ...` / `DEFAULT`).
    pub partition_of: Option<(QualifiedName, String)>,
    /// Plain (non-partition) inheritance parents, in order.
    pub inherits: Vec<QualifiedName>,
    pub options: Vec<String>,
    pub replica_identity: ReplicaIdentity,
    /// Columns in attnum order; inherited ones have `local == false`.
    pub columns: Vec<Column>,
    pub constraints: BTreeMap<String, Constraint>,
    /// For a foreign table: where its rows are.
    #[serde(default)]
    pub foreign: Option<Box<Foreign>>,
}

/// A foreign table's server and options (`key=value`), and its columns' options as
/// `column:key=value`, each sorted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Foreign {
    pub server: String,
    pub options: Vec<String>,
    pub column_options: Vec<String>,
}

impl Table {
    /// A plain table with no columns or constraints yet.
    pub fn empty(name: QualifiedName) -> Table {
        Table {
            name,
            partitioned: false,
            unlogged: false,
            rls_enabled: false,
            rls_forced: false,
            partition_key: None,
            partition_of: None,
            inherits: Vec::new(),
            options: Vec::new(),
            replica_identity: ReplicaIdentity::Default,
            columns: Vec::new(),
            constraints: BTreeMap::new(),
            foreign: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicaIdentity {
    Default,
    Nothing,
    Full,
    Index(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type(atttypid, atttypmod)`, qualified where needed.
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// Boxed: few columns have one, and every column would otherwise carry its size.
    pub identity: Option<Box<Identity>>,
    /// Expression of a stored generated column.
    pub generated: Option<String>,
    /// Collation when it differs from the type's default.
    pub collation: Option<String>,
    /// `SET STORAGE` mode when it differs from the type's default.
    pub storage: Option<String>,
    /// The type's default storage mode (what `storage: None` means).
    pub type_storage: String,
    /// False for a column that exists only through inheritance.
    pub local: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub always: bool,
    pub sequence: QualifiedName,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef`: `PRIMARY KEY (id)`, `CHECK ((x > 0))`, ...
    pub definition: String,
    /// False when the constraint exists only because a parent has it.
    pub local: bool,
    /// Desired side only: the definition as the schema files write it, where
    /// PostgreSQL's printed form would not create the same constraint. Rendering uses
    /// it; comparing uses `definition`.
    #[serde(skip)]
    pub source: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
    Exclusion,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: QualifiedName,
    pub table: QualifiedName,
    /// `pg_get_indexdef`, with `ON ONLY` of partitioned parents removed.
    pub definition: String,
    /// False for an index a failed `CREATE INDEX CONCURRENTLY` left behind
    /// (`pg_index.indisvalid`): it is maintained but never used, and must be rebuilt.
    pub valid: bool,
    /// Desired side only: the schema files' own statement, where PostgreSQL's printed
    /// form would not create the same index. Rendering uses it; comparing does not.
    #[serde(skip)]
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub name: QualifiedName,
    pub materialized: bool,
    /// `pg_get_viewdef`.
    pub definition: String,
    pub options: Vec<String>,
    /// For a materialized view: whether it holds data.
    pub populated: bool,
    /// Output column names, for detecting when `CREATE OR REPLACE` cannot be used.
    pub columns: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub name: QualifiedName,
    /// `pg_get_function_identity_arguments`.
    pub identity_args: String,
    pub kind: RoutineKind,
    /// `name(argtypes)` as `regprocedure` prints it, qualified (no argument names).
    pub signature: String,
    /// How many parameters have defaults.
    pub defaults: i32,
    /// `pg_get_function_result`; empty for procedures.
    pub result: String,
    /// A complete `CREATE OR REPLACE ...` statement.
    pub definition: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoutineKind {
    Function,
    Procedure,
    Aggregate,
}

impl RoutineKind {
    /// As statements name it: `FUNCTION`, `PROCEDURE`, `AGGREGATE`.
    pub fn keyword(self) -> &'static str {
        match self {
            RoutineKind::Function => "FUNCTION",
            RoutineKind::Procedure => "PROCEDURE",
            RoutineKind::Aggregate => "AGGREGATE",
        }
    }

    /// As plans describe it.
    pub fn word(self) -> &'static str {
        match self {
            RoutineKind::Function => "function",
            RoutineKind::Procedure => "procedure",
            RoutineKind::Aggregate => "aggregate",
        }
    }
}

/// A rename the schema files declare: the object the live database has under `from`
/// is the one the files define as `to`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rename {
    Table {
        from: QualifiedName,
        to: QualifiedName,
    },
    /// `table`: the table's desired name.
    Column {
        table: QualifiedName,
        from: String,
        to: String,
    },
    Index {
        from: QualifiedName,
        to: QualifiedName,
    },
    View {
        from: QualifiedName,
        to: QualifiedName,
    },
    Sequence {
        from: QualifiedName,
        to: QualifiedName,
    },
    /// A type or domain.
    Type {
        from: QualifiedName,
        to: QualifiedName,
    },
    /// A function, procedure or aggregate (every overload of the name).
    Routine {
        from: QualifiedName,
        to: QualifiedName,
    },
}

/// An extended statistics object: what the planner is told about columns (or
/// expressions) of one table that go together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statistics {
    pub name: QualifiedName,
    pub table: QualifiedName,
    /// `pg_get_statisticsobjdef`: `CREATE STATISTICS s.n (kinds) ON a, b FROM s.t`.
    pub definition: String,
    /// `ALTER STATISTICS ... SET STATISTICS n`; `None` for the default.
    pub target: Option<i32>,
}

/// A rule on a table or view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub table: QualifiedName,
    /// `pg_get_ruledef`, without its closing semicolon.
    pub definition: String,
    pub enabled: Enabled,
}

/// Kinds of object schemaspec knows by their definition: what a changed one needs is a
/// drop and a create (or, for the options of foreign-data objects, an `ALTER ...
/// OPTIONS`). Declared in the order they are created in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DefinedKind {
    ForeignDataWrapper,
    Server,
    UserMapping,
    TextSearchDictionary,
    TextSearchConfiguration,
    Operator,
    OperatorFamily,
    OperatorClass,
    Cast,
}

impl DefinedKind {
    pub fn word(self) -> &'static str {
        match self {
            DefinedKind::ForeignDataWrapper => "foreign data wrapper",
            DefinedKind::Server => "server",
            DefinedKind::UserMapping => "user mapping",
            DefinedKind::TextSearchDictionary => "text search dictionary",
            DefinedKind::TextSearchConfiguration => "text search configuration",
            DefinedKind::Operator => "operator",
            DefinedKind::OperatorFamily => "operator family",
            DefinedKind::OperatorClass => "operator class",
            DefinedKind::Cast => "cast",
        }
    }

    /// As `DROP`, `COMMENT ON` and `ALTER ... OWNER TO` write it.
    pub fn keyword(self) -> &'static str {
        match self {
            DefinedKind::ForeignDataWrapper => "FOREIGN DATA WRAPPER",
            DefinedKind::Server => "SERVER",
            DefinedKind::UserMapping => "USER MAPPING",
            DefinedKind::TextSearchDictionary => "TEXT SEARCH DICTIONARY",
            DefinedKind::TextSearchConfiguration => "TEXT SEARCH CONFIGURATION",
            DefinedKind::Operator => "OPERATOR",
            DefinedKind::OperatorFamily => "OPERATOR FAMILY",
            DefinedKind::OperatorClass => "OPERATOR CLASS",
            DefinedKind::Cast => "CAST",
        }
    }

    /// The catalog its objects are rows of.
    pub fn class(self) -> &'static str {
        match self {
            DefinedKind::ForeignDataWrapper => "pg_foreign_data_wrapper",
            DefinedKind::Server => "pg_foreign_server",
            DefinedKind::UserMapping => "pg_user_mapping",
            DefinedKind::TextSearchDictionary => "pg_ts_dict",
            DefinedKind::TextSearchConfiguration => "pg_ts_config",
            DefinedKind::Operator => "pg_operator",
            DefinedKind::OperatorFamily => "pg_opfamily",
            DefinedKind::OperatorClass => "pg_opclass",
            DefinedKind::Cast => "pg_cast",
        }
    }
}

/// An object known by its definition (see `DefinedKind`), as `pg/queries/defined.sql`
/// writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defined {
    pub kind: DefinedKind,
    /// "" for objects outside schemas (wrappers, servers, user mappings, casts).
    pub schema: String,
    /// The object as `DROP KIND` names it: `app.english_simple`, `(app.mood AS text)`,
    /// `FOR "public" SERVER files`.
    pub reference: String,
    /// The statements that create it, options included.
    pub definition: String,
    /// The definition without its options: two objects with the same shape differ only
    /// in options, which are altered in place.
    pub shape: String,
    /// `key=value` options of a wrapper, server or user mapping, sorted; `None` for kinds
    /// without them.
    pub options: Option<Vec<String>>,
    /// A query with a row while the object exists.
    pub probe: String,
    /// For kinds with options: a query of the object's options as `text[]`.
    pub options_probe: Option<String>,
    /// A query of the object's shape as it is now: a replacement's drop runs while it
    /// differs from the desired shape, so a second run leaves the new object alone.
    pub shape_probe: String,
}

impl Defined {
    pub fn id(&self) -> ObjectId {
        ObjectId::Defined(self.kind, self.schema.clone(), self.reference.clone())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub table: QualifiedName,
    /// `pg_get_triggerdef`.
    pub definition: String,
    pub constraint: bool,
    pub enabled: Enabled,
}

/// When a trigger or event trigger fires (`tgenabled`, `evtenabled`), as
/// `session_replication_role` decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Enabled {
    /// `O`: fires in `origin` and `local` mode (the default).
    Origin,
    /// `D`: never fires.
    Disabled,
    /// `R`: fires in `replica` mode only.
    Replica,
    /// `A`: fires always.
    Always,
}

impl Enabled {
    /// The words that set this state: `DISABLE`, `ENABLE REPLICA`, `ENABLE ALWAYS`,
    /// `ENABLE` (followed by TRIGGER or RULE and the name, or alone for an event trigger).
    pub fn verb(self) -> &'static str {
        match self {
            Enabled::Disabled => "DISABLE",
            Enabled::Replica => "ENABLE REPLICA",
            Enabled::Always => "ENABLE ALWAYS",
            Enabled::Origin => "ENABLE",
        }
    }

    /// From the catalog's letter; `None` for one PostgreSQL does not write.
    pub fn from_letter(letter: &str) -> Option<Enabled> {
        match letter {
            "O" => Some(Enabled::Origin),
            "D" => Some(Enabled::Disabled),
            "R" => Some(Enabled::Replica),
            "A" => Some(Enabled::Always),
            _ => None,
        }
    }
}

impl Trigger {
    /// The schema of the function the trigger runs (`EXECUTE FUNCTION schema.f()` in
    /// its definition, printed schema-qualified).
    pub fn function_schema(&self) -> Option<&str> {
        let after =
            self.definition.rsplit_once(" EXECUTE FUNCTION ").or(self.definition.rsplit_once(" EXECUTE PROCEDURE "))?.1;
        let name = &after[..after.find('(')?];
        let mut in_quotes = false;
        for (i, ch) in name.char_indices() {
            match ch {
                '"' => in_quotes = !in_quotes,
                '.' if !in_quotes => return Some(name[..i].trim_matches('"')),
                _ => {}
            }
        }
        None
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub table: QualifiedName,
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// Role names, sorted; `public` for PUBLIC.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTrigger {
    pub name: String,
    /// `ddl_command_start`, `ddl_command_end`, `sql_drop`, `table_rewrite`, ...
    pub event: String,
    /// Command tags of `WHEN TAG IN (...)`, empty for all.
    pub tags: Vec<String>,
    pub function: QualifiedName,
    pub enabled: Enabled,
}

/// A publication (logical replication), with the tables and schemas it publishes that
/// schemaspec manages (memberships of other tables are left out of the model, and so
/// never touched).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub name: String,
    /// `FOR ALL TABLES`.
    pub all_tables: bool,
    /// The operations published, in PostgreSQL's order: `insert, update, delete, truncate`.
    pub publish: String,
    /// `publish_via_partition_root`.
    pub via_root: bool,
    pub tables: BTreeMap<QualifiedName, PublishedTable>,
    /// `TABLES IN SCHEMA` (PostgreSQL 15 and later).
    pub schemas: BTreeSet<String>,
    /// A platform's (Supabase's `supabase_realtime`): never created nor dropped by a
    /// plan; only which managed tables it publishes is.
    pub held: bool,
}

/// How a table is published: a column list and a row filter (PostgreSQL 15 and later).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedTable {
    pub columns: Option<Vec<String>>,
    /// `pg_get_expr` of the filter, schema-qualified.
    pub row_filter: Option<String>,
}

/// The effective privileges of one object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privileges {
    /// The owner's role name on the side this was read from (used when rendering).
    pub owner: String,
    pub items: std::collections::BTreeSet<AclItem>,
    /// What the ACL would be with no explicit grants (`acldefault`).
    pub defaults: std::collections::BTreeSet<AclItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AclItem {
    pub grantee: Grantee,
    /// `SELECT`, `INSERT`, `USAGE`, `EXECUTE`, ...
    pub privilege: String,
    pub grantable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grantee {
    Owner,
    Public,
    Role(String),
}

impl Catalog {
    /// Every role the catalog names: grantees, policy roles, default-privilege roles and
    /// owners (a scratch cluster needs them to load a copy of it).
    pub fn roles_mentioned(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut acl = |p: &Privileges| {
            for i in p.items.iter().chain(&p.defaults) {
                if let Grantee::Role(r) = &i.grantee {
                    out.insert(r.clone());
                }
            }
        };
        for p in self.privileges.values() {
            acl(p);
        }
        for p in self.default_privileges.values() {
            acl(p);
        }
        for (role, _, _) in self.default_privileges.keys() {
            out.insert(role.clone());
        }
        for p in self.policies.values() {
            out.extend(p.roles.iter().filter(|r| *r != "public").cloned());
        }
        out.extend(self.owners.values().cloned());
        out
    }

    /// What kind of object `id` is (a type or a domain, a view or a materialized view, a
    /// function, procedure or aggregate: the catalog knows which).
    pub fn object_kind(&self, id: &ObjectId) -> ObjectKind {
        match id {
            ObjectId::Schema(_) => ObjectKind::Schema,
            ObjectId::Extension(_) => ObjectKind::Extension,
            ObjectId::Collation(_) => ObjectKind::Collation,
            ObjectId::Type(q) => match self.types.get(q).map(|t| &t.kind) {
                Some(TypeKind::Domain { .. }) => ObjectKind::Domain,
                Some(TypeKind::Enum { .. } | TypeKind::Composite { .. } | TypeKind::Range { .. }) | None => {
                    ObjectKind::Type
                }
            },
            ObjectId::Sequence(_) => ObjectKind::Sequence,
            ObjectId::Function(q, a) => match self.functions.get(&(q.clone(), a.clone())).map(|f| f.kind) {
                Some(RoutineKind::Procedure) => ObjectKind::Procedure,
                Some(RoutineKind::Aggregate) => ObjectKind::Aggregate,
                Some(RoutineKind::Function) | None => ObjectKind::Function,
            },
            ObjectId::Table(q) => match self.tables.get(q) {
                Some(t) if t.foreign.is_some() => ObjectKind::ForeignTable,
                Some(_) | None => ObjectKind::Table,
            },
            ObjectId::Column(..) => ObjectKind::Column,
            ObjectId::Constraint(..) => ObjectKind::Constraint,
            ObjectId::Index(_) => ObjectKind::Index,
            ObjectId::Statistics(_) => ObjectKind::Statistics,
            ObjectId::View(q) => match self.views.get(q) {
                Some(v) if v.materialized => ObjectKind::MaterializedView,
                Some(_) | None => ObjectKind::View,
            },
            ObjectId::Trigger(..) => ObjectKind::Trigger,
            ObjectId::Policy(..) => ObjectKind::Policy,
            ObjectId::EventTrigger(_) => ObjectKind::EventTrigger,
            ObjectId::Publication(_) => ObjectKind::Publication,
            ObjectId::DefaultPrivileges(..) => ObjectKind::DefaultPrivileges,
            ObjectId::Rule(..) => ObjectKind::Rule,
            ObjectId::Defined(k, _, _) => ObjectKind::Defined(*k),
        }
    }

    /// Whether `ALTER ... TYPE to USING col::to` can turn a `from` column into a `to` one:
    /// the same type (another modifier), a string type on either side (PostgreSQL's I/O
    /// conversion), a cast in `pg_cast`, element by element for arrays. Types this
    /// catalog does not know as built-in (enums, domains, extension types) count as
    /// castable: the proof on a scratch database decides for them.
    pub fn cast_path(&self, from: &str, to: &str) -> bool {
        if self.builtin_types.is_empty() {
            return true;
        }
        let strings = ["text", "character varying", "character", "name", "\"char\""];
        let base = |t: &str| -> String {
            match (t.find('('), t.find(')')) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &t[..a], &t[b + 1..]),
                _ => t.to_string(),
            }
        };
        match (from.strip_suffix("[]"), to.strip_suffix("[]")) {
            (Some(a), Some(b)) => return self.cast_path(a, b),
            (Some(_), None) | (None, Some(_)) => {
                return strings.contains(&base(from).as_str()) || strings.contains(&base(to).as_str())
            }
            (None, None) => {}
        }
        let (a, b) = (base(from), base(to));
        a == b
            || strings.contains(&a.as_str())
            || strings.contains(&b.as_str())
            || !self.builtin_types.contains(&a)
            || !self.builtin_types.contains(&b)
            || self.casts.contains(&(a, b))
    }

    /// Whether the object exists in this catalog.
    pub fn contains(&self, id: &ObjectId) -> bool {
        match id {
            ObjectId::Schema(s) => self.schemas.contains_key(s),
            ObjectId::Extension(e) => self.extensions.contains_key(e),
            ObjectId::Type(q) => self.types.contains_key(q),
            ObjectId::Collation(q) => self.collations.contains_key(q),
            ObjectId::Sequence(q) => self.sequences.contains_key(q),
            ObjectId::Function(q, a) => self.functions.contains_key(&(q.clone(), a.clone())),
            ObjectId::Table(q) => self.tables.contains_key(q),
            ObjectId::Column(q, c) => {
                self.tables.get(q).is_some_and(|t| t.column(c).is_some())
                    || self.views.get(q).is_some_and(|v| v.columns.iter().any(|(n, _)| n == c))
            }
            ObjectId::Constraint(q, c) => self.tables.get(q).is_some_and(|t| t.constraints.contains_key(c)),
            ObjectId::Index(q) => self.indexes.contains_key(q),
            ObjectId::Statistics(q) => self.statistics.contains_key(q),
            ObjectId::View(q) => self.views.contains_key(q),
            ObjectId::Trigger(q, n) => self.triggers.contains_key(&(q.clone(), n.clone())),
            ObjectId::Policy(q, n) => self.policies.contains_key(&(q.clone(), n.clone())),
            ObjectId::EventTrigger(n) => self.event_triggers.contains_key(n),
            ObjectId::Publication(n) => self.publications.contains_key(n),
            ObjectId::Rule(q, n) => self.rules.contains_key(&(q.clone(), n.clone())),
            ObjectId::Defined(k, s, r) => self.defined.contains_key(&(*k, s.clone(), r.clone())),
            ObjectId::DefaultPrivileges(r, s, t) => self.default_privileges.contains_key(&(r.clone(), s.clone(), *t)),
        }
    }

    /// The relation (table or view) an object lives inside, as this catalog has it.
    pub fn parent_of(&self, id: &ObjectId) -> Option<ObjectId> {
        id.parents().into_iter().find(|p| self.contains(p))
    }

    /// Whether a live definition equals this catalog's definition of `id`, directly or in
    /// the form PostgreSQL reads it back as.
    pub fn same_definition(&self, id: &ObjectId, live: &str, desired: &str) -> bool {
        live == desired || self.equivalents.get(id).is_some_and(|e| e == live)
    }
}

/// The kinds of object `ALTER DEFAULT PRIVILEGES` applies to (`defaclobjtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DefaultObjects {
    // In the order of their catalog letters (L, S, T, f, n, r), which plans sort by.
    LargeObjects,
    Sequences,
    Types,
    Functions,
    Schemas,
    Tables,
}

impl DefaultObjects {
    /// From `pg_default_acl.defaclobjtype`; `None` for a letter PostgreSQL does not write.
    pub fn from_letter(letter: &str) -> Option<DefaultObjects> {
        match letter {
            "r" => Some(DefaultObjects::Tables),
            "S" => Some(DefaultObjects::Sequences),
            "f" => Some(DefaultObjects::Functions),
            "T" => Some(DefaultObjects::Types),
            "n" => Some(DefaultObjects::Schemas),
            "L" => Some(DefaultObjects::LargeObjects),
            _ => None,
        }
    }

    /// As `ALTER DEFAULT PRIVILEGES ... ON` names them.
    pub fn keyword(self) -> &'static str {
        match self {
            DefaultObjects::Tables => "TABLES",
            DefaultObjects::Sequences => "SEQUENCES",
            DefaultObjects::Functions => "FUNCTIONS",
            DefaultObjects::Types => "TYPES",
            DefaultObjects::Schemas => "SCHEMAS",
            DefaultObjects::LargeObjects => "LARGE OBJECTS",
        }
    }

    /// Which default privileges an object starts with, if any apply to its kind.
    pub fn of(id: &ObjectId) -> Option<DefaultObjects> {
        match id {
            ObjectId::Table(_) | ObjectId::View(_) => Some(DefaultObjects::Tables),
            ObjectId::Sequence(_) => Some(DefaultObjects::Sequences),
            ObjectId::Function(..) => Some(DefaultObjects::Functions),
            ObjectId::Type(_) => Some(DefaultObjects::Types),
            ObjectId::Schema(_) => Some(DefaultObjects::Schemas),
            ObjectId::Extension(_)
            | ObjectId::Collation(_)
            | ObjectId::Column(..)
            | ObjectId::Constraint(..)
            | ObjectId::Index(_)
            | ObjectId::Trigger(..)
            | ObjectId::Policy(..)
            | ObjectId::EventTrigger(_)
            | ObjectId::DefaultPrivileges(..)
            | ObjectId::Publication(_)
            | ObjectId::Rule(..)
            | ObjectId::Defined(..)
            | ObjectId::Statistics(_) => None,
        }
    }

    /// PostgreSQL's built-in ACL for a new object of this kind, the owner written as
    /// `Grantee::Owner`.
    pub fn builtin_acl(self) -> BTreeSet<AclItem> {
        let owner_privs: &[&str] = match self {
            DefaultObjects::Tables => &["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
            DefaultObjects::Sequences => &["USAGE", "SELECT", "UPDATE"],
            DefaultObjects::Functions => &["EXECUTE"],
            DefaultObjects::Types => &["USAGE"],
            DefaultObjects::Schemas => &["USAGE", "CREATE"],
            DefaultObjects::LargeObjects => &["SELECT", "UPDATE"],
        };
        let mut out: BTreeSet<AclItem> = owner_privs
            .iter()
            .map(|p| AclItem { grantee: Grantee::Owner, privilege: p.to_string(), grantable: false })
            .collect();
        let public = match self {
            DefaultObjects::Functions => Some("EXECUTE"),
            DefaultObjects::Types => Some("USAGE"),
            DefaultObjects::Tables
            | DefaultObjects::Sequences
            | DefaultObjects::Schemas
            | DefaultObjects::LargeObjects => None,
        };
        if let Some(privilege) = public {
            out.insert(AclItem { grantee: Grantee::Public, privilege: privilege.into(), grantable: false });
        }
        out
    }
}

/// What kind of object an id names, as statements write it (`COMMENT ON`, `GRANT ...
/// ON`, `ALTER ... OWNER TO`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ObjectKind {
    Schema,
    Extension,
    Collation,
    Type,
    Domain,
    Sequence,
    Function,
    Procedure,
    Aggregate,
    Table,
    Column,
    Constraint,
    Index,
    Statistics,
    View,
    MaterializedView,
    ForeignTable,
    Rule,
    Defined(DefinedKind),
    Trigger,
    Policy,
    EventTrigger,
    Publication,
    DefaultPrivileges,
}

impl ObjectKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ObjectKind::Schema => "SCHEMA",
            ObjectKind::Extension => "EXTENSION",
            ObjectKind::Collation => "COLLATION",
            ObjectKind::Type => "TYPE",
            ObjectKind::Domain => "DOMAIN",
            ObjectKind::Sequence => "SEQUENCE",
            ObjectKind::Function => "FUNCTION",
            ObjectKind::Procedure => "PROCEDURE",
            ObjectKind::Aggregate => "AGGREGATE",
            ObjectKind::Table => "TABLE",
            ObjectKind::Column => "COLUMN",
            ObjectKind::Constraint => "CONSTRAINT",
            ObjectKind::Index => "INDEX",
            ObjectKind::Statistics => "STATISTICS",
            ObjectKind::View => "VIEW",
            ObjectKind::MaterializedView => "MATERIALIZED VIEW",
            ObjectKind::ForeignTable => "FOREIGN TABLE",
            ObjectKind::Rule => "RULE",
            ObjectKind::Defined(k) => k.keyword(),
            ObjectKind::Trigger => "TRIGGER",
            ObjectKind::Policy => "POLICY",
            ObjectKind::EventTrigger => "EVENT TRIGGER",
            ObjectKind::Publication => "PUBLICATION",
            ObjectKind::DefaultPrivileges => "DEFAULT PRIVILEGES",
        }
    }
}

impl Catalog {
    /// Objects of this catalog that error messages name (`schema "utils" does not
    /// exist`, `type "citext" does not exist`): the schemas, types and extensions a
    /// scratch database needs so that statements using them can run.
    pub fn objects_named_in(&self, messages: &[String]) -> BTreeSet<ObjectId> {
        let mut out = BTreeSet::new();
        for m in messages {
            for name in quoted_names(m) {
                let name = name.trim_end_matches("[]").to_string();
                let (schema, base) = match name.split_once('.') {
                    Some((s, n)) => (Some(s.to_string()), n.to_string()),
                    None => (None, name.clone()),
                };
                if schema.is_none() && self.schemas.contains_key(&base) {
                    out.insert(ObjectId::Schema(base.clone()));
                }
                if let Some(s) = &schema {
                    if self.schemas.contains_key(s) {
                        out.insert(ObjectId::Schema(s.clone()));
                    }
                }
                for c in self.collations.keys() {
                    if c.name == base && schema.as_ref().is_none_or(|s| *s == c.schema) {
                        out.insert(ObjectId::Collation(c.clone()));
                    }
                }
                for t in self.types.keys() {
                    if t.name == base && schema.as_ref().is_none_or(|s| *s == t.schema) {
                        out.insert(ObjectId::Type(t.clone()));
                    }
                }
                // A table a foreign key or view uses: `relation "auth.users" does not exist`.
                let relation = m.starts_with("relation ");
                for t in self.tables.keys().filter(|_| relation) {
                    if t.name == base && schema.as_ref().is_none_or(|s| *s == t.schema) {
                        out.insert(ObjectId::Table(t.clone()));
                    }
                }
                // A function name comes as `f(integer)`.
                let bare = name.split('(').next().unwrap_or(&name).to_string();
                if m.starts_with("function ") {
                    let (fs, fname) = match bare.split_once('.') {
                        Some((s, n)) => (Some(s), n),
                        None => (None, bare.as_str()),
                    };
                    for (q, args) in self.functions.keys() {
                        if q.name == fname && fs.is_none_or(|s| s == q.schema) {
                            out.insert(ObjectId::Function(q.clone(), args.clone()));
                        }
                    }
                }
                if let Some(ext) = self.extension_members.get(&bare).or_else(|| self.extension_members.get(&base)) {
                    if self.extensions.contains_key(ext) {
                        out.insert(ObjectId::Extension(ext.clone()));
                    }
                }
            }
        }
        out
    }

    /// Forget the tables `unmanaged` picks and everything that belongs to them (columns,
    /// constraints, indexes, triggers, policies, owned sequences, comments, grants).
    pub fn remove_tables(&mut self, unmanaged: impl Fn(&QualifiedName) -> bool) {
        let gone: BTreeSet<QualifiedName> = self.tables.keys().filter(|q| unmanaged(q)).cloned().collect();
        if gone.is_empty() {
            return;
        }
        // The table itself, or what lives in it (its parents name it).
        let belongs = |id: &ObjectId| {
            std::iter::once(id.clone())
                .chain(id.parents())
                .any(|x| matches!(&x, ObjectId::Table(q) if gone.contains(q)))
        };
        self.tables.retain(|q, _| !gone.contains(q));
        let indexes: BTreeSet<QualifiedName> =
            self.indexes.iter().filter(|(_, i)| gone.contains(&i.table)).map(|(q, _)| q.clone()).collect();
        self.indexes.retain(|q, _| !indexes.contains(q));
        let statistics: BTreeSet<QualifiedName> =
            self.statistics.iter().filter(|(_, s)| gone.contains(&s.table)).map(|(q, _)| q.clone()).collect();
        self.statistics.retain(|q, _| !statistics.contains(q));
        let sequences: BTreeSet<QualifiedName> = self
            .sequences
            .iter()
            .filter(|(_, s)| s.owned_by.as_ref().is_some_and(|(t, _)| gone.contains(t)))
            .map(|(q, _)| q.clone())
            .collect();
        self.sequences.retain(|q, _| !sequences.contains(q));
        self.triggers.retain(|(t, _), _| !gone.contains(t));
        self.policies.retain(|(t, _), _| !gone.contains(t));
        self.rules.retain(|(t, _), _| !gone.contains(t));
        for p in self.publications.values_mut() {
            p.tables.retain(|t, _| !gone.contains(t));
        }
        let also = |id: &ObjectId| match id {
            ObjectId::Index(q) => indexes.contains(q),
            ObjectId::Statistics(q) => statistics.contains(q),
            ObjectId::Sequence(q) => sequences.contains(q),
            ObjectId::Schema(_)
            | ObjectId::Extension(_)
            | ObjectId::Collation(_)
            | ObjectId::Type(_)
            | ObjectId::Function(..)
            | ObjectId::Table(_)
            | ObjectId::Column(..)
            | ObjectId::Constraint(..)
            | ObjectId::View(_)
            | ObjectId::Trigger(..)
            | ObjectId::Policy(..)
            | ObjectId::EventTrigger(_)
            | ObjectId::DefaultPrivileges(..)
            | ObjectId::Rule(..)
            | ObjectId::Defined(..)
            | ObjectId::Publication(_) => false,
        };
        self.comments.retain(|id, _| !belongs(id) && !also(id));
        self.privileges.retain(|id, _| !belongs(id) && !also(id));
        self.owners.retain(|id, _| !belongs(id) && !also(id));
        self.depends.retain(|a, b| !belongs(a) && !belongs(b) && !also(a) && !also(b));
    }

    /// Everything of the catalog in `schemas` (a platform's), as the platform made it:
    /// the user's part there is left out (policies on its tables, triggers that run a
    /// function outside `schemas`), and so are event triggers (they would act on what is
    /// loaded next). What a scratch database is given to stand for the platform of the
    /// live database.
    pub fn within_schemas(&self, schemas: &[String]) -> Catalog {
        let inside = |s: &str| schemas.iter().any(|x| x == s);
        let keep = |q: &QualifiedName| inside(&q.schema);
        let mut c = Catalog {
            server_version: self.server_version,
            current_user: self.current_user.clone(),
            ..Catalog::default()
        };
        c.schemas = self.schemas.iter().filter(|(n, _)| inside(n)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.extensions =
            self.extensions.iter().filter(|(_, e)| inside(&e.schema)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.collations = self.collations.iter().filter(|(q, _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.types = self.types.iter().filter(|(q, _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.sequences = self.sequences.iter().filter(|(q, _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.tables = self.tables.iter().filter(|(q, _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.indexes = self.indexes.iter().filter(|(q, _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.statistics = self.statistics.iter().filter(|(q, _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.views = self.views.iter().filter(|(q, _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.functions =
            self.functions.iter().filter(|((q, _), _)| keep(q)).map(|(k, v)| (k.clone(), v.clone())).collect();
        c.triggers = self
            .triggers
            .iter()
            .filter(|((q, _), t)| keep(q) && t.function_schema().is_some_and(inside))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        c.default_privileges = self
            .default_privileges
            .iter()
            .filter(|((_, s, _), _)| inside(s))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        c.publications = self
            .publications
            .iter()
            .filter(|(_, p)| p.held)
            .map(|(n, p)| {
                let mut p = p.clone();
                p.tables.retain(|t, _| inside(&t.schema));
                p.schemas.retain(|s| inside(s));
                (n.clone(), p)
            })
            .collect();
        c.attach_from(self);
        c
    }

    /// Take `from`'s comments, privileges and owners of the objects this catalog has, and
    /// its dependencies between them.
    fn attach_from(&mut self, from: &Catalog) {
        fn kept<V: Clone>(map: &BTreeMap<ObjectId, V>, c: &Catalog) -> BTreeMap<ObjectId, V> {
            map.iter().filter(|(id, _)| c.contains(id)).map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        let (comments, privileges, owners) =
            (kept(&from.comments, self), kept(&from.privileges, self), kept(&from.owners, self));
        let depends = from
            .depends
            .iter()
            .filter(|(d, r)| self.contains(d) && self.contains(r))
            .map(|(d, r)| (d.clone(), r.clone()))
            .collect();
        (self.comments, self.privileges, self.owners, self.depends) = (comments, privileges, owners, depends);
    }

    /// The catalog without what `within_schemas(schemas)` keeps: the user's part of a
    /// live database, for a scratch database whose platform is loaded otherwise.
    pub fn without_schemas(&self, schemas: &[String]) -> Catalog {
        let inside = |s: &str| schemas.iter().any(|x| x == s);
        let keep = |q: &QualifiedName| !inside(&q.schema);
        let mut c = self.clone();
        c.schemas.retain(|n, _| !inside(n));
        c.extensions.retain(|_, e| !inside(&e.schema));
        c.collations.retain(|q, _| keep(q));
        c.types.retain(|q, _| keep(q));
        c.sequences.retain(|q, _| keep(q));
        c.tables.retain(|q, _| keep(q));
        c.indexes.retain(|q, _| keep(q));
        c.statistics.retain(|q, _| keep(q));
        c.views.retain(|q, _| keep(q));
        c.functions.retain(|(q, _), _| keep(q));
        c.triggers.retain(|(q, _), t| keep(q) || !t.function_schema().is_some_and(inside));
        c.default_privileges.retain(|(_, s, _), _| !inside(s));
        for p in c.publications.values_mut() {
            p.tables.retain(|t, _| !inside(&t.schema));
            p.schemas.retain(|s| !inside(s));
        }
        // The platform's objects bring their comments and grants with them.
        c.attach_from(self);
        c.platform_objects.clear();
        c
    }

    /// The part of this catalog that `ids` name, with the schemas they live in and the
    /// types, sequences, collations and functions they depend on. A table comes with its
    /// keys and checks (what a foreign key to it needs), not its foreign keys.
    pub fn subset(&self, ids: &BTreeSet<ObjectId>) -> Catalog {
        let mut ids = ids.clone();
        loop {
            let more: Vec<ObjectId> = self
                .depends
                .iter()
                .filter(|(dep, _)| ids.contains(dep) || dep.parents().iter().any(|p| ids.contains(p)))
                .map(|(_, referenced)| referenced)
                .filter(|r| {
                    matches!(
                        r,
                        ObjectId::Type(_) | ObjectId::Sequence(_) | ObjectId::Collation(_) | ObjectId::Function(..)
                    )
                })
                .filter(|r| !ids.contains(*r))
                .cloned()
                .collect();
            if more.is_empty() {
                break;
            }
            ids.extend(more);
        }
        let ids = &ids;
        let mut c = Catalog {
            server_version: self.server_version,
            current_user: self.current_user.clone(),
            ..Catalog::default()
        };
        let mut schemas: BTreeSet<String> = BTreeSet::new();
        for id in ids {
            match id {
                ObjectId::Schema(s) => {
                    schemas.insert(s.clone());
                }
                ObjectId::Extension(e) => {
                    if let Some(x) = self.extensions.get(e) {
                        schemas.insert(x.schema.clone());
                        c.extensions.insert(e.clone(), x.clone());
                    }
                }
                ObjectId::Collation(q) => {
                    if let Some(x) = self.collations.get(q) {
                        schemas.insert(q.schema.clone());
                        c.collations.insert(q.clone(), x.clone());
                    }
                }
                ObjectId::Type(q) => {
                    if let Some(t) = self.types.get(q) {
                        schemas.insert(q.schema.clone());
                        c.types.insert(q.clone(), t.clone());
                    }
                }
                ObjectId::Table(q) => {
                    if let Some(t) = self.tables.get(q) {
                        schemas.insert(q.schema.clone());
                        let mut t = t.clone();
                        t.constraints.retain(|_, con| con.kind != ConstraintKind::ForeignKey);
                        c.tables.insert(q.clone(), t);
                    }
                }
                ObjectId::Sequence(q) => {
                    if let Some(s) = self.sequences.get(q) {
                        schemas.insert(q.schema.clone());
                        c.sequences.insert(q.clone(), Sequence { owned_by: None, ..s.clone() });
                    }
                }
                ObjectId::Function(q, a) => {
                    if let Some(f) = self.functions.get(&(q.clone(), a.clone())) {
                        schemas.insert(q.schema.clone());
                        c.functions.insert((q.clone(), a.clone()), f.clone());
                    }
                }
                ObjectId::Column(..)
                | ObjectId::EventTrigger(_)
                | ObjectId::Constraint(..)
                | ObjectId::Index(_)
                | ObjectId::Statistics(_)
                | ObjectId::View(_)
                | ObjectId::Trigger(..)
                | ObjectId::Policy(..)
                | ObjectId::Publication(_)
                | ObjectId::Rule(..)
                | ObjectId::Defined(..)
                | ObjectId::DefaultPrivileges(..) => {}
            }
        }
        c.depends = self
            .depends
            .iter()
            .filter(|(d, r)| c.contains(d) && c.contains(r))
            .map(|(d, r)| (d.clone(), r.clone()))
            .collect();
        for s in schemas {
            if let Some(x) = self.schemas.get(&s) {
                c.schemas.insert(s, x.clone());
            }
        }
        c
    }
}

/// The names a message mentions: its double-quoted parts, and the word before
/// "does not exist" (PostgreSQL leaves some names unquoted, as in `type x.y does not
/// exist` from a function signature).
fn quoted_names(message: &str) -> Vec<String> {
    let mut names: Vec<String> = message.split('"').skip(1).step_by(2).map(str::to_string).collect();
    if let Some(before) = message.split(" does not exist").next().filter(|_| message.contains(" does not exist")) {
        if let Some(last) = before.split_whitespace().last() {
            names.push(last.trim_matches('"').to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {

    #[test]
    fn cast_paths() {
        let mut c = Catalog::default();
        for t in ["bigint", "integer", "timestamp without time zone", "uuid", "text"] {
            c.builtin_types.insert(t.to_string());
        }
        c.casts.insert(("bigint".into(), "integer".into()));
        assert!(c.cast_path("bigint", "integer"));
        assert!(!c.cast_path("bigint", "timestamp(3) without time zone"));
        assert!(!c.cast_path("uuid", "integer"));
        assert!(c.cast_path("uuid", "text") && c.cast_path("text", "uuid"));
        assert!(c.cast_path("public.mood", "integer"), "unknown types are left to the proof");
        assert!(c.cast_path("bigint[]", "integer[]") && !c.cast_path("uuid[]", "integer[]"));
        assert!(Catalog::default().cast_path("uuid", "integer"), "without the server's casts, nothing is refused");
    }

    use super::{quoted_names, Catalog, Depends, ObjectId};
    use crate::ident::QualifiedName;

    /// However the pairs come (repeated, unsorted, objects named twice or not at all),
    /// the same set is the same value, iterated in the objects' order.
    #[test]
    fn depends_is_one_canonical_set() {
        let t = |n: &str| ObjectId::Table(QualifiedName::new("s", n));
        let v = |n: &str| ObjectId::View(QualifiedName::new("s", n));
        let a: Depends = [(v("b"), t("a")), (v("a"), t("a")), (v("b"), t("a")), (v("a"), v("b"))].into_iter().collect();
        let b = Depends::new(vec![t("z"), v("a"), t("a"), v("b"), t("a")], vec![(1, 3), (3, 4), (1, 2), (3, 2)]);
        assert_eq!(a, b);
        let order: Vec<(&ObjectId, &ObjectId)> = a.iter().collect();
        assert_eq!(order, vec![(&v("a"), &t("a")), (&v("a"), &v("b")), (&v("b"), &t("a"))]);
        let mut c = a.clone();
        c.retain(|d, _| *d != v("a"));
        assert_eq!(c, [(v("b"), t("a"))].into_iter().collect::<Depends>(), "objects no pair names are gone");
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn names_in_error_messages() {
        assert_eq!(quoted_names("schema \"utils\" does not exist"), vec!["utils", "utils"]);
        assert_eq!(quoted_names("type utils.priority_level does not exist"), vec!["utils.priority_level"]);
        assert_eq!(quoted_names("function gen_id(integer) does not exist"), vec!["gen_id(integer)"]);
    }
}
