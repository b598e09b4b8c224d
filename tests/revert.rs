//! Issue #19: `revert` takes a database back to an applied version as new, proved,
//! forward migration files; the history stays append-only.

mod common;

use common::{Project, TestDb};

#[test]
fn revert_to_the_first_of_three_migrations() {
    let db = TestDb::new("revert");
    let p = Project::new();
    // 1: a table; 2: a column with rows; 3: an index.
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    let first = p.migrations()[0].file_name().unwrap().to_string_lossy()[..14].to_string();
    db.exec("INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 50) g");
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text, tag text);\n");
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    db.exec("UPDATE notes SET tag = 'x'");
    p.write(
        "schema/notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, body text, tag text);\nCREATE INDEX notes_tag ON notes (tag);\n",
    );
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    assert_eq!(p.migrations().len(), 3);

    // Without consent: refused, naming the column that would lose its data and, where
    // the server has an estimate, how many rows hold it.
    db.exec("ANALYZE notes");
    let refused = p.run(&db, &["revert", "--to", &first]).code(1);
    assert!(
        refused.stderr.contains("deletes_data: drop column public.notes.tag (the table holds about 50 rows)"),
        "{}",
        refused.stderr
    );
    assert_eq!(p.migrations().len(), 3, "nothing written");

    let r = p.run(&db, &["revert", "--to", &first, "--allow-hazards", "deletes_data", "--apply"]).ok();
    assert!(r.stdout.contains("proved on a scratch database"), "{}", r.stdout);
    assert!(r.stdout.contains("schema files still describe the newer state"), "{}", r.stdout);

    // The database is what the first file made, with its rows; all five files applied.
    let reference = TestDb::new("revert_ref");
    reference.exec("CREATE TABLE notes (id int PRIMARY KEY, body text)");
    let changes = schemaspec::diff::diff(&db.catalog(), &reference.catalog());
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(db.query("SELECT count(*) FROM notes"), "50");
    assert_eq!(p.migrations().len(), 5);
    assert_eq!(db.query("SELECT count(*) FROM schemaspec.schema_migrations"), "5");

    // Again: nothing to do, nothing written.
    let again = p.run(&db, &["revert", "--to", &first]).ok();
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    assert_eq!(p.migrations().len(), 5);

    // --last counts applied files; an unknown version is refused.
    p.run(&db, &["revert", "--to", "20000101000000"]).code(1);
    p.run(&db, &["revert", "--last", "9"]).code(1);

    // Back to the schema files' state by rolling forward, then --last 1 with the schema
    // files rewritten from the reverted database: plan is empty again.
    p.run(&db, &["generate"]).ok();
    p.run(&db, &["apply"]).ok();
    assert_eq!(db.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_tag'"), "1");
    let r =
        p.run(&db, &["revert", "--last", "1", "--allow-hazards", "deletes_data", "--apply", "--update-schema"]).ok();
    assert!(r.stdout.contains("dumped"), "{}", r.stdout);
    assert_eq!(db.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_tag'"), "0");
    p.run(&db, &["plan", "--exit-code"]).ok();

    // Reverting a drop brings the column back, empty, and says so.
    for f in std::fs::read_dir(p.path().join("schema")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    p.write("schema/notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, tag text);\n");
    p.run(&db, &["generate", "--allow-hazards", "deletes_data"]).ok();
    p.run(&db, &["apply"]).ok();
    let back = p.run(&db, &["revert", "--last", "1", "--apply"]).ok();
    assert!(
        back.stdout
            .contains("note: column public.notes.body comes back empty: reverting its drop cannot bring its data back"),
        "{}",
        back.stdout
    );
    assert_eq!(db.query("SELECT count(*) FILTER (WHERE body IS NULL) FROM notes"), "50");
}
