//! The embedded default: with no database configured, schemaspec runs its own
//! PostgreSQL cluster from the installed server binaries, kept in `.schemaspec/pg` in
//! the project (git-ignored), listening only on a unix socket, and reused across runs.
//! As root it runs the server as the unprivileged `postgres` user, because PostgreSQL
//! refuses to run as root.
//!
//! On a shared machine (docs/security.md) the cluster is private: its folder is 0700,
//! owned by the server's OS user and marked as schemaspec's, so only that user, the
//! invoking one and root can reach the socket (which is 0700 too, and TCP is off). When
//! the server's user cannot reach the project folder, the cluster lives in a folder made
//! atomically under the temp dir (mkdtemp, an unpredictable name) and recorded in the
//! project; every use checks the recorded folder's type, owner, mode and mark, and
//! schemaspec never chowns, chmods or deletes anything that is not so marked.

use crate::error::Error;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PORT: u16 = 5432;
const SUPERUSER: &str = "postgres";

pub struct Cluster {
    pub bin: PathBuf,
    pub data: PathBuf,
    pub socket_dir: PathBuf,
    /// A private folder in memory (tmpfs) for scratch databases, where the machine has
    /// room (see `scratch_space`); `scratch::prepare_space` makes it a tablespace.
    pub scratch_space: Option<PathBuf>,
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

/// The file that marks a folder as made by schemaspec for a cluster.
const MARKER: &str = ".schemaspec-cluster";
/// In `<project>/.schemaspec/`: where the cluster lives when not in the project.
const LOCATION_FILE: &str = "pg.location";
/// In the cluster's folder: where the socket lives when the folder's path is too long.
const SOCKET_LOCATION_FILE: &str = "socket.location";

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

/// Who the cluster's folders belong to: the server's user, or (not root) ourselves.
struct Owner {
    uid: nix::unistd::Uid,
    gid: nix::unistd::Gid,
    name: String,
}

impl Owner {
    fn of(user: &Option<nix::unistd::User>) -> Owner {
        match user {
            Some(u) => Owner { uid: u.uid, gid: u.gid, name: u.name.clone() },
            None => {
                let uid = nix::unistd::geteuid();
                let name =
                    nix::unistd::User::from_uid(uid).ok().flatten().map_or_else(|| format!("uid {uid}"), |u| u.name);
                Owner { uid, gid: nix::unistd::getegid(), name }
            }
        }
    }
}

/// True when `user` can reach `dir` (every ancestor searchable).
fn reachable_by(dir: &Path, user: &nix::unistd::User) -> bool {
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

fn refuse(path: &Path, why: &str, hint: &str) -> Error {
    Error::failed(format!("refusing to use {} for the embedded PostgreSQL: {why}", path.display()), hint)
}

fn fs_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Other(format!("cannot {what} {}: {e}", path.display()))
}

/// Make `path` a new private folder (0700, refusing to follow or reuse anything already
/// there), hand it to `owner` and mark it as ours.
fn create_private(path: &Path, owner: &Owner) -> Result<(), Error> {
    std::fs::DirBuilder::new().mode(0o700).create(path).map_err(|e| fs_error(path, "create", e))?;
    take_and_mark(path, owner)
}

/// Hand a folder this process just created to `owner`, and mark it.
fn take_and_mark(path: &Path, owner: &Owner) -> Result<(), Error> {
    nix::unistd::chown(path, Some(owner.uid), Some(owner.gid))
        .map_err(|e| fs_error(path, &format!("hand to {}", owner.name), e))?;
    std::fs::write(path.join(MARKER), "made by schemaspec for its embedded PostgreSQL; see docs/security.md\n")
        .map_err(|e| fs_error(&path.join(MARKER), "write", e))
}

/// A new folder with an unpredictable name under the temp dir (mkdtemp: created
/// atomically, 0700), handed to `owner` and marked.
fn create_temp_private(prefix: &str, owner: &Owner) -> Result<PathBuf, Error> {
    create_private_in(&std::env::temp_dir(), prefix, owner)
}

/// `create_temp_private` under `base`.
fn create_private_in(base: &Path, prefix: &str, owner: &Owner) -> Result<PathBuf, Error> {
    let template = base.join(format!("{prefix}XXXXXX"));
    let dir = nix::unistd::mkdtemp(&template).map_err(|e| fs_error(&template, "create a folder like", e))?;
    take_and_mark(&dir, owner)?;
    Ok(dir)
}

/// Check that `path` is a folder schemaspec made for `owner`: a real directory (not a
/// symlink), owned by `owner`, with no access for group or others, and marked.
fn verify_private(path: &Path, owner: &Owner, recorded_in: &Path) -> Result<(), Error> {
    let hint = format!(
        "it may have been planted by another user: inspect it, and if it is not yours remove {} so schemaspec makes a new private folder",
        recorded_in.display()
    );
    let m = std::fs::symlink_metadata(path).map_err(|e| fs_error(path, "inspect", e))?;
    if m.file_type().is_symlink() || !m.is_dir() {
        return Err(refuse(path, "it is not a directory (a symlink, or a file)", &hint));
    }
    if m.uid() != owner.uid.as_raw() {
        return Err(refuse(path, &format!("it is owned by uid {}, not by {}", m.uid(), owner.name), &hint));
    }
    if m.mode() & 0o077 != 0 {
        return Err(refuse(
            path,
            &format!("its mode is {:o}: others may use it (schemaspec makes it 0700)", m.mode() & 0o777),
            &hint,
        ));
    }
    match std::fs::symlink_metadata(path.join(MARKER)) {
        Ok(mark) if mark.is_file() => Ok(()),
        _ => Err(refuse(path, "it carries no mark of schemaspec (it was not made by schemaspec)", &hint)),
    }
}

/// The folder recorded in `pointer` when it still exists (verified), `None` when
/// there is no record or the folder is gone (a cleaned temp dir).
fn recorded(pointer: &Path, owner: &Owner) -> Result<Option<PathBuf>, Error> {
    let text = match std::fs::read_to_string(pointer) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fs_error(pointer, "read", e)),
    };
    let dir = PathBuf::from(text.trim());
    if !dir.is_absolute() {
        return Err(refuse(&dir, &format!("{} does not hold an absolute path", pointer.display()), "remove that file"));
    }
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => verify_private(&dir, owner, pointer).map(|()| Some(dir)),
    }
}

