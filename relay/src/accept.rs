//! The accept loop: connection caps, a deadline for the request headers, and a loop that
//! survives running out of file descriptors.
//!
//! axum's own `serve` has none of these, so the relay accepts TCP connections itself
//! and serves each with hyper's HTTP/1 connection (websocket upgrades included):
//!
//! - a connection over `--max-connections` in total, or over
//!   `--max-connections-per-ip` from its address, is answered with a one-line 503 and
//!   closed at once; its slot is held until the TCP connection (or the websocket it
//!   became) closes;
//! - a client that does not finish its request headers within `--header-secs` is
//!   disconnected (slowloris); so is an idle keep-alive connection;
//! - an accept error such as EMFILE is logged once, retried with a growing pause (10 ms
//!   to 1 s) and logged again when accepting works.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

use crate::config::Limits;
use crate::metrics as m;

/// Open connections, in total and per address.
pub(crate) struct ConnLimiter {
    max_total: usize,
    max_per_ip: Option<usize>,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    Total,
    PerIp,
}

impl Refused {
    fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::PerIp => "per_ip",
        }
    }
}

/// One admitted connection; dropping it frees the slot.
pub(crate) struct Slot {
    limiter: Arc<ConnLimiter>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.limiter.open();
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
    }
}

impl ConnLimiter {
    pub fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(Self {
            max_total: limits.max_connections,
            max_per_ip: limits.max_connections_per_ip,
            open: Mutex::new(Open::default()),
        })
    }

    fn open(&self) -> MutexGuard<'_, Open> {
        // Every change under the lock is a counter step; a panic cannot break it.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A slot for a connection from `ip`, if the caps allow one more. IPv6 addresses
    /// count per /64 (one host usually has a whole /64 to pick from).
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refused> {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let bits = u128::from(v6) & !((1u128 << 64) - 1);
                    IpAddr::V6(std::net::Ipv6Addr::from(bits))
                }
            },
            v4 => v4,
        };
        let mut open = self.open();
        if open.total >= self.max_total {
            return Err(Refused::Total);
        }
        let from_ip = open.per_ip.get(&ip).copied().unwrap_or(0);
        if self.max_per_ip.is_some_and(|max| from_ip >= max) {
            return Err(Refused::PerIp);
        }
        open.total += 1;
        open.per_ip.insert(ip, from_ip + 1);
        Ok(Slot {
            limiter: Arc::clone(self),
            ip,
        })
    }

    /// Connections open now (for tests and diagnostics).
    pub fn open_connections(&self) -> usize {
        self.open().total
    }
}

/// Pauses after accept errors, logging once per run of them.
struct AcceptBackoff {
    pause: Option<Duration>,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    fn ok(&mut self) {
        if self.pause.take().is_some() {
            tracing::warn!("accepting connections again");
        }
    }

    async fn failed(&mut self, e: &io::Error, shutdown: &CancellationToken) {
        metrics::counter!(m::ACCEPT_ERRORS_TOTAL).increment(1);
        let pause = match self.pause {
            None => {
                let hint = if e.raw_os_error() == Some(24) || e.raw_os_error() == Some(23) {
                    " (out of file descriptors: raise LimitNOFILE or lower --max-connections)"
                } else {
                    ""
                };
                tracing::error!(error = %e, "cannot accept connections{hint}; retrying");
                Self::FIRST
            }
            Some(pause) => (pause * 2).min(Self::MAX),
        };
        self.pause = Some(pause);
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = shutdown.cancelled() => {}
        }
    }
}

/// Errors that concern one connection only (it went away before we accepted it).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Accepts connections and serves `app` on each until `shutdown` is cancelled.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    limiter: Arc<ConnLimiter>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    let mut backoff = AcceptBackoff { pause: None };
    loop {
        let (tcp, peer) = tokio::select! {
            biased;
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    backoff.ok();
                    accepted
                }
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    backoff.failed(&e, &shutdown).await;
                    continue;
                }
            },
        };
        match limiter.admit(peer.ip()) {
            Ok(slot) => {
                let serve = serve_connection(
                    tcp,
                    peer,
                    slot,
                    app.clone(),
                    limits.header_timeout,
                    shutdown.clone(),
                );
                tracker.spawn(serve);
            }
            Err(why) => {
                tracker.spawn(refuse(tcp, why));
            }
        }
    }
}

/// Answers a refused connection with a short 503 and closes it. What the client already
/// sent is read (briefly) first: closing a socket with unread bytes sends a reset, which
/// can destroy the answer before the client reads it.
async fn refuse(mut tcp: TcpStream, why: Refused) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    metrics::counter!(m::CONNECTIONS_REFUSED_TOTAL, "reason" => why.as_str()).increment(1);
    tracing::debug!(
        reason = why.as_str(),
        "connection refused: too many connections"
    );
    let _ = tcp.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 21\r\n\r\ntoo many connections\n",
    );
    let _ = tcp.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Ok(n) = tcp.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    app: Router,
    header_timeout: Duration,
    shutdown: CancellationToken,
) {
    // Frames are small and latency matters: without TCP_NODELAY, Nagle's algorithm holds
    // a frame written while the previous one is unacknowledged for up to 40 ms.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY");
    }
    // The slot goes with every request into the websocket it may become, so the
    // connection counts until the websocket closes.
    let slot = Arc::new(slot);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(Held {
            _slot: Arc::clone(&slot),
        });
        let mut app = app.clone();
        async move { app.call(request).await }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        // Request headers are small; hyper's default buffer (~400 KiB) times 10,000
        // connections would be 4 GiB during the header window.
        .max_buf_size(16 * 1024);
    let connection = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
    }
}

/// The connection's slot, carried in each request's extensions and kept by the
/// websocket the request becomes.
#[derive(Clone)]
pub(crate) struct Held {
    _slot: Arc<Slot>,
}
