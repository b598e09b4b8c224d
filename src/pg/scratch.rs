//! Scratch databases: uniquely named, created from template0 on the dev server, and
//! always dropped, also on error (callers drop explicitly) and on SIGINT, SIGTERM and
//! SIGHUP (the registry below lets `main` drop whatever is still open). A process
//! killed outright (SIGKILL, a crash) cannot drop its own: every name carries the
//! machine, the owner's pid and the owner's start time, and the next run on the same
//! machine drops those whose owner is gone.

use super::{connect, Target};
use crate::error::Error;
use crate::ident::ident;
use std::sync::Mutex;
use tokio_postgres::Client;

static OPEN: Mutex<Vec<(Target, String)>> = Mutex::new(Vec::new());

/// Drops going on behind the caller (`Scratch::drop_behind`), for `settle` to wait for.
static DROPPING: Mutex<Vec<tokio::task::JoinHandle<()>>> = Mutex::new(Vec::new());
/// How many scratch databases this process asked a server to create.
static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Whether this process has asked a server for a scratch database: each moves the
/// state of that server (`introspect::catalog_state`).
pub fn made_any() -> bool {
    MADE.load(std::sync::atomic::Ordering::Relaxed) > 0
}

/// A registry's list. A panic elsewhere while it was held leaves it as it was, which is
/// still the list to drop from: taken as it is rather than panicking again.
fn held<T>(registry: &Mutex<Vec<T>>) -> std::sync::MutexGuard<'_, Vec<T>> {
    registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

const PREFIX: &str = "schemaspec_scratch_";

pub struct Scratch {
    pub name: String,
    pub target: Target,
    admin: Target,
}

/// A short tag for this machine (its machine id, else its host name), so a run never
/// judges the processes of another machine sharing the dev server.
fn machine_tag() -> String {
    let id = std::fs::read_to_string("/etc/machine-id")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| nix::unistd::gethostname().ok().map(|h| h.to_string_lossy().into_owned()))
        .unwrap_or_default();
    crate::history::checksum(id.trim())[..8].to_string()
}

/// When process `pid` started (clock ticks after boot, `/proc/<pid>/stat` field 22), so
/// a reused pid is not taken for the process that named a scratch database.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process that named a scratch database (pid, start time) still runs.
fn alive(pid: u32, started: u64) -> bool {
    match start_time(pid) {
        Some(now) => now == started,
        // No /proc: only whether the pid exists.
        None if !std::path::Path::new("/proc/self/stat").exists() => {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok()
        }
        None => false,
    }
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let pid = std::process::id();
    format!("{PREFIX}{}_{pid}_{}_{}", machine_tag(), start_time(pid).unwrap_or(0), N.fetch_add(1, Ordering::Relaxed))
}

/// (machine tag, pid, start time) of a scratch database's name, if it is one.
fn owner(name: &str) -> Option<(&str, u32, u64)> {
    let mut parts = name.strip_prefix(PREFIX)?.split('_');
    let (tag, pid, started, n) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (tag.len() == 8 && parts.next().is_none() && n.parse::<u32>().is_ok()).then_some(()).and(Some((
        tag,
        pid.parse().ok()?,
        started.parse().ok()?,
    )))
}

/// Drop the scratch databases on the server that processes of this machine left when
/// they were killed; once per run.
async fn drop_leftovers(client: &Client) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let rows = match client
        .query("SELECT datname::text FROM pg_catalog.pg_database WHERE datname LIKE 'schemaspec\\_scratch\\_%'", &[])
        .await
    {
        Ok(rows) => rows,
        Err(e) => return tracing::debug!("listing scratch databases: {}", super::db_message(&e)),
    };
    let tag = machine_tag();
    for row in rows {
        let Ok(name) = row.try_get::<_, String>(0) else { continue };
        let Some((machine, pid, started)) = owner(&name) else { continue };
        if machine != tag || alive(pid, started) {
            continue;
        }
        match client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(&name))).await {
            Ok(()) => tracing::info!("dropped scratch database {name}, left by a process that is gone"),
            Err(e) => tracing::debug!("could not drop {name}: {}", super::db_message(&e)),
        }
    }
}

