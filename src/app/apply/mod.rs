//! Applying sync events: the one algorithm both ends of the wire and both township
//! engines use (DESIGN.md §5.6, §8, §9).
//!
//! It is pure: an engine loads a [`Snapshot`] of what a batch refers to (a few queries,
//! keyed by what [`Needs::of`] lists), [`plan`] decides event by event what to write and
//! what to set aside, and the engine writes the [`Plan`] (a few statements). So the
//! engines differ in how they store, never in what they decide: order, idempotency,
//! refusals, set-aside records, overdraft and double-settlement flags are all here.
//!
//! - An event is applied whole or not at all: a record that cannot be applied sets its
//!   whole event aside with the reason, and the rest of the batch goes on. Whatever
//!   depends on it (a settlement of a voucher whose redemption waits) fails on the missing
//!   piece and waits with it; set-aside events are tried again every round.
//! - Applying is idempotent: entries by id or scoring-sheet key, redemptions by id, stock
//!   moves by id, settlements and voids once per voucher.
//! - Events from a kiosk are checked against what a kiosk may originate ([`authority`]);
//!   the township's own feed, pulled by a kiosk, is trusted (its answers are signed).

mod authority;
mod plan;
pub(crate) mod receive;
pub(crate) mod sqlite;

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use uuid::Uuid;

use crate::domain::catalogue::{CatalogueItem, StockMove};
use crate::domain::evidence::{DisputeRecord, EvidenceRecord};
use crate::domain::funds::{FundCost, FundReceiptRecord, ItemCostRecord, ProxyRecord, SponsorRecord};
use crate::domain::kiosk::KioskRecord;
use crate::domain::records::{
    ClerkActionRecord, EntryRecord, Record, RedemptionRecord, ResidentRecord, SyncEvent, VoucherRecord,
};
use crate::domain::rules::RuleItem;
use crate::domain::voucher::VoucherStatus;
use crate::store::{EntryFacts, VoucherFacts};

pub use authority::award_within_rule;
pub use plan::plan;

/// Who sent the events being applied.
#[derive(Debug, Clone)]
pub enum Origin {
    /// The township's change feed, pulled by a kiosk.
    Township,
    /// A kiosk's pushed events, taken at the township only within a kiosk's authority.
    Kiosk(Box<KioskIdentity>),
}

/// The pushing kiosk as the township registered it.
#[derive(Debug, Clone)]
pub struct KioskIdentity {
    pub device: String,
    pub village: String,
    /// Its number within the village; serials it prints carry it.
    pub number: Option<u32>,
    /// Verifies the vouchers it prints.
    pub voucher_key: Option<VerifyingKey>,
    /// It printed unnumbered serials before fleets; only such a kiosk may send them.
    pub legacy_serials: bool,
}

/// One event to apply: new in this batch, or set aside before and tried again.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub event: &'a SyncEvent,
    pub retry: bool,
}

/// Why an event was set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Index into the candidates given to [`plan`].
    pub index: usize,
    pub reason: String,
    /// True when a kiosk sent what no kiosk may send (never applied, shown to staff);
    /// false when it waits for something (a household the township does not know yet).
    pub forbidden: bool,
}

/// A household as applying needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdState {
    pub grid: String,
    pub qr_token: Option<String>,
    pub balance: i64,
}

