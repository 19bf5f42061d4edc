//! Command-line flags (with environment fallbacks) and the validated [`Config`].
//!
//! Two steps, as in ripgrep: clap parses raw [`Args`]; [`Config::from_args`] checks them
//! and produces the settings the relay runs with. Tests build a [`Config`] directly with
//! [`Config::new`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use clap::{Parser, Subcommand};

use samspill_shared::crypto::DocumentId;
use samspill_shared::protocol::DEFAULT_MAX_FRAME_BYTES;

/// Raw command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "samspill-relay",
    version,
    about = "Samspill's end-to-end encrypted relay: stores and forwards encrypted project logs"
)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port; the real one is printed).
    #[arg(long, env = "SAMSPILL_RELAY_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Directory holding the relay's database.
    #[arg(
        long,
        env = "SAMSPILL_RELAY_DATA",
        default_value = "./relay-data",
        global = true
    )]
    pub data: PathBuf,

    /// Keep documents and tokens in PostgreSQL instead of the SQLite file in --data
    /// (`postgres://user:password@host/dbname`), so several relay nodes can serve
    /// behind one address. The password is never printed.
    #[arg(long, env = "SAMSPILL_RELAY_DATABASE", global = true, value_name = "URL",
          value_parser = RawDatabaseUrl::accept, hide_env_values = true)]
    pub database: Option<RawDatabaseUrl>,

    /// Creating a new document needs a bearer token (see `token create`).
    #[arg(long, env = "SAMSPILL_RELAY_REQUIRE_TOKEN")]
    pub require_token: bool,

    /// Largest frame a client may send, in bytes (a snapshot is the largest frame).
    #[arg(long, env = "SAMSPILL_RELAY_MAX_FRAME_BYTES", default_value_t = DEFAULT_MAX_FRAME_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1024..=(256 << 20)))]
    pub max_frame_bytes: u64,

    /// Documents one connection may subscribe to at once.
    #[arg(long, env = "SAMSPILL_RELAY_MAX_SUBSCRIPTIONS", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_subscriptions: u32,

    /// Pushes, snapshots and ephemeral frames one connection may send per second
    /// (bursts up to the same number are allowed).
    #[arg(long, env = "SAMSPILL_RELAY_MAX_PUSHES_PER_SEC", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pushes_per_sec: u32,

    /// Subscribes one connection may send per second (bursts up to the same number).
    #[arg(long, env = "SAMSPILL_RELAY_MAX_SUBSCRIBES_PER_SEC", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_subscribes_per_sec: u32,

    /// Bytes queued for one connection before it counts as too slow and is disconnected
    /// (it catches up when it reconnects): half for catch-up, half for live and parked
    /// entries; at least twice --max-frame-bytes.
    #[arg(long, env = "SAMSPILL_RELAY_SEND_BUFFER_BYTES", default_value_t = 16 << 20,
          value_parser = clap::value_parser!(u64).range(65_536..=(4 << 30)))]
    pub send_buffer_bytes: u64,

    /// Seconds a connection's socket may take no bytes at all, while something waits to
    /// be written, before the connection counts as too slow.
    #[arg(long, env = "SAMSPILL_RELAY_WRITE_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub write_timeout_secs: u64,

    /// Seconds a connection has to send its Hello after the websocket opens.
    #[arg(long, env = "SAMSPILL_RELAY_HELLO_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub hello_secs: u64,

    /// Seconds a client has to send the HTTP request headers (an idle keep-alive
    /// connection is closed after as long).
    #[arg(long, env = "SAMSPILL_RELAY_HEADER_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_secs: u64,

    /// Bytes a connection may send before its Hello.
    #[arg(long, env = "SAMSPILL_RELAY_MAX_BYTES_BEFORE_HELLO", default_value_t = 65_536,
          value_parser = clap::value_parser!(u64).range(1024..=(16 << 20)))]
    pub max_bytes_before_hello: u64,

    /// Open TCP connections in total; more are refused at once.
    #[arg(long, env = "SAMSPILL_RELAY_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Open TCP connections from one IP address (0: no limit; behind a proxy every
    /// connection comes from the proxy's address).
    #[arg(
        long,
        env = "SAMSPILL_RELAY_MAX_CONNECTIONS_PER_IP",
        default_value_t = 256
    )]
    pub max_connections_per_ip: u32,

    /// Seconds between the relay's websocket pings; a connection silent for three of
    /// them is closed.
    #[arg(long, env = "SAMSPILL_RELAY_PING_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ping_secs: u64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the tokens that allow creating documents on this relay.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token; it is printed once, on the last line, and stored only hashed.
    Create { name: String },
    /// One token a line: name, created, status.
    List,
    /// Revoke a token: it can no longer create documents.
    Revoke { name: String },
}

