//! The event and record DTOs, and how a domain record is written into them.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::evidence::{DisputeDto, EvidenceDto};
use super::funds::{FundCostDto, FundReceiptDto, ItemCostDto, ProxyDto, SponsorDto};
use super::{time, time_text, uuid, WireError};
use crate::domain::catalogue::Stock;
use crate::domain::kiosk::public_key_text;
use crate::domain::records::{EntryRecord, Record, SyncEvent, VoucherRecord};

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
        /// The cost committed against a sponsor's fund; absent when no fund pays.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fund: Option<FundCostDto>,
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
    Sponsor(SponsorDto),
    FundReceipt(FundReceiptDto),
    ItemCost(ItemCostDto),
    Proxy(ProxyDto),
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
    pub(super) fn from_domain(r: &Record) -> RecordDto {
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
                fund: r.fund.as_ref().map(FundCostDto::from_domain),
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
            Record::Sponsor(s) => RecordDto::Sponsor(SponsorDto::from_domain(s)),
            Record::FundReceipt(r) => RecordDto::FundReceipt(FundReceiptDto::from_domain(r)),
            Record::ItemCost(c) => RecordDto::ItemCost(ItemCostDto::from_domain(c)),
            Record::Proxy(p) => RecordDto::Proxy(ProxyDto::from_domain(p)),
            Record::Unknown(_) => RecordDto::Unknown,
        }
    }
}

impl VoucherDto {
    pub(super) fn from_domain(v: &VoucherRecord) -> VoucherDto {
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
}