/// What the events of a batch refer to, loaded before planning. Rules, items, shelves
/// and kiosks are small and loaded whole; the rest by the keys [`Needs`] lists.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub households: HashMap<String, HouseholdState>,
    /// QR token → household.
    pub tokens: HashMap<String, String>,
    /// Resident ID hash → household.
    pub residents: HashMap<String, String>,
    pub rules: HashMap<String, RuleItem>,
    pub items: HashMap<String, CatalogueItem>,
    /// (item, holder) → stock on that shelf.
    pub shelves: HashMap<(String, String), i64>,
    pub entries: HashMap<Uuid, EntryFacts>,
    pub dedupe_keys: HashSet<String>,
    pub redemptions: HashSet<String>,
    pub vouchers: HashMap<String, VoucherFacts>,
    pub moves: HashSet<Uuid>,
    /// Device id → kiosk.
    pub kiosks: HashMap<String, KioskRecord>,
    pub clerk_actions: HashSet<Uuid>,
    /// Photos already recorded, by id.
    pub evidence: HashSet<Uuid>,
    /// Disputes already recorded: id → whether answered.
    pub disputes: HashMap<Uuid, bool>,
    /// Entry → its open dispute, for the entries the batch's disputes name.
    pub open_disputes: HashMap<Uuid, Uuid>,
    /// Entry ids, redemption ids and serials held by another village (PostgreSQL keeps
    /// every village in one set of tables); a record claiming one is refused.
    pub foreign: HashSet<String>,
    /// Sponsors of the village (few; loaded whole).
    pub sponsors: HashSet<String>,
    /// Gifts already recorded, of the ids the batch names.
    pub fund_receipts: HashSet<String>,
    /// Item → what one unit costs which fund (loaded whole).
    pub item_costs: HashMap<String, FundCost>,
    /// Serial → whether its delivery is confirmed, for the batch's proxy redemptions.
    pub proxies: HashMap<String, bool>,
}

/// The keys a batch refers to, for loading its [`Snapshot`].
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub households: BTreeSet<String>,
    pub tokens: BTreeSet<String>,
    pub id_hashes: BTreeSet<String>,
    pub entry_ids: BTreeSet<Uuid>,
    pub dedupe_keys: BTreeSet<String>,
    pub redemption_ids: BTreeSet<String>,
    pub serials: BTreeSet<String>,
    pub move_ids: BTreeSet<Uuid>,
    pub clerk_action_ids: BTreeSet<Uuid>,
    pub evidence_ids: BTreeSet<Uuid>,
    pub dispute_ids: BTreeSet<Uuid>,
    /// Entries whose open dispute must be known.
    pub disputed_entries: BTreeSet<Uuid>,
    pub fund_receipt_ids: BTreeSet<String>,
    /// Serials whose proxy redemption must be known.
    pub proxy_serials: BTreeSet<String>,
}

/// A household taken below zero by an entry applied here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdraft {
    pub entry: Uuid,
    pub household: String,
    pub balance_after: i64,
}

/// A voucher settled (or settled and voided) at two places: the first one applied is
/// kept, the other is kept here for staff, naming both places and clerks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoubleSettlement {
    pub serial: String,
    pub kept_status: VoucherStatus,
    pub kept_device: Option<String>,
    pub kept_by: Option<String>,
    pub kept_at: Option<DateTime<Utc>>,
    pub other_device: Option<String>,
    pub other_by: Option<String>,
    pub other_merchant: Option<String>,
    pub other_at: Option<DateTime<Utc>>,
}

/// What applying a batch writes, in an order the tables' references allow.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// New households: (code, grid).
    pub households: Vec<(String, String)>,
    /// A household's QR token set or replaced: (household, token).
    pub tokens: Vec<(String, String)>,
    pub residents: Vec<(String, ResidentRecord)>,
    pub rules: Vec<RuleItem>,
    /// New items (a limited one starts at 0; its stock comes as moves).
    pub new_items: Vec<CatalogueItem>,
    /// Changed names, costs, merchants… (never stock).
    pub item_updates: Vec<CatalogueItem>,
    pub entries: Vec<EntryRecord>,
    pub overdrafts: Vec<Overdraft>,
    pub redemptions: Vec<RedemptionRecord>,
    /// Settlements and voids, in order.
    pub voucher_updates: Vec<VoucherRecord>,
    pub double_settlements: Vec<DoubleSettlement>,
    pub moves: Vec<StockMove>,
    pub kiosks: Vec<KioskRecord>,
    pub clerk_actions: Vec<ClerkActionRecord>,
    pub evidence: Vec<EvidenceRecord>,
    /// Disputes opened, or answers written onto them.
    pub disputes: Vec<DisputeRecord>,
    pub sponsors: Vec<SponsorRecord>,
    pub fund_receipts: Vec<FundReceiptRecord>,
    /// Costs set or taken off.
    pub item_costs: Vec<ItemCostRecord>,
    /// Proxy redemptions new here (with their delivery when it came with them).
    pub proxies: Vec<ProxyRecord>,
    /// Deliveries confirmed of proxy redemptions held already.
    pub deliveries: Vec<ProxyRecord>,
    /// Candidates that changed something (the township relays them to other kiosks).
    pub changed: Vec<usize>,
    /// Candidates applied without error, whether or not they changed anything.
    pub applied: Vec<usize>,
    pub set_aside: Vec<SetAside>,
}

