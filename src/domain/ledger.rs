//! The points ledger: append-only; a household's balance is the sum of its entries.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::period::Month;

/// What an entry records. Only awards, deductions and corrections of them are *merit*:
/// they count towards rankings and honours. Redemptions and refunds move the spendable
/// balance only, so redeeming never lowers a rank (DESIGN.md §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Award,
    Deduction,
    Correction,
    Redemption,
    Refund,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub household: String,
    pub delta: i64,
    pub kind: EntryKind,
    pub rule_code: Option<String>,
    /// The words shown beside the entry ("垃圾分类优秀"), so a score always comes with its reason.
    pub reason: String,
    pub month: Month,
    /// Where the entry came from: `sheet:<file digest>`, `cli`, `kiosk`, `sync`…
    pub source: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    /// For a correction or refund: the entry it corrects. Nothing is ever edited.
    pub corrects: Option<Uuid>,
}

impl EntryKind {
    pub fn is_merit(self) -> bool {
        matches!(self, EntryKind::Award | EntryKind::Deduction | EntryKind::Correction)
    }

    pub fn key(self) -> &'static str {
        match self {
            EntryKind::Award => "award",
            EntryKind::Deduction => "deduction",
            EntryKind::Correction => "correction",
            EntryKind::Redemption => "redemption",
            EntryKind::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        Some(match s {
            "award" => EntryKind::Award,
            "deduction" => EntryKind::Deduction,
            "correction" => EntryKind::Correction,
            "redemption" => EntryKind::Redemption,
            "refund" => EntryKind::Refund,
            _ => return None,
        })
    }
}
