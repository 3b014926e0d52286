//! Data for `jifen admin export`: households, ledger and vouchers as rows. The CLI
//! writes them as CSV; ID numbers are not among them (only their last four characters).

use super::{App, AppError, Result, VoucherView};
use crate::domain::ledger::LedgerEntry;
use crate::store::HouseholdRow;

pub struct ExportData {
    pub households: Vec<(HouseholdRow, Vec<crate::domain::household::Resident>)>,
    pub entries: Vec<LedgerEntry>,
    pub vouchers: Vec<VoucherView>,
}

impl App {
    pub fn export_data(&mut self) -> Result<ExportData> {
        let (households, entries) = self.store.read(|tx| {
            let mut hs = Vec::new();
            for row in tx.households()? {
                let members = tx.household(&row.code)?.map(|h| h.members).unwrap_or_default();
                hs.push((row, members));
            }
            Ok::<_, AppError>((hs, tx.all_entries()?))
        })?;
        Ok(ExportData {
            households,
            entries,
            vouchers: self.vouchers(None)?,
        })
    }
}
