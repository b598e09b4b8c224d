//! Data-driven diff/plan cases: every folder under tests/cases holds `before.sql` (the
//! live database, often with rows), `after.sql` (the desired state), `plan.txt` (the
//! expected ordered steps) and optionally `check.sql` (a query that must return `t`
//! afterwards: the rows survived). For each: load before, compare the plan, generate,
//! apply, check the database equals a direct load of after, re-run the generated files
//! (nothing may change), and check a second plan is empty.
//!
//! `SCHEMASPEC_BLESS=1 cargo test --test cases` rewrites plan.txt from the current output;
//! `cargo test --test cases -- NAME` runs the cases whose folder name contains NAME.

mod common;

use common::{Project, TestDb};
use std::path::Path;

/// Extensions the server does not offer (or not at the version), of those a case lists
/// in `requires` (`name` or `name>=1.2`).
fn missing_extensions(dir: &Path) -> Vec<String> {
    let Ok(list) = std::fs::read_to_string(dir.join("requires")) else { return Vec::new() };
    let available = common::query_text(
        &common::admin_url(),
        "SELECT string_agg(name || '=' || default_version, ' ') FROM pg_available_extensions",
    );
    let version = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    list.split_whitespace()
        .filter(|req| {
            let (name, min) = req.split_once(">=").unwrap_or((req, "0"));
            !available
                .split(' ')
                .any(|a| a.split_once('=').is_some_and(|(n, v)| n == name && version(v) >= version(min)))
        })
        .map(str::to_string)
        .collect()
}

fn run_case(dir: &Path) -> Result<(), String> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let before = read("before.sql").ok_or("missing before.sql")?;
    let after = read("after.sql").ok_or("missing after.sql")?;

    let live = TestDb::new("case");
    live.exec(&before);
    let project = Project::new();
    project.write("schema/after.sql", &after);

    // The plan, as its step descriptions.
    let plan = project.run(&live, &["plan", "--format", "json"]);
    if plan.code != 0 {
        return Err(format!("plan failed: {}", plan.stderr));
    }
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).map_err(|e| format!("plan json: {e}"))?;
    let steps: Vec<String> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let hazards: Vec<&str> = s["hazards"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
            let d = s["description"].as_str().unwrap().to_string();
            if hazards.is_empty() {
                d
            } else {
                format!("{d}  [{}]", hazards.join(", "))
            }
        })
        .collect();
    let got = steps.join("\n") + "\n";
    if std::env::var_os("SCHEMASPEC_BLESS").is_some() {
        std::fs::write(dir.join("plan.txt"), &got).unwrap();
    } else if read("plan.txt").as_deref() != Some(got.as_str()) {
        return Err(format!(
            "plan differs from plan.txt:\n--- expected\n{}\n--- got\n{got}",
            read("plan.txt").unwrap_or_default()
        ));
    }

    let gen = project.run(&live, &["generate", "--allow-hazards", "all"]);
    if gen.code != 0 {
        return Err(format!("generate failed:\n{}{}", gen.stdout, gen.stderr));
    }
    // The proof ran on an exact copy of the live database, not a partial one.
    if gen.stdout.contains("proof on a scratch database was partial") || gen.stderr.contains("was partial") {
        return Err(format!("generate proved on a partial copy:\n{}{}", gen.stdout, gen.stderr));
    }
    let applied = project.run(&live, &["apply"]);
    if applied.code != 0 {
        return Err(format!("apply failed:\n{}{}", applied.stdout, applied.stderr));
    }

    // The result equals a direct load of the desired state.
    let reference = TestDb::new("ref");
    reference.load(&after);
    same_catalog(&live, &reference, "after apply, the database differs from after.sql")?;

    // Running every generated file again changes nothing.
    let settled = live.catalog();
    for file in project.migrations() {
        let sql = std::fs::read_to_string(&file).unwrap();
        run_file(&live, &file.file_name().unwrap().to_string_lossy(), &sql)
            .map_err(|e| format!("re-running {} failed: {e}", file.display()))?;
    }
    let again = schemaspec::diff::diff(&settled, &live.catalog());
    if !again.is_empty() {
        return Err(format!(
            "re-running the files changed: {:?}",
            again.iter().map(schemaspec::plan::describe).collect::<Vec<_>>()
        ));
    }
    let replan = project.run(&live, &["plan", "--exit-code"]);
    if replan.code != 0 {
        return Err(format!("second plan is not empty:\n{}{}", replan.stdout, replan.stderr));
    }
    if let Some(check) = read("check.sql") {
        let v = live.query(&check);
        if v != "t" {
            return Err(format!("check.sql returned {v:?} (expected t): rows did not survive"));
        }
    }

    // Every file carries a proved way back: run newest first (twice each), they take the
    // database back to a direct load of before.sql.
    let mut downs = Vec::new();
    for file in project.migrations() {
        let sql = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let down = schemaspec::plan::files::down_block(&sql).ok_or_else(|| format!("{name} has no down block"))?;
        if down.sql.contains("NOT PROVED") {
            return Err(format!("the down block of {name} is not proved:\n{}", down.sql));
        }
        downs.push((name, down.sql));
    }
    for (name, sql) in downs.iter().rev() {
        for pass in ["", " a second time"] {
            run_file(&live, name, sql)
                .map_err(|e| format!("running the down block of {name}{pass} failed: {e}\n{sql}"))?;
        }
    }
    let original = TestDb::new("before");
    original.exec(&before);
    same_catalog(&live, &original, "after the down blocks, the database differs from before.sql")
}

/// Whether `db` has the catalog of `reference`; else `what`, with the differences.
fn same_catalog(db: &TestDb, reference: &TestDb, what: &str) -> Result<(), String> {
    let changes = schemaspec::diff::diff(&db.catalog(), &reference.catalog());
    if changes.is_empty() {
        return Ok(());
    }
    Err(format!("{what}: {:?}", changes.iter().map(schemaspec::plan::describe).collect::<Vec<_>>()))
}

/// Run SQL as schemaspec runs a migration file (`name`), in `db`.
fn run_file(db: &TestDb, name: &str, sql: &str) -> Result<std::time::Duration, schemaspec::error::Error> {
    common::runtime().block_on(async {
        let target = schemaspec::pg::Target::parse(&db.url).unwrap();
        let client = schemaspec::pg::connect(&target).await.unwrap();
        let m = schemaspec::history::LocalMigration::new(name, sql.to_string()).unwrap();
        let t = schemaspec::pg::apply::Timeouts {
            lock_timeout: "10s".into(),
            statement_timeout: "0".into(),
            lock_retries: 0,
        };
        schemaspec::pg::apply::run_file(&client, &m, None, &t).await
    })
}

/// One named test per case folder (`cargo test --test cases -- row_level_security` runs
/// one), so a failure names its case.
fn main() -> std::process::ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("cases");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "expected the case folders under {}", root.display());
    let trials = dirs
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            libtest_mimic::Trial::test(name, move || {
                let missing = missing_extensions(&dir);
                if !missing.is_empty() {
                    // The server builds used for other versions lack some contrib modules.
                    eprintln!("skipping {}: the server lacks {}", dir.display(), missing.join(", "));
                    return Ok(());
                }
                run_case(&dir).map_err(Into::into)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
