//! Drawing text for the printer with the compiled-in CJK font (`crate::fonts`).

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

use super::bitmap::Bitmap;

use crate::fonts::{BOLD_OTF, REGULAR_OTF};

/// Template text sizes 1, 2 and 3, as the font's em in dots. An ideograph fills about
/// nine tenths of the em, so size 1 characters are at least 24 dots (3 mm at 203 dpi)
/// tall, size 2 at least 48 and size 3 at least 72 — what old eyes need.
pub fn em_dots(size: u8) -> f32 {
    match size {
        1 => 28.0,
        2 => 56.0,
        _ => 84.0,
    }
}

/// Vertical distance between the tops of two lines of a size.
pub fn line_dots(size: u8) -> u32 {
    (em_dots(size) * 1.4).round() as u32
}

/// Width in dots of `text` at `size`.
pub fn text_width(text: &str, size: u8, bold: bool) -> f32 {
    let font = face(bold).as_scaled(scale(size));
    text.chars().map(|c| font.h_advance(font.glyph_id(c))).sum()
}

/// Draws one line with its top at `top`, starting at `left`. Dots are black where the
/// outline covers at least half of them.
pub fn draw_text(target: &mut Bitmap, text: &str, left: f32, top: i32, size: u8, bold: bool) {
    let scale = scale(size);
    let font = face(bold);
    let scaled = font.as_scaled(scale);
    // Centre the ideographic em box (0.88 em above the baseline, 0.12 below) in the line.
    let em = em_dots(size);
    let baseline = top as f32 + (line_dots(size) as f32 - em) / 2.0 + 0.88 * em;
    let mut x = left;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, ab_glyph::point(x, baseline));
        x += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if coverage >= 0.5 {
                    target.set(bounds.min.x as i32 + gx as i32, bounds.min.y as i32 + gy as i32);
                }
            });
        }
    }
}

/// Splits `text` into lines no wider than `width` dots, at spaces where a Latin word would
/// otherwise be cut, anywhere between Chinese characters.
pub fn wrap(text: &str, size: u8, bold: bool, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in text.chars() {
        let mut candidate = line.clone();
        candidate.push(c);
        if !line.is_empty() && text_width(&candidate, size, bold) > width {
            let cut = if c.is_ascii_alphanumeric() {
                line.rfind(' ').filter(|&i| i > 0)
            } else {
                None
            };
            match cut {
                Some(i) => {
                    let rest = line[i + 1..].to_string();
                    line.truncate(i);
                    lines.push(std::mem::take(&mut line));
                    line = rest;
                }
                None => lines.push(std::mem::take(&mut line)),
            }
            if c == ' ' {
                continue;
            }
        }
        line.push(c);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// True when the embedded font draws this character (anything else prints as a blank).
pub fn has_glyph(c: char) -> bool {
    face(false).glyph_id(c).0 != 0
}

/// `ab_glyph` scales by the font's ascent-to-descent height, not by its em; Noto Sans CJK
/// is 1.448 em high, so an em of 28 dots needs a scale of about 40.5.
fn scale(size: u8) -> PxScale {
    let font = face(false);
    let em_units = font.units_per_em().unwrap_or(1000.0);
    PxScale::from(em_dots(size) * font.height_unscaled() / em_units)
}

fn face(bold: bool) -> &'static FontRef<'static> {
    static REGULAR: OnceLock<FontRef<'static>> = OnceLock::new();
    static BOLD: OnceLock<FontRef<'static>> = OnceLock::new();
    let (cell, bytes) = if bold {
        (&BOLD, BOLD_OTF)
    } else {
        (&REGULAR, REGULAR_OTF)
    };
    // The font is part of the binary and checked by the tests below, so it always parses.
    cell.get_or_init(|| FontRef::try_from_slice(bytes).expect("the embedded font parses"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_at_least_24_48_and_72_dots_tall() {
        for (size, min) in [(1, 24), (2, 48), (3, 72)] {
            for bold in [false, true] {
                let mut b = Bitmap::new(200, line_dots(size));
                draw_text(&mut b, "国", 0.0, 0, size, bold);
                let (_, top, _, bottom) = b.ink_bounds().expect("the character is drawn");
                assert!(bottom - top >= min, "size {size}: {} dots", bottom - top);
                assert!(bottom <= line_dots(size), "size {size} spills out of its line");
            }
        }
    }

    #[test]
    fn rare_name_characters_and_symbols_are_in_the_font() {
        // 堃 and 喆 are in the 通用规范汉字表 but not in GB 2312; villagers are named with them.
        for c in "堃喆昇淼赟积分兑换券重印×—：０-9A-Za-z".chars() {
            assert!(has_glyph(c), "{c} is missing from the font");
        }
    }

    #[test]
    fn long_lines_wrap_inside_the_paper() {
        let lines = wrap("感谢乡贤 张三丰 赞助本村积分兑换活动，欢迎大家参与", 2, true, 376.0);
        assert!(lines.len() >= 3, "{lines:?}");
        for l in &lines {
            assert!(text_width(l, 2, true) <= 376.0, "{l}");
        }
        assert_eq!(
            lines.concat().replace(' ', ""),
            "感谢乡贤张三丰赞助本村积分兑换活动，欢迎大家参与"
        );
        assert_eq!(wrap("printer test page", 3, false, 600.0)[0], "printer test");
    }
}
