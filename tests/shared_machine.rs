//! Safe on a shared machine (issue #14): another local OS user gets nothing from the
//! embedded cluster, and a hostile path planted where schemaspec might look is never
//! followed, chowned, chmodded or deleted. Acting as another user needs root: these
//! tests skip, saying so, elsewhere (CI runs as root).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> bool {
    if !common::on_default_tier() {
        return false;
    }
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: acting as another OS user needs root (CI runs as root)");
    false
}

fn schemaspec(project: &Path, args: &[&str]) -> common::Run {
    common::Run::from(
        Command::new(env!("CARGO_BIN_EXE_schemaspec"))
            .arg("-C")
            .arg(project)
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("SCHEMASPEC_DEV_URL")
            .output()
            .unwrap(),
    )
}

fn psql() -> Option<PathBuf> {
    let bin = schemaspec::pg::embedded::find_binaries().ok()?;
    [bin.join("psql"), PathBuf::from("/usr/bin/psql")].into_iter().find(|p| p.is_file())
}

/// What a file-system entry looks like, to compare before and after.
fn fingerprint(path: &Path) -> String {
    let m = std::fs::symlink_metadata(path).unwrap();
    let mut entries: Vec<String> = std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    entries.sort();
    format!("uid={} mode={:o} entries={entries:?}", m.uid(), m.mode() & 0o7777)
}

#[test]
fn another_os_user_cannot_connect_to_the_embedded_cluster() {
    if !root() {
        return;
    }
    let Some(psql) = psql() else {
        eprintln!("skipped: no psql to connect with");
        return;
    };
    let url = common::admin_url();
    let socket_dir = url.split_whitespace().find_map(|kv| kv.strip_prefix("host=")).unwrap().to_string();
    let as_user = |user: &str| {
        Command::new("runuser")
            .args(["-u", user, "--"])
            .arg(&psql)
            .args(["-X", "-h", &socket_dir, "-U", "postgres", "-d", "postgres", "-Atc", "select 'in'"])
            .output()
            .unwrap()
    };
    // The exploit: `copy ... to program` as the cluster's superuser.
    let nobody = as_user("nobody");
    assert!(!nobody.status.success(), "nobody connected: {}", String::from_utf8_lossy(&nobody.stdout));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("Permission denied"), "{nobody:?}");
    // The server's own user (and root, which runs the tests) still can.
    let server = as_user("postgres");
    assert_eq!(String::from_utf8_lossy(&server.stdout).trim(), "in", "{server:?}");
    let m = std::fs::metadata(&socket_dir).unwrap();
    assert_eq!(m.mode() & 0o777, 0o700, "socket folder is private");
}

