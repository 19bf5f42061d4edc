//! The HTTP side: routes, shared state, serving with graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use metrics_exporter_prometheus::PrometheusHandle;
use samspill_shared::link::SYNC_PATH;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::hub::Hub;
use crate::store::{CommitListener, SqliteStore, Store, StoreError};
use crate::tokens::Presented;

/// How long shutdown waits for connections to finish their pending commits.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything a running relay shares between connections.
pub struct RelayState {
    config: Config,
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    metrics: PrometheusHandle,
    next_connection: AtomicU64,
}

impl RelayState {
    /// Opens the SQLite store in the config's data directory.
    pub fn open(config: Config) -> Result<Arc<Self>, StoreError> {
        let data_dir = config.data_dir.clone();
        Self::with_store(config, |listener| {
            Ok(Arc::new(SqliteStore::open(&data_dir, listener)?) as Arc<dyn Store>)
        })
    }

    /// Builds the state around another store. The store must tell `listener` about
    /// committed entries (see [`Store`]).
    pub fn with_store(
        config: Config,
        make_store: impl FnOnce(Arc<dyn CommitListener>) -> Result<Arc<dyn Store>, StoreError>,
    ) -> Result<Arc<Self>, StoreError> {
        let hub = Arc::new(Hub::new());
        let store = make_store(Arc::clone(&hub) as Arc<dyn CommitListener>)?;
        Ok(Arc::new(Self {
            config,
            store,
            hub,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            metrics: crate::metrics::handle(),
            next_connection: AtomicU64::new(1),
        }))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Cancelled when the relay begins to shut down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    pub(crate) fn next_connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Stops every connection, waits (bounded) for the writes they already submitted to
    /// commit and be acknowledged, then closes the store.
    pub async fn shutdown(self: &Arc<Self>) {
        self.shutdown.cancel();
        self.tracker.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not finish within {DRAIN_TIMEOUT:?}");
        }
        let store = Arc::clone(&self.store);
        if tokio::task::spawn_blocking(move || store.close())
            .await
            .is_err()
        {
            tracing::error!("closing the store panicked");
        }
    }
}

/// The relay's routes: `GET /v1/sync` (websocket), `GET /healthz`, `GET /metrics`.
pub fn router(state: Arc<RelayState>) -> Router {
    Router::new()
        .route(SYNC_PATH, get(sync))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn sync(
    State(state): State<Arc<RelayState>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "relay shutting down\n").into_response();
    }
    let presented =
        Presented::from_header(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()));
    let max = state.config.limits.max_frame_bytes;
    // Frames up to twice the limit are read and refused with a TooLarge error frame, so
    // the connection survives; beyond that the websocket itself closes with 1009.
    let tracker = state.tracker.clone();
    // tungstenite keeps its whole read buffer resident (it zero-fills it before reads):
    // 4 KiB instead of the default 128 KiB per connection; larger frames take more reads.
    ws.read_buffer_size(4096)
        .max_message_size(max.saturating_mul(2))
        .max_frame_size(max.saturating_mul(2))
        .on_upgrade(move |socket| tracker.track_future(crate::ws::run(state, socket, presented)))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn metrics(State(state): State<Arc<RelayState>>) -> Response {
    state.metrics.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Serves `state` on `listener` until `signal` resolves, then shuts down gracefully.
pub async fn serve(
    listener: TcpListener,
    state: Arc<RelayState>,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let token = state.shutdown_token();
    tokio::spawn(async move {
        signal.await;
        token.cancel();
    });
    let token = state.shutdown_token();
    // Frames are small and latency matters: without TCP_NODELAY, Nagle's algorithm holds
    // a frame written while the previous one is unacknowledged for up to 40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let result = axum::serve(listener, router(Arc::clone(&state)))
        .with_graceful_shutdown(async move { token.cancelled().await })
        .await;
    state.shutdown().await;
    result
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing pending commits");
}
