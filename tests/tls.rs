//! TLS and password authentication against a server of its own (the shared test server
//! listens only on a unix socket, where PostgreSQL never uses TLS): TCP on 127.0.0.1,
//! a self-signed certificate made with openssl, `hostssl` with scram-sha-256 and every
//! unencrypted TCP connection rejected. Started once for this file's one test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const PASSWORD: &str = "tls-Secr3t";

struct Server {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn as_server_user(program: &Path) -> Command {
    if nix::unistd::geteuid().is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn chown_to_server_user(path: &Path) {
    if nix::unistd::geteuid().is_root() {
        let u = nix::unistd::User::from_name("postgres").unwrap().expect("a postgres OS user");
        nix::unistd::chown(path, Some(u.uid), Some(u.gid)).unwrap();
    }
}

fn ok(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Server {
    fn start() -> Option<Server> {
        let bin = schemaspec::pg::embedded::find_binaries().unwrap();
        let dir = std::env::temp_dir().join(format!("schemaspec-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        chown_to_server_user(&dir);
        let data = dir.join("data");
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        chown_to_server_user(&pwfile);
        ok(
            as_server_user(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "postgres",
                    "--auth-host=scram-sha-256",
                    "--auth-local=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ])
                .arg(format!("--pwfile={}", pwfile.display())),
            "initdb",
        );
        // A CA, and the server's certificate signed by it (webpki refuses a CA
        // certificate presented as the server's own).
        ok(
            Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=schemaspec test CA",
                ])
                .arg("-keyout")
                .arg(dir.join("ca.key"))
                .arg("-out")
                .arg(dir.join("ca.crt")),
            "openssl CA",
        );
        ok(
            Command::new("openssl")
                .args(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"])
                .arg("-keyout")
                .arg(data.join("server.key"))
                .arg("-out")
                .arg(dir.join("server.csr")),
            "openssl CSR",
        );
        std::fs::write(dir.join("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
            .unwrap();
        ok(
            Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
                .arg(dir.join("server.csr"))
                .arg("-CA")
                .arg(dir.join("ca.crt"))
                .arg("-CAkey")
                .arg(dir.join("ca.key"))
                .arg("-extfile")
                .arg(dir.join("ext"))
                .arg("-out")
                .arg(data.join("server.crt")),
            "openssl sign",
        );
        for f in ["server.key", "server.crt"] {
            chown_to_server_user(&data.join(f));
        }
        std::fs::set_permissions(data.join("server.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c ssl=on -c unix_socket_directories='{}' -c fsync=off",
            dir.display()
        );
        let started = as_server_user(&bin.join("pg_ctl"))
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-o")
            .arg(&opts)
            .arg("-l")
            .arg(dir.join("log"))
            .output()
            .unwrap();
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        if !started.status.success() && log.contains("SSL is not supported by this build") {
            // Some server builds used for the other-version runs (scripts/test-pg-versions)
            // lack TLS; Debian's, which `cargo test` uses, has it.
            eprintln!("skipping: the server at {} was built without TLS", bin.display());
            let _ = std::fs::remove_dir_all(&dir);
            return None;
        }
        assert!(started.status.success(), "pg_ctl start failed: {log}");
        Some(Server { dir, bin, port })
    }

    fn url(&self, query: &str) -> String {
        format!("postgres://postgres:{PASSWORD}@127.0.0.1:{}/postgres?{query}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = as_server_user(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(p: &common::Project, live: &str, dev: &str, args: &[&str]) -> common::Run {
    let mut cmd = p.bare_command();
    cmd.env("SCHEMASPEC_NO_CACHE", "1").args(["--database-url", live, "--dev-url", dev]).args(args);
    let r = common::Run::from(cmd.output().unwrap());
    assert!(
        !r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD),
        "password printed:\n{}\n{}",
        r.stdout,
        r.stderr
    );
    r
}

#[test]
fn tls_connections_and_their_failures() {
    let Some(server) = Server::start() else { return };
    let p = common::Project::new();
    p.write("schema/app.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
    let require = server.url("sslmode=require");
    let ca = server.dir.join("ca.crt");
    let verify = format!(
        "postgres://postgres:{PASSWORD}@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}",
        server.port,
        ca.display()
    );

    // The server requires TLS: a plain connection is refused, with the way out named.
    let plain = run(&p, &server.url("sslmode=disable"), &require, &["plan"]).code(1);
    assert!(plain.stderr.contains("no encryption"), "{}", plain.stderr);
    assert!(
        plain.stderr.contains("hint: the server accepts only TLS connections here: add sslmode=require"),
        "{}",
        plain.stderr
    );

    // Wrong password: named as such, the password never printed.
    let wrong = require.replace(PASSWORD, "not-the-password");
    let bad = run(&p, &wrong, &require, &["apply"]).code(1);
    assert!(bad.stderr.contains("password authentication failed for user \"postgres\""), "{}", bad.stderr);
    assert!(!bad.stderr.contains("not-the-password"), "{}", bad.stderr);

    // A certificate that does not verify against another CA.
    let other_ca = server.dir.join("other.crt");
    ok(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other"])
            .arg("-keyout")
            .arg(server.dir.join("other.key"))
            .arg("-out")
            .arg(&other_ca),
        "openssl",
    );
    let unverified = verify.replace(&ca.display().to_string(), &other_ca.display().to_string());
    let r = run(&p, &unverified, &require, &["plan"]).code(1);
    assert!(r.stderr.to_ascii_lowercase().contains("certificate"), "{}", r.stderr);

    // Nothing was created by the failures.
    let local = format!("host={} port={} user=postgres dbname=postgres", server.dir.display(), server.port);
    let untouched = "SELECT to_regnamespace('schemaspec') IS NULL AND to_regclass('public.t') IS NULL";
    assert_eq!(common::query_text(&local, untouched), "t");

    // Encrypted without verification, then fully verified: plan, generate, apply.
    run(&p, &require, &require, &["plan"]).ok();
    run(&p, &require, &verify, &["generate"]).ok();
    run(&p, &verify, &verify, &["apply"]).ok();
    run(&p, &verify, &require, &["plan", "--exit-code"]).ok();
    assert_eq!(common::query_text(&local, "SELECT count(*) FROM schemaspec.schema_migrations"), "1");

    // The password from where libpq takes it when the string has none: PGPASSWORD, a
    // password file named by `passfile` or PGPASSFILE, then ~/.pgpass. A file others
    // can read is ignored (libpq ignores it too), and the password is never printed.
    let bare = format!("postgres://postgres@127.0.0.1:{}/postgres?sslmode=require", server.port);
    let passfile = server.dir.join("pgpass");
    std::fs::write(
        &passfile,
        format!("# host:port:db:user:password\n127.0.0.1:{}:*:postgres:{PASSWORD}\n", server.port),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let home = server.dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(&passfile, home.join(".pgpass")).unwrap();
    std::fs::set_permissions(home.join(".pgpass"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let with_env = |vars: &[(&str, &str)], url: &str| {
        let mut cmd = p.bare_command();
        cmd.env("SCHEMASPEC_NO_CACHE", "1").env_remove("PGPASSWORD").env_remove("PGPASSFILE");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let r = common::Run::from(
            cmd.args(["--database-url", url, "--dev-url", &require, "status", "--no-catalog"]).output().unwrap(),
        );
        assert!(!r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD), "{}\n{}", r.stdout, r.stderr);
        r
    };
    let file = passfile.display().to_string();
    with_env(&[("PGPASSWORD", PASSWORD)], &bare).ok();
    with_env(&[], &format!("{bare}&passfile={file}")).ok();
    with_env(&[("PGPASSFILE", &file)], &bare).ok();
    with_env(&[("HOME", &home.display().to_string())], &bare).ok();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = with_env(&[("PGPASSFILE", &file)], &bare).code(1);
    assert!(open.stderr.contains("group or world access"), "{}", open.stderr);
}
