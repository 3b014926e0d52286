//! The print order of DESIGN.md §5.4: commit the redemption (voucher `pending`) → record
//! the print attempt → print → mark `printed`. A crash or a printer fault at any step
//! loses no points and never yields a second valid voucher: whatever was not confirmed
//! is printed again under the same serial, marked 重印.

use std::collections::BTreeMap;

use serde::Serialize;

use super::vouchers::{unusable_refusal, voucher_view};
use super::{failpoint, App, AppError, Result, VoucherView};
use crate::domain::voucher::{Serial, VoucherStatus};

/// The documents the kiosk prints. Their layouts are templates in `print/`; the app only
/// says which document and what goes in its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Document {
    Voucher,
    Reprint,
    Settlement,
    Statement,
    TestPage,
    /// The wallet-sized household QR card (its token opens the account).
    HouseholdCard,
}

/// A document ready for the printer: the values of its fields, and its rows (the settled
/// vouchers of a slip, the months of a statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printout {
    pub document: Document,
    /// Names the preview files: the voucher serial, or e.g. `statement-YT-H01-2026-11-28`.
    pub name: String,
    pub fields: BTreeMap<&'static str, String>,
    pub rows: Vec<BTreeMap<&'static str, String>>,
}

/// The port the printer adapter (`print/`) implements. `Ok` means the printer took the
/// job and still reported itself healthy afterwards.
pub trait Printer {
    fn print(&mut self, printout: &Printout) -> std::result::Result<(), PrintFailure>;
}

/// Why a job did not print, in words for the clerk and the villager (缺纸，请联系管理员),
/// with the technical detail for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{words} ({detail})")]
pub struct PrintFailure {
    pub words: String,
    pub detail: String,
}

/// What became of printing one voucher.
#[derive(Debug, Clone, Serialize)]
pub struct PrintReport {
    pub serial: String,
    pub printed: bool,
    pub reprint: bool,
    /// The words for the clerk when it did not print; the voucher then stays `pending`.
    pub error: Option<String>,
    /// What the printer or the template said, for whoever fixes it.
    pub detail: Option<String>,
}

/// A voucher cleared for printing.
#[derive(Debug, Clone, Serialize)]
pub struct PrintJob {
    pub voucher: VoucherView,
    /// True when an earlier attempt may have put paper in the world: print 重印 and the count.
    pub reprint: bool,
}

impl App {
    /// The whole print order for one voucher: record the attempt, print, confirm. A
    /// printer fault is not an error here: it is recorded on the voucher and reported.
    pub fn print_voucher(&mut self, serial: &str, printer: &mut dyn Printer) -> Result<PrintReport> {
        failpoint("before-attempt");
        let job = self.begin_print(serial)?;
        failpoint("attempt-recorded");
        let printout = self.voucher_printout(&job);
        let serial = job.voucher.serial.clone();
        match printer.print(&printout) {
            Ok(()) => {
                failpoint("printed");
                self.print_succeeded(&serial)?;
                Ok(PrintReport {
                    serial,
                    printed: true,
                    reprint: job.reprint,
                    error: None,
                    detail: None,
                })
            }
            Err(failure) => {
                tracing::warn!(%serial, %failure, "voucher not printed");
                self.print_failed(&serial, &failure.words)?;
                Ok(PrintReport {
                    serial,
                    printed: false,
                    reprint: job.reprint,
                    error: Some(failure.words),
                    detail: Some(failure.detail),
                })
            }
        }
    }

    /// Start-up (and clerk) reprint: every voucher whose paper was never confirmed, under
    /// its own serial. Stops at the first printer fault: the rest would fail the same way.
    pub fn reprint_unconfirmed(&mut self, printer: &mut dyn Printer) -> Result<Vec<PrintReport>> {
        let mut reports = Vec::new();
        for v in self.unconfirmed_vouchers()? {
            let report = self.print_voucher(&v.serial, printer)?;
            let failed = !report.printed;
            reports.push(report);
            if failed {
                break;
            }
        }
        Ok(reports)
    }

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
