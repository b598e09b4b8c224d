//! Collations. PostgreSQL cannot alter one's definition: a changed collation is dropped
//! and created again, with what depends on it.

use super::Kind;
use crate::catalog::{Collation, ObjectId};
use crate::diff::{Differ, Phase};
use crate::ident::{literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    Create(Collation),
    Drop(Collation),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Collation(c)
    }
}

/// Creates, drops and replacements that turn the live collations into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.collations, &d.desired.collations);
    for c in new {
        d.push(Change::Create(c.clone()));
    }
    for c in gone {
        d.push(Change::Drop(c.clone()));
    }
    for (l, c) in both {
        if l != c {
            let id = ObjectId::Collation(c.name.clone());
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(c.clone()).into());
        }
    }
}

/// `CREATE COLLATION IF NOT EXISTS ...` with the catalog's provider and locales.
fn create_sql(c: &Collation) -> String {
    let provider = match c.provider.as_str() {
        "i" => "icu",
        "b" => "builtin",
        // `c`, and `d` (the database default, which CREATE COLLATION cannot name).
        _ => "libc",
    };
    let mut opts = vec![format!("provider = {provider}")];
    match (&c.locale, &c.lc_collate, &c.lc_ctype) {
        (Some(l), _, _) => opts.push(format!("locale = {}", literal(l))),
        (None, Some(a), Some(b)) if a == b => opts.push(format!("locale = {}", literal(a))),
        (None, a, b) => {
            opts.extend(a.iter().map(|a| format!("lc_collate = {}", literal(a))));
            opts.extend(b.iter().map(|b| format!("lc_ctype = {}", literal(b))));
        }
    }
    if let Some(r) = &c.rules {
        opts.push(format!("rules = {}", literal(r)));
    }
    if !c.deterministic {
        opts.push("deterministic = false".into());
    }
    format!("CREATE COLLATION IF NOT EXISTS {} ({});", c.name.sql(), opts.join(", "))
}

impl Change {
    fn collation(&self) -> &Collation {
        match self {
            Change::Create(c) | Change::Drop(c) => c,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::Collation(self.collation().name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) => Phase::Create,
            Change::Drop(_) => Phase::Drop,
        }
    }

    fn is_create(&self) -> bool {
        matches!(self, Change::Create(_))
    }

    fn is_finishing_touch(&self) -> bool {
        false
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        "types".into()
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        Vec::new()
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        BTreeSet::new()
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(c) => format!("create collation {}", c.name),
            Change::Drop(c) => format!("drop collation {}", c.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(c) => vec![stmt(create_sql(c))],
            Change::Drop(c) => vec![stmt(format!("DROP COLLATION IF EXISTS {};", c.name.sql()))],
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

    fn collation(provider: &str, deterministic: bool) -> Collation {
        Collation {
            name: QualifiedName::new("app", "ci"),
            provider: provider.into(),
            deterministic,
            lc_collate: None,
            lc_ctype: None,
            locale: Some("und-u-ks-level2".into()),
            rules: None,
        }
    }

    #[test]
    fn icu_case_insensitive() {
        assert_snapshot!(Change::Create(collation("i", false)).render()[0].sql);
    }

    #[test]
    fn libc_with_separate_locales() {
        let c = Collation {
            locale: None,
            lc_collate: Some("C".into()),
            lc_ctype: Some("en_US.utf8".into()),
            ..collation("c", true)
        };
        assert_snapshot!(Change::Create(c).render()[0].sql);
    }

    #[test]
    fn drop_is_idempotent() {
        assert_snapshot!(Change::Drop(collation("i", false)).render()[0].sql);
    }
}