/// Per-connection and per-relay limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_frame_bytes: usize,
    pub max_subscriptions: usize,
    pub max_pushes_per_sec: u32,
    pub max_subscribes_per_sec: u32,
    /// Bytes queued for one connection before it is too slow.
    pub send_buffer_bytes: usize,
    /// How long one write (or the wait for room in the send buffer) may take.
    pub write_timeout: Duration,
    /// How often the relay pings each connection (silent for three: closed).
    pub ping_every: Duration,
    /// How long a websocket may take to send Hello.
    pub hello_timeout: Duration,
    /// How long a client may take to send its HTTP request headers.
    pub header_timeout: Duration,
    /// Bytes a connection may send before its Hello.
    pub max_bytes_before_hello: usize,
    pub max_connections: usize,
    /// Per IP address; `None`: no limit.
    pub max_connections_per_ip: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_subscriptions: 100,
            max_pushes_per_sec: 200,
            max_subscribes_per_sec: 100,
            send_buffer_bytes: 16 << 20,
            write_timeout: Duration::from_secs(30),
            ping_every: Duration::from_secs(15),
            hello_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            max_bytes_before_hello: 65_536,
            max_connections: 10_000,
            max_connections_per_ip: Some(256),
        }
    }
}

/// Access policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Anyone who can reach the relay may create documents.
    #[default]
    Open,
    /// Creating a document needs a valid bearer token.
    TokenToCreate,
}

/// `--database` as given: checked by [`Args::database_url`], not by clap, whose error
/// would print the value (and the password in it).
#[derive(Clone, PartialEq, Eq)]
pub struct RawDatabaseUrl(String);

impl RawDatabaseUrl {
    fn accept(s: &str) -> Result<Self, String> {
        Ok(Self(s.to_owned()))
    }
}

impl std::fmt::Debug for RawDatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawDatabaseUrl(hidden)")
    }
}

impl Args {
    /// The checked `--database` URL, if one was given.
    pub fn database_url(&self) -> anyhow::Result<Option<DatabaseUrl>> {
        self.database
            .as_ref()
            .map(|raw| DatabaseUrl::parse(&raw.0).map_err(|e| anyhow::anyhow!("--database: {e}")))
            .transpose()
    }
}

/// A `postgres://` connection URL. It may hold a password, so its `Debug` and
/// `Display` show only where it points.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    shown: String,
}

impl DatabaseUrl {
    /// Accepts `postgres://` and `postgresql://` URLs (and nothing else: SQLite needs no
    /// URL, it lives in --data).
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(
                "expected a postgres:// URL (without --database the relay uses SQLite in --data)"
                    .to_owned(),
            );
        }
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| format!("not a PostgreSQL connection URL: {e}"))?;
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let port = config
            .get_ports()
            .first()
            .map_or(String::new(), |p| format!(":{p}"));
        let shown = format!(
            "postgres://{}{port}/{}",
            hosts.join(","),
            config.get_dbname().unwrap_or("")
        );
        Ok(Self {
            url: url.to_owned(),
            shown,
        })
    }

    /// The whole URL, password included: only for connecting.
    pub fn secret(&self) -> &str {
        &self.url
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// The validated settings the relay runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// PostgreSQL instead of the SQLite file in `data_dir`.
    pub database: Option<DatabaseUrl>,
    pub access: Access,
    pub limits: Limits,
    /// When set, only these documents may be created here (see [`DocumentList`]).
    pub only_documents: Option<DocumentList>,
    /// Whether `GET /metrics` answers (a relay on the local network keeps its activity
    /// to itself).
    pub serve_metrics: bool,
}

/// The documents a relay embedded in the app may create, each with its write key: the
/// projects its device shares on the local network. Anyone on the network can reach
/// that relay; this keeps a stranger from storing documents of their own in the
/// device's data directory, and registers each document's write key as it is created
/// (a viewer's device knows it too), so no one holding only the read key can register
/// one of their own first. Subscribing to a listed document still needs its read key,
/// writing its write key.
#[derive(Clone, Default)]
pub struct DocumentList(Arc<RwLock<BTreeMap<DocumentId, [u8; 32]>>>);

impl DocumentList {
    pub fn insert(&self, doc: DocumentId, write_key: [u8; 32]) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(doc, write_key);
    }

    /// The listed document's write key; `None` when it is not listed.
    pub fn write_key(&self, doc: &DocumentId) -> Option<[u8; 32]> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(doc)
            .copied()
    }

    pub fn contains(&self, doc: &DocumentId) -> bool {
        self.write_key(doc).is_some()
    }
}

