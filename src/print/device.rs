//! The printer as the app sees it (`app::Printer`): prepare the document, ask the printer
//! whether it can print, send the job, ask again. While a printer reports paper out, cover
//! open or offline nothing is sent: a real printer would buffer the job and print it
//! unannounced once paper is loaded, putting a second paper with the same serial in the
//! world after the kiosk had already told the clerk it failed. A printer is asked through
//! its back channel (`DLE EOT`) and, on USB, through the lp driver's port status; one that
//! can tell nothing either way is never taken at its silence: the job goes out as
//! `Delivery::Unverified`, and someone at the tray says whether paper came out.

use std::io;
use std::path::{Path, PathBuf};

use super::bitmap::{Bitmap, PngError};
use super::encode::{self, EncodeError};
use super::fill::fill;
use super::lp_status;
use super::render::{render, RenderError};
use super::status::{PrinterFault, PrinterStatus, StatusError, QUERY_OFFLINE_CAUSE, QUERY_PAPER, QUERY_PRINTER};
use super::template::{Template, TemplateError};
use super::transport::{self, Connection, TransportError};
use super::url::PrinterUrl;
use super::{PaperWidth, PrintMode};
use crate::app::{Delivery, PrintFailure, Printer, Printout};

/// A configured printer: where it is, how to talk to it, how wide its paper is, and where
/// a clerk's own templates are (the shipped ones otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterDevice {
    pub url: PrinterUrl,
    pub mode: PrintMode,
    pub width: PaperWidth,
    pub templates: Option<PathBuf>,
}

/// A document ready to go: its picture (the preview) and the exact bytes for the printer.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub bitmap: Bitmap,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error(transparent)]
    Png(#[from] PngError),
    #[error("cannot write the preview into {dir}: {source}")]
    Preview { dir: PathBuf, source: io::Error },
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("the printer at {0} did not answer its status query")]
    NoAnswer(String),
    #[error(transparent)]
    Status(#[from] StatusError),
    #[error("the printer reports: {0}")]
    Fault(PrinterFault),
}

impl PrinterDevice {
    /// Fills, draws and encodes `printout` in this printer's mode and width.
    pub fn prepare(&self, printout: &Printout) -> Result<Prepared, PrintError> {
        let template = Template::load(self.templates.as_deref(), printout.document)?;
        let blocks = fill(&template, printout)?;
        let bitmap = render(&blocks, self.width)?;
        let bytes = match self.mode {
            PrintMode::Raster => encode::raster(&bitmap)?,
            PrintMode::Text => encode::text(&blocks, self.width)?,
        };
        Ok(Prepared { bitmap, bytes })
    }

    /// Sends a prepared document named `name` (a preview writes `<name>.png` and `.bin`).
    pub fn send(&self, name: &str, prepared: &Prepared) -> Result<Delivery, PrintError> {
        if let PrinterUrl::Preview(dir) = &self.url {
            write_preview(dir, name, prepared)?;
            return Ok(Delivery::Confirmed);
        }
        let mut line = transport::open(&self.url)?;
        let before = self.check(line.as_mut())?;
        line.send_job(&prepared.bytes)?;
        // Asked again: a printer that ran out of paper during the job has not printed it whole.
        let after = self.check(line.as_mut())?;
        Ok(if before && after {
            Delivery::Confirmed
        } else {
            tracing::info!(printer = %self.url, "the printer cannot report its status: sent unverified");
            Delivery::Unverified
        })
    }

    /// The printer's status now: `None` for a preview folder or a printer that cannot answer.
    pub fn status(&self) -> Result<Option<PrinterStatus>, PrintError> {
        if let PrinterUrl::Preview(_) = self.url {
            return Ok(None);
        }
        let mut line = transport::open(&self.url)?;
        read_status(line.as_mut(), &self.url)
    }

    /// Refuses to go on while the printer reports a fault; `Ok(false)` when it reports nothing.
    fn check(&self, line: &mut dyn Connection) -> Result<bool, PrintError> {
        let status = read_status(line, &self.url)?;
        if let Some(fault) = status.and_then(PrinterStatus::fault) {
            return Err(PrintError::Fault(fault));
        }
        if status.is_some_and(|s| s.paper_near_end) {
            tracing::warn!(printer = %self.url, "paper near end");
        }
        Ok(status.is_some())
    }
}

impl Printer for PrinterDevice {
    fn print(&mut self, printout: &Printout) -> Result<Delivery, PrintFailure> {
        self.prepare(printout)
            .and_then(|prepared| self.send(&printout.name, &prepared))
            .map_err(|e| PrintFailure {
                words: e.words(),
                detail: e.to_string(),
            })
    }

    fn trouble(&mut self) -> Option<String> {
        match self.status() {
            Ok(None) if matches!(self.url, PrinterUrl::Preview(_)) => None,
            Ok(None) => Some(CANNOT_REPORT_WORDS.into()),
            Ok(Some(s)) => s.fault().map(|f| f.to_string()),
            Err(e) => Some(e.words()),
        }
    }
}

/// What clerk mode says of a printer that can report nothing.
pub const CANNOT_REPORT_WORDS: &str = "打印机无法报告状态（缺纸也看不出来），每张兑换券打印后都会请村民确认是否出纸";

impl PrintError {
    /// What the clerk and the villager are told.
    pub fn words(&self) -> String {
        match self {
            PrintError::Fault(fault) => fault.to_string(),
            PrintError::Transport(TransportError::Babbling { .. }) => "打印机应答异常，请联系管理员".into(),
            PrintError::Transport(TransportError::JobTooSlow { .. }) => "打印机太慢没有打完，请联系管理员".into(),
            PrintError::Transport(_) | PrintError::NoAnswer(_) => "打印机没有响应，请联系管理员".into(),
            PrintError::Status(_) => "打印机应答异常，请联系管理员".into(),
            PrintError::Preview { .. } => "打印预览无法保存，请联系管理员".into(),
            PrintError::Template(_) | PrintError::Render(_) | PrintError::Encode(_) | PrintError::Png(_) => {
                "兑换券版式有误，请联系管理员".into()
            }
        }
    }
}

