//! Renames the schema files declare (`-- schemaspec:renamed-from OLD`): a table or a
//! column keeps its rows under its new name instead of being dropped and created. The
//! differ applies them to the live catalog first, so every other kind compares the
//! renamed object with its desired form; the rename runs before anything else done to
//! it, and is a no-op once it ran.

use super::{object_group, table_group, Kind};
use crate::catalog::{Catalog, ObjectId, Rename, RoutineKind, TypeKind};
use crate::diff::Phase;
use crate::ident::{ident, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, when, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Table {
        from: QualifiedName,
        to: QualifiedName,
    },
    Column {
        table: QualifiedName,
        from: String,
        to: String,
    },
    /// An index keeps its build.
    Index {
        from: QualifiedName,
        to: QualifiedName,
    },
    /// A view keeps what depends on it.
    View {
        from: QualifiedName,
        to: QualifiedName,
        materialized: bool,
    },
    /// A sequence keeps its counter.
    Sequence {
        from: QualifiedName,
        to: QualifiedName,
    },
    /// A type or domain keeps the columns of that type.
    Type {
        from: QualifiedName,
        to: QualifiedName,
        domain: bool,
    },
    /// A routine keeps what uses it (triggers, grants). `args` and `signature` (as
    /// `regprocedure` prints it, with the old name) name types renamed in the same plan
    /// by their new names (`types`): the routine is renamed after them.
    Routine {
        from: QualifiedName,
        to: QualifiedName,
        args: String,
        signature: String,
        kind: RoutineKind,
        types: Vec<QualifiedName>,
    },
    /// A constraint of a renamed table that the files name after its new name (the same
    /// definition): renamed, not built again. `table`: the table's new name.
    Constraint {
        table: QualifiedName,
        from: String,
        to: String,
    },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Rename(c)
    }
}

