//! The two ESC/POS encodings, built with the `escpos` crate:
//! - **raster**: the rendered bitmap as `GS v 0` bands; prints Chinese on any printer.
//! - **text**: GB18030 text between `FS &` and `FS .` with a native QR (`GS ( k`, model 2);
//!   about a tenth of the bytes, for slow serial printers with a Chinese font.
//!
//! Both start with `ESC @` and end with a feed and a full cut. The crate's cash-drawer
//! command lacks its t1/t2 pulse bytes, so it is never used (no kiosk has a drawer).

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};

use super::bitmap::Bitmap;
use super::fill::Filled;
use super::render::{qr_code, RenderError};
use super::template::Align;
use super::PaperWidth;

/// `FS &`: Chinese character mode on; two-byte GB18030 codes print as one character.
pub const CHINESE_ON: [u8; 2] = [0x1C, 0x26];
/// `FS .`: Chinese character mode off.
pub const CHINESE_OFF: [u8; 2] = [0x1C, 0x2E];
/// `GS v 0`: print a raster bit image.
pub const RASTER_PREFIX: [u8; 3] = [0x1D, 0x76, 0x30];
/// A band's size is kept under a common printer receive buffer, so none overflows.
const BAND_BYTES: usize = 4096;
/// Lines fed before the cut, so the last printed line clears the cutter.
const FEED_LINES: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("ESC/POS encoding failed: {0}")]
    Escpos(String),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// The whole document as raster bands.
pub fn raster(bitmap: &Bitmap) -> Result<Vec<u8>, EncodeError> {
    let (mut printer, bytes) = printer();
    printer.init().map_err(escpos_error)?;
    for band in raster_bands(bitmap) {
        printer.custom(&band).map_err(escpos_error)?;
    }
    finish(printer, bytes)
}

/// The document as printer text, GB18030 in Chinese mode, with the printer's own QR.
pub fn text(blocks: &[Filled], width: PaperWidth) -> Result<Vec<u8>, EncodeError> {
    let (mut printer, bytes) = printer();
    printer
        .init()
        .map_err(escpos_error)?
        .custom(&CHINESE_ON)
        .map_err(escpos_error)?;
    // The printer's Chinese font is 24 dots square; a Latin character is 12 dots wide.
    let divider = "-".repeat((width.dots() / 12) as usize);
    for block in blocks {
        match block {
            Filled::Text(line) => {
                let justify = match line.align {
                    Align::Left => JustifyMode::LEFT,
                    Align::Center => JustifyMode::CENTER,
                    Align::Right => JustifyMode::RIGHT,
                };
                printer
                    .justify(justify)
                    .and_then(|p| p.bold(line.bold))
                    .and_then(|p| p.size(line.size, line.size))
                    .and_then(|p| p.writeln(&line.text))
                    .map_err(escpos_error)?;
            }
            Filled::Divider => {
                printer
                    .justify(JustifyMode::LEFT)
                    .and_then(|p| p.bold(false))
                    .and_then(|p| p.reset_size())
                    .and_then(|p| p.writeln(&divider))
                    .map_err(escpos_error)?;
            }
            Filled::Qr(data) => {
                let (_, module) = qr_code(data, width)?;
                let option = QRCodeOption::new(QRCodeModel::Model2, module as u8, QRCodeCorrectionLevel::M);
                printer
                    .justify(JustifyMode::CENTER)
                    .and_then(|p| p.qrcode_option(data, option))
                    .map_err(escpos_error)?;
            }
            Filled::Spacer(dots) => {
                // ESC J n: feed n dots.
                for chunk in [255].repeat((*dots / 255) as usize).into_iter().chain([*dots % 255]) {
                    if chunk > 0 {
                        printer.custom(&[0x1B, b'J', chunk as u8]).map_err(escpos_error)?;
                    }
                }
            }
            Filled::Image(picture) => {
                let mut centred = Bitmap::new(width.dots(), picture.height());
                centred.blit(picture, ((width.dots() - picture.width()) / 2) as i32, 0);
                for band in raster_bands(&centred) {
                    printer.custom(&band).map_err(escpos_error)?;
                }
            }
        }
    }
    printer.custom(&CHINESE_OFF).map_err(escpos_error)?;
    finish(printer, bytes)
}

/// `GS v 0 0 xL xH yL yH data` commands, each at most `BAND_BYTES` of rows.
pub fn raster_bands(bitmap: &Bitmap) -> Vec<Vec<u8>> {
    let per_row = bitmap.bytes_per_row();
    let rows_per_band = (BAND_BYTES / per_row).max(1) as u32;
    let mut bands = Vec::new();
    let mut from = 0;
    while from < bitmap.height() {
        let to = (from + rows_per_band).min(bitmap.height());
        let mut band = RASTER_PREFIX.to_vec();
        band.push(0); // normal density
        band.extend((per_row as u16).to_le_bytes());
        band.extend(((to - from) as u16).to_le_bytes());
        band.extend_from_slice(bitmap.rows(from, to));
        bands.push(band);
        from = to;
    }
    bands
}

/// Collects what `escpos` would send, so the same bytes go to a printer or a preview file.
#[derive(Clone, Default)]
struct Collect(Rc<RefCell<Vec<u8>>>);

impl Driver for Collect {
    fn name(&self) -> String {
        "collect".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

fn printer() -> (Printer<Collect>, Rc<RefCell<Vec<u8>>>) {
    let driver = Collect::default();
    let bytes = driver.0.clone();
    (
        Printer::new(driver, Protocol::new(Encoder::new(encoding_rs::GB18030)), None),
        bytes,
    )
}

fn finish(mut printer: Printer<Collect>, bytes: Rc<RefCell<Vec<u8>>>) -> Result<Vec<u8>, EncodeError> {
    printer
        .feeds(FEED_LINES)
        .and_then(|p| p.print_cut())
        .map_err(escpos_error)?;
    drop(printer);
    Ok(bytes.take())
}

fn escpos_error(e: escpos::errors::PrinterError) -> EncodeError {
    EncodeError::Escpos(e.to_string())
}
