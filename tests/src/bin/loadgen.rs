//! # samspill-loadgen
//!
//! Puts a Samspill relay under a realistic load and measures it against a plain
//! tokio-tungstenite echo server run in the same process, on the same machine, in the same
//! run, so every latency also comes as a ratio to that baseline.
//!
//! Writers replay a real editing trace keystroke by keystroke: automerge-paper from Joseph
//! Gentle's editing-traces (CC BY 4.0), vendored in `tests/data` (see its README).
//! Each keystroke is a real Automerge change (one `splice_text` + `commit` on the writer's
//! own `AutoCommit`), encrypted with the project's content key behind an 8-byte send
//! timestamp, and pushed as `ClientFrame::Push`. Every client does the real handshake
//! (hello, challenge, signed subscribe). Receivers decrypt each `Entry` and record
//! "sender push → this subscriber has it" in an HDR histogram. Receivers do not apply the
//! changes to a document of their own: the relay is what is measured.
//!
//! Scenarios (`--scenario`, see `--help`): `propagation` (the default), `throughput`
//! (durable pushes per second with a window of outstanding pushes), `idle-memory` (relay
//! RSS per connection and per document, and after everyone leaves), `reconnect-storm`
//! (the relay restarts; how long until every client is in sync again), `open-project`
//! (time `samspill show ID --json` on a large project) and `typing` (the app's own sync
//! engine on both ends: keystroke to the co-facilitator's document).
//!
//! Bounded on purpose: it only talks to loopback addresses and stops by itself after
//! `--duration`. docs/PERFORMANCE.md has the commands and the numbers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc};
use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use samspill_shared::crypto::{
    ProjectKeys, ProjectSecret, decrypt_entry, encrypt_entry, sign_subscribe,
};
use samspill_shared::protocol::{
    ClientFrame, DEFAULT_MAX_FRAME_BYTES, FRAME_OVERHEAD, PROTOCOL_VERSION, ServerFrame,
    decode_server, encode_client,
};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const DEFAULT_TRACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/automerge-paper.json.gz");

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Writers type into documents at --rate; every other subscriber's receive latency.
    Propagation,
    /// Every connection pushes as fast as its --window of unacknowledged pushes allows;
    /// counts durable acks per second.
    Throughput,
    /// Relay RSS: idle, with --clients bare connections, with them subscribed to --docs
    /// documents, and after they all disconnect. Needs --spawn or --relay-pid.
    IdleMemory,
    /// --clients clients on --docs documents; the relay is killed and restarted; time
    /// until every client has caught up, pushed its offline change and seen the others'.
    /// Needs --spawn.
    ReconnectStorm,
    /// Builds a project with --items items, imports it with `samspill import` into a fresh
    /// data directory and times `samspill show ID --json` (a fresh process each time).
    OpenProject,
    /// --docs documents with two subscribers each, over --clients connections (half
    /// hold each document's first subscriber, half its second, on different nodes with
    /// --nodes): time to subscribe them all, and relay memory before and after.
    /// Needs --spawn.
    ManyDocuments,
    /// Two instances of the app's own sync engine (batching included) on one shared
    /// project: one types the trace into the project's goal at --rate keys/s, as the UI
    /// does; per keystroke, the time until the other engine's document holds it.
    Typing,
}

/// Load generator for the Samspill relay, with a tokio-tungstenite echo baseline.
#[derive(Debug, Parser)]
#[command(name = "samspill-loadgen", version)]
struct Args {
    /// What to measure.
    #[arg(long, value_enum, default_value = "propagation")]
    scenario: Scenario,
    /// A running relay: ws://HOST:PORT (loopback only).
    #[arg(long, conflicts_with = "spawn")]
    relay: Option<String>,
    /// Start target/<profile>/samspill-relay with a temporary --data directory and
    /// generous limits, and stop it at the end.
    #[arg(long)]
    spawn: bool,
    /// The relay binary for --spawn (default: samspill-relay beside this program).
    #[arg(long)]
    relay_bin: Option<PathBuf>,
    /// With --spawn: start a PostgreSQL cluster (initdb in a temporary directory) and
    /// this many relay nodes on it with --database; client i connects to node i mod N.
    /// propagation then reports latency within a node and across nodes apart.
    #[arg(long, requires = "spawn", value_parser = clap::value_parser!(u16).range(1..=16))]
    nodes: Option<u16>,
    /// The pid of the --relay process, to sample its CPU and memory.
    #[arg(long)]
    relay_pid: Option<u32>,
    /// Connections (clients).
    #[arg(long, default_value_t = 2)]
    clients: usize,
    /// Documents; client i subscribes to document i mod D.
    #[arg(long, default_value_t = 1)]
    docs: usize,
    /// Of the clients, how many type (clients 0..W).
    #[arg(long, default_value_t = 1)]
    writers: usize,
    /// Keystrokes per second, per writer.
    #[arg(long, default_value_t = 6.0)]
    rate: f64,
    /// Seconds of load (writers stop pushing after it; receivers get 2 s more).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds per window of the drift series.
    #[arg(long, default_value_t = 30.0)]
    window_secs: f64,
    /// throughput: pushes each connection keeps unacknowledged.
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// At most this many connections for the echo baseline.
    #[arg(long, default_value_t = 200)]
    baseline_cap: usize,
    /// Seconds of echo baseline (at most --duration).
    #[arg(long, default_value_t = 10.0)]
    baseline_secs: f64,
    /// The editing trace (automerge-paper.json.gz).
    #[arg(long, default_value = DEFAULT_TRACE)]
    trace: PathBuf,
    /// open-project: items in the project (half tasks, half agenda items).
    #[arg(long, default_value_t = 5000)]
    items: usize,
    /// open-project: how many times to run `samspill show`.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// open-project: the samspill binary (default: beside this program).
    #[arg(long)]
    samspill_bin: Option<PathBuf>,
    /// One JSON object on standard output instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("samspill-loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args = Args::parse();
    if args.clients == 0 || args.docs == 0 {
        bail!("--clients and --docs must be at least 1");
    }
    if !(args.duration > 0.0 && args.duration <= 3600.0) {
        bail!("--duration must be between 0 and 3600 seconds");
    }
    if args.window_secs <= 0.0 || args.rate <= 0.0 {
        bail!("--window-secs and --rate must be positive");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let report = rt.block_on(run_scenario(&args))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_human(&report);
    }
    Ok(())
}

