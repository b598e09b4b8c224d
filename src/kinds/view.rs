//! Views and materialized views. A view whose old columns stay as they are (new ones
//! last) is replaced in place (`CREATE OR REPLACE VIEW` keeps what depends on it);
//! anything else (a materialized view, columns renamed, retyped or reordered) is a drop
//! and a create, with its dependents. Options alone are set in place.

use super::{object_group, Kind};
use crate::catalog::{ObjectId, View};
use crate::diff::{Differ, Phase};
use crate::ident::{literal, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::{Cond, Value};
use crate::sql::{options_clause, relkind_is, stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    /// `CREATE [OR REPLACE] [MATERIALIZED] VIEW`.
    Create(View),
    /// Storage or view options changed, nothing else: `reset` are the options it no
    /// longer has, the rest are set.
    SetOptions {
        to: View,
        reset: Vec<String>,
    },
    Drop(View),
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::View(c)
    }
}

/// Creates, drops, replacements and option changes that turn the live views into the
/// desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let (gone, new, both) = crate::diff::split(&d.live.views, &d.desired.views);
    for v in new {
        d.push(Change::Create(v.clone()));
    }
    for v in gone {
        d.push(Change::Drop(v.clone()));
    }
    for (l, v) in both {
        let id = ObjectId::View(v.name.clone());
        let same_definition = d.desired.same_definition(&id, &l.definition, &v.definition);
        if same_definition && (View { definition: v.definition.clone(), ..l.clone() }) == *v {
            continue;
        }
        if same_definition && (View { definition: v.definition.clone(), options: v.options.clone(), ..l.clone() }) == *v
        {
            let key = |o: &String| o.split('=').next().unwrap_or_default().to_string();
            let reset = l.options.iter().map(key).filter(|k| !v.options.iter().any(|o| key(o) == *k)).collect();
            d.push(Change::SetOptions { to: v.clone(), reset });
            continue;
        }
        let replaceable = !l.materialized
            && !v.materialized
            && l.options == v.options
            && v.columns.len() >= l.columns.len()
            && v.columns[..l.columns.len()] == l.columns[..];
        if replaceable {
            d.push(Change::Create(v.clone()));
        } else {
            d.replace(id, Change::Drop(l.clone()).into(), Change::Create(v.clone()).into());
        }
    }
}

fn keyword(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

/// `relkind` of the view.
fn relkind(v: &View) -> &'static str {
    if v.materialized {
        "m"
    } else {
        "v"
    }
}

fn adjective(v: &View) -> &'static str {
    if v.materialized {
        "materialized "
    } else {
        ""
    }
}

impl Change {
    fn view(&self) -> &View {
        match self {
            Change::Create(v) | Change::SetOptions { to: v, .. } | Change::Drop(v) => v,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        ObjectId::View(self.view().name.clone())
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        match self {
            Change::Create(_) | Change::SetOptions { .. } => Phase::Create,
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
        object_group(&self.subject())
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        match self {
            Change::Create(v) | Change::Drop(v) => Some(v.name.clone()),
            Change::SetOptions { .. } => None,
        }
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        Vec::new()
    }

    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Create(_) | Change::SetOptions { .. } => BTreeSet::new(),
            Change::Drop(_) => [Hazard::RecreatesObject].into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Create(v) => format!("create {}view {}", adjective(v), v.name),
            Change::SetOptions { to, .. } => format!("set options of view {}", to.name),
            Change::Drop(v) => format!("drop {}view {}", adjective(v), v.name),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Create(v) => {
                let name = v.name.sql();
                let opts = options_clause(&v.options);
                vec![stmt(if v.materialized {
                    let data = if v.populated { "WITH DATA" } else { "WITH NO DATA" };
                    format!("CREATE MATERIALIZED VIEW IF NOT EXISTS {name}{opts} AS\n{}\n{data};", v.definition)
                } else {
                    format!("CREATE OR REPLACE VIEW {name}{opts} AS\n{};", v.definition)
                })]
            }
            Change::SetOptions { to, reset } => {
                let mut out = Vec::new();
                if !reset.is_empty() {
                    out.push(stmt(format!("ALTER {} {} RESET ({});", keyword(to), to.name.sql(), reset.join(", "))));
                }
                if !to.options.is_empty() {
                    out.push(stmt(format!("ALTER {} {} SET ({});", keyword(to), to.name.sql(), to.options.join(", "))));
                }
                out
            }
            Change::Drop(v) => vec![stmt(format!("DROP {} IF EXISTS {};", keyword(v), v.name.sql()))],
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
            Change::Drop(v) => Some(relkind_is(&v.name, &[relkind(v)])),
            Change::Create(_) | Change::SetOptions { .. } => None,
        }
    }

    /// While the view is of the old kind, or its definition or options are not yet
    /// the desired ones.
    fn differs_from(&self, create: &crate::diff::Change) -> Option<Cond> {
        let (Change::Drop(old), crate::diff::Change::View(Change::Create(new))) = (self, create) else {
            return None;
        };
        let name = literal(&old.name.sql());
        Some(Cond::and([
            relkind_is(&old.name, &[relkind(old)]),
            Cond::or([
                Cond::differs(
                    Value::Sql(format!(
                        "pg_catalog.regexp_replace(pg_catalog.pg_get_viewdef(pg_catalog.to_regclass({name})), '[;[:space:]]+$', '')"
                    )),
                    Value::text(&new.definition),
                ),
                Cond::differs(Value::text(relkind(new)), Value::text(relkind(old))),
                Cond::differs(
                    Value::Sql(format!(
                        "(SELECT pg_catalog.array_to_string(COALESCE(c.reloptions, '{{}}'), ',') FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass({name}))"
                    )),
                    Value::text(&new.options.join(",")),
                ),
            ]),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    fn view(materialized: bool, options: &[&str]) -> View {
        View {
            name: QualifiedName::new("app", "open_notes"),
            materialized,
            definition: " SELECT notes.id,\n    notes.title\n   FROM app.notes\n  WHERE (NOT notes.archived)".into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            populated: true,
            columns: vec![("id".into(), "bigint".into()), ("title".into(), "text".into())],
        }
    }

    fn sql(c: Change) -> String {
        c.render().iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn create_view_and_materialized_view() {
        assert_snapshot!(
            sql(Change::Create(view(false, &["security_invoker=true"]))) + "\n" + &sql(Change::Create(view(true, &[])))
        );
    }

    #[test]
    fn options_reset_and_set() {
        let c =
            Change::SetOptions { to: view(false, &["security_barrier=true"]), reset: vec!["security_invoker".into()] };
        assert_snapshot!(sql(c));
    }

    #[test]
    fn replacement_drop_is_guarded_once_per_fact() {
        let drop = Change::Drop(view(false, &[]));
        let guard = Cond::and([
            drop.still_exists().unwrap(),
            drop.differs_from(&Change::Create(view(false, &[])).into()).unwrap(),
        ]);
        // Same kind on both sides: no constant comparison, and the relkind test once.
        assert!(!guard.sql().contains("'v' IS DISTINCT FROM 'v'"));
        assert_eq!(guard.sql().matches("relkind IN").count(), 1);
        assert_snapshot!(sql(drop) + "\n" + &guard.sql());
    }
}
