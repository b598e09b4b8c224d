//! On the platform users deploy to (issue #15): a database shaped like Supabase's
//! (`tests/fixtures/supabase/`: roles, platform schemas, a user project with a broken
//! history) taken through the adoption story and the daily loop, the embedded default
//! with `platform = "supabase"` and no database at all, and what the platform model
//! refuses. Runs on every server tier the suite runs on.

mod common;

use common::{Project, TestDb};
use std::path::{Path, PathBuf};
use std::sync::Once;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/supabase")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixture().join(rel)).unwrap()
}

/// Whether the server has the contrib extensions Supabase's platform installs
/// (`uuid-ossp`, `pgcrypto`) and the tests use (`citext`). The PyPI server builds of the
/// 16-18 tier ship none of them: there these tests skip, saying so.
fn contrib() -> bool {
    let have = common::query_text(
        &common::admin_url(),
        "SELECT count(*) FROM pg_available_extensions WHERE name IN ('uuid-ossp', 'pgcrypto', 'citext')",
    );
    if have != "3" {
        eprintln!("skipped: this server has no contrib extensions (uuid-ossp, pgcrypto, citext), which the Supabase platform needs");
    }
    have == "3"
}

/// The platform's roles, once per cluster (roles belong to the cluster).
fn roles() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| common::exec(&common::admin_url(), &read("roles.sql")));
}

/// A project database as the fixture's README builds it: the platform, the migrations
/// run by hand in version order, then the Supabase CLI's history table.
fn supabase_database(prefix: &str, with_history: bool) -> TestDb {
    roles();
    let db = TestDb::new(prefix);
    db.exec(&read("platform.sql"));
    if with_history {
        for f in migration_files() {
            db.exec(&std::fs::read_to_string(&f).unwrap());
        }
        db.exec(&read("history.sql"));
    }
    db
}

fn migration_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture().join("project/supabase/migrations"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

/// The fixture's project: schema files, the Supabase CLI's folder (with its `.backup`
/// and `.skip` files), and `platform = "supabase"`.
fn project(extra_config: &str) -> Project {
    let p = Project::new();
    for dir in ["schema", "supabase/migrations"] {
        for e in std::fs::read_dir(fixture().join("project").join(dir)).unwrap().flatten() {
            p.write(&format!("{dir}/{}", e.file_name().to_string_lossy()), &std::fs::read_to_string(e.path()).unwrap());
        }
    }
    p.write("schemaspec.toml", &format!("platform = \"supabase\"\n{extra_config}"));
    p
}

/// The `schemaspec ...` command a line of output names in backquotes.
fn command_after(out: &str, marker: &str) -> Vec<String> {
    let line = out.lines().find(|l| l.contains(marker)).unwrap_or_else(|| panic!("no line with {marker:?} in:\n{out}"));
    let start = line.find("`schemaspec ").unwrap() + "`schemaspec ".len();
    let end = line[start..].find('`').unwrap() + start;
    line[start..end].split_whitespace().map(str::to_string).collect()
}

fn run_args(p: &Project, db: &TestDb, args: &[String]) -> common::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    p.run(db, &args)
}

/// The platform's own objects in a dump of its schemas: the user's policies and triggers
/// on its tables (managed) left out.
fn platform_part(dump: &str) -> String {
    dump.split("\n--\n-- Name: ")
        .filter(|block| {
            let header = block.lines().next().unwrap_or("");
            !(header.contains("Type: POLICY") || header.contains("on_auth_user_created"))
        })
        .collect::<Vec<_>>()
        .join("\n--\n-- Name: ")
}

const PLATFORM_SCHEMAS: [&str; 6] = ["-n", "auth", "-n", "storage", "-n", "extensions"];

