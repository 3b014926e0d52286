//! Photos on a score (DESIGN.md §11): taken in as a clerk or a township officer gives them,
//! kept re-encoded and bounded with no metadata, named on the entry by digest, and found
//! again for the screen, the CLI and the sync client.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{App, AppError, Result, Role};
use crate::domain::evidence::{evidence_id, EvidenceRecord, MAX_PHOTOS_PER_ENTRY};
use crate::picture::{self, EVIDENCE_PHOTO};
use crate::store::{MissingPhoto, Tx};

/// A kiosk keeps this many bytes of photos: about 200 photos of the largest size, which is
/// the last months' scores of a village; older ones are fetched again when asked for.
pub const DEFAULT_PHOTO_CACHE_BYTES: i64 = 64 * 1024 * 1024;

/// Fetches a photo's bytes from the township at once, when a villager opens an entry whose
/// photo is not here (older than the cache holds). `sync` implements it; the kiosk's
/// screen worker is given one when a township is configured.
pub trait PhotoFetcher: Send {
    /// The verified bytes, now kept here; None when offline or refused (logged).
    fn fetch(&mut self, app: &mut App, sha256: &str) -> Option<Vec<u8>>;
}

/// A photo as handed over: a file's name (for the refusal's words) and its bytes.
#[derive(Debug, Clone)]
pub struct Photo {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A photo made ready to keep: our own JPEG and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPhoto {
    pub sha256: String,
    pub jpeg: Vec<u8>,
}

/// A photo on an entry, as `household show --json` and the screen list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceView {
    pub id: String,
    pub sha256: String,
    pub recorded_by: String,
    pub recorded_at: String,
    /// Whether the bytes are here (a kiosk fetches them in the background).
    pub held: bool,
}

/// A photo and, when held here, its bytes.
#[derive(Debug, Clone)]
pub struct EvidencePhoto {
    pub record: EvidenceRecord,
    pub jpeg: Option<Vec<u8>>,
}

/// Re-encodes each photo within the evidence bound, refusing the first that is not a
/// picture with its file's name. Nothing is kept unless every photo is good.
pub fn prepare_photos(photos: &[Photo]) -> Result<Vec<KeptPhoto>> {
    if photos.len() > MAX_PHOTOS_PER_ENTRY {
        return Err(AppError::Invalid(format!(
            "an entry carries at most {MAX_PHOTOS_PER_ENTRY} photos, not {}",
            photos.len()
        )));
    }
    let mut kept: Vec<KeptPhoto> = Vec::with_capacity(photos.len());
    for p in photos {
        let jpeg = picture::normalise(&p.bytes, EVIDENCE_PHOTO).map_err(|reason| AppError::Photo {
            file: p.name.clone(),
            reason,
        })?;
        let sha256 = picture::digest(&jpeg);
        if !kept.iter().any(|k| k.sha256 == sha256) {
            kept.push(KeptPhoto { sha256, jpeg });
        }
    }
    Ok(kept)
}

/// Records `photos` on `entry` in the transaction that writes the entry, with the event
/// that carries their names. A kiosk also queues the bytes for the township.
pub(crate) fn attach(
    tx: &Tx,
    role: Role,
    entry: Uuid,
    photos: &[KeptPhoto],
    recorded_by: &str,
    at: DateTime<Utc>,
) -> Result<Vec<EvidenceRecord>> {
    let records = evidence_records(entry, photos, recorded_by, at);
    for (record, p) in records.iter().zip(photos) {
        tx.insert_evidence(record)?;
        tx.put_photo(&p.sha256, &p.jpeg, at)?;
        if role == Role::Kiosk {
            tx.queue_upload(&p.sha256)?;
        }
    }
    if !records.is_empty() {
        tx.append_event("evidence_added", &entry.to_string(), at)?;
    }
    Ok(records)
}

/// The records naming `photos` on `entry`, in order.
pub fn evidence_records(
    entry: Uuid,
    photos: &[KeptPhoto],
    recorded_by: &str,
    at: DateTime<Utc>,
) -> Vec<EvidenceRecord> {
    photos
        .iter()
        .map(|p| EvidenceRecord {
            id: evidence_id(entry, &p.sha256),
            entry,
            sha256: p.sha256.clone(),
            size: p.jpeg.len() as i64,
            recorded_by: recorded_by.to_string(),
            recorded_at: at,
        })
        .collect()
}

pub(crate) fn evidence_view(e: &EvidenceRecord, held: bool) -> EvidenceView {
    EvidenceView::of(e, held)
}

impl EvidenceView {
    pub fn of(e: &EvidenceRecord, held: bool) -> EvidenceView {
        EvidenceView {
            id: e.id.to_string(),
            sha256: e.sha256.clone(),
            recorded_by: e.recorded_by.clone(),
            recorded_at: e
                .recorded_at
                .with_timezone(&crate::domain::clock::china_offset())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            held,
        }
    }
}

