//! Connection strings as libpq reads them: `postgresql://` URIs and `key = value`
//! strings, defaults from the `PG*` environment variables, and the password from the
//! string, `PGPASSWORD`, or a password file (`passfile`, `PGPASSFILE`, `~/.pgpass`).
//!
//! What schemaspec shows of a connection (text, JSON, logs, errors) is built here from
//! the parsed parameters with every secret left out, never by editing the user's text;
//! a string that cannot be parsed is never echoed, not even in part. A URI password may
//! hold unencoded `@`, `/` or `?` (people paste them): the credentials end at the last
//! `@` before the query, so no part of a password can end up in the host or database
//! that is shown.

use super::tls::TlsOptions;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every keyword schemaspec takes (libpq's names). Others are refused by name.
const KEYWORDS: [&str; 22] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "options",
    "application_name",
    "fallback_application_name",
    "sslmode",
    "sslrootcert",
    "sslnegotiation",
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// libpq keywords schemaspec does not implement: refused rather than ignored.
const UNSUPPORTED: [&str; 14] = [
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslcompression",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "requirepeer",
];

/// Environment variables libpq reads for defaults, by keyword.
const ENVIRONMENT: [(&str, &str); 13] = [
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("passfile", "PGPASSFILE"),
    ("options", "PGOPTIONS"),
    ("application_name", "PGAPPNAME"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
];

/// Why a string is not a connection string. Never holds any of its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Not well-formed (what kind of problem, in words).
    Malformed(&'static str),
    /// A keyword libpq does not know; the nearest one it does, if any.
    UnknownOption(Option<&'static str>),
    /// A libpq keyword schemaspec does not implement.
    Unsupported(&'static str),
    /// A known keyword with a value it cannot take.
    InvalidValue(&'static str),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Malformed(what) => write!(f, "malformed: {what}"),
            ParseError::UnknownOption(Some(near)) => {
                write!(f, "an option libpq does not know (did you mean `{near}`? keywords are lower case)")
            }
            ParseError::UnknownOption(None) => write!(f, "an option libpq does not know"),
            ParseError::Unsupported(k) => write!(f, "option `{k}` is not supported by schemaspec"),
            ParseError::InvalidValue(k) => write!(f, "invalid value for option `{k}`"),
        }
    }
}

/// A parsed connection string: libpq keyword → value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnInfo {
    params: BTreeMap<&'static str, String>,
}

fn keyword(k: &str) -> Result<&'static str, ParseError> {
    if let Some(known) = KEYWORDS.iter().find(|w| **w == k) {
        return Ok(known);
    }
    if let Some(unsupported) = UNSUPPORTED.iter().find(|w| **w == k) {
        return Err(ParseError::Unsupported(unsupported));
    }
    let lower = k.to_ascii_lowercase();
    let near = KEYWORDS.iter().chain(UNSUPPORTED.iter()).copied().find(|w| *w == lower || distance(w, &lower) <= 2);
    Err(ParseError::UnknownOption(near))
}

/// Edit distance, to suggest the keyword a typo meant.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn percent_decode(s: &str) -> Result<String, ParseError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(ParseError::Malformed("a `%` not followed by two hex digits"))?;
            out.push(
                u8::from_str_radix(hex, 16)
                    .map_err(|_| ParseError::Malformed("a `%` not followed by two hex digits"))?,
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ParseError::Malformed("percent-encoded bytes that are not UTF-8"))
}

pub fn parse(s: &str) -> Result<ConnInfo, ParseError> {
    let s = s.trim();
    match s.strip_prefix("postgresql://").or_else(|| s.strip_prefix("postgres://")) {
        Some(rest) => parse_uri(rest),
        None => parse_kv(s),
    }
}

fn set(info: &mut ConnInfo, key: &str, value: String) -> Result<(), ParseError> {
    let k = keyword(key)?;
    info.params.insert(k, value);
    Ok(())
}

