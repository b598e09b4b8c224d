//! Issue #20: every catalog query has a good plan without `ANALYZE`. A freshly loaded
//! database (or a production one right after a big migration) has catalog statistics
//! that describe a near-empty catalog; a query whose plan leans on them (a join whose
//! side the planner takes for one row, looped over for every column) went quadratic:
//! 1,742 ms for the columns of 2,000 tables against 160 ms once analyzed. Speed is not
//! timed here: the work each plan does (rows produced and rows filtered away, summed
//! over every node and loop, from `EXPLAIN ANALYZE`) is compared before and after
//! `ANALYZE` on the same catalog.

mod common;

use common::TestDb;
use std::path::Path;

/// Tables with keys, an index, a foreign key, a grant, a policy on some, and comments
/// on tables, columns, constraints and indexes: what the queries look up per object.
fn schema(tables: usize) -> String {
    let mut sql = String::from("DO $$ BEGIN CREATE ROLE schemaspec_test_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;\n");
    for i in 0..tables {
        sql += &format!(
            "CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, status text CHECK (status IN ('a', 'b')), owner_id bigint, at timestamptz DEFAULT now());\n\
             CREATE INDEX t{i}_owner ON t{i} (owner_id);\n\
             GRANT SELECT ON t{i} TO schemaspec_test_reader;\n\
             COMMENT ON TABLE t{i} IS 'table {i}';\n\
             COMMENT ON COLUMN t{i}.name IS 'name {i}';\n\
             COMMENT ON INDEX t{i}_owner IS 'index {i}';\n\
             COMMENT ON CONSTRAINT t{i}_pkey ON t{i} IS 'key {i}';\n"
        );
        if i > 0 && i % 3 == 0 {
            sql += &format!(
                "ALTER TABLE t{i} ADD CONSTRAINT t{i}_prev FOREIGN KEY (owner_id) REFERENCES t{}(id);\n",
                i - 1
            );
        }
        if i % 7 == 0 {
            sql += &format!(
                "ALTER TABLE t{i} ENABLE ROW LEVEL SECURITY; CREATE POLICY t{i}_own ON t{i} USING (owner_id = 1);\n"
            );
        }
    }
    sql
}

/// Rows produced and filtered away by every node of a plan, over all its loops.
fn work(plan: &serde_json::Value) -> f64 {
    let n = |k: &str| plan[k].as_f64().unwrap_or(0.0);
    let loops = n("Actual Loops").max(1.0);
    let own = (n("Actual Rows") + n("Rows Removed by Filter") + n("Rows Removed by Join Filter")) * loops;
    own + plan["Plans"].as_array().map_or(0.0, |children| children.iter().map(work).sum())
}

/// (query file, work of its plan) for every catalog query, run as introspection runs it
/// (managed schemas: all but `schemaspec`).
fn measure(db: &TestDb) -> Vec<(String, f64)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pg/queries");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .chain(std::fs::read_dir(root.join("defined")).unwrap())
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        // A DO block run once per scratch load; the form for PostgreSQL 14.
        .filter(|p| !p.ends_with("normalize.sql") && !p.ends_with("publications_14.sql"))
        .collect();
    files.sort();
    assert!(files.len() > 30, "{files:?}");
    let runtime = common::runtime();
    runtime.block_on(async {
        let target = schemaspec::pg::Target::parse(&db.url).unwrap();
        let client = schemaspec::pg::connect(&target).await.unwrap();
        client.batch_execute("SET search_path = ''; SET jit = off").await.unwrap();
        let mut out = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let sql = std::fs::read_to_string(f).unwrap();
            let params = (1..=3).filter(|k| sql.contains(&format!("${k}"))).count();
            let types = vec!["text[]"; params].join(", ");
            let args: Vec<&str> = (1..=params).map(|k| if k == 2 { "NULL" } else { "'{schemaspec}'" }).collect();
            let prepare =
                if params == 0 { format!("PREPARE q{i} AS {sql}") } else { format!("PREPARE q{i} ({types}) AS {sql}") };
            client.batch_execute(&prepare).await.unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let execute =
                if params == 0 { format!("EXECUTE q{i}") } else { format!("EXECUTE q{i} ({})", args.join(", ")) };
            let rows = client
                .simple_query(&format!("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {execute}"))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let text = rows
                .iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                    _ => None,
                })
                .unwrap();
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            let name = f.strip_prefix(&root).unwrap().display().to_string();
            out.push((name, work(&json[0]["Plan"])));
        }
        out
    })
}

#[test]
fn catalog_queries_do_not_depend_on_analyze() {
    let db = TestDb::new("catalog_plans");
    db.exec(&schema(400));
    // Measured at once, before autovacuum gets to the catalogs.
    let fresh = measure(&db);
    db.exec("ANALYZE");
    let analyzed = measure(&db);
    let mut slow = Vec::new();
    for ((name, before), (_, after)) in fresh.iter().zip(&analyzed) {
        // Three times the analyzed plan's work, and some slack for small queries.
        if *before > 3.0 * after + 20_000.0 {
            slow.push(format!("{name}: {before} rows of work unanalyzed, {after} analyzed"));
        }
    }
    assert!(slow.is_empty(), "plans that lean on catalog statistics:\n{}", slow.join("\n"));
}