#[test]
fn adoption_story_and_daily_loop_on_a_supabase_database() {
    if !contrib() {
        return;
    }
    let db = supabase_database("supabase_story", true);
    let platform_before = common::pg_dump(&db, &PLATFORM_SCHEMAS);
    let p = project("");

    // 1. Nothing of schemaspec's yet: status names the import that adopts the history.
    let status = p.run(&db, &["status"]).code(2);
    let import = command_after(&status.stdout, "another tool's history");
    assert_eq!(import, ["import", "--from", "supabase", "--dir", "supabase/migrations"], "{}", status.stdout);
    let imported = run_args(&p, &db, &import).code(2);
    for expected in [
        "restored 20240225170000_profiles_username_lower_idx.sql from supabase_migrations.schema_migrations",
        "20240115103000_create_audits.sql.backup (not a .sql file",
        "20240218120000_audit_webhook.sql.skip (not a .sql file",
        "mismatch: 20240205110000_add_profile_website.sql is not applied but older than the newest applied version",
        "mismatch: 20240301094500_add_profile_role.sql is not applied (pending)",
    ] {
        assert!(imported.stdout.contains(expected), "{expected}\n{}", imported.stdout);
    }

    // 2. The local-only files were run by hand: status says to record them, after proof.
    let status = p.run(&db, &["status"]).code(2);
    let record = command_after(&status.stdout, "effects are in the database already");
    assert_eq!(
        record,
        ["repair", "--mark-applied", "20240205110000", "--mark-applied", "20240301094500"],
        "{}",
        status.stdout
    );
    run_args(&p, &db, &record).ok();

    // 3. Clean: status, check, drift; the platform untouched by the adoption.
    p.run(&db, &["status"]).ok();
    p.run(&db, &["check"]).ok();
    let drift = p.run(&db, &["drift"]).ok();
    assert!(drift.stdout.contains("No drift"), "{}", drift.stdout);
    if let Some(before) = &platform_before {
        assert_eq!(
            &common::pg_dump(&db, &PLATFORM_SCHEMAS).unwrap(),
            before,
            "adoption changed the platform's schemas"
        );
    }

    // 4. The daily loop: the schema files ask for more than the history made.
    let plan = p.run(&db, &["plan"]).ok();
    for expected in [
        "CREATE POLICY \"Users can upload their own avatar\" ON storage.objects",
        "ALTER PUBLICATION supabase_realtime ADD TABLE public.audits",
        "DROP POLICY IF EXISTS \"Anyone can upload an avatar.\" ON storage.objects",
    ] {
        assert!(plan.stdout.contains(expected), "{expected}\n{}", plan.stdout);
    }
    assert!(
        !plan.stdout.contains("DROP TABLE IF EXISTS auth") && !plan.stdout.contains("supabase_admin"),
        "{}",
        plan.stdout
    );
    // Dropping a policy weakens access control: it needs consent, naming the policy.
    let refused = p.run(&db, &["generate"]).code(1);
    assert!(
        refused.stderr.contains("weakens_security: drop policy Anyone can upload an avatar. on storage.objects"),
        "{}",
        refused.stderr
    );
    p.run(&db, &["generate", "--allow-hazards", "weakens_security"]).ok();
    p.run(&db, &["apply"]).ok();
    p.run(&db, &["plan", "--exit-code"]).ok();
    // An edit, and round again.
    let profiles = p.read("schema/02_profiles.sql").replace("  website text,", "  website text,\n  bio text,");
    p.write("schema/02_profiles.sql", &profiles);
    let plan = p.run(&db, &["plan", "--exit-code"]).code(2);
    assert!(plan.stdout.contains("add column public.profiles.bio"), "{}", plan.stdout);
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    p.run(&db, &["plan", "--exit-code"]).ok();
    p.run(&db, &["status"]).ok();
    p.run(&db, &["check"]).ok();
    p.run(&db, &["drift"]).ok();

    // 5. A fresh Supabase-shaped database replays the history to the same schema, and
    // the platform's own objects are as they were.
    let fresh = supabase_database("supabase_fresh", false);
    p.run(&fresh, &["apply"]).ok();
    let user_schemas = ["-N", "schemaspec", "-N", "supabase_migrations"];
    if let (Some(live), Some(replayed)) = (common::pg_dump(&db, &user_schemas), common::pg_dump(&fresh, &user_schemas))
    {
        assert_eq!(live, replayed, "a fresh database replays the history to the same schema");
    } else {
        let (mut replayed, mut live) = (
            fresh.catalog_without(&["schemaspec", "supabase_migrations"]),
            db.catalog_without(&["schemaspec", "supabase_migrations"]),
        );
        replayed.current_user.clear();
        live.current_user.clear();
        assert!(
            schemaspec::diff::diff(&live, &replayed).is_empty(),
            "a fresh database replays the history to the same schema"
        );
    }
    if let Some(before) = &platform_before {
        assert_eq!(platform_part(&common::pg_dump(&db, &PLATFORM_SCHEMAS).unwrap()), platform_part(before));
    }
}

