//! The print order of DESIGN.md §5.4: commit the redemption (voucher `pending`) → record
//! the print attempt → print → mark `printed`. A crash or a printer fault at any step
//! loses no points and never yields a second valid voucher: whatever was not confirmed
//! is printed again under the same serial, marked 重印.

use std::collections::BTreeMap;

use serde::Serialize;

use super::vouchers::{unusable_refusal, voucher_view};
use super::{failpoint, injected_error, App, AppError, Result, VoucherView};
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
    /// The year's certificate of a star household (星级文明户).
    HonourCertificate,
    /// The thank-you letter to a sponsor (感谢信) with what its money did.
    SponsorLetter,
    /// What the village owes a merchant for a month's settled vouchers, by sponsor fund.
    MerchantStatement,
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
/// job without reporting a fault; whether it *could* report one is in the `Delivery`.
pub trait Printer {
    fn print(&mut self, printout: &Printout) -> std::result::Result<Delivery, PrintFailure>;

    /// What clerk mode should know about the printer now, in words: a fault, or that it
    /// can report nothing (then every voucher is confirmed by the villager). `None` when
    /// it is healthy or cannot be asked.
    fn trouble(&mut self) -> Option<String> {
        None
    }
}

/// How sure the kiosk is that paper came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// The printer reported itself healthy before and after the job.
    Confirmed,
    /// The printer can report nothing (a USB printer without a back channel or port
    /// status): only someone at the tray knows whether paper came out.
    Unverified,
}

/// What the clerk reads on a voucher sent to a printer that cannot say whether it printed.
pub const UNVERIFIED_WORDS: &str = "打印机无法确认是否出纸";
/// What the clerk reads on a voucher the villager said did not come out.
pub const NOT_OUT_WORDS: &str = "村民说兑换券没有出来";
/// What the villager is told when the voucher could not be printed after the redemption.
pub const KEPT_WORDS: &str = "兑换券没有打印出来";

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
    /// Sent to a printer that cannot report: the voucher stays `pending` until someone at
    /// the tray says it came out (`voucher_came_out`).
    pub unverified: bool,
}

impl PrintReport {
    /// A voucher whose printing went wrong after its redemption committed: it is kept,
    /// pending, for a clerk to print.
    fn kept(serial: &str, e: &AppError) -> PrintReport {
        PrintReport {
            serial: serial.to_string(),
            printed: false,
            reprint: false,
            error: Some(KEPT_WORDS.into()),
            detail: Some(e.to_string()),
            unverified: false,
        }
    }
}

/// A voucher cleared for printing.
#[derive(Debug, Clone, Serialize)]
pub struct PrintJob {
    pub voucher: VoucherView,
    /// True when an earlier attempt may have put paper in the world: print 重印 and the count.
    pub reprint: bool,
    /// A clerk redeemed it on the household's behalf: the voucher prints 代领.
    pub proxy: Option<super::Proxy>,
}

impl App {
    /// Redeems and prints: the one path a villager's tap takes, for every front end. Once
    /// the redemption has committed nothing after it is reported as a failure of the
    /// redemption (a villager told 没有办成 would try again and spend twice): a print or
    /// bookkeeping problem becomes the report's words, and the voucher stays pending.
    pub fn redeem_and_print(
        &mut self,
        household: &str,
        item: &str,
        qty: i64,
        recorded_by: &str,
        printer: &mut dyn Printer,
    ) -> Result<(super::RedemptionReceipt, PrintReport)> {
        let receipt = self.redeem(household, item, qty, recorded_by)?;
        let report = self.print_committed(&receipt.serial, printer);
        Ok((receipt, report))
    }

    /// Prints a voucher whose redemption has committed: whatever goes wrong now is the
    /// report's words (the voucher stays pending for a clerk), never an error.
    pub(super) fn print_committed(&mut self, serial: &str, printer: &mut dyn Printer) -> PrintReport {
        self.print_voucher(serial, printer).unwrap_or_else(|e| {
            tracing::error!(%serial, error = %e, "redeemed, but printing failed");
            PrintReport::kept(serial, &e)
        })
    }

