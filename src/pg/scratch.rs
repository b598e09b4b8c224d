//! Scratch databases: uniquely named, created from template0 on the dev server, and
//! always dropped, also on error (callers drop explicitly) and on Ctrl-C (the registry
//! below lets `main` drop whatever is still open).

use super::{connect, Target};
use crate::error::Error;
use crate::ident::ident;
use std::sync::Mutex;
use tokio_postgres::Client;

static OPEN: Mutex<Vec<(Target, String)>> = Mutex::new(Vec::new());

pub struct Scratch {
    pub name: String,
    pub target: Target,
    admin: Target,
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("schemaspec_scratch_{}_{}_{:08x}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), nanos)
}

impl Scratch {
    pub async fn create(admin: &Target) -> Result<Scratch, Error> {
        let name = unique_name();
        let client = connect(admin).await?;
        client
            .batch_execute(&format!("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'", ident(&name)))
            .await
            .map_err(|e| {
                Error::Other(format!(
                    "cannot create a scratch database on {}: {}",
                    admin.display,
                    super::db_message(&e)
                ))
            })?;
        OPEN.lock().expect("not poisoned").push((admin.clone(), name.clone()));
        Ok(Scratch { target: admin.with_dbname(&name), name, admin: admin.clone() })
    }

    pub async fn connect(&self) -> Result<Client, Error> {
        connect(&self.target).await
    }

    pub async fn drop(self) {
        drop_database(&self.admin, &self.name).await;
        OPEN.lock().expect("not poisoned").retain(|(_, n)| n != &self.name);
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

/// Drop every scratch database this process still has (on Ctrl-C).
pub async fn drop_all() {
    let open: Vec<(Target, String)> = std::mem::take(&mut *OPEN.lock().expect("not poisoned"));
    for (admin, name) in open {
        drop_database(&admin, &name).await;
    }
}
