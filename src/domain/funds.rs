//! Sponsors' funds as they travel between kiosks and the township (DESIGN.md §13): a
//! sponsor, a gift received, what one unit of an item costs its fund, a redemption's
//! commitment, and a voucher redeemed on a household's behalf with its delivery. Every one
//! is keyed (a sponsor by name, a gift by id, a cost by item, a commitment by redemption, a
//! proxy by serial), so applying it twice changes nothing.

use chrono::{DateTime, NaiveDate, Utc};

use super::money::Fen;

/// A sponsor (乡贤) of the village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorRecord {
    pub name: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Money received from a sponsor: one gift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundReceiptRecord {
    pub id: String,
    pub sponsor: String,
    pub amount: Fen,
    pub note: Option<String>,
    pub recorded_by: String,
    /// China date, which decides the year a gift counts in.
    pub received_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// A sum a sponsor's fund pays: one unit of an item, or a redemption's whole cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundCost {
    pub sponsor: String,
    pub amount: Fen,
}

/// What one unit of an item costs its sponsor's fund; `None` when no fund pays for it
/// (the cost was taken off), so taking a cost off travels too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemCostRecord {
    pub item_code: String,
    pub cost: Option<FundCost>,
}

/// A voucher a clerk redeemed for a household that could not come (代兑换), and its
/// delivery once confirmed. The first confirmation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRecord {
    pub serial: String,
    pub clerk: String,
    pub deliverer: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub delivered_by: Option<String>,
}

impl ProxyRecord {
    /// The proxy as it was made, before any delivery: what a redemption event carries,
    /// the delivery travelling in an event of its own.
    pub fn as_redeemed(&self) -> ProxyRecord {
        ProxyRecord {
            delivered_at: None,
            delivered_by: None,
            ..self.clone()
        }
    }
}