impl std::fmt::Debug for DocumentList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        write!(f, "DocumentList({n} documents)")
    }
}

impl Config {
    /// Defaults for a relay keeping its data in `data_dir`, listening on a free loopback port.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            database: None,
            access: Access::Open,
            limits: Limits::default(),
            only_documents: None,
            serve_metrics: true,
        }
    }

    pub fn from_args(args: &Args) -> anyhow::Result<Self> {
        let max_frame_bytes = usize::try_from(args.max_frame_bytes)?;
        // Half the send buffer is for catch-up, half for live entries: each must hold
        // the largest frame.
        if args.send_buffer_bytes < args.max_frame_bytes.saturating_mul(2) {
            anyhow::bail!(
                "--send-buffer-bytes ({}) must be at least twice --max-frame-bytes ({})",
                args.send_buffer_bytes,
                args.max_frame_bytes
            );
        }
        Ok(Self {
            listen: args.listen,
            data_dir: args.data.clone(),
            database: args.database_url()?,
            access: if args.require_token {
                Access::TokenToCreate
            } else {
                Access::Open
            },
            limits: Limits {
                max_frame_bytes,
                max_subscriptions: args.max_subscriptions as usize,
                max_pushes_per_sec: args.max_pushes_per_sec,
                max_subscribes_per_sec: args.max_subscribes_per_sec,
                send_buffer_bytes: usize::try_from(args.send_buffer_bytes)?,
                write_timeout: Duration::from_secs(args.write_timeout_secs),
                ping_every: Duration::from_secs(args.ping_secs),
                hello_timeout: Duration::from_secs(args.hello_secs),
                header_timeout: Duration::from_secs(args.header_secs),
                max_bytes_before_hello: usize::try_from(args.max_bytes_before_hello)?,
                max_connections: args.max_connections as usize,
                max_connections_per_ip: match args.max_connections_per_ip {
                    0 => None,
                    n => Some(n as usize),
                },
            },
            only_documents: None,
            serve_metrics: true,
        })
    }

    /// The database file inside the data directory.
    pub fn database_path(&self) -> PathBuf {
        database_path(&self.data_dir)
    }
}

/// Where the database lives in a data directory.
pub fn database_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("relay.sqlite3")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_design() {
        let args = Args::try_parse_from(["samspill-relay"]).unwrap();
        let config = Config::from_args(&args).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8787");
        assert_eq!(config.data_dir, PathBuf::from("./relay-data"));
        assert_eq!(config.access, Access::Open);
        assert_eq!(config.limits, Limits::default());
    }

    #[test]
    fn data_dir_may_come_before_the_token_subcommand() {
        let args = Args::try_parse_from([
            "samspill-relay",
            "--data",
            "/tmp/x",
            "token",
            "create",
            "alice",
        ])
        .unwrap();
        assert_eq!(args.data, PathBuf::from("/tmp/x"));
        assert!(matches!(
            args.command,
            Some(Command::Token { action: TokenCommand::Create { ref name } }) if name == "alice"
        ));
    }

    #[test]
    fn a_database_url_never_shows_its_password() {
        let url = DatabaseUrl::parse("postgres://relay:hunter2@db.example:5433/samspill").unwrap();
        assert_eq!(url.to_string(), "postgres://db.example:5433/samspill");
        assert!(!format!("{url:?}").contains("hunter2"));
        let args = Args::try_parse_from([
            "samspill-relay",
            "--database",
            "postgresql://relay:hunter2@db.example/samspill",
        ])
        .unwrap();
        let config = Config::from_args(&args).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert_eq!(
            config.database.unwrap().secret(),
            "postgresql://relay:hunter2@db.example/samspill"
        );
        for bad in ["sqlite://x", "relay.sqlite3", "postgres://host:notaport/db"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
        // A URL that does not parse is refused without echoing it.
        let args = Args::try_parse_from([
            "samspill-relay",
            "--database",
            "postgres://relay:hunter2@db.example:notaport/samspill",
        ])
        .unwrap();
        let err = format!("{:#}", Config::from_args(&args).unwrap_err());
        assert!(err.starts_with("--database:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(!format!("{args:?}").contains("hunter2"));
    }

    #[test]
    fn zero_limits_are_bad_usage() {
        assert!(Args::try_parse_from(["samspill-relay", "--max-subscriptions", "0"]).is_err());
        assert!(Args::try_parse_from(["samspill-relay", "--max-frame-bytes", "10"]).is_err());
        assert!(Args::try_parse_from(["samspill-relay", "--listen", "nowhere"]).is_err());
    }
}
