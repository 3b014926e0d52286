//! What travels between a kiosk and the township: events made of records.
//!
//! An outbox event (a redemption, a settlement, a sheet import…) is expanded into the
//! records that let the other side reproduce it. Applying a record is idempotent on both
//! sides (ledger entries by id, households and residents by code and ID hash, vouchers by
//! serial), which is what makes at-least-once delivery safe (DESIGN.md §5.6). The wire
//! format of these types lives in `sync/`, not here.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::catalogue::CatalogueItem;
use super::household::Resident;
use super::ledger::LedgerEntry;
use super::rules::RuleItem;
use super::voucher::VoucherStatus;

/// One outbox event with its records. On a kiosk `seq` is the device sequence number;
/// in a pulled page it is the position in the village's change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncEvent {
    pub id: Uuid,
    pub seq: i64,
    pub kind: String,
    /// What the event is about: a redemption id, a serial, a household or item code.
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Household(HouseholdRecord),
    Entry(EntryRecord),
    Rule(RuleItem),
    Item(CatalogueItem),
    Redemption(RedemptionRecord),
    /// A voucher's settlement or void (the voucher itself comes with its redemption).
    Voucher(VoucherRecord),
}

/// A household and its residents; residents travel as keyed hashes only (§5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRecord {
    pub code: String,
    pub grid: String,
    pub qr_token: Option<String>,
    pub residents: Vec<ResidentRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentRecord {
    pub id_hash: String,
    pub resident: Resident,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRecord {
    pub entry: LedgerEntry,
    /// The scoring-sheet key (month, household, rule), so one sheet imported at the
    /// kiosk and at the township still counts once.
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedemptionRecord {
    pub id: String,
    pub household: String,
    pub item_code: String,
    pub qty: i64,
    pub points: i64,
    pub ledger_id: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub voucher: VoucherRecord,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherRecord {
    pub serial: String,
    pub status: VoucherStatus,
    pub qr_payload: String,
    pub issued_at: DateTime<Utc>,
    pub expires_on: NaiveDate,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_merchant: Option<String>,
    pub settled_by: Option<String>,
    pub void_reason: Option<String>,
    pub refund_ledger_id: Option<String>,
}

/// The outbox event kinds a kiosk or a township village writes.
pub const EVENT_KINDS: &[&str] = &[
    "redemption",
    "voucher_settled",
    "voucher_voided",
    "catalogue_changed",
    "ledger_entry",
    "household_changed",
    "rule_changed",
];
