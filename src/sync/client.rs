//! The kiosk's side: one sync round (push, then pull until caught up), and a loop that
//! runs rounds in the background with exponential back-off and jitter when the link is
//! down. Offline is normal: the kiosk works without the township and catches up.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::SigningKey;
use rand::Rng;
use serde::Serialize;

use super::auth;
use super::wire::{ErrorResponse, PullResponse, PushRequest, PushResponse, VillageResponse};
use crate::app::{failpoint, App, AppError};
use crate::installation::{DataDir, InstallationError};

/// Events per push request: ~0.5 MB of JSON, well under the server's body limit.
pub const PUSH_BATCH: usize = 500;
/// Changes per pull page.
pub const PULL_PAGE: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the township server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the township server refused the request ({status}): {reason}")]
    Refused { status: u16, reason: String },
    #[error("the township server answered something unreadable: {0}")]
    BadAnswer(String),
    #[error("this kiosk is set up for village {kiosk}, but the township registered it for {township}")]
    WrongVillage { kiosk: String, township: String },
    #[error(
        "this kiosk's ID-number key differs from the township's for its village and it already has \
         residents; register the village with this kiosk's key (township village add --id-key-file)"
    )]
    KeyMismatch,
    #[error("no township URL: set [sync] url in the config file or pass --url")]
    NoUrl,
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Installation(#[from] InstallationError),
}

