//! The township's use cases: villages and their kiosks, receiving pushed events,
//! serving each village's change feed, imports and reports for township staff.
//!
//! The HTTP server (`sync::server`) and the `jifen township` commands call these
//! through [`TownshipStorage`], so a second engine (PostgreSQL, issue 7) can stand
//! behind the same calls. The SQLite engine keeps a small registry database (villages,
//! devices, nonces) and one database per village with the kiosk's own schema: the
//! village's outbox is its change feed, and receiving an event runs the same idempotent
//! apply code a kiosk runs on a pulled page.

mod postgres;
mod sqlite;

use serde::Serialize;

use crate::app::{AccountView, AppError, ChangePage, ImportReport, IncomingEvent, RankingView, ReceiveOutcome};
use crate::domain::period::Quarter;
use crate::domain::rules::RuleItem;
use crate::installation::InstallationError;
use crate::store::pg::{AsPgError, PgError, VillageSummary};
use crate::store::{DeviceRow, OverdraftRow, StoreError, VillageRow};

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
    fn add_device(&self, village: &str, name: &str, public_key: &str) -> Result<DeviceRow>;
    /// False when the device used this nonce before (a replayed request).
    fn remember_nonce(&self, device: &str, nonce: &str, now_unix: i64) -> Result<bool>;

    fn receive(&self, village: &str, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome>;
    fn changes(&self, village: &str, device: &str, after: i64, limit: usize) -> Result<ChangePage>;

    fn import_households(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport>;
    fn import_points(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport>;
    /// Imports rules for every village, and for villages added later.
    fn import_rules(&self, file: &str, bytes: &[u8]) -> Result<ImportReport>;
    fn rules(&self) -> Result<Vec<RuleItem>>;
    fn household(&self, village: &str, code: &str) -> Result<AccountView>;
    fn ranking(&self, village: &str, quarter: Quarter) -> Result<RankingView>;
    fn areas(&self, village: &str, quarter: Quarter) -> Result<Vec<AreaPoints>>;
    fn overdrafts(&self, village: &str) -> Result<Vec<OverdraftRow>>;
    /// `admin verify` of a village's database: empty when sound.
    fn verify(&self, village: &str) -> Result<Vec<String>>;
    /// Every ledger id, each balance, the vouchers and the feed's length: what a kiosk and
    /// the township must agree on.
    fn summary(&self, village: &str) -> Result<VillageSummary>;
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
