//! Command-line flags (with environment fallbacks) and the validated [`Config`].
//!
//! Two steps, as in ripgrep: clap parses raw [`Args`]; [`Config::from_args`] checks them
//! and produces the settings the relay runs with. Tests build a [`Config`] directly with
//! [`Config::new`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

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

    /// Frames queued for one connection before it counts as too slow and is disconnected.
    #[arg(long, env = "SAMSPILL_RELAY_SEND_QUEUE", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub send_queue: u32,

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

/// Per-connection limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_frame_bytes: usize,
    pub max_subscriptions: usize,
    pub max_pushes_per_sec: u32,
    pub send_queue: usize,
    /// How often the relay pings each connection (silent for three: closed).
    pub ping_every: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_subscriptions: 100,
            max_pushes_per_sec: 200,
            send_queue: 256,
            ping_every: std::time::Duration::from_secs(15),
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

/// The validated settings the relay runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub access: Access,
    pub limits: Limits,
}

impl Config {
    /// Defaults for a relay keeping its data in `data_dir`, listening on a free loopback port.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            access: Access::Open,
            limits: Limits::default(),
        }
    }

    pub fn from_args(args: &Args) -> anyhow::Result<Self> {
        let max_frame_bytes = usize::try_from(args.max_frame_bytes)?;
        Ok(Self {
            listen: args.listen,
            data_dir: args.data.clone(),
            access: if args.require_token {
                Access::TokenToCreate
            } else {
                Access::Open
            },
            limits: Limits {
                max_frame_bytes,
                max_subscriptions: args.max_subscriptions as usize,
                max_pushes_per_sec: args.max_pushes_per_sec,
                send_queue: args.send_queue as usize,
                ping_every: std::time::Duration::from_secs(args.ping_secs),
            },
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
    fn zero_limits_are_bad_usage() {
        assert!(Args::try_parse_from(["samspill-relay", "--max-subscriptions", "0"]).is_err());
        assert!(Args::try_parse_from(["samspill-relay", "--max-frame-bytes", "10"]).is_err());
        assert!(Args::try_parse_from(["samspill-relay", "--listen", "nowhere"]).is_err());
    }
}
