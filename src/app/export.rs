//! The household register, and the data for `jifen admin export`: households, ledger
//! and vouchers as rows. The CLI writes them as CSV; ID numbers are not among them
//! (only their last four characters).

use super::{App, AppError, Result, VoucherView};
use crate::domain::household::Resident;
use crate::domain::ledger::LedgerEntry;
use crate::store::HouseholdRow;

pub struct ExportData {
    pub households: Vec<(HouseholdRow, Vec<Resident>)>,
    pub entries: Vec<LedgerEntry>,
    pub vouchers: Vec<VoucherView>,
}

impl App {
    /// Every household with its balance and members, in code order.
    pub fn households(&mut self) -> Result<Vec<(HouseholdRow, Vec<Resident>)>> {
        self.store.read(|tx| {
            let mut households = Vec::new();
            for row in tx.households()? {
                let members = tx.members(&row.code)?;
                households.push((row, members));
            }
            Ok::<_, AppError>(households)
        })
    }

    pub fn export_data(&mut self) -> Result<ExportData> {
        Ok(ExportData {
            households: self.households()?,
            entries: self.store.read(|tx| Ok::<_, AppError>(tx.all_entries()?))?,
            vouchers: self.vouchers(None)?,
        })
    }
}