fn record(pointer: &Path, dir: &Path) -> Result<(), Error> {
    if let Some(parent) = pointer.parent() {
        std::fs::create_dir_all(parent).map_err(|e| fs_error(parent, "create", e))?;
    }
    let tmp = pointer.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, format!("{}\n", dir.display())).and_then(|()| std::fs::rename(&tmp, pointer)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fs_error(pointer, "write", e)
    })
}

/// The project's own cluster folder: created private and marked when missing; an
/// existing one must be a real directory of `owner`'s. A folder that an earlier
/// schemaspec made (no mark yet: a cluster, or nothing, inside) is adopted: marked and
/// made private. Anything else is refused.
fn project_home(home: &Path, owner: &Owner, create: bool) -> Result<Option<PathBuf>, Error> {
    let hint = "schemaspec keeps its embedded PostgreSQL in <project>/.schemaspec/pg; move what is there away, or run schemaspec as the user who owns it";
    match std::fs::symlink_metadata(home) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Ok(None);
            }
            if let Some(parent) = home.parent() {
                std::fs::create_dir_all(parent).map_err(|e| fs_error(parent, "create", e))?;
            }
            create_private(home, owner)?;
            Ok(Some(home.to_path_buf()))
        }
        Err(e) => Err(fs_error(home, "inspect", e)),
        Ok(m) => {
            if m.file_type().is_symlink() || !m.is_dir() {
                return Err(refuse(home, "it is not a directory (a symlink, or a file)", hint));
            }
            if m.uid() != owner.uid.as_raw() {
                return Err(refuse(home, &format!("it is owned by uid {}, not by {}", m.uid(), owner.name), hint));
            }
            if std::fs::symlink_metadata(home.join(MARKER)).is_err() {
                let entries: Vec<String> = std::fs::read_dir(home)
                    .map_err(|e| fs_error(home, "read", e))?
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                let earlier = ["data", "run", "lock", "server.log"];
                let ours = entries.iter().all(|e| earlier.contains(&e.as_str()))
                    && (entries.is_empty() || home.join("data").join("PG_VERSION").is_file());
                if !ours {
                    return Err(refuse(home, "it holds files schemaspec did not make", hint));
                }
                std::fs::write(home.join(MARKER), "made by schemaspec for its embedded PostgreSQL\n")
                    .map_err(|e| fs_error(home, "mark", e))?;
            }
            std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| fs_error(home, "make private", e))?;
            Ok(Some(home.to_path_buf()))
        }
    }
}

