//! The print order of DESIGN.md §5.4: commit the redemption (voucher `pending`) → record
//! the print attempt → print → mark `printed`. A crash or a printer fault at any step
//! loses no points and never yields a second valid voucher: whatever was not confirmed
//! is printed again under the same serial, marked 重印.

use serde::Serialize;

use super::vouchers::{unusable_refusal, voucher_view};
use super::{App, AppError, Result, VoucherView};
use crate::domain::voucher::{Serial, VoucherStatus};

/// A voucher cleared for printing.
#[derive(Debug, Clone, Serialize)]
pub struct PrintJob {
    pub voucher: VoucherView,
    /// True when an earlier attempt may have put paper in the world: print 重印 and the count.
    pub reprint: bool,
}

impl App {
    /// Step 2: records the attempt (committed before the printer is touched) and returns
    /// the job. Settled, void and expired vouchers are never printed again.
    pub fn begin_print(&mut self, serial: &str) -> Result<PrintJob> {
        let serial: Serial = serial.parse()?;
        let today = self.clock.today();
        let (before, row) = self.store.write(|tx| {
            let v = tx
                .voucher(serial.as_str())?
                .ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
            if let Some(refusal) = unusable_refusal(&v, today) {
                return Err(refusal);
            }
            let before = tx.record_print_attempt(&v.serial)?;
            Ok((before, tx.voucher(&v.serial)?))
        })?;
        let row = row.ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
        Ok(PrintJob {
            voucher: voucher_view(&row, today),
            reprint: before > 0,
        })
    }

    /// Step 4: the printer confirmed the job.
    pub fn print_succeeded(&mut self, serial: &str) -> Result<()> {
        let serial: Serial = serial.parse()?;
        self.store
            .write(|tx| Ok::<_, AppError>(tx.mark_voucher_printed(serial.as_str())?))
    }

    /// The job failed (paper out, cover open, timeout…): the voucher keeps its status and
    /// its points stay spent; the reason is kept for the clerk and the next print reprints.
    pub fn print_failed(&mut self, serial: &str, reason: &str) -> Result<()> {
        let serial: Serial = serial.parse()?;
        self.store
            .write(|tx| Ok::<_, AppError>(tx.record_print_failure(serial.as_str(), reason)?))
    }

    /// Vouchers whose paper was never confirmed: printed again at start-up or by a clerk.
    pub fn unconfirmed_vouchers(&mut self) -> Result<Vec<VoucherView>> {
        let mut pending = self.vouchers(Some(VoucherStatus::Pending))?;
        // Past its date the view says `expired`: such paper would be refused anyway.
        pending.retain(|v| v.status == "pending");
        pending.reverse();
        Ok(pending)
    }
}
