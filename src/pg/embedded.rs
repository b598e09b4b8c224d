//! The embedded default: with no database configured, schemaspec runs its own
//! PostgreSQL cluster from the installed server binaries, kept in `.schemaspec/pg` in
//! the project (git-ignored), listening only on a unix socket, and reused across runs.
//! As root it runs the server as the unprivileged `postgres` user, because PostgreSQL
//! refuses to run as root.

use crate::error::Error;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PORT: u16 = 5432;
const SUPERUSER: &str = "postgres";

pub struct Cluster {
    pub bin: PathBuf,
    pub data: PathBuf,
    pub socket_dir: PathBuf,
}

impl Cluster {
    /// Connection string for one database of the cluster.
    pub fn url(&self, db: &str) -> String {
        format!("host={} port={PORT} user={SUPERUSER} dbname={db}", self.socket_dir.display())
    }
}

fn has_server(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file())
}

/// Where the server binaries are: `SCHEMASPEC_PG_BIN` if set, else PATH,
/// `pg_config --bindir`, /usr/lib/postgresql/*/bin (newest version first).
pub fn find_binaries() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("SCHEMASPEC_PG_BIN").map(PathBuf::from) {
        return if has_server(&dir) {
            Ok(dir)
        } else {
            Err(Error::Other(format!("SCHEMASPEC_PG_BIN={} has no initdb, pg_ctl and postgres", dir.display())))
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_server(&dir) {
                return Ok(dir);
            }
            // A symlinked initdb (Debian's /usr/local/bin) points at the real bin dir.
            if let Ok(real) = std::fs::canonicalize(dir.join("initdb")) {
                if let Some(parent) = real.parent().filter(|p| has_server(p)) {
                    return Ok(parent.to_path_buf());
                }
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p): &(u32, PathBuf)| has_server(p))
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p).ok_or(Error::NoServerBinaries)
}

/// The unprivileged user to run the server as, when we are root.
fn server_user() -> Result<Option<nix::unistd::User>, Error> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let user = std::env::var("SCHEMASPEC_PG_USER").unwrap_or_else(|_| "postgres".into());
    nix::unistd::User::from_name(&user)
        .ok()
        .flatten()
        .map(Some)
        .ok_or_else(|| Error::Other(format!(
            "running as root, the embedded PostgreSQL needs an unprivileged OS user `{user}` to own it (create it, install Debian's postgresql package, or set SCHEMASPEC_PG_USER)"
        )))
}

/// True when `user` can reach `dir` (every ancestor searchable).
fn reachable_by(dir: &Path, user: &nix::unistd::User) -> bool {
    use std::os::unix::fs::MetadataExt;
    dir.ancestors().all(|a| match std::fs::metadata(a) {
        Ok(m) => {
            let mode = m.mode();
            mode & 0o001 != 0
                || (m.uid() == user.uid.as_raw() && mode & 0o100 != 0)
                || (m.gid() == user.gid.as_raw() && mode & 0o010 != 0)
        }
        Err(_) => true, // not created yet; its parent decides
    })
}

fn run(cmd: &mut Command, user: &Option<nix::unistd::User>, what: &str) -> Result<std::process::Output, Error> {
    if let Some(u) = user {
        cmd.uid(u.uid.as_raw()).gid(u.gid.as_raw());
        cmd.env("HOME", &u.dir);
    }
    cmd.env("LC_ALL", "C.UTF-8").env_remove("PGDATA");
    cmd.output().map_err(|e| Error::Other(format!("{what}: cannot run {}: {e}", cmd.get_program().to_string_lossy())))
}

fn chown(path: &Path, user: &Option<nix::unistd::User>) -> Result<(), Error> {
    if let Some(u) = user {
        nix::unistd::chown(path, Some(u.uid), Some(u.gid))
            .map_err(|e| Error::Other(format!("cannot hand {} to {}: {e}", path.display(), u.name)))?;
    }
    Ok(())
}

