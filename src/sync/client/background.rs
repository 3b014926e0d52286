//! Rounds in the background: every `interval_secs`, and after a failure an exponential
//! back-off with jitter, so a township's kiosks do not all return at once after an outage.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::round::{client_options, sync_once};
use super::{SyncClient, SyncError};
use crate::app::App;
use crate::installation::SyncConfig;

/// The background loop of the touch kiosk: a round every `interval`, and after a
/// failure a wait that doubles up to 10 minutes, with jitter so a township's kiosks do
/// not all return at once after an outage. Never touches the UI thread.
pub struct SyncLoop {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl SyncLoop {
    pub fn start(
        dir: crate::installation::DataDir,
        config: SyncConfig,
        interval: Duration,
        clock: Arc<dyn crate::domain::clock::Clock>,
    ) -> SyncLoop {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || run_loop(&dir, &config, interval, clock, &flag))
            .ok();
        SyncLoop { stop, handle }
    }
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The wait after `failures` failed rounds in a row: interval, then doubling from
/// 5 s up to 10 minutes, each with ±25 % jitter.
pub fn backoff(interval: Duration, failures: u32, jitter: f64) -> Duration {
    let base = if failures == 0 {
        interval
    } else {
        Duration::from_secs(5u64 << (failures.min(8) - 1)).min(Duration::from_secs(600))
    };
    base.mul_f64(1.0 + 0.25 * jitter.clamp(-1.0, 1.0))
}

fn run_loop(
    dir: &crate::installation::DataDir,
    config: &SyncConfig,
    interval: Duration,
    clock: Arc<dyn crate::domain::clock::Clock>,
    stop: &AtomicBool,
) {
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let outcome = App::open(dir, clock.clone())
            .map_err(SyncError::from)
            .and_then(|mut app| {
                if let Some(bytes) = config.photo_cache_bytes() {
                    app.set_photo_cache_bytes(bytes);
                }
                let url = config.url.clone().ok_or(SyncError::NoUrl)?;
                let options = client_options(&mut app, config, None);
                let client = options.and_then(|o| {
                    let key = app.device_signing_key();
                    let village = app.village().code.clone();
                    SyncClient::new(&url, key, &village, &o)
                });
                match client {
                    Ok(client) => sync_once(&mut app, &client),
                    Err(e) => {
                        let _ = app.record_sync_outcome(Some(&e.words()));
                        Err(e)
                    }
                }
            });
        match outcome {
            Ok(r) => {
                failures = 0;
                if r.pushed + r.applied > 0 {
                    tracing::info!(pushed = r.pushed, applied = r.applied, cursor = r.cursor, "sync round");
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(failures, error = %e, "sync round failed");
            }
        }
        let wait = backoff(interval, failures, rand::thread_rng().gen_range(-1.0..1.0));
        let until = std::time::Instant::now() + wait;
        while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_five_seconds_to_ten_minutes_with_a_quarter_of_jitter() {
        let minute = Duration::from_secs(60);
        assert_eq!(backoff(minute, 0, 0.0), minute, "all well: the interval");
        let waits: Vec<u64> = (1..=9).map(|f| backoff(minute, f, 0.0).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(backoff(minute, 1, 1.0), Duration::from_millis(6250));
        assert_eq!(backoff(minute, 1, -1.0), Duration::from_millis(3750));
        assert!(backoff(minute, 40, 1.0) <= Duration::from_secs(750));
    }
}
