//! SQLite storage: schema, migrations, transactions, and rows ↔ domain values.
//!
//! This is the only module that writes SQL. Services get a [`Tx`] inside
//! [`Store::write`] or [`Store::read`] and call its domain-level methods; whatever the
//! closure returns commits, an error rolls everything back.

mod catalogue;
mod clerks;
mod console;
mod console_drafts;
mod disputes;
mod evidence;
mod facts;
mod fleet;
mod households;
mod ledger;
mod migrations;
mod outbox;
pub mod pg;
mod proxy;
mod registry;
mod rules;
mod settings;
mod sponsors;
mod sync;
mod verify;
mod vouchers;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

pub use catalogue::StockMoveReason;
pub use clerks::ClerkRow;
pub use console::{AuditRow, ConsoleSessionRow, ConsoleUserRow};
pub use console_drafts::{ConsoleDraftRow, DraftPhoto};
pub use evidence::MissingPhoto;
pub use facts::{EntryFacts, VoucherFacts};
pub use fleet::{DoubleSettlementRow, SetAsideRow};
pub use households::{HouseholdBalanceRow, HouseholdRow};
pub use ledger::MeritRow;
pub use registry::{DeviceRow, Registry, VillageRow};
pub use sponsors::{FundPurchaseRow, FundTotals, SponsorRow};
pub use sync::{OutboxRow, OverdraftRow, ReceivedRow};
pub use verify::Problem;
pub use vouchers::{NewVoucher, VoucherRow};

/// A settled voucher as the merchants' reports read it, on both engines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledVoucherRow {
    pub serial: String,
    pub merchant: String,
    pub settled_at: chrono::DateTime<chrono::Utc>,
    pub item_name: String,
    pub qty: i64,
    pub points: i64,
    /// What its fund owes for it; `None` when no fund pays for the item.
    pub fund: Option<crate::domain::funds::FundCost>,
}

/// What a village holds, for tests and `verify` output, as either engine reads it: every
/// ledger id, each household's balance, each voucher's status, each shelf, the last feed
/// position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageSummary {
    pub entry_ids: Vec<uuid::Uuid>,
    pub balances: Vec<(String, i64)>,
    pub vouchers: i64,
    /// (serial, status), by serial.
    pub voucher_states: Vec<(String, String)>,
    /// (item, holder, stock), by item and holder.
    pub shelves: Vec<(String, String, i64)>,
    pub feed_last: i64,
}

/// Errors from the database. Messages name the data file problem, never a resident's data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    #[error("the database was written by a newer jifen (schema {found}, this build knows {known})")]
    TooNew { found: i64, known: i64 },
}

impl StoreError {
    /// SQLite's "database or disk is full": the one store failure a villager is told of
    /// in words of its own (the box's disk, not the data, is the problem).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DiskFull)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open database: one SQLite connection.
pub struct Store {
    conn: Connection,
}

/// A transaction in progress. Reads and writes in one closure see one consistent state.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// WAL with `synchronous=FULL`: a committed redemption survives a power cut.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        // A second process (CLI beside the kiosk) waits for the write lock instead of failing.
        conn.busy_timeout(Duration::from_secs(15))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 32 MB of page cache (the default is 2 MB): a catch-up of a year of a township's
        // scores touches the ledger's indexes far beyond the default.
        conn.pragma_update(None, "cache_size", -32_000)?;
        // Checkpoint every ~40 MB of WAL rather than 4 MB: a catch-up of 300,000 entries
        // spent a fifth of its time in checkpoints. Still bounded, still FULL-synced.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        // Statement journals in memory: an insert whose trigger moves monthly merit keeps
        // one, and on a temporary file it cost a quarter of an import or a catch-up in writes. The
        // database and its WAL are still synced as before.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Sync applies and reads with ~20 distinct statements; the default cache holds 16.
        conn.set_prepared_statement_cache_capacity(64);
        let mut store = Store { conn };
        migrations::migrate(&mut store.conn)?;
        Ok(store)
    }

    /// Runs `f` in an immediate (write-locked) transaction. Taking the lock up front means
    /// two processes redeeming at once are serialised: no lost update, no overdraw.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        self.transaction(TransactionBehavior::Immediate, f)
    }

    /// Runs `f` in a read transaction: one snapshot, never blocked by a writer (WAL).
    pub fn read<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        self.transaction(TransactionBehavior::Deferred, f)
    }

    /// Commits what `f` did if it returns `Ok`; an `Err` drops the transaction, rolling back.
    fn transaction<T, E: From<StoreError>>(
        &mut self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(behavior)
            .map_err(StoreError::from)?;
        let tx = Tx { tx };
        let value = f(&tx)?;
        tx.tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// A consistent copy of the database into a new file (`VACUUM INTO`, in one read
    /// transaction, so writers may go on meanwhile).
    pub fn backup_into(&mut self, to: &Path) -> Result<()> {
        self.conn.execute("VACUUM INTO ?1", [to.to_string_lossy().as_ref()])?;
        Ok(())
    }

    /// The schema version, for `verify` and diagnostics.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

impl Tx<'_> {
    /// `query_row` through the statement cache: sync applies thousands of rows per page
    /// with the same few statements, and preparing each time was most of the cost.
    fn row<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.tx.prepare_cached(sql)?.query_row(params, f)
    }

    /// `execute` through the statement cache.
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(sql)?.execute(params)
    }
}

/// Reads a text column into a domain value, turning a parse failure into `Corrupt`.
fn parse_col<T>(value: String, what: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T> {
    parse(&value).ok_or_else(|| StoreError::Corrupt(format!("{what} '{value}'")))
}

fn parse_time(value: String) -> Result<chrono::DateTime<chrono::Utc>> {
    parse_col(value, "timestamp", |s| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    })
}

fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
