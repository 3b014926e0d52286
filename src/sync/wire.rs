//! The JSON of the `/v1` sync API (docs/sync-protocol.md). These DTOs are the only
//! serde view of sync data; conversions to domain records check every field, so a
//! malformed body is refused with a reason before anything is written.
//!
//! Compatibility: unknown fields are ignored everywhere, and a record of an unknown type
//! becomes `Record::Unknown` (its event is set aside, not refused), so a newer township
//! or kiosk that adds to the format does not stop an older one.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::wire_evidence::{DisputeDto, EvidenceDto};
use crate::app::{ChangePage, IncomingEvent, PulledPage, ReceiveOutcome};
use crate::domain::catalogue::{CatalogueItem, Stock, StockMove, StockMoveReason};
use crate::domain::household::{Resident, Role};
use crate::domain::kiosk::{parse_public_key, public_key_text, KioskRecord};
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::records::{
    ClerkActionRecord, EntryRecord, HouseholdRecord, QrCardRecord, Record, RedemptionRecord, ResidentRecord, SyncEvent,
    VoucherRecord,
};
use crate::domain::rules::RuleItem;
use crate::domain::voucher::VoucherStatus;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDto {
    pub id: String,
    pub seq: i64,
    pub kind: String,
    pub subject: String,
    pub created_at: String,
    pub records: Vec<RecordDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordDto {
    Household {
        code: String,
        grid: String,
        qr_token: Option<String>,
        residents: Vec<ResidentDto>,
    },
    Entry {
        id: String,
        household: String,
        delta: i64,
        kind: String,
        rule_code: Option<String>,
        reason: String,
        month: String,
        source: String,
        recorded_by: String,
        created_at: String,
        corrects: Option<String>,
        dedupe_key: Option<String>,
    },
    Rule {
        code: String,
        area: String,
        kind: String,
        points: i64,
        text: String,
    },
    Item {
        code: String,
        name: String,
        points_cost: i64,
        /// `null` for a service with no stock (a haircut).
        stock: Option<i64>,
        merchant: Option<String>,
        sponsor: Option<String>,
        valid_days: u32,
        active: bool,
        /// The item's picture, a small JPEG in base64 (standard alphabet). Absent for an
        /// item without one, so an older peer's records still read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        picture: Option<String>,
    },
    Redemption {
        id: String,
        household: String,
        item_code: String,
        qty: i64,
        points: i64,
        ledger_id: String,
        recorded_by: String,
        created_at: String,
        voucher: VoucherDto,
    },
    Voucher(VoucherDto),
    StockMove {
        id: String,
        item_code: String,
        holder: String,
        delta: i64,
        reason: String,
        #[serde(default)]
        reference: Option<String>,
        created_at: String,
    },
    Kiosk {
        device: String,
        number: u32,
        name: String,
        #[serde(default)]
        voucher_key: Option<String>,
        #[serde(default)]
        legacy_serials: bool,
        #[serde(default)]
        retired_at: Option<String>,
        #[serde(default)]
        retired_reason: Option<String>,
    },
    QrCard {
        household: String,
        token: String,
        #[serde(default)]
        issued_by: String,
        issued_at: String,
    },
    ClerkAction {
        id: String,
        clerk: String,
        action: String,
        subject: String,
        #[serde(default)]
        detail: String,
        device: String,
        at: String,
    },
    Evidence(EvidenceDto),
    Dispute(DisputeDto),
    /// A record of a type this build does not know (its fields are not read).
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidentDto {
    pub id_hash: String,
    pub name: String,
    pub role: String,
    pub id_last4: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoucherDto {
    pub serial: String,
    pub status: String,
    pub qr_payload: String,
    pub issued_at: String,
    pub expires_on: String,
    pub settled_at: Option<String>,
    pub settled_merchant: Option<String>,
    pub settled_by: Option<String>,
    #[serde(default)]
    pub settled_device: Option<String>,
    pub void_reason: Option<String>,
    pub refund_ledger_id: Option<String>,
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

impl EventDto {
    pub fn from_domain(e: &SyncEvent) -> EventDto {
        EventDto {
            id: e.id.to_string(),
            seq: e.seq,
            kind: e.kind.clone(),
            subject: e.subject.clone(),
            created_at: time_text(e.created_at),
            records: e.records.iter().map(RecordDto::from_domain).collect(),
        }
    }

    /// What makes an event itself: a retry carries the same, an event reusing an id or
    /// a sequence number does not. Records are left out because a catalogue snapshot
    /// taken at a later retry may show a newer stock figure.
    pub fn identity_digest(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.id, self.seq, self.kind, self.subject, self.created_at
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    pub fn into_domain(self) -> Result<SyncEvent, WireError> {
        let at = format!("event {}", self.seq);
        if self.seq < 1 {
            return Err(WireError(format!("{at}: sequence numbers start at 1")));
        }
        // An unknown kind is no error here: a newer peer may send one; applying sets it aside.
        Ok(SyncEvent {
            id: uuid(&self.id, &at)?,
            seq: self.seq,
            kind: self.kind,
            subject: self.subject,
            created_at: time(&self.created_at, &at)?,
            records: self
                .records
                .into_iter()
                .map(|r| r.into_domain(&at))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl RecordDto {
    fn from_domain(r: &Record) -> RecordDto {
        match r {
            Record::Household(h) => RecordDto::Household {
                code: h.code.clone(),
                grid: h.grid.clone(),
                qr_token: h.qr_token.clone(),
                residents: h
                    .residents
                    .iter()
                    .map(|r| ResidentDto {
                        id_hash: r.id_hash.clone(),
                        name: r.resident.name.clone(),
                        role: r.resident.role.key().to_string(),
                        id_last4: r.resident.id_last4.clone(),
                    })
                    .collect(),
            },
            Record::Entry(EntryRecord { entry: e, dedupe_key }) => RecordDto::Entry {
                id: e.id.to_string(),
                household: e.household.clone(),
                delta: e.delta,
                kind: e.kind.key().to_string(),
                rule_code: e.rule_code.clone(),
                reason: e.reason.clone(),
                month: e.month.to_string(),
                source: e.source.clone(),
                recorded_by: e.recorded_by.clone(),
                created_at: time_text(e.created_at),
                corrects: e.corrects.map(|c| c.to_string()),
                dedupe_key: dedupe_key.clone(),
            },
            Record::Rule(r) => RecordDto::Rule {
                code: r.code.clone(),
                area: r.area.key().to_string(),
                kind: r.kind.key().to_string(),
                points: r.points,
                text: r.text.clone(),
            },
            Record::Item(i) => RecordDto::Item {
                code: i.code.clone(),
                name: i.name.clone(),
                points_cost: i.points_cost,
                stock: match i.stock {
                    Stock::Limited(n) => Some(n),
                    Stock::Unlimited => None,
                },
                merchant: i.merchant.clone(),
                sponsor: i.sponsor.clone(),
                valid_days: i.valid_days,
                active: i.active,
                picture: i.picture.as_deref().map(|p| BASE64.encode(p)),
            },
            Record::Redemption(r) => RecordDto::Redemption {
                id: r.id.clone(),
                household: r.household.clone(),
                item_code: r.item_code.clone(),
                qty: r.qty,
                points: r.points,
                ledger_id: r.ledger_id.clone(),
                recorded_by: r.recorded_by.clone(),
                created_at: time_text(r.created_at),
                voucher: VoucherDto::from_domain(&r.voucher),
            },
            Record::Voucher(v) => RecordDto::Voucher(VoucherDto::from_domain(v)),
            Record::StockMove(m) => RecordDto::StockMove {
                id: m.id.to_string(),
                item_code: m.item_code.clone(),
                holder: m.holder.clone(),
                delta: m.delta,
                reason: m.reason.key().to_string(),
                reference: m.reference.clone(),
                created_at: time_text(m.created_at),
            },
            Record::Kiosk(k) => RecordDto::Kiosk {
                device: k.device.clone(),
                number: k.number,
                name: k.name.clone(),
                voucher_key: k.voucher_key.as_ref().map(public_key_text),
                legacy_serials: k.legacy_serials,
                retired_at: k.retired.as_ref().map(|(at, _)| time_text(*at)),
                retired_reason: k.retired.as_ref().map(|(_, why)| why.clone()),
            },
            Record::QrCard(c) => RecordDto::QrCard {
                household: c.household.clone(),
                token: c.token.clone(),
                issued_by: c.issued_by.clone(),
                issued_at: time_text(c.issued_at),
            },
            Record::ClerkAction(a) => RecordDto::ClerkAction {
                id: a.id.to_string(),
                clerk: a.clerk.clone(),
                action: a.action.clone(),
                subject: a.subject.clone(),
                detail: a.detail.clone(),
                device: a.device.clone(),
                at: time_text(a.at),
            },
            Record::Evidence(e) => RecordDto::Evidence(EvidenceDto::from_domain(e)),
            Record::Dispute(d) => RecordDto::Dispute(DisputeDto::from_domain(d)),
            Record::Unknown(_) => RecordDto::Unknown,
        }
    }

    fn into_domain(self, at: &str) -> Result<Record, WireError> {
        Ok(match self {
            RecordDto::Household {
                code,
                grid,
                qr_token,
                residents,
            } => Record::Household(HouseholdRecord {
                code,
                grid,
                qr_token,
                residents: residents
                    .into_iter()
                    .map(|r| {
                        if r.id_hash.len() != 64 || !r.id_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(WireError(format!(
                                "{at}: a resident's id_hash must be 64 hex digits (never the number itself)"
                            )));
                        }
                        if r.id_last4.chars().count() != 4 {
                            return Err(WireError(format!("{at}: id_last4 must be 4 characters")));
                        }
                        Ok(ResidentRecord {
                            id_hash: r.id_hash,
                            resident: Resident {
                                name: r.name,
                                role: Role::parse(&r.role)
                                    .ok_or_else(|| WireError(format!("{at}: unknown role '{}'", r.role)))?,
                                id_last4: r.id_last4,
                            },
                        })
                    })
                    .collect::<Result<_, _>>()?,
            }),
            RecordDto::Entry {
                id,
                household,
                delta,
                kind,
                rule_code,
                reason,
                month,
                source,
                recorded_by,
                created_at,
                corrects,
                dedupe_key,
            } => Record::Entry(EntryRecord {
                entry: LedgerEntry {
                    id: uuid(&id, at)?,
                    household,
                    delta,
                    kind: EntryKind::parse(&kind)
                        .ok_or_else(|| WireError(format!("{at}: unknown entry kind '{kind}'")))?,
                    rule_code,
                    reason,
                    month: month
                        .parse()
                        .map_err(|_| WireError(format!("{at}: month '{month}' is not YYYY-MM")))?,
                    source,
                    recorded_by,
                    created_at: time(&created_at, at)?,
                    corrects: corrects.map(|c| uuid(&c, at)).transpose()?,
                },
                dedupe_key,
            }),
            RecordDto::Rule {
                code,
                area,
                kind,
                points,
                text,
            } => {
                let area = area.parse().map_err(|e| WireError(format!("{at}: {e}")))?;
                let kind = kind.parse().map_err(|e| WireError(format!("{at}: {e}")))?;
                Record::Rule(
                    RuleItem::new(&code, area, kind, points, &text).map_err(|e| WireError(format!("{at}: {e}")))?,
                )
            }
            RecordDto::Item {
                code,
                name,
                points_cost,
                stock,
                merchant,
                sponsor,
                valid_days,
                active,
                picture,
            } => {
                if points_cost <= 0 || valid_days == 0 || stock.is_some_and(|s| s < 0) {
                    return Err(WireError(format!(
                        "{at}: item {code} needs a positive cost and validity and a stock of 0 or more"
                    )));
                }
                // A picture that is not one of ours (a JPEG within the bound) is refused
                // here: a kiosk never stores bytes it could not show.
                let picture = picture
                    .map(|p| {
                        let bytes = BASE64
                            .decode(p.as_bytes())
                            .map_err(|e| WireError(format!("{at}: the picture of item {code} is not base64: {e}")))?;
                        crate::picture::check_stored(&bytes, crate::picture::ITEM_PICTURE)
                            .map_err(|e| WireError(format!("{at}: the picture of item {code}: {e}")))?;
                        Ok::<_, WireError>(bytes)
                    })
                    .transpose()?;
                Record::Item(CatalogueItem {
                    code,
                    name,
                    points_cost,
                    stock: stock.map_or(Stock::Unlimited, Stock::Limited),
                    merchant,
                    sponsor,
                    valid_days,
                    active,
                    picture,
                })
            }
            RecordDto::Redemption {
                id,
                household,
                item_code,
                qty,
                points,
                ledger_id,
                recorded_by,
                created_at,
                voucher,
            } => {
                if qty <= 0 || points <= 0 {
                    return Err(WireError(format!(
                        "{at}: a redemption's quantity and points must be positive"
                    )));
                }
                Record::Redemption(RedemptionRecord {
                    id,
                    household,
                    item_code,
                    qty,
                    points,
                    ledger_id,
                    recorded_by,
                    created_at: time(&created_at, at)?,
                    voucher: voucher.into_domain(at)?,
                })
            }
            RecordDto::Voucher(v) => Record::Voucher(v.into_domain(at)?),
            RecordDto::StockMove {
                id,
                item_code,
                holder,
                delta,
                reason,
                reference,
                created_at,
            } => Record::StockMove(StockMove {
                id: uuid(&id, at)?,
                item_code,
                holder,
                delta,
                reason: StockMoveReason::parse(&reason)
                    .ok_or_else(|| WireError(format!("{at}: unknown stock move reason '{reason}'")))?,
                reference,
                created_at: time(&created_at, at)?,
            }),
            RecordDto::Kiosk {
                device,
                number,
                name,
                voucher_key,
                legacy_serials,
                retired_at,
                retired_reason,
            } => Record::Kiosk(KioskRecord {
                device,
                number,
                name,
                voucher_key: voucher_key
                    .map(|k| parse_public_key(&k).map_err(|e| WireError(format!("{at}: voucher key: {e}"))))
                    .transpose()?,
                legacy_serials,
                retired: retired_at
                    .map(|t| Ok::<_, WireError>((time(&t, at)?, retired_reason.unwrap_or_default())))
                    .transpose()?,
            }),
            RecordDto::QrCard {
                household,
                token,
                issued_by,
                issued_at,
            } => {
                if !crate::domain::household::is_qr_token(&token) {
                    return Err(WireError(format!(
                        "{at}: a household card's token must be 16 to 64 letters or digits"
                    )));
                }
                Record::QrCard(QrCardRecord {
                    household,
                    token,
                    issued_by,
                    issued_at: time(&issued_at, at)?,
                })
            }
            RecordDto::ClerkAction {
                id,
                clerk,
                action,
                subject,
                detail,
                device,
                at: when,
            } => Record::ClerkAction(ClerkActionRecord {
                id: uuid(&id, at)?,
                clerk,
                action,
                subject,
                detail,
                device,
                at: time(&when, at)?,
            }),
            RecordDto::Evidence(e) => Record::Evidence(e.into_domain(at)?),
            RecordDto::Dispute(d) => Record::Dispute(d.into_domain(at)?),
            RecordDto::Unknown => Record::Unknown("unknown".into()),
        })
    }
}

impl VoucherDto {
    fn from_domain(v: &VoucherRecord) -> VoucherDto {
        VoucherDto {
            serial: v.serial.clone(),
            status: v.status.key().to_string(),
            qr_payload: v.qr_payload.clone(),
            issued_at: time_text(v.issued_at),
            expires_on: v.expires_on.to_string(),
            settled_at: v.settled_at.map(time_text),
            settled_merchant: v.settled_merchant.clone(),
            settled_by: v.settled_by.clone(),
            settled_device: v.settled_device.clone(),
            void_reason: v.void_reason.clone(),
            refund_ledger_id: v.refund_ledger_id.clone(),
        }
    }

    fn into_domain(self, at: &str) -> Result<VoucherRecord, WireError> {
        Ok(VoucherRecord {
            status: VoucherStatus::parse(&self.status)
                .ok_or_else(|| WireError(format!("{at}: unknown voucher status '{}'", self.status)))?,
            issued_at: time(&self.issued_at, at)?,
            expires_on: self
                .expires_on
                .parse::<NaiveDate>()
                .map_err(|_| WireError(format!("{at}: expiry '{}' is not a date", self.expires_on)))?,
            settled_at: self.settled_at.as_deref().map(|t| time(t, at)).transpose()?,
            serial: self.serial,
            qr_payload: self.qr_payload,
            settled_merchant: self.settled_merchant,
            settled_by: self.settled_by,
            settled_device: self.settled_device,
            void_reason: self.void_reason,
            refund_ledger_id: self.refund_ledger_id,
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
