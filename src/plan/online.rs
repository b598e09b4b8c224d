//! Online forms: on tables that already exist (and so may hold rows and serve traffic),
//! changes that would scan or build under a lock that stops writes (or reads) are
//! rendered in forms PostgreSQL runs with short locks instead:
//!
//! - indexes are built and dropped `CONCURRENTLY`, in files of their own that run
//!   outside a transaction (PostgreSQL refuses them inside one); a unique constraint is
//!   such an index, then `ADD CONSTRAINT ... USING INDEX`;
//! - checks and foreign keys are added `NOT VALID` (no scan) and validated in a later
//!   file, so the short lock of the `ADD` is released before the scan starts;
//! - `SET NOT NULL` goes through a `CHECK (col IS NOT NULL) NOT VALID`, validated later;
//!   PostgreSQL then proves NOT NULL from the valid check without scanning again.
//!
//! Tables created or recreated by the same plan are empty: they keep the plain forms.
//! Partitioned tables too: PostgreSQL has no concurrent or NOT VALID forms for them.
//! `online_ddl = false` in schemaspec.toml turns all of this off. Pure: no I/O.

use super::Hazard;
use crate::catalog::Catalog;
use crate::diff::Change;
use crate::ident::QualifiedName;
use crate::sql::Statement;
use std::collections::BTreeSet;

/// How a plan is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Online forms on existing tables (the default for `plan` and `generate`).
    pub online: bool,
}

impl Options {
    pub const ONLINE: Options = Options { online: true };
    /// Plain forms: for catalogs built from nothing (`dump`, `baseline`) and for
    /// corrections shown next to a diff (`drift`).
    pub const OFFLINE: Options = Options { online: false };
}

/// A change in its online form: what runs in its place, and what runs at the end of the
/// plan in a file of its own (the validation).
pub struct Online {
    pub statements: Vec<Statement>,
    pub hazards: BTreeSet<Hazard>,
    /// Runs right after, in a transaction (the statements above cannot).
    pub then: Option<Vec<Statement>>,
    pub later: Option<Later>,
}

pub struct Later {
    pub table: QualifiedName,
    pub description: String,
    pub statements: Vec<Statement>,
}

/// Tables the plan leaves in place that hold rows (as far as a plan can know).
pub struct Existing<'a> {
    pub live: &'a Catalog,
    /// Created (or recreated) by the plan: empty when the changes run.
    pub created: &'a BTreeSet<QualifiedName>,
    /// Dropped by the plan.
    pub dropped: &'a BTreeSet<QualifiedName>,
}

impl Existing<'_> {
    pub fn kept(&self, t: &QualifiedName) -> bool {
        self.live.tables.get(t).is_some_and(|table| !table.partitioned)
            && !self.created.contains(t)
            && !self.dropped.contains(t)
    }
}

/// The online form of `change`, when it has one and the table qualifies. `guarded` says
/// the plain form was wrapped in a condition (a replacement's drop); those stay plain.
pub fn rewrite(change: &Change, tables: &Existing, guarded: bool) -> Option<Online> {
    change.kind().online(tables, guarded)
}