/// `keyword = value` pairs separated by white space; a value in single quotes may hold
/// spaces; `\` escapes the next character.
fn parse_kv(s: &str) -> Result<ConnInfo, ParseError> {
    let mut info = ConnInfo::default();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(info);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(ParseError::Malformed("a word without `= value` (key = value pairs, or a postgresql:// URI)"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(ParseError::Malformed("an unterminated quoted value")),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        set(&mut info, &key, value)?;
    }
}

/// Where the query of a URI starts: the first `?` followed by `keyword=` (a `?` in an
/// unencoded password is not followed by a keyword).
fn query_start(s: &str) -> Option<usize> {
    s.match_indices('?').map(|(i, _)| i).find(|&i| {
        let after = &s[i + 1..];
        let key: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        !key.is_empty() && after[key.len()..].starts_with('=')
    })
}

/// `[user[:password]@][host[:port][,...]][/dbname][?keyword=value&...]`.
fn parse_uri(s: &str) -> Result<ConnInfo, ParseError> {
    let mut info = ConnInfo::default();
    let query_at = query_start(s).unwrap_or(s.len());
    let (head, query) = s.split_at(query_at);
    // The credentials end at the last `@` before the query.
    let (creds, location) = match head.rfind('@') {
        Some(at) => (Some(&head[..at]), &head[at + 1..]),
        None => (None, head),
    };
    if let Some(creds) = creds {
        let (user, password) = match creds.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (creds, None),
        };
        if !user.is_empty() {
            info.params.insert("user", percent_decode(user)?);
        }
        if let Some(p) = password {
            info.params.insert("password", percent_decode(p)?);
        }
    }
    let (hosts, path) = match location.find('/') {
        Some(slash) => (&location[..slash], Some(&location[slash + 1..])),
        None => (location, None),
    };
    if !hosts.is_empty() {
        let mut names = Vec::new();
        let mut ports = Vec::new();
        for chunk in hosts.split(',') {
            let (host, port) = if let Some(v6) = chunk.strip_prefix('[') {
                let close = v6.find(']').ok_or(ParseError::Malformed("an IPv6 host without `]`"))?;
                let port = &v6[close + 1..];
                let port = match port.strip_prefix(':') {
                    Some(p) => Some(p),
                    None if port.is_empty() => None,
                    None => return Err(ParseError::Malformed("text after an IPv6 host")),
                };
                (&v6[..close], port)
            } else {
                match chunk.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (chunk, None),
                }
            };
            names.push(percent_decode(host)?);
            ports.push(port.map(percent_decode).transpose()?.unwrap_or_default());
        }
        info.params.insert("host", names.join(","));
        if ports.iter().any(|p| !p.is_empty()) {
            info.params.insert("port", ports.join(","));
        }
    }
    if let Some(db) = path.filter(|d| !d.is_empty()) {
        info.params.insert("dbname", percent_decode(db)?);
    }
    if let Some(q) = query.strip_prefix('?') {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or(ParseError::Malformed("a query parameter without `=`"))?;
            set(&mut info, &percent_decode(k)?, percent_decode(v)?)?;
        }
    }
    Ok(info)
}

/// libpq's default socket folder.
fn default_socket_dir() -> &'static str {
    if Path::new("/var/run/postgresql").is_dir() {
        "/var/run/postgresql"
    } else {
        "/tmp"
    }
}