/// The declared renames that apply to `live`: the old name is there and the new one is
/// not, and the desired state has the new one and not the old. Tables first, so a
/// column rename finds its table under the new name.
pub fn applicable(live: &Catalog, desired: &Catalog) -> Vec<Change> {
    let mut out = Vec::new();
    let mut renamed_tables = std::collections::BTreeMap::new();
    for r in &desired.renames {
        if let Rename::Table { from, to } = r {
            let applies = from.schema == to.schema
                && live.tables.contains_key(from)
                && !live.tables.contains_key(to)
                && desired.tables.contains_key(to)
                && !desired.tables.contains_key(from);
            if applies {
                renamed_tables.insert(to.clone(), from.clone());
                out.push(Change::Table { from: from.clone(), to: to.clone() });
            }
        }
    }
    for r in &desired.renames {
        let same_schema = |from: &QualifiedName, to: &QualifiedName| from.schema == to.schema;
        match r {
            Rename::Index { from, to }
                if same_schema(from, to)
                    && live.indexes.contains_key(from)
                    && !live.indexes.contains_key(to)
                    && desired.indexes.contains_key(to)
                    && !desired.indexes.contains_key(from) =>
            {
                out.push(Change::Index { from: from.clone(), to: to.clone() })
            }
            Rename::View { from, to }
                if same_schema(from, to)
                    && !live.views.contains_key(to)
                    && desired.views.contains_key(to)
                    && !desired.views.contains_key(from) =>
            {
                if let Some(v) = live.views.get(from) {
                    out.push(Change::View { from: from.clone(), to: to.clone(), materialized: v.materialized });
                }
            }
            Rename::Sequence { from, to }
                if same_schema(from, to)
                    && live.sequences.contains_key(from)
                    && !live.sequences.contains_key(to)
                    && desired.sequences.contains_key(to)
                    && !desired.sequences.contains_key(from) =>
            {
                out.push(Change::Sequence { from: from.clone(), to: to.clone() })
            }
            Rename::Type { from, to }
                if same_schema(from, to)
                    && !live.types.contains_key(to)
                    && desired.types.contains_key(to)
                    && !desired.types.contains_key(from) =>
            {
                if let Some(t) = live.types.get(from) {
                    let domain = matches!(t.kind, TypeKind::Domain { .. });
                    out.push(Change::Type { from: from.clone(), to: to.clone(), domain });
                }
            }
            Rename::Table { .. }
            | Rename::Column { .. }
            | Rename::Index { .. }
            | Rename::View { .. }
            | Rename::Sequence { .. }
            | Rename::Type { .. }
            | Rename::Routine { .. } => {}
        }
    }
    // Routines after types: their arguments may name a renamed type by its new name.
    let types: Vec<(QualifiedName, QualifiedName)> = out
        .iter()
        .filter_map(|c| match c {
            Change::Type { from, to, .. } => Some((from.clone(), to.clone())),
            Change::Table { .. }
            | Change::Column { .. }
            | Change::Index { .. }
            | Change::View { .. }
            | Change::Sequence { .. }
            | Change::Routine { .. }
            | Change::Constraint { .. } => None,
        })
        .collect();
    for r in &desired.renames {
        let Rename::Routine { from, to } = r else { continue };
        if from.schema != to.schema {
            continue;
        }
        // Every overload of the old name that the files have under the new one.
        for ((q, args), f) in live.functions.iter().filter(|((q, _), _)| q == from) {
            let (mut args, mut signature, mut renamed) = (args.clone(), f.signature.clone(), Vec::new());
            for (a, b) in &types {
                let swapped = replace_name(&args, &a.sql(), &b.sql());
                if swapped != args {
                    renamed.push(b.clone());
                }
                args = swapped;
                signature = replace_name(&signature, &a.sql(), &b.sql());
            }
            let new_key = (to.clone(), args.clone());
            if !live.functions.contains_key(&new_key)
                && desired.functions.contains_key(&new_key)
                && !desired.functions.contains_key(&(q.clone(), args.clone()))
            {
                out.push(Change::Routine {
                    from: from.clone(),
                    to: to.clone(),
                    args,
                    signature,
                    kind: f.kind,
                    types: renamed,
                });
            }
        }
    }
    for r in &desired.renames {
        if let Rename::Column { table, from, to } = r {
            let live_name = renamed_tables.get(table).unwrap_or(table);
            let (Some(l), Some(d)) = (live.tables.get(live_name), desired.tables.get(table)) else { continue };
            if l.column(from).is_some() && l.column(to).is_none() && d.column(to).is_some() && d.column(from).is_none()
            {
                out.push(Change::Column { table: table.clone(), from: from.clone(), to: to.clone() });
            }
        }
    }
    // What a renamed table, or a table with renamed columns, brings along and the files
    // name after the new names (`posts_pkey` is `articles_pkey` now, `notes_body_check`
    // is `notes_content_check`), with the very same definition once the renames ran:
    // renamed too, not built again.
    let mut touched: std::collections::BTreeMap<QualifiedName, QualifiedName> =
        renamed_tables.iter().map(|(to, from)| (to.clone(), from.clone())).collect();
    for c in &out {
        if let Change::Column { table, .. } = c {
            touched.entry(table.clone()).or_insert_with(|| table.clone());
        }
    }
    if touched.is_empty() {
        return out;
    }
    let staged = apply(live, &out);
    for (to, from) in &touched {
        let (Some(l), Some(d)) = (staged.tables.get(to), desired.tables.get(to)) else { continue };
        let mut taken = std::collections::BTreeSet::new();
        for lc in l.constraints.values().filter(|c| c.local && !d.constraints.contains_key(&c.name)) {
            let found = d.constraints.values().find(|dc| {
                dc.local
                    && !l.constraints.contains_key(&dc.name)
                    && !taken.contains(&dc.name)
                    && dc.kind == lc.kind
                    && dc.definition == lc.definition
            });
            if let Some(dc) = found {
                taken.insert(dc.name.clone());
                out.push(Change::Constraint { table: to.clone(), from: lc.name.clone(), to: dc.name.clone() });
            }
        }
        let mut taken = std::collections::BTreeSet::new();
        let gone = staged.indexes.values().filter(|i| &i.table == to && !desired.indexes.contains_key(&i.name));
        for li in gone {
            let found = desired.indexes.values().find(|di| {
                let moved = li.definition.replacen(
                    &format!(" INDEX {} ON {} ", ident(&li.name.name), from.sql()),
                    &format!(" INDEX {} ON {} ", ident(&di.name.name), to.sql()),
                    1,
                );
                &di.table == to
                    && !staged.indexes.contains_key(&di.name)
                    && !taken.contains(&di.name)
                    && moved == di.definition
            });
            if let Some(di) = found {
                taken.insert(di.name.clone());
                out.push(Change::Index { from: li.name.clone(), to: di.name.clone() });
            }
        }
    }
    out
}

