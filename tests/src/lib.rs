//! # samspill-tests
//!
//! End-to-end tests over real `samspill-relay` processes, real `samspill` clients (each
//! with its own `--data-dir`), real sockets and files. Everything listens on loopback
//! only; every wait is a bounded poll with a generous deadline, never a timing
//! assertion.
//!
//! The binaries are found next to the test executable (`target/<profile>/`);
//! `cargo test --workspace` builds them first. Running this crate alone needs
//! `cargo build -p samspill -p samspill-relay` beforehand.

// A test-support library: failing loudly with a message is what it is for.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod servers;

/// How long any wait may take before the test fails with a message.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// `target/<profile>/<name>`, or a panic saying how to build it.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p samspill -p samspill-relay` (or `cargo test --workspace`) first",
        path.display()
    );
    path
}

/// A running relay process on a loopback port, killed on drop.
pub struct Relay {
    child: Option<Child>,
    pub port: u16,
    pub data: PathBuf,
    /// Extra flags, kept for restarts.
    args: Vec<String>,
}

impl Relay {
    /// Starts a relay on a free port with its data in `data`.
    pub fn start(data: &Path) -> Self {
        Self::start_on(data, "127.0.0.1:0")
    }

    /// Starts a relay on a free port with extra flags.
    pub fn start_with(data: &Path, args: &[&str]) -> Self {
        let mut relay = Self::start_on_with(data, "127.0.0.1:0", args);
        relay.args = args.iter().map(|a| (*a).to_owned()).collect();
        relay
    }

    /// Starts a relay listening on `listen` (for instance `0.0.0.0:0`, to be reached
    /// from other network namespaces).
    pub fn start_listening(data: &Path, listen: &str) -> Self {
        Self::start_on(data, listen)
    }

    fn start_on(data: &Path, listen: &str) -> Self {
        Self::start_on_with(data, listen, &[])
    }

    fn start_on_with(data: &Path, listen: &str, args: &[&str]) -> Self {
        let mut child = Command::new(bin("samspill-relay"))
            .args(["--listen", listen, "--data"])
            .arg(data)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start samspill-relay");
        let stdout = child.stdout.take().expect("relay stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.trim().strip_prefix("listening on ") {
                        let port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
                        break port.expect("a port in the listening line");
                    }
                }
                _ => {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    let _ = child.wait();
                    panic!("the relay exited before listening: {err}");
                }
            }
        };
        // Keep draining stdout so the relay never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        if let Some(stderr) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = BufReader::new(stderr).read_to_end(&mut sink);
            });
        }
        Self {
            child: Some(child),
            port,
            data: data.to_owned(),
            args: Vec::new(),
        }
    }

    /// The relay's process id (to read its memory in /proc).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, no chance to flush.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("kill the relay");
            c.wait().expect("reap the relay");
        }
    }

    /// Starts again on the same data directory and port (links and `sync.json` name it).
    pub fn restart(&mut self) {
        self.kill();
        let listen = format!("127.0.0.1:{}", self.port);
        let start = Instant::now();
        loop {
            // The port may be briefly unavailable after the kill.
            let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
            let attempt =
                std::panic::catch_unwind(|| Self::start_on_with(&self.data, &listen, &args));
            match attempt {
                Ok(mut r) => {
                    self.child = r.child.take();
                    return;
                }
                Err(_) if start.elapsed() < DEADLINE => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => std::panic::resume_unwind(e),
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A client device: its own data directory, driven through the `samspill` binary.
pub struct Client {
    dir: tempfile::TempDir,
}

impl Client {
    pub fn new(name: &str) -> Self {
        let c = Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        c.ok(&["profile", "--name", name]);
        c
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A project's `sync.json`, as JSON.
    pub fn sync_state(&self, id: &str) -> serde_json::Value {
        let path = self.data_dir().join("projects").join(id).join("sync.json");
        let bytes = std::fs::read(&path).expect("the project's sync.json");
        serde_json::from_slice(&bytes).expect("sync.json is JSON")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(bin("samspill"));
        cmd.arg("--data-dir").arg(self.dir.path());
        cmd.env_remove("SAMSPILL_DATA_DIR");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run samspill")
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "samspill {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// The last line of a command that must succeed (ids, links).
    pub fn last_line(&self, args: &[&str]) -> String {
        self.ok(args)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// `samspill sync ID`: whether it reported everything in sync.
    pub fn sync(&self, id: &str) -> bool {
        self.run(&["sync", id]).status.success()
    }

    /// Syncs until it succeeds, or fails the test after the deadline.
    pub fn sync_until_ok(&self, id: &str) {
        eventually(&format!("sync of {id} to succeed"), || self.sync(id));
    }

    pub fn show(&self, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["show", id, "--json"])).expect("show --json is JSON")
    }

    /// The `list` line of a project: its third column.
    pub fn sync_column(&self, id: &str) -> String {
        self.ok(&["list"])
            .lines()
            .find(|l| l.starts_with(id))
            .and_then(|l| l.split('\t').nth(2))
            .unwrap_or_default()
            .to_owned()
    }
}

/// Polls `f` until it holds, failing the test with `what` after [`DEADLINE`].
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < DEADLINE,
            "gave up waiting for {what} after {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every task title in a `show --json` project, in order, phase by phase.
pub fn task_titles(project: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for phase in project["phases"].as_array().into_iter().flatten() {
        for task in phase["tasks"].as_array().into_iter().flatten() {
            out.push(task["title"].as_str().unwrap_or_default().to_owned());
        }
    }
    out
}

/// The notes of every phase, joined.
pub fn all_notes(project: &serde_json::Value) -> String {
    let mut out = String::new();
    for phase in project["phases"].as_array().into_iter().flatten() {
        out.push_str(phase["notes"].as_str().unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Alice creates a project and shares it on `relay`; returns (id, link).
pub fn shared_project(alice: &Client, relay: &Relay, title: &str) -> (String, String) {
    let id = alice.last_line(&["new", "--template", "four-phase", "--title", title]);
    let link = alice.last_line(&["share", &id, "--relay", &relay.url()]);
    assert!(link.starts_with("samspill+ws://127.0.0.1:"), "{link}");
    (id, link)
}

/// A loopback TCP forwarder that can go silent: while paused it moves no bytes but
/// keeps both sockets open (no FIN, no RST), as a network does in a train tunnel.
pub struct Forwarder {
    pub port: u16,
    paused: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Forwarder {
    /// Forwards `127.0.0.1:<new port>` to `127.0.0.1:target`.
    pub fn start(target: u16) -> Self {
        use std::net::{TcpListener, TcpStream};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the forwarder");
        let port = listener.local_addr().expect("its address").port();
        let paused = Arc::new(AtomicBool::new(false));
        let flag = paused.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let flag = flag.clone();
                    std::thread::spawn(move || {
                        use std::io::Write as _;
                        let mut buf = [0u8; 16 * 1024];
                        loop {
                            while flag.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            let n = match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            // Bytes read just before a pause are held until it ends.
                            while flag.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        Self { port, paused }
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Stops moving bytes (or starts again), keeping every connection open.
    pub fn pause(&self, paused: bool) {
        self.paused
            .store(paused, std::sync::atomic::Ordering::SeqCst);
    }
}
