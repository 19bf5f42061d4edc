//! The HTTP side: routes, shared state, serving with graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::upgrade::OnUpgrade;
use metrics_exporter_prometheus::PrometheusHandle;
use samspill_shared::link::SYNC_PATH;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::accept::{ConnLimiter, Held};
use crate::config::Config;
use crate::hub::Hub;
use crate::store::{CommitListener, SqliteStore, Store, StoreError};
use crate::tokens::Presented;
use crate::upgrade::{self, Budget, Progress};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

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
    limiter: Arc<ConnLimiter>,
}

impl RelayState {
    /// Opens the SQLite store in the config's data directory.
    pub fn open(config: Config) -> Result<Arc<Self>, StoreError> {
        let data_dir = config.data_dir.clone();
        Self::with_store(config, |listener| {
            Ok(Arc::new(SqliteStore::open(&data_dir, listener)?) as Arc<dyn Store>)
        })
    }

    /// Opens the store the config names: PostgreSQL with `database`, else SQLite in the
    /// data directory.
    pub async fn start(config: Config) -> Result<Arc<Self>, StoreError> {
        let Some(url) = config.database.clone() else {
            return Self::open(config);
        };
        let hub = Arc::new(Hub::new());
        let store =
            crate::postgres::PgStore::connect(&url, Arc::clone(&hub) as Arc<dyn CommitListener>)
                .await?;
        Ok(Self::assemble(config, Arc::new(store), hub))
    }

    /// Builds the state around another store. The store must tell `listener` about
    /// committed entries (see [`Store`]).
    pub fn with_store(
        config: Config,
        make_store: impl FnOnce(Arc<dyn CommitListener>) -> Result<Arc<dyn Store>, StoreError>,
    ) -> Result<Arc<Self>, StoreError> {
        let hub = Arc::new(Hub::new());
        let store = make_store(Arc::clone(&hub) as Arc<dyn CommitListener>)?;
        Ok(Self::assemble(config, store, hub))
    }

    fn assemble(config: Config, store: Arc<dyn Store>, hub: Arc<Hub>) -> Arc<Self> {
        let limiter = ConnLimiter::new(&config.limits);
        Arc::new(Self {
            config,
            store,
            hub,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            metrics: crate::metrics::handle(),
            next_connection: AtomicU64::new(1),
            limiter,
        })
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

    /// Open TCP connections (for tests and diagnostics).
    pub fn open_connections(&self) -> usize {
        self.limiter.open_connections()
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

/// The relay's routes: `GET /v1/sync` (websocket), `GET /healthz`, `GET /metrics` (unless
/// [`Config::serve_metrics`] is off).
pub fn router(state: Arc<RelayState>) -> Router {
    let router = Router::new()
        .route(SYNC_PATH, get(sync))
        .route("/healthz", get(healthz));
    let router = if state.config.serve_metrics {
        router.route("/metrics", get(metrics))
    } else {
        router
    };
    router.with_state(state)
}

async fn sync(State(state): State<Arc<RelayState>>, mut request: Request) -> Response {
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "relay shutting down\n").into_response();
    }
    let held = request.extensions_mut().remove::<Held>();
    let on_upgrade = request.extensions_mut().remove::<OnUpgrade>();
    let upgrade = match upgrade::check(request.method(), request.headers(), on_upgrade) {
        Ok(upgrade) => upgrade,
        Err(refusal) => return refusal.into_response(),
    };
    let presented = Presented::from_header(
        request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes()),
    );
    let limits = &state.config.limits;
    let max = limits.max_frame_bytes;
    // Frames up to twice the limit are read and refused with a TooLarge error frame, so
    // the connection survives; beyond that the websocket itself closes with 1009.
    // tungstenite keeps its whole read buffer resident (it zero-fills it before reads):
    // 4 KiB instead of the default 128 KiB per connection; larger frames take more reads.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(max.saturating_mul(2)))
        .max_frame_size(Some(max.saturating_mul(2)));
    let budget = Budget::new(limits.max_bytes_before_hello);
    let progress = Progress::new();
    let response = upgrade.response();
    let tracker = state.tracker.clone();
    tracker.spawn(async move {
        // The slot stays taken while the websocket lives.
        let _held = held;
        if let Some(socket) = upgrade
            .socket(config, budget.clone(), progress.clone())
            .await
        {
            crate::ws::run(state, socket, presented, budget, progress).await;
        }
    });
    response
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
    tokio::spawn(crate::memory::trim_after_closes(
        Arc::clone(&state.limiter),
        state.shutdown_token(),
    ));
    let limits = state.config.limits.clone();
    crate::accept::accept_loop(
        listener,
        router(Arc::clone(&state)),
        &limits,
        Arc::clone(&state.limiter),
        state.shutdown_token(),
        state.tracker.clone(),
    )
    .await;
    state.shutdown().await;
    Ok(())
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
