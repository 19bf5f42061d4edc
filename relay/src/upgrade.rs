//! The websocket handshake at `GET /v1/sync`, done here rather than by axum's
//! `WebSocketUpgrade` so the socket can be wrapped in a [`HelloBudget`]: tungstenite's
//! message limit is fixed for the life of a socket, and before Hello the relay accepts
//! far less than after it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// The relay's side of one websocket.
pub(crate) type Socket = WebSocketStream<HelloBudget<TokioIo<Upgraded>>>;

/// What a valid upgrade request leaves to do once the 101 response is sent.
pub(crate) struct Upgrade {
    on_upgrade: OnUpgrade,
    accept: HeaderValue,
}

/// Why a request at the websocket endpoint is not an upgrade we can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotAnUpgrade(StatusCode, &'static str);

impl IntoResponse for NotAnUpgrade {
    fn into_response(self) -> Response {
        if self.0 == StatusCode::UPGRADE_REQUIRED {
            (self.0, [(header::UPGRADE, "websocket")], self.1).into_response()
        } else {
            (self.0, self.1).into_response()
        }
    }
}

/// Checks a websocket upgrade request (RFC 6455, section 4.2.1).
pub(crate) fn check(
    method: &Method,
    headers: &HeaderMap,
    on_upgrade: Option<OnUpgrade>,
) -> Result<Upgrade, NotAnUpgrade> {
    let bad = |why| NotAnUpgrade(StatusCode::BAD_REQUEST, why);
    if method != Method::GET {
        return Err(NotAnUpgrade(StatusCode::METHOD_NOT_ALLOWED, "use GET\n"));
    }
    if !header_has_token(headers, header::CONNECTION, "upgrade")
        || !header_has_token(headers, header::UPGRADE, "websocket")
    {
        return Err(NotAnUpgrade(
            StatusCode::UPGRADE_REQUIRED,
            "this is a websocket endpoint\n",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err(bad("Sec-WebSocket-Version must be 13\n"));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(bad("Sec-WebSocket-Key is missing\n"));
    };
    let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) else {
        return Err(bad("Sec-WebSocket-Key is malformed\n"));
    };
    let Some(on_upgrade) = on_upgrade else {
        return Err(bad("this connection cannot be upgraded\n"));
    };
    Ok(Upgrade { on_upgrade, accept })
}

fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    })
}

impl Upgrade {
    /// The 101 response that switches the connection to the websocket protocol.
    pub fn response(&self) -> Response {
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, HeaderValue::from_static("upgrade")),
                (header::UPGRADE, HeaderValue::from_static("websocket")),
                (header::SEC_WEBSOCKET_ACCEPT, self.accept.clone()),
            ],
        )
            .into_response()
    }

    /// Waits for the switch and wraps the connection; `None` if the client went away.
    pub async fn socket(
        self,
        config: WebSocketConfig,
        budget: Budget,
        progress: Progress,
    ) -> Option<Socket> {
        match self.on_upgrade.await {
            Ok(upgraded) => {
                let io = HelloBudget {
                    inner: TokioIo::new(upgraded),
                    budget,
                    progress,
                };
                Some(WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await)
            }
            Err(e) => {
                tracing::debug!(error = %e, "websocket upgrade failed");
                None
            }
        }
    }
}

/// When the socket last took bytes from us: a peer that reads is alive even when it
/// sends nothing (a long catch-up), and a write is stuck only when no bytes move.
#[derive(Clone)]
pub(crate) struct Progress {
    started: std::time::Instant,
    last_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            started: std::time::Instant::now(),
            last_ms: Arc::default(),
        }
    }

    /// Bytes moved (or a write is starting) now.
    pub fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// How long since bytes last moved.
    pub fn idle(&self) -> std::time::Duration {
        let last = std::time::Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// Bytes a connection may still send before its first verified subscribe; shared
/// between the socket wrapper that counts and the handler that lifts the limit.
#[derive(Clone)]
pub(crate) struct Budget(Arc<AtomicUsize>);

impl Budget {
    const UNLIMITED: usize = usize::MAX;

    pub fn new(bytes: usize) -> Self {
        Self(Arc::new(AtomicUsize::new(bytes.min(Self::UNLIMITED - 1))))
    }

    /// Hello arrived: no more counting.
    pub fn lift(&self) {
        self.0.store(Self::UNLIMITED, Ordering::Relaxed);
    }

    /// Whether the connection sent more than it may before Hello.
    pub fn exhausted(&self) -> bool {
        self.0.load(Ordering::Relaxed) == 0
    }

    /// Counts `n` bytes read; false when that goes over the budget.
    fn spend(&self, n: usize) -> bool {
        let left = self.0.load(Ordering::Relaxed);
        if left == Self::UNLIMITED {
            return true;
        }
        let after = left.saturating_sub(n);
        self.0.store(after, Ordering::Relaxed);
        n <= left
    }
}

/// A socket that fails its reads once more than the budget arrives before the first
/// verified subscribe, so a peer that holds no key cannot make the relay buffer a large
/// message; it also records write progress.
pub(crate) struct HelloBudget<S> {
    inner: S,
    budget: Budget,
    progress: Progress,
}

impl<S: AsyncRead + Unpin> AsyncRead for HelloBudget<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let read = buf.filled().len() - before;
            if !self.budget.spend(read) {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "too many bytes before Hello",
                )));
            }
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HelloBudget<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result
            && n > 0
        {
            self.progress.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = result
            && n > 0
        {
            self.progress.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_counts_until_lifted() {
        let b = Budget::new(10);
        assert!(b.spend(4));
        assert!(b.spend(6), "exactly the budget is allowed");
        assert!(!b.spend(1), "the eleventh byte is one too many");
        assert!(b.exhausted());
        let b = Budget::new(10);
        b.lift();
        assert!(b.spend(1 << 30));
        assert!(!b.exhausted());
    }
}
