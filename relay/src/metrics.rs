//! Prometheus metrics, served at `GET /metrics`.
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder), so it is
//! installed once; several relays in one test process share it.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const CONNECTIONS: &str = "samspill_relay_connections";
pub const CONNECTIONS_TOTAL: &str = "samspill_relay_connections_total";
pub const SUBSCRIPTIONS: &str = "samspill_relay_subscriptions";
pub const SUBSCRIBES_TOTAL: &str = "samspill_relay_subscribes_total";
pub const DOCUMENTS_CREATED_TOTAL: &str = "samspill_relay_documents_created_total";
pub const PUSHES_TOTAL: &str = "samspill_relay_pushes_total";
pub const SNAPSHOTS_TOTAL: &str = "samspill_relay_snapshots_total";
pub const EPHEMERAL_TOTAL: &str = "samspill_relay_ephemeral_total";
pub const BYTES_RECEIVED_TOTAL: &str = "samspill_relay_bytes_received_total";
pub const BYTES_SENT_TOTAL: &str = "samspill_relay_bytes_sent_total";
pub const ERRORS_TOTAL: &str = "samspill_relay_errors_total";
pub const SLOW_DISCONNECTS_TOTAL: &str = "samspill_relay_slow_disconnects_total";
pub const COMMIT_SECONDS: &str = "samspill_relay_commit_seconds";
pub const COMMIT_BATCH_OPS: &str = "samspill_relay_commit_batch_ops";
pub const COMMIT_FAILURES: &str = "samspill_relay_commit_failures_total";
pub const CONNECTIONS_REFUSED_TOTAL: &str = "samspill_relay_connections_refused_total";
pub const ACCEPT_ERRORS_TOTAL: &str = "samspill_relay_accept_errors_total";
pub const BUILD_INFO: &str = "samspill_relay_build_info";
pub const MEMORY_TRIMS_TOTAL: &str = "samspill_relay_memory_trims_total";
pub const PG_REMOTE_ENTRIES_TOTAL: &str = "samspill_relay_remote_entries_total";
pub const PG_NOTICE_RECONNECTS_TOTAL: &str = "samspill_relay_notice_reconnects_total";
pub const RESUBSCRIBES_ASKED_TOTAL: &str = "samspill_relay_resubscribes_asked_total";

/// Error labels besides the protocol's error codes: closes the relay decides on itself.
const OTHER_ERRORS: [&str; 2] = ["websocket", "hello_timeout"];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    HANDLE.get_or_init(install).clone()
}

fn install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new();
    let builder = builder
        .set_buckets_for_metric(
            Matcher::Full(COMMIT_SECONDS.to_owned()),
            &[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ],
        )
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(COMMIT_BATCH_OPS.to_owned()),
                &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0],
            )
        });
    let recorder = match builder {
        Ok(b) => b.build_recorder(),
        Err(e) => {
            tracing::warn!(error = %e, "histogram buckets rejected; using summaries");
            PrometheusBuilder::new().build_recorder()
        }
    };
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        tracing::warn!("another metrics recorder is installed; /metrics will be empty");
    }
    describe();
    start_at_zero();
    handle
}

/// Registers every series with its starting value, so a fresh relay's `/metrics` lists
/// them all (a dashboard or alert then sees zeros, not missing data).
fn start_at_zero() {
    use samspill_shared::protocol::{ErrorCode, PROTOCOL_VERSION};
    for name in [
        CONNECTIONS_TOTAL,
        SUBSCRIBES_TOTAL,
        DOCUMENTS_CREATED_TOTAL,
        PUSHES_TOTAL,
        SNAPSHOTS_TOTAL,
        EPHEMERAL_TOTAL,
        BYTES_RECEIVED_TOTAL,
        BYTES_SENT_TOTAL,
        SLOW_DISCONNECTS_TOTAL,
        COMMIT_FAILURES,
        ACCEPT_ERRORS_TOTAL,
        MEMORY_TRIMS_TOTAL,
        PG_REMOTE_ENTRIES_TOTAL,
        PG_NOTICE_RECONNECTS_TOTAL,
        RESUBSCRIBES_ASKED_TOTAL,
    ] {
        metrics::counter!(name).absolute(0);
    }
    for code in ErrorCode::ALL
        .map(ErrorCode::as_str)
        .into_iter()
        .chain(OTHER_ERRORS)
    {
        metrics::counter!(ERRORS_TOTAL, "code" => code).absolute(0);
    }
    for reason in ["total", "per_ip"] {
        metrics::counter!(CONNECTIONS_REFUSED_TOTAL, "reason" => reason).absolute(0);
    }
    for name in [CONNECTIONS, SUBSCRIPTIONS] {
        metrics::gauge!(name).set(0.0);
    }
    metrics::gauge!(
        BUILD_INFO,
        "version" => env!("CARGO_PKG_VERSION"),
        "protocol" => PROTOCOL_VERSION.to_string(),
    )
    .set(1.0);
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(CONNECTIONS, "Open websocket connections");
    describe_counter!(CONNECTIONS_TOTAL, "Websocket connections accepted");
    describe_gauge!(SUBSCRIPTIONS, "Active document subscriptions");
    describe_counter!(SUBSCRIBES_TOTAL, "Successful subscribes");
    describe_counter!(DOCUMENTS_CREATED_TOTAL, "Documents created");
    describe_counter!(PUSHES_TOTAL, "Entries acknowledged (durable)");
    describe_counter!(SNAPSHOTS_TOTAL, "Snapshots acknowledged");
    describe_counter!(EPHEMERAL_TOTAL, "Ephemeral frames forwarded");
    describe_counter!(
        BYTES_RECEIVED_TOTAL,
        Unit::Bytes,
        "Websocket payload bytes received"
    );
    describe_counter!(
        BYTES_SENT_TOTAL,
        Unit::Bytes,
        "Websocket payload bytes sent"
    );
    describe_counter!(ERRORS_TOTAL, "Error frames sent, by code");
    describe_counter!(
        SLOW_DISCONNECTS_TOTAL,
        "Connections closed for not reading fast enough"
    );
    describe_histogram!(
        COMMIT_SECONDS,
        Unit::Seconds,
        "Time to commit one group of writes"
    );
    describe_histogram!(
        COMMIT_BATCH_OPS,
        "Writes committed together in one transaction"
    );
    describe_counter!(COMMIT_FAILURES, "Group commits that failed and rolled back");
    describe_counter!(
        CONNECTIONS_REFUSED_TOTAL,
        "TCP connections refused by the connection caps, by cap"
    );
    describe_counter!(
        ACCEPT_ERRORS_TOTAL,
        "Failed accepts (such as running out of file descriptors)"
    );
    describe_counter!(
        MEMORY_TRIMS_TOTAL,
        "Times freed memory was given back to the system after connections closed"
    );
    describe_counter!(
        PG_REMOTE_ENTRIES_TOTAL,
        "Entries other relay nodes committed, forwarded to subscribers here (PostgreSQL)"
    );
    describe_counter!(
        PG_NOTICE_RECONNECTS_TOTAL,
        "Times the connection for other nodes' notices was lost (PostgreSQL)"
    );
    describe_counter!(
        RESUBSCRIBES_ASKED_TOTAL,
        "Connections closed with 4003 to resubscribe (a rollback, or missed notices)"
    );
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the labels say the version and protocol"
    );
}
