//! A real PostgreSQL cluster and a real nginx, started for a test in a temporary
//! directory and stopped on drop.
//!
//! Where they cannot run (no binaries, no `postgres` user to run the server as root),
//! `start` says why, and the test prints the reason and passes: `cargo test --workspace`
//! works on any machine, and `.ci/run` installs both, so CI always runs these tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::DEADLINE;

/// A free loopback port (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Prints why a test is skipped (visible with `--nocapture`, and in CI logs).
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
}

fn postgres_bindir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SAMSPILL_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists() && bin.join("postgres").exists())
        .collect();
    found.sort();
    found.pop()
}

/// The uid and gid of `postgres`, from /etc/passwd.
#[cfg(unix)]
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != "postgres" {
            return None;
        }
        let uid = f.nth(1)?.parse().ok()?;
        let gid = f.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

/// A PostgreSQL server on a loopback port, its cluster in a temporary directory.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// Run as this user (the server refuses to run as root).
    user: Option<(u32, u32)>,
    child: Option<Child>,
    pub port: u16,
}

impl Postgres {
    /// `initdb` and start; `Err` says why it cannot run here.
    #[cfg(unix)]
    pub fn start() -> Result<Self, String> {
        use std::os::unix::process::CommandExt;
        let bin = postgres_bindir()
            .ok_or("no PostgreSQL binaries (apt install postgresql, or set SAMSPILL_PG_BINDIR)")?;
        // SAFETY-free check of the effective user: /proc/self/status has it.
        let root = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .map(|l| l.split_whitespace().nth(2) == Some("0"))
            })
            .unwrap_or(false);
        let user = if root {
            Some(postgres_user().ok_or("running as root and there is no postgres user")?)
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("samspill-pg-")
            .tempdir()
            .map_err(|e| format!("no temporary directory: {e}"))?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("cannot hand the cluster directory to postgres: {e}"))?;
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some((uid, gid)) = user {
            initdb.uid(uid).gid(gid);
        }
        let out = initdb
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let mut pg = Self {
            bin,
            dir,
            user,
            child: None,
            port: free_port(),
        };
        pg.run()?;
        Ok(pg)
    }

    #[cfg(not(unix))]
    pub fn start() -> Result<Self, String> {
        Err("the PostgreSQL tests run on Unix only".to_owned())
    }

    #[cfg(unix)]
    fn run(&mut self) -> Result<(), String> {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(self.bin.join("postgres"));
        cmd.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=300",
            ])
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(self.dir.path().join("server.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            );
        if let Some((uid, gid)) = self.user {
            cmd.uid(uid).gid(gid);
        }
        self.child = Some(
            cmd.spawn()
                .map_err(|e| format!("cannot start postgres: {e}"))?,
        );
        let started = Instant::now();
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!("postgres exited: {status}; {}", self.log()));
            }
            if started.elapsed() > DEADLINE {
                return Err(format!("postgres did not become ready: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server: `fast` (SIGINT, connections are closed) or a crash (SIGKILL).
    pub fn stop(&mut self, fast: bool) {
        if let Some(mut child) = self.child.take() {
            let signal = if fast { "-INT" } else { "-KILL" };
            let _ = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
        if !fast {
            // A crashed postmaster leaves its backends; they exit once they notice.
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Stops (fast) and starts again on the same port.
    pub fn restart(&mut self) {
        self.stop(true);
        let started = Instant::now();
        while let Err(e) = self.run() {
            assert!(
                started.elapsed() < DEADLINE,
                "postgres did not restart: {e}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGKILL (a crash: PostgreSQL recovers from its WAL) and start again.
    pub fn crash_and_restart(&mut self) {
        self.stop(false);
        let started = Instant::now();
        while let Err(e) = self.run() {
            assert!(
                started.elapsed() < DEADLINE,
                "postgres did not restart: {e}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `pg_dump` of the whole database, as SQL text.
    pub fn dump(&self) -> Vec<u8> {
        let out = Command::new(self.bin.join("pg_dump"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg("postgres")
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs SQL with `psql` (for tests that set up odd states).
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop(true);
    }
}

/// nginx proxying websockets on one loopback port to several relay nodes.
pub struct Nginx {
    child: Option<Child>,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Nginx {
    /// Starts nginx in front of `upstreams` (ports on 127.0.0.1); `Err` says why not.
    pub fn start(upstreams: &[u16]) -> Result<Self, String> {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or("no nginx (apt install nginx)")?;
        let dir = tempfile::Builder::new()
            .prefix("samspill-nginx-")
            .tempdir()
            .map_err(|e| format!("no temporary directory: {e}"))?;
        let port = free_port();
        let servers: String = upstreams
            .iter()
            .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n"))
            .collect();
        let d = dir.path().display();
        // The same websocket settings the README's example uses.
        let config = format!(
            "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream samspill_relays {{
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://samspill_relays;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection \"upgrade\";
            proxy_set_header Host $host;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config).map_err(|e| format!("cannot write nginx.conf: {e}"))?;
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start nginx: {e}"))?;
        let mut nginx = Self {
            child: Some(child),
            _dir: dir,
            port,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(Ok(Some(status))) = nginx.child.as_mut().map(Child::try_wait) {
                let log = std::fs::read_to_string(nginx._dir.path().join("error.log"))
                    .unwrap_or_default();
                return Err(format!("nginx exited: {status}: {log}"));
            }
            if started.elapsed() > DEADLINE {
                return Err("nginx did not start listening".to_owned());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(nginx)
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-QUIT", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