async fn run_scenario(args: &Args) -> Result<Value> {
    let mut report = match args.scenario {
        Scenario::OpenProject => open_project(args)?,
        Scenario::Propagation => {
            let mut target = Target::new(args).await?;
            let r = Box::pin(propagation(args, &mut target)).await;
            target.stop();
            r?
        }
        Scenario::Throughput => {
            let mut target = Target::new(args).await?;
            let r = Box::pin(throughput(args, &mut target)).await;
            target.stop();
            r?
        }
        Scenario::IdleMemory => {
            let mut target = Target::new(args).await?;
            let r = Box::pin(idle_memory(args, &mut target)).await;
            target.stop();
            r?
        }
        Scenario::ReconnectStorm => {
            let mut target = Target::new(args).await?;
            let r = Box::pin(reconnect_storm(args, &mut target)).await;
            target.stop();
            r?
        }
        Scenario::ManyDocuments => {
            let mut target = Target::new(args).await?;
            let r = Box::pin(many_documents(args, &mut target)).await;
            target.stop();
            r?
        }
        Scenario::Typing => {
            let mut target = Target::new(args).await?;
            let r = Box::pin(typing(args, &mut target)).await;
            target.stop();
            r?
        }
    };
    if let Value::Object(map) = &mut report {
        map.insert("scenario".to_owned(), json!(format!("{:?}", args.scenario)));
        map.insert(
            "command".to_owned(),
            json!(std::env::args().collect::<Vec<_>>().join(" ")),
        );
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------
// The relay under test

struct Target {
    /// ws://127.0.0.1:PORT/v1/sync
    url: String,
    /// With --nodes: every node's sync URL and pid (the first is `url`), and the cluster.
    nodes: Vec<(String, u32)>,
    extra_nodes: Vec<Spawned>,
    postgres: Option<samspill_tests::servers::Postgres>,
    /// ws://127.0.0.1:PORT, as a project's relay
    base: samspill_shared::link::RelayUrl,
    pid: Option<u32>,
    spawned: Option<Spawned>,
}

struct Spawned {
    child: Child,
    bin: PathBuf,
    listen: SocketAddr,
    data: tempfile::TempDir,
    /// Flags beyond the defaults (`--database URL` for a node).
    extra: Vec<String>,
}

impl Target {
    async fn new(args: &Args) -> Result<Self> {
        if args.spawn {
            let bin = match &args.relay_bin {
                Some(b) => b.clone(),
                None => sibling("samspill-relay")?,
            };
            let data = tempfile::tempdir().context("cannot make a temporary data directory")?;
            let mut postgres = None;
            let mut extra = Vec::new();
            if args.nodes.is_some() {
                let pg = samspill_tests::servers::Postgres::start()
                    .map_err(|why| anyhow!("--nodes needs PostgreSQL: {why}"))?;
                extra = vec!["--database".to_owned(), pg.url()];
                postgres = Some(pg);
            }
            let (child, listen) = start_relay(&bin, data.path(), "127.0.0.1:0", &extra)?;
            let pid = child.id();
            let mut nodes = vec![(format!("ws://{listen}/v1/sync"), pid)];
            let mut extra_nodes = Vec::new();
            for _ in 1..args.nodes.unwrap_or(1) {
                let data = tempfile::tempdir().context("cannot make a temporary data directory")?;
                let (child, listen) = start_relay(&bin, data.path(), "127.0.0.1:0", &extra)?;
                nodes.push((format!("ws://{listen}/v1/sync"), child.id()));
                extra_nodes.push(Spawned {
                    child,
                    bin: bin.clone(),
                    listen,
                    data,
                    extra: extra.clone(),
                });
            }
            Ok(Self {
                nodes,
                extra_nodes,
                postgres,
                url: format!("ws://{listen}/v1/sync"),
                base: format!("ws://{listen}")
                    .parse()
                    .context("the spawned relay's address is not a relay URL")?,
                pid: Some(pid),
                spawned: Some(Spawned {
                    child,
                    bin,
                    listen,
                    data,
                    extra,
                }),
            })
        } else {
            let Some(relay) = &args.relay else {
                bail!("say which relay: --relay ws://127.0.0.1:PORT or --spawn");
            };
            let url: samspill_shared::link::RelayUrl = relay
                .parse()
                .with_context(|| format!("--relay {relay} is not a ws://HOST:PORT URL"))?;
            if url.is_tls() {
                bail!("--relay must be a plain ws:// loopback relay");
            }
            let authority = format!("{}:{}", url.host(), url.port_or_default());
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&authority)
                .await
                .with_context(|| format!("cannot resolve {authority}"))?
                .collect();
            if addrs.is_empty() || addrs.iter().any(|a| !a.ip().is_loopback()) {
                bail!("--relay must be a loopback address (127.0.0.1, ::1, localhost)");
            }
            Ok(Self {
                nodes: Vec::new(),
                extra_nodes: Vec::new(),
                postgres: None,
                url: url.sync_url(),
                base: url,
                pid: args.relay_pid,
                spawned: None,
            })
        }
    }

    /// SIGKILL, then start again on the same port and data directory. Returns the time
    /// from the spawn to the relay's "listening" line.
    fn restart(&mut self) -> Result<Duration> {
        let Some(s) = &mut self.spawned else {
            bail!("restarting needs a relay started with --spawn");
        };
        s.child.kill().context("cannot kill the relay")?;
        s.child.wait().context("cannot reap the relay")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let started = Instant::now();
            match start_relay(&s.bin, s.data.path(), &s.listen.to_string(), &s.extra) {
                Ok((child, _)) => {
                    self.pid = Some(child.id());
                    s.child = child;
                    return Ok(started.elapsed());
                }
                // The port can be briefly unavailable after the kill.
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The spawned relay's data directory.
    fn data_dir(&self) -> Option<PathBuf> {
        self.spawned.as_ref().map(|s| s.data.path().to_owned())
    }

    /// The node client `i` connects to (the one relay without --nodes).
    fn url_for(&self, i: usize) -> &str {
        if self.nodes.is_empty() {
            &self.url
        } else {
            &self.nodes[i % self.nodes.len()].0
        }
    }

    /// Each node's resident memory now, in MiB (with --nodes).
    fn node_rss_mib(&self) -> Vec<f64> {
        self.nodes
            .iter()
            .map(|(_, pid)| rss_kib(*pid).map_or(0.0, |k| k as f64 / 1024.0))
            .collect()
    }

    fn stop(&mut self) {
        for mut s in self.extra_nodes.drain(..) {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
        self.postgres.take();
        if let Some(mut s) = self.spawned.take() {
            // Best effort at the end of a run: the process may already be gone.
            if let Err(e) = s.child.kill() {
                eprintln!("could not stop the relay: {e}");
            }
            if let Err(e) = s.child.wait() {
                eprintln!("could not reap the relay: {e}");
            }
        }
    }
}

/// `name` beside this executable (target/<profile>/).
fn sibling(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let path = exe
        .parent()
        .map(|d| d.join(name))
        .ok_or_else(|| anyhow!("this program has no directory"))?;
    if !path.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p samspill-relay -p samspill` first",
            path.display()
        );
    }
    Ok(path)
}

fn start_relay(
    bin: &Path,
    data: &Path,
    listen: &str,
    extra: &[String],
) -> Result<(Child, SocketAddr)> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("relay.log"))
        .context("cannot open the relay's log file")?;
    let mut child = Command::new(bin)
        .args(["--listen", listen, "--data"])
        .arg(data)
        .args([
            "--max-pushes-per-sec",
            "100000",
            "--max-subscriptions",
            "10000",
            "--send-buffer-bytes",
            "268435456",
            "--max-subscribes-per-sec",
            "100000",
            "--max-connections",
            "100000",
            "--max-connections-per-ip",
            "0",
            // idle-memory holds connections that have only said Hello.
            "--hello-secs",
            "3600",
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("no relay stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(addr) = line.trim().strip_prefix("listening on ") {
                    let addr: SocketAddr = addr
                        .parse()
                        .with_context(|| format!("odd listening line {line:?}"))?;
                    // Keep draining stdout so the relay never blocks on a full pipe.
                    std::thread::spawn(move || for _ in lines {});
                    return Ok((child, addr));
                }
            }
            _ => {
                let status = child.wait()?;
                let mut err = String::new();
                if let Ok(mut f) = std::fs::File::open(data.join("relay.log")) {
                    f.read_to_string(&mut err)?;
                }
                bail!("the relay exited ({status}) before listening: {err}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Relay CPU and memory, from /proc

struct ProcSample {
    t_s: f64,
    cpu_pct: f64,
    rss_kib: u64,
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command come state (field 3) …; utime is field 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Samples the relay each second until `stop` flips.
fn spawn_sampler(
    pid: Option<u32>,
    probe_dir: Option<PathBuf>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<(Vec<ProcSample>, Option<Histogram<u64>>)> {
    tokio::spawn(async move {
        let mut out = Vec::new();
        let probing = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let probe = probe_dir.map(|dir| {
            let probing = Arc::clone(&probing);
            tokio::task::spawn_blocking(move || fsync_probe(&dir, &probing))
        });
        let finish = |out: Vec<ProcSample>| async move {
            probing.store(false, std::sync::atomic::Ordering::Relaxed);
            let fsync = match probe {
                Some(p) => p.await.ok().flatten(),
                None => None,
            };
            (out, fsync)
        };
        let Some(pid) = pid else {
            let _ = stop.changed().await;
            return finish(out).await;
        };
        let hz = clock_ticks();
        let start = Instant::now();
        let mut last = (Instant::now(), cpu_ticks(pid).unwrap_or(0));
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            let (Some(ticks), Some(rss)) = (cpu_ticks(pid), rss_kib(pid)) else {
                continue;
            };
            let now = Instant::now();
            let dt = now.duration_since(last.0).as_secs_f64();
            let cpu = ticks.saturating_sub(last.1) as f64 / hz / dt * 100.0;
            last = (now, ticks);
            out.push(ProcSample {
                t_s: start.elapsed().as_secs_f64(),
                cpu_pct: cpu,
                rss_kib: rss,
            });
        }
        finish(out).await
    })
}

/// How long the disk under the relay's data takes to make 4 KiB durable, ten times a
/// second: a commit with `synchronous = FULL` waits for at least one of these.
fn fsync_probe(dir: &Path, running: &std::sync::atomic::AtomicBool) -> Option<Histogram<u64>> {
    use std::io::{Seek, Write};
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).ok()?;
    let mut h = histogram();
    let block = [0x5au8; 4096];
    while running.load(std::sync::atomic::Ordering::Relaxed) {
        let t = Instant::now();
        let ok = f.rewind().is_ok() && f.write_all(&block).is_ok() && f.sync_data().is_ok();
        if ok {
            h.saturating_record(t.elapsed().as_micros() as u64);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(f);
    let _ = std::fs::remove_file(&path);
    Some(h)
}

fn proc_json((samples, fsync): &(Vec<ProcSample>, Option<Histogram<u64>>)) -> Value {
    let n = samples.len().max(1) as f64;
    let fsync = fsync.as_ref().map(|h| {
        json!({"n": h.len(), "p50_us": h.value_at_quantile(0.5), "p99_us": h.value_at_quantile(0.99), "max_us": h.max()})
    });
    json!({
        "disk_fsync_4k": fsync,
        "relay_cpu_pct_mean": samples.iter().map(|s| s.cpu_pct).sum::<f64>() / n,
        "relay_cpu_pct_max": samples.iter().map(|s| s.cpu_pct).fold(0.0, f64::max),
        "relay_rss_kib_max": samples.iter().map(|s| s.rss_kib).max().unwrap_or(0),
        "relay_rss_kib_last": samples.last().map(|s| s.rss_kib).unwrap_or(0),
        "relay_cpu_pct_series": samples.iter().map(|s| (s.cpu_pct * 10.0).round() / 10.0).collect::<Vec<_>>(),
        "relay_rss_kib_series": samples.iter().map(|s| s.rss_kib).collect::<Vec<_>>(),
        "relay_sample_t_s": samples.iter().map(|s| (s.t_s * 10.0).round() / 10.0).collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------
// Measurements

fn histogram() -> Histogram<u64> {
    // 1 µs .. 10 min, 3 significant digits. The bounds are constants that always work.
    match Histogram::new_with_bounds(1, 600_000_000, 3) {
        Ok(h) => h,
        Err(e) => unreachable!("constant histogram bounds: {e}"),
    }
}

/// What one task saw; merged at the end.
struct Stats {
    latency_us: Histogram<u64>,
    windows: Vec<Histogram<u64>>,
    ack_us: Histogram<u64>,
    sent: u64,
    acked: u64,
    deliveries: u64,
    errors: BTreeMap<String, u64>,
}

impl Stats {
    fn new() -> Self {
        Self {
            latency_us: histogram(),
            windows: Vec::new(),
            ack_us: histogram(),
            sent: 0,
            acked: 0,
            deliveries: 0,
            errors: BTreeMap::new(),
        }
    }

    fn latency(&mut self, window: usize, us: u64) {
        self.latency_us.saturating_record(us);
        while self.windows.len() <= window {
            self.windows.push(histogram());
        }
        self.windows[window].saturating_record(us);
    }

    fn error(&mut self, what: impl Into<String>) {
        *self.errors.entry(what.into()).or_default() += 1;
    }

    fn merge(&mut self, other: Self) {
        // Same bounds everywhere, so adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        let _ = self.ack_us.add(&other.ack_us);
        while self.windows.len() < other.windows.len() {
            self.windows.push(histogram());
        }
        for (i, w) in other.windows.iter().enumerate() {
            let _ = self.windows[i].add(w);
        }
        self.sent += other.sent;
        self.acked += other.acked;
        self.deliveries += other.deliveries;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }

    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

fn quantiles(h: &Histogram<u64>) -> (u64, u64, u64, u64) {
    (
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max(),
    )
}

fn ratio(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        json!(((a as f64 / b as f64) * 100.0).round() / 100.0)
    }
}

// ---------------------------------------------------------------------------------------
// Websocket plumbing

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const MAX_SERVER_FRAME: usize = DEFAULT_MAX_FRAME_BYTES + FRAME_OVERHEAD;

async fn connect(url: &str) -> Result<Ws> {
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    Ok(ws)
}

async fn send(ws: &mut Ws, frame: &ClientFrame) -> Result<()> {
    ws.send(Message::Binary(encode_client(frame).into()))
        .await
        .context("send failed")
}

/// The next server frame, skipping pings; an error when the connection ends.
async fn next_frame(ws: &mut Ws) -> Result<ServerFrame> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => {
                return decode_server(&b, MAX_SERVER_FRAME).context("bad server frame");
            }
            Some(Ok(Message::Close(c))) => bail!("closed by the relay: {c:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e).context("websocket error"),
            None => bail!("the connection ended"),
        }
    }
}

/// Connects and does the hello exchange; returns the challenge.
async fn hello(url: &str) -> Result<(Ws, [u8; 32])> {
    let mut ws = connect(url).await?;
    send(
        &mut ws,
        &ClientFrame::Hello {
            version: PROTOCOL_VERSION,
        },
    )
    .await?;
    match next_frame(&mut ws).await? {
        ServerFrame::Hello { challenge, .. } => Ok((ws, challenge)),
        other => bail!("expected the relay's hello, got {other:?}"),
    }
}

/// Subscribes (creating the document) and waits for `Subscribed`; returns the head and
/// how many entries catch-up delivered.
async fn subscribe(
    ws: &mut Ws,
    keys: &ProjectKeys,
    challenge: &[u8; 32],
    since: u64,
) -> Result<(u64, Vec<(u64, Vec<u8>)>)> {
    send(
        ws,
        &ClientFrame::Subscribe {
            doc: keys.doc_id,
            since,
            create: true,
            proof: sign_subscribe(keys, challenge),
        },
    )
    .await?;
    let mut caught_up = Vec::new();
    let mut head = None;
    loop {
        match next_frame(ws).await? {
            ServerFrame::Subscribed { head: h, .. } if head.is_none() => {
                // Prove write access, as the app's client does, before any push.
                let proof = samspill_shared::crypto::sign_authorize(keys, challenge)
                    .ok_or_else(|| anyhow!("the loadgen's keys cannot write"))?;
                let authorize = ClientFrame::Authorize {
                    doc: keys.doc_id,
                    write_key: keys.write_public.to_bytes(),
                    proof,
                };
                send(ws, &authorize).await?;
                head = Some(h);
            }
            ServerFrame::Authorized { .. } => {
                if let Some(h) = head {
                    return Ok((h, caught_up));
                }
            }
            ServerFrame::Entry { seq, blob, .. } => caught_up.push((seq, blob)),
            ServerFrame::Error { code, message, .. } => {
                bail!("subscribe refused: {code:?}: {message}")
            }
            _ => {}
        }
    }
}

fn nonce() -> Result<[u8; 24]> {
    let mut n = [0u8; 24];
    getrandom::fill(&mut n).map_err(|e| anyhow!("no randomness: {e}"))?;
    Ok(n)
}

fn new_keys() -> Result<ProjectKeys> {
    let mut s = [0u8; 32];
    getrandom::fill(&mut s).map_err(|e| anyhow!("no randomness: {e}"))?;
    Ok(ProjectSecret::from_bytes(s).keys())
}

// ---------------------------------------------------------------------------------------
// The editing trace and the typist

/// One patch of the trace: position, deleted characters, inserted text.
type Edit = (usize, usize, String);

fn load_trace(path: &Path) -> Result<Vec<Edit>> {
    let file = std::fs::File::open(path).with_context(|| {
        format!(
            "cannot open the editing trace {} (pass --trace)",
            path.display()
        )
    })?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .with_context(|| format!("{} is not gzipped text", path.display()))?;
    let value: Value = serde_json::from_str(&text).context("the trace is not JSON")?;
    let mut edits = Vec::new();
    for txn in value["txns"].as_array().into_iter().flatten() {
        for p in txn["patches"].as_array().into_iter().flatten() {
            let (Some(pos), Some(del), Some(ins)) = (p[0].as_u64(), p[1].as_u64(), p[2].as_str())
            else {
                bail!("a patch is not [pos, del, text]");
            };
            edits.push((pos as usize, del as usize, ins.to_owned()));
        }
    }
    if edits.is_empty() {
        bail!("the trace has no edits");
    }
    Ok(edits)
}

/// A writer's own Automerge document, typing the trace from `next`.
struct Typist {
    doc: AutoCommit,
    text: ObjId,
    trace: Arc<Vec<Edit>>,
    next: usize,
}

impl Typist {
    fn new(trace: Arc<Vec<Edit>>, start: usize) -> Result<Self> {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(automerge::ROOT, "text", ObjType::Text)?;
        doc.commit();
        let next = start % trace.len();
        Ok(Self {
            doc,
            text,
            trace,
            next,
        })
    }

    /// One keystroke as the bytes of one Automerge change.
    fn keystroke(&mut self) -> Result<Vec<u8>> {
        let (pos, del, ins) = &self.trace[self.next];
        self.next = (self.next + 1) % self.trace.len();
        let len = self.doc.length(&self.text);
        let pos = (*pos).min(len);
        let del = (*del).min(len - pos);
        self.doc.splice_text(&self.text, pos, del as isize, ins)?;
        self.doc.commit();
        let change = self
            .doc
            .get_last_local_change()
            .ok_or_else(|| anyhow!("the keystroke made no change"))?;
        Ok(change.raw_bytes().to_vec())
    }
}

/// `[send time, ns since the run's epoch : 8 bytes LE][payload]`, encrypted.
fn stamped_blob(keys: &ProjectKeys, epoch: Instant, payload: &[u8]) -> Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(8 + payload.len());
    plain.extend_from_slice(&(epoch.elapsed().as_nanos() as u64).to_le_bytes());
    plain.extend_from_slice(payload);
    encrypt_entry(keys, nonce()?, &plain).map_err(|e| anyhow!("sign: {e}"))
}

/// The send time in a received blob, and the payload.
fn open_stamp(keys: &ProjectKeys, blob: &[u8]) -> Result<(u64, Vec<u8>)> {
    let plain = decrypt_entry(keys, blob).map_err(|e| anyhow!("decrypt: {e}"))?;
    let Some((ts, rest)) = plain.split_first_chunk::<8>() else {
        bail!("an entry without a timestamp");
    };
    Ok((u64::from_le_bytes(*ts), rest.to_vec()))
}

// ---------------------------------------------------------------------------------------
// Echo baseline

/// A plain tokio-tungstenite echo server on a loopback port 0.
async fn echo_server() -> Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_binary() && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok((format!("ws://{addr}/"), task))
}

/// How the baseline loads its connections.
#[derive(Clone, Copy)]
enum EchoLoad {
    /// Each connection sends one message every `1/rate` s and times its echo.
    Paced { rate: f64 },
    /// Each connection keeps `window` messages in flight.
    Windowed { window: usize },
}

/// Runs the echo baseline; returns round-trip latency and messages echoed per second.
async fn baseline(conns: usize, size: usize, load: EchoLoad, secs: f64) -> Result<(Stats, f64)> {
    let (url, server) = echo_server().await?;
    let epoch = Instant::now();
    let mut sockets = Vec::new();
    for _ in 0..conns {
        sockets.push(connect(&url).await?);
    }
    let start = Instant::now();
    let stop = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for (i, mut ws) in sockets.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::new();
            let mut msg = vec![0u8; size.max(8)];
            let stamp = |msg: &mut Vec<u8>| {
                msg[..8].copy_from_slice(&(epoch.elapsed().as_nanos() as u64).to_le_bytes());
            };
            let mut in_flight = 0usize;
            let period = match load {
                EchoLoad::Paced { rate } => Duration::from_secs_f64(1.0 / rate),
                EchoLoad::Windowed { .. } => Duration::from_secs(3600),
            };
            // Spread the connections' send times over one period.
            let offset = period.mul_f64(i as f64 / conns as f64);
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::from_std(start + offset.min(Duration::from_secs(1))),
                period,
            );
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            if let EchoLoad::Windowed { window } = load {
                for _ in 0..window {
                    stamp(&mut msg);
                    if ws.send(Message::Binary(msg.clone().into())).await.is_err() {
                        st.error("baseline send");
                    }
                    in_flight += 1;
                }
            }
            let deadline = tokio::time::sleep_until(tokio::time::Instant::from_std(stop));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    () = &mut deadline => break,
                    _ = tick.tick(), if matches!(load, EchoLoad::Paced { .. }) => {
                        stamp(&mut msg);
                        if ws.send(Message::Binary(msg.clone().into())).await.is_err() {
                            st.error("baseline send");
                            break;
                        }
                        st.sent += 1;
                    }
                    m = ws.next() => {
                        let Some(Ok(Message::Binary(b))) = m else {
                            st.error("baseline connection ended");
                            break;
                        };
                        let Some(ts) = b.first_chunk::<8>() else { continue };
                        let now = epoch.elapsed().as_nanos() as u64;
                        let us = now.saturating_sub(u64::from_le_bytes(*ts)) / 1000;
                        st.deliveries += 1;
                        let w = (start.elapsed().as_secs_f64() / 30.0) as usize;
                        st.latency(w, us);
                        in_flight = in_flight.saturating_sub(1);
                        if let EchoLoad::Windowed { .. } = load {
                            stamp(&mut msg);
                            if ws.send(Message::Binary(msg.clone().into())).await.is_err() {
                                st.error("baseline send");
                                break;
                            }
                            in_flight += 1;
                        }
                    }
                }
            }
            let _ = ws.close(None).await;
            st
        }));
    }
    let mut all = Stats::new();
    for t in tasks {
        all.merge(t.await?);
    }
    server.abort();
    let per_s = all.deliveries as f64 / secs;
    Ok((all, per_s))
}

