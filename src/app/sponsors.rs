//! Sponsors (乡贤) and their funds (DESIGN.md §13): money received, what each item costs
//! its fund, and what the fund did — committed by outstanding vouchers, spent by settled
//! ones, released by voids. All in whole fen, and every figure a sum over the vouchers,
//! so `received = committed + spent + remaining` holds by construction.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::printing::{Document, Printout};
use super::{App, AppError, Result};
use crate::domain::money::{Fen, MoneyError, MAX_FEN};
use crate::store::{FundTotals, Tx};

/// A sponsor and the state of its fund.
#[derive(Debug, Clone, Serialize)]
pub struct SponsorView {
    pub name: String,
    pub note: Option<String>,
    pub received: Fen,
    pub committed: Fen,
    pub spent: Fen,
    pub remaining: Fen,
}

/// What a sponsor's money did, for the sponsor and the thank-you letter.
#[derive(Debug, Clone, Serialize)]
pub struct SponsorStatement {
    pub village_name: String,
    pub sponsor: String,
    /// The year covered, or every year when `None`.
    pub year: Option<i32>,
    pub received: Fen,
    pub committed: Fen,
    pub spent: Fen,
    pub remaining: Fen,
    pub bought: Vec<FundPurchase>,
    pub households_served: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FundPurchase {
    pub item_code: String,
    pub item_name: String,
    pub qty: i64,
    pub cost: Fen,
}

/// A gift recorded.
#[derive(Debug, Clone, Serialize)]
pub struct FundReceipt {
    pub id: String,
    pub sponsor: String,
    pub amount: Fen,
    pub remaining: Fen,
}

impl App {
    pub fn add_sponsor(&mut self, name: &str, note: Option<&str>, clerk: &str) -> Result<SponsorView> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(AppError::Invalid("a sponsor's name is 1 to 40 characters".into()));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let now = self.clock.now();
        let today = self.clock.today();
        let device = self.device_id();
        self.store.write(|tx| {
            if !tx.insert_sponsor(name, note, now)? {
                return Err(AppError::Invalid(format!("there is a sponsor named {name} already")));
            }
            tx.append_event("sponsor_added", name, now)?;
            super::audit::record(tx, clerk, "sponsor", name, "新增赞助人", &device, now)?;
            sponsor_view(tx, name, today)
        })
    }

