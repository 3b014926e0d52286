//! Lays the filled blocks out on the paper and draws them into one 1-bit bitmap: the
//! raster mode prints it as is, and the preview PNG is this picture.

use embedded_graphics::prelude::{Point, Primitive, Size};
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::Drawable;
use qrcode::{EcLevel, QrCode};

use super::bitmap::Bitmap;
use super::fill::{Filled, Line};
use super::font;
use super::template::Align;
use super::PaperWidth;

/// Dots left blank at each side of the paper.
pub const SIDE_MARGIN: u32 = 4;
/// A QR module is never smaller than this many dots, so a worn scanner still reads it.
pub const MIN_QR_MODULE: u32 = 4;
const MAX_QR_MODULE: u32 = 8;
/// The blank border a QR code needs, in modules.
const QR_QUIET_ZONE: u32 = 4;
const DIVIDER_PADDING: u32 = 12;
const DIVIDER_THICKNESS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the QR code cannot hold {0} characters")]
    QrTooLong(usize),
    #[error("the QR code needs {needed} dots at {MIN_QR_MODULE} dots a module; the paper has {paper}")]
    QrTooWide { needed: u32, paper: u32 },
    #[error("a picture is {picture} dots wide; the paper has {paper}")]
    ImageTooWide { picture: u32, paper: u32 },
}

/// Draws `blocks` on paper `width` dots wide, as tall as they need.
pub fn render(blocks: &[Filled], width: PaperWidth) -> Result<Bitmap, RenderError> {
    let paper = width.dots();
    let usable = (paper - 2 * SIDE_MARGIN) as f32;
    let mut placed = Vec::new();
    let mut y = 0;
    for block in blocks {
        match block {
            Filled::Text(line) => {
                for text in font::wrap(&line.text, line.size, line.bold, usable) {
                    placed.push((y, Placed::Text(line, text)));
                    y += font::line_dots(line.size);
                }
            }
            Filled::Divider => {
                placed.push((y + DIVIDER_PADDING, Placed::Divider));
                y += 2 * DIVIDER_PADDING + DIVIDER_THICKNESS;
            }
            Filled::Qr(data) => {
                let (code, module) = qr_code(data, width)?;
                let side = (code.width() as u32 + 2 * QR_QUIET_ZONE) * module;
                placed.push((y, Placed::Qr(code, module, (paper - side) / 2)));
                y += side;
            }
            Filled::Spacer(dots) => y += dots,
            Filled::Image(picture) => {
                if picture.width() > paper {
                    return Err(RenderError::ImageTooWide {
                        picture: picture.width(),
                        paper,
                    });
                }
                placed.push((y, Placed::Image(picture)));
                y += picture.height();
            }
        }
    }
    let mut bitmap = Bitmap::new(paper, y);
    for (top, item) in placed {
        item.draw(&mut bitmap, top as i32);
    }
    Ok(bitmap)
}

/// The QR code of `data` (error correction M) and the largest module size, 4 to 8 dots,
/// at which it and its quiet zone fit the paper.
pub fn qr_code(data: &str, width: PaperWidth) -> Result<(QrCode, u32), RenderError> {
    let paper = width.dots();
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|_| RenderError::QrTooLong(data.len()))?;
    let modules = code.width() as u32 + 2 * QR_QUIET_ZONE;
    let module = (paper / modules).min(MAX_QR_MODULE);
    if module < MIN_QR_MODULE {
        return Err(RenderError::QrTooWide {
            needed: modules * MIN_QR_MODULE,
            paper,
        });
    }
    Ok((code, module))
}

enum Placed<'a> {
    Text(&'a Line, String),
    Divider,
    /// The code, dots per module, left edge of the quiet zone.
    Qr(QrCode, u32, u32),
    Image(&'a Bitmap),
}

impl Placed<'_> {
    fn draw(&self, target: &mut Bitmap, top: i32) {
        let paper = target.width();
        let black = PrimitiveStyle::with_fill(embedded_graphics::pixelcolor::BinaryColor::On);
        match self {
            Placed::Text(line, text) => {
                let width = font::text_width(text, line.size, line.bold);
                let free = (paper - 2 * SIDE_MARGIN) as f32 - width;
                let left = SIDE_MARGIN as f32
                    + match line.align {
                        Align::Left => 0.0,
                        Align::Center => (free / 2.0).floor(),
                        Align::Right => free,
                    };
                font::draw_text(target, text, left.max(0.0), top, line.size, line.bold);
            }
            Placed::Divider => {
                let rule = Rectangle::new(
                    Point::new(SIDE_MARGIN as i32, top),
                    Size::new(paper - 2 * SIDE_MARGIN, DIVIDER_THICKNESS),
                );
                let _ = rule.into_styled(black).draw(target);
            }
            Placed::Qr(code, module, left) => {
                let n = code.width();
                let colors = code.to_colors();
                for (i, c) in colors.iter().enumerate() {
                    if *c == qrcode::Color::Dark {
                        let (mx, my) = ((i % n) as u32, (i / n) as u32);
                        let corner = Point::new(
                            (left + (QR_QUIET_ZONE + mx) * module) as i32,
                            top + ((QR_QUIET_ZONE + my) * module) as i32,
                        );
                        let _ = Rectangle::new(corner, Size::new(*module, *module))
                            .into_styled(black)
                            .draw(target);
                    }
                }
            }
            Placed::Image(picture) => target.blit(picture, ((paper - picture.width()) / 2) as i32, top),
        }
    }
}
