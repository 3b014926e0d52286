//! The use cases, shared by every front end (CLI now; touch UI and sync later).
//!
//! An [`App`] owns the store, the clock and the installation's keys. Each service is a
//! method that runs one store transaction, so every business rule (no overdraw, stock
//! never negative, each serial settled once) is enforced where the change is made,
//! not in a query a front end might forget to call.

mod account;
mod catalogue;
mod clerks;
pub mod demo;
mod error;
pub mod export;
mod imports;
mod points;
mod printing;
mod printouts;
mod ranking;
mod redeem;
mod sync;
mod verify;
mod vouchers;

use std::sync::Arc;

use uuid::Uuid;

use crate::domain::clock::Clock;
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::period::Month;
use crate::domain::rules::{RuleItem, STANDARD_RULES_CSV};
use crate::installation::{DataDir, Keys};
use crate::store::Store;

pub use account::{account_view_from, AccountParts, AccountView, EntryView, Identity, MemberView, ENTRIES_SHOWN};
pub use catalogue::{CatalogueItemView, ItemChanges, NewItem};
pub use demo::DemoSummary;
pub use error::{AppError, LineError};
pub use imports::{
    check_rules_csv, plan_households, plan_points, sheet_keys, standard_rules, HouseholdPlan, ImportLookup,
    ImportReport, PointsPlan,
};
pub use points::AwardReceipt;
pub use printing::{Document, PrintFailure, PrintJob, PrintReport, Printer, Printout};
pub use ranking::{ranking_rows, RankingRow, RankingView};
pub use redeem::RedemptionReceipt;
pub use sync::{ChangePage, IncomingEvent, ReceiveOutcome, Refusal, SyncStatus};
pub use verify::VerifyReport;
pub use vouchers::{SettlementReceipt, VoucherView};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The village this installation serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    pub code: String,
    pub name: String,
}

/// An open installation: what every service needs.
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    keys: Keys,
    village: Village,
    /// The current quarter's merit for every household, valid while the ledger and the
    /// household list are unchanged; saves the account view a village-wide scan.
    merit_cache: Option<account::MeritCache>,
    /// Wrong PINs typed on the kiosk's keypad, to lock clerk mode for a while.
    clerk_gate: clerks::ClerkGate,
}

impl App {
    /// Opens an initialised data directory.
    pub fn open(dir: &DataDir, clock: Arc<dyn Clock>) -> Result<App> {
        if !dir.exists() {
            return Err(AppError::NotInitialised(dir.root.clone()));
        }
        let keys = dir.load_keys()?;
        let mut store = Store::open(&dir.database())?;
        let village = store.read(|tx| {
            let code = tx.setting("village_code")?;
            let name = tx.setting("village_name")?;
            Ok::<_, AppError>(code.zip(name))
        })?;
        let Some((code, name)) = village else {
            return Err(AppError::NotInitialised(dir.root.clone()));
        };
        Ok(App {
            store,
            clock,
            keys,
            village: Village { code, name },
            merit_cache: None,
            clerk_gate: Default::default(),
        })
    }

    /// Creates a new installation for a village, with the standard rule set.
    pub fn init(dir: &DataDir, village: Village, clock: Arc<dyn Clock>) -> Result<App> {
        if dir.exists() {
            return Err(AppError::AlreadyInitialised(dir.root.clone()));
        }
        let code = village.code.trim().to_ascii_uppercase();
        if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AppError::Invalid(format!(
                "village code '{}' must be 1 to 8 letters or digits, e.g. YT",
                village.code
            )));
        }
        if village.name.trim().is_empty() {
            return Err(AppError::Invalid("the village name is empty".into()));
        }
        let keys = dir.create()?;
        let mut store = Store::open(&dir.database())?;
        let now = clock.now();
        let rules = imports::parse_rules_csv(STANDARD_RULES_CSV.as_bytes())
            .map_err(|e| AppError::rejected("standard-rules.csv", e))?;
        let village = Village {
            code,
            name: village.name.trim().to_string(),
        };
        store.write(|tx| {
            tx.set_setting("village_code", &village.code)?;
            tx.set_setting("village_name", &village.name)?;
            tx.set_setting("device_id", &Uuid::now_v7().to_string())?;
            for rule in &rules {
                tx.upsert_rule(rule, now)?;
            }
            Ok::<_, AppError>(())
        })?;
        Ok(App {
            store,
            clock,
            keys,
            village,
            merit_cache: None,
            clerk_gate: Default::default(),
        })
    }

    pub fn village(&self) -> &Village {
        &self.village
    }

    /// Today's date in China (what "today's redemptions" means at the village hall).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The scoring month it is now in China; `.quarter()` gives the ranking quarter.
    pub fn this_month(&self) -> Month {
        self.clock.this_month()
    }

    /// The public key that verifies this installation's vouchers.
    pub fn voucher_public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.keys.voucher_signing.verifying_key()
    }

    pub fn rules(&mut self) -> Result<Vec<RuleItem>> {
        self.store.read(|tx| Ok(tx.rules()?))
    }

    /// Events waiting to be pushed to the township.
    pub fn unpushed_event_count(&mut self) -> Result<i64> {
        self.store.read(|tx| Ok(tx.unpushed_count()?))
    }
}

/// A ledger entry stamped now, in the current scoring month; callers fill in the rest.
fn new_entry(clock: &dyn Clock, household: &str, kind: EntryKind, delta: i64, reason: String) -> LedgerEntry {
    LedgerEntry {
        id: Uuid::now_v7(),
        household: household.to_string(),
        delta,
        kind,
        rule_code: None,
        reason,
        month: clock.this_month(),
        source: "local".to_string(),
        recorded_by: "system".to_string(),
        created_at: clock.now(),
        corrects: None,
    }
}

/// Lets the crash tests stop the process at a step of the print order or of a sync round: with
/// `JIFEN_FAILPOINT=<step>` the process says so on stderr and waits to be killed.
pub fn failpoint(step: &str) {
    if std::env::var("JIFEN_FAILPOINT").is_ok_and(|s| s == step) {
        eprintln!("failpoint {step} reached");
        loop {
            std::thread::park();
        }
    }
}
