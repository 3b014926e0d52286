//! What goes in the fields of each printed document. The layouts are templates in
//! `printer-templates/`; here the app fills in the facts from the ledger and vouchers.

use std::collections::BTreeMap;

use super::printing::{Document, PrintJob, Printout};
use super::{App, AppError, Identity, Result, SettlementReceipt};
use crate::domain::clock::china_time_text;
use crate::domain::money::Fen;
use crate::domain::statement::StatementPayload;

impl App {
    /// The voucher, or its reprint (marked 重印 with the count) when paper may exist already.
    pub fn voucher_printout(&self, job: &PrintJob) -> Printout {
        let v = &job.voucher;
        let mut fields = BTreeMap::from([
            ("village", self.village.name.clone()),
            ("household", v.household_code.clone()),
            ("item", v.item_name.clone()),
            ("qty", v.qty.to_string()),
            ("points", v.points.to_string()),
            ("serial", v.serial.clone()),
            ("issued", minutes(&v.issued_at)),
            ("expires", v.expires_on.clone()),
            ("merchant", v.merchant.clone().unwrap_or_default()),
            ("sponsor", v.sponsor.clone().unwrap_or_default()),
            (
                "proxy",
                job.proxy
                    .as_ref()
                    .map(|p| format!("{}（{}送到户）", p.clerk, p.deliverer))
                    .unwrap_or_default(),
            ),
            ("qr", self.voucher_qr_text(&v.qr_payload)),
            (
                "code",
                crate::domain::voucher::verification_code(&v.qr_payload).unwrap_or_default(),
            ),
        ]);
        let document = if job.reprint {
            fields.insert("reprint_count", v.reprint_count.to_string());
            Document::Reprint
        } else {
            Document::Voucher
        };
        Printout {
            document,
            name: v.serial.clone(),
            fields,
            rows: Vec::new(),
        }
    }

    /// One settlement slip per merchant for vouchers settled together.
    pub fn settlement_printouts(&self, settled: &[SettlementReceipt], clerk: &str) -> Vec<Printout> {
        let mut by_merchant: BTreeMap<&str, Vec<&SettlementReceipt>> = BTreeMap::new();
        for r in settled {
            by_merchant.entry(r.merchant.as_str()).or_default().push(r);
        }
        let date = self.clock.today().to_string();
        by_merchant
            .into_iter()
            .map(|(merchant, receipts)| Printout {
                document: Document::Settlement,
                name: format!("settlement-{date}-{}", receipts[0].serial),
                fields: BTreeMap::from([
                    ("village", self.village.name.clone()),
                    ("merchant", merchant.to_string()),
                    ("date", date.clone()),
                    ("clerk", clerk.to_string()),
                    ("count", receipts.len().to_string()),
                    (
                        "total_points",
                        receipts.iter().map(|r| r.points).sum::<i64>().to_string(),
                    ),
                    ("total_amount", owed_text(receipts.iter().filter_map(|r| r.amount))),
                ]),
                rows: receipts
                    .iter()
                    .map(|r| {
                        BTreeMap::from([
                            ("serial", r.serial.clone()),
                            ("item", r.item_name.clone()),
                            ("qty", r.qty.to_string()),
                            ("points", r.points.to_string()),
                            ("amount", r.amount.map(|a| format!("{a} 元")).unwrap_or_default()),
                        ])
                    })
                    .collect(),
            })
            .collect()
    }

    /// A household's points statement: balance, rank, and the last twelve months by area,
    /// with a signed QR the credit co-operative can check.
    pub fn statement_printout(&mut self, household: &str) -> Result<Printout> {
        self.clock_fit()?;
        let view = self.account_view(&Identity::HouseholdCode(household.to_string()))?;
        let to = self.this_month();
        let from = to.minus(11);
        let code = view.household_code.clone();
        let months = self
            .store
            .read(|tx| Ok::<_, AppError>(tx.merit_by_month_and_area(&code, from, to)?))?;
        let today = self.clock.today();
        let payload = StatementPayload {
            village: self.village.code.clone(),
            household: code.clone(),
            balance: view.balance,
            earned_12_months: months.iter().map(|(_, _, p)| p).sum(),
            issued: today,
        };
        Ok(Printout {
            document: Document::Statement,
            name: format!("statement-{code}-{today}"),
            fields: BTreeMap::from([
                ("village", self.village.name.clone()),
                ("household", code),
                ("head", view.head.unwrap_or_default()),
                ("balance", view.balance.to_string()),
                ("rank", view.rank.to_string()),
                ("households", view.households_in_village.to_string()),
                ("quarter", view.quarter),
                ("issued", today.to_string()),
                ("qr", payload.sign(&self.keys.voucher_signing)),
            ]),
            rows: months
                .into_iter()
                .map(|(month, area, points)| {
                    BTreeMap::from([("month", month), ("area", area), ("points", signed(points))])
                })
                .collect(),
        })
    }

    /// The printer test page: every text size, the alignments, a QR, and what is printing.
    pub fn test_page_printout(&self, printer: &str, width: u32) -> Printout {
        let issued = minutes(&china_time_text(self.clock.now()));
        Printout {
            document: Document::TestPage,
            name: "test-page".into(),
            fields: BTreeMap::from([
                ("village", self.village.name.clone()),
                ("printer", printer.to_string()),
                ("width", width.to_string()),
                ("qr", format!("JIFEN-TEST|{}|{issued}", self.village.code)),
                ("issued", issued),
            ]),
            rows: Vec::new(),
        }
    }

    /// Checks a statement's QR against this installation's key (for the co-operative's clerk).
    pub fn verify_statement(&self, qr: &str) -> Result<StatementPayload> {
        Ok(StatementPayload::verify(qr, &self.voucher_public_key())?)
    }
}

/// `2026-11-15T12:00:00+08:00` → `2026-11-15 12:00`: the minute is enough on paper.
fn minutes(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

fn signed(points: i64) -> String {
    if points > 0 {
        format!("+{points}")
    } else {
        points.to_string()
    }
}

/// The yuan owed for some settled vouchers, or nothing (the slip leaves the line out) when
/// no fund pays for any of them.
pub(super) fn owed_text(amounts: impl Iterator<Item = Fen>) -> String {
    let mut amounts = amounts.peekable();
    if amounts.peek().is_none() {
        return String::new();
    }
    Fen(amounts.map(|a| a.0).sum()).to_string()
}
