//! The use cases, shared by every front end (CLI now; touch UI and sync later).
//!
//! An [`App`] owns the store, the clock and the installation's keys. Each service is a
//! method that runs one store transaction, so every business rule (no overdraw, stock
//! never negative, each serial settled once) is enforced where the change is made,
//! not in a query a front end might forget to call.

mod account;
pub mod apply;
mod audit;
mod box_health;
mod cards;
mod catalogue;
mod clerks;
pub mod demo;
pub mod demo_evidence;
mod disputes;
mod error;
mod evidence;
pub mod export;
mod feed;
mod fleet;
mod honours;
mod imports;
mod merchants;
mod points;
mod printing;
mod printouts;
mod proxy;
mod ranking;
mod redeem;
mod sheet_photos;
mod sponsors;
mod sync;
mod verify;
mod voice_preference;
mod voucher_check;
mod vouchers;

use std::sync::Arc;

use uuid::Uuid;

use crate::domain::clock::Clock;
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::period::Month;
use crate::domain::rules::{RuleItem, STANDARD_RULES_CSV};
use crate::installation::{DataDir, Keys};
use crate::store::Store;

pub use account::{
    account_view_from, entry_view as entry_view_of, AccountParts, AccountView, EntryView, Identity, MemberView,
    ENTRIES_SHOWN,
};
pub use box_health::{BoxHealth, REFUSE_BELOW_BYTES, WARN_BELOW_BYTES};
pub use catalogue::{CatalogueItemView, ItemChanges, NewItem, PictureChange};
pub use demo::DemoSummary;
pub use disputes::{
    dispute_report, dispute_view as dispute_view_of, listing as dispute_listing, order_for_staff, DisputeCounts,
    DisputeCountsOf, DisputeListing, DisputeOpened, DisputeReport, DisputeView, Resolution, ANSWER_WITHIN_DAYS,
};
pub use error::{AppError, LineError};
pub use evidence::{
    evidence_records, prepare_photos, EvidencePhoto, EvidenceView, KeptPhoto, Photo, PhotoFetcher,
    DEFAULT_PHOTO_CACHE_BYTES,
};
pub(crate) use feed::item_records;
pub use fleet::{HelloOutcome, KioskHello, TownshipHello};
pub use honours::{honours_of, HonoursView, StarHousehold};
pub use imports::{
    check_rules_csv, plan_households, plan_points, sheet_keys, standard_rules, HouseholdPlan, ImportLookup,
    ImportReport, PointsPlan,
};
pub use merchants::{merchant_months, FundOwed, MerchantMonth, MerchantStatement, SettledVoucher};
pub use points::{award_entry, correction_entry, AwardAsked, AwardOrder, AwardReceipt};
pub use printing::{
    Delivery, Document, PrintFailure, PrintJob, PrintReport, Printer, Printout, KEPT_WORDS, NOT_OUT_WORDS,
    UNVERIFIED_WORDS,
};
pub use proxy::{Proxy, ProxyView};
pub(crate) use ranking::year_months;
pub use ranking::{ranking_rows, RankingRow, RankingView};
pub use redeem::RedemptionReceipt;
pub use sheet_photos::load as load_sheet_photos;
pub use sponsors::{FundPurchase, FundReceipt, SponsorStatement, SponsorView};
pub use sync::{
    retries_by_origin, ChangePage, IncomingEvent, PullOutcome, PulledPage, ReceiveOutcome, Refusal, SyncStatus,
    RETRIES_PER_ROUND,
};
pub use verify::VerifyReport;
pub use voice_preference::VoicePreference;
pub use voucher_check::{check_voucher, HeldVoucher, Standing, VoucherCheck, VoucherDetails};
pub use vouchers::{SettlementReceipt, VoucherView, TOWNSHIP_DESK};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The village this installation serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    pub code: String,
    pub name: String,
}

/// Which end of the wire an installation is: a kiosk, or one village's database at a
/// township on SQLite (which holds every kiosk's shelves, none of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Kiosk,
    TownshipVillage,
}

/// An open installation: what every service needs.
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    dir: DataDir,
    keys: Keys,
    /// When the ID-number key file was last read: a sync round in another thread may
    /// adopt the village's key, and the next card swipe must hash with it.
    id_key_stamp: Option<std::time::SystemTime>,
    village: Village,
    role: Role,
    /// The current quarter's merit for every household, valid while the ledger and the
    /// household list are unchanged; saves the account view a village-wide scan.
    merit_cache: Option<account::MeritCache>,
    /// How many bytes of photos a kiosk keeps ([`DEFAULT_PHOTO_CACHE_BYTES`] unless the
    /// config says otherwise); the township keeps them all.
    photo_cache_bytes: i64,
    /// Who the year's star households are (`[honours]` in the config).
    honours_rule: crate::domain::honours::HonoursRule,
    /// Who may take a 代兑换 voucher's goods to a household besides the clerk
    /// (`[proxy] deliverers` in the config: the village's grid workers).
    deliverers: Vec<String>,
    /// The township's address (`[sync] url`): a voucher's QR is then a link to its page
    /// on the township's console, which a shop owner's phone opens.
    township_link: Option<String>,
}

impl App {
    /// Opens an initialised kiosk data directory.
    pub fn open(dir: &DataDir, clock: Arc<dyn Clock>) -> Result<App> {
        App::open_as(dir, clock, Role::Kiosk)
    }