    /// Records money received from a sponsor. The amount is yuan with fen (`2000.00`).
    pub fn fund_sponsor(&mut self, name: &str, amount: &str, note: Option<&str>, clerk: &str) -> Result<FundReceipt> {
        let amount: Fen = amount
            .parse()
            .map_err(|e: MoneyError| AppError::Invalid(e.to_string()))?;
        if amount.0 == 0 {
            return Err(AppError::Invalid("a gift of 0.00 yuan records nothing".into()));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let now = self.clock.now();
        let today = self.clock.today();
        let device = self.device_id();
        let name = name.trim();
        self.store.write(|tx| {
            known_sponsor(tx, name)?;
            let before = sponsor_view(tx, name, today)?;
            if before.received.0 + amount.0 > MAX_FEN {
                return Err(AppError::Invalid(format!(
                    "{name}'s fund would pass 10,000,000.00 yuan; check the figure"
                )));
            }
            let id = Uuid::now_v7().to_string();
            tx.insert_sponsor_receipt(&id, name, amount.0, note, clerk, today, now)?;
            tx.append_event("sponsor_funded", &id, now)?;
            super::audit::record(tx, clerk, "fund", name, &format!("收到 {amount} 元"), &device, now)?;
            Ok(FundReceipt {
                id,
                sponsor: name.to_string(),
                amount,
                remaining: Fen(before.remaining.0 + amount.0),
            })
        })
    }

    pub fn sponsors(&mut self) -> Result<Vec<SponsorView>> {
        let today = self.clock.today();
        self.store.read(|tx| {
            tx.sponsors()?
                .into_iter()
                .map(|s| sponsor_view(tx, &s.name, today))
                .collect()
        })
    }

    /// The sponsors who gave in `year`, the largest gift first: the home screen's 乡贤榜.
    pub fn sponsors_of_year(&mut self, year: i32) -> Result<Vec<String>> {
        let today = self.clock.today();
        let mut givers: Vec<(i64, String)> = self.store.read(|tx| {
            let mut givers = Vec::new();
            for s in tx.sponsors()? {
                let received = tx.fund_totals(&s.name, Some(year), today)?.received;
                if received > 0 {
                    givers.push((received, s.name));
                }
            }
            Ok::<_, AppError>(givers)
        })?;
        givers.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(givers.into_iter().map(|(_, name)| name).collect())
    }

    /// What a sponsor's money did, over one year or all of them.
    pub fn sponsor_statement(&mut self, name: &str, year: Option<i32>) -> Result<SponsorStatement> {
        let name = name.trim();
        let village_name = self.village.name.clone();
        let today = self.clock.today();
        self.store.read(|tx| {
            known_sponsor(tx, name)?;
            let totals = tx.fund_totals(name, year, today)?;
            let (bought, households_served) = tx.fund_purchases(name, year, today)?;
            Ok(SponsorStatement {
                village_name,
                sponsor: name.to_string(),
                year,
                received: Fen(totals.received),
                committed: Fen(totals.committed),
                spent: Fen(totals.spent),
                remaining: remaining(totals),
                bought: bought
                    .into_iter()
                    .map(|b| FundPurchase {
                        item_code: b.item_code,
                        item_name: b.item_name,
                        qty: b.qty,
                        cost: Fen(b.cost_fen),
                    })
                    .collect(),
                households_served,
            })
        })
    }
}

impl App {
    /// The thank-you letter (感谢信): the statement's figures on paper.
    pub fn sponsor_letter_printout(&mut self, name: &str, year: Option<i32>) -> Result<Printout> {
        let v = self.sponsor_statement(name, year)?;
        let today = self.clock.today();
        Ok(Printout {
            document: Document::SponsorLetter,
            name: format!("sponsor-{}-{today}", v.sponsor),
            fields: BTreeMap::from([
                ("village", v.village_name.clone()),
                ("sponsor", v.sponsor.clone()),
                ("period", v.year.map(|y| format!(" {y} 年")).unwrap_or_default()),
                ("received", v.received.to_string()),
                ("spent", v.spent.to_string()),
                ("committed", v.committed.to_string()),
                ("remaining", v.remaining.to_string()),
                ("households", v.households_served.to_string()),
                ("issued", today.to_string()),
            ]),
            rows: v
                .bought
                .iter()
                .map(|b| {
                    BTreeMap::from([
                        ("item", b.item_name.clone()),
                        ("qty", b.qty.to_string()),
                        ("cost", b.cost.to_string()),
                    ])
                })
                .collect(),
        })
    }
}

/// Checks that a fund can pay for `qty` of an item and commits its cost, inside the
/// redemption's transaction. Items without a cost are paid by no fund.
pub(super) fn commit_cost(
    tx: &Tx<'_>,
    item_code: &str,
    item_name: &str,
    qty: i64,
    redemption_id: &str,
    today: NaiveDate,
) -> Result<()> {
    let Some(FundNeed { sponsor, left, needed }) = fund_need(tx, tx.item_cost(item_code)?, qty, today)? else {
        return Ok(());
    };
    if left < needed {
        return Err(AppError::FundExhausted {
            item: item_name.to_string(),
            sponsor,
            remaining: left,
            needed,
        });
    }
    tx.insert_fund_commitment(redemption_id, &sponsor, needed.0)?;
    Ok(())
}

/// What `qty` of an item costs the fund that pays for it (`cost`: its sponsor and unit
/// cost, as `Tx::item_cost` gives them), and what that fund has left; `None` when no fund
/// pays for the item. Both the redemption and the catalogue's 赞助款已用完 ask this.
pub(super) fn fund_need(
    tx: &Tx<'_>,
    cost: Option<(String, i64)>,
    qty: i64,
    today: NaiveDate,
) -> Result<Option<FundNeed>> {
    let Some((sponsor, unit)) = cost else {
        return Ok(None);
    };
    let left = remaining(tx.fund_totals(&sponsor, None, today)?);
    Ok(Some(FundNeed {
        sponsor,
        left,
        needed: Fen(unit).times(qty),
    }))
}

pub(super) struct FundNeed {
    pub(super) sponsor: String,
    pub(super) left: Fen,
    pub(super) needed: Fen,
}

/// Sets the cost of one unit of an item to its sponsor's fund; the sponsor must be known.
pub(super) fn set_item_cost(
    tx: &Tx<'_>,
    item_code: &str,
    sponsor: Option<&str>,
    cost: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let (sponsor, cost) = check_cost(tx, sponsor, cost)?;
    tx.set_item_cost(item_code, Some((sponsor, cost.0)), now)?;
    Ok(())
}

/// A cost as typed, and the sponsor whose fund pays it, both checked.
pub(super) fn check_cost<'s>(tx: &Tx<'_>, sponsor: Option<&'s str>, cost: &str) -> Result<(&'s str, Fen)> {
    let cost: Fen = cost.parse().map_err(|e: MoneyError| AppError::Invalid(e.to_string()))?;
    let Some(sponsor) = sponsor.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(AppError::Invalid(
            "a cost is paid by a sponsor's fund: name the sponsor with --sponsor".into(),
        ));
    };
    known_sponsor(tx, sponsor)?;
    Ok((sponsor, cost))
}

fn known_sponsor(tx: &Tx<'_>, name: &str) -> Result<()> {
    match tx.sponsor(name)? {
        Some(_) => Ok(()),
        None => Err(AppError::Invalid(format!(
            "there is no sponsor named {name}; add it with `jifen admin sponsor add --name {name}`"
        ))),
    }
}

fn sponsor_view(tx: &Tx<'_>, name: &str, today: NaiveDate) -> Result<SponsorView> {
    let row = tx
        .sponsor(name)?
        .ok_or_else(|| AppError::Invalid(format!("there is no sponsor named {name}")))?;
    let totals = tx.fund_totals(name, None, today)?;
    Ok(SponsorView::of(row.name, row.note, totals))
}

impl SponsorView {
    /// A sponsor's fund from its totals, as either engine sums them.
    pub fn of(name: String, note: Option<String>, totals: FundTotals) -> SponsorView {
        SponsorView {
            name,
            note,
            received: Fen(totals.received),
            committed: Fen(totals.committed),
            spent: Fen(totals.spent),
            remaining: remaining(totals),
        }
    }
}

fn remaining(t: FundTotals) -> Fen {
    Fen(t.received - t.committed - t.spent)
}