impl App {
    /// A photo by its id, with its bytes when they are here.
    pub fn evidence_photo(&mut self, id: &str) -> Result<EvidencePhoto> {
        let uuid = Uuid::parse_str(id.trim()).map_err(|_| AppError::UnknownEvidence(id.trim().to_string()))?;
        let now = self.clock.now();
        self.store.write(|tx| {
            let record = tx
                .evidence(uuid)?
                .ok_or_else(|| AppError::UnknownEvidence(id.trim().to_string()))?;
            let jpeg = tx.photo(&record.sha256)?;
            if jpeg.is_some() {
                tx.touch_photo(&record.sha256, now)?;
            }
            Ok(EvidencePhoto { record, jpeg })
        })
    }

    /// The photos of an entry, for its detail on the screen.
    pub fn evidence_of_entry(&mut self, entry: &str) -> Result<Vec<EvidencePhoto>> {
        let uuid = Uuid::parse_str(entry.trim()).map_err(|_| AppError::UnknownEntry(entry.trim().to_string()))?;
        let now = self.clock.now();
        self.store.write(|tx| {
            let mut out = Vec::new();
            for record in tx.evidence_of_entry(uuid)? {
                let jpeg = tx.photo(&record.sha256)?;
                if jpeg.is_some() {
                    tx.touch_photo(&record.sha256, now)?;
                }
                out.push(EvidencePhoto { record, jpeg });
            }
            Ok(out)
        })
    }

    /// Keeps a photo's bytes if they are those of a photo named here and a JPEG within the
    /// bound; false when no entry here names that digest.
    pub fn keep_photo(&mut self, sha256: &str, bytes: &[u8]) -> Result<bool> {
        if picture::digest(bytes) != sha256 {
            return Err(AppError::Invalid(format!(
                "photo {sha256}: the bytes do not match their digest"
            )));
        }
        picture::check_stored(bytes, EVIDENCE_PHOTO)?;
        let now = self.clock.now();
        self.store.write(|tx| {
            if !tx.names_photo(sha256)? {
                return Ok(false);
            }
            tx.put_photo(sha256, bytes, now)?;
            Ok(true)
        })
    }

    /// Sets the kiosk's photo cache bound (`[sync] photo_cache_mb`).
    pub fn set_photo_cache_bytes(&mut self, bytes: i64) {
        self.photo_cache_bytes = bytes.max(0);
    }

    pub fn photo_cache_bytes(&self) -> i64 {
        self.photo_cache_bytes
    }

    /// Drops the least recently seen photos beyond the cache bound (never one still to be
    /// sent to the township). Returns how many went.
    pub fn evict_photos(&mut self) -> Result<usize> {
        if self.role != Role::Kiosk {
            return Ok(0);
        }
        let bound = self.photo_cache_bytes;
        self.store.write(|tx| Ok(tx.evict_photos(bound)?))
    }

    /// Photos recorded here that the township has not taken yet.
    pub fn photos_to_send(&mut self) -> Result<Vec<String>> {
        self.store.read(|tx| Ok(tx.pending_uploads()?))
    }

    pub fn photo_sent(&mut self, sha256: &str) -> Result<()> {
        self.store.write(|tx| Ok(tx.upload_done(sha256)?))
    }

    /// What came so far of a photo's download cut short.
    pub fn photo_download(&mut self, sha256: &str) -> Result<Vec<u8>> {
        self.store.read(|tx| Ok(tx.download_so_far(sha256)?))
    }

    /// Keeps what came of a download so far, to continue from there after a cut.
    pub fn save_photo_download(&mut self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let now = self.clock.now();
        self.store.write(|tx| Ok(tx.save_download(sha256, bytes, now)?))
    }

    pub fn drop_photo_download(&mut self, sha256: &str) -> Result<()> {
        self.store.write(|tx| Ok(tx.drop_download(sha256)?))
    }

    /// A photo's bytes by digest (the township serves them to kiosks).
    pub fn photo_bytes(&mut self, sha256: &str) -> Result<Option<Vec<u8>>> {
        self.store.read(|tx| Ok(tx.photo(sha256)?))
    }

    /// Photos named here whose bytes are not, the newest entries' first.
    pub fn missing_photos(&mut self, limit: usize) -> Result<Vec<MissingPhoto>> {
        self.store.read(|tx| Ok(tx.missing_photos(limit)?))
    }

    /// Bytes of photos held here.
    pub fn photo_bytes_held(&mut self) -> Result<i64> {
        self.store.read(|tx| Ok(tx.photo_bytes_held()?))
    }
}
