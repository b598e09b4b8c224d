//! Privileges on objects (`GRANT` / `REVOKE`), item by item: a changed grant option is a
//! revoke and a grant. An object this plan creates starts with what default privileges
//! give it, and is compared from there.

use super::{grantee_sql, object_group, object_ref, routine_ref, Kind};
use crate::catalog::{AclItem, Grantee, ObjectId, ObjectKind};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    /// `owner`: who `Grantee::Owner` is.
    Grant {
        target: ObjectId,
        kind: ObjectKind,
        item: AclItem,
        owner: String,
    },
    Revoke {
        target: ObjectId,
        kind: ObjectKind,
        item: AclItem,
        owner: String,
    },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::Privilege(c)
    }
}

/// Grants and revokes that turn the live privileges into the desired ones, on objects
/// the desired state has (or the platform made), and on objects this plan creates.
pub(crate) fn diff(d: &mut Differ) {
    let mut ids: BTreeSet<ObjectId> = d.desired.privileges.keys().cloned().collect();
    ids.extend(
        d.live
            .privileges
            .keys()
            .filter(|id| d.desired.contains(id) || d.desired.platform_objects.contains(id))
            .cloned(),
    );
    // Objects this plan creates get what default privileges grant on creation.
    let created: Vec<ObjectId> = d.created_objects().filter(|id| d.initial_acl(id).is_some()).collect();
    ids.extend(created);
    for id in &ids {
        let want = d.desired.privileges.get(id);
        let created = d.created(id);
        let have = if created { None } else { d.live.privileges.get(id) };
        let initial = if created { d.initial_acl(id) } else { None };
        // An object without an entry has its default ACL; the other side knows it.
        let defaults =
            match want.or(have).map(|p| p.defaults.clone()).or_else(|| initial.as_ref().map(|(d, _)| d.clone())) {
                Some(d) => d,
                None => continue,
            };
        let want_items = want.map_or(&defaults, |p| &p.items);
        let have_items = match (&initial, have) {
            (Some((_, start)), _) => start,
            (None, Some(p)) => &p.items,
            (None, None) => &defaults,
        };
        let owner = have.or(want).map(|p| p.owner.clone()).or_else(|| d.creator()).unwrap_or_default();
        let kind = d.desired.object_kind(id);
        for item in have_items.difference(want_items) {
            d.push(Change::Revoke { target: id.clone(), kind, item: item.clone(), owner: owner.clone() });
        }
        for item in want_items.difference(have_items) {
            d.push(Change::Grant { target: id.clone(), kind, item: item.clone(), owner: owner.clone() });
        }
    }
}

/// (privilege, target) as `GRANT ... ON` writes them: column privileges are
/// `SELECT (col) ON TABLE t`, views are tables, routines functions or procedures.
fn privilege_and_target(target: &ObjectId, kind: ObjectKind, privilege: &str) -> (String, String) {
    let on = match target {
        ObjectId::Column(q, c) => return (format!("{privilege} ({})", ident(c)), format!("TABLE {}", q.sql())),
        ObjectId::Table(q) | ObjectId::View(q) => format!("TABLE {}", q.sql()),
        // GRANT names a server FOREIGN SERVER, where DROP and COMMENT say SERVER.
        ObjectId::Defined(crate::catalog::DefinedKind::Server, _, r) => format!("FOREIGN SERVER {r}"),
        ObjectId::Function(q, args) => {
            let k = if kind == ObjectKind::Procedure { "PROCEDURE" } else { "FUNCTION" };
            format!("{k} {}", routine_ref(q, args, kind))
        }
        ObjectId::Schema(_)
        | ObjectId::Extension(_)
        | ObjectId::Collation(_)
        | ObjectId::Type(_)
        | ObjectId::Sequence(_)
        | ObjectId::Constraint(..)
        | ObjectId::Index(_)
        | ObjectId::Statistics(_)
        | ObjectId::Trigger(..)
        | ObjectId::Policy(..)
        | ObjectId::EventTrigger(_)
        | ObjectId::DefaultPrivileges(..)
        | ObjectId::Rule(..)
        | ObjectId::Defined(..)
        | ObjectId::Publication(_) => object_ref(target, kind),
    };
    (privilege.to_string(), on)
}

impl Change {
    fn target(&self) -> &ObjectId {
        match self {
            Change::Grant { target, .. } | Change::Revoke { target, .. } => target,
        }
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        self.target().clone()
    }

