//! Default privileges (`ALTER DEFAULT PRIVILEGES FOR ROLE ... [IN SCHEMA ...]`), item by
//! item. They apply to objects created after them, so the plan runs them first.

use super::{grantee_sql, Kind};
use crate::catalog::{AclItem, DefaultObjects, Grantee, ObjectId};
use crate::diff::{Differ, Phase};
use crate::ident::{ident, QualifiedName};
use crate::plan::online::{Existing, Online};
use crate::plan::Hazard;
use crate::sql::guard::Cond;
use crate::sql::{stmt, Statement};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Change {
    /// `schema` empty: in every schema.
    Grant {
        role: String,
        schema: String,
        objects: DefaultObjects,
        item: AclItem,
    },
    Revoke {
        role: String,
        schema: String,
        objects: DefaultObjects,
        item: AclItem,
    },
}

impl From<Change> for crate::diff::Change {
    fn from(c: Change) -> Self {
        crate::diff::Change::DefaultPrivilege(c)
    }
}

/// Grants and revokes that turn the live default privileges into the desired ones.
pub(crate) fn diff(d: &mut Differ) {
    let keys: BTreeSet<&(String, String, DefaultObjects)> =
        d.live.default_privileges.keys().chain(d.desired.default_privileges.keys()).collect();
    for key in keys {
        let want = d.desired.default_privileges.get(key);
        let have = d.live.default_privileges.get(key);
        let Some(defaults) = want.or(have).map(|p| &p.defaults) else { continue };
        let want_items = want.map_or(defaults, |p| &p.items);
        let have_items = have.map_or(defaults, |p| &p.items);
        let (role, schema, objects) = key.clone();
        for item in have_items.difference(want_items) {
            d.push(Change::Revoke { role: role.clone(), schema: schema.clone(), objects, item: item.clone() });
        }
        for item in want_items.difference(have_items) {
            d.push(Change::Grant { role: role.clone(), schema: schema.clone(), objects, item: item.clone() });
        }
    }
}

impl Change {
    fn parts(&self) -> (&str, &str, DefaultObjects, &AclItem) {
        match self {
            Change::Grant { role, schema, objects, item } | Change::Revoke { role, schema, objects, item } => {
                (role, schema, *objects, item)
            }
        }
    }

    /// The schema it is limited to, if any.
    pub fn schema(&self) -> Option<&str> {
        Some(self.parts().1).filter(|s| !s.is_empty())
    }
}

impl Kind for Change {
    fn subject(&self) -> ObjectId {
        let (role, schema, objects, _) = self.parts();
        ObjectId::DefaultPrivileges(role.to_string(), schema.to_string(), objects)
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
        "default privileges".into()
    }

    fn relation_name(&self) -> Option<QualifiedName> {
        None
    }

    fn parent_relation(&self) -> Option<QualifiedName> {
        None
    }

    fn requires(&self) -> Vec<ObjectId> {
        self.schema().map(|s| ObjectId::Schema(s.to_string())).into_iter().collect()
    }

    /// A default grant to PUBLIC reaches every role on every object created from now on.
    fn hazards(&self, _new_tables: &BTreeSet<QualifiedName>) -> BTreeSet<Hazard> {
        match self {
            Change::Grant { item, .. } if item.grantee == Grantee::Public => [Hazard::WeakensSecurity].into(),
            Change::Grant { .. } | Change::Revoke { .. } => BTreeSet::new(),
        }
    }

    fn describe(&self) -> String {
        let verb = match self {
            Change::Grant { .. } => "grant",
            Change::Revoke { .. } => "revoke",
        };
        format!("{}: {verb} {}", self.subject(), self.parts().3.privilege)
    }

    fn render(&self) -> Vec<Statement> {
        let (role, _, objects, item) = self.parts();
        let in_schema = self.schema().map(|s| format!(" IN SCHEMA {}", ident(s))).unwrap_or_default();
        let grantee = grantee_sql(&item.grantee, role);
        let on = objects.keyword();
        let head = format!("ALTER DEFAULT PRIVILEGES FOR ROLE {}{in_schema}", ident(role));
        vec![stmt(match self {
            Change::Grant { .. } => {
                let with = if item.grantable { " WITH GRANT OPTION" } else { "" };
                format!("{head} GRANT {} ON {on} TO {grantee}{with};", item.privilege)
            }
            Change::Revoke { .. } => format!("{head} REVOKE {} ON {on} FROM {grantee};", item.privilege),
        })]
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

    fn grant(schema: &str, objects: DefaultObjects, grantee: Grantee, grantable: bool) -> Change {
        Change::Grant {
            role: "postgres".into(),
            schema: schema.into(),
            objects,
            item: AclItem { grantee, privilege: "SELECT".into(), grantable },
        }
    }

    #[test]
    fn in_every_schema() {
        let c = grant("", DefaultObjects::Tables, Grantee::Role("anon".into()), false);
        assert!(c.requires().is_empty());
        assert_snapshot!(c.render()[0].sql);
    }

    #[test]
    fn in_one_schema_with_grant_option() {
        let c = grant("public", DefaultObjects::Sequences, Grantee::Role("service_role".into()), true);
        assert_eq!(c.requires(), vec![ObjectId::Schema("public".into())]);
        assert_snapshot!(c.render()[0].sql);
    }

    #[test]
    fn revoke_from_public() {
        let c = Change::Revoke {
            role: "app owner".into(),
            schema: String::new(),
            objects: DefaultObjects::Functions,
            item: AclItem { grantee: Grantee::Public, privilege: "EXECUTE".into(), grantable: false },
        };
        assert_eq!(c.describe(), "default privileges of app owner on FUNCTIONS: revoke EXECUTE");
        assert_snapshot!(c.render()[0].sql);
    }
}
