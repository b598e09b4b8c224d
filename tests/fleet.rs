//! Issue #21: one project deployed to a fleet of databases on two servers.
mod common;

use common::*;

const SCHEMA: &str = "CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);\n\
                      CREATE INDEX notes_body ON notes (body);\n";

/// A second PostgreSQL server of this test's own, stopped and removed when dropped.
struct SecondServer {
    home: std::path::PathBuf,
    cluster: schemaspec::pg::embedded::Cluster,
}

impl SecondServer {
    fn start() -> SecondServer {
        // A folder the embedded start makes itself (owned by the server's user).
        let home = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("second-server-{}", std::process::id()))
            .join("pg");
        let cluster = schemaspec::pg::embedded::ensure(&home).expect("a second server");
        SecondServer { home, cluster }
    }
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        let _ = schemaspec::pg::embedded::stop(&self.home);
        if let Some(parent) = self.home.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

/// The CLI in project `p` against the database at `url` (scratch databases on the test
/// server), with `args`.
fn against(p: &Project, url: &str, args: &[&str]) -> Run {
    Run::from(
        p.bare_command().arg("--database-url").arg(url).arg("--dev-url").arg(admin_url()).args(args).output().unwrap(),
    )
}

/// Databases of one test on a server, dropped at the end.
struct Tenants {
    admin: String,
    names: Vec<String>,
}

impl Tenants {
    fn create(admin: &str, prefix: &str, n: usize) -> Tenants {
        let names: Vec<String> = (0..n).map(|i| format!("t_fleet_{prefix}_{}_{i}", std::process::id())).collect();
        for name in &names {
            // On the suite's cluster, in its scratch tablespace like every test database;
            // a second server has none.
            let sql = match admin == admin_url() {
                true => create_database_sql(name),
                false => format!("CREATE DATABASE {name} TEMPLATE template0"),
            };
            exec(admin, &sql);
        }
        Tenants { admin: admin.to_string(), names }
    }
}

