//! Whether the whole kiosk is alive, not just its screen. The UI thread feeds systemd's
//! watchdog, but only while the worker (which owns the database and the printer) shows
//! signs of life: it beats while idle and says when it takes a command. A worker stuck
//! past `WORKER_BOUND` in one command, or gone, stops the feeding, and systemd restarts
//! the kiosk rather than leave a villager before a frozen printing screen.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest one command may take: the slowest printer job allowed
/// (`print::transport::job_time_limit` of a voucher at 9600 baud) with its status queries,
/// and the redemption before it, well within.
pub const WORKER_BOUND: Duration = Duration::from_secs(120);
/// How often an idle worker beats.
pub const BEAT_INTERVAL: Duration = Duration::from_secs(1);

/// The worker's signs of life, shared with the UI thread.
#[derive(Debug, Clone)]
pub struct Liveness(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    origin: Instant,
    /// Milliseconds since `origin` of the last beat, or of the start of the command under way.
    last_sign: AtomicU64,
}

impl Default for Liveness {
    fn default() -> Liveness {
        Liveness(Arc::new(Inner {
            origin: Instant::now(),
            last_sign: AtomicU64::new(0),
        }))
    }
}

impl Liveness {
    /// The worker is idle and well, or starts a command now.
    pub fn beat(&self) {
        let now = self.0.origin.elapsed().as_millis() as u64;
        self.0.last_sign.store(now, Ordering::Release);
    }

    /// How long since the worker last showed a sign of life.
    pub fn silent_for(&self) -> Duration {
        let last = Duration::from_millis(self.0.last_sign.load(Ordering::Acquire));
        self.0.origin.elapsed().saturating_sub(last)
    }

    /// Alive: the last sign is younger than `bound`.
    pub fn alive(&self, bound: Duration) -> bool {
        self.silent_for() < bound
    }
}

/// Feeds systemd's watchdog (`WATCHDOG=1` on `$NOTIFY_SOCKET`) while the worker is alive.
#[derive(Debug, Clone)]
pub struct Watchdog {
    pub liveness: Liveness,
    pub bound: Duration,
}

impl Watchdog {
    /// Called on the UI thread's timer: the UI is alive by being here; the worker must be too.
    /// Returns whether systemd was fed.
    pub fn feed(&self) -> bool {
        if !self.liveness.alive(self.bound) {
            tracing::error!(silent = ?self.liveness.silent_for(), "the kiosk worker is stuck: the watchdog is no longer fed");
            return false;
        }
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_silent_past_the_bound_is_not_alive() {
        let l = Liveness::default();
        l.beat();
        assert!(l.alive(Duration::from_millis(200)));
        std::thread::sleep(Duration::from_millis(250));
        assert!(!l.alive(Duration::from_millis(200)));
        l.beat();
        assert!(l.alive(Duration::from_millis(200)));
    }
}
