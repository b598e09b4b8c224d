//! Sequences that are objects of their own (`CREATE SEQUENCE`, serial columns' sequences;
//! identity columns' sequences belong to their column). `OWNED BY` is a step of its own,
//! once the column exists; dropping a sequence loses its counter.

use super::{table_group, Kind};
use crate::catalog::{Catalog, ObjectId, Sequence};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{keep_in_bounds, relkind_is, sequence_options, stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Sequence),
    /// Type, bounds, increment, cache or cycling changed (`from`: as it is live).
    Alter {
        from: Box<Sequence>,
        to: Sequence,
    },
    /// `OWNED BY` the sequence's column (or `NONE`).
    SetOwner(Sequence),
    Drop(Sequence),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Sequence(c)
    }
}

/// Creates, drops and alterations that turn the live sequences into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.sequences, &d.desired.sequences);
    let live_identities = identity_sequences(d.live);
    for s in new {
        // An identity column turning into a serial one: the column's change creates the
        // sequence once the identity (and its sequence of that name) is gone.
        if live_identities.contains(&s.name) {
            continue;
        }
        d.push(Change::Create(s.clone()));
        if s.owned_by.is_some() {
            d.push(Change::SetOwner(s.clone()));
        }
    }
    let identity_names = identity_sequences(d.desired);
    for s in gone {
        // A serial column turning into an identity column: the column's change drops
        // the old sequence right before the identity takes its name.
        if !identity_names.contains(&s.name) {
            d.push(Change::Drop(s.clone()));
        }
    }
    for (l, s) in both {
        let options =
            |s: &Sequence| (s.data_type.clone(), s.start, s.increment, s.min_value, s.max_value, s.cache, s.cycle);
        if options(l) != options(s) {
            d.push(Change::Alter { from: Box::new(l.clone()), to: s.clone() });
        }
        if l.owned_by != s.owned_by {
            d.push(Change::SetOwner(s.clone()));
        }
    }
}

/// The sequences behind the identity columns of a catalog.
pub(crate) fn identity_sequences(c: &Catalog) -> BTreeSet<QualifiedName> {
    c.tables
        .values()
        .flat_map(|t| t.columns.iter().filter_map(|c| c.identity.as_ref().map(|i| i.sequence.clone())))
        .collect()
}

/// `CREATE SEQUENCE IF NOT EXISTS` with every option.
pub(crate) fn create_sql(s: &Sequence) -> String {
    format!(
        "CREATE SEQUENCE IF NOT EXISTS {} AS {} {};",
        s.name.sql(),
        s.data_type,
        sequence_options(s.start, s.increment, s.min_value, s.max_value, s.cache, s.cycle)
    )
}

impl Change {
    fn sequence(&self) -> &Sequence {
        match self {
            Change::Create(s) | Change::Alter { to: s, .. } | Change::SetOwner(s) | Change::Drop(s) => s,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Sequence(self.sequence().name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) | Change::Alter { .. } | Change::SetOwner(_) => Phase::Create,
            Change::Drop(_) => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Create(_))
    }

    fn is_finishing_touch(&self) -> bool {
        matches!(self, Change::SetOwner(_))
    }

    fn rank(&self) -> u8 {
        0
    }

