//! The JSON of the `/v1` sync API (docs/sync-protocol.md). These DTOs are the only
//! serde view of sync data; conversions to domain records check every field, so a
//! malformed body is refused with a reason before anything is written.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::{ChangePage, IncomingEvent, ReceiveOutcome};
use crate::domain::catalogue::{CatalogueItem, Stock};
use crate::domain::household::{Resident, Role};
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::records::{
    EntryRecord, HouseholdRecord, Record, RedemptionRecord, ResidentRecord, SyncEvent, VoucherRecord, EVENT_KINDS,
};
use crate::domain::rules::RuleItem;
use crate::domain::voucher::VoucherStatus;

/// A body that does not describe valid sync data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WireError(pub String);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub events: Vec<EventDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushResponse {
    pub acked_through: i64,
    pub applied: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<RefusedDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusedDto {
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullResponse {
    pub changes: Vec<EventDto>,
    pub next_cursor: i64,
    pub more: bool,
}

/// `GET /v1/villages/{code}`: what a kiosk needs before its first pull.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VillageResponse {
    pub code: String,
    pub name: String,
    pub device: String,
    /// The village's ID-number hashing key (base64), so a kiosk finds residents the
    /// township registered. Only ever sent to a registered device of the village.
    pub id_number_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDto {
    pub id: String,
    pub seq: i64,
    pub kind: String,
    pub subject: String,
    pub created_at: String,
    pub records: Vec<RecordDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidentDto {
    pub id_hash: String,
    pub name: String,
    pub role: String,
    pub id_last4: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoucherDto {
    pub serial: String,
    pub status: String,
    pub qr_payload: String,
    pub issued_at: String,
    pub expires_on: String,
    pub settled_at: Option<String>,
    pub settled_merchant: Option<String>,
    pub settled_by: Option<String>,
    pub void_reason: Option<String>,
    pub refund_ledger_id: Option<String>,
}

impl PushRequest {
    pub fn new(events: &[SyncEvent]) -> PushRequest {
        PushRequest {
            events: events.iter().map(EventDto::from_domain).collect(),
        }
    }

    /// The events with their identity digests, or the first thing wrong with them.
    pub fn into_incoming(self) -> Result<Vec<IncomingEvent>, WireError> {
        self.events
            .into_iter()
            .map(|dto| {
                let digest = dto.identity_digest();
                Ok(IncomingEvent {
                    event: dto.into_domain()?,
                    digest,
                })
            })
            .collect()
    }
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

    pub fn into_page(self) -> Result<ChangePage, WireError> {
        Ok(ChangePage {
            changes: self
                .changes
                .into_iter()
                .map(EventDto::into_domain)
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
        if !EVENT_KINDS.contains(&self.kind.as_str()) {
            return Err(WireError(format!("{at}: unknown kind '{}'", self.kind)));
        }
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
            } => {
                if points_cost <= 0 || valid_days == 0 || stock.is_some_and(|s| s < 0) {
                    return Err(WireError(format!(
                        "{at}: item {code} needs a positive cost and validity and a stock of 0 or more"
                    )));
                }
                Record::Item(CatalogueItem {
                    code,
                    name,
                    points_cost,
                    stock: stock.map_or(Stock::Unlimited, Stock::Limited),
                    merchant,
                    sponsor,
                    valid_days,
                    active,
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
            void_reason: self.void_reason,
            refund_ledger_id: self.refund_ledger_id,
        })
    }
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn time(s: &str, at: &str) -> Result<DateTime<Utc>, WireError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| WireError(format!("{at}: '{s}' is not an RFC 3339 time")))
}

fn uuid(s: &str, at: &str) -> Result<Uuid, WireError> {
    Uuid::parse_str(s).map_err(|_| WireError(format!("{at}: '{s}' is not a UUID")))
}
