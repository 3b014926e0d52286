//! One sync round: hello, push in batches, pull until caught up, the set-aside tried
//! again, then photos; and the township key and options a kiosk's client is made with.

use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use super::{ClientOptions, SyncClient, SyncError, PULL_PAGE, PUSH_BATCH};
use crate::app::{failpoint, App};
use crate::installation::SyncConfig;
use crate::sync::wire::incoming;

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
    let photos = crate::sync::photos::sync_photos(app, client)?;
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
