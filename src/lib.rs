//! schemaspec: a declarative desired-state schema engine for PostgreSQL.
//!
//! Pure core (`catalog`, `diff`, `plan`, `sql`, `history`) between two I/O edges: `pg`
//! (every database round trip) and `migrations` (every migration file read and write).
//! `cmd` chains them, one function per subcommand.

pub mod cache;
pub mod catalog;
pub mod cmd;
pub mod config;
pub mod diff;
pub mod error;
pub mod history;
pub mod ident;
pub mod kinds;
pub mod lint;
pub mod migrations;
pub mod pg;
pub mod plan;
pub mod platform;
pub mod sql;
pub mod sqltext;