#[test]
fn baseline_of_a_supabase_database_writes_only_the_users_objects() {
    if !contrib() {
        return;
    }
    let db = supabase_database("supabase_baseline", true);
    let platform_before = common::pg_dump(&db, &PLATFORM_SCHEMAS);
    let p = project("");
    std::fs::remove_dir_all(p.path().join("supabase")).unwrap();
    p.run(&db, &["baseline"]).ok();
    let written: String = p.migrations().iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    assert!(written.contains("CREATE TABLE IF NOT EXISTS public.profiles"), "{written}");
    assert!(written.contains("on_auth_user_created"), "the user's trigger on auth.users is the user's");
    for platform in ["CREATE TABLE auth.", "CREATE FUNCTION auth.", "supabase_migrations", "OWNER TO", "CREATE SCHEMA"]
    {
        assert!(!written.contains(platform), "{platform} in the baseline:\n{written}");
    }
    p.run(&db, &["status"]).ok();
    p.run(&db, &["drift"]).ok();
    if let Some(before) = platform_before {
        assert_eq!(common::pg_dump(&db, &PLATFORM_SCHEMAS).unwrap(), before);
    }
}

/// The embedded default with `platform = "supabase"`: no database configured, the
/// platform comes from schemaspec's own Supabase baseline.
#[test]
fn embedded_default_plans_and_generates_a_supabase_project_without_a_database() {
    if !contrib() {
        return;
    }
    roles();
    let p = project("");
    std::fs::remove_dir_all(p.path().join("supabase")).unwrap();
    // The embedded cluster is the suite's own server (one server per run): the project's
    // .schemaspec is the shared cluster's; as root, the project must be reachable by the
    // server's user.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(common::cluster_project().join(".schemaspec"), p.path().join(".schemaspec")).unwrap();
    let drop_dev = || common::exec(&common::admin_url(), "DROP DATABASE IF EXISTS schemaspec_dev WITH (FORCE)");
    drop_dev();
    let run = |args: &[&str]| {
        let mut cmd = p.bare_command();
        common::Run::from(cmd.env("SCHEMASPEC_NO_CACHE", "1").args(args).output().unwrap())
    };
    let result = std::panic::catch_unwind(|| {
        let plan = run(&["plan"]).ok();
        assert!(plan.stdout.contains("create trigger on_auth_user_created on auth.users"), "{}", plan.stdout);
        assert!(!plan.stdout.contains("auth.users (") && !plan.stdout.contains("CREATE SCHEMA"), "{}", plan.stdout);
        run(&["generate"]).ok();
        run(&["apply"]).ok();
        run(&["plan", "--exit-code"]).ok();
        run(&["status"]).ok();
        run(&["check"]).ok();
    });
    drop_dev();
    result.unwrap();
}

