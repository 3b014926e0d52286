//! What the village owes a merchant (DESIGN.md §13): each settled voucher's cost to its
//! sponsor's fund, for a month, by fund. The figures are the settled vouchers' own
//! commitments, so the statement's total is their sum, to the fen.

use std::collections::BTreeMap;

use serde::Serialize;

use super::printing::{Document, Printout};
use super::{App, AppError, Result};
use crate::domain::clock::{china_date, china_time_text};
use crate::domain::money::Fen;
use crate::domain::period::Month;
use crate::domain::voucher::VoucherStatus;

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

impl App {
    /// The vouchers `merchant` accepted in `month` (China time) and what the village owes it.
    pub fn merchant_statement(&mut self, merchant: &str, month: &str) -> Result<MerchantStatement> {
        let month: Month = month.parse()?;
        let merchant = merchant.trim();
        if merchant.is_empty() {
            return Err(AppError::Invalid("a merchant's name is needed".into()));
        }
        let vouchers = self.store.read(|tx| {
            let mut out = Vec::new();
            for v in tx.vouchers(Some(VoucherStatus::Settled))? {
                let (Some(at), Some(by)) = (v.settled_at, v.settled_merchant.as_deref()) else {
                    continue;
                };
                if by != merchant || Month::of(china_date(at)) != month {
                    continue;
                }
                let commitment = tx.fund_commitment(&v.redemption_id)?;
                out.push(SettledVoucher {
                    serial: v.serial,
                    item_name: v.item_name,
                    qty: v.qty,
                    points: v.points,
                    settled_at: china_time_text(at),
                    amount: commitment.as_ref().map(|(_, fen)| Fen(*fen)),
                    sponsor: commitment.map(|(sponsor, _)| sponsor),
                });
            }
            Ok::<_, AppError>(out)
        })?;
        let mut funds: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
        for v in &vouchers {
            if let (Some(sponsor), Some(amount)) = (&v.sponsor, v.amount) {
                let fund = funds.entry(sponsor).or_default();
                fund.0 += 1;
                fund.1 += amount.0;
            }
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
        let mut vouchers = vouchers;
        vouchers.sort_by(|a, b| a.settled_at.cmp(&b.settled_at).then_with(|| a.serial.cmp(&b.serial)));
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
