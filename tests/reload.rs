//! The partial reload of the desired state (`plan::reload`): when schema files change,
//! only what the changed statements affect is loaded again, and the catalog must be the
//! one a full load gives. A cache that is corrupt or was made under other settings is a
//! miss, never a wrong plan.

mod common;

use common::{Project, Run, TestDb};
use std::path::PathBuf;

/// `plan` in `project` against `db`, with `env` set.
fn plan(project: &Project, db: &TestDb, env: &[(&str, &str)]) -> Run {
    let mut cmd = project.command(db, &["plan"]);
    cmd.env("SCHEMASPEC_LOG", "warn,schemaspec::cmd=info").env_remove("SCHEMASPEC_NO_CACHE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

const SAME: &str = "the partial reload gave what a full load gives";

/// A case's file without its data statements (the cases fill tables to check rows are
/// kept; schema files hold no data).
fn schema_only(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let kept: Vec<String> = schemaspec::sqltext::split::split(&text)
        .statements
        .into_iter()
        .map(|st| st.text)
        .filter(|t| {
            let first = t.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            !["insert", "update", "delete", "copy", "truncate"].contains(&first.as_str())
        })
        .collect();
    kept.join("\n;\n") + "\n;\n"
}

/// Every case of `tests/cases`, both ways (before to after, after to before): with the
/// cache made from one side, the other is reloaded in part where it can be, and
/// `SCHEMASPEC_VERIFY_RELOAD` loads it whole as well and fails on any difference.
#[test]
fn a_partial_reload_gives_the_catalog_of_a_full_load_in_every_case() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("cases");
    let mut pairs = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let (before, after) = (entry.path().join("before.sql"), entry.path().join("after.sql"));
        if before.exists() && after.exists() {
            pairs.push((before.clone(), after.clone()));
            pairs.push((after, before));
        }
    }
    pairs.sort();
    assert!(pairs.len() >= 100, "the cases are there: {}", pairs.len());
    let outcomes: Vec<(String, bool)> = common::parallel(&pairs, 3, |(from, to)| {
        let (project, db) = (Project::new(), TestDb::new("reload"));
        project.write("schema/schema.sql", &schema_only(from));
        // A case this server cannot load (an extension it lacks) has no cache.
        if plan(&project, &db, &[]).code != 0 {
            return None;
        }
        project.write("schema/schema.sql", &schema_only(to));
        let run = plan(&project, &db, &[("SCHEMASPEC_VERIFY_RELOAD", "1")]);
        let name = format!("{} -> {}", from.display(), to.display());
        assert!(!run.stderr.contains("panicked"), "{name}\n{}", run.stderr);
        if run.code != 0 {
            // Only where a cold run fails as well.
            let cold = plan(&project, &db, &[("SCHEMASPEC_NO_CACHE", "1")]);
            assert_eq!(cold.code, run.code, "{name}\n{}", run.stderr);
        }
        Some((name, run.stderr.contains(SAME)))
    })
    .into_iter()
    .flatten()
    .collect();
    let partial = outcomes.iter().filter(|(_, p)| *p).count();
    eprintln!("{partial} of {} reloaded in part", outcomes.len());
    // Most cases change a few objects of a schema a reload can follow.
    assert!(partial * 2 >= outcomes.len(), "only {partial} of {} reloaded in part", outcomes.len());
}