#[test]
fn what_the_platform_model_refuses_or_keeps() {
    if !contrib() {
        return;
    }
    roles();
    let db = supabase_database("supabase_refuse", false);
    let p = project("");
    std::fs::remove_dir_all(p.path().join("supabase")).unwrap();

    // A role in the schema files: refused before anything runs, also from the cache.
    // (Roles outlive a test's database: this run's own name.)
    let reader = format!("app_reader_{}", std::process::id());
    p.write("schema/08_roles.sql", &format!("-- the app's reader\nCREATE ROLE {reader} NOLOGIN;\n"));
    for _ in 0..2 {
        let r = p.run(&db, &["plan"]).code(1);
        assert!(
            r.stderr.contains("schema/08_roles.sql:2:1:")
                && r.stderr.contains("belongs to the whole PostgreSQL cluster"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("roles = [...]"), "{}", r.stderr);
    }
    let roles_named = format!("SELECT count(*) FROM pg_roles WHERE rolname = '{reader}'");
    assert_eq!(common::query_text(&common::admin_url(), &roles_named), "0");
    // Declared as a role that exists outside schemaspec, grants to it load.
    p.write("schema/08_roles.sql", &format!("GRANT SELECT ON public.profiles TO {reader};\n"));
    let r = p.run(&db, &["plan"]).code(1);
    assert!(r.stderr.contains(&format!("role \"{reader}\" does not exist")), "{}", r.stderr);
    assert!(r.stderr.contains("`roles = [...]`"), "the hint names the setting: {}", r.stderr);
    p.write("schemaspec.toml", &format!("platform = \"supabase\"\nroles = [\"{reader}\"]\n"));
    let plan = p.run(&db, &["plan"]).ok();
    assert!(plan.stdout.contains(&format!("GRANT SELECT ON TABLE public.profiles TO {reader}")), "{}", plan.stdout);
    std::fs::remove_file(p.path().join("schema/08_roles.sql")).unwrap();

    // An object in the platform's schema: an error naming the statement.
    p.write("schema/09_auth.sql", "\nCREATE TABLE auth.my_sessions (id int);\n");
    let r = p.run(&db, &["plan"]).code(1);
    assert!(
        r.stderr.contains("schema/09_auth.sql:2:1:") && r.stderr.contains("belongs to the platform (supabase)"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(p.path().join("schema/09_auth.sql")).unwrap();

    // An object in an excluded schema, and a trigger on one of its tables.
    db.exec("CREATE SCHEMA audit; CREATE TABLE audit.log (id int);");
    p.write("schemaspec.toml", "platform = \"supabase\"\nexclude_schemas = [\"audit\"]\n");
    p.write("schema/10_audit.sql", "CREATE TABLE audit.x (id int);\n");
    let r = p.run(&db, &["plan"]).code(1);
    assert!(
        r.stderr.contains("schema/10_audit.sql:1:1:") && r.stderr.contains("it is in exclude_schemas"),
        "{}",
        r.stderr
    );
    p.write(
        "schema/10_audit.sql",
        "CREATE TRIGGER t AFTER INSERT ON audit.log FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();\n",
    );
    let r = p.run(&db, &["plan"]).code(1);
    assert!(r.stderr.contains("trigger log.t is on a table of schema audit"), "{}", r.stderr);
    std::fs::remove_file(p.path().join("schema/10_audit.sql")).unwrap();

    // Extensions: one in the platform's schema is never planned for deletion, and the
    // files may create one there.
    p.write("schema/11_ext.sql", "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA extensions;\n");
    let plan = p.run(&db, &["plan"]).ok();
    assert!(plan.stdout.contains("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA extensions"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("DROP EXTENSION"), "{}", plan.stdout);
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    p.run(&db, &["plan", "--exit-code"]).ok();
    assert_eq!(db.query("SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'citext'"), "extensions");
    drop(db);
    let _ = std::panic::catch_unwind(|| common::exec(&common::admin_url(), &format!("DROP ROLE IF EXISTS {reader}")));
}
