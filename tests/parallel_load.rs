//! Loading a scratch database over several connections (`sqltext::order::layers` run by
//! `pg::load::load_with`) must give the catalog that loading the same files one statement
//! after the other gives, including where statement order changes the result without an
//! error, and where the pre-pass misses a dependency and the loader falls back to
//! running in order.

mod common;

use common::TestDb;

/// Many independent tables (the part that runs in parallel) around statements whose
/// order matters.
fn schema() -> String {
    let mut sql = String::from(
        "CREATE SCHEMA app;\n\
         CREATE TYPE app.state AS ENUM ('new', 'done');\n\
         CREATE TABLE app.base (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, state app.state NOT NULL);\n\
         -- `SELECT *` is expanded now: the view must not get the column added below.\n\
         CREATE VIEW app.base_v AS SELECT * FROM app.base;\n\
         ALTER TABLE app.base ADD COLUMN later text;\n\
         -- A grant then a revoke of part of it: the order decides what is left.\n\
         GRANT SELECT, INSERT ON app.base TO PUBLIC;\n\
         REVOKE INSERT ON app.base FROM PUBLIC;\n\
         COMMENT ON TABLE app.base IS 'first';\n\
         COMMENT ON TABLE app.base IS 'second';\n\
         SET search_path = app;\n\
         CREATE TABLE unqualified (id int PRIMARY KEY);\n\
         RESET search_path;\n",
    );
    for i in 0..120 {
        sql += &format!(
            "CREATE TABLE app.t{i} (id bigint PRIMARY KEY, base_id bigint REFERENCES app.base (id), note text);\n\
             CREATE INDEX t{i}_base ON app.t{i} (base_id);\n\
             COMMENT ON COLUMN app.t{i}.note IS 'note {i}';\n"
        );
        if i % 10 == 0 {
            sql += &format!(
                "CREATE VIEW app.v{i} AS SELECT * FROM app.t{i};\nALTER TABLE app.t{i} ADD COLUMN extra int;\n"
            );
        }
    }
    sql
}

#[test]
fn parallel_load_gives_the_catalog_of_a_load_in_order() {
    let sql = schema();
    let (one, four) = (TestDb::new("load_one"), TestDb::new("load_four"));
    let n1 = one.load_over(1, &sql).unwrap();
    let n4 = four.load_over(4, &sql).unwrap();
    assert_eq!(n1, n4, "every statement ran once");
    let (a, b) = (one.catalog(), four.catalog());
    assert_eq!(a.tables.len(), 122);
    assert!(schemaspec::diff::diff(&a, &b).is_empty(), "{:?}", schemaspec::diff::diff(&a, &b));
    assert_eq!(a.comments, b.comments);
    assert_eq!(a.privileges, b.privileges);
    // And what the order decided, checked directly.
    assert_eq!(
        four.query("SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.base_v'::regclass AND attnum > 0"),
        "2"
    );
    assert_eq!(four.query("SELECT obj_description('app.base'::regclass, 'pg_class')"), "second");
    assert_eq!(four.query("SELECT has_table_privilege('public', 'app.base', 'INSERT')"), "f");
    assert_eq!(
        four.query(
            "SELECT count(*) FROM pg_class WHERE relname = 'unqualified' AND relnamespace = 'app'::regnamespace"
        ),
        "1"
    );
}

/// The pre-pass cannot see that the table's default needs a function a later DO block
/// creates; the table fails in the parallel pass and everything from there on runs in
/// order, deferring it until the function exists.
#[test]
fn a_dependency_the_prepass_misses_falls_back_to_loading_in_order() {
    let sql = "CREATE TABLE a (id int PRIMARY KEY);\n\
               CREATE TABLE needs_f (id int DEFAULT made_later());\n\
               CREATE TABLE b (id int PRIMARY KEY);\n\
               DO $$ BEGIN EXECUTE 'CREATE FUNCTION made_later() RETURNS int LANGUAGE sql AS ''SELECT 7'''; END $$;\n";
    let db = TestDb::new("load_fallback");
    assert_eq!(db.load_over(3, sql).unwrap(), 4);
    assert_eq!(
        db.query("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'needs_f'::regclass"),
        "made_later()"
    );
}

/// A genuine error is still reported at its file and line, whichever path found it.
#[test]
fn an_error_in_a_parallel_load_names_its_line() {
    let sql =
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY);\nCREATE TABLE c (id nosuchtype);\n";
    let db = TestDb::new("load_error");
    let e = db.load_over(3, sql).unwrap_err();
    assert!(e.contains("schema.sql:3"), "{e}");
    assert!(e.contains("nosuchtype"), "{e}");
}