// ---------------------------------------------------------------------------------------
// Scenario: propagation

struct Plan {
    docs: Vec<Arc<ProjectKeys>>,
    /// Subscribers per document.
    subs: Vec<usize>,
}

fn plan(clients: usize, docs: usize) -> Result<Plan> {
    let keys = (0..docs)
        .map(|_| new_keys().map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    let mut subs = vec![0; docs];
    for i in 0..clients {
        subs[i % docs] += 1;
    }
    Ok(Plan { docs: keys, subs })
}

/// One client through a propagation run.
struct ClientRun {
    url: String,
    keys: Arc<ProjectKeys>,
    typist: Option<Typist>,
    rate: f64,
    epoch: Instant,
    window_secs: f64,
}

/// Clients announce readiness on `ready`, then wait for the start time on `go`.
async fn propagation_client(
    c: ClientRun,
    ready: mpsc::Sender<Result<()>>,
    mut go: watch::Receiver<Option<(Instant, Instant, Instant)>>,
) -> Stats {
    let mut st = Stats::new();
    let setup = async {
        let (mut ws, challenge) = hello(&c.url).await?;
        subscribe(&mut ws, &c.keys, &challenge, 0).await?;
        Ok::<_, anyhow::Error>(ws)
    }
    .await;
    let mut ws = match setup {
        Ok(ws) => {
            let _ = ready.send(Ok(())).await;
            ws
        }
        Err(e) => {
            st.error(format!("setup: {e:#}"));
            let _ = ready.send(Err(e)).await;
            return st;
        }
    };
    drop(ready);
    let (start, stop_push, stop_all) = loop {
        if let Some(t) = *go.borrow() {
            break t;
        }
        if go.changed().await.is_err() {
            return st;
        }
    };
    let mut typist = c.typist;
    let period = Duration::from_secs_f64(1.0 / c.rate);
    // Writers start at random points of one period, like people who do not type in step.
    let mut jitter = [0u8; 4];
    let _ = getrandom::fill(&mut jitter);
    let offset = period.mul_f64(f64::from(u32::from_le_bytes(jitter)) / f64::from(u32::MAX));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::from_std(start + offset), period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut push_times = std::collections::VecDeque::new();
    let mut next_id = 1u64;
    let end = tokio::time::sleep_until(tokio::time::Instant::from_std(stop_all));
    tokio::pin!(end);
    loop {
        tokio::select! {
            () = &mut end => break,
            _ = tick.tick(), if typist.is_some() && Instant::now() < stop_push => {
                let Some(t) = typist.as_mut() else { continue };
                let blob = match t.keystroke().and_then(|ch| stamped_blob(&c.keys, c.epoch, &ch)) {
                    Ok(b) => b,
                    Err(e) => { st.error(format!("keystroke: {e:#}")); continue; }
                };
                let frame = ClientFrame::Push { doc: c.keys.doc_id, id: next_id, blob };
                next_id += 1;
                push_times.push_back(Instant::now());
                if let Err(e) = send(&mut ws, &frame).await {
                    st.error(format!("push: {e:#}"));
                    break;
                }
                st.sent += 1;
            }
            m = next_frame(&mut ws) => match m {
                Ok(ServerFrame::Entry { blob, .. }) => match open_stamp(&c.keys, &blob) {
                    Ok((ts, _)) => {
                        let now = c.epoch.elapsed().as_nanos() as u64;
                        let us = now.saturating_sub(ts) / 1000;
                        let sent_at = c.epoch + Duration::from_nanos(ts);
                        let w = (sent_at.saturating_duration_since(start).as_secs_f64()
                            / c.window_secs) as usize;
                        st.deliveries += 1;
                        st.latency(w, us);
                    }
                    Err(e) => st.error(format!("entry: {e:#}")),
                },
                Ok(ServerFrame::Ack { .. }) => {
                    st.acked += 1;
                    if let Some(t) = push_times.pop_front() {
                        st.ack_us.saturating_record(t.elapsed().as_micros() as u64);
                    }
                }
                Ok(ServerFrame::Error { code, .. }) => st.error(format!("relay error {code:?}")),
                Ok(_) => {}
                Err(e) => {
                    st.error(format!("connection: {e:#}"));
                    break;
                }
            },
        }
    }
    let _ = ws.close(None).await;
    st
}

async fn propagation(args: &Args, target: &mut Target) -> Result<Value> {
    if args.writers > args.clients {
        bail!("--writers cannot exceed --clients");
    }
    let trace = Arc::new(load_trace(&args.trace)?);
    let plan = plan(args.clients, args.docs)?;
    let epoch = Instant::now();

    // The baseline: same message size, same connection count (capped), same per-connection
    // rate as one writer; measured first, so the two never share the CPU.
    let mut sample = Typist::new(Arc::clone(&trace), 0)?;
    let sample_frame = encode_client(&ClientFrame::Push {
        doc: plan.docs[0].doc_id,
        id: 1,
        blob: stamped_blob(&plan.docs[0], epoch, &sample.keystroke()?)?,
    });
    let base_conns = args.clients.min(args.baseline_cap);
    let base_secs = args.baseline_secs.min(args.duration);
    let (base, _) = baseline(
        base_conns,
        sample_frame.len(),
        EchoLoad::Paced { rate: args.rate },
        base_secs,
    )
    .await?;

    let (ready_tx, mut ready_rx) = mpsc::channel(args.clients);
    let (go_tx, go_rx) = watch::channel(None);
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        let keys = Arc::clone(&plan.docs[i % args.docs]);
        let typist = if i < args.writers {
            Some(Typist::new(Arc::clone(&trace), i * 10_007)?)
        } else {
            None
        };
        let run = ClientRun {
            url: target.url_for(i).to_owned(),
            keys,
            typist,
            rate: args.rate,
            epoch,
            window_secs: args.window_secs,
        };
        tasks.push(tokio::spawn(propagation_client(
            run,
            ready_tx.clone(),
            go_rx.clone(),
        )));
        // Do not open hundreds of handshakes in the same millisecond.
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(ready_tx);
    let mut setup_failures = 0;
    while let Some(r) = ready_rx.recv().await {
        if r.is_err() {
            setup_failures += 1;
        }
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let sampler = spawn_sampler(target.pid, target.data_dir(), stop_rx);
    let start = Instant::now() + Duration::from_millis(200);
    let stop_push = start + Duration::from_secs_f64(args.duration);
    let stop_all = stop_push + Duration::from_secs(2);
    go_tx.send_replace(Some((start, stop_push, stop_all)));
    // With several nodes: the writer of document d is client d (clients 0..W), on node
    // d mod N; a receiver on another node is a cross-node delivery.
    let n_nodes = target.nodes.len().max(1);
    let mut all = Stats::new();
    let mut same_node = histogram();
    let mut cross_node = histogram();
    for (i, t) in tasks.into_iter().enumerate() {
        let st = t.await?;
        let writer_node = (i % args.docs) % n_nodes;
        if i % n_nodes == writer_node {
            let _ = same_node.add(&st.latency_us);
        } else {
            let _ = cross_node.add(&st.latency_us);
        }
        all.merge(st);
    }
    let _ = stop_tx.send(true);
    let samples = sampler.await?;
    let node_rss = target.node_rss_mib();

    // Each acknowledged push should reach every other subscriber of its document.
    let writers_per_doc = {
        let mut w = vec![0usize; args.docs];
        for i in 0..args.writers {
            w[i % args.docs] += 1;
        }
        w
    };
    let per_writer_fanout: f64 = if args.writers == 0 {
        0.0
    } else {
        (0..args.docs)
            .map(|d| writers_per_doc[d] as f64 * (plan.subs[d].saturating_sub(1)) as f64)
            .sum::<f64>()
            / args.writers as f64
    };
    let expected = (all.acked as f64 * per_writer_fanout).round() as u64;
    let lost = expected.saturating_sub(all.deliveries);

    let (p50, p99, p999, max) = quantiles(&all.latency_us);
    let (b50, b99, b999, bmax) = quantiles(&base.latency_us);
    let (a50, a99, _, amax) = quantiles(&all.ack_us);
    let windows: Vec<Value> = all
        .windows
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| {
            json!({
                "window": i,
                "from_s": i as f64 * args.window_secs,
                "n": h.len(),
                "p50_us": h.value_at_quantile(0.5),
                "p99_us": h.value_at_quantile(0.99),
                "max_us": h.max(),
            })
        })
        .collect();
    let mut out = json!({
        "clients": args.clients, "docs": args.docs, "writers": args.writers,
        "rate_per_writer": args.rate, "duration_s": args.duration,
        "message_bytes": sample_frame.len(),
        "pushes": all.acked, "pushes_sent": all.sent, "deliveries": all.deliveries,
        "expected_deliveries": expected, "lost": lost,
        "pushes_per_s": all.acked as f64 / args.duration,
        "deliveries_per_s": all.deliveries as f64 / args.duration,
        "p50_us": p50, "p99_us": p99, "p999_us": p999, "max_us": max,
        "ack_p50_us": a50, "ack_p99_us": a99, "ack_max_us": amax,
        "baseline_connections": base_conns, "baseline_secs": base_secs,
        "baseline_messages": base.deliveries,
        "baseline_p50_us": b50, "baseline_p99_us": b99, "baseline_p999_us": b999, "baseline_max_us": bmax,
        "ratio_p50": ratio(p50, b50), "ratio_p99": ratio(p99, b99), "ratio_p999": ratio(p999, b999),
        "ratio_max": ratio(max, bmax),
        "errors": all.error_count() + lost + setup_failures,
        "error_kinds": all.errors,
        "window_s": args.window_secs,
        "windows": windows,
        "window_p50_us": all.windows.iter().map(|h| h.value_at_quantile(0.5)).collect::<Vec<_>>(),
        "window_p99_us": all.windows.iter().map(|h| h.value_at_quantile(0.99)).collect::<Vec<_>>(),
    });
    merge(&mut out, proc_json(&samples));
    if n_nodes > 1 {
        let (s50, s99, _, smax) = quantiles(&same_node);
        let (c50, c99, _, cmax) = quantiles(&cross_node);
        merge(
            &mut out,
            json!({
                "nodes": n_nodes,
                "same_node_n": same_node.len(), "same_node_p50_us": s50,
                "same_node_p99_us": s99, "same_node_max_us": smax,
                "cross_node_n": cross_node.len(), "cross_node_p50_us": c50,
                "cross_node_p99_us": c99, "cross_node_max_us": cmax,
                "cross_node_ratio_p50": ratio(c50, b50), "cross_node_ratio_p99": ratio(c99, b99),
                "node_rss_mib": node_rss,
            }),
        );
    }
    Ok(out)
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

// ---------------------------------------------------------------------------------------
// Scenario: throughput

async fn throughput(args: &Args, target: &mut Target) -> Result<Value> {
    let trace = Arc::new(load_trace(&args.trace)?);
    let plan = plan(args.clients, args.docs)?;
    let epoch = Instant::now();
    // A realistic keystroke blob, encrypted once per connection and pushed repeatedly:
    // the relay only sees the bytes.
    let mut typist = Typist::new(trace, 0)?;
    let change = typist.keystroke()?;

    let mut conns = Vec::new();
    for i in 0..args.clients {
        let keys = Arc::clone(&plan.docs[i % args.docs]);
        let (mut ws, challenge) = hello(target.url_for(i)).await?;
        subscribe(&mut ws, &keys, &challenge, 0).await?;
        let blob = stamped_blob(&keys, epoch, &change)?;
        conns.push((ws, keys, blob));
    }
    let size = encode_client(&ClientFrame::Push {
        doc: plan.docs[0].doc_id,
        id: 1,
        blob: conns[0].2.clone(),
    })
    .len();
    let warmup = Duration::from_secs(1);
    let (stop_tx, stop_rx) = watch::channel(false);
    let sampler = spawn_sampler(target.pid, target.data_dir(), stop_rx);
    let start = Instant::now();
    let measure_from = start + warmup;
    let stop = measure_from + Duration::from_secs_f64(args.duration);
    let window = args.window.max(1);
    let mut tasks = Vec::new();
    for (mut ws, keys, blob) in conns {
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::new();
            let mut id = 0u64;
            let mut times = std::collections::VecDeque::new();
            let push = |id: u64| ClientFrame::Push {
                doc: keys.doc_id,
                id,
                blob: blob.clone(),
            };
            for _ in 0..window {
                id += 1;
                times.push_back(Instant::now());
                if send(&mut ws, &push(id)).await.is_err() {
                    st.error("push");
                }
            }
            let deadline = tokio::time::sleep_until(tokio::time::Instant::from_std(stop));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    () = &mut deadline => break,
                    m = next_frame(&mut ws) => match m {
                        Ok(ServerFrame::Ack { .. }) => {
                            let sent = times.pop_front();
                            if Instant::now() >= measure_from {
                                st.acked += 1;
                                if let Some(t) = sent {
                                    st.ack_us.saturating_record(t.elapsed().as_micros() as u64);
                                }
                            }
                            id += 1;
                            times.push_back(Instant::now());
                            if let Err(e) = send(&mut ws, &push(id)).await {
                                st.error(format!("push: {e:#}"));
                                break;
                            }
                        }
                        Ok(ServerFrame::Error { code, .. }) => st.error(format!("relay error {code:?}")),
                        Ok(_) => {}
                        Err(e) => { st.error(format!("connection: {e:#}")); break; }
                    },
                }
            }
            let _ = ws.close(None).await;
            st
        }));
    }
    let mut all = Stats::new();
    for t in tasks {
        all.merge(t.await?);
    }
    let _ = stop_tx.send(true);
    let samples = sampler.await?;
    let acks_per_s = all.acked as f64 / args.duration;

    let base_conns = args.clients.min(args.baseline_cap);
    let base_secs = args.baseline_secs.min(args.duration);
    let (base, base_per_s) =
        baseline(base_conns, size, EchoLoad::Windowed { window }, base_secs).await?;
    let (a50, a99, a999, amax) = quantiles(&all.ack_us);
    let (b50, b99, _, _) = quantiles(&base.latency_us);
    let mut out = json!({
        "clients": args.clients, "docs": args.docs, "window": window, "duration_s": args.duration,
        "message_bytes": size,
        "pushes": all.acked, "acks_per_s": acks_per_s, "pushes_per_s": acks_per_s,
        "deliveries": 0,
        "p50_us": a50, "p99_us": a99, "p999_us": a999, "max_us": amax,
        "latency_is": "push to durable ack",
        "baseline_connections": base_conns, "baseline_secs": base_secs,
        "baseline_echoes_per_s": base_per_s,
        "baseline_p50_us": b50, "baseline_p99_us": b99,
        "ratio_throughput": if base_per_s > 0.0 { json!((acks_per_s / base_per_s * 1000.0).round() / 1000.0) } else { Value::Null },
        "ratio_p50": ratio(a50, b50), "ratio_p99": ratio(a99, b99),
        "errors": all.error_count(), "error_kinds": all.errors,
    });
    merge(&mut out, proc_json(&samples));
    if target.nodes.len() > 1 {
        merge(
            &mut out,
            json!({ "nodes": target.nodes.len(), "node_rss_mib": target.node_rss_mib() }),
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Scenario: many documents

async fn many_documents(args: &Args, target: &mut Target) -> Result<Value> {
    if target.spawned.is_none() {
        bail!("many-documents needs --spawn");
    }
    let half = (args.clients / 2).max(1);
    let per_conn = args.docs.div_ceil(half);
    if per_conn > 10_000 {
        bail!(
            "{} documents over {half} connection pairs is {per_conn} subscriptions per connection; the spawned relay allows 10000: raise --clients",
            args.docs
        );
    }
    let keys: Vec<Arc<ProjectKeys>> = (0..args.docs)
        .map(|_| new_keys().map(Arc::new))
        .collect::<Result<_>>()?;
    let n_nodes = target.nodes.len().max(1);
    // The baseline: as many connections, each doing one round trip at a time with a
    // message the size of a subscribe, to a plain echo server.
    let subscribe_size = encode_client(&ClientFrame::Subscribe {
        doc: keys[0].doc_id,
        since: 0,
        create: true,
        proof: sign_subscribe(&keys[0], &[0; 32]),
    })
    .len();
    let (_, base_per_s) = baseline(
        2 * half,
        subscribe_size,
        EchoLoad::Windowed { window: 1 },
        args.baseline_secs.min(10.0),
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = target.node_rss_mib();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for side in 0..2 {
        for k in 0..half {
            // The two subscribers of a document are on neighbouring nodes.
            let url = target.url_for(k + side).to_owned();
            let mine: Vec<Arc<ProjectKeys>> = keys.iter().skip(k).step_by(half).cloned().collect();
            tasks.push(tokio::spawn(async move {
                let (mut ws, challenge) = hello(&url).await?;
                for keys in &mine {
                    subscribe(&mut ws, keys, &challenge, 0).await?;
                }
                Ok::<_, anyhow::Error>((ws, mine.len()))
            }));
        }
    }
    let mut conns = Vec::new();
    let mut subscriptions = 0;
    let mut errors = BTreeMap::new();
    for t in tasks {
        match t.await? {
            Ok((ws, n)) => {
                subscriptions += n;
                conns.push(ws);
            }
            Err(e) => *errors.entry(format!("{e:#}")).or_insert(0u64) += 1,
        }
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = target.node_rss_mib();
    for mut ws in conns {
        let _ = ws.close(None).await;
    }
    let per_sub: Vec<f64> = rss_before
        .iter()
        .zip(&rss_after)
        .map(|(b, a)| ((a - b) * 1024.0 * 1024.0 / (subscriptions as f64 / n_nodes as f64)).round())
        .collect();
    Ok(json!({
        "docs": args.docs, "connections": 2 * half, "nodes": n_nodes,
        "subscriptions": subscriptions,
        "subscribe_all_s": (took.as_secs_f64() * 100.0).round() / 100.0,
        "subscribes_per_s": (subscriptions as f64 / took.as_secs_f64()).round(),
        "baseline_round_trips_per_s": base_per_s.round(),
        "ratio_rate": if base_per_s > 0.0 { json!(((subscriptions as f64 / took.as_secs_f64()) / base_per_s * 1000.0).round() / 1000.0) } else { Value::Null },
        "node_rss_mib_before": rss_before, "node_rss_mib_subscribed": rss_after,
        "bytes_per_subscription_per_node": per_sub,
        "errors": errors.values().sum::<u64>(), "error_kinds": errors,
    }))
}

// ---------------------------------------------------------------------------------------
// Scenario: idle memory

async fn settle_rss(pid: u32, secs: u64) -> Result<u64> {
    tokio::time::sleep(Duration::from_secs(secs)).await;
    rss_kib(pid).ok_or_else(|| anyhow!("cannot read /proc/{pid}/status"))
}

async fn idle_memory(args: &Args, target: &mut Target) -> Result<Value> {
    let Some(pid) = target.pid else {
        bail!("idle-memory needs --spawn or --relay-pid");
    };
    let plan = plan(args.clients, args.docs)?;
    let epoch = Instant::now();
    let rss_start = settle_rss(pid, 1).await?;

    // 1. Bare connections: hello only.
    let mut conns = Vec::new();
    for i in 0..args.clients {
        conns.push(hello(&target.url).await?);
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let rss_connected = settle_rss(pid, 3).await?;

    // 2. Every connection subscribes; the first subscriber of each document writes one
    // entry, so every document exists with a log.
    let mut change = Typist::new(Arc::new(vec![(0, 0, "x".to_owned())]), 0)?;
    let change = change.keystroke()?;
    for (i, (ws, challenge)) in conns.iter_mut().enumerate() {
        let keys = &plan.docs[i % args.docs];
        subscribe(ws, keys, challenge, 0).await?;
        if i < args.docs {
            let blob = stamped_blob(keys, epoch, &change)?;
            send(
                ws,
                &ClientFrame::Push {
                    doc: keys.doc_id,
                    id: 1,
                    blob,
                },
            )
            .await?;
            loop {
                match next_frame(ws).await? {
                    ServerFrame::Ack { .. } => break,
                    ServerFrame::Error { code, message, .. } => {
                        bail!("push refused: {code:?}: {message}")
                    }
                    _ => {}
                }
            }
        }
    }
    // Drain what the others were sent (their documents' first entries).
    for (ws, _) in &mut conns {
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(1), ws.next()).await {}
    }
    let rss_subscribed = settle_rss(pid, 3).await?;
    let rss_idle = settle_rss(pid, 5).await?;

    // 3. Everyone leaves.
    for (mut ws, _) in conns {
        let _ = ws.close(None).await;
    }
    let rss_after = settle_rss(pid, 5).await?;
    let rss_after_10s = settle_rss(pid, 5).await?;

    let per = |a: u64, b: u64, n: usize| (a.saturating_sub(b) as f64 * 1024.0 / n as f64).round();
    Ok(json!({
        "clients": args.clients, "docs": args.docs,
        "rss_kib_start": rss_start,
        "rss_kib_connected": rss_connected,
        "rss_kib_subscribed": rss_subscribed,
        "rss_kib_idle_5s": rss_idle,
        "rss_kib_after_disconnect_5s": rss_after,
        "rss_kib_after_disconnect_10s": rss_after_10s,
        "bytes_per_connection": per(rss_connected, rss_start, args.clients),
        "bytes_per_document_with_subscribers": per(rss_subscribed, rss_connected, args.docs),
        "bytes_per_subscribed_connection": per(rss_idle, rss_start, args.clients),
        "rss_kib_retained_after_disconnect": rss_after_10s.saturating_sub(rss_start),
        "errors": 0,
    }))
}

// ---------------------------------------------------------------------------------------
// Scenario: reconnect storm

/// A client of the storm: its document, what it holds, and its change made while offline.
struct StormClient {
    keys: Arc<ProjectKeys>,
    last_seq: u64,
    peers: usize,
}

async fn storm_client(
    url: String,
    c: StormClient,
    epoch: Instant,
    restarted: Instant,
) -> Result<(Duration, u32)> {
    let mut attempts = 0u32;
    let mut jitter = [0u8; 1];
    let (mut ws, challenge) = loop {
        attempts += 1;
        match hello(&url).await {
            Ok(x) => break x,
            Err(e) if restarted.elapsed() > Duration::from_secs(60) => return Err(e),
            Err(_) => {
                getrandom::fill(&mut jitter).map_err(|e| anyhow!("no randomness: {e}"))?;
                tokio::time::sleep(Duration::from_millis(25 + u64::from(jitter[0] % 25))).await;
            }
        }
    };
    let (_, caught_up) = subscribe(&mut ws, &c.keys, &challenge, c.last_seq).await?;
    let offline = stamped_blob(&c.keys, epoch, b"offline")?;
    send(
        &mut ws,
        &ClientFrame::Push {
            doc: c.keys.doc_id,
            id: 1_000,
            blob: offline,
        },
    )
    .await?;
    let is_offline = |blob: &[u8]| {
        open_stamp(&c.keys, blob)
            .map(|(_, p)| p == b"offline")
            .unwrap_or(false)
    };
    let mut seen = caught_up.iter().filter(|(_, b)| is_offline(b)).count();
    let mut acked = false;
    let deadline = restarted + Duration::from_secs(120);
    while !(acked && seen >= c.peers) {
        let f = tokio::time::timeout_at(
            tokio::time::Instant::from_std(deadline),
            next_frame(&mut ws),
        )
        .await
        .map_err(|_| anyhow!("not in sync after 120 s"))??;
        match f {
            ServerFrame::Ack { .. } => acked = true,
            ServerFrame::Entry { blob, .. } if is_offline(&blob) => seen += 1,
            ServerFrame::Error { code, message, .. } => bail!("{code:?}: {message}"),
            _ => {}
        }
    }
    let t = restarted.elapsed();
    let _ = ws.close(None).await;
    Ok((t, attempts))
}

async fn reconnect_storm(args: &Args, target: &mut Target) -> Result<Value> {
    let trace = Arc::new(load_trace(&args.trace)?);
    let plan = plan(args.clients, args.docs)?;
    let epoch = Instant::now();
    // Before: everyone connects, and each client writes a few keystrokes.
    let mut conns = Vec::new();
    for i in 0..args.clients {
        let keys = Arc::clone(&plan.docs[i % args.docs]);
        let (mut ws, challenge) = hello(&target.url).await?;
        subscribe(&mut ws, &keys, &challenge, 0).await?;
        conns.push((ws, keys));
    }
    let mut typist = Typist::new(trace, 0)?;
    for (ws, keys) in &mut conns {
        for id in 1..=5 {
            let blob = stamped_blob(keys, epoch, &typist.keystroke()?)?;
            send(
                ws,
                &ClientFrame::Push {
                    doc: keys.doc_id,
                    id,
                    blob,
                },
            )
            .await?;
        }
    }
    // Everyone reads until it holds the whole log of its document (5 entries per
    // subscriber).
    let mut clients = Vec::new();
    for (i, (mut ws, keys)) in conns.into_iter().enumerate() {
        let subs = plan.subs[i % args.docs];
        let head = 5 * subs as u64;
        // Entries arrive before they are durable: wait until the whole log is both
        // held and durable, and resume from there (as the app does).
        let (mut last, mut durable) = (0, 0);
        while last < head || durable < head {
            match tokio::time::timeout(Duration::from_secs(30), next_frame(&mut ws)).await {
                Ok(Ok(ServerFrame::Entry { seq, .. })) => last = last.max(seq),
                Ok(Ok(ServerFrame::Ack { seq, .. })) => {
                    last = last.max(seq);
                    durable = durable.max(seq);
                }
                Ok(Ok(ServerFrame::Durable { upto, .. })) => durable = durable.max(upto),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => bail!("the log never reached {head} before the restart"),
            }
        }
        clients.push((
            ws,
            StormClient {
                keys,
                last_seq: last.min(durable),
                peers: subs - 1,
            },
        ));
    }
    // The relay dies; every client notices, then all reconnect at once.
    let restarted = Instant::now();
    let startup = target.restart()?;
    let mut tasks = Vec::new();
    for (ws, c) in clients {
        drop(ws);
        tasks.push(tokio::spawn(storm_client(
            target.url.clone(),
            c,
            epoch,
            restarted,
        )));
    }
    let mut times = histogram();
    let mut attempts = 0u64;
    let mut errors = BTreeMap::<String, u64>::new();
    for t in tasks {
        match t.await? {
            Ok((d, a)) => {
                times.saturating_record(d.as_micros() as u64);
                attempts += u64::from(a);
            }
            Err(e) => *errors.entry(format!("{e:#}")).or_default() += 1,
        }
    }
    Ok(json!({
        "clients": args.clients, "docs": args.docs,
        "relay_startup_ms": startup.as_secs_f64() * 1000.0,
        "all_in_sync_ms": times.max() as f64 / 1000.0,
        "in_sync_p50_ms": times.value_at_quantile(0.5) as f64 / 1000.0,
        "in_sync_p99_ms": times.value_at_quantile(0.99) as f64 / 1000.0,
        "in_sync_clients": times.len(),
        "connect_attempts": attempts,
        "errors": errors.values().sum::<u64>(), "error_kinds": errors,
    }))
}

// ---------------------------------------------------------------------------------------
// Scenario: typing, through the app's own sync engine

/// A project shared by Alice on the relay and joined by Bob, each in a data directory of
/// their own, as `samspill share` and `samspill join` leave them.
async fn shared_pair(
    relay: &samspill_shared::link::RelayUrl,
) -> Result<(
    tempfile::TempDir,
    tempfile::TempDir,
    samspill_shared::crypto::DocumentId,
)> {
    use samspill::device::Device;
    use samspill_shared::model::NewProject;
    let alice_dir = tempfile::tempdir().context("cannot make a temporary data directory")?;
    let bob_dir = tempfile::tempdir().context("cannot make a temporary data directory")?;
    let alice = Device::open(alice_dir.path())?;
    let template = alice
        .library()
        .template("four-phase")
        .ok_or_else(|| anyhow!("the four-phase template is missing"))?;
    let project = alice.create_project(&NewProject {
        template,
        title: "Skriveprøve",
        language: None,
    })?;
    let id = project.id();
    drop(project);
    let invite = Box::pin(samspill::sync::share(&alice, &id, relay, None))
        .await
        .context("cannot share the project on the relay")?;
    let bob = Device::open(bob_dir.path())?;
    Box::pin(samspill::sync::join(
        &bob,
        &invite.to_string(),
        samspill::sync::LAN_JOIN_WAIT,
    ))
    .await
    .context("cannot join the project")?;
    Ok((alice_dir, bob_dir, id))
}

async fn typing(args: &Args, target: &mut Target) -> Result<Value> {
    let trace = Arc::new(load_trace(&args.trace)?);
    let (alice_dir, bob_dir, id) = Box::pin(shared_pair(&target.base)).await?;
    let (alice_path, bob_path) = (alice_dir.path().to_owned(), bob_dir.path().to_owned());
    let duration = args.duration;
    let rate = args.rate;
    let (stop_tx, stop_rx) = watch::channel(false);
    let sampler = spawn_sampler(target.pid, target.data_dir(), stop_rx);
    // The engines and the documents are blocking code (as in the app): off the runtime.
    let run = tokio::task::spawn_blocking(move || {
        type_through_engines(&alice_path, &bob_path, &id, &trace, rate, duration)
    })
    .await
    .context("the typing run panicked")??;
    let _ = stop_tx.send(true);
    let samples = sampler.await?;

    let (p50, p99, p999, max) = quantiles(&run.latency_us);
    let lost = run.typed.saturating_sub(run.latency_us.len());
    let mut out = json!({
        "clients": 2, "docs": 1, "writers": 1,
        "rate_per_writer": rate, "duration_s": duration,
        "keystrokes": run.typed, "arrived": run.latency_us.len(), "lost": lost,
        "text_chars": run.text_chars,
        "p50_us": p50, "p99_us": p99, "p999_us": p999, "max_us": max,
        "errors": lost + run.mismatch,
        "converged": run.mismatch == 0,
    });
    merge(&mut out, proc_json(&samples));
    drop((alice_dir, bob_dir));
    Ok(out)
}

struct TypingRun {
    typed: u64,
    latency_us: Histogram<u64>,
    text_chars: usize,
    /// 1 when Bob's goal differs from Alice's at the end.
    mismatch: u64,
}

/// Alice types the trace into the project's goal, one `set_goal` per keystroke (what the
/// UI's text field does), through her engine; a watcher on Bob's document records when
/// each keystroke's change is in it.
fn type_through_engines(
    alice_path: &Path,
    bob_path: &Path,
    id: &samspill_shared::crypto::DocumentId,
    trace: &[Edit],
    rate: f64,
    duration: f64,
) -> Result<TypingRun> {
    use automerge::ChangeHash;
    use samspill::device::{Access, Device};
    use samspill::sync::{SyncHandle, SyncStatus};
    use std::sync::Mutex;

    let open = |path: &Path, access: Access| -> Result<_> {
        let device = Device::open(path)?;
        let doc = device.open_project(id, access)?;
        Ok((doc, SyncHandle::start(device, None)))
    };
    let (alice_doc, alice_engine) = open(alice_path, Access::Edit)?;
    let (bob_doc, bob_engine) = open(bob_path, Access::Read)?;
    let live = Instant::now() + Duration::from_secs(30);
    while alice_engine.status(id) != SyncStatus::Synced
        || bob_engine.status(id) != SyncStatus::Synced
    {
        if Instant::now() > live {
            bail!("the engines did not go live within 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }

    let sent: Arc<Mutex<Vec<(ChangeHash, Instant)>>> = Arc::default();
    let (wake_tx, wake_rx) = std::sync::mpsc::channel::<()>();
    bob_doc.on_change(
        "loadgen",
        Arc::new(move || {
            let _ = wake_tx.send(());
        }),
    );
    let typing_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let sent = Arc::clone(&sent);
        let bob_doc = bob_doc.clone();
        let typing_done = Arc::clone(&typing_done);
        std::thread::spawn(move || -> Result<Histogram<u64>> {
            let mut latency = Histogram::<u64>::new(3)?;
            let mut next = 0usize;
            let mut deadline: Option<Instant> = None;
            loop {
                // Woken by Bob's document changing, or every 50 ms to look at the clock.
                let _ = wake_rx.recv_timeout(Duration::from_millis(50));
                let now = Instant::now();
                let pending: Vec<(ChangeHash, Instant)> = {
                    let sent = sent.lock().map_err(|_| anyhow!("a lock was poisoned"))?;
                    sent[next..].to_vec()
                };
                for (hash, at) in pending {
                    let held = bob_doc.read(|d| {
                        automerge::ReadDoc::get_change_by_hash(d.automerge(), &hash).is_some()
                    });
                    if !held {
                        break;
                    }
                    latency.record(
                        u64::try_from(now.duration_since(at).as_micros()).unwrap_or(u64::MAX),
                    )?;
                    next += 1;
                }
                if typing_done.load(std::sync::atomic::Ordering::SeqCst) {
                    let total = sent
                        .lock()
                        .map_err(|_| anyhow!("a lock was poisoned"))?
                        .len();
                    if next >= total {
                        return Ok(latency);
                    }
                    // Whatever has not arrived 10 s after the last keystroke is lost.
                    let until = *deadline.get_or_insert(now + Duration::from_secs(10));
                    if now > until {
                        return Ok(latency);
                    }
                }
            }
        })
    };

    let mut text = String::new();
    let start = Instant::now();
    let stop = start + Duration::from_secs_f64(duration);
    let mut typed = 0u64;
    let mut last = None;
    for (pos, del, ins) in trace.iter().cycle() {
        let due = start + Duration::from_secs_f64(typed as f64 / rate);
        if due >= stop {
            break;
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        apply_edit(&mut text, *pos, *del, ins);
        let at = Instant::now();
        let hash = alice_doc.with(|d| -> Result<Option<ChangeHash>> {
            d.set_goal(&text)?;
            Ok(d.automerge_mut().get_heads().first().copied())
        })?;
        // An edit that changes nothing makes no change (and no new head).
        if let Some(hash) = hash.filter(|h| last != Some(*h)) {
            last = Some(hash);
            sent.lock()
                .map_err(|_| anyhow!("a lock was poisoned"))?
                .push((hash, at));
            typed += 1;
        }
    }
    typing_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let latency = watcher
        .join()
        .map_err(|_| anyhow!("the watcher thread panicked"))??;
    let mismatch = u64::from(bob_doc.view().meta.goal != alice_doc.view().meta.goal);
    alice_engine.shutdown();
    bob_engine.shutdown();
    Ok(TypingRun {
        typed,
        latency_us: latency,
        text_chars: text.chars().count(),
        mismatch,
    })
}

/// Applies one trace patch (character positions) to `text`, clamped to its length.
fn apply_edit(text: &mut String, pos: usize, del: usize, ins: &str) {
    let byte = |t: &str, chars: usize| t.char_indices().nth(chars).map_or(t.len(), |(i, _)| i);
    let from = byte(text, pos);
    let to = from + byte(&text[from..], del);
    text.replace_range(from..to, ins);
}

// ---------------------------------------------------------------------------------------
// Scenario: open a large project

fn open_project(args: &Args) -> Result<Value> {
    use samspill_shared::content::library;
    use samspill_shared::ids::{PhaseId, SeededEntropy};
    use samspill_shared::model::{Editor, FixedClock, NewProject, ProjectDoc};

    let editor = |seed: u64| -> Result<Editor> {
        Ok(Editor {
            author: "loadgen".parse().map_err(|e| anyhow!("author id: {e:?}"))?,
            clock: Box::new(FixedClock(1_763_900_000_000)),
            entropy: Box::new(SeededEntropy::new(seed)),
        })
    };
    let samspill = match &args.samspill_bin {
        Some(b) => b.clone(),
        None => sibling("samspill")?,
    };
    let built = Instant::now();
    let template = library()
        .template("four-phase")
        .ok_or_else(|| anyhow!("no four-phase template"))?;
    let new = NewProject {
        template,
        title: "Stort prosjekt",
        language: None,
    };
    let mut p = ProjectDoc::create(&new, automerge::ActorId::from(vec![1u8; 16]), editor(1)?)?;
    let phases: Vec<PhaseId> = p
        .view()
        .phases
        .iter()
        .map(|ph| ph.id.parse().map_err(|e| anyhow!("phase id: {e:?}")))
        .collect::<Result<_>>()?;
    let tasks = args.items / 2;
    let agenda = args.items - tasks;
    for i in 0..tasks {
        p.add_task(&phases[i % phases.len()], &format!("Oppgave nummer {i}"))?;
    }
    let gatherings = agenda.div_ceil(100);
    let mut left = agenda;
    for gi in 0..gatherings {
        let g = p.add_gathering(&format!("Samling {gi}"))?;
        for i in 0..left.min(100) {
            p.add_agenda_item(&g, &format!("Punkt {i}"), 15, Some("igp"))?;
        }
        left = left.saturating_sub(100);
    }
    let bytes = p.automerge_mut().save();
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;

    // The library path: load the saved bytes and read the view model.
    let mut lib_ms = Vec::new();
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        let doc = ProjectDoc::load(&bytes, automerge::ActorId::from(vec![2u8; 16]), editor(2)?)?;
        let view = doc.view();
        std::hint::black_box(&view);
        lib_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    // The CLI path: a fresh process opens the project from its store and prints it.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("stort.automerge");
    std::fs::write(&file, &bytes)?;
    let data = dir.path().join("data");
    let cli = |a: &[&std::ffi::OsStr]| -> Result<std::process::Output> {
        let out = Command::new(&samspill)
            .arg("--data-dir")
            .arg(&data)
            .args(a)
            .env_remove("SAMSPILL_DATA_DIR")
            .output()
            .with_context(|| format!("cannot run {}", samspill.display()))?;
        if !out.status.success() {
            bail!(
                "samspill {a:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(out)
    };
    cli(&["profile".as_ref(), "--name".as_ref(), "Bench".as_ref()])?;
    let out = cli(&["import".as_ref(), file.as_os_str()])?;
    let id = String::from_utf8(out.stdout)?
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let mut show_ms = Vec::new();
    let mut items_seen = 0;
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        let out = cli(&["show".as_ref(), id.as_ref(), "--json".as_ref()])?;
        show_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let v: Value = serde_json::from_slice(&out.stdout)?;
        let tasks: usize = v["phases"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|ph| ph["tasks"].as_array().map_or(0, Vec::len))
            .sum();
        let agenda: usize = v["gatherings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| g["agenda"].as_array().map_or(0, Vec::len))
            .sum();
        items_seen = tasks + agenda;
    }
    let stats = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        json!({"first": v[0], "min": s[0], "median": s[s.len() / 2], "max": s[s.len() - 1]})
    };
    Ok(json!({
        "items": args.items, "tasks": tasks, "agenda_items": agenda,
        "items_in_show_output": items_seen,
        "saved_bytes": bytes.len(), "build_ms": build_ms,
        "library_load_and_view_ms": stats(&lib_ms),
        "cli_show_json_ms": stats(&show_ms),
        "errors": 0,
    }))
}

// ---------------------------------------------------------------------------------------
// Output

fn print_human(r: &Value) {
    let Value::Object(map) = r else { return };
    for (k, v) in map {
        match v {
            Value::Array(a) if a.len() > 12 => {
                let head: Vec<String> = a.iter().take(12).map(Value::to_string).collect();
                println!("{k}: [{} … {} values]", head.join(", "), a.len());
            }
            _ => println!("{k}: {v}"),
        }
    }
}