impl Scratch {
    pub async fn create(admin: &Target) -> Result<Scratch, Error> {
        let name = unique_name();
        let client = connect(admin).await?;
        drop_leftovers(&client).await;
        let create = format!("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'", ident(&name));
        // In the embedded cluster's scratch space (memory) when it has one
        // (`prepare_space`).
        let space = client
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = $1",
                &[&super::embedded::SCRATCH_TABLESPACE],
            )
            .await
            .ok()
            .flatten()
            .is_some();
        let in_space = format!("{create} TABLESPACE {}", ident(super::embedded::SCRATCH_TABLESPACE));
        // Registered before it is made: a signal that comes as the server commits the
        // CREATE, before its answer arrives here, still finds it to drop (IF EXISTS).
        held(&OPEN).push((admin.clone(), name.clone()));
        MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let created = match space {
            true => match client.batch_execute(&in_space).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    tracing::debug!("scratch database on disk: {}", super::db_message(&e));
                    client.batch_execute(&create).await
                }
            },
            false => client.batch_execute(&create).await,
        };
        if let Err(e) = created {
            held(&OPEN).retain(|(_, n)| n != &name);
            return Err(Error::Other(format!(
                "cannot create a scratch database on {}: {}",
                admin.display,
                super::db_message(&e)
            )));
        }
        Ok(Scratch { target: admin.with_dbname(&name), name, admin: admin.clone() })
    }

    pub async fn connect(&self) -> Result<Client, Error> {
        connect(&self.target).await
    }

    pub async fn drop(self) {
        drop_database(&self.admin, &self.name).await;
        held(&OPEN).retain(|(_, n)| n != &self.name);
    }

    /// Drop it on a task of its own while the caller goes on: a scratch database of
    /// 2,000 tables takes ~0.2 s to drop, which `generate` spends on its proof instead.
    /// `settle` waits for every such drop; until it is done the database stays in the
    /// registry, so a signal still drops it.
    pub fn drop_behind(self) {
        let handle = tokio::spawn(self.drop());
        held(&DROPPING).push(handle);
    }
}

/// Wait for the drops `Scratch::drop_behind` started: `main` does before the process
/// ends, so no scratch database outlives the command that made it.
pub async fn settle() {
    loop {
        let pending = std::mem::take(&mut *held(&DROPPING));
        if pending.is_empty() {
            return;
        }
        for handle in pending {
            let _ = handle.await;
        }
    }
}

async fn drop_database(admin: &Target, name: &str) {
    match connect(admin).await {
        Ok(c) => {
            if let Err(e) = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name))).await {
                tracing::warn!("could not drop scratch database {name}: {}", super::db_message(&e));
            }
        }
        Err(e) => tracing::warn!("could not drop scratch database {name}: {e}"),
    }
}

/// Drop every scratch database this process still has (on SIGINT, SIGTERM, SIGHUP).
pub async fn drop_all() {
    let open: Vec<(Target, String)> = std::mem::take(&mut *held(&OPEN));
    for (admin, name) in open {
        drop_database(&admin, &name).await;
    }
}

/// The embedded cluster's `postgres` database, where scratch databases are made, with
/// its scratch space (if any) made their tablespace first (`prepare_space`).
pub async fn admin_of(cluster: &super::embedded::Cluster) -> Result<Target, Error> {
    let admin = Target::parse(&cluster.url("postgres"))?;
    if let Some(space) = &cluster.scratch_space {
        prepare_space(&admin, space).await;
    }
    Ok(admin)
}

/// Point the scratch tablespace (`embedded::SCRATCH_TABLESPACE`) of the cluster behind
/// `admin` at `space`, the embedded cluster's scratch space, where it is not yet (a new
/// space after a reboot). On failure (a scratch database of a killed run still in the
/// old tablespace) the tablespace is left as it is and scratch databases go to disk
/// (`Scratch::create` falls back).
async fn prepare_space(admin: &Target, space: &std::path::Path) {
    let name = super::embedded::SCRATCH_TABLESPACE;
    let location = space.to_string_lossy().into_owned();
    let prepared = async {
        let client = connect(admin).await.map_err(|e| e.to_string())?;
        let at: Option<String> = client
            .query_opt(
                "SELECT pg_catalog.pg_tablespace_location(oid) FROM pg_catalog.pg_tablespace WHERE spcname = $1",
                &[&name],
            )
            .await
            .map_err(|e| super::db_message(&e))?
            .map(|r| r.get(0));
        if at.as_deref() == Some(location.as_str()) {
            return Ok(());
        }
        if at.is_some() {
            // Its folder went with a reboot, or the space was made anew.
            client
                .batch_execute(&format!("DROP TABLESPACE {}", ident(name)))
                .await
                .map_err(|e| super::db_message(&e))?;
        }
        let create = format!("CREATE TABLESPACE {} LOCATION {}", ident(name), crate::ident::literal(&location));
        client.batch_execute(&create).await.map_err(|e| super::db_message(&e))
    };
    match prepared.await {
        Ok(()) => tracing::debug!("scratch databases go to {location}"),
        Err(e) => tracing::info!("scratch databases stay on disk: the tablespace in {location} could not be made: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_whose_they_are() {
        let name = unique_name();
        assert!(name.len() <= 63, "{name}");
        let (tag, pid, started) = owner(&name).unwrap();
        assert_eq!((tag, pid), (machine_tag().as_str(), std::process::id()));
        assert!(alive(pid, started), "this process is alive");
        assert!(!alive(pid, started + 1), "a reused pid is another process");
        assert_eq!(owner("schemaspec_scratch_123_4_0a1b2c3d"), None, "names of earlier versions are left alone");
        assert_eq!(owner("app_db"), None);
    }
}