impl Needs {
    /// Every key the events' records name.
    pub fn of<'a>(events: impl IntoIterator<Item = &'a SyncEvent>) -> Needs {
        let mut n = Needs::default();
        for record in events.into_iter().flat_map(|e| &e.records) {
            match record {
                Record::Household(h) => {
                    n.households.insert(h.code.clone());
                    n.tokens.extend(h.qr_token.clone());
                    n.id_hashes.extend(h.residents.iter().map(|r| r.id_hash.clone()));
                }
                Record::Entry(e) => {
                    n.households.insert(e.entry.household.clone());
                    n.entry_ids.insert(e.entry.id);
                    n.entry_ids.extend(e.entry.corrects);
                    n.dedupe_keys.extend(e.dedupe_key.clone());
                }
                Record::Redemption(r) => {
                    n.households.insert(r.household.clone());
                    n.redemption_ids.insert(r.id.clone());
                    n.serials.insert(r.voucher.serial.clone());
                    n.entry_ids.extend(Uuid::parse_str(&r.ledger_id).ok());
                }
                Record::Voucher(v) => {
                    n.serials.insert(v.serial.clone());
                    n.entry_ids
                        .extend(v.refund_ledger_id.as_deref().and_then(|id| Uuid::parse_str(id).ok()));
                }
                Record::StockMove(m) => {
                    n.move_ids.insert(m.id);
                }
                Record::QrCard(c) => {
                    n.households.insert(c.household.clone());
                    n.tokens.insert(c.token.clone());
                }
                Record::ClerkAction(a) => {
                    n.clerk_action_ids.insert(a.id);
                }
                Record::Evidence(e) => {
                    n.evidence_ids.insert(e.id);
                    n.entry_ids.insert(e.entry);
                }
                Record::Dispute(d) => {
                    n.dispute_ids.insert(d.id);
                    n.disputed_entries.insert(d.entry);
                    n.entry_ids.insert(d.entry);
                    n.entry_ids.extend(d.outcome.as_ref().and_then(|o| o.correction));
                    n.households.insert(d.household.clone());
                }
                Record::FundReceipt(r) => {
                    n.fund_receipt_ids.insert(r.id.clone());
                }
                Record::Proxy(p) => {
                    n.serials.insert(p.serial.clone());
                    n.proxy_serials.insert(p.serial.clone());
                }
                Record::Rule(_)
                | Record::Item(_)
                | Record::Kiosk(_)
                | Record::Sponsor(_)
                | Record::ItemCost(_)
                | Record::Unknown(_) => {}
            }
        }
        n
    }
}

impl Plan {
    /// True when nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.households.is_empty()
            && self.tokens.is_empty()
            && self.residents.is_empty()
            && self.rules.is_empty()
            && self.new_items.is_empty()
            && self.item_updates.is_empty()
            && self.entries.is_empty()
            && self.redemptions.is_empty()
            && self.voucher_updates.is_empty()
            && self.double_settlements.is_empty()
            && self.moves.is_empty()
            && self.kiosks.is_empty()
            && self.clerk_actions.is_empty()
            && self.evidence.is_empty()
            && self.disputes.is_empty()
            && self.sponsors.is_empty()
            && self.fund_receipts.is_empty()
            && self.item_costs.is_empty()
            && self.proxies.is_empty()
            && self.deliveries.is_empty()
    }
}
