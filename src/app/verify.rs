//! `jifen admin verify`: the integrity check behind DESIGN.md §5.

use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::voucher::Serial;

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub schema_version: i64,
    pub households: i64,
    pub problems: Vec<VerifyProblem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyProblem {
    pub check: &'static str,
    pub detail: String,
}

impl App {
    /// Balances equal ledger sums, stock is conserved, every redemption has exactly one
    /// voucher and one debit, no orphan rows, serials carry valid check characters.
    pub fn verify(&mut self) -> Result<VerifyReport> {
        let schema_version = self.store.schema_version()?;
        let (found, serials, households) = self
            .store
            .read(|tx| Ok::<_, AppError>((tx.integrity_problems()?, tx.all_serials()?, tx.household_count()?)))?;
        let mut problems: Vec<VerifyProblem> = found
            .into_iter()
            .map(|p| VerifyProblem {
                check: p.check,
                detail: p.detail,
            })
            .collect();
        for s in serials {
            if s.parse::<Serial>().is_err() {
                problems.push(VerifyProblem {
                    check: "serial_check_character",
                    detail: format!("voucher serial {s} has a wrong check character"),
                });
            }
        }
        Ok(VerifyReport {
            ok: problems.is_empty(),
            schema_version,
            households,
            problems,
        })
    }
}