impl Drop for Tenants {
    fn drop(&mut self) {
        for name in &self.names {
            exec(&self.admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Two servers with 20 tenant databases each; one tenant holds an object the migration
/// conflicts with. `apply --targets --jobs 8` applies 39, reports the 40th as failed
/// (JSON report, exit 1), and names no password; once mended, the same command applies
/// only that one; fleet `status` is then clean, all 40 at one version.
#[test]
fn a_fleet_applies_what_it_can_reports_the_rest_and_a_rerun_finishes() {
    if !on_default_tier() {
        return;
    }
    let second = SecondServer::start();
    let here = Tenants::create(&admin_url(), "a", 20);
    let there = Tenants::create(&second.cluster.url("postgres"), "b", 20);
    let url_here = |name: &str| admin_url().replace("dbname=postgres", &format!("dbname={name}"));
    let url_there = |name: &str| second.cluster.url(name);
    // The conflict: a type of the table's name (CREATE TABLE IF NOT EXISTS cannot skip it).
    let conflicted = url_there(&there.names[7]);
    exec(&conflicted, "CREATE TYPE notes AS (x int)");

    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    let empty = TestDb::new("fleet_gen");
    p.run(&empty, &["generate"]).ok();
    let mut list = String::from("# the fleet: both servers\n");
    for n in &here.names {
        // A password the server does not ask for: it must appear nowhere.
        list += &format!("{} password=hunter2\n", url_here(n));
    }
    for n in &there.names {
        list += &format!("{}  # eu\n", url_there(n));
    }
    p.write("targets.txt", &list);
    let fleet =
        |args: &[&str]| Run::from(p.bare_command().arg("--dev-url").arg(admin_url()).args(args).output().unwrap());

    let first =
        fleet(&["apply", "--targets", "targets.txt", "--jobs", "8", "--format", "json", "--report", "report.json"])
            .code(1);
    let report: serde_json::Value = serde_json::from_str(&first.stdout).expect(&first.stdout);
    assert_eq!(report["summary"]["targets"], 40, "{}", first.stdout);
    assert_eq!(report["summary"]["applied"], 39, "{}", first.stdout);
    assert_eq!(report["summary"]["failed"], 1, "{}", first.stdout);
    let failed: Vec<&serde_json::Value> =
        report["targets"].as_array().unwrap().iter().filter(|t| t["status"] == "failed").collect();
    assert!(failed[0]["target"].as_str().unwrap().contains(&there.names[7]), "{}", first.stdout);
    assert!(failed[0]["error"]["message"].as_str().unwrap().contains("notes"), "{}", first.stdout);
    assert!(!first.stdout.contains("hunter2") && !first.stderr.contains("hunter2"));
    assert!(!p.read("report.json").contains("hunter2"));
    let written: serde_json::Value = serde_json::from_str(&p.read("report.json")).unwrap();
    assert_eq!(written["summary"], report["summary"]);
    let versions = p.migrations().len();
    assert!(report["targets"][0]["applied"].as_array().unwrap().len() == versions, "{}", first.stdout);

    // Planned across the fleet: the 39 in one state, the one left in another.
    let planned = fleet(&["plan", "--targets", "targets.txt", "--exit-code"]).code(2);
    assert!(planned.stdout.contains("40 target(s) in 2 state(s)"), "{}", planned.stdout);
    assert!(planned.stdout.contains("39 target(s): no changes"), "{}", planned.stdout);
    assert!(planned.stdout.contains("1 target(s): "), "{}", planned.stdout);

    exec(&conflicted, "DROP TYPE notes");
    let again = fleet(&["apply", "--targets", "targets.txt", "--jobs", "8"]).ok();
    assert!(again.stdout.contains("40 target(s): 1 applied, 39 up to date, 0 failed, 0 skipped"), "{}", again.stdout);

    let status = fleet(&["status", "--targets", "targets.txt", "--no-catalog"]).ok();
    assert!(status.stdout.contains("40 target(s)"), "{}", status.stdout);
    let newest = p.migrations().last().unwrap().file_name().unwrap().to_string_lossy()[..14].to_string();
    assert!(status.stdout.contains(&format!("  40 at {newest}")), "{}", status.stdout);
    assert!(
        status.stdout.contains("0 with pending files, 0 drifted, 0 needing a person, 0 unreadable"),
        "{}",
        status.stdout
    );
    let planned = fleet(&["plan", "--targets", "targets.txt", "--exit-code"]).ok();
    assert!(planned.stdout.contains("40 target(s) in 1 state(s)\n40 target(s): no changes"), "{}", planned.stdout);
    // Drift across the fleet: none, then one database changed by hand.
    let none = fleet(&["drift", "--targets", "targets.txt"]).ok();
    assert!(none.stdout.contains("40 target(s): 0 drifted, 0 not compared"), "{}", none.stdout);
    exec(&url_here(&here.names[3]), "CREATE INDEX by_hand ON notes (id)");
    let one = fleet(&["drift", "--targets", "targets.txt"]).code(2);
    assert!(one.stdout.contains("40 target(s): 1 drifted, 0 not compared"), "{}", one.stdout);
    let name = format!("/{}?", here.names[3]);
    assert!(one.stdout.lines().any(|l| l.contains(&name) && l.ends_with(": drifted")), "{}", one.stdout);
}

/// `--canary` stops the run when a canary fails, and `--max-failures` stops starting
/// new targets; what was not started is reported as skipped, and database names in the
/// list resolve on the server of --database-url.
#[test]
fn canaries_and_the_failure_cap_stop_a_fleet_early() {
    if !on_default_tier() {
        return;
    }
    let tenants = Tenants::create(&admin_url(), "c", 6);
    for name in &tenants.names[..2] {
        exec(&admin_url().replace("dbname=postgres", &format!("dbname={name}")), "CREATE TYPE notes AS (x int)");
    }
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    let empty = TestDb::new("fleet_canary");
    p.run(&empty, &["generate"]).ok();
    p.write("targets.txt", &tenants.names.join("\n"));
    let fleet = |args: &[&str]| against(&p, &admin_url(), args);
    let dry = fleet(&["apply", "--targets", "targets.txt", "--dry-run"]).ok();
    assert!(dry.stdout.contains("6 target(s): 6 with files to apply, 0 up to date"), "{}", dry.stdout);
    // `--targets` alone: the configured query names them.
    let quoted: Vec<String> = tenants.names.iter().map(|n| format!("'{n}'")).collect();
    p.write("schemaspec.toml", &format!("targets_query = \"SELECT unnest(ARRAY[{}])\"\n", quoted.join(", ")));
    let queried = fleet(&["apply", "--dry-run", "--targets"]).ok();
    assert!(queried.stdout.contains("6 target(s): 6 with files to apply, 0 up to date"), "{}", queried.stdout);
    let canary = fleet(&["apply", "--targets", "targets.txt", "--canary", "2", "--jobs", "2"]).code(1);
    assert!(canary.stdout.contains("6 target(s): 0 applied, 0 up to date, 2 failed, 4 skipped"), "{}", canary.stdout);
    assert!(canary.stdout.contains("not started: a canary failed"), "{}", canary.stdout);
    let capped = fleet(&["apply", "--targets", "targets.txt", "--max-failures", "1", "--jobs", "1"]).code(1);
    assert!(capped.stdout.contains("6 target(s): 0 applied, 0 up to date, 1 failed, 5 skipped"), "{}", capped.stdout);
    let all = fleet(&["apply", "--targets", "targets.txt", "--jobs", "3"]).code(1);
    assert!(all.stdout.contains("6 target(s): 4 applied, 0 up to date, 2 failed, 0 skipped"), "{}", all.stdout);
}

/// The template schema of a schema-per-tenant project: a table with a sequence, an
/// index, routines whose bodies and settings name the schema, a view, a policy, a
/// trigger, an enum, a check, a foreign key and a comment that names the schema.
const TENANT_SCHEMA: &str = "CREATE SCHEMA tenant_template;\n\
    CREATE TYPE tenant_template.mood AS ENUM ('calm', 'busy');\n\
    CREATE TABLE tenant_template.notes (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, body text NOT NULL CHECK (body <> ''), mood tenant_template.mood DEFAULT 'calm', touched timestamptz);\n\
    CREATE TABLE tenant_template.tags (id serial PRIMARY KEY, note_id bigint REFERENCES tenant_template.notes (id) ON DELETE CASCADE);\n\
    CREATE INDEX notes_body ON tenant_template.notes (body);\n\
    COMMENT ON TABLE tenant_template.tags IS 'tags of tenant_template.notes';\n\
    CREATE FUNCTION tenant_template.note_count() RETURNS bigint LANGUAGE plpgsql AS $$\n\
    BEGIN\n  RETURN (SELECT count(*) FROM tenant_template.notes);\nEND\n$$;\n\
    CREATE FUNCTION tenant_template.touch() RETURNS trigger LANGUAGE plpgsql SET search_path = tenant_template AS $$\n\
    BEGIN\n  NEW.touched := now();\n  RETURN NEW;\nEND\n$$;\n\
    CREATE TRIGGER notes_touch BEFORE UPDATE ON tenant_template.notes FOR EACH ROW EXECUTE FUNCTION tenant_template.touch();\n\
    CREATE VIEW tenant_template.long_notes AS SELECT id, body FROM tenant_template.notes WHERE length(body) > 10;\n\
    ALTER TABLE tenant_template.notes ENABLE ROW LEVEL SECURITY;\n\
    CREATE POLICY readable ON tenant_template.notes FOR SELECT USING (true);\n";

/// Schema per tenant: the template's migrations run in 50 tenant schemas of one
/// database, each with its own tracking table; one tenant holds a conflicting object.
/// `apply --tenants --jobs 8` applies 49 and reports the 50th as failed (exit 1); each
/// tenant's routine reads its own table; once mended, a re-run applies only that one;
/// `status --tenants` is then clean, `plan --tenants` empty, and `drift --tenants` finds
/// the one tenant changed by hand.
#[test]
fn schema_per_tenant_applies_the_template_to_each_tenant_and_a_rerun_finishes() {
    if !on_default_tier() {
        return;
    }
    let p = Project::new();
    p.write("schemaspec.toml", "tenant_schema = \"tenant_template\"\nschemas = [\"tenant_template\"]\n");
    p.write("schema/notes.sql", TENANT_SCHEMA);
    let template = TestDb::new("tenant_tpl");
    p.run(&template, &["generate"]).ok();
    p.run(&template, &["apply"]).ok();

    let tenants = TestDb::new("tenants");
    let names: Vec<String> = (1..=50).map(|i| format!("acme_{i:03}")).collect();
    p.write("tenants.txt", &format!("# tenants\n{}\n", names.join("\n")));
    // The conflict: a type of the table's name in one tenant's schema.
    tenants.exec("CREATE SCHEMA acme_013; CREATE TYPE acme_013.notes AS (x int)");
    let fleet = |args: &[&str]| against(&p, &tenants.url, args);
    let first = fleet(&["apply", "--tenants", "tenants.txt", "--jobs", "8", "--format", "json"]).code(1);
    let report: serde_json::Value = serde_json::from_str(&first.stdout).expect(&first.stdout);
    assert_eq!(report["summary"]["targets"], 50, "{}", first.stdout);
    assert_eq!(report["summary"]["applied"], 49, "{}", first.stdout);
    assert_eq!(report["summary"]["failed"], 1, "{}", first.stdout);
    let failed: Vec<&serde_json::Value> =
        report["targets"].as_array().unwrap().iter().filter(|t| t["status"] == "failed").collect();
    assert!(failed[0]["target"].as_str().unwrap().ends_with("schema acme_013"), "{}", first.stdout);
    // Each tenant's objects are its own: the routine counts its own schema's rows, the
    // template's database is untouched, and each tenant has its own tracking table.
    tenants.exec("INSERT INTO acme_002.notes (body) VALUES ('a'), ('b')");
    assert_eq!(tenants.query("SELECT acme_002.note_count()"), "2");
    assert_eq!(tenants.query("SELECT acme_003.note_count()"), "0");
    assert_eq!(tenants.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_template'"), "0");
    let versions = p.migrations().len();
    assert_eq!(tenants.query("SELECT count(*) FROM schemaspec.schema_migrations_acme_050"), versions.to_string());
    assert_eq!(tenants.query("SELECT count(*) FROM pg_policy WHERE polname = 'readable'"), "49");

    tenants.exec("DROP TYPE acme_013.notes");
    let again = fleet(&["apply", "--tenants", "tenants.txt", "--jobs", "8"]).ok();
    assert!(again.stdout.contains("50 target(s): 1 applied, 49 up to date, 0 failed, 0 skipped"), "{}", again.stdout);

    let status = fleet(&["status", "--tenants", "tenants.txt"]).ok();
    let newest = p.migrations().last().unwrap().file_name().unwrap().to_string_lossy()[..14].to_string();
    assert!(status.stdout.contains(&format!("  50 at {newest}")), "{}", status.stdout);
    assert!(
        status.stdout.contains("0 with pending files, 0 drifted, 0 needing a person, 0 unreadable"),
        "{}",
        status.stdout
    );
    let planned = fleet(&["plan", "--tenants", "tenants.txt", "--exit-code"]).ok();
    assert!(planned.stdout.contains("50 target(s) in 1 state(s)\n50 target(s): no changes"), "{}", planned.stdout);
    tenants.exec("CREATE INDEX by_hand ON acme_041.notes (id)");
    let one = fleet(&["drift", "--tenants", "tenants.txt"]).code(2);
    assert!(one.stdout.contains("50 target(s): 1 drifted, 0 not compared"), "{}", one.stdout);
    assert!(one.stdout.lines().any(|l| l.ends_with("schema acme_041: drifted")), "{}", one.stdout);
    // Planned across the tenants: the one changed by hand needs a change the others do not.
    let planned = fleet(&["plan", "--tenants", "tenants.txt", "--exit-code"]).code(2);
    assert!(planned.stdout.contains("50 target(s) in 2 state(s)"), "{}", planned.stdout);
    assert!(planned.stdout.contains("49 target(s): no changes"), "{}", planned.stdout);

    // A column added to the template and every tenant, then taken back from all of them:
    // the way back is planned against the template's database.
    p.write("schema/notes.sql", &format!("{TENANT_SCHEMA}ALTER TABLE tenant_template.notes ADD COLUMN tag text;\n"));
    p.run(&template, &["generate"]).ok();
    p.run(&template, &["apply"]).ok();
    let added = fleet(&["apply", "--tenants", "tenants.txt", "--jobs", "8"]).ok();
    assert!(added.stdout.contains("50 target(s): 50 applied"), "{}", added.stdout);
    let tags = "SELECT count(*) FROM pg_attribute WHERE attname = 'tag' AND NOT attisdropped";
    assert_eq!(tenants.query(tags), "50");
    // The template's database is database_url; the tenants are in the database --targets names.
    p.write("tenant-dbs.txt", &format!("{}\n", tenants.url));
    let revert = ["revert", "--last", "1", "--apply", "--allow-hazards", "deletes_data"];
    let back = against(
        &p,
        &template.url,
        &[&revert[..], &["--targets", "tenant-dbs.txt", "--tenants", "tenants.txt"]].concat(),
    )
    .ok();
    assert!(back.stdout.contains("50 tenant(s) and the template share one history"), "{}", back.stdout);
    assert!(back.stdout.contains("50 target(s): 50 applied, 0 up to date, 0 failed"), "{}", back.stdout);
    assert_eq!(tenants.query(tags), "0");
    assert_eq!(template.query(tags), "0");
}

/// `generate` in a schema-per-tenant project proves that the files, retargeted to a
/// tenant's schema, build what they build in the template: a literal equal to the
/// template's name (here a default) would change in every tenant, so nothing is written
/// and the error names the table.
#[test]
fn a_migration_that_would_mean_something_else_in_a_tenant_is_refused() {
    if !on_default_tier() {
        return;
    }
    let p = Project::new();
    p.write("schemaspec.toml", "tenant_schema = \"tenant_template\"\nschemas = [\"tenant_template\"]\n");
    p.write(
        "schema/a.sql",
        "CREATE SCHEMA tenant_template;\n\
         CREATE TABLE tenant_template.events (id int PRIMARY KEY, origin text DEFAULT 'tenant_template');\n",
    );
    let db = TestDb::new("tenant_proof");
    let refused = p.run(&db, &["generate"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(refused.stderr.contains("retargeted to a tenant's schema"), "{}", refused.stderr);
    assert!(refused.stderr.contains("tenant_template.events"), "{}", refused.stderr);
    assert!(p.migrations().is_empty(), "nothing is written");
    // A tenant named like nothing in the files: the same schema without the literal passes.
    p.write(
        "schema/a.sql",
        "CREATE SCHEMA tenant_template;\n\
         CREATE TABLE tenant_template.events (id int PRIMARY KEY, origin text DEFAULT 'template');\n\
         COMMENT ON TABLE tenant_template.events IS 'see tenant_template.events_archive';\n",
    );
    p.run(&db, &["generate"]).ok();
    assert!(!p.migrations().is_empty());
}

/// `revert --targets`: refused while the databases' histories differ; once they share
/// one, the way back is written once and, with --apply, run on every database.
#[test]
fn a_fleet_goes_back_together() {
    if !on_default_tier() {
        return;
    }
    let tenants = Tenants::create(&admin_url(), "r", 3);
    let p = Project::new();
    p.write("schema/notes.sql", SCHEMA);
    let empty = TestDb::new("fleet_revert");
    p.run(&empty, &["generate"]).ok();
    p.run(&empty, &["apply"]).ok();
    p.write("schema/notes.sql", &format!("{SCHEMA}ALTER TABLE notes ADD COLUMN tag text;\n"));
    p.run(&empty, &["generate"]).ok();
    p.write("targets.txt", &tenants.names.join("\n"));
    let fleet = |args: &[&str]| against(&p, &admin_url(), args);
    let url = |name: &str| admin_url().replace("dbname=postgres", &format!("dbname={name}"));
    // One database lags behind: the histories differ.
    std::fs::write(p.path().join("one.txt"), &tenants.names[0]).unwrap();
    fleet(&["apply", "--targets", "one.txt"]).ok();
    let differ = fleet(&["revert", "--last", "1", "--targets", "targets.txt"]);
    assert_ne!(differ.code, 0);
    assert!(differ.stderr.contains("histories differ"), "{}", differ.stderr);
    let before = p.migrations().len();
    fleet(&["apply", "--targets", "targets.txt"]).ok();
    for name in &tenants.names {
        assert_eq!(
            query_text(
                &url(name),
                "SELECT count(*) FROM pg_attribute WHERE attname = 'tag' AND attrelid = 'notes'::regclass"
            ),
            "1"
        );
    }
    let back =
        fleet(&["revert", "--last", "1", "--targets", "targets.txt", "--apply", "--allow-hazards", "deletes_data"])
            .ok();
    assert!(back.stdout.contains("3 target(s) share one history"), "{}", back.stdout);
    assert!(back.stdout.contains("3 target(s): 3 applied, 0 up to date, 0 failed, 0 skipped"), "{}", back.stdout);
    assert!(p.migrations().len() > before, "the way back is new files");
    for name in &tenants.names {
        assert_eq!(
            query_text(
                &url(name),
                "SELECT count(*) FROM pg_attribute WHERE attname = 'tag' AND attrelid = 'notes'::regclass"
            ),
            "0"
        );
    }
    let tenants_refused = fleet(&["revert", "--last", "1", "--tenants", "targets.txt"]);
    assert_ne!(tenants_refused.code, 0);
}

/// Tenants across several databases: `tenants_query` runs on each database of
/// `--targets`; a tenants list naming a schema that is not a plain name, or the
/// template, is refused before anything runs.
#[test]
fn tenants_of_every_database_come_from_the_query_and_bad_names_are_refused() {
    if !on_default_tier() {
        return;
    }
    let dbs = Tenants::create(&admin_url(), "q", 2);
    let p = Project::new();
    p.write(
        "schemaspec.toml",
        "tenant_schema = \"tenant_template\"\nschemas = [\"tenant_template\"]\n\
         tenants_query = \"SELECT unnest(ARRAY['north', 'south', 'west']) ORDER BY 1\"\n",
    );
    p.write(
        "schema/a.sql",
        "CREATE SCHEMA tenant_template;\nCREATE TABLE tenant_template.items (id int PRIMARY KEY);\n",
    );
    let template = TestDb::new("tenant_q");
    p.run(&template, &["generate"]).ok();
    p.write("targets.txt", &dbs.names.join("\n"));
    let fleet = |args: &[&str]| against(&p, &admin_url(), args);
    let applied = fleet(&["apply", "--targets", "targets.txt", "--tenants"]).ok();
    assert!(applied.stdout.contains("6 target(s): 6 applied, 0 up to date"), "{}", applied.stdout);
    let url = |name: &str| admin_url().replace("dbname=postgres", &format!("dbname={name}"));
    for db in &dbs.names {
        assert_eq!(query_text(&url(db), "SELECT count(*) FROM pg_tables WHERE tablename = 'items'"), "3");
    }
    let status = fleet(&["status", "--targets", "targets.txt", "--tenants", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&status.stdout).expect(&status.stdout);
    assert_eq!(v["summary"]["targets"], 6, "{}", status.stdout);
    assert_eq!(v["summary"]["needing_a_person"], 0, "{}", status.stdout);
    for bad in ["North", "tenant_template", "a b", "x\"; DROP TABLE y; --"] {
        p.write("bad.txt", &format!("south\n{bad}\n"));
        let refused = fleet(&["apply", "--tenants", "bad.txt"]);
        assert_eq!(refused.code, 1, "{bad}: {}", refused.stdout);
        assert!(refused.stderr.contains("bad.txt: tenant schema"), "{bad}: {}", refused.stderr);
    }
    assert_eq!(query_text(&admin_url(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'south'"), "0");
}