#[test]
fn unreachable_project_gets_a_private_cluster_folder_and_hostile_paths_are_refused() {
    if !root() {
        return;
    }
    // A project the server's user cannot reach (a 0700 folder of root's): the cluster
    // must live elsewhere.
    let outer = tempfile::Builder::new().prefix("private-home").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::set_permissions(outer.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let project = outer.path().join("proj");
    std::fs::create_dir_all(project.join("schema")).unwrap();
    let home = project.join(".schemaspec").join("pg");

    // A victim folder another user wants schemaspec (root) to chown, chmod and empty,
    // planted by symlink at the name older versions used: temp dir + hash of the path.
    let victim = tempfile::Builder::new().prefix("victim").tempdir().unwrap();
    std::fs::create_dir_all(victim.path().join("data")).unwrap();
    std::fs::write(victim.path().join("data").join("precious"), "keep me").unwrap();
    std::fs::set_permissions(victim.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
    let tag = schemaspec::history::checksum(&home.display().to_string());
    let predictable = std::env::temp_dir().join(format!("schemaspec-{}", &tag[..12]));
    let _ = std::fs::remove_file(&predictable);
    std::os::unix::fs::symlink(victim.path(), &predictable).unwrap();
    let victim_before = fingerprint(victim.path());

    let started = schemaspec(&project, &["embedded", "start"]).ok();
    let recorded = PathBuf::from(std::fs::read_to_string(project.join(".schemaspec/pg.location")).unwrap().trim());
    let stop = || schemaspec(&project, &["embedded", "stop"]);
    let checks = std::panic::catch_unwind(|| {
        assert!(started.stdout.contains(&recorded.display().to_string()), "{}", started.stdout);
        assert_ne!(recorded, predictable, "the folder name is not predictable");
        let m = std::fs::symlink_metadata(&recorded).unwrap();
        let postgres = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        assert!(m.is_dir() && !m.file_type().is_symlink());
        assert_eq!((m.uid(), m.mode() & 0o777), (postgres.uid.as_raw(), 0o700), "private, the server user's");
        assert_eq!(fingerprint(victim.path()), victim_before, "the planted path was not touched");
        assert!(victim.path().join("data/precious").exists());
    });
    stop().ok();
    checks.unwrap();

    // The recorded folder swapped for a symlink to the victim: refused, nothing touched.
    std::fs::rename(&recorded, recorded.with_extension("moved")).unwrap();
    std::os::unix::fs::symlink(victim.path(), &recorded).unwrap();
    let refused = schemaspec(&project, &["embedded", "start"]).code(1);
    assert!(refused.stderr.contains("refusing to use"), "{}", refused.stderr);
    assert!(refused.stderr.contains("hint:"), "{}", refused.stderr);
    assert_eq!(fingerprint(victim.path()), victim_before, "the symlink was not followed");

    // A real folder there, but someone else's (not marked, or not private): refused too.
    std::fs::remove_file(&recorded).unwrap();
    std::fs::create_dir(&recorded).unwrap();
    std::fs::set_permissions(&recorded, std::fs::Permissions::from_mode(0o755)).unwrap();
    let refused = schemaspec(&project, &["embedded", "start"]).code(1);
    assert!(refused.stderr.contains("refusing to use"), "{}", refused.stderr);
    assert_eq!(fingerprint(&recorded), format!("uid=0 mode=755 entries=[]"), "left as it was");

    // The recorded folder gone (a cleaned temp dir): a new private one is made.
    std::fs::remove_dir(&recorded).unwrap();
    schemaspec(&project, &["embedded", "start"]).ok();
    let again = PathBuf::from(std::fs::read_to_string(project.join(".schemaspec/pg.location")).unwrap().trim());
    assert_ne!(again, recorded);
    stop().ok();
    let _ = std::fs::remove_file(&predictable);
    for dir in [again, recorded.with_extension("moved")] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_project_cluster_folder_schemaspec_did_not_make_is_refused() {
    if !common::on_default_tier() {
        return;
    }
    // Any user: `.schemaspec/pg` holding someone else's files, or a symlink, is never
    // taken over (chmodded, marked, or initdb'd into).
    let p = common::Project::new();
    // Reachable by the server's user when we are root, so the project folder is used.
    std::fs::set_permissions(p.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("notes.txt"), "mine").unwrap();
    std::fs::create_dir_all(p.path().join(".schemaspec")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), p.path().join(".schemaspec/pg")).unwrap();
    let before = fingerprint(elsewhere.path());
    let r = schemaspec(p.path(), &["embedded", "start"]).code(1);
    assert!(r.stderr.contains("refusing to use") && r.stderr.contains("not a directory"), "{}", r.stderr);
    assert_eq!(fingerprint(elsewhere.path()), before);

    std::fs::remove_file(p.path().join(".schemaspec/pg")).unwrap();
    std::fs::create_dir(p.path().join(".schemaspec/pg")).unwrap();
    std::fs::write(p.path().join(".schemaspec/pg/notes.txt"), "mine").unwrap();
    let r = schemaspec(p.path(), &["embedded", "start"]).code(1);
    // (As root it is also the wrong owner: the server's user would own its folder.)
    assert!(r.stderr.contains("refusing to use"), "{}", r.stderr);
    assert_eq!(p.read(".schemaspec/pg/notes.txt"), "mine");
    assert!(!p.path().join(".schemaspec/pg/data").exists());
}

/// The embedded cluster's scratch space in memory (/dev/shm, world-writable) is a
/// private folder of the server's user at an unpredictable path, marked, with the
/// scratch tablespace in it. A recorded space swapped for a symlink is refused and left
/// as it was: the cluster starts, and scratch databases stay on disk.
#[test]
fn the_scratch_space_in_memory_is_private_and_a_planted_one_is_refused() {
    if !common::on_default_tier() {
        return;
    }
    let project = tempfile::Builder::new().prefix("scratch-space").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::create_dir_all(project.path().join("schema")).unwrap();
    std::fs::write(project.path().join("schemaspec.toml"), "# a test project\n").unwrap();
    let stop = || schemaspec(project.path(), &["embedded", "stop"]);
    let started = schemaspec(project.path(), &["embedded", "start"]).ok();
    let pointer = project.path().join(".schemaspec/pg/scratch-space");
    let Ok(recorded) = std::fs::read_to_string(&pointer) else {
        stop().ok();
        eprintln!("skipped: /dev/shm has no room for scratch databases here");
        return;
    };
    let recorded = PathBuf::from(recorded.trim());
    let checks = std::panic::catch_unwind(|| {
        let name = recorded.file_name().unwrap().to_string_lossy().into_owned();
        assert!(recorded.starts_with("/dev/shm") && name.len() == "schemaspec-scratch-".len() + 6, "{name}");
        let server_uid = if nix::unistd::geteuid().is_root() {
            nix::unistd::User::from_name("postgres").unwrap().unwrap().uid.as_raw()
        } else {
            nix::unistd::geteuid().as_raw()
        };
        for dir in [recorded.clone(), recorded.join("space")] {
            let m = std::fs::symlink_metadata(&dir).unwrap();
            assert!(m.is_dir() && !m.file_type().is_symlink(), "{}", dir.display());
            assert_eq!((m.uid(), m.mode() & 0o777), (server_uid, 0o700), "{} is private", dir.display());
        }
        assert!(recorded.join(".schemaspec-cluster").is_file(), "marked");
        // The cluster's own database (the project's is made on first use).
        let url = started.stdout.trim().replace("dbname=schemaspec_dev", "dbname=postgres");
        let location = common::query_text(
            &url,
            "SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'schemaspec_scratch'",
        );
        assert_eq!(PathBuf::from(location), recorded.join("space"));
    });
    stop().ok();
    checks.unwrap();

    // The recorded space swapped for a symlink to someone's folder.
    let victim = tempfile::Builder::new().prefix("victim").tempdir().unwrap();
    std::fs::write(victim.path().join("precious"), "keep me").unwrap();
    let before = fingerprint(victim.path());
    std::fs::rename(&recorded, recorded.with_extension("moved")).unwrap();
    std::os::unix::fs::symlink(victim.path(), &recorded).unwrap();
    let run = schemaspec(project.path(), &["embedded", "start"]).ok();
    stop().ok();
    assert!(run.stderr.contains("scratch databases stay on disk"), "{}", run.stderr);
    assert_eq!(fingerprint(victim.path()), before, "the symlink was not followed");
    assert!(std::fs::symlink_metadata(&recorded).unwrap().file_type().is_symlink(), "left as it was");
    let _ = std::fs::remove_file(&recorded);
    let _ = std::fs::remove_dir_all(recorded.with_extension("moved"));
}