/// Drops and creates that look like a rename nobody declared: a column dropped and one
/// added in the same table with the same type, a table dropped and one created with the
/// same columns. The plan says so with the hint to write; it never guesses.
pub fn candidates(changes: &[&crate::diff::Change]) -> Vec<String> {
    use super::column::Change as Col;
    use super::table::Change as Tab;
    use crate::diff::Change as C;
    let mut out = Vec::new();
    // What is created again under its own name is replaced, not gone.
    let created: std::collections::BTreeSet<crate::catalog::ObjectId> =
        changes.iter().filter(|c| c.is_create()).map(|c| c.subject()).collect();
    for c in changes.iter().filter(|c| !created.contains(&c.subject())) {
        if let C::Column(Col::Drop { table, column: gone }) = c {
            for other in changes {
                if let C::Column(Col::Add { table: t, column: new }) = other {
                    if t == table && new.data_type == gone.data_type {
                        out.push(format!(
                            "column {table}.{} is dropped and {table}.{} added with the same type: if it is a rename, write `-- schemaspec:renamed-from {}` on the line above `{}` and the rows stay",
                            gone.name, new.name, ident(&gone.name), ident(&new.name)
                        ));
                    }
                }
            }
        }
        if let C::Table(Tab::Drop(gone)) = c {
            let shape = |t: &crate::catalog::Table| t.columns.iter().map(|c| c.data_type.clone()).collect::<Vec<_>>();
            for other in changes {
                if let C::Table(Tab::Create(new)) = other {
                    if new.name.schema == gone.name.schema && !gone.columns.is_empty() && shape(new) == shape(gone) {
                        out.push(format!(
                            "table {} is dropped and {} created with the same columns: if it is a rename, write `-- schemaspec:renamed-from {}` on the line above its CREATE TABLE and the rows stay",
                            gone.name, new.name, ident(&gone.name.name)
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The renames that undo these, as schema files would declare them to go from the state
/// after them back to the one before: a file's way back keeps the rows its renames kept.
/// A constraint's rename follows its table's and needs none of its own.
pub fn undoing(changes: &[&crate::diff::Change]) -> Vec<Rename> {
    let renames = || {
        changes.iter().filter_map(|c| match c {
            crate::diff::Change::Rename(r) => Some(r),
            _ => None,
        })
    };
    // A column's rename names its table as it is wanted: before the table's own rename.
    let old_table: std::collections::BTreeMap<&QualifiedName, &QualifiedName> = renames()
        .filter_map(|r| match r {
            Change::Table { from, to } => Some((to, from)),
            _ => None,
        })
        .collect();
    let back = |from: &QualifiedName, to: &QualifiedName| (to.clone(), from.clone());
    renames()
        .filter_map(|r| {
            Some(match r {
                Change::Table { from, to } => {
                    let (from, to) = back(from, to);
                    Rename::Table { from, to }
                }
                Change::Column { table, from, to } => Rename::Column {
                    table: old_table.get(table).map_or_else(|| table.clone(), |t| (*t).clone()),
                    from: to.clone(),
                    to: from.clone(),
                },
                Change::Index { from, to } => {
                    let (from, to) = back(from, to);
                    Rename::Index { from, to }
                }
                Change::View { from, to, .. } => {
                    let (from, to) = back(from, to);
                    Rename::View { from, to }
                }
                Change::Sequence { from, to } => {
                    let (from, to) = back(from, to);
                    Rename::Sequence { from, to }
                }
                Change::Type { from, to, .. } => {
                    let (from, to) = back(from, to);
                    Rename::Type { from, to }
                }
                Change::Routine { from, to, .. } => {
                    let (from, to) = back(from, to);
                    Rename::Routine { from, to }
                }
                Change::Constraint { .. } => return None,
            })
        })
        .collect()
}

/// `live` with `renames` done, as the database will be once they ran.
pub fn apply(live: &Catalog, renames: &[Change]) -> Catalog {
    let mut c = live.clone();
    for r in renames {
        match r {
            Change::Table { from, to } => {
                if let Some(mut t) = c.tables.remove(from) {
                    t.name = to.clone();
                    c.tables.insert(to.clone(), t);
                }
                for i in c.indexes.values_mut().filter(|i| &i.table == from) {
                    i.table = to.clone();
                }
                // Foreign keys follow a renamed table: PostgreSQL prints the new name.
                let (old_ref, new_ref) = (format!("REFERENCES {}(", from.sql()), format!("REFERENCES {}(", to.sql()));
                for t in c.tables.values_mut() {
                    for k in t.constraints.values_mut().filter(|k| k.definition.contains(&old_ref)) {
                        k.definition = k.definition.replace(&old_ref, &new_ref);
                    }
                }
                for s in c.statistics.values_mut().filter(|s| &s.table == from) {
                    s.table = to.clone();
                }
                for s in c.sequences.values_mut() {
                    if let Some((t, _)) = s.owned_by.as_mut().filter(|(t, _)| t == from) {
                        *t = to.clone();
                    }
                }
                move_keyed(&mut c.triggers, from, to, |x| &mut x.table);
                move_keyed(&mut c.policies, from, to, |x| &mut x.table);
                move_keyed(&mut c.rules, from, to, |x| &mut x.table);
                for p in c.publications.values_mut() {
                    if let Some(e) = p.tables.remove(from) {
                        p.tables.insert(to.clone(), e);
                    }
                }
                rekey(&mut c, |id| moved(id, from, to));
            }
            Change::Index { from, to } => {
                if let Some(mut i) = c.indexes.remove(from) {
                    // PostgreSQL prints the index's own name in its definition.
                    let old = format!(" INDEX {} ON ", ident(&from.name));
                    i.definition = i.definition.replacen(&old, &format!(" INDEX {} ON ", ident(&to.name)), 1);
                    i.name = to.clone();
                    c.indexes.insert(to.clone(), i);
                }
                rekey(&mut c, |id| moved(id, from, to));
            }
            Change::View { from, to, .. } => {
                if let Some(mut v) = c.views.remove(from) {
                    v.name = to.clone();
                    c.views.insert(to.clone(), v);
                }
                rekey(&mut c, |id| moved(id, from, to));
            }
            Change::Sequence { from, to } => {
                if let Some(mut s) = c.sequences.remove(from) {
                    s.name = to.clone();
                    c.sequences.insert(to.clone(), s);
                }
                // Defaults name it: `nextval('s.old'::regclass)`.
                let (old, new) = (
                    format!("nextval({}::regclass)", crate::ident::literal(&from.sql())),
                    format!("nextval({}::regclass)", crate::ident::literal(&to.sql())),
                );
                for t in c.tables.values_mut() {
                    for col in &mut t.columns {
                        if let Some(d) = col.default.as_mut().filter(|d| d.contains(&old)) {
                            *d = d.replace(&old, &new);
                        }
                    }
                }
                rekey(&mut c, |id| moved(id, from, to));
            }
            Change::Type { from, to, .. } => {
                if let Some(mut t) = c.types.remove(from) {
                    t.name = to.clone();
                    c.types.insert(to.clone(), t);
                }
                // What names the type prints its new name.
                let (old, new) = (from.sql(), to.sql());
                let swap = |s: &mut String| {
                    if s.contains(&old) {
                        *s = replace_name(s, &old, &new);
                    }
                };
                for t in c.tables.values_mut() {
                    for col in &mut t.columns {
                        swap(&mut col.data_type);
                    }
                }
                for v in c.views.values_mut() {
                    for (_, ty) in &mut v.columns {
                        swap(ty);
                    }
                }
                for t in c.types.values_mut() {
                    match &mut t.kind {
                        TypeKind::Domain { base, .. } => swap(base),
                        TypeKind::Composite { attributes } => attributes.iter_mut().for_each(|(_, ty)| swap(ty)),
                        TypeKind::Range { subtype, .. } => swap(subtype),
                        TypeKind::Enum { .. } => {}
                    }
                }
                let functions = std::mem::take(&mut c.functions);
                c.functions = functions
                    .into_iter()
                    .map(|((q, args), mut f)| {
                        swap(&mut f.identity_args);
                        swap(&mut f.signature);
                        swap(&mut f.result);
                        swap(&mut f.definition);
                        ((q, replace_name(&args, &old, &new)), f)
                    })
                    .collect();
                let (from, to) = (from.clone(), to.clone());
                rekey(&mut c, |id| match id {
                    ObjectId::Type(q) if *q == from => Some(ObjectId::Type(to.clone())),
                    ObjectId::Function(q, args) if args.contains(&old) => {
                        Some(ObjectId::Function(q.clone(), replace_name(args, &old, &new)))
                    }
                    _ => None,
                });
            }
            Change::Routine { from, to, args, .. } => {
                let (old, new) = (format!("{}(", from.sql()), format!("{}(", to.sql()));
                if let Some(mut f) = c.functions.remove(&(from.clone(), args.clone())) {
                    f.name = to.clone();
                    f.signature = f.signature.replacen(&old, &new, 1);
                    f.definition = f.definition.replacen(&old, &new, 1);
                    c.functions.insert((to.clone(), args.clone()), f);
                }
                // Triggers print the function they run by its new name.
                for t in c.triggers.values_mut().filter(|t| t.definition.contains(&old)) {
                    t.definition = t.definition.replace(&old, &new);
                }
                let (a, b) =
                    (ObjectId::Function(from.clone(), args.clone()), ObjectId::Function(to.clone(), args.clone()));
                rekey(&mut c, |id| (*id == a).then(|| b.clone()));
            }
            Change::Constraint { table, from, to } => {
                if let Some(t) = c.tables.get_mut(table) {
                    if let Some(mut k) = t.constraints.remove(from) {
                        k.name = to.clone();
                        t.constraints.insert(to.clone(), k);
                    }
                }
                let (old, new) = (
                    ObjectId::Constraint(table.clone(), from.clone()),
                    ObjectId::Constraint(table.clone(), to.clone()),
                );
                rekey(&mut c, |id| (*id == old).then(|| new.clone()));
            }
            Change::Column { table, from, to } => {
                if let Some(col) =
                    c.tables.get_mut(table).and_then(|t| t.columns.iter_mut().find(|col| &col.name == from))
                {
                    col.name = to.clone();
                }
                // PostgreSQL prints the new name wherever the column is used: the table's
                // constraints, indexes, statistics, triggers and policies, and foreign
                // keys that reference it.
                let (old_name, new_name) = (ident(from), ident(to));
                let swap = |s: &mut String| *s = replace_column(s, &old_name, &new_name);
                if let Some(t) = c.tables.get_mut(table) {
                    t.constraints.values_mut().for_each(|k| swap(&mut k.definition));
                }
                let reference = format!("REFERENCES {}(", table.sql());
                for t in c.tables.values_mut() {
                    for k in t.constraints.values_mut().filter(|k| k.definition.contains(&reference)) {
                        let at = k.definition.find(&reference).unwrap_or(0) + reference.len();
                        let (head, tail) = k.definition.split_at(at);
                        let end = tail.find(')').unwrap_or(tail.len());
                        k.definition =
                            format!("{head}{}{}", replace_column(&tail[..end], &old_name, &new_name), &tail[end..]);
                    }
                }
                c.indexes.values_mut().filter(|i| &i.table == table).for_each(|i| swap(&mut i.definition));
                c.statistics.values_mut().filter(|x| &x.table == table).for_each(|x| swap(&mut x.definition));
                c.triggers.values_mut().filter(|x| &x.table == table).for_each(|x| swap(&mut x.definition));
                for p in c.policies.values_mut().filter(|p| &p.table == table) {
                    if let Some(u) = p.using.as_mut() {
                        swap(u);
                    }
                    if let Some(w) = p.with_check.as_mut() {
                        swap(w);
                    }
                }
                for s in c.sequences.values_mut() {
                    if let Some((_, col)) = s.owned_by.as_mut().filter(|(t, col)| t == table && col == from) {
                        *col = to.clone();
                    }
                }
                let (old, new) =
                    (ObjectId::Column(table.clone(), from.clone()), ObjectId::Column(table.clone(), to.clone()));
                rekey(&mut c, |id| (*id == old).then(|| new.clone()));
            }
        }
    }
    c
}

/// The id of relation `from` (a table, view, index or sequence: one namespace) and of
/// what lives in it, once it is called `to`.
fn moved(id: &ObjectId, from: &QualifiedName, to: &QualifiedName) -> Option<ObjectId> {
    match id {
        ObjectId::Table(q) if q == from => Some(ObjectId::Table(to.clone())),
        ObjectId::View(q) if q == from => Some(ObjectId::View(to.clone())),
        ObjectId::Index(q) if q == from => Some(ObjectId::Index(to.clone())),
        ObjectId::Sequence(q) if q == from => Some(ObjectId::Sequence(to.clone())),
        ObjectId::Column(q, n) if q == from => Some(ObjectId::Column(to.clone(), n.clone())),
        ObjectId::Constraint(q, n) if q == from => Some(ObjectId::Constraint(to.clone(), n.clone())),
        ObjectId::Trigger(q, n) if q == from => Some(ObjectId::Trigger(to.clone(), n.clone())),
        ObjectId::Policy(q, n) if q == from => Some(ObjectId::Policy(to.clone(), n.clone())),
        ObjectId::Rule(q, n) if q == from => Some(ObjectId::Rule(to.clone(), n.clone())),
        ObjectId::Table(_)
        | ObjectId::Rule(..)
        | ObjectId::Defined(..)
        | ObjectId::Column(..)
        | ObjectId::Constraint(..)
        | ObjectId::Trigger(..)
        | ObjectId::Policy(..)
        | ObjectId::Schema(_)
        | ObjectId::Extension(_)
        | ObjectId::Collation(_)
        | ObjectId::Type(_)
        | ObjectId::Sequence(_)
        | ObjectId::Function(..)
        | ObjectId::Index(_)
        | ObjectId::Statistics(_)
        | ObjectId::View(_)
        | ObjectId::EventTrigger(_)
        | ObjectId::DefaultPrivileges(..)
        | ObjectId::Publication(_) => None,
    }
}

/// What a map keyed by (table, name) holds of table `from`, under table `to`, each
/// value's own table (`table_of`) moved too.
fn move_keyed<T>(
    map: &mut std::collections::BTreeMap<(QualifiedName, String), T>,
    from: &QualifiedName,
    to: &QualifiedName,
    table_of: impl Fn(&mut T) -> &mut QualifiedName,
) {
    let keys: Vec<(QualifiedName, String)> = map.keys().filter(|(t, _)| t == from).cloned().collect();
    for key in keys {
        if let Some(mut x) = map.remove(&key) {
            *table_of(&mut x) = to.clone();
            map.insert((to.clone(), key.1), x);
        }
    }
}

/// `text` with the name `old` (a qualified name as PostgreSQL prints it) written `new`
/// wherever it stands alone: not inside a longer name (`app.mood` is not in
/// `app.moods`).
fn replace_name(text: &str, old: &str, new: &str) -> String {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == '"' || c == '.';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(old) {
        let before = if i > 0 { rest[..i].chars().last() } else { out.chars().last() };
        let after = rest[i + old.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(ident) || after.is_some_and(|c| ident(c) && c != '.') {
            out.push_str(old);
        } else {
            out.push_str(new);
        }
        rest = &rest[i + old.len()..];
    }
    out.push_str(rest);
    out
}

/// SQL text with the column identifier `old` (as `ident` writes it) written `new`
/// wherever it stands as an identifier: not inside string literals or longer names, and
/// not as a function's name.
fn replace_column(text: &str, old: &str, new: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            // A string literal, copied as it is ('' inside it included).
            out.push(c);
            for (_, d) in chars.by_ref() {
                out.push(d);
                if d == '\'' {
                    break;
                }
            }
            prev = Some('\'');
            continue;
        }
        let starts = text[i..].starts_with(old) && !prev.is_some_and(word);
        if starts {
            let rest = &text[i + old.len()..];
            let next = rest.chars().next();
            let call = rest.trim_start().starts_with('(');
            let boundary = !old.ends_with('"') && next.is_some_and(word);
            if !boundary && !call {
                out.push_str(new);
                for _ in 1..old.chars().count() {
                    chars.next();
                }
                prev = old.chars().last();
                continue;
            }
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// Comments, privileges, owners and dependencies naming an id `f` renames, under the new id.
fn rekey(c: &mut Catalog, f: impl Fn(&ObjectId) -> Option<ObjectId>) {
    c.comments = std::mem::take(&mut c.comments).into_iter().map(|(k, v)| (f(&k).unwrap_or(k), v)).collect();
    c.privileges = std::mem::take(&mut c.privileges).into_iter().map(|(k, v)| (f(&k).unwrap_or(k), v)).collect();
    c.owners = std::mem::take(&mut c.owners).into_iter().map(|(k, v)| (f(&k).unwrap_or(k), v)).collect();
    let id = |x: &ObjectId| f(x).unwrap_or_else(|| x.clone());
    c.depends = c.depends.iter().map(|(a, b)| (id(a), id(b))).collect();
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        match self {
            Change::Table { to, .. } => ObjectId::Table(to.clone()),
            Change::Column { table, to, .. } => ObjectId::Column(table.clone(), to.clone()),
            Change::Index { to, .. } => ObjectId::Index(to.clone()),
            Change::View { to, .. } => ObjectId::View(to.clone()),
            Change::Sequence { to, .. } => ObjectId::Sequence(to.clone()),
            Change::Type { to, .. } => ObjectId::Type(to.clone()),
            Change::Routine { to, args, .. } => ObjectId::Function(to.clone(), args.clone()),
            Change::Constraint { table, to, .. } => ObjectId::Constraint(table.clone(), to.clone()),
        }
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        Phase::Create
    }

    /// Everything else done to the object waits for its new name.
    fn is_create(&self) -> bool {
        true
    }

    fn is_finishing_touch(&self) -> bool {
        false
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        match self {
            Change::Table { to, .. } => table_group(to),
            Change::Column { table, .. } | Change::Constraint { table, .. } => table_group(table),
            Change::Index { .. }
            | Change::View { .. }
            | Change::Sequence { .. }
            | Change::Type { .. }
            | Change::Routine { .. } => object_group(&self.subject()),
        }
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::Column { table, .. } | Change::Constraint { table, .. } => vec![ObjectId::Table(table.clone())],
            Change::Routine { types, .. } => types.iter().map(|t| ObjectId::Type(t.clone())).collect(),
            Change::Table { .. }
            | Change::Index { .. }
            | Change::View { .. }
            | Change::Sequence { .. }
            | Change::Type { .. } => Vec::new(),
        }
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        BTreeSet::new()
    }

    fn describe(&self) -> String {
        match self {
            Change::Table { from, to } => format!("rename table {from} to {}", to.name),
            Change::Column { table, from, to } => format!("rename column {table}.{from} to {to}"),
            Change::Index { from, to } => format!("rename index {from} to {}", to.name),
            Change::View { from, to, materialized } => {
                format!("rename {}view {from} to {}", if *materialized { "materialized " } else { "" }, to.name)
            }
            Change::Sequence { from, to } => format!("rename sequence {from} to {}", to.name),
            Change::Type { from, to, domain } => {
                format!("rename {} {from} to {}", if *domain { "domain" } else { "type" }, to.name)
            }
            Change::Routine { from, to, args, kind, .. } => {
                format!("rename {} {from}({args}) to {}", kind.word(), to.name)
            }
            Change::Constraint { table, from, to } => format!("rename constraint {from} on {table} to {to}"),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            // A second run finds no table of the old name.
            Change::Table { from, to } => {
                vec![stmt(format!("ALTER TABLE IF EXISTS {} RENAME TO {};", from.sql(), ident(&to.name)))]
            }
            Change::Column { table, from, to } => {
                let old = super::column::column_exists(table, from, None);
                let new = super::column::column_exists(table, to, None);
                let sql = format!("ALTER TABLE {} RENAME COLUMN {} TO {}", table.sql(), ident(from), ident(to));
                when(&Cond::and([old, Cond::not(new)]), &sql).into_iter().collect()
            }
            Change::Index { from, to } => {
                vec![stmt(format!("ALTER INDEX IF EXISTS {} RENAME TO {};", from.sql(), ident(&to.name)))]
            }
            Change::View { from, to, materialized } => {
                let kw = if *materialized { "MATERIALIZED VIEW" } else { "VIEW" };
                vec![stmt(format!("ALTER {kw} IF EXISTS {} RENAME TO {};", from.sql(), ident(&to.name)))]
            }
            Change::Sequence { from, to } => {
                vec![stmt(format!("ALTER SEQUENCE IF EXISTS {} RENAME TO {};", from.sql(), ident(&to.name)))]
            }
            // Run while the old name is there and the new one is not.
            Change::Type { from, to, domain } => {
                let exists = |q: &QualifiedName| {
                    Cond::holds(format!("pg_catalog.to_regtype({}) IS NOT NULL", crate::ident::literal(&q.sql())))
                };
                let kw = if *domain { "DOMAIN" } else { "TYPE" };
                let sql = format!("ALTER {kw} {} RENAME TO {}", from.sql(), ident(&to.name));
                when(&Cond::and([exists(from), Cond::not(exists(to))]), &sql).into_iter().collect()
            }
            Change::Routine { from, to, signature, kind, .. } => {
                let renamed = signature.replacen(&format!("{}(", from.sql()), &format!("{}(", to.sql()), 1);
                let exists = |s: &str| {
                    Cond::holds(format!("pg_catalog.to_regprocedure({}) IS NOT NULL", crate::ident::literal(s)))
                };
                let sql = format!("ALTER {} {signature} RENAME TO {}", kind.keyword(), ident(&to.name));
                when(&Cond::and([exists(signature), Cond::not(exists(&renamed))]), &sql).into_iter().collect()
            }
            Change::Constraint { table, from, to } => {
                let old = Cond::exists(crate::sql::constraint_exists(table, from));
                let new = Cond::exists(crate::sql::constraint_exists(table, to));
                let sql = format!("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", table.sql(), ident(from), ident(to));
                when(&Cond::and([old, Cond::not(new)]), &sql).into_iter().collect()
            }
        }
    }

    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        Vec::new()
    }

    fn online(&self, _tables: &Existing, _guarded: bool) -> Option<Online> {
        None
    }

    fn still_exists(&self) -> Option<Cond> {
        None
    }

    fn differs_from(&self, _create: &crate::diff::Change) -> Option<Cond> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn table_rename_is_idempotent() {
        let c = Change::Table { from: QualifiedName::new("app", "posts"), to: QualifiedName::new("app", "Articles") };
        assert_eq!(c.describe(), "rename table app.posts to Articles");
        assert_snapshot!(sql(c));
    }

    #[test]
    fn column_rename_runs_while_the_old_name_is_there() {
        let c = Change::Column { table: QualifiedName::new("app", "articles"), from: "body".into(), to: "text".into() };
        assert!(c.is_create());
        assert_snapshot!(sql(c));
    }

    #[test]
    fn index_view_and_sequence_renames() {
        let q = |n: &str| QualifiedName::new("app", n);
        let text = [
            sql(Change::Index { from: q("tickets_title"), to: q("tickets_by_title") }),
            sql(Change::View { from: q("open_tickets"), to: q("tickets_open"), materialized: false }),
            sql(Change::View { from: q("totals"), to: q("Totals"), materialized: true }),
            sql(Change::Sequence { from: q("ticket_numbers"), to: q("ticket_no") }),
        ];
        assert_snapshot!(text.join("\n"));
    }

    #[test]
    fn type_and_routine_renames_run_while_the_old_name_is_there() {
        let q = |n: &str| QualifiedName::new("app", n);
        let text = [
            sql(Change::Type { from: q("mood"), to: q("day_mood"), domain: false }),
            sql(Change::Routine {
                from: q("is_calm"),
                to: q("is_quiet"),
                args: "m app.day_mood".into(),
                signature: "app.is_calm(app.day_mood)".into(),
                kind: RoutineKind::Function,
                types: vec![q("day_mood")],
            }),
        ];
        assert_snapshot!(text.join("\n"));
    }

    #[test]
    fn a_renamed_name_is_replaced_only_where_it_stands_alone() {
        assert_eq!(replace_name("app.mood[]", "app.mood", "app.day"), "app.day[]");
        assert_eq!(replace_name("m app.moods, n app.mood", "app.mood", "app.day"), "m app.moods, n app.day");
        assert_eq!(replace_name("xapp.mood", "app.mood", "app.day"), "xapp.mood");
    }

    #[test]
    fn a_renamed_column_is_replaced_where_it_is_an_identifier() {
        let r = |t: &str| replace_column(t, "body", "content");
        assert_eq!(r("lower(body) WHERE (body <> 'body'::text)"), "lower(content) WHERE (content <> 'body'::text)");
        assert_eq!(r("CHECK ((length(notes.body) < 10))"), "CHECK ((length(notes.content) < 10))");
        assert_eq!(r("bodyguard, somebody, body(x)"), "bodyguard, somebody, body(x)");
        assert_eq!(replace_column("(\"Tag\")", "\"Tag\"", "label"), "(label)");
    }

    #[test]
    fn only_applicable_renames_are_planned() {
        let mut live = Catalog::default();
        let mut desired = Catalog::default();
        let old = QualifiedName::new("app", "posts");
        let new = QualifiedName::new("app", "articles");
        live.tables.insert(old.clone(), crate::catalog::Table::empty(old.clone()));
        desired.tables.insert(new.clone(), crate::catalog::Table::empty(new.clone()));
        desired.renames = vec![
            Rename::Table { from: old.clone(), to: new.clone() },
            // Nothing called `nope` in the live database: no rename.
            Rename::Table { from: QualifiedName::new("app", "nope"), to: new.clone() },
        ];
        let renames = applicable(&live, &desired);
        assert_eq!(renames, vec![Change::Table { from: old, to: new.clone() }]);
        assert!(apply(&live, &renames).tables.contains_key(&new));
    }
}
