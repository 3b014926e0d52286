//! The kiosk's side: one sync round (hello, push, pull until caught up, the set-aside
//! tried again), and a loop that runs rounds in the background with exponential back-off
//! and jitter when the link is down. Offline is normal: the kiosk works without the
//! township and catches up. Every answer must carry the township's signature, made with
//! the key the kiosk was given at enrolment; an answer without it changes nothing.

mod background;
mod error;
mod round;

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::auth;
use super::wire::{ErrorResponse, HelloRequest, PullBody, PushRequest, PushResponse, VillageResponse};
use crate::app::{App, PulledPage, TownshipHello};
use crate::domain::kiosk::public_key_text;

pub use background::{backoff, SyncLoop};
pub use error::SyncError;
pub use round::{client_options, decode_event, sync_once, township_key, SyncReport};

/// Events per push request: ~2 MB of JSON, under the server's 4 MiB body limit; a
/// bigger batch costs the township fewer round trips and commits per event.
pub const PUSH_BATCH: usize = 2000;
/// Changes per pull page.
pub const PULL_PAGE: usize = 5000;
/// The largest answer read (a pull page of 10,000 changes is far less).
const MAX_ANSWER_BYTES: u64 = 256 * 1024 * 1024;

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

#[cfg(test)]
mod tests {
    use super::*;

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
