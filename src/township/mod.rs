//! The township's use cases: villages and their kiosks, receiving pushed events,
//! serving each village's change feed, imports and reports for township staff.
//!
//! The HTTP server (`sync::server`) and the `jifen township` commands call these
//! through [`TownshipStorage`], so a second engine (PostgreSQL, issue 7) can stand
//! behind the same calls. The SQLite engine keeps a small registry database (villages,
//! devices, nonces) and one database per village with the kiosk's own schema: the
//! village's outbox is its change feed, and receiving an event runs the same idempotent
//! apply code a kiosk runs on a pulled page.

mod backup;
pub mod console;
pub mod console_drafts;
mod console_engines;
mod pg_apply;
mod pg_evidence;
mod pg_feed;
mod pg_imports;
mod pg_vouchers;
mod postgres;
mod sqlite;
pub mod voucher_desk;
pub mod weekly_feedback;

use serde::Serialize;

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::app::{
    AccountView, AppError, AwardReceipt, CatalogueItemView, ChangePage, DisputeListing, DisputeView, ImportReport,
    IncomingEvent, RankingView, ReceiveOutcome, Resolution,
};
use crate::app::{HeldVoucher, HonoursView, MerchantMonth, SponsorView};
use crate::domain::honours::HonoursRule;
use crate::domain::kiosk::{parse_public_key, KioskRecord};
use crate::domain::period::{Month, Quarter};
use crate::domain::rules::RuleItem;
use crate::installation::InstallationError;
use crate::store::pg::{AsPgError, PgError};
use crate::store::{DeviceRow, DoubleSettlementRow, OverdraftRow, SetAsideRow, StoreError, VillageRow, VillageSummary};

pub use backup::{BackupReport, ServingLock};
pub use postgres::PgTownship;
pub use sqlite::SqliteTownship;

