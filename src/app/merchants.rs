//! What the village owes a merchant (DESIGN.md §13): each settled voucher's cost to its
//! sponsor's fund, for a month, by fund. The figures are the settled vouchers' own
//! commitments, so the statement's total is their sum, to the fen.

use std::collections::BTreeMap;

use serde::Serialize;

use super::printing::{Document, Printout};
use super::{App, AppError, Result};
use crate::domain::clock::{china_date, china_time_text};
use crate::domain::funds::FundCost;
use crate::domain::money::Fen;
use crate::domain::period::Month;
use crate::domain::voucher::VoucherStatus;
use crate::store::SettledVoucherRow;

/// A merchant's month: the vouchers it accepted and what is owed for them.
#[derive(Debug, Clone, Serialize)]
pub struct MerchantStatement {
    pub village_name: String,
    pub merchant: String,
    pub month: String,
    pub vouchers: Vec<SettledVoucher>,
    /// What is owed, fund by fund, largest first.
    pub by_fund: Vec<FundOwed>,
    /// The sum of every voucher's amount.
    pub total: Fen,
    /// Vouchers of items no fund pays for: accepted, but no money is owed for them here.
    pub unfunded: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettledVoucher {
    pub serial: String,
    pub item_name: String,
    pub qty: i64,
    pub points: i64,
    pub settled_at: String,
    pub sponsor: Option<String>,
    pub amount: Option<Fen>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FundOwed {
    pub sponsor: String,
    pub vouchers: usize,
    pub amount: Fen,
}

/// One merchant's month at one village, for the township: what it accepted and what the
/// village's funds owe it.
#[derive(Debug, Clone, Serialize)]
pub struct MerchantMonth {
    pub village: String,
    pub merchant: String,
    pub month: String,
    pub vouchers: usize,
    pub points: i64,
    pub by_fund: Vec<FundOwed>,
    pub total: Fen,
    pub unfunded: usize,
}

/// The settled vouchers of a month, merchant by merchant (most owed first): the one sum
/// behind the kiosk's statement and the township's report, on either engine.
pub fn merchant_months(village: &str, month: Month, rows: &[SettledVoucherRow]) -> Vec<MerchantMonth> {
    let mut by_merchant: BTreeMap<&str, Vec<&SettledVoucherRow>> = BTreeMap::new();
    for r in rows {
        by_merchant.entry(r.merchant.as_str()).or_default().push(r);
    }
    let mut out: Vec<MerchantMonth> = by_merchant
        .into_iter()
        .map(|(merchant, rows)| {
            let by_fund = funds_owed(rows.iter().filter_map(|r| r.fund.as_ref()));
            MerchantMonth {
                village: village.to_string(),
                merchant: merchant.to_string(),
                month: month.to_string(),
                vouchers: rows.len(),
                points: rows.iter().map(|r| r.points).sum(),
                total: Fen(by_fund.iter().map(|f| f.amount.0).sum()),
                unfunded: rows.iter().filter(|r| r.fund.is_none()).count(),
                by_fund,
            }
        })
        .collect();
    out.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.merchant.cmp(&b.merchant)));
    out
}

/// What is owed, fund by fund, largest first.
fn funds_owed<'a>(costs: impl Iterator<Item = &'a FundCost>) -> Vec<FundOwed> {
    let mut funds: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
    for c in costs {
        let fund = funds.entry(c.sponsor.as_str()).or_default();
        fund.0 += 1;
        fund.1 += c.amount.0;
    }
    let mut by_fund: Vec<FundOwed> = funds
        .into_iter()
        .map(|(sponsor, (count, fen))| FundOwed {
            sponsor: sponsor.to_string(),
            vouchers: count,
            amount: Fen(fen),
        })
        .collect();
    by_fund.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.sponsor.cmp(&b.sponsor)));
    by_fund
}

impl App {
    /// The vouchers `merchant` accepted in `month` (China time) and what the village owes it.
    pub fn merchant_statement(&mut self, merchant: &str, month: &str) -> Result<MerchantStatement> {
        let month: Month = month.parse()?;
        let merchant = merchant.trim();
        if merchant.is_empty() {
            return Err(AppError::Invalid("a merchant's name is needed".into()));
        }
        let rows: Vec<SettledVoucherRow> = self
            .settled_vouchers(month)?
            .into_iter()
            .filter(|r| r.merchant == merchant)
            .collect();
        let by_fund = funds_owed(rows.iter().filter_map(|r| r.fund.as_ref()));
        let vouchers: Vec<SettledVoucher> = rows
            .into_iter()
            .map(|r| SettledVoucher {
                serial: r.serial,
                item_name: r.item_name,
                qty: r.qty,
                points: r.points,
                settled_at: china_time_text(r.settled_at),
                amount: r.fund.as_ref().map(|f| f.amount),
                sponsor: r.fund.map(|f| f.sponsor),
            })
            .collect();
        Ok(MerchantStatement {
            village_name: self.village.name.clone(),
            merchant: merchant.to_string(),
            month: month.to_string(),
            total: Fen(by_fund.iter().map(|f| f.amount.0).sum()),
            unfunded: vouchers.iter().filter(|v| v.amount.is_none()).count(),
            vouchers,
            by_fund,
        })
    }

    /// The village's vouchers settled in `month` (China time), oldest first, each with
    /// what its fund owes for it.
    pub fn settled_vouchers(&mut self, month: Month) -> Result<Vec<SettledVoucherRow>> {
        let mut rows = self.store.read(|tx| {
            let mut out = Vec::new();
            for v in tx.vouchers(Some(VoucherStatus::Settled))? {
                let Some(at) = v.settled_at.filter(|at| Month::of(china_date(*at)) == month) else {
                    continue;
                };
                let fund = tx.fund_commitment(&v.redemption_id)?.map(|(sponsor, fen)| FundCost {
                    sponsor,
                    amount: Fen(fen),
                });
                out.push(SettledVoucherRow {
                    serial: v.serial,
                    merchant: v.settled_merchant.unwrap_or_default(),
                    settled_at: at,
                    item_name: v.item_name,
                    qty: v.qty,
                    points: v.points,
                    fund,
                });
            }
            Ok::<_, AppError>(out)
        })?;
        rows.sort_by(|a, b| a.settled_at.cmp(&b.settled_at).then_with(|| a.serial.cmp(&b.serial)));
        Ok(rows)
    }

    /// The printed statement (商家对账单) the clerk hands the merchant with the money.
    pub fn merchant_statement_printout(&mut self, merchant: &str, month: &str) -> Result<Printout> {
        let s = self.merchant_statement(merchant, month)?;
        Ok(Printout {
            document: Document::MerchantStatement,
            name: format!("merchant-{}-{}", s.merchant, s.month),
            fields: BTreeMap::from([
                ("village", s.village_name.clone()),
                ("merchant", s.merchant.clone()),
                ("month", s.month.clone()),
                ("count", s.vouchers.len().to_string()),
                ("total", s.total.to_string()),
                (
                    "unfunded",
                    if s.unfunded == 0 {
                        String::new()
                    } else {
                        s.unfunded.to_string()
                    },
                ),
                ("issued", self.clock.today().to_string()),
            ]),
            rows: s
                .by_fund
                .iter()
                .map(|f| {
                    BTreeMap::from([
                        ("fund", f.sponsor.clone()),
                        ("count", f.vouchers.to_string()),
                        ("amount", f.amount.to_string()),
                    ])
                })
                .collect(),
        })
    }
}
