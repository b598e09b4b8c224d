//! Every database round trip: connections, the embedded cluster, scratch databases,
//! introspection, loading SQL, the tracking table and running migrations.

pub mod apply;
pub mod conninfo;
pub mod embedded;
pub mod introspect;
pub mod load;
pub mod scratch;
pub mod tls;

use crate::error::{redact, Error};
use tokio_postgres::{Client, NoTls};

/// A server and database to connect to; `display` is safe to print.
#[derive(Clone, Debug)]
pub struct Target {
    pub config: tokio_postgres::Config,
    pub display: String,
    pub tls: tls::TlsOptions,
    info: conninfo::ConnInfo,
}

impl Target {
    /// Parse a connection string as libpq does (the `PG*` environment, password files).
    /// An error never repeats the string: it may hold a password.
    pub fn parse(url: &str) -> Result<Target, Error> {
        let env = |k: &str| std::env::var(k).ok();
        let invalid = |e: conninfo::ParseError| {
            Error::failed(
                format!("the connection string is not valid ({e}); it is not shown, as it may hold a password"),
                "write it in one of libpq's forms: a URI, postgresql://user@host:port/dbname?sslmode=... (a password goes after the user as `user:secret@`, with @ / ? # % percent-encoded), or host=... port=... user=... dbname=... pairs",
            )
        };
        let info = conninfo::parse(url).and_then(|i| i.complete(&env)).map_err(invalid)?;
        let (config, tls) = info.to_config().map_err(invalid)?;
        Ok(Target { config, display: info.display(), tls, info })
    }

    /// The same target, with a session setting on every connection (`-c name=value` in
    /// the startup options, so `RESET` comes back to it).
    pub fn with_setting(&self, name: &str, value: &str) -> Target {
        let mut config = self.config.clone();
        let escaped = value.replace('\\', "\\\\").replace(' ', "\\ ");
        let options = format!("{} -c {name}={escaped}", config.get_options().unwrap_or(""));
        config.options(options.trim());
        Target { config, ..self.clone() }
    }

    /// The same server, another database.
    pub fn with_dbname(&self, db: &str) -> Target {
        let mut config = self.config.clone();
        config.dbname(db);
        let mut info = self.info.clone();
        info.set_dbname(db);
        Target { config, display: info.display(), tls: self.tls.clone(), info }
    }
}

/// The connections to load a scratch database over (`load::connections()` of them: at
/// least the first; the others only as far as the server allows).
pub async fn connect_for_load(target: &Target) -> Result<Vec<Client>, Error> {
    let mut clients = vec![connect(target).await?];
    for _ in 1..load::connections() {
        match connect(target).await {
            Ok(c) => clients.push(c),
            Err(e) => {
                tracing::debug!("loading over {} connection(s): {e}", clients.len());
                break;
            }
        }
    }
    Ok(clients)
}

/// Connect (with TLS unless `sslmode=disable` or a unix socket), and drive the
/// connection on a background task.
pub async fn connect(target: &Target) -> Result<Client, Error> {
    let failed = |e: tokio_postgres::Error| Error::Connect {
        url: target.display.clone(),
        message: redact(&describe_connect_error(&e)),
    };
    let unix = target.config.get_hosts().iter().all(|h| matches!(h, tokio_postgres::config::Host::Unix(_)));
    let client = if unix || target.config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        let (client, connection) = target.config.connect(NoTls).await.map_err(failed)?;
        spawn(connection);
        client
    } else {
        let (client, connection) = target.config.connect(tls::connector(&target.tls)?).await.map_err(failed)?;
        spawn(connection);
        client
    };
    Ok(client)
}

fn spawn<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("connection closed: {}", redact(&e.to_string()));
        }
    });
}

fn describe_connect_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// PostgreSQL's message for a failed statement, with its detail and hint.
pub fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                m += &format!(" (detail: {d})");
            }
            if let Some(w) = db.where_() {
                m += &format!(" (context: {})", w.lines().next().unwrap_or(w));
            }
            m
        }
        None => redact(&describe_connect_error(e)),
    }
}