impl ConnInfo {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Fill what the string leaves out as libpq does: `PG*` variables, then the
    /// defaults (the default socket folder, port 5432, the OS user, a database named
    /// after the user); then the password from a password file if none was given.
    pub fn complete(mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<ConnInfo, ParseError> {
        for (key, var) in ENVIRONMENT {
            if !self.params.contains_key(key) {
                if let Some(v) = env(var).filter(|v| !v.is_empty()) {
                    self.params.insert(key, v);
                }
            }
        }
        if !self.params.contains_key("host") && !self.params.contains_key("hostaddr") {
            self.params.insert("host", default_socket_dir().to_string());
        }
        self.params.entry("port").or_insert_with(|| "5432".into());
        if !self.params.contains_key("user") {
            let os_user = nix::unistd::User::from_uid(nix::unistd::geteuid())
                .ok()
                .flatten()
                .map(|u| u.name)
                .ok_or(ParseError::Malformed("no user given, and the OS user has no name"))?;
            self.params.insert("user", os_user);
        }
        if !self.params.contains_key("dbname") {
            let user = self.params["user"].clone();
            self.params.insert("dbname", user);
        }
        if !self.params.contains_key("password") {
            let file = self
                .params
                .get("passfile")
                .map(PathBuf::from)
                .or_else(|| env("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".pgpass")));
            if let Some(password) = file.and_then(|f| self.password_in_file(&f)) {
                self.params.insert("password", password);
            }
        }
        Ok(self)
    }

    /// The first matching line of a password file (`host:port:database:user:password`,
    /// `*` matching anything, `\` escaping). Ignored, as libpq does, unless it is a
    /// regular file that only its owner can read.
    fn password_in_file(&self, path: &Path) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        if meta.mode() & 0o077 != 0 {
            tracing::warn!("password file {} has group or world access; it is ignored (chmod 0600 it)", path.display());
            return None;
        }
        let text = std::fs::read_to_string(path).ok()?;
        let host = self.get("host").and_then(|h| h.split(',').next()).unwrap_or("");
        let host_matches =
            |field: &str| field == "*" || field == host || (host.starts_with('/') && field == "localhost");
        let port = self.get("port").and_then(|p| p.split(',').next()).unwrap_or("5432");
        let wanted = [self.get("dbname").unwrap_or(""), self.get("user").unwrap_or("")];
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()) {
            let fields = passfile_fields(line);
            let [h, p, d, u, password] = <[String; 5]>::try_from(fields).ok()?;
            let same = |f: &str, v: &str| f == "*" || f == v;
            if host_matches(&h) && same(&p, port) && same(&d, wanted[0]) && same(&u, wanted[1]) {
                return Some(password);
            }
        }
        None
    }

    /// What may be shown of this connection: a `postgresql://` URI without secrets.
    pub fn display(&self) -> String {
        let enc = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    c if c.is_ascii_alphanumeric() || "-._~".contains(c) => c.to_string(),
                    c => c.to_string().bytes().map(|b| format!("%{b:02X}")).collect(),
                })
                .collect()
        };
        let user = self.get("user").map(|u| format!("{}@", enc(u))).unwrap_or_default();
        let hosts: Vec<&str> =
            self.get("host").or(self.get("hostaddr")).map(|h| h.split(',').collect()).unwrap_or_default();
        let ports: Vec<&str> = self.get("port").map(|p| p.split(',').collect()).unwrap_or_default();
        let port_of = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or("");
        let mut query = Vec::new();
        let authority = if hosts.iter().any(|h| h.starts_with('/')) {
            query.push(format!("host={}", hosts.join(",")));
            if !ports.is_empty() {
                query.push(format!("port={}", ports.join(",")));
            }
            String::new()
        } else {
            hosts
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let h = if h.contains(':') { format!("[{h}]") } else { enc(h) };
                    match port_of(i) {
                        "" => h,
                        p => format!("{h}:{p}"),
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        if let Some(mode) = self.get("sslmode") {
            query.push(format!("sslmode={mode}"));
        }
        let db = self.get("dbname").map(enc).unwrap_or_default();
        let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
        format!("postgresql://{user}{authority}/{db}{query}")
    }

    pub fn set_dbname(&mut self, db: &str) {
        self.params.insert("dbname", db.to_string());
    }

    /// The tokio-postgres configuration and the TLS options it cannot hold.
    pub fn to_config(&self) -> Result<(tokio_postgres::Config, TlsOptions), ParseError> {
        use tokio_postgres::config::{ChannelBinding, LoadBalanceHosts, SslMode, TargetSessionAttrs};
        let mut c = tokio_postgres::Config::new();
        let mut tls = TlsOptions::default();
        let invalid = ParseError::InvalidValue;
        let seconds = |k: &'static str, v: &str| -> Result<std::time::Duration, ParseError> {
            v.trim().parse::<u64>().map(std::time::Duration::from_secs).map_err(|_| invalid(k))
        };
        for (&k, v) in &self.params {
            match k {
                "host" => {
                    for h in v.split(',') {
                        if h.starts_with('/') {
                            c.host_path(h);
                        } else {
                            c.host(h);
                        }
                    }
                }
                "hostaddr" => {
                    for a in v.split(',') {
                        c.hostaddr(a.trim().parse().map_err(|_| invalid("hostaddr"))?);
                    }
                }
                "port" => {
                    for p in v.split(',') {
                        c.port(if p.is_empty() { 5432 } else { p.parse().map_err(|_| invalid("port"))? });
                    }
                }
                "dbname" => {
                    c.dbname(v);
                }
                "user" => {
                    c.user(v);
                }
                "password" => {
                    c.password(v.as_bytes());
                }
                "options" => {
                    c.options(v);
                }
                "application_name" => {
                    c.application_name(v);
                }
                "fallback_application_name" => {
                    if !self.params.contains_key("application_name") {
                        c.application_name(v);
                    }
                }
                "sslmode" => {
                    c.ssl_mode(match v.as_str() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" | "verify-full" => {
                            tls.verify = true;
                            SslMode::Require
                        }
                        _ => return Err(invalid("sslmode")),
                    });
                }
                "sslrootcert" => tls.root_cert = Some(v.clone()),
                "sslnegotiation" => {
                    c.ssl_negotiation(match v.as_str() {
                        "postgres" => tokio_postgres::config::SslNegotiation::Postgres,
                        "direct" => tokio_postgres::config::SslNegotiation::Direct,
                        _ => return Err(invalid("sslnegotiation")),
                    });
                }
                "connect_timeout" => {
                    c.connect_timeout(seconds("connect_timeout", v)?);
                }
                "keepalives" => {
                    c.keepalives(v.trim() != "0");
                }
                "keepalives_idle" => {
                    c.keepalives_idle(seconds("keepalives_idle", v)?);
                }
                "keepalives_interval" => {
                    c.keepalives_interval(seconds("keepalives_interval", v)?);
                }
                "keepalives_count" => {
                    c.keepalives_retries(v.trim().parse().map_err(|_| invalid("keepalives_count"))?);
                }
                "tcp_user_timeout" => {
                    let ms: u64 = v.trim().parse().map_err(|_| invalid("tcp_user_timeout"))?;
                    c.tcp_user_timeout(std::time::Duration::from_millis(ms));
                }
                "target_session_attrs" => {
                    c.target_session_attrs(match v.as_str() {
                        "any" => TargetSessionAttrs::Any,
                        "read-write" => TargetSessionAttrs::ReadWrite,
                        "read-only" => TargetSessionAttrs::ReadOnly,
                        _ => return Err(invalid("target_session_attrs")),
                    });
                }
                "channel_binding" => {
                    c.channel_binding(match v.as_str() {
                        "disable" => ChannelBinding::Disable,
                        "prefer" => ChannelBinding::Prefer,
                        "require" => ChannelBinding::Require,
                        _ => return Err(invalid("channel_binding")),
                    });
                }
                "load_balance_hosts" => {
                    c.load_balance_hosts(match v.as_str() {
                        "disable" => LoadBalanceHosts::Disable,
                        "random" => LoadBalanceHosts::Random,
                        _ => return Err(invalid("load_balance_hosts")),
                    });
                }
                // Read by `complete`.
                "passfile" => {}
                _ => return Err(ParseError::Unsupported(k)),
            }
        }
        Ok((c, tls))
    }
}

