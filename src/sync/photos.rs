//! Photos cross the link after the points (DESIGN.md §11): a kiosk sends the photos recorded
//! at it, then fetches those named on its village's entries, newest entries first, until its
//! cache bound is reached. A download goes in chunks and is kept as it comes, so a cut link
//! costs one chunk; the whole is checked against the digest its (signed) record named before
//! it is kept, and a photo whose bytes do not match is dropped and fetched afresh.

use super::client::SyncClient;
use super::SyncError;
use crate::app::App;
use crate::picture;

/// At most this many photos are fetched in one round, so a round ends and starts again
/// (pushing what was redeemed meanwhile) even when a month of photos is waiting.
pub const PHOTOS_PER_ROUND: usize = 200;

/// What a round did with photos.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoReport {
    pub sent: usize,
    pub fetched: usize,
    /// Bytes fetched (photos completed or not).
    pub bytes: usize,
    /// Named here, bytes not here after the round.
    pub waiting: usize,
    /// Fetched whole but not matching the digest: dropped, to be fetched afresh.
    pub corrupt: usize,
}

/// Sends waiting photos, then fetches missing ones within the cache bound.
pub fn sync_photos(app: &mut App, client: &SyncClient) -> Result<PhotoReport, SyncError> {
    let mut report = PhotoReport::default();
    for sha in app.photos_to_send()? {
        let Some(bytes) = app.photo_bytes(&sha)? else {
            // Not here any more (a restore from an older backup): nothing to send.
            app.photo_sent(&sha)?;
            continue;
        };
        match client.put_photo(&sha, &bytes) {
            Ok(()) => {
                app.photo_sent(&sha)?;
                report.sent += 1;
            }
            // The township has not applied the event that names it yet: next round.
            Err(SyncError::Refused { status: 409, .. }) => {}
            Err(e) if slow_down(&e) => return report.rest_waiting(app),
            Err(e) => return Err(e),
        }
    }
    let bound = app.photo_cache_bytes();
    let mut held = app.photo_bytes_held()?;
    for missing in app.missing_photos(PHOTOS_PER_ROUND)? {
        if held + missing.size > bound {
            // Beyond the cache: fetched when a villager opens that entry, if online.
            break;
        }
        match fetch_photo(app, client, &missing.sha256, &mut report) {
            Ok(true) => {
                report.fetched += 1;
                held += missing.size;
            }
            Ok(false) => report.corrupt += 1,
            // What came is kept; the rest follows next round.
            Err(e) if slow_down(&e) => break,
            Err(e) => return Err(e),
        }
    }
    app.evict_photos()?;
    report.rest_waiting(app)
}

impl PhotoReport {
    fn rest_waiting(mut self, app: &mut App) -> Result<PhotoReport, SyncError> {
        self.waiting = app.missing_photos(usize::MAX >> 1)?.len();
        Ok(self)
    }
}

/// The township asks this kiosk to slow down (its per-kiosk rate, DESIGN.md §9): photos are
/// background traffic, so the round ends well with photos left waiting rather than failing
/// a round whose points already crossed.
fn slow_down(e: &SyncError) -> bool {
    matches!(e, SyncError::Refused { status: 429, .. })
}

/// Fetches one photo now (a villager opened its entry), then keeps the cache within bound.
pub fn fetch_photo_now(app: &mut App, client: &SyncClient, sha256: &str) -> Result<Option<Vec<u8>>, SyncError> {
    let mut report = PhotoReport::default();
    if !fetch_photo(app, client, sha256, &mut report)? {
        return Ok(None);
    }
    let bytes = app.photo_bytes(sha256)?;
    app.evict_photos()?;
    Ok(bytes)
}

/// Fetches a photo from where an earlier try stopped; true once kept and verified.
fn fetch_photo(app: &mut App, client: &SyncClient, sha256: &str, report: &mut PhotoReport) -> Result<bool, SyncError> {
    let mut bytes = app.photo_download(sha256)?;
    loop {
        let (chunk, total) = client.photo_chunk(sha256, bytes.len())?;
        report.bytes += chunk.len();
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= total || chunk.is_empty() {
            break;
        }
        app.save_photo_download(sha256, &bytes)?;
    }
    if picture::digest(&bytes) != sha256 {
        tracing::warn!(photo = %sha256, "a fetched photo does not match its digest; dropped");
        app.drop_photo_download(sha256)?;
        return Ok(false);
    }
    Ok(app.keep_photo(sha256, &bytes)?)
}

/// Fetches photos on demand for the kiosk's screen, with a client of its own.
pub struct OnDemand(pub SyncClient);

impl crate::app::PhotoFetcher for OnDemand {
    fn fetch(&mut self, app: &mut App, sha256: &str) -> Option<Vec<u8>> {
        fetch_photo_now(app, &self.0, sha256)
            .map_err(|e| tracing::info!(photo = %sha256, error = %e, "photo not fetched on demand"))
            .ok()
            .flatten()
    }
}

impl SyncClient {
    /// Sends a photo recorded here.
    pub fn put_photo(&self, sha256: &str, bytes: &[u8]) -> Result<(), SyncError> {
        let path = format!("/v1/villages/{}/evidence/{sha256}", self.village());
        self.exchange("PUT", &path, Some((bytes, "image/jpeg")))?;
        Ok(())
    }

    /// A chunk of a photo from byte `from` on, and the photo's whole size.
    pub fn photo_chunk(&self, sha256: &str, from: usize) -> Result<(Vec<u8>, usize), SyncError> {
        let path = format!("/v1/villages/{}/evidence/{sha256}?from={from}", self.village());
        let answer = self.exchange("GET", &path, None)?;
        let total = answer
            .photo_size
            .ok_or_else(|| SyncError::BadAnswer("a photo came without its size".into()))?;
        if total > crate::picture::EVIDENCE_PHOTO.max_bytes || from + answer.bytes.len() > total {
            return Err(SyncError::BadAnswer(format!(
                "photo {sha256} is larger than a photo may be"
            )));
        }
        Ok((answer.bytes, total))
    }
}