#[derive(Debug, thiserror::Error)]
pub enum TownshipError {
    #[error("no village with code {0} is registered at the township")]
    UnknownVillage(String),
    #[error("village {0} is already registered")]
    VillageExists(String),
    #[error("this public key is already registered as device {0}")]
    DeviceExists(String),
    #[error("no kiosk {device} is registered in village {village}")]
    UnknownDevice { village: String, device: String },
    #[error("village {village} already has a kiosk number {number} ({device})")]
    NumberTaken {
        village: String,
        number: u32,
        device: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Installation(#[from] InstallationError),
    #[error(transparent)]
    Postgres(PgError),
}

impl From<PgError> for TownshipError {
    fn from(e: PgError) -> Self {
        match e {
            PgError::UnknownVillage(code) => TownshipError::UnknownVillage(code),
            other => TownshipError::Postgres(other),
        }
    }
}

impl AsPgError for TownshipError {
    fn as_pg(&self) -> Option<&PgError> {
        match self {
            TownshipError::Postgres(e) => Some(e),
            _ => None,
        }
    }
}

pub type Result<T, E = TownshipError> = std::result::Result<T, E>;

/// Where a township keeps its data. Every method is one transaction (or one per
/// village); implementations are shared between the server's worker threads.
pub trait TownshipStorage: Send + Sync {
    fn villages(&self) -> Result<Vec<VillageRow>>;
    fn village(&self, code: &str) -> Result<Option<VillageRow>>;
    /// Registers a village; `id_number_key` adopts an existing kiosk's key (so residents
    /// it registered are found), else a new key is made.
    fn add_village(&self, code: &str, name: &str, id_number_key: Option<[u8; 32]>) -> Result<VillageRow>;
    /// The village's key for hashing resident ID numbers (DESIGN.md §5.7).
    fn id_number_key(&self, village: &str) -> Result<[u8; 32]>;

    fn device(&self, id: &str) -> Result<Option<DeviceRow>>;
    fn devices(&self) -> Result<Vec<DeviceRow>>;
    /// Registers a kiosk and gives it the next number of its village (or `number`, to
    /// register a box again with the number its serials already carry). The village's
    /// kiosks learn of it through the feed.
    fn add_device(&self, village: &str, name: &str, public_key: &str, number: Option<u32>) -> Result<DeviceRow>;
    /// A lost or stolen box: refused from now on. What it printed before still settles.
    fn retire_device(&self, village: &str, device: &str, reason: &str) -> Result<DeviceRow>;
    /// False when the device used this nonce before (a replayed request).
    fn remember_nonce(&self, device: &str, nonce: &str, now_unix: i64) -> Result<bool>;
    /// A kiosk's hello (or, without one, a plain question about its village): records what
    /// it said and answers what it must know before pushing and pulling.
    fn hello(&self, village: &str, device: &str, hello: Option<&DeviceHello>) -> Result<VillageFacts>;
    /// The highest sequence number of `device` the village holds.
    fn acked_through(&self, village: &str, device: &str) -> Result<i64>;
    /// Signs every answer; made on first use.
    fn township_key(&self) -> Result<SigningKey>;
    /// After a restore from a backup: every village's feed gets a new generation, so each
    /// kiosk pulls again what it may have seen under positions now handed out anew.
    fn mark_restored(&self) -> Result<()>;

    fn receive(&self, village: &str, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome>;
    /// Tries the village's set-aside events again; `decode` reads their wire text.
    fn retry_set_aside(&self, village: &str, decode: &dyn Fn(&str) -> Option<IncomingEvent>) -> Result<usize>;
    fn changes(&self, village: &str, device: &str, after: i64, limit: usize) -> Result<ChangePage>;
    /// Puts goods on a kiosk's shelf (the township buys, the kiosk hands out).
    fn restock(&self, village: &str, device: &str, item: &str, qty: i64, by: &str) -> Result<CatalogueItemView>;

    fn import_households(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport>;
    fn import_points(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport>;
    /// Imports rules for every village, and for villages added later.
    fn import_rules(&self, file: &str, bytes: &[u8]) -> Result<ImportReport>;
    fn rules(&self) -> Result<Vec<RuleItem>>;
    fn household(&self, village: &str, code: &str) -> Result<AccountView>;
    fn ranking(&self, village: &str, quarter: Quarter) -> Result<RankingView>;
    fn areas(&self, village: &str, quarter: Quarter) -> Result<Vec<AreaPoints>>;
    fn overdrafts(&self, village: &str) -> Result<Vec<OverdraftRow>>;
    fn double_settlements(&self, village: &str) -> Result<Vec<DoubleSettlementRow>>;
    /// Events set aside in the village, each with its reason.
    fn sync_problems(&self, village: &str) -> Result<Vec<SetAsideRow>>;
    /// `admin verify` of a village's database: empty when sound.
    fn verify(&self, village: &str) -> Result<Vec<String>>;
    /// Every ledger id, each balance, the vouchers and the feed's length: what a kiosk and
    /// the township must agree on.
    fn summary(&self, village: &str) -> Result<VillageSummary>;
    /// The vouchers the village's merchants accepted in a month (China time), merchant by
    /// merchant, and what its sponsors' funds owe each.
    fn merchants(&self, village: &str, month: Month) -> Result<Vec<MerchantMonth>>;
    /// The web console's accounts, sessions and audit log.
    fn console(&self) -> &dyn console::ConsoleStorage;
    /// The village's star households of a year (一年一评比) by `rule`.
    fn honours(&self, village: &str, year: i32, rule: &HonoursRule) -> Result<HonoursView>;
    /// The village's sponsors and what their funds have received, committed and spent.
    fn sponsors(&self, village: &str) -> Result<Vec<SponsorView>>;

    /// An award or deduction recorded at the township, with its photos (issue 17).
    fn award(&self, village: &str, award: &TownshipAward) -> Result<AwardReceipt>;
    /// A photo's bytes, for a kiosk fetching them.
    fn photo(&self, village: &str, sha256: &str) -> Result<Option<Vec<u8>>>;
    /// Takes a photo's bytes from a kiosk (checked against the digest and the bound); false
    /// when no entry of the village names the photo (yet).
    fn put_photo(&self, village: &str, sha256: &str, bytes: &[u8]) -> Result<bool>;
    /// The village's disputes for staff, overdue ones first.
    fn disputes(&self, village: &str, open_only: bool) -> Result<Vec<DisputeListing>>;
    /// Answers a dispute, wherever its village is.
    fn resolve_dispute(&self, id: &str, resolution: Resolution, note: &str, by: &str) -> Result<DisputeView>;

    /// The voucher the village holds under `serial`, with its item's name and shop.
    fn held_voucher(&self, village: &str, serial: &str) -> Result<Option<HeldVoucher>>;
    /// Settles an outstanding voucher that a shop owner took on the console, once, and
    /// puts it in the kiosks' feed; `false` when it was no longer outstanding.
    fn settle_at_township(&self, village: &str, serial: &str, merchant: &str, by: &str) -> Result<bool>;
}

/// An award or deduction as township staff give it.
pub use crate::app::AwardOrder as TownshipAward;

/// What a kiosk says at the start of a round.
#[derive(Debug, Clone)]
pub struct DeviceHello {
    pub voucher_key: VerifyingKey,
    pub outbox_last: i64,
    pub legacy_serials: bool,
    pub kiosk_number: Option<u32>,
}

/// What the township tells a kiosk at the start of a round.
#[derive(Debug, Clone)]
pub struct VillageFacts {
    pub village: VillageRow,
    pub id_number_key: [u8; 32],
    pub kiosk_number: u32,
    pub generation: String,
    pub acked_through: i64,
    pub feed_last: i64,
}

/// A registered device as its village's kiosks know it.
pub fn kiosk_record(d: &DeviceRow) -> KioskRecord {
    KioskRecord {
        device: d.id.clone(),
        number: d.number,
        name: d.name.clone(),
        voucher_key: d.voucher_key.as_deref().and_then(|k| parse_public_key(k).ok()),
        legacy_serials: d.legacy_serials,
        retired: d.retired.clone(),
    }
}

/// Kiosk numbers are part of serials: 1 to 999.
fn check_number(n: u32) -> Result<()> {
    if (1..=crate::domain::voucher::MAX_KIOSK_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(TownshipError::Invalid(format!(
            "a kiosk number is 1 to {}, not {n}",
            crate::domain::voucher::MAX_KIOSK_NUMBER
        )))
    }
}

/// The township's rules before any village exists: the standard set with the township's
/// rule imports applied in order.
fn township_rules(imports: Vec<(String, Vec<u8>)>) -> Result<Vec<RuleItem>> {
    let mut rules = crate::app::standard_rules()?;
    for (file, csv) in imports {
        for rule in crate::app::check_rules_csv(&file, &csv)? {
            match rules.iter_mut().find(|r| r.code == rule.code) {
                Some(r) => *r = rule,
                None => rules.push(rule),
            }
        }
    }
    Ok(rules)
}

/// Points by area in one village over a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaPoints {
    pub village: String,
    pub area: String,
    pub points: i64,
    pub entries: i64,
}

impl AreaPoints {
    /// A village's (area, points, entries) rows, as either engine reads them.
    fn of(village: &str, rows: Vec<(String, i64, i64)>) -> Vec<AreaPoints> {
        rows.into_iter()
            .map(|(area, points, entries)| AreaPoints {
                village: village.to_string(),
                area,
                points,
                entries,
            })
            .collect()
    }
}

/// One row of the ranking across villages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TownshipRankRow {
    pub rank: u32,
    pub village: String,
    pub household_code: String,
    pub head: Option<String>,
    pub earned: i64,
}

/// Ranks every household of the given villages together by points earned in the quarter.
pub fn ranking_across(
    storage: &dyn TownshipStorage,
    villages: &[VillageRow],
    quarter: Quarter,
) -> Result<Vec<TownshipRankRow>> {
    let mut all = Vec::new();
    for v in villages {
        for row in storage.ranking(&v.code, quarter)?.rows {
            all.push((v.code.clone(), row));
        }
    }
    let ranked = crate::domain::ranking::rank(all.iter().enumerate().map(|(i, (_, r))| (i, r.earned)));
    Ok(ranked
        .into_iter()
        .map(|r| {
            let (village, row) = &all[r.key];
            TownshipRankRow {
                rank: r.rank,
                village: village.clone(),
                household_code: row.household_code.clone(),
                head: row.head.clone(),
                earned: row.earned,
            }
        })
        .collect())
}