    /// With the table whose column owns it.
    fn group(&self) -> String {
        match (self, &self.sequence().owned_by) {
            (Change::Create(_) | Change::SetOwner(_) | Change::Drop(_), Some((t, _))) => table_group(t),
            (Change::Alter { .. }, Some(_)) | (_, None) => "sequences".into(),
        }
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        match self {
            Change::Create(s) | Change::Drop(s) => Some(s.name.clone()),
            Change::Alter { .. } | Change::SetOwner(_) => None,
        }
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        match self {
            Change::SetOwner(s) => s.owned_by.iter().map(|(t, col)| ObjectId::Column(t.clone(), col.clone())).collect(),
            Change::Create(_) | Change::Alter { .. } | Change::Drop(_) => Vec::new(),
        }
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Create(_) | Change::Alter { .. } | Change::SetOwner(_) => BTreeSet::new(),
            Change::Drop(_) => [Hazard::DeletesData].into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(s) => format!("create sequence {}", s.name),
            Change::Alter { to: s, .. } => format!("alter sequence {}", s.name),
            Change::SetOwner(s) => format!("set owner of sequence {}", s.name),
            Change::Drop(s) => format!("drop sequence {}", s.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        let options = |s: &Sequence| sequence_options(s.start, s.increment, s.min_value, s.max_value, s.cache, s.cycle);
        match self {
            Change::Create(s) => vec![stmt(create_sql(s))],
            Change::Alter { from, to: s } => {
                let alter = format!("ALTER SEQUENCE {} AS {} {}", s.name.sql(), s.data_type, options(s));
                let mut out =
                    keep_in_bounds(&s.name, (from.min_value, from.max_value), (s.min_value, s.max_value), &alter);
                out.push(stmt(format!("{alter};")));
                out
            }
            Change::SetOwner(s) => {
                let owner = match &s.owned_by {
                    Some((t, c)) => format!("{}.{}", t.sql(), ident(c)),
                    None => "NONE".to_string(),
                };
                vec![stmt(format!("ALTER SEQUENCE {} OWNED BY {owner};", s.name.sql()))]
            }
            Change::Drop(s) => vec![stmt(format!("DROP SEQUENCE IF EXISTS {};", s.name.sql()))],
        }
    }

    fn retyped(&self) -> Vec<(ObjectId, Cond)> {
        Vec::new()
    }

    fn online(&self, _tables: &Existing, _guarded: bool) -> Option<Online> {
        None
    }

    fn still_exists(&self) -> Option<Cond> {
        match self {
            Change::Drop(s) => Some(relkind_is(&s.name, &["S"])),
            Change::Create(_) | Change::Alter { .. } | Change::SetOwner(_) => None,
        }
    }

    fn differs_from(&self, _create: &crate::diff::Change) -> Option<Cond> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    fn sequence(owned: bool) -> Sequence {
        Sequence {
            name: QualifiedName::new("app", "invoice_no"),
            data_type: "bigint".into(),
            start: 1000,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            cache: 1,
            cycle: false,
            owned_by: owned.then(|| (QualifiedName::new("app", "invoices"), "number".into())),
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_with_every_option() {
        assert_snapshot!(sql(Change::Create(sequence(false))));
    }

    #[test]
    fn owner_is_a_finishing_touch_after_its_column() {
        let c = Change::SetOwner(sequence(true));
        assert!(c.is_finishing_touch());
        assert_eq!(c.requires(), vec![ObjectId::Column(QualifiedName::new("app", "invoices"), "number".into())]);
        assert_eq!(c.group(), "table app.invoices");
        assert_snapshot!(sql(c) + "\n" + &sql(Change::SetOwner(sequence(false))));
    }

    #[test]
    fn alter_and_drop() {
        let drop = Change::Drop(sequence(false));
        assert_eq!(drop.hazards(&BTreeSet::new()), [Hazard::DeletesData].into());
        assert!(drop.still_exists().is_some());
        assert_snapshot!(
            sql(Change::Alter { from: Box::new(sequence(false)), to: sequence(false) }) + "\n" + &sql(drop)
        );
    }

    #[test]
    fn a_raised_minimum_restarts_a_counter_below_it() {
        let from = sequence(false);
        let to = Sequence { min_value: from.min_value + 999, start: from.min_value + 999, ..sequence(false) };
        let out = sql(Change::Alter { from: Box::new(from.clone()), to: to.clone() });
        assert_eq!(out.matches("RESTART WITH").count(), 1, "only the bound that tightened: {out}");
        // Widened bounds leave the counter alone.
        let wider = sql(Change::Alter { from: Box::new(to), to: from });
        assert!(!wider.contains("RESTART"), "{wider}");
        assert_snapshot!(out);
    }
}