    /// Opens an initialised data directory as a kiosk or as a township's village.
    pub fn open_as(dir: &DataDir, clock: Arc<dyn Clock>, role: Role) -> Result<App> {
        if !dir.exists() {
            return Err(AppError::NotInitialised(dir.root.clone()));
        }
        let keys = dir.load_keys()?;
        let id_key_stamp = dir.id_number_key_stamp();
        let mut store = Store::open(&dir.database())?;
        let village = store.read(|tx| {
            let code = tx.setting("village_code")?;
            let name = tx.setting("village_name")?;
            Ok::<_, AppError>(code.zip(name))
        })?;
        let Some((code, name)) = village else {
            return Err(AppError::NotInitialised(dir.root.clone()));
        };
        let mut app = App {
            store,
            clock,
            dir: dir.clone(),
            keys,
            id_key_stamp,
            village: Village { code, name },
            role,
            merit_cache: None,
            photo_cache_bytes: DEFAULT_PHOTO_CACHE_BYTES,
            honours_rule: Default::default(),
            deliverers: Vec::new(),
            township_link: None,
        };
        app.put_stock_on_shelves(role)?;
        Ok(app)
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
        let id_key_stamp = dir.id_number_key_stamp();
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
            tx.set_setting(SHELVES, "1")?;
            for rule in &rules {
                tx.upsert_rule(rule, now)?;
            }
            Ok::<_, AppError>(())
        })?;
        Ok(App {
            store,
            clock,
            dir: dir.clone(),
            keys,
            id_key_stamp,
            village,
            role: Role::Kiosk,
            merit_cache: None,
            photo_cache_bytes: DEFAULT_PHOTO_CACHE_BYTES,
            honours_rule: Default::default(),
            deliverers: Vec::new(),
            township_link: None,
        })
    }

    /// Stock from before fleets was one figure per item. A kiosk puts it on its own
    /// shelf as one opening move per item (which travels to the township like any
    /// other); a township's village holds no goods itself and starts from zero, to be
    /// filled by its kiosks' opening moves. Done once.
    fn put_stock_on_shelves(&mut self, role: Role) -> Result<()> {
        let holder = self.device_id();
        let now = self.clock.now();
        self.store.write(|tx| {
            if tx.setting(SHELVES)?.is_some() {
                return Ok::<_, AppError>(());
            }
            for item in tx.items()? {
                let crate::domain::catalogue::Stock::Limited(n) = item.stock else {
                    continue;
                };
                tx.reset_item_stock(&item.code)?;
                if role == Role::Kiosk && n > 0 {
                    let m = crate::domain::catalogue::StockMove {
                        id: Uuid::now_v7(),
                        item_code: item.code.clone(),
                        holder: holder.clone(),
                        delta: n,
                        reason: crate::domain::catalogue::StockMoveReason::Initial,
                        reference: Some("opening".into()),
                        created_at: now,
                    };
                    tx.move_stock(&m)?;
                    tx.append_event("stock_moved", &m.id.to_string(), now)?;
                }
            }
            tx.set_setting(SHELVES, "1")?;
            Ok(())
        })
    }

    pub fn village(&self) -> &Village {
        &self.village
    }

    /// Now, by this installation's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today's date in China (what "today's redemptions" means at the village hall).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The scoring month it is now in China; `.quarter()` gives the ranking quarter.
    pub fn this_month(&self) -> Month {
        self.clock.this_month()
    }

    /// The year before this one: the year whose evaluation (一年一评比) is settled.
    pub fn last_year(&self) -> i32 {
        use chrono::Datelike;
        self.clock.today().year() - 1
    }

    /// The public key that verifies this installation's vouchers.
    pub fn voucher_public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.keys.voucher_signing.verifying_key()
    }

    pub fn rules(&mut self) -> Result<Vec<RuleItem>> {
        self.store.read(|tx| Ok(tx.rules()?))
    }

    /// The ID-number key as it is on disk now: re-read when the file changed since, so an
    /// app that has been running for days hashes a card with a key adopted a minute ago.
    fn reload_id_number_key(&mut self) -> Result<()> {
        let stamp = self.dir.id_number_key_stamp();
        if stamp != self.id_key_stamp || stamp.is_none() {
            self.keys.id_number_secret = self.dir.load_keys()?.id_number_secret;
            self.id_key_stamp = stamp;
        }
        Ok(())
    }

    /// Events waiting to be pushed to the township.
    pub fn unpushed_event_count(&mut self) -> Result<i64> {
        self.store.read(|tx| Ok(tx.unpushed_count()?))
    }
}

/// Set once stock lives on shelves (schema 3).
const SHELVES: &str = "stock.shelves";

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
/// `JIFEN_FAILPOINT=<step>` the process says so on stderr and waits to be killed. Debug builds
/// only: a release build (the appliance) reads no such variable.
pub fn failpoint(step: &str) {
    if cfg!(debug_assertions) && std::env::var("JIFEN_FAILPOINT").is_ok_and(|s| s == step) {
        eprintln!("failpoint {step} reached");
        loop {
            std::thread::park();
        }
    }
}

/// Test gear like `failpoint`, in debug builds only: `JIFEN_FAILPOINT=error:STEP` makes
/// the step fail with an error instead of parking, to prove what the caller does then.
pub fn injected_error(step: &str) -> Result<()> {
    if cfg!(debug_assertions) && std::env::var("JIFEN_FAILPOINT").is_ok_and(|s| s.strip_prefix("error:") == Some(step))
    {
        return Err(AppError::Invalid(format!("injected failure at {step}")));
    }
    Ok(())
}
