//! Managed platforms: what a hosted PostgreSQL (Supabase, Amazon RDS, Cloud SQL, Neon,
//! Azure) puts in every database before the user's first migration. The platform's
//! schemas are never managed (user triggers and policies on their tables are), its
//! roles exist on every scratch cluster, its extensions are never dropped, and its
//! objects are provided in every scratch database: copied from the live database when
//! it has them, else from the preset's own SQL. Pure data: no I/O.

/// A platform as schemaspec knows it.
#[derive(Clone, Debug)]
pub struct Preset {
    pub name: &'static str,
    /// Schemas the platform owns.
    pub schemas: &'static [&'static str],
    /// Roles the platform provides (cluster-wide).
    pub roles: &'static [&'static str],
    /// Extensions the platform installs: never dropped by a plan.
    pub extensions: &'static [&'static str],
    /// Publications the platform made: never created or dropped by a plan, though which
    /// of the user's tables they publish is managed.
    pub publications: &'static [&'static str],
    /// The search path the platform gives the role that runs migrations.
    pub search_path: Option<&'static str>,
    /// SQL that creates the platform's schemas and objects, for where no live database
    /// has them (the embedded default, CI).
    pub schemas_sql: Option<&'static str>,
    /// SQL of what the platform sets up in the user's own schemas (grants on `public`,
    /// default privileges): part of every desired state.
    pub defaults_sql: Option<&'static str>,
}

const SUPABASE: Preset = Preset {
    name: "supabase",
    schemas: &[
        "auth",
        "storage",
        "extensions",
        "realtime",
        "_realtime",
        "graphql",
        "graphql_public",
        "vault",
        "pgsodium",
        "pgsodium_masks",
        "supabase_functions",
        "supabase_migrations",
        "net",
        "cron",
        "pgbouncer",
        "pgtle",
        "pgmq",
        "_analytics",
    ],
    roles: &[
        "anon",
        "authenticated",
        "service_role",
        "authenticator",
        "supabase_admin",
        "supabase_auth_admin",
        "supabase_storage_admin",
        "supabase_functions_admin",
        "supabase_replication_admin",
        "supabase_read_only_user",
        "supabase_realtime_admin",
        "dashboard_user",
        "pgbouncer",
    ],
    extensions: &[
        "uuid-ossp",
        "pgcrypto",
        "pgjwt",
        "pg_graphql",
        "pg_stat_statements",
        "supabase_vault",
        "pgsodium",
        "pg_net",
        "pg_cron",
    ],
    publications: &["supabase_realtime"],
    search_path: Some("\"$user\", public, extensions"),
    schemas_sql: Some(include_str!("supabase_schemas.sql")),
    defaults_sql: Some(include_str!("supabase_defaults.sql")),
};

const RDS: Preset = Preset {
    name: "rds",
    schemas: &[],
    roles: &["rds_superuser", "rdsadmin", "rds_replication", "rds_password", "rds_iam", "rds_ad", "rdstopmgr"],
    extensions: &[],
    publications: &[],
    search_path: None,
    schemas_sql: None,
    defaults_sql: None,
};

const CLOUDSQL: Preset = Preset {
    name: "cloudsql",
    schemas: &[],
    roles: &[
        "cloudsqlsuperuser",
        "cloudsqladmin",
        "cloudsqlagent",
        "cloudsqlreplica",
        "cloudsqliamuser",
        "cloudsqliamserviceaccount",
        "cloudsqlimportexport",
        "cloudsqllogical",
    ],
    extensions: &[],
    publications: &[],
    search_path: None,
    schemas_sql: None,
    defaults_sql: None,
};

const NEON: Preset = Preset {
    name: "neon",
    schemas: &[],
    roles: &["neon_superuser", "cloud_admin"],
    extensions: &["neon"],
    publications: &[],
    search_path: None,
    schemas_sql: None,
    defaults_sql: None,
};

const AZURE: Preset = Preset {
    name: "azure",
    schemas: &[],
    roles: &["azure_pg_admin", "azuresu", "azure_superuser", "replication"],
    extensions: &[],
    publications: &[],
    search_path: None,
    schemas_sql: None,
    defaults_sql: None,
};

pub const PRESETS: [&Preset; 5] = [&SUPABASE, &RDS, &CLOUDSQL, &NEON, &AZURE];

pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().copied().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Statements that act on the whole cluster rather than a database: roles and their
/// memberships, tablespaces, databases. A schema file describes one database, and these
/// would change the dev server itself.
pub fn cluster_statement(words: &[String]) -> Option<&'static str> {
    let w = |i: usize| words.get(i).map(String::as_str);
    match (w(0), w(1)) {
        // CREATE USER MAPPING belongs to the database (its server does).
        (Some("create" | "alter" | "drop"), Some("user")) if w(2) == Some("mapping") => None,
        (Some("create" | "alter" | "drop"), Some("role" | "user" | "group")) => Some("a role"),
        (Some("create" | "alter" | "drop"), Some("tablespace")) => Some("a tablespace"),
        (Some("create" | "alter" | "drop"), Some("database")) => Some("a database"),
        (Some("alter"), Some("system")) => Some("the server's configuration"),
        // GRANT role TO role (a membership): no ON before TO.
        (Some("grant" | "revoke"), _) => {
            let to = words.iter().position(|x| x == "to" || x == "from")?;
            (!words[..to].iter().any(|x| x == "on")).then_some("role membership")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<String> {
        sql.split_whitespace().map(|w| w.trim_end_matches(';').to_lowercase()).collect()
    }

    #[test]
    fn cluster_statements() {
        for sql in [
            "CREATE ROLE app NOLOGIN;",
            "alter user x with password 'y'",
            "GRANT authenticated TO app;",
            "revoke anon from app",
            "CREATE DATABASE d",
        ] {
            assert!(cluster_statement(&words(sql)).is_some(), "{sql}");
        }
        for sql in [
            "GRANT SELECT ON t TO anon;",
            "REVOKE ALL ON FUNCTION f() FROM public",
            "CREATE TABLE role (id int)",
            "CREATE USER MAPPING FOR app SERVER s",
        ] {
            assert_eq!(cluster_statement(&words(sql)), None, "{sql}");
        }
    }

    #[test]
    fn presets_by_name() {
        assert_eq!(preset("Supabase").map(|p| p.name), Some("supabase"));
        assert!(preset("heroku").is_none());
        let s = preset("supabase").unwrap();
        assert!(s.schemas.contains(&"auth") && s.roles.contains(&"authenticated"));
    }
}
