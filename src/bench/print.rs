//! The printing figures of `jifen bench`: render + encode time per voucher, bytes per
//! voucher in each mode and width, and how long those bytes take on a serial line.

use std::time::Instant;

use serde::Serialize;

use crate::app::{App, PrintJob};
use crate::print::url::PrinterUrl;
use crate::print::{PaperWidth, PrintMode, PrinterDevice};

#[derive(Debug, Serialize)]
pub struct PrintFigure {
    pub mode: PrintMode,
    pub width: u32,
    pub render_encode_median_us: u128,
    pub render_encode_p99_us: u128,
    pub bytes: usize,
    /// 8N1: ten bits on the line per byte.
    pub seconds_at_9600: f64,
    pub seconds_at_115200: f64,
}

/// Times `rounds` preparations of the voucher `serial` in each mode and width.
pub fn measure(app: &mut App, serial: &str, rounds: usize) -> anyhow::Result<Vec<PrintFigure>> {
    let job = PrintJob {
        voucher: app.voucher(serial)?,
        reprint: false,
        proxy: None,
    };
    let printout = app.voucher_printout(&job);
    let mut figures = Vec::new();
    for mode in [PrintMode::Raster, PrintMode::Text] {
        for width in [PaperWidth::MM58, PaperWidth::MM80] {
            let device = PrinterDevice {
                url: PrinterUrl::Preview(std::env::temp_dir()),
                mode,
                width,
                templates: None,
            };
            let mut times = Vec::with_capacity(rounds);
            let mut bytes = 0;
            for _ in 0..rounds.max(1) {
                let t = Instant::now();
                let prepared = device.prepare(&printout)?;
                times.push(t.elapsed());
                bytes = prepared.bytes.len();
            }
            let (median, p99) = super::scratch::median_p99(&mut times);
            figures.push(PrintFigure {
                mode,
                width: width.dots(),
                render_encode_median_us: median,
                render_encode_p99_us: p99,
                bytes,
                seconds_at_9600: bytes as f64 * 10.0 / 9600.0,
                seconds_at_115200: bytes as f64 * 10.0 / 115_200.0,
            });
        }
    }
    Ok(figures)
}

pub fn describe(f: &PrintFigure) -> String {
    format!(
        "voucher {:?} {} dots: render+encode median {} µs, p99 {} µs; {} bytes = {:.2} s at 9600 baud, {:.2} s at 115200\n",
        f.mode,
        f.width,
        f.render_encode_median_us,
        f.render_encode_p99_us,
        f.bytes,
        f.seconds_at_9600,
        f.seconds_at_115200
    )
}
