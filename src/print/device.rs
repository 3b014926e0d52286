//! The printer as the app sees it (`app::Printer`): prepare the document, ask the printer
//! whether it can print, send the job, ask again. While a printer reports paper out, cover
//! open or offline nothing is sent: a real printer would buffer the job and print it
//! unannounced once paper is loaded, putting a second paper with the same serial in the
//! world after the kiosk had already told the clerk it failed.

use std::io;
use std::path::{Path, PathBuf};

use super::bitmap::{Bitmap, PngError};
use super::encode::{self, EncodeError};
use super::fill::fill;
use super::render::{render, RenderError};
use super::status::{PrinterFault, PrinterStatus, StatusError, QUERY_OFFLINE_CAUSE, QUERY_PAPER, QUERY_PRINTER};
use super::template::{Template, TemplateError};
use super::transport::{self, Connection, TransportError};
use super::url::PrinterUrl;
use super::{PaperWidth, PrintMode};
use crate::app::{PrintFailure, Printer, Printout};

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
    pub fn send(&self, name: &str, prepared: &Prepared) -> Result<(), PrintError> {
        if let PrinterUrl::Preview(dir) = &self.url {
            return write_preview(dir, name, prepared);
        }
        let mut line = transport::open(&self.url)?;
        self.check(line.as_mut())?;
        line.send(&prepared.bytes)?;
        // Asked again: a printer that ran out of paper during the job has not printed it whole.
        self.check(line.as_mut())?;
        Ok(())
    }

    /// The printer's status now: `None` for a preview folder or a printer that cannot answer.
    pub fn status(&self) -> Result<Option<PrinterStatus>, PrintError> {
        if let PrinterUrl::Preview(_) = self.url {
            return Ok(None);
        }
        let mut line = transport::open(&self.url)?;
        read_status(line.as_mut(), &self.url)
    }

    fn check(&self, line: &mut dyn Connection) -> Result<(), PrintError> {
        let status = read_status(line, &self.url)?;
        if let Some(fault) = status.and_then(PrinterStatus::fault) {
            return Err(PrintError::Fault(fault));
        }
        if status.is_some_and(|s| s.paper_near_end) {
            tracing::warn!(printer = %self.url, "paper near end");
        }
        Ok(())
    }
}

impl Printer for PrinterDevice {
    fn print(&mut self, printout: &Printout) -> Result<(), PrintFailure> {
        self.prepare(printout)
            .and_then(|prepared| self.send(&printout.name, &prepared))
            .map_err(|e| PrintFailure {
                words: e.words(),
                detail: e.to_string(),
            })
    }
}

impl PrintError {
    /// What the clerk and the villager are told.
    pub fn words(&self) -> String {
        match self {
            PrintError::Fault(fault) => fault.to_string(),
            PrintError::Transport(_) | PrintError::NoAnswer(_) => "打印机没有响应，请联系管理员".into(),
            PrintError::Status(_) => "打印机应答异常，请联系管理员".into(),
            PrintError::Preview { .. } => "打印预览无法保存，请联系管理员".into(),
            PrintError::Template(_) | PrintError::Render(_) | PrintError::Encode(_) | PrintError::Png(_) => {
                "兑换券版式有误，请联系管理员".into()
            }
        }
    }
}

/// Drains stray bytes, then asks `DLE EOT 1`, `2` and `4`.
fn read_status(line: &mut dyn Connection, url: &PrinterUrl) -> Result<Option<PrinterStatus>, PrintError> {
    let stray = line.drain()?;
    if stray > 0 {
        tracing::debug!(printer = %url, stray, "stray bytes before the status query dropped");
    }
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
