//! The pure core must stay pure: catalog, diff, kinds, plan, sql, sqltext, lint, platform and history take values and
//! return values. This fails if one of them reaches for the database, the file system
//! or processes (see ../shared/STYLE.md).

use std::path::Path;

const FORBIDDEN: &[&str] =
    &["tokio_postgres", "crate::pg", "crate::migrations", "std::fs", "std::process", "std::net", "tokio::"];

fn check(path: &Path, problems: &mut Vec<String>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap().flatten() {
            check(&entry.path(), problems);
        }
        return;
    }
    if path.extension().is_none_or(|e| e != "rs") {
        return;
    }
    let text = std::fs::read_to_string(path).unwrap();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for f in FORBIDDEN {
            if line.contains(f) {
                problems.push(format!("{}:{}: uses {f}", path.display(), n + 1));
            }
        }
    }
}

#[test]
fn pure_modules_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    for m in ["catalog", "diff", "kinds", "plan", "sql", "sqltext", "lint", "platform", "history.rs", "ident.rs"] {
        check(&src.join(m), &mut problems);
    }
    assert!(problems.is_empty(), "I/O in the pure core:\n{}", problems.join("\n"));
}