/// The catalog fingerprint is the same however it is taken: on one connection or
/// shared among two, over the catalogs listed anew, a remembered list, or a wrong one
/// (taken again over the right one). Transactions that change no catalog leave it, a
/// comment changes it.
#[test]
fn fingerprints_agree_however_they_are_taken() {
    use schemaspec::pg::introspect::{fingerprint, fingerprint_over};
    let db = TestDb::new("fingerprint_ways");
    db.exec("CREATE TABLE t (id int PRIMARY KEY)");
    common::runtime().block_on(async {
        let (a, b) = (common::connect(&db.url).await, common::connect(&db.url).await);
        let taken = fingerprint_over(&[&a], None).await.unwrap();
        let (one, listed) = (taken.fingerprint, taken.catalogs);
        assert!(listed.iter().any(|c| c == "pg_class") && listed.iter().any(|c| c == "pg_proc"), "{listed:?}");
        let taken = fingerprint_over(&[&a, &b], Some(listed.clone())).await.unwrap();
        let (two, again) = (taken.fingerprint, taken.catalogs);
        assert_eq!((&two, &again), (&one, &listed), "shared among two connections");
        let mut wrong = listed.clone();
        wrong.retain(|c| c != "pg_description");
        let taken = fingerprint_over(&[&b, &a], Some(wrong)).await.unwrap();
        let (three, corrected) = (taken.fingerprint, taken.catalogs);
        assert_eq!((&three, &corrected), (&one, &listed), "a wrong list is taken again over the right one");
        assert_eq!(fingerprint(&b).await.unwrap(), one);
        b.batch_execute("INSERT INTO t VALUES (1); SELECT pg_catalog.txid_current()").await.unwrap();
        assert_eq!(fingerprint(&a).await.unwrap(), one, "rows and ids are not the catalog");
        b.batch_execute("COMMENT ON TABLE t IS 'by hand'").await.unwrap();
        let after = fingerprint_over(&[&a, &b], Some(listed)).await.unwrap().fingerprint;
        assert_ne!(after, one, "a comment is a catalog row");
    });
}

/// The server's state (`catalog_state`), which stands for a fingerprint taken in it: the
/// same however often it is taken in one snapshot, and the state a fingerprint taken
/// in that snapshot reports; moved by every transaction that could write a catalog row
/// once it ends: one that was in progress when the state was taken, one that began
/// after, one of another database. (That the state holds still when nothing writes is
/// for the benchmark to show: this server is shared with the other tests.)
#[test]
fn a_catalog_state_moves_with_every_transaction_that_writes() {
    use schemaspec::pg::introspect::{catalog_state, fingerprint_over};
    let db = TestDb::new("catalog_state");
    let other = TestDb::new("catalog_state_other");
    db.exec("CREATE TABLE t (id int PRIMARY KEY)");
    common::runtime().block_on(async {
        let (a, b) = (common::connect(&db.url).await, common::connect(&db.url).await);
        let c = common::connect(&other.url).await;
        a.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
        let held = catalog_state(&a).await.unwrap();
        let taken = fingerprint_over(&[&a], None).await.unwrap();
        assert_eq!(taken.state.as_deref(), Some(held.as_str()), "the state a fingerprint was taken in");
        assert_eq!(catalog_state(&a).await.unwrap(), held, "one snapshot, one state");
        a.batch_execute("COMMIT").await.unwrap();

        b.batch_execute("BEGIN; CREATE TABLE during (id int)").await.unwrap();
        let before = catalog_state(&a).await.unwrap();
        b.batch_execute("COMMIT").await.unwrap();
        assert_ne!(catalog_state(&a).await.unwrap(), before, "a transaction in progress ended");

        let before = catalog_state(&a).await.unwrap();
        b.batch_execute("CREATE TABLE after (id int)").await.unwrap();
        assert_ne!(catalog_state(&a).await.unwrap(), before, "a transaction begun after");

        let before = catalog_state(&a).await.unwrap();
        c.batch_execute("CREATE TABLE elsewhere (id int)").await.unwrap();
        assert_ne!(catalog_state(&a).await.unwrap(), before, "another database's transaction");
    });
}

/// A scratch database's catalog is read over two connections (`read_catalog_split`: the
/// indexes, dependencies and the builder's later queries on the second): the catalog is
/// the one a read over one connection gives, on the example project's schema (types,
/// functions, triggers, views, policies, grants) beside 60 tables of the shape above.
#[test]
fn a_catalog_read_over_two_connections_is_the_catalog_read_over_one() {
    let db = TestDb::new("split_read");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let mut files: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    let example: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap() + "\n").collect();
    db.load(&(example + &schema(60)));
    let scope = schemaspec::pg::introspect::Scope { exclude: vec!["schemaspec".into()], ..Default::default() };
    let (one, two) = common::runtime().block_on(async {
        let (a, b) = (common::connect(&db.url).await, common::connect(&db.url).await);
        let one = schemaspec::pg::introspect::read_catalog(&a, &scope).await.unwrap();
        let (reader, helper) =
            (schemaspec::pg::introspect::Reader::new(&a), schemaspec::pg::introspect::Reader::new(&b));
        let two = schemaspec::pg::introspect::read_catalog_split(&reader, Some(&helper), &scope).await.unwrap();
        (one, two)
    });
    // What the second connection reads is there: indexes, dependencies, grants, views.
    assert!(two.indexes.len() >= 60, "{} indexes", two.indexes.len());
    assert!(two.depends.len() >= 60, "{} dependencies", two.depends.len());
    assert!(!two.views.is_empty() && !two.functions.is_empty(), "the example schema's views and functions");
    assert!(format!("{:?}", two.privileges).contains("schemaspec_test_reader"), "the grants");
    assert_eq!(one, two, "the catalog read over two connections differs from the one read over one");
}
