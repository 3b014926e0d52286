//! The kiosk's side: one sync round (hello, push, pull until caught up, the set-aside
//! tried again), and a loop that runs rounds in the background with exponential back-off
//! and jitter when the link is down. Offline is normal: the kiosk works without the
//! township and catches up. Every answer must carry the township's signature, made with
//! the key the kiosk was given at enrolment; an answer without it changes nothing.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::Rng;
use serde::Serialize;

use super::auth;
use super::wire::{
    incoming, ErrorResponse, HelloRequest, PullBody, PushRequest, PushResponse, VillageResponse, WireError,
};
use crate::app::{failpoint, App, AppError, PulledPage, TownshipHello};
use crate::domain::kiosk::public_key_text;
use crate::installation::{InstallationError, SyncConfig};

/// Events per push request: ~2 MB of JSON, under the server's 4 MiB body limit; a
/// bigger batch costs the township fewer round trips and commits per event.
pub const PUSH_BATCH: usize = 2000;
/// Changes per pull page.
pub const PULL_PAGE: usize = 5000;
/// The largest answer read (a pull page of 10,000 changes is far less).
const MAX_ANSWER_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the township server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the township server refused the request ({status}): {reason}")]
    Refused { status: u16, reason: String },
    #[error("the township server answered something unreadable: {0}")]
    BadAnswer(String),
    #[error("the answer did not come from the township: {0}; nothing was applied")]
    Unsigned(#[from] auth::AnswerError),
    #[error(
        "no township key: give the key from `jifen township key show` as [sync] township_key in the \
         config or with `jifen sync once --township-key`"
    )]
    NoTownshipKey,
    #[error("refusing plain http:// to {0}: use https://, or set allow_plain_http = true in [sync]")]
    PlainHttp(String),
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
            SyncError::Refused { status: 401, reason } if reason.contains("retired") => {
                "乡镇已停用这台机器，不再同步；请联系乡镇".into()
            }
            SyncError::Refused { status: 401, reason } if reason.contains("stale") => {
                "本机时间与乡镇服务器相差太多，请校准本机时间".into()
            }
            SyncError::Refused { status: 401, .. } => "乡镇服务器不认这台机器，请联系乡镇登记本机".into(),
            SyncError::Refused { reason, .. } => format!("乡镇服务器拒收：{reason}"),
            SyncError::Unsigned(_) => "收到的答复不是乡镇服务器签发的，已拒收（网络可能被人动过手脚）".into(),
            SyncError::NoTownshipKey => "没有设置乡镇服务器的公钥，请联系乡镇".into(),
            SyncError::PlainHttp(_) => "乡镇服务器地址不安全（不是 https），请联系乡镇".into(),
            SyncError::App(AppError::IdNumberKeyMismatch) | SyncError::App(AppError::KioskNumberMismatch { .. }) => {
                "本机与乡镇登记的不一致，请联系乡镇".into()
            }
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
    pub kiosk_number: Option<u32>,
    /// Events the township acknowledged in this round.
    pub pushed: usize,
    /// Pulled changes that changed something here.
    pub applied: usize,
    /// Pulled changes in all (including ones already here).
    pub pulled: usize,
    /// Pulled changes set aside here in this round (the reasons are in `sync status`).
    pub set_aside: usize,
    /// Set-aside changes applied in this round, their cause gone.
    pub released: usize,
    /// Events the township held but set aside (waiting, or not a kiosk's to send).
    pub set_aside_by_township: usize,
    /// The township was found restored from a backup; what it lost was sent again.
    pub township_restored: bool,
    pub resent: usize,
    pub pushed_through: i64,
    pub cursor: i64,
    pub events_waiting: i64,
    /// Photos recorded here and taken by the township in this round.
    pub photos_sent: usize,
    /// Photos fetched and verified in this round.
    pub photos_fetched: usize,
    /// Photos named on entries whose bytes are not here (beyond the cache, or still coming).
    pub photos_waiting: usize,
}

