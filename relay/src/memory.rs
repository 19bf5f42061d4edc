//! Giving memory back to the system after connections close.
//!
//! Each connection's buffers are freed when it closes, but glibc keeps freed memory in
//! its per-thread arenas, so a relay that once carried thousands of connections would
//! keep their RSS for good. When the number of open connections has fallen well below
//! its peak, this asks glibc to return what it can (`malloc_trim`). It walks the arenas
//! under their locks, which takes milliseconds at most, and happens at most every
//! [`CHECK_EVERY`]. docs/PERFORMANCE.md has the measurement.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::accept::ConnLimiter;
use crate::metrics as m;

/// How often the connection count is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// Closes since the last trim that are worth one: a quarter of the peak, at least this.
const MIN_CLOSED: usize = 16;

/// Trims after connections close, until `shutdown`.
pub(crate) async fn trim_after_closes(limiter: Arc<ConnLimiter>, shutdown: CancellationToken) {
    let mut peak = 0usize;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(CHECK_EVERY) => {}
        }
        let open = limiter.open_connections();
        peak = peak.max(open);
        if should_trim(peak, open) {
            peak = open;
            // Off the runtime's worker: it holds arena locks while it walks them.
            let released = tokio::task::spawn_blocking(release).await.unwrap_or(false);
            metrics::counter!(m::MEMORY_TRIMS_TOTAL).increment(1);
            tracing::debug!(open, released, "gave freed memory back to the system");
        }
    }
}

/// Whether enough connections closed since the peak (now `open`) to trim.
fn should_trim(peak: usize, open: usize) -> bool {
    let closed = peak.saturating_sub(open);
    closed >= MIN_CLOSED.max(peak / 4) || (open == 0 && closed > 0)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn release() -> bool {
    // SAFETY: `malloc_trim` takes no pointers; it only walks glibc's own arenas, under
    // their locks, and is safe to call from any thread at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators return memory by themselves (or offer no such call).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::should_trim;

    #[test]
    fn trims_after_a_quarter_of_the_peak_closed_or_everyone_left() {
        assert!(!should_trim(0, 0));
        assert!(!should_trim(10, 10));
        assert!(should_trim(3, 0), "everyone left");
        assert!(!should_trim(100, 90), "only 10 closed");
        assert!(!should_trim(100, 80), "20 closed: less than a quarter");
        assert!(should_trim(100, 75), "a quarter closed");
        assert!(should_trim(40, 24), "16 closed");
        assert!(!should_trim(10_000, 9_000));
        assert!(should_trim(10_000, 7_500));
    }
}