/// Edits to the example project's schema, one after the other, each reloaded in part
/// and giving the catalog a full load gives.
#[test]
fn edits_to_the_example_schema_are_reloaded_in_part() {
    let db = TestDb::new("reload_example");
    let project = Project::new();
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema");
    for entry in std::fs::read_dir(&example).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        project.write(&format!("schema/{name}"), &std::fs::read_to_string(entry.path()).unwrap());
    }
    plan(&project, &db, &[]).ok();
    let edit = |file: &str, from: &str, to: &str| {
        let text = project.read(&format!("schema/{file}"));
        assert!(text.contains(from), "{file} has {from:?}");
        project.write(&format!("schema/{file}"), &text.replacen(from, to, 1));
    };
    let edits: [(&str, &str, &str); 6] = [
        // An index added to a table others reference and a view reads.
        ("04_messages.sql", "COMMENT ON COLUMN", "CREATE INDEX messages_by_author ON messages (author_id);\nCOMMENT ON COLUMN"),
        // A view's query.
        ("04_messages.sql", "count(m.id) AS message_count", "count(*) AS message_count"),
        // A column added to the table most others reference.
        ("02_users.sql", "    avatar_file_id uuid,", "    avatar_file_id uuid,\n    locale text NOT NULL DEFAULT 'en',"),
        // A comment removed.
        ("02_users.sql", "COMMENT ON TABLE app_users IS 'Accounts that can sign in.';", ""),
        // A routine's body, which policies call.
        ("07_security.sql", "CREATE FUNCTION current_app_user()", "CREATE FUNCTION current_app_user() -- edited\n"),
        // A new table in a file of its own, referencing another, with a grant.
        ("02_users.sql", "-- People and their login sessions.", "-- People and their login sessions.\nCREATE TABLE user_notes (id int PRIMARY KEY, user_id uuid REFERENCES app_users (id), note text);\nGRANT SELECT ON user_notes TO PUBLIC;"),
    ];
    for (file, from, to) in edits {
        edit(file, from, to);
        let run = plan(&project, &db, &[("SCHEMASPEC_VERIFY_RELOAD", "1")]).ok();
        assert!(run.stderr.contains(SAME), "{file}: {from:?} was not reloaded in part\n{}", run.stderr);
    }
}

fn schema(extra_column: bool) -> String {
    let b = if extra_column { ", b text" } else { "" };
    format!(
        "CREATE TABLE public.t (id int PRIMARY KEY, a int{b});\n\
         CREATE TABLE public.u (id int PRIMARY KEY, t_id int REFERENCES public.t);\n\
         CREATE VIEW public.v AS SELECT id FROM public.u;\n"
    )
}

/// An edit is reloaded in part and plans what a cold run plans; a cache with one byte
/// changed, or made under other settings, is not used.
#[test]
fn a_corrupt_or_stale_cache_is_a_miss_never_a_wrong_plan() {
    let db = TestDb::new("reload_cache");
    let project = Project::new();
    project.write("schema/schema.sql", &schema(false));
    plan(&project, &db, &[]).ok();
    project.write("schema/schema.sql", &schema(true));
    let cold = plan(&project, &db, &[("SCHEMASPEC_NO_CACHE", "1")]).ok();
    assert!(cold.stdout.contains("b text"), "{}", cold.stdout);
    let partial = plan(&project, &db, &[]).ok();
    assert!(partial.stderr.contains("reloading "), "{}", partial.stderr);
    assert_eq!(partial.stdout, cold.stdout);

    // One byte of the entry changed: a full load, the same plan.
    let cache = project.path().join(".schemaspec").join("cache").join("desired.bin");
    project.write("schema/schema.sql", &schema(false));
    let mut bytes = std::fs::read(&cache).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&cache, &bytes).unwrap();
    let run = plan(&project, &db, &[]).ok();
    assert!(!run.stderr.contains("reloading "), "a corrupt cache is not reloaded from\n{}", run.stderr);
    assert!(run.stdout.contains("CREATE TABLE") && !run.stdout.contains("b text"), "{}", run.stdout);

    // Settings that shape the catalog changed: the entry is not reloaded from either.
    project.write("schemaspec.toml", "manage_ownership = true\n");
    project.write("schema/schema.sql", &schema(true));
    let run = plan(&project, &db, &[]).ok();
    assert!(!run.stderr.contains("reloading "), "{}", run.stderr);
    assert!(run.stdout.contains("b text"), "{}", run.stdout);
}
