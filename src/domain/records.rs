//! What travels between a kiosk and the township: events made of records.
//!
//! An outbox event (a redemption, a settlement, a sheet import…) is expanded into the
//! records that let the other side reproduce it. Applying a record is idempotent on both
//! sides (ledger entries by id, households and residents by code and ID hash, vouchers by
//! serial), which is what makes at-least-once delivery safe (DESIGN.md §5.6). The wire
//! format of these types lives in `sync/`, not here.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::catalogue::{CatalogueItem, StockMove};
use super::evidence::{DisputeRecord, EvidenceRecord};
use super::funds::{FundCost, FundReceiptRecord, ItemCostRecord, ProxyRecord, SponsorRecord};
use super::household::Resident;
use super::kiosk::KioskRecord;
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
    /// Goods onto or off one kiosk's shelf.
    StockMove(StockMove),
    /// A kiosk of the village: its number, voucher key, retirement (township only).
    Kiosk(KioskRecord),
    /// A household QR card issued anew: the new token replaces the old one, which stops
    /// opening the account at once.
    QrCard(QrCardRecord),
    /// What a clerk did at a kiosk (restock, settle, void, reprint, award…), for the audit log.
    ClerkAction(ClerkActionRecord),
    /// A photo on a ledger entry (its bytes follow on their own route).
    Evidence(EvidenceRecord),
    /// A household's dispute of an entry: opened at a kiosk, answered at the township.
    Dispute(DisputeRecord),
    /// A sponsor of the village (its fund's gifts, costs and commitments name it).
    Sponsor(SponsorRecord),
    /// Money received from a sponsor.
    FundReceipt(FundReceiptRecord),
    /// What one unit of an item costs its sponsor's fund, or that no fund pays for it.
    ItemCost(ItemCostRecord),
    /// A voucher redeemed by a clerk on a household's behalf, and its delivery.
    Proxy(ProxyRecord),
    /// A record of a kind this build does not know (a newer township or kiosk sent it).
    /// Never applied; the event that carries it is set aside with the reason.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClerkActionRecord {
    pub id: Uuid,
    pub clerk: String,
    /// `restock`, `edit`, `settle`, `void`, `reprint`, `award`, `correct`, `card`, `redeem_for`…
    pub action: String,
    /// What it was done to: an item code, a serial, a household.
    pub subject: String,
    pub detail: String,
    /// The kiosk where it was done.
    pub device: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCardRecord {
    pub household: String,
    pub token: String,
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
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
    /// The cost committed against a sponsor's fund in the redemption's transaction.
    pub fund: Option<FundCost>,
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
    /// The kiosk where it was settled, so a double settlement names both places.
    pub settled_device: Option<String>,
    pub void_reason: Option<String>,
    pub refund_ledger_id: Option<String>,
}

impl VoucherRecord {
    /// The voucher as it was issued: what a redemption event carries. Its settlement or
    /// void travels in an event of its own, so each event reproduces just its own change
    /// (and a redemption sent after its voucher was settled still arrives as issued).
    pub fn as_issued(&self) -> VoucherRecord {
        VoucherRecord {
            status: VoucherStatus::Pending,
            settled_at: None,
            settled_merchant: None,
            settled_by: None,
            settled_device: None,
            void_reason: None,
            refund_ledger_id: None,
            ..self.clone()
        }
    }
}

/// The outbox event kinds a kiosk or a township village writes. A kind outside this list
/// (from a newer peer) is not an error: its records decide what happens to it.
pub const EVENT_KINDS: &[&str] = &[
    "redemption",
    "voucher_settled",
    "voucher_voided",
    "catalogue_changed",
    "stock_moved",
    "ledger_entry",
    "household_changed",
    "rule_changed",
    "kiosk_changed",
    "qr_card_issued",
    "clerk_action",
    "evidence_added",
    "dispute_opened",
    "dispute_resolved",
    "sponsor_added",
    "sponsor_funded",
    "voucher_delivered",
];
