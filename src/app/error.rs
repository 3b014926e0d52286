use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::domain::id_number::IdNumberError;
use crate::domain::period::PeriodError;
use crate::domain::voucher::{PayloadError, SerialError};
use crate::installation::InstallationError;
use crate::store::StoreError;

/// Everything a service can refuse or fail with. Each message is one line a clerk can
/// act on; none contains a resident's ID number. Front ends map variants to their own
/// words (the touch UI says them in Chinese).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no village is set up in {0}; run `jifen admin init` (or `jifen admin demo`) first")]
    NotInitialised(PathBuf),
    #[error("{0} already holds a village; use another --data-dir")]
    AlreadyInitialised(PathBuf),
    #[error(transparent)]
    Installation(#[from] InstallationError),
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error("invalid ID number: {0}")]
    BadIdNumber(#[from] IdNumberError),
    #[error("this ID card is not registered in any household (请到窗口登记)")]
    UnknownIdNumber,
    #[error("this QR code is not a household card of this village")]
    UnknownQrToken,
    #[error("no household with code {0}")]
    UnknownHousehold(String),
    #[error("no rule item with code {0}")]
    UnknownRule(String),
    #[error("no catalogue item with code {0}")]
    UnknownItem(String),
    #[error("a catalogue item with code {0} already exists")]
    DuplicateItem(String),
    #[error(transparent)]
    BadPeriod(#[from] PeriodError),
    #[error(transparent)]
    Picture(#[from] crate::picture::PictureError),
    #[error("{file}: {reason}; nothing was written")]
    Photo {
        file: String,
        reason: crate::picture::PictureError,
    },
    #[error("no ledger entry {0}")]
    UnknownEntry(String),
    #[error("no photo {0} is recorded here")]
    UnknownEvidence(String),
    #[error("no dispute {0} is recorded here")]
    UnknownDispute(String),

    #[error("{item} is not offered at the moment")]
    ItemInactive { item: String },
    #[error("{item} is out of stock: {left} left, {wanted} wanted")]
    OutOfStock { item: String, left: i64, wanted: i64 },
    /// The item's sponsor fund cannot pay for what was asked (赞助款已用完).
    #[error("{sponsor}'s fund cannot pay for {item}: {remaining} yuan left, {needed} yuan needed")]
    FundExhausted {
        item: String,
        sponsor: String,
        remaining: crate::domain::money::Fen,
        needed: crate::domain::money::Fen,
    },
    #[error("refused: redeeming for household {0} needs its ID card or QR card, not its code (代兑换须刷该户的身份证或户码卡)")]
    ProxyNeedsCard(String),
    #[error("voucher {0} was not redeemed on a household's behalf")]
    NotAProxyRedemption(String),
    #[error("voucher {serial} was already delivered on {on}, confirmed by {by}")]
    AlreadyDelivered { serial: String, on: String, by: String },
    #[error("not enough points: the balance is {balance}, {item} needs {cost}")]
    InsufficientPoints { item: String, balance: i64, cost: i64 },
    #[error("the balance is {balance}, below zero after a deduction; redeeming resumes when it is positive again")]
    NegativeBalance { balance: i64 },

    #[error(transparent)]
    BadSerial(#[from] SerialError),
    #[error("refused: {0}")]
    ForgedVoucher(#[from] PayloadError),
    #[error("refused: {0}")]
    ForgedStatement(#[from] crate::domain::statement::StatementError),
    #[error("no voucher with serial {0} was issued in this village")]
    UnknownVoucher(String),
    #[error(
        "voucher {0} was printed by another kiosk of the village and has not reached this one yet; \
         settle it after the next sync"
    )]
    VoucherNotHereYet(String),
    #[error("refused: a typed serial needs the verification code printed beside it (voucher {0})")]
    CodeNeeded(String),
    #[error("refused: the verification code does not match voucher {0}")]
    WrongCode(String),
    #[error("refused: voucher {serial} was already settled on {on} for {merchant}")]
    AlreadySettled {
        serial: String,
        on: String,
        merchant: String,
    },
    #[error("refused: voucher {serial} was voided ({reason})")]
    VoucherVoid { serial: String, reason: String },
    #[error("refused: voucher {serial} expired on {on}")]
    VoucherExpired { serial: String, on: NaiveDate },
    #[error("refused: voucher {serial} is for {expected}, not {given}")]
    WrongMerchant {
        serial: String,
        expected: String,
        given: String,
    },
    #[error("refused: the QR code of voucher {0} does not match the voucher issued under that serial")]
    PayloadMismatch(String),

    #[error("no active clerk named {0}")]
    UnknownClerk(String),
    #[error("wrong PIN")]
    WrongPin,
    #[error("too many wrong PINs: clerk mode is locked for {minutes} more minutes")]
    ClerkModeLocked { minutes: i64 },

    #[error("{file}: nothing was imported because {} row(s) are wrong:{}", .errors.len(), LineList(.errors))]
    ImportRejected { file: String, errors: Vec<LineError> },
    #[error("{0}")]
    Invalid(String),
    #[error("ledger entry {0} is already written")]
    EntryExists(String),
    #[error(
        "this kiosk has no number from the township yet, so it cannot print serials of its own; \
         sync once with the township first (本机还没有从乡镇取得编号，请先联网同步一次)"
    )]
    NotNumbered,
    #[error(
        "the township numbers this kiosk {theirs}, but it prints its serials as kiosk {ours}; \
         register it again with `jifen township device add … --number {ours}`"
    )]
    KioskNumberMismatch { ours: u32, theirs: u32 },
    #[error(
        "this kiosk's ID-number key differs from the township's for its village and it already has \
         residents; register the village with this kiosk's key (township village add --id-key-file)"
    )]
    IdNumberKeyMismatch,
    #[error("the disk is full: new redemptions are refused until space is freed (请联系工作人员：存储空间已满)")]
    DiskFull,
    #[error("{0}: redemptions and dated printouts wait until the clock is right (请联系工作人员校准时间)")]
    ClockWrong(String),
    /// Internal: carries a dry run's report out of the transaction so it rolls back.
    #[error("dry run")]
    DryRun(Box<super::ImportReport>),
}

/// One bad row of an imported CSV file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    /// 1-based line number in the file, the header being line 1.
    pub line: u64,
    pub message: String,
}

struct LineList<'a>(&'a [LineError]);

impl fmt::Display for LineList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in self.0 {
            write!(f, "\n  line {}: {}", e.line, e.message)?;
        }
        Ok(())
    }
}

impl AppError {
    /// Wraps row errors from parsing an embedded or in-memory CSV.
    pub(crate) fn rejected(file: &str, errors: Vec<LineError>) -> AppError {
        AppError::ImportRejected {
            file: file.to_string(),
            errors,
        }
    }
}
