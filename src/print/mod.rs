//! Printing vouchers and slips on ESC/POS printers (DESIGN.md §7): a template (a data file
//! in `printer-templates/`) is filled with a printout from the app, drawn into a 1-bit
//! bitmap with the embedded CJK font, encoded as raster or text ESC/POS, and sent over
//! a transport (USB lp, serial, TCP 9100, or a preview folder) after the printer said
//! it has paper. `PrinterDevice` is the app's `Printer` port.

pub mod bitmap;
pub mod device;
mod documents;
pub mod encode;
pub mod fill;
pub mod font;
pub mod lp_status;
pub mod render;
pub mod status;
pub mod template;
pub mod transport;
pub mod url;

use std::fmt;
use std::str::FromStr;

pub use device::PrinterDevice;

/// How a document is sent to the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrintMode {
    /// The whole document as a bitmap: Chinese on any printer.
    #[default]
    Raster,
    /// GB18030 text and the printer's own QR: far fewer bytes, needs a Chinese font in the printer.
    Text,
}

/// Printable width in dots: 58 mm paper has 384, 80 mm paper 576 (at 203 dpi).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PaperWidth(u32);

impl PaperWidth {
    pub const MM58: PaperWidth = PaperWidth(384);
    pub const MM80: PaperWidth = PaperWidth(576);

    pub fn dots(self) -> u32 {
        self.0
    }
}

impl Default for PaperWidth {
    fn default() -> PaperWidth {
        PaperWidth::MM58
    }
}

impl TryFrom<u32> for PaperWidth {
    type Error = String;
    fn try_from(dots: u32) -> Result<PaperWidth, String> {
        match dots {
            384 => Ok(PaperWidth::MM58),
            576 => Ok(PaperWidth::MM80),
            _ => Err(format!(
                "paper width must be 384 (58 mm) or 576 (80 mm) dots, not {dots}"
            )),
        }
    }
}

impl From<PaperWidth> for u32 {
    fn from(w: PaperWidth) -> u32 {
        w.0
    }
}

impl FromStr for PaperWidth {
    type Err = String;
    fn from_str(s: &str) -> Result<PaperWidth, String> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{s}' is not a paper width (384 or 576)"))?
            .try_into()
    }
}

impl fmt::Display for PaperWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for PrintMode {
    type Err = String;
    fn from_str(s: &str) -> Result<PrintMode, String> {
        match s {
            "raster" => Ok(PrintMode::Raster),
            "text" => Ok(PrintMode::Text),
            _ => Err(format!("print mode must be raster or text, not '{s}'")),
        }
    }
}
