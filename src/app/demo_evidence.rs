//! The demo's evidence: photos of supervision sheets (督导单) that the demo draws itself —
//! a sheet of paper with a printed table, rows of writing and a red seal, slightly askew as
//! a phone would take it; no real person, house or handwriting — on the last months'
//! photographed deductions, and one open dispute, so the entry detail shows what it is for.

use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::evidence::{attach, prepare_photos, Photo};
use super::imports::sheet_row_entry_id;
use super::{App, Result};
use crate::domain::evidence::OPENED_BY_HOUSEHOLD;
use crate::domain::period::Month;

/// Photographed entries given a photo, newest first.
const PHOTOGRAPHED: usize = 8;

impl App {
    /// Gives the newest photographed entries a drawn photo of their sheet, and opens one
    /// dispute as a villager at the screen would. Returns (photos, disputes).
    pub(super) fn seed_demo_evidence(&mut self, photographed: &[(Month, String, &str)]) -> Result<(usize, usize)> {
        let code = self.village.code.clone();
        let ids: Vec<(Uuid, String)> = photographed
            .iter()
            .rev()
            .take(PHOTOGRAPHED)
            .map(|(month, household, worker)| (sheet_row_entry_id(&code, *month, household, "D16"), worker.to_string()))
            .collect();
        let role = self.role;
        let now = self.clock.now();
        let mut photos = 0;
        for (n, (entry, by)) in ids.iter().enumerate() {
            let png = sheet_picture(n as u64);
            let kept = prepare_photos(&[Photo {
                name: format!("督导单-{n}.png"),
                bytes: png,
            }])?;
            self.store.write(|tx| attach(tx, role, *entry, &kept, by, now))?;
            photos += kept.len();
        }
        let mut disputes = 0;
        if let Some((entry, _)) = ids.first() {
            self.open_dispute(&entry.to_string(), OPENED_BY_HOUSEHOLD, None)?;
            disputes += 1;
        }
        Ok((photos, disputes))
    }
}

/// A phone's photo of a supervision sheet, drawn: PNG bytes.
pub fn sheet_picture(seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed + 1117);
    let (w, h) = (960u32, 1280u32);
    let table = Rgb([70u8, 70, 80]);
    let ink = Rgb([30u8, 40, 90]);
    let seal = Rgb([200u8, 30, 30]);
    // A wooden table under the sheet, the sheet a little askew.
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let grain = ((x as f32 * 0.05 + (y as f32 * 0.31).sin() * 3.0).sin() * 12.0) as i16;
        Rgb([(150 + grain) as u8, (110 + grain) as u8, (70 + grain / 2) as u8])
    });
    let tilt = rng.gen_range(-0.03f32..0.03);
    let on_sheet = |x: f32, y: f32| -> Option<(f32, f32)> {
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let (dx, dy) = (x - cx, y - cy);
        let (sx, sy) = (
            dx * tilt.cos() + dy * tilt.sin() + cx,
            -dx * tilt.sin() + dy * tilt.cos() + cy,
        );
        (sx > 80.0 && sx < w as f32 - 80.0 && sy > 90.0 && sy < h as f32 - 90.0).then_some((sx, sy))
    };
    // Rows of writing: short strokes along each row, as many as the row holds.
    let rows: Vec<Vec<(f32, f32)>> = (0..9)
        .map(|_| {
            let mut strokes = Vec::new();
            let mut x = 300.0 + rng.gen_range(0.0..30.0);
            while x < 760.0 && rng.gen::<f32>() < 0.93 {
                let len = rng.gen_range(14.0..34.0);
                strokes.push((x, x + len));
                x += len + rng.gen_range(8.0..20.0);
            }
            strokes
        })
        .collect();
    for y in 0..h {
        for x in 0..w {
            let Some((sx, sy)) = on_sheet(x as f32, y as f32) else {
                continue;
            };
            let mut px = Rgb([246u8, 244, 236]);
            // The title band and the table.
            if (120.0..200.0).contains(&sy) && (300.0..660.0).contains(&sx) && ((sy as i32 / 9) % 2 == 0) {
                px = table;
            }
            let in_table = (250.0..1130.0).contains(&sy) && (120.0..840.0).contains(&sx);
            let row_line = ((sy - 250.0) % 98.0).abs() < 2.0;
            let col_line = (sx - 120.0).abs() < 2.0 || (sx - 280.0).abs() < 2.0 || (sx - 840.0).abs() < 2.0;
            if in_table && (row_line || col_line) {
                px = table;
            }
            // Writing in each row.
            if in_table && sx > 280.0 {
                let row = ((sy - 250.0) / 98.0) as usize;
                let mid = 250.0 + row as f32 * 98.0 + 49.0;
                if (sy - mid).abs() < 7.0
                    && rows
                        .get(row)
                        .is_some_and(|r| r.iter().any(|(a, b)| sx >= *a && sx <= *b))
                {
                    px = ink;
                }
            }
            // The village committee's seal, bottom right.
            let d = ((sx - 700.0).powi(2) + (sy - 1040.0).powi(2)).sqrt();
            if (70.0..80.0).contains(&d) || (d < 30.0 && ((sx + sy) as i32 % 11) < 4) {
                px = seal;
            }
            img.put_pixel(x, y, px);
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    // Encoding an image we just drew cannot fail for want of data; an error is a bug.
    let _ = img.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}