impl SyncError {
    /// The words a clerk reads in clerk mode.
    pub fn words(&self) -> String {
        match self {
            SyncError::Unreachable { .. } => "连不上乡镇服务器（网络断开？），数据已保存在本机，恢复后自动上传".into(),
            SyncError::Refused { status: 401, .. } => "乡镇服务器不认这台机器，请联系乡镇登记本机".into(),
            SyncError::Refused { reason, .. } => format!("乡镇服务器拒收：{reason}"),
            SyncError::WrongVillage { .. } | SyncError::KeyMismatch => "本机与乡镇登记的村不一致，请联系乡镇".into(),
            SyncError::NoUrl => "没有设置乡镇服务器地址".into(),
            other => format!("同步出错：{other}"),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub url: String,
    pub device: String,
    /// Events the township acknowledged in this round.
    pub pushed: usize,
    /// Pulled changes that changed something here.
    pub applied: usize,
    /// Pulled changes in all (including ones already here).
    pub pulled: usize,
    pub pushed_through: i64,
    pub cursor: i64,
    pub events_waiting: i64,
}

/// Where a load test collects each request's duration and whether it succeeded.
pub type RequestTimings = Arc<std::sync::Mutex<Vec<(Duration, bool)>>>;

/// A signed HTTP client for one kiosk.
pub struct SyncClient {
    base: String,
    agent: ureq::Agent,
    key: SigningKey,
    village: String,
    /// Each request's duration and whether it succeeded, when a load test asks.
    timings: Option<RequestTimings>,
}

impl SyncClient {
    pub fn new(url: &str, key: SigningKey, village: &str, timeout: Duration) -> SyncClient {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .build();
        SyncClient {
            base: url.trim_end_matches('/').to_string(),
            agent,
            key,
            village: village.to_string(),
            timings: None,
        }
    }

    /// Records every request's duration and outcome into `sink` (load tests).
    pub fn with_timings(mut self, sink: RequestTimings) -> SyncClient {
        self.timings = Some(sink);
        self
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    pub fn device_id(&self) -> String {
        auth::device_id(&self.key.verifying_key())
    }

    pub fn village_info(&self) -> Result<VillageResponse, SyncError> {
        let path = format!("/v1/villages/{}", self.village);
        self.call("GET", &path, None)
    }

    /// Pushes events; the answer says how far the township holds them.
    pub fn push(&self, events: &[crate::domain::records::SyncEvent]) -> Result<PushResponse, SyncError> {
        let body = serde_json::to_vec(&PushRequest::new(events)).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        let path = format!("/v1/villages/{}/events", self.village);
        match self.call::<PushResponse>("POST", &path, Some(&body)) {
            Err(SyncError::Refused { status: 422, reason }) => {
                // A refused event still comes with how far the batch got.
                match serde_json::from_str::<PushResponse>(&reason) {
                    Ok(r) => Ok(r),
                    Err(_) => Err(SyncError::Refused { status: 422, reason }),
                }
            }
            other => other,
        }
    }

    pub fn pull(&self, after: i64, limit: usize) -> Result<crate::app::ChangePage, SyncError> {
        let path = format!("/v1/villages/{}/changes?after={after}&limit={limit}", self.village);
        let page: PullResponse = self.call("GET", &path, None)?;
        page.into_page().map_err(|e| SyncError::BadAnswer(e.to_string()))
    }

    fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<T, SyncError> {
        let started = std::time::Instant::now();
        let result = self.call_untimed(method, path, body);
        if let Some(sink) = &self.timings {
            // Refusals by rule (403, 409, 422) are answers; transport failures, 401 and 5xx are errors.
            let ok = match &result {
                Ok(_) => true,
                Err(SyncError::Refused { status, .. }) => *status != 401 && *status < 500,
                Err(_) => false,
            };
            sink.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((started.elapsed(), ok));
        }
        result
    }

    fn call_untimed<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<T, SyncError> {
        let now = chrono::Utc::now().timestamp();
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let signed = auth::sign(&self.key, method, path, body.unwrap_or(b""), now, &nonce);
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (name, value) in signed.pairs() {
            req = req.set(name, &value);
        }
        let result = match body {
            Some(b) => req.set("content-type", "application/json").send_bytes(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => {
                let text = r.into_string().unwrap_or_default();
                let reason = if status == 422 {
                    text
                } else {
                    serde_json::from_str::<ErrorResponse>(&text)
                        .map(|e| e.error)
                        .unwrap_or(text)
                };
                return Err(SyncError::Refused { status, reason });
            }
            Err(e) => {
                return Err(SyncError::Unreachable {
                    url: self.base.clone(),
                    detail: e.to_string(),
                })
            }
        };
        let mut bytes = Vec::new();
        response
            .into_reader()
            .take(256 * 1024 * 1024)
            .read_to_end(&mut bytes)
            .map_err(|e| SyncError::Unreachable {
                url: self.base.clone(),
                detail: e.to_string(),
            })?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::BadAnswer(e.to_string()))
    }
}

/// One round: check the village and its key, push everything waiting, then pull until
/// caught up. Each push acknowledgement and each pulled page is committed as it comes,
/// so a round cut short keeps what it did.
pub fn sync_once(app: &mut App, dir: &DataDir, client: &SyncClient) -> Result<SyncReport, SyncError> {
    let outcome = round(app, dir, client);
    let words = outcome.as_ref().err().map(SyncError::words);
    // Recording the outcome is best effort: a full disk must not hide the sync error.
    let _ = app.record_sync_outcome(words.as_deref());
    outcome
}

fn round(app: &mut App, dir: &DataDir, client: &SyncClient) -> Result<SyncReport, SyncError> {
    let info = client.village_info()?;
    if info.code != app.village().code {
        return Err(SyncError::WrongVillage {
            kiosk: app.village().code.clone(),
            township: info.code,
        });
    }
    adopt_id_number_key(app, dir, &info)?;
    let mut report = SyncReport {
        url: client.url().to_string(),
        device: client.device_id(),
        ..SyncReport::default()
    };
    loop {
        let events = app.unpushed_events(PUSH_BATCH)?;
        let Some(last) = events.last().map(|e| e.seq) else {
            break;
        };
        let answer = client.push(&events)?;
        failpoint("sync-pushed");
        let marked = app.mark_pushed(answer.acked_through)?;
        report.pushed += marked;
        if let Some(refused) = answer.refused {
            return Err(SyncError::Refused {
                status: 422,
                reason: format!("event {}: {}", refused.seq, refused.reason),
            });
        }
        if answer.acked_through < last {
            // The township holds a shorter prefix than sent (a gap on its side); the
            // next round sends from there again.
            break;
        }
    }
    // Pull ahead: the next page is fetched while this one is applied, so a long
    // catch-up costs about the slower of the two rather than their sum.
    let mut page = client.pull(app.sync_cursor()?, PULL_PAGE)?;
    loop {
        failpoint("sync-pulled");
        let ahead = page.more.then_some(page.next);
        let (applied, next) = std::thread::scope(|s| {
            let fetch = ahead.map(|after| s.spawn(move || client.pull(after, PULL_PAGE)));
            let applied = app.apply_pulled(&page);
            (applied, fetch.map(|h| h.join()))
        });
        report.pulled += page.changes.len();
        report.applied += applied?;
        match next {
            None => break,
            Some(Ok(fetched)) => page = fetched?,
            Some(Err(_)) => return Err(SyncError::BadAnswer("the page fetch thread panicked".into())),
        }
    }
    let status = app.sync_status()?;
    report.pushed_through = status.pushed_through;
    report.cursor = status.cursor;
    report.events_waiting = status.events_waiting;
    Ok(report)
}

/// Takes the village's ID-number key on a kiosk that has registered nobody yet, so
/// residents the township registered are found by their cards.
fn adopt_id_number_key(app: &mut App, dir: &DataDir, info: &VillageResponse) -> Result<(), SyncError> {
    let key: [u8; 32] = B64
        .decode(&info.id_number_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SyncError::BadAnswer("the village key is not 32 bytes of base64".into()))?;
    if key == app.id_number_secret() {
        return Ok(());
    }
    if app.resident_count()? > 0 {
        return Err(SyncError::KeyMismatch);
    }
    dir.replace_id_number_key(&key)?;
    app.set_id_number_secret(key);
    Ok(())
}

/// The background loop of the touch kiosk: a round every `interval`, and after a
/// failure a wait that doubles up to 10 minutes, with jitter so a township's kiosks do
/// not all return at once after an outage. Never touches the UI thread.
pub struct SyncLoop {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl SyncLoop {
    pub fn start(
        dir: DataDir,
        url: String,
        interval: Duration,
        clock: Arc<dyn crate::domain::clock::Clock>,
    ) -> SyncLoop {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || run_loop(&dir, &url, interval, clock, &flag))
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
    dir: &DataDir,
    url: &str,
    interval: Duration,
    clock: Arc<dyn crate::domain::clock::Clock>,
    stop: &AtomicBool,
) {
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let outcome = App::open(dir, clock.clone())
            .map_err(SyncError::from)
            .and_then(|mut app| {
                let client = SyncClient::new(
                    url,
                    app.device_signing_key(),
                    &app.village().code,
                    Duration::from_secs(30),
                );
                sync_once(&mut app, dir, &client)
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