/// Where a load test collects each request's duration and whether it succeeded.
pub type RequestTimings = Arc<std::sync::Mutex<Vec<(Duration, bool)>>>;

/// How a kiosk reaches its township.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
    /// The township's public key; answers not signed with it are refused.
    pub township_key: VerifyingKey,
    /// Plain `http://` beyond loopback (a closed network).
    pub allow_plain_http: bool,
}

/// A signed HTTP client for one kiosk.
pub struct SyncClient {
    base: String,
    agent: ureq::Agent,
    key: SigningKey,
    township: VerifyingKey,
    village: String,
    /// Each request's duration and whether it succeeded, when a load test asks.
    timings: Option<RequestTimings>,
    /// The township's clock (its answers' `Date` header) and when it was read here.
    township_date: std::sync::Mutex<Option<(chrono::DateTime<chrono::Utc>, std::time::Instant)>>,
}

impl SyncClient {
    pub fn new(url: &str, key: SigningKey, village: &str, options: &ClientOptions) -> Result<SyncClient, SyncError> {
        let base = url.trim_end_matches('/').to_string();
        if !options.allow_plain_http && !secure_enough(&base) {
            return Err(SyncError::PlainHttp(base));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(options.timeout.min(Duration::from_secs(10)))
            .timeout(options.timeout)
            .build();
        Ok(SyncClient {
            base,
            agent,
            key,
            township: options.township_key,
            village: village.to_string(),
            timings: None,
            township_date: std::sync::Mutex::new(None),
        })
    }

    /// Records every request's duration and outcome into `sink` (load tests).
    pub fn with_timings(mut self, sink: RequestTimings) -> SyncClient {
        self.timings = Some(sink);
        self
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// The township's time now, as its last answer said (any answer, refusals included: a
    /// kiosk whose clock is too far off to be heard still learns by how much).
    pub fn township_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let said = *self.township_date.lock().unwrap_or_else(|p| p.into_inner());
        said.and_then(|(at, read)| chrono::Duration::from_std(read.elapsed()).ok().map(|d| at + d))
    }

    fn note_date(&self, response: &ureq::Response) {
        let Some(date) = response
            .header("date")
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
        else {
            return;
        };
        *self.township_date.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((date.with_timezone(&chrono::Utc), std::time::Instant::now()));
    }

    pub fn device_id(&self) -> String {
        auth::device_id(&self.key.verifying_key())
    }

    /// The first call of a round: who this kiosk is, what the township holds of it.
    pub fn hello(&self, app: &mut App) -> Result<TownshipHello, SyncError> {
        let h = app.hello()?;
        let request = HelloRequest {
            voucher_key: public_key_text(&h.voucher_key),
            outbox_last: h.outbox_last,
            pushed_through: h.pushed_through,
            legacy_serials: h.legacy_serials,
            kiosk_number: h.kiosk_number,
        };
        let body = serde_json::to_vec(&request).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        let path = format!("/v1/villages/{}/hello", self.village);
        let answer: VillageResponse = self.call("POST", &path, Some(&body))?;
        township_hello(answer)
    }

    /// Pushes events; the answer says how far the township holds them.
    pub fn push(&self, events: &[crate::domain::records::SyncEvent]) -> Result<PushResponse, SyncError> {
        let body = serde_json::to_vec(&PushRequest::new(events)).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        let path = format!("/v1/villages/{}/events", self.village);
        self.call::<PushResponse>("POST", &path, Some(&body))
    }

    pub fn pull(&self, after: i64, limit: usize) -> Result<PulledPage, SyncError> {
        let path = format!("/v1/villages/{}/changes?after={after}&limit={limit}", self.village);
        let page: PullBody = self.call("GET", &path, None)?;
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
        let answer = self.exchange(method, path, body.map(|b| (b, "application/json")))?;
        serde_json::from_slice(&answer.bytes).map_err(|e| SyncError::BadAnswer(e.to_string()))
    }

    /// One signed request and its answer, checked to be signed by the township.
    pub(super) fn exchange(&self, method: &str, path: &str, body: Option<(&[u8], &str)>) -> Result<Answer, SyncError> {
        let now = chrono::Utc::now().timestamp();
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let signed = auth::sign(&self.key, method, path, body.map_or(b"" as &[u8], |b| b.0), now, &nonce);
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (name, value) in signed.pairs() {
            req = req.set(name, &value);
        }
        let result = match body {
            Some((b, content_type)) => req.set("content-type", content_type).send_bytes(b),
            None => req.call(),
        };
        if let Ok(r) | Err(ureq::Error::Status(_, r)) = &result {
            self.note_date(r);
        }
        let response = match result {
            Ok(r) => r,
            // A push refused in part answers 422 with the same JSON; a photo refused is an error.
            Err(ureq::Error::Status(422, r)) if body.is_none_or(|b| b.1 == "application/json") => r,
            Err(ureq::Error::Status(status, r)) => {
                let text = r.into_string().unwrap_or_default();
                let reason = serde_json::from_str::<ErrorResponse>(&text)
                    .map(|e| e.error)
                    .unwrap_or(text);
                return Err(SyncError::Refused { status, reason });
            }
            Err(e) => {
                return Err(SyncError::Unreachable {
                    url: self.base.clone(),
                    detail: e.to_string(),
                })
            }
        };
        let status = response.status();
        let digest = response.header(auth::CONTENT_DIGEST).map(str::to_string);
        let signature = response.header(auth::ANSWER_SIGNATURE).map(str::to_string);
        let photo_size = response
            .header(super::server::PHOTO_SIZE)
            .and_then(|v| v.parse::<usize>().ok());
        let mut bytes = Vec::new();
        response
            .into_reader()
            .take(MAX_ANSWER_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| SyncError::Unreachable {
                url: self.base.clone(),
                detail: e.to_string(),
            })?;
        auth::verify_answer(
            &self.township,
            status,
            &nonce,
            &bytes,
            digest.as_deref(),
            signature.as_deref(),
        )?;
        Ok(Answer { bytes, photo_size })
    }

    /// The village this client syncs.
    pub(super) fn village(&self) -> &str {
        &self.village
    }
}

/// An answer's body, signed by the township, and the whole size of a photo it is part of.
pub(super) struct Answer {
    pub bytes: Vec<u8>,
    pub photo_size: Option<usize>,
}

/// `https://` anywhere, `http://` only to this machine.
fn secure_enough(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn township_hello(a: VillageResponse) -> Result<TownshipHello, SyncError> {
    let missing = |what: &str| SyncError::BadAnswer(format!("the hello answer has no {what}"));
    let key: [u8; 32] = B64
        .decode(&a.id_number_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SyncError::BadAnswer("the village key is not 32 bytes of base64".into()))?;
    let server_time = a.server_time.ok_or_else(|| missing("server time"))?;
    Ok(TownshipHello {
        village_code: a.code,
        village_name: a.name,
        device: a.device,
        kiosk_number: a.kiosk_number.ok_or_else(|| missing("kiosk number"))?,
        id_number_key: key,
        generation: a.generation.ok_or_else(|| missing("generation"))?,
        acked_through: a.acked_through.ok_or_else(|| missing("acknowledgement"))?,
        feed_last: a.feed_last.ok_or_else(|| missing("feed position"))?,
        server_time: chrono::DateTime::parse_from_rfc3339(&server_time)
            .map_err(|_| missing("readable server time"))?
            .with_timezone(&chrono::Utc),
    })
}

/// Reads an event kept as wire text (a set-aside one).
pub fn decode_event(raw: &str) -> Option<crate::app::IncomingEvent> {
    incoming(raw).ok()
}

/// One round: hello (number, key, restore check), push everything waiting, pull until
/// caught up, then try the set-aside again. Each push acknowledgement and each pulled page
/// is committed as it comes, so a round cut short keeps what it did.
pub fn sync_once(app: &mut App, client: &SyncClient) -> Result<SyncReport, SyncError> {
    let outcome = round(app, client);
    if let Some(township) = client.township_time() {
        // Against the system clock, which signs the requests (and is the kiosk's own clock).
        let _ = app.note_township_clock_offset(township - chrono::Utc::now());
    }
    let words = outcome.as_ref().err().map(SyncError::words);
    // Recording the outcome is best effort: a full disk must not hide the sync error.
    let _ = app.record_sync_outcome(words.as_deref());
    outcome
}

fn round(app: &mut App, client: &SyncClient) -> Result<SyncReport, SyncError> {
    let hello = client.hello(app)?;
    let said = app.take_hello(&hello)?;
    let mut report = SyncReport {
        url: client.url().to_string(),
        device: client.device_id(),
        kiosk_number: Some(hello.kiosk_number),
        township_restored: said.township_restored,
        resent: said.resent,
        ..SyncReport::default()
    };
    let mut refused = None;
    loop {
        let events = app.unpushed_events(PUSH_BATCH)?;
        let Some(last) = events.last().map(|e| e.seq) else {
            break;
        };
        let answer = client.push(&events)?;
        failpoint("sync-pushed");
        report.pushed += app.mark_pushed(answer.acked_through)?;
        report.set_aside_by_township += answer.set_aside.len();
        if let Some(r) = answer.refused {
            refused = Some(format!("event {}: {}", r.seq, r.reason));
        }
        if answer.acked_through < last {
            // The township holds a shorter prefix than sent (a gap on its side, or a
            // refused event); the next round sends from there again.
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
        let outcome = applied?;
        report.pulled += page.changes.len();
        report.applied += outcome.applied;
        report.set_aside += outcome.set_aside;
        match next {
            None => break,
            Some(Ok(fetched)) => page = fetched?,
            Some(Err(_)) => return Err(SyncError::BadAnswer("the page fetch thread panicked".into())),
        }
    }
    report.released = app.retry_set_aside(&decode_event)?;
    // Photos last: points never wait for them.
    let photos = super::photos::sync_photos(app, client)?;
    report.photos_sent = photos.sent;
    report.photos_fetched = photos.fetched;
    report.photos_waiting = photos.waiting;
    let status = app.sync_status()?;
    report.pushed_through = status.pushed_through;
    report.cursor = status.cursor;
    report.events_waiting = status.events_waiting;
    if let Some(reason) = refused {
        // Held by the township, so not sent again; but a clerk must hear of it.
        return Err(SyncError::Refused { status: 422, reason });
    }
    Ok(report)
}

/// The township key for this kiosk: the configured one (remembered for next time), else
/// the one remembered at enrolment.
pub fn township_key(app: &mut App, given: Option<&str>) -> Result<VerifyingKey, SyncError> {
    if let Some(text) = given {
        let key = crate::domain::kiosk::parse_public_key(text)
            .map_err(|e| SyncError::BadAnswer(format!("the township key: {e}")))?;
        app.pin_township_key(&key)?;
        return Ok(key);
    }
    app.township_key()?.ok_or(SyncError::NoTownshipKey)
}

/// Client options from the `[sync]` section and what the command line adds.
pub fn client_options(app: &mut App, config: &SyncConfig, key: Option<&str>) -> Result<ClientOptions, SyncError> {
    Ok(ClientOptions {
        timeout: Duration::from_secs(30),
        township_key: township_key(app, key.or(config.township_key.as_deref()))?,
        allow_plain_http: config.allow_plain_http,
    })
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

impl From<WireError> for SyncError {
    fn from(e: WireError) -> Self {
        SyncError::BadAnswer(e.0)
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

    #[test]
    fn plain_http_goes_only_to_this_machine() {
        for ok in [
            "https://jifen.example/",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:80",
        ] {
            assert!(secure_enough(ok.trim_end_matches('/')), "{ok}");
        }
        for refused in [
            "http://10.0.0.2:8080",
            "http://jifen.example",
            "ftp://x",
            "http://127.0.0.1.evil.example",
        ] {
            assert!(!secure_enough(refused), "{refused}");
        }
    }
}