/// Where the cluster for `home` really lives: `home`, unless the server's user cannot
/// reach it (a 0700 home directory, say); then a private folder under the temp dir,
/// recorded in `<project>/.schemaspec/pg.location`. `None` when there is none yet and
/// `create` is false.
fn locate(home: &Path, user: &Option<nix::unistd::User>, create: bool) -> Result<Option<PathBuf>, Error> {
    let owner = Owner::of(user);
    match user {
        Some(u) if !reachable_by(home, u) => {
            let pointer = home.with_file_name(LOCATION_FILE);
            if let Some(dir) = recorded(&pointer, &owner)? {
                return Ok(Some(dir));
            }
            if !create {
                return Ok(None);
            }
            let dir = create_temp_private("schemaspec-", &owner)?;
            record(&pointer, &dir)?;
            tracing::info!("{} not reachable by {}; embedded cluster in {}", home.display(), u.name, dir.display());
            Ok(Some(dir))
        }
        _ => project_home(home, &owner, create),
    }
}

/// The socket's folder: `run/` in the cluster's folder, or, when that path is too long
/// for a unix socket, a private folder under the temp dir recorded in the cluster's.
fn socket_dir(home: &Path, owner: &Owner) -> Result<PathBuf, Error> {
    let run = home.join("run");
    // A unix socket path must fit in 107 bytes.
    if run.join(format!(".s.PGSQL.{PORT}")).as_os_str().len() <= 100 {
        match std::fs::symlink_metadata(&run) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_private(&run, owner)?,
            Err(e) => return Err(fs_error(&run, "inspect", e)),
            // Inside our private folder: only we (or the server's user) made it.
            Ok(m) if m.is_dir() && !m.file_type().is_symlink() => {
                std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700))
                    .map_err(|e| fs_error(&run, "make private", e))?;
            }
            Ok(_) => return Err(refuse(&run, "it is not a directory", "remove it")),
        }
        return Ok(run);
    }
    let pointer = home.join(SOCKET_LOCATION_FILE);
    if let Some(dir) = recorded(&pointer, owner)? {
        return Ok(dir);
    }
    let dir = create_temp_private("schemaspec-sock-", owner)?;
    record(&pointer, &dir)?;
    Ok(dir)
}