    /// The whole print order for one voucher: record the attempt, print, confirm. A
    /// printer fault is not an error here: it is recorded on the voucher and reported.
    pub fn print_voucher(&mut self, serial: &str, printer: &mut dyn Printer) -> Result<PrintReport> {
        failpoint("before-attempt");
        let job = self.begin_print(serial)?;
        failpoint("attempt-recorded");
        let printout = self.voucher_printout(&job);
        let serial = job.voucher.serial.clone();
        match printer.print(&printout) {
            Ok(Delivery::Confirmed) => {
                failpoint("printed");
                injected_error("printed")?;
                self.print_succeeded(&serial)?;
                Ok(PrintReport {
                    serial,
                    printed: true,
                    reprint: job.reprint,
                    error: None,
                    detail: None,
                    unverified: false,
                })
            }
            Ok(Delivery::Unverified) => {
                self.print_failed(&serial, UNVERIFIED_WORDS)?;
                Ok(PrintReport {
                    serial,
                    printed: false,
                    reprint: job.reprint,
                    error: None,
                    detail: None,
                    unverified: true,
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
                    unverified: false,
                })
            }
        }
    }

    /// A clerk's reprint: every voucher whose paper was never confirmed, under its own
    /// serial. Never run at start-up: paper put into an empty hall's tray is spendable by
    /// whoever takes it. Stops at the first printer fault: the rest would fail the same way.
    pub fn reprint_unconfirmed(&mut self, printer: &mut dyn Printer) -> Result<Vec<PrintReport>> {
        let pending = self.unconfirmed_vouchers()?;
        self.reprint_each(pending, printer)
    }

    /// The household's own unconfirmed vouchers, printed now that it stands at the kiosk
    /// (its card was just read): the one time a kiosk reprints without a clerk.
    pub fn reprint_for_household(&mut self, household: &str, printer: &mut dyn Printer) -> Result<Vec<PrintReport>> {
        let pending = self.unconfirmed_of(household)?;
        self.reprint_each(pending, printer)
    }

    /// How many of the household's vouchers wait for paper (the account screen says so).
    pub fn unconfirmed_for_household(&mut self, household: &str) -> Result<usize> {
        Ok(self.unconfirmed_of(household)?.len())
    }

    fn unconfirmed_of(&mut self, household: &str) -> Result<Vec<VoucherView>> {
        let mut pending = self.unconfirmed_vouchers()?;
        pending.retain(|v| v.household_code == household);
        Ok(pending)
    }

    fn reprint_each(&mut self, vouchers: Vec<VoucherView>, printer: &mut dyn Printer) -> Result<Vec<PrintReport>> {
        let mut reports = Vec::new();
        for v in vouchers {
            let report = self.print_voucher(&v.serial, printer)?;
            let failed = report.error.is_some();
            reports.push(report);
            if failed {
                break;
            }
        }
        Ok(reports)
    }

    /// Someone at the tray saw the voucher come out of a printer that cannot report.
    pub fn voucher_came_out(&mut self, serial: &str) -> Result<()> {
        self.print_succeeded(serial)
    }

    /// The villager said the voucher did not come out: it stays pending, with the words
    /// for the clerk, who prints it again.
    pub fn voucher_did_not_come_out(&mut self, serial: &str) -> Result<()> {
        tracing::warn!(%serial, "the villager says the voucher did not come out");
        self.print_failed(serial, NOT_OUT_WORDS)
    }

    /// Step 2: records the attempt (committed before the printer is touched) and returns
    /// the job. Settled, void and expired vouchers are never printed again.
    pub fn begin_print(&mut self, serial: &str) -> Result<PrintJob> {
        let serial: Serial = serial.parse()?;
        self.clock_fit()?;
        let today = self.clock.today();
        let (before, row, proxy) = self.store.write(|tx| {
            let v = tx
                .voucher(serial.as_str())?
                .ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
            if let Some(refusal) = unusable_refusal(&v, today) {
                return Err(refusal);
            }
            let before = tx.record_print_attempt(&v.serial)?;
            let proxy = tx.proxy_redemption(&v.serial)?.map(super::Proxy::from);
            Ok((before, tx.voucher(&v.serial)?, proxy))
        })?;
        let row = row.ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
        Ok(PrintJob {
            voucher: voucher_view(&row, today),
            reprint: before > 0,
            proxy,
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