/// A password-file line's fields: `:` separates, `\` escapes.
fn passfile_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' if fields.len() < 5 => fields.push(String::new()),
            '\\' => fields.iter_mut().last().into_iter().for_each(|f| f.extend(chars.next())),
            c => fields.iter_mut().last().into_iter().for_each(|f| f.push(c)),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn shown(s: &str) -> String {
        parse(s).unwrap().complete(&no_env).unwrap().display()
    }

    #[test]
    fn uri_passwords_with_unencoded_characters() {
        for (uri, password) in [
            ("postgres://app:s3cret@db:5432/app", "s3cret"),
            ("postgresql://app:p@ss@db/app", "p@ss"),
            ("postgresql://app:pa/ss@db/app?sslmode=disable", "pa/ss"),
            ("postgresql://app:pa?ss@db/app", "pa?ss"),
            ("postgresql://app:a@b/c?d@db:6543/app?application_name=x", "a@b/c?d"),
            ("postgresql://app:p%40ss@db/app", "p@ss"),
        ] {
            let info = parse(uri).unwrap();
            assert_eq!(info.get("password"), Some(password), "{uri}");
            assert_eq!(info.get("user"), Some("app"), "{uri}");
            assert!(info.get("host").is_some_and(|h| h == "db"), "{uri}: {:?}", info.get("host"));
            assert_eq!(info.get("dbname"), Some("app"), "{uri}");
        }
        assert_eq!(shown("postgresql://app:a@b/c?d@db:6543/app"), "postgresql://app@db:6543/app");
    }

    #[test]
    fn key_value_forms() {
        let info = parse("host=db  password = 's3 cr\\'et' user=app dbname=app port=5433").unwrap();
        assert_eq!(info.get("password"), Some("s3 cr'et"));
        assert_eq!(shown("host=db password = x user=app dbname=app port=5433"), "postgresql://app@db:5433/app");
        assert_eq!(shown("host=/tmp/run user=postgres dbname=x"), "postgresql://postgres@/x?host=/tmp/run&port=5432");
        assert_eq!(parse("PASSWORD=x host=db"), Err(ParseError::UnknownOption(Some("password"))));
        assert_eq!(parse("host=db sslcert=/c"), Err(ParseError::Unsupported("sslcert")));
        assert!(matches!(parse("host=db secret"), Err(ParseError::Malformed(_))));
        assert!(matches!(parse("host=db password='open"), Err(ParseError::Malformed(_))));
    }

    #[test]
    fn errors_never_hold_the_text() {
        for bad in ["PASSWORD=hunter2", "postgres://u:hunter2@h:port/db", "host=h hunter2", "hunter2"] {
            let shown = match parse(bad).and_then(|i| i.complete(&no_env)).and_then(|i| i.to_config().map(|_| i)) {
                Ok(i) => i.display(),
                Err(e) => e.to_string(),
            };
            assert!(!shown.contains("hunter2"), "{bad}: {shown}");
        }
    }

    #[test]
    fn verifying_modes_are_kept_beside_the_configuration() {
        let info = parse("postgres://u:p@h/db?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x").unwrap();
        let (config, tls) = info.to_config().unwrap();
        assert_eq!(tls, TlsOptions { verify: true, root_cert: Some("/ca.pem".into()) });
        assert_eq!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        let (_, tls) = parse("host=h sslmode=require dbname=d").unwrap().to_config().unwrap();
        assert!(!tls.verify);
    }

    /// No input panics: a few thousand strings made of the characters that matter here.
    #[test]
    fn no_string_panics() {
        let alphabet: Vec<char> = "postgresql:/@?=&%'\\ \tabcHOST=port5432[]:,é\u{feff}".chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            if let Ok(info) = parse(&s) {
                let _ = info.display();
                let _ = info.to_config();
            }
            let _ = crate::error::redact(&s);
        }
    }

    #[test]
    fn environment_and_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "# comment\nother:*:*:*:no\ndb:5432:app:app:fr\\:om\\\\file\n*:*:*:*:fallback\n")
            .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = file.display().to_string();
        let env = |k: &str| match k {
            "PGUSER" => Some("app".to_string()),
            "PGPASSFILE" => Some(path.clone()),
            _ => None,
        };
        let info = parse("host=db dbname=app").unwrap().complete(&env).unwrap();
        assert_eq!(info.get("password"), Some("fr:om\\file"));
        let given = parse("host=db dbname=app password=given").unwrap().complete(&env).unwrap();
        assert_eq!(given.get("password"), Some("given"));
        // PGPASSWORD comes before the file.
        let env2 = |k: &str| if k == "PGPASSWORD" { Some("fromenv".to_string()) } else { env(k) };
        assert_eq!(parse("host=db").unwrap().complete(&env2).unwrap().get("password"), Some("fromenv"));
        // A file others can read is ignored, as libpq ignores it.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(parse("host=db dbname=app").unwrap().complete(&env).unwrap().get("password"), None);
    }
}
