//! What applying a sync batch needs to know of entries and vouchers already held, read
//! alike by both engines so the one apply algorithm sees one shape.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ledger::EntryKind;
use crate::domain::voucher::VoucherStatus;

/// A ledger entry already held, as far as checks of later records need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFacts {
    pub id: Uuid,
    pub household: String,
    pub delta: i64,
    pub kind: EntryKind,
    pub rule_code: Option<String>,
    pub corrects: Option<Uuid>,
}

/// A voucher already held, with what was redeemed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherFacts {
    pub serial: String,
    pub redemption_id: String,
    pub status: VoucherStatus,
    pub household: String,
    pub item_code: String,
    pub qty: i64,
    pub points: i64,
    pub ledger_id: String,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_merchant: Option<String>,
    pub settled_by: Option<String>,
    pub settled_device: Option<String>,
    pub refund_ledger_id: Option<String>,
}