    fn subjects(&self) -> Vec<ObjectId> {
        vec![self.subject()]
    }

    fn phase(&self) -> Phase {
        Phase::Create
    }

    fn is_create(&self) -> bool {
        false
    }

    fn is_finishing_touch(&self) -> bool {
        true
    }

    fn rank(&self) -> u8 {
        0
    }

    fn group(&self) -> String {
        object_group(self.target())
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

    /// A grant to PUBLIC reaches every role, present and future.
    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Grant { item, .. } if item.grantee == Grantee::Public => [Hazard::WeakensSecurity].into(),
            Change::Grant { .. } | Change::Revoke { .. } => BTreeSet::new(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Grant { target, item, .. } => format!("grant {} on {target}", item.privilege),
            Change::Revoke { target, item, .. } => format!("revoke {} on {target}", item.privilege),
        }
    }

    fn render(&self) -> Vec<Statement> {
        match self {
            Change::Grant { target, kind, item, owner } => {
                let (privilege, on) = privilege_and_target(target, *kind, &item.privilege);
                let with = if item.grantable { " WITH GRANT OPTION" } else { "" };
                vec![stmt(format!("GRANT {privilege} ON {on} TO {}{with};", grantee_sql(&item.grantee, owner)))]
            }
            Change::Revoke { target, kind, item, owner } => {
                let (privilege, on) = privilege_and_target(target, *kind, &item.privilege);
                vec![stmt(format!("REVOKE {privilege} ON {on} FROM {};", grantee_sql(&item.grantee, owner)))]
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

    fn item(grantee: Grantee, privilege: &str, grantable: bool) -> AclItem {
        AclItem { grantee, privilege: privilege.into(), grantable }
    }

    fn sql(c: Change) -> String {
        c.render()[0].sql.clone()
    }

    #[test]
    fn grant_on_tables_views_and_columns() {
        let q = QualifiedName::new("app", "notes");
        let owner = "owner".to_string();
        let text = [
            sql(Change::Grant {
                target: ObjectId::Table(q.clone()),
                kind: ObjectKind::Table,
                item: item(Grantee::Role("authenticated".into()), "SELECT", false),
                owner: owner.clone(),
            }),
            sql(Change::Grant {
                target: ObjectId::View(q.clone()),
                kind: ObjectKind::View,
                item: item(Grantee::Role("anon".into()), "SELECT", true),
                owner: owner.clone(),
            }),
            sql(Change::Grant {
                target: ObjectId::Column(q, "body".into()),
                kind: ObjectKind::Column,
                item: item(Grantee::Public, "UPDATE", false),
                owner,
            }),
        ];
        assert_snapshot!(text.join("\n"));
    }

    #[test]
    fn revoke_from_public_and_owner() {
        let f = QualifiedName::new("app", "f");
        let owner = "app owner".to_string();
        let text = [
            sql(Change::Revoke {
                target: ObjectId::Function(f.clone(), "integer".into()),
                kind: ObjectKind::Function,
                item: item(Grantee::Public, "EXECUTE", false),
                owner: owner.clone(),
            }),
            sql(Change::Revoke {
                target: ObjectId::Function(f, "integer".into()),
                kind: ObjectKind::Procedure,
                item: item(Grantee::Owner, "EXECUTE", false),
                owner,
            }),
        ];
        assert_snapshot!(text.join("\n"));
    }

    #[test]
    fn schemas_sequences_and_types() {
        let q = QualifiedName::new("app", "s");
        let o = "o".to_string();
        let c = Change::Grant {
            target: ObjectId::Schema("app".into()),
            kind: ObjectKind::Schema,
            item: item(Grantee::Role("service_role".into()), "USAGE", false),
            owner: o.clone(),
        };
        assert!(c.is_finishing_touch());
        let text = [
            sql(c),
            sql(Change::Grant {
                target: ObjectId::Sequence(q.clone()),
                kind: ObjectKind::Sequence,
                item: item(Grantee::Role("r".into()), "USAGE", false),
                owner: o.clone(),
            }),
            sql(Change::Grant {
                target: ObjectId::Type(q),
                kind: ObjectKind::Domain,
                item: item(Grantee::Role("r".into()), "USAGE", false),
                owner: o,
            }),
        ];
        assert_snapshot!(text.join("\n"));
    }
}
