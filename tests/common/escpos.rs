//! Reads ESC/POS byte streams back, as a printer would, so tests can check what was sent.

use jifen::print::bitmap::Bitmap;

/// What a raster job holds: the stitched bitmap and the commands around it.
pub struct RasterJob {
    pub bitmap: Bitmap,
    pub bands: usize,
    pub initialised: bool,
    pub fed_lines: u32,
    pub cut: bool,
}

/// Parses a raster-mode job: `ESC @`, `GS v 0` bands, `ESC d n`, `GS V A n`. Any other
/// byte is a test failure: a real printer would print it as garbage.
pub fn parse_raster(bytes: &[u8]) -> RasterJob {
    let mut job = RasterJob {
        bitmap: Bitmap::new(0, 0),
        bands: 0,
        initialised: false,
        fed_lines: 0,
        cut: false,
    };
    let mut width = None;
    let mut rows: Vec<u8> = Vec::new();
    let mut height = 0;
    let mut i = 0;
    while i < bytes.len() {
        match &bytes[i..] {
            [0x1B, 0x40, ..] => {
                job.initialised = true;
                i += 2;
            }
            [0x1D, 0x76, 0x30, m, xl, xh, yl, yh, ..] => {
                assert_eq!(*m, 0, "normal density");
                let w = u16::from_le_bytes([*xl, *xh]) as usize;
                let h = u16::from_le_bytes([*yl, *yh]) as usize;
                assert!(w * h <= 4096, "band of {} bytes overflows a printer buffer", w * h);
                assert_eq!(*width.get_or_insert(w), w, "every band has the same width");
                rows.extend_from_slice(&bytes[i + 8..i + 8 + w * h]);
                height += h;
                job.bands += 1;
                i += 8 + w * h;
            }
            [0x1B, 0x64, n, ..] => {
                job.fed_lines += u32::from(*n);
                i += 3;
            }
            [0x1D, 0x56, 0x41, _, ..] => {
                job.cut = true;
                i += 4;
                assert_eq!(i, bytes.len(), "the cut ends the job");
            }
            rest => panic!("unexpected bytes at {i}: {:02X?}", &rest[..rest.len().min(8)]),
        }
    }
    let w = width.unwrap_or(0);
    job.bitmap = Bitmap::from_rows((w * 8) as u32, height as u32, rows).expect("rows fill the bitmap");
    job
}

/// Position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
