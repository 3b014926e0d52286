//! The JSON of sponsors' funds and proxy redemptions (issue 19). Money travels as whole
//! fen, an integer, never a float or a yuan text to parse again.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{time, time_text, WireError};
use crate::domain::funds::{FundCost, FundReceiptRecord, ItemCostRecord, ProxyRecord, SponsorRecord};
use crate::domain::money::{Fen, MAX_FEN};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SponsorDto {
    pub name: String,
    #[serde(default)]
    pub note: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FundReceiptDto {
    pub id: String,
    pub sponsor: String,
    pub amount_fen: i64,
    #[serde(default)]
    pub note: Option<String>,
    pub recorded_by: String,
    pub received_on: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FundCostDto {
    pub sponsor: String,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemCostDto {
    pub item_code: String,
    /// `null` when no fund pays for the item any more.
    pub cost: Option<FundCostDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyDto {
    pub serial: String,
    pub clerk: String,
    pub deliverer: String,
    pub created_at: String,
    #[serde(default)]
    pub delivered_at: Option<String>,
    #[serde(default)]
    pub delivered_by: Option<String>,
}

impl SponsorDto {
    pub(super) fn from_domain(s: &SponsorRecord) -> SponsorDto {
        SponsorDto {
            name: s.name.clone(),
            note: s.note.clone(),
            created_at: time_text(s.created_at),
        }
    }

    pub(super) fn into_domain(self, at: &str) -> Result<SponsorRecord, WireError> {
        Ok(SponsorRecord {
            name: name(self.name, "a sponsor's name", at)?,
            note: self.note,
            created_at: time(&self.created_at, at)?,
        })
    }
}

impl FundReceiptDto {
    pub(super) fn from_domain(r: &FundReceiptRecord) -> FundReceiptDto {
        FundReceiptDto {
            id: r.id.clone(),
            sponsor: r.sponsor.clone(),
            amount_fen: r.amount.0,
            note: r.note.clone(),
            recorded_by: r.recorded_by.clone(),
            received_on: r.received_on.to_string(),
            created_at: time_text(r.created_at),
        }
    }

    pub(super) fn into_domain(self, at: &str) -> Result<FundReceiptRecord, WireError> {
        if self.amount_fen <= 0 {
            return Err(WireError(format!("{at}: a gift must be more than 0 fen")));
        }
        Ok(FundReceiptRecord {
            amount: fen(self.amount_fen, at)?,
            received_on: self
                .received_on
                .parse::<NaiveDate>()
                .map_err(|_| WireError(format!("{at}: '{}' is not a date", self.received_on)))?,
            created_at: time(&self.created_at, at)?,
            sponsor: name(self.sponsor, "a gift's sponsor", at)?,
            recorded_by: name(self.recorded_by, "who recorded a gift", at)?,
            id: self.id,
            note: self.note,
        })
    }
}

impl FundCostDto {
    pub(super) fn from_domain(c: &FundCost) -> FundCostDto {
        FundCostDto {
            sponsor: c.sponsor.clone(),
            amount_fen: c.amount.0,
        }
    }

    pub(super) fn into_domain(self, at: &str) -> Result<FundCost, WireError> {
        Ok(FundCost {
            sponsor: name(self.sponsor, "a cost's sponsor", at)?,
            amount: fen(self.amount_fen, at)?,
        })
    }
}

impl ItemCostDto {
    pub(super) fn from_domain(c: &ItemCostRecord) -> ItemCostDto {
        ItemCostDto {
            item_code: c.item_code.clone(),
            cost: c.cost.as_ref().map(FundCostDto::from_domain),
        }
    }

    pub(super) fn into_domain(self, at: &str) -> Result<ItemCostRecord, WireError> {
        Ok(ItemCostRecord {
            item_code: self.item_code,
            cost: self.cost.map(|c| c.into_domain(at)).transpose()?,
        })
    }
}

impl ProxyDto {
    pub(super) fn from_domain(p: &ProxyRecord) -> ProxyDto {
        ProxyDto {
            serial: p.serial.clone(),
            clerk: p.clerk.clone(),
            deliverer: p.deliverer.clone(),
            created_at: time_text(p.created_at),
            delivered_at: p.delivered_at.map(time_text),
            delivered_by: p.delivered_by.clone(),
        }
    }

    pub(super) fn into_domain(self, at: &str) -> Result<ProxyRecord, WireError> {
        if self.delivered_at.is_some() != self.delivered_by.is_some() {
            return Err(WireError(format!(
                "{at}: a delivery names both when and by whom, or neither"
            )));
        }
        Ok(ProxyRecord {
            clerk: name(self.clerk, "the clerk of a proxy redemption", at)?,
            deliverer: name(self.deliverer, "who delivers a proxy redemption", at)?,
            created_at: time(&self.created_at, at)?,
            delivered_at: self.delivered_at.as_deref().map(|t| time(t, at)).transpose()?,
            delivered_by: self.delivered_by.map(|b| name(b, "who delivered it", at)).transpose()?,
            serial: self.serial,
        })
    }
}

fn fen(amount: i64, at: &str) -> Result<Fen, WireError> {
    if !(0..=MAX_FEN).contains(&amount) {
        return Err(WireError(format!(
            "{at}: {amount} fen is not an amount a fund holds (0 to 10,000,000.00 yuan)"
        )));
    }
    Ok(Fen(amount))
}

fn name(text: String, what: &str, at: &str) -> Result<String, WireError> {
    if text.trim().is_empty() || text.chars().count() > 40 {
        return Err(WireError(format!("{at}: {what} is 1 to 40 characters")));
    }
    Ok(text)
}