/// Where the cluster for `home` really lives: `home`, unless the server's user cannot
/// reach it (a 0700 home directory, say); then a shared location named after it.
fn resolve_home(home: &Path, user: &Option<nix::unistd::User>) -> PathBuf {
    match user {
        Some(u) if !reachable_by(home, u) => {
            let tag = crate::history::checksum(&home.display().to_string());
            let moved = std::env::temp_dir().join(format!("schemaspec-{}", &tag[..12]));
            tracing::info!("{} not reachable by {}; embedded cluster in {}", home.display(), u.name, moved.display());
            moved
        }
        _ => home.to_path_buf(),
    }
}

/// Start (or reuse) the cluster under `home` (normally `<project>/.schemaspec/pg`).
pub fn ensure(home: &Path) -> Result<Cluster, Error> {
    let bin = find_binaries()?;
    let user = server_user()?;
    let home = resolve_home(home, &user);
    std::fs::create_dir_all(&home).map_err(|e| Error::Other(format!("cannot create {}: {e}", home.display())))?;
    let _ = std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755));
    chown(&home, &user)?;
    let lock_path = home.join("lock");
    let lock_file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::Other(format!("cannot open {}: {e}", lock_path.display())))?;
    let _lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| Error::Other(format!("cannot lock {}: {e}", lock_path.display())))?;

    let data = home.join("data");
    let mut socket_dir = home.join("run");
    // A unix socket path must fit in 107 bytes.
    if socket_dir.join(format!(".s.PGSQL.{PORT}")).as_os_str().len() > 100 {
        let tag = crate::history::checksum(&home.display().to_string());
        socket_dir = std::env::temp_dir().join(format!("schemaspec-sock-{}", &tag[..12]));
    }
    std::fs::create_dir_all(&socket_dir)
        .map_err(|e| Error::Other(format!("cannot create {}: {e}", socket_dir.display())))?;
    chown(&socket_dir, &user)?;

    if !data.join("PG_VERSION").exists() {
        let _ = std::fs::remove_dir_all(&data);
        let out = run(
            Command::new(bin.join("initdb")).arg("-D").arg(&data).args([
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]),
            &user,
            "initdb",
        )?;
        if !out.status.success() {
            return Err(Error::Other(format!(
                "initdb of the embedded cluster in {} failed: {}",
                data.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
    }
    let cluster = Cluster { bin: bin.clone(), data: data.clone(), socket_dir: socket_dir.clone() };
    if socket_dir.join(format!(".s.PGSQL.{PORT}")).exists() && status_running(&cluster, &user)? {
        return Ok(cluster);
    }
    // fsync is off: this is a local development cluster whose contents can be rebuilt
    // from the schema and migration files; it makes scratch databases cheap.
    let opts = format!(
        "-c listen_addresses='' -c port={PORT} -c unix_socket_directories='{}' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
        socket_dir.display()
    );
    let log = home.join("server.log");
    let out = run(
        Command::new(bin.join("pg_ctl"))
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-o")
            .arg(&opts)
            .arg("-l")
            .arg(&log),
        &user,
        "pg_ctl start",
    )?;
    if !out.status.success() {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(5).collect();
        return Err(Error::Other(format!(
            "starting the embedded PostgreSQL in {} failed: {} {}",
            data.display(),
            String::from_utf8_lossy(&out.stderr).trim(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )));
    }
    Ok(cluster)
}

fn status_running(cluster: &Cluster, user: &Option<nix::unistd::User>) -> Result<bool, Error> {
    let out = run(
        Command::new(cluster.bin.join("pg_ctl")).arg("status").arg("-D").arg(&cluster.data),
        user,
        "pg_ctl status",
    )?;
    Ok(out.status.success())
}

/// Stop the cluster if it runs.
pub fn stop(home: &Path) -> Result<bool, Error> {
    let bin = find_binaries()?;
    let user = server_user()?;
    let data = resolve_home(home, &user).join("data");
    if !data.join("postmaster.pid").exists() {
        return Ok(false);
    }
    let out =
        run(Command::new(bin.join("pg_ctl")).args(["stop", "-m", "fast", "-D"]).arg(&data), &user, "pg_ctl stop")?;
    Ok(out.status.success())
}
