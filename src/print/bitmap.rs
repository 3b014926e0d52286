//! A 1-bit picture of the paper, packed as the printer wants it: rows of bytes, most
//! significant bit leftmost, 1 = a dot burnt black. `GS v 0` sends exactly these rows.

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::{DrawTarget, OriginDimensions, Pixel, Size};

#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PngError {
    #[error("not a readable PNG: {0}")]
    Decode(String),
    #[error("cannot write the PNG: {0}")]
    Encode(String),
}

impl Bitmap {
    pub fn new(width: u32, height: u32) -> Bitmap {
        Bitmap {
            width,
            height,
            data: vec![0; width.div_ceil(8) as usize * height as usize],
        }
    }

    /// Wraps rows received from a printer stream (`GS v 0` data).
    pub fn from_rows(width: u32, height: u32, data: Vec<u8>) -> Option<Bitmap> {
        (data.len() == width.div_ceil(8) as usize * height as usize).then_some(Bitmap { width, height, data })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn bytes_per_row(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    /// Rows `from..to`, packed.
    pub fn rows(&self, from: u32, to: u32) -> &[u8] {
        let w = self.bytes_per_row();
        &self.data[from as usize * w..to as usize * w]
    }

    pub fn is_black(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.data[self.index(x, y)] & (0x80 >> (x % 8)) != 0
    }

    /// Marks a dot black; dots outside the paper are ignored.
    pub fn set(&mut self, x: i32, y: i32) {
        if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) {
            if x < self.width && y < self.height {
                let i = self.index(x, y);
                self.data[i] |= 0x80 >> (x % 8);
            }
        }
    }

    /// Copies `other` with its top-left corner at (x, y).
    pub fn blit(&mut self, other: &Bitmap, x: i32, y: i32) {
        for oy in 0..other.height {
            for ox in 0..other.width {
                if other.is_black(ox, oy) {
                    self.set(x + ox as i32, y + oy as i32);
                }
            }
        }
    }

    /// The smallest box holding every black dot: (left, top, right, bottom), exclusive.
    pub fn ink_bounds(&self) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in 0..self.height {
            for x in 0..self.width {
                if self.is_black(x, y) {
                    let (l, t, r, bo) = b.unwrap_or((x, y, x + 1, y + 1));
                    b = Some((l.min(x), t.min(y), r.max(x + 1), bo.max(y + 1)));
                }
            }
        }
        b
    }

    /// A grey-scale PNG with one bit per pixel (white paper, black dots).
    pub fn to_png(&self) -> Result<Vec<u8>, PngError> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header().map_err(|e| PngError::Encode(e.to_string()))?;
        // In a 1-bit grey PNG a set bit is white: the printer's bits, inverted.
        let inverted: Vec<u8> = self.data.iter().map(|b| !b).collect();
        writer
            .write_image_data(&inverted)
            .map_err(|e| PngError::Encode(e.to_string()))?;
        writer.finish().map_err(|e| PngError::Encode(e.to_string()))?;
        Ok(out)
    }

    /// Reads any PNG; a pixel is black when it is darker than mid-grey and not transparent.
    pub fn from_png(bytes: &[u8]) -> Result<Bitmap, PngError> {
        let mut decoder = png::Decoder::new(bytes);
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| PngError::Decode(e.to_string()))?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader
            .next_frame(&mut buf)
            .map_err(|e| PngError::Decode(e.to_string()))?;
        let channels = info.color_type.samples();
        let mut bitmap = Bitmap::new(info.width, info.height);
        for y in 0..info.height {
            let row = &buf[y as usize * info.line_size..][..info.line_size];
            for x in 0..info.width {
                let px = &row[x as usize * channels..][..channels];
                let (luma, alpha) = match px {
                    [g] => (u32::from(*g), 255),
                    [g, a] => (u32::from(*g), *a),
                    [r, g, b] => (
                        (u32::from(*r) * 299 + u32::from(*g) * 587 + u32::from(*b) * 114) / 1000,
                        255,
                    ),
                    [r, g, b, a, ..] => (
                        (u32::from(*r) * 299 + u32::from(*g) * 587 + u32::from(*b) * 114) / 1000,
                        *a,
                    ),
                    [] => (255, 0),
                };
                if luma < 128 && alpha >= 128 {
                    bitmap.set(x as i32, y as i32);
                }
            }
        }
        Ok(bitmap)
    }

    fn index(&self, x: u32, y: u32) -> usize {
        y as usize * self.bytes_per_row() + (x / 8) as usize
    }
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitmap({}×{})", self.width, self.height)
    }
}

impl OriginDimensions for Bitmap {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Bitmap {
    type Color = BinaryColor;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for Pixel(p, color) in pixels {
            if color.is_on() {
                self.set(p.x, p.y);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bitmap_survives_a_png_round_trip() {
        let mut b = Bitmap::new(13, 5);
        for (x, y) in [(0, 0), (12, 4), (7, 2), (8, 2)] {
            b.set(x, y);
        }
        b.set(-1, 0);
        b.set(13, 0);
        let back = Bitmap::from_png(&b.to_png().unwrap()).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.ink_bounds(), Some((0, 0, 13, 5)));
        assert!(Bitmap::from_png(b"not a png").is_err());
    }
}
