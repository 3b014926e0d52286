//! The JSON of the `/v1` sync API (docs/sync-protocol.md). These DTOs are the only
//! serde view of sync data; conversions to domain records check every field, so a
//! malformed body is refused with a reason before anything is written.
//!
//! Compatibility: unknown fields are ignored everywhere, and a record of an unknown type
//! becomes `Record::Unknown` (its event is set aside, not refused), so a newer township
//! or kiosk that adds to the format does not stop an older one.

mod evidence;
mod funds;
mod records;
mod records_in;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::app::{ChangePage, IncomingEvent, PulledPage, ReceiveOutcome};
use crate::domain::records::SyncEvent;

pub use records::{EventDto, RecordDto, ResidentDto, VoucherDto};

/// The protocol versions this build speaks (`GET /v1/health` lists the server's).
pub const PROTOCOLS: &[u32] = &[1];

/// A body that does not describe valid sync data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WireError(pub String);

#[derive(Debug, Clone, Serialize)]
pub struct PushRequest {
    pub events: Vec<EventDto>,
}

/// A push as the server reads it: each event kept as its exact text, so one that must
/// be set aside is kept as it came.
#[derive(Debug, Deserialize)]
pub struct PushBody {
    pub events: Vec<Box<RawValue>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    pub acked_through: i64,
    pub applied: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<RefusedDto>,
    /// Events held but not applied (waiting, or not a kiosk's to send), with reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_aside: Vec<RefusedDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefusedDto {
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PullResponse {
    pub changes: Vec<EventDto>,
    pub next_cursor: i64,
    pub more: bool,
}

/// A page as the kiosk reads it, each change kept as its exact text.
#[derive(Debug, Deserialize)]
pub struct PullBody {
    pub changes: Vec<Box<RawValue>>,
    pub next_cursor: i64,
    pub more: bool,
}

/// `POST /v1/villages/{code}/hello`: what a kiosk tells the township first in a round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelloRequest {
    /// Base64 of the Ed25519 key that verifies this kiosk's vouchers.
    pub voucher_key: String,
    pub outbox_last: i64,
    pub pushed_through: i64,
    #[serde(default)]
    pub legacy_serials: bool,
    #[serde(default)]
    pub kiosk_number: Option<u32>,
}

/// The township's answer to a hello (and, without the kiosk's parts, to
/// `GET /v1/villages/{code}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VillageResponse {
    pub code: String,
    pub name: String,
    pub device: String,
    /// The village's ID-number hashing key (base64), so a kiosk finds residents the
    /// township registered. Only ever sent to a registered device of the village.
    pub id_number_key: String,
    #[serde(default)]
    pub kiosk_number: Option<u32>,
    #[serde(default)]
    pub generation: Option<String>,
    #[serde(default)]
    pub acked_through: Option<i64>,
    #[serde(default)]
    pub feed_last: Option<i64>,
    #[serde(default)]
    pub server_time: Option<String>,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HealthResponse {
    pub status: String,
    pub villages: usize,
    /// The protocol versions the server speaks.
    #[serde(default)]
    pub protocols: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: String,
}

impl PushRequest {
    pub fn new(events: &[SyncEvent]) -> PushRequest {
        PushRequest {
            events: events.iter().map(EventDto::from_domain).collect(),
        }
    }
}

impl PushBody {
    /// The events with their identity digests and wire text, or the first thing wrong
    /// with them.
    pub fn into_incoming(self) -> Result<Vec<IncomingEvent>, WireError> {
        self.events.iter().map(|raw| incoming(raw.get())).collect()
    }
}

/// Reads one event from its wire text (a pushed or pulled one, or one set aside before).
pub fn incoming(raw: &str) -> Result<IncomingEvent, WireError> {
    let dto: EventDto = serde_json::from_str(raw).map_err(|e| WireError(format!("malformed event: {e}")))?;
    let digest = dto.identity_digest();
    Ok(IncomingEvent {
        event: dto.into_domain()?,
        digest,
        raw: raw.to_string(),
    })
}

impl PushResponse {
    pub fn from_outcome(o: &ReceiveOutcome) -> PushResponse {
        PushResponse {
            acked_through: o.acked_through,
            applied: o.applied,
            refused: o.refused.as_ref().map(|r| RefusedDto {
                seq: r.seq,
                reason: r.reason.clone(),
            }),
            set_aside: o
                .set_aside
                .iter()
                .map(|r| RefusedDto {
                    seq: r.seq,
                    reason: r.reason.clone(),
                })
                .collect(),
        }
    }
}

impl PullResponse {
    pub fn from_page(page: &ChangePage) -> PullResponse {
        PullResponse {
            changes: page.changes.iter().map(EventDto::from_domain).collect(),
            next_cursor: page.next,
            more: page.more,
        }
    }
}

impl PullBody {
    pub fn into_page(self) -> Result<PulledPage, WireError> {
        Ok(PulledPage {
            changes: self
                .changes
                .iter()
                .map(|raw| incoming(raw.get()))
                .collect::<Result<_, _>>()?,
            next: self.next_cursor,
            more: self.more,
        })
    }
}

pub(super) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(super) fn time(s: &str, at: &str) -> Result<DateTime<Utc>, WireError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| WireError(format!("{at}: '{s}' is not an RFC 3339 time")))
}

pub(super) fn uuid(s: &str, at: &str) -> Result<Uuid, WireError> {
    Uuid::parse_str(s).map_err(|_| WireError(format!("{at}: '{s}' is not a UUID")))
}