/// Where scratch databases go when the machine has memory to spare for them: creating
/// a database's files is most of what loading a large schema costs on disk (1,000 tables
/// are ~7,000 files: `psql -f` took 4.6 s into a database on disk, 1.9 s into one on
/// tmpfs). A folder under /dev/shm, made like the cluster's own (unpredictable name,
/// 0700, owned by the server's user, marked) and recorded in the cluster's folder, with
/// an empty `space/` inside for the tablespace (`scratch::prepare_space`). `None` (scratch databases stay on disk)
/// when /dev/shm has less than `SCRATCH_SPACE_MIN` free (a container's is often 64 MB,
/// and a 5,000-table schema takes ~300 MB), when `SCHEMASPEC_SCRATCH_ON_DISK` is set,
/// or when the recorded folder fails its checks (a warning says why). After a reboot the
/// folder is gone, and a new one is made.
fn scratch_space(home: &Path, owner: &Owner) -> Option<PathBuf> {
    let shm = Path::new("/dev/shm");
    if std::env::var_os("SCHEMASPEC_SCRATCH_ON_DISK").is_some() {
        return None;
    }
    let free = nix::sys::statvfs::statvfs(shm).ok().map(|v| v.blocks_available() * v.fragment_size())?;
    if free < SCRATCH_SPACE_MIN {
        tracing::debug!("/dev/shm has {} MB free: scratch databases stay on disk", free >> 20);
        return None;
    }
    let pointer = home.join(SCRATCH_SPACE_FILE);
    let made = || -> Result<PathBuf, Error> {
        if let Some(dir) = recorded(&pointer, owner)? {
            let space = dir.join("space");
            let m = std::fs::symlink_metadata(&space).map_err(|e| fs_error(&space, "inspect", e))?;
            if m.file_type().is_symlink() || !m.is_dir() || m.uid() != owner.uid.as_raw() || m.mode() & 0o077 != 0 {
                return Err(refuse(&space, "it is not a private directory of the server's user", "remove it"));
            }
            return Ok(space);
        }
        let dir = create_private_in(shm, "schemaspec-scratch-", owner)?;
        let space = dir.join("space");
        std::fs::DirBuilder::new().mode(0o700).create(&space).map_err(|e| fs_error(&space, "create", e))?;
        nix::unistd::chown(&space, Some(owner.uid), Some(owner.gid))
            .map_err(|e| fs_error(&space, &format!("hand to {}", owner.name), e))?;
        record(&pointer, &dir)?;
        Ok(space)
    };
    match made() {
        Ok(space) => Some(space),
        Err(e) => {
            tracing::warn!("scratch databases stay on disk: {e}");
            None
        }
    }
}

/// The tablespace scratch databases are created in (`scratch::prepare_space`).
pub const SCRATCH_TABLESPACE: &str = "schemaspec_scratch";

/// The least free memory in /dev/shm for scratch databases to go there.
const SCRATCH_SPACE_MIN: u64 = 2 << 30;
/// The file in the cluster's folder that records the scratch space's folder.
const SCRATCH_SPACE_FILE: &str = "scratch-space";

/// Start (or reuse) the cluster under `home` (normally `<project>/.schemaspec/pg`).
pub fn ensure(home: &Path) -> Result<Cluster, Error> {
    let bin = find_binaries()?;
    let user = server_user()?;
    let owner = Owner::of(&user);
    let home = locate(home, &user, true)?.ok_or_else(|| Error::Other("the embedded cluster has no folder".into()))?;
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
    let socket_dir = socket_dir(&home, &owner)?;
    if !data.join("PG_VERSION").exists() {
        // A data folder without PG_VERSION is what an interrupted initdb left in our
        // private, marked folder.
        match std::fs::symlink_metadata(&data) {
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
                return Err(refuse(&data, "it is not a directory", "remove it"));
            }
            Ok(_) => std::fs::remove_dir_all(&data).map_err(|e| fs_error(&data, "remove the unfinished", e))?,
            Err(_) => {}
        }
        // A scratch space recorded for an earlier cluster holds its tablespace: a new one.
        let _ = std::fs::remove_file(home.join(SCRATCH_SPACE_FILE));
        // Local (socket) connections only; TCP is refused even if someone turns it on.
        let out = run(
            Command::new(bin.join("initdb")).arg("-D").arg(&data).args([
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=reject",
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
    let scratch_space = scratch_space(&home, &owner);
    let cluster = Cluster { bin: bin.clone(), data: data.clone(), socket_dir: socket_dir.clone(), scratch_space };
    if socket_dir.join(format!(".s.PGSQL.{PORT}")).exists() && status_running(&cluster, &user)? {
        return Ok(cluster);
    }
    // fsync is off: this is a local development cluster whose contents can be rebuilt
    // from the schema and migration files; it makes scratch databases cheap. The socket
    // is the only way in, and only its owner (and root) may use it.
    let opts = format!(
        "-c listen_addresses='' -c port={PORT} -c unix_socket_directories='{}' -c unix_socket_permissions=0700 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
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
    let Some(home) = locate(home, &user, false)? else { return Ok(false) };
    let data = home.join("data");
    if !data.join("postmaster.pid").exists() {
        return Ok(false);
    }
    let out =
        run(Command::new(bin.join("pg_ctl")).args(["stop", "-m", "fast", "-D"]).arg(&data), &user, "pg_ctl stop")?;
    Ok(out.status.success())
}