/// What the printer says of itself: the lp port status where the line has one, and the
/// answers to `DLE EOT 1`, `2` and `4` (stray bytes drained first), together. `None` only
/// when neither says anything.
fn read_status(line: &mut dyn Connection, url: &PrinterUrl) -> Result<Option<PrinterStatus>, PrintError> {
    let port = line.port_status()?.map(lp_status::decode);
    let stray = line.drain()?;
    if stray > 0 {
        tracing::debug!(printer = %url, stray, "stray bytes before the status query dropped");
    }
    let back_channel = ask_status(line, url)?;
    Ok(match (port, back_channel) {
        (Some(p), Some(b)) => Some(p.with(b)),
        (p, b) => p.or(b),
    })
}

fn ask_status(line: &mut dyn Connection, url: &PrinterUrl) -> Result<Option<PrinterStatus>, PrintError> {
    let mut answers = [0u8; 3];
    for (answer, query) in answers
        .iter_mut()
        .zip([QUERY_PRINTER, QUERY_OFFLINE_CAUSE, QUERY_PAPER])
    {
        match line.ask(&query)? {
            Some(b) => *answer = b,
            None if line.must_answer() => return Err(PrintError::NoAnswer(url.to_string())),
            None => return Ok(None),
        }
    }
    Ok(Some(PrinterStatus::decode(answers[0], answers[1], answers[2])?))
}

/// Writes both files under temporary names first, so a preview folder never holds half a job.
fn write_preview(dir: &Path, name: &str, prepared: &Prepared) -> Result<(), PrintError> {
    let failed = |source| PrintError::Preview {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    for (ext, bytes) in [("png", prepared.bitmap.to_png()?), ("bin", prepared.bytes.clone())] {
        let path = dir.join(format!("{name}.{ext}"));
        let tmp = dir.join(format!(".{name}.{ext}.tmp"));
        std::fs::write(&tmp, &bytes).map_err(failed)?;
        std::fs::rename(&tmp, &path).map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::time::Duration;

    use super::*;
    use crate::print::status::PrinterFault;

    /// A line as a USB printer presents it: a port status from the lp driver (or none),
    /// and a back channel that answers queued bytes (or nothing).
    struct UsbLine {
        port: Option<i32>,
        back: VecDeque<u8>,
        answers_queries: bool,
        sent: Vec<u8>,
    }

    impl Connection for UsbLine {
        fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
            self.sent.extend_from_slice(bytes);
            if self.answers_queries && bytes.len() == 3 && bytes[..2] == [0x10, 0x04] {
                self.back.push_back(0x12);
            }
            Ok(())
        }
        fn read_some(&mut self, buf: &mut [u8], _wait: Duration) -> Result<usize, TransportError> {
            match self.back.pop_front() {
                Some(b) => {
                    buf[0] = b;
                    Ok(1)
                }
                None => Ok(0),
            }
        }
        fn must_answer(&self) -> bool {
            false
        }
        fn url(&self) -> &str {
            "usb:/dev/usb/lp0"
        }
        fn port_status(&mut self) -> Result<Option<i32>, TransportError> {
            Ok(self.port)
        }
    }

    fn usb(port: Option<i32>, answers_queries: bool) -> UsbLine {
        UsbLine {
            port,
            back: VecDeque::new(),
            answers_queries,
            sent: Vec::new(),
        }
    }

    fn status_of(line: &mut UsbLine) -> Option<PrinterStatus> {
        read_status(line, &"usb:/dev/usb/lp0".parse().unwrap()).unwrap()
    }

    #[test]
    fn a_usb_printer_without_a_back_channel_is_judged_by_its_port_status() {
        assert_eq!(status_of(&mut usb(Some(0x18), false)).unwrap().fault(), None);
        let paper_out = status_of(&mut usb(Some(0x38), false)).unwrap();
        assert_eq!(paper_out.fault(), Some(PrinterFault::PaperOut));
        assert_eq!(
            status_of(&mut usb(Some(0x08), false)).unwrap().fault(),
            Some(PrinterFault::Offline)
        );
        assert_eq!(
            status_of(&mut usb(Some(0x10), false)).unwrap().fault(),
            Some(PrinterFault::Error)
        );
    }

    #[test]
    fn a_printer_that_reports_nothing_is_not_taken_for_healthy() {
        assert_eq!(status_of(&mut usb(None, false)), None);
        // Its back channel alone is enough to know.
        assert_eq!(status_of(&mut usb(None, true)), Some(PrinterStatus::default()));
        // And either report's fault stops the job.
        let mut both = usb(Some(0x38), true);
        assert_eq!(status_of(&mut both).unwrap().fault(), Some(PrinterFault::PaperOut));
    }

    #[test]
    fn a_printer_that_never_stops_talking_is_a_fault_not_a_hang() {
        struct Chatty;
        impl Connection for Chatty {
            fn send(&mut self, _: &[u8]) -> Result<(), TransportError> {
                Ok(())
            }
            fn read_some(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, TransportError> {
                buf.fill(b'A');
                Ok(buf.len())
            }
            fn must_answer(&self) -> bool {
                true
            }
            fn url(&self) -> &str {
                "tcp://chatty:9100"
            }
        }
        let e = read_status(&mut Chatty, &"tcp://chatty:9100".parse().unwrap()).unwrap_err();
        assert_eq!(e.words(), "打印机应答异常，请联系管理员");
    }
}
