//! Golden images: every document at both paper widths, drawn from fixed printouts and
//! compared dot for dot with the PNGs in `tests/golden/`. After a deliberate change to a
//! template, the font or the layout, regenerate them and look at them:
//!
//!     JIFEN_UPDATE_GOLDEN=1 cargo test --test print_golden

mod common;

use std::path::PathBuf;

use common::printouts;
use jifen::print::bitmap::Bitmap;
use jifen::print::url::PrinterUrl;
use jifen::print::{PaperWidth, PrintMode, PrinterDevice};

fn device(width: PaperWidth) -> PrinterDevice {
    PrinterDevice {
        url: PrinterUrl::Preview(PathBuf::from("unused")),
        mode: PrintMode::Raster,
        width,
        templates: None,
    }
}

#[test]
fn every_document_matches_its_golden_image_at_both_widths() {
    let golden_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("JIFEN_UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for width in [PaperWidth::MM58, PaperWidth::MM80] {
        for (name, printout) in printouts::all(width.dots()) {
            let drawn = device(width).prepare(&printout).unwrap().bitmap;
            assert_eq!(drawn.width(), width.dots());
            let path = golden_dir.join(format!("{name}-{width}.png"));
            if update {
                std::fs::write(&path, drawn.to_png().unwrap()).unwrap();
                continue;
            }
            let golden = Bitmap::from_png(
                &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; see this file's header", path.display())),
            )
            .unwrap();
            if golden != drawn {
                let actual = std::env::temp_dir().join(format!("jifen-actual-{name}-{width}.png"));
                std::fs::write(&actual, drawn.to_png().unwrap()).unwrap();
                mismatches.push(format!(
                    "{} differs (golden {}×{}, drawn {}×{}); drawn image in {}",
                    path.display(),
                    golden.width(),
                    golden.height(),
                    drawn.width(),
                    drawn.height(),
                    actual.display()
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn the_wider_paper_lays_out_the_same_document_in_fewer_lines() {
    let settlement = printouts::settlement();
    let narrow = device(PaperWidth::MM58).prepare(&settlement).unwrap().bitmap;
    let wide = device(PaperWidth::MM80).prepare(&settlement).unwrap().bitmap;
    assert!(
        wide.height() <= narrow.height(),
        "{} > {}",
        wide.height(),
        narrow.height()
    );
    // Nothing is drawn outside the side margins.
    for b in [&narrow, &wide] {
        let (left, _, right, _) = b.ink_bounds().unwrap();
        assert!(left >= 4 && right <= b.width() - 4, "{left}..{right} of {}", b.width());
    }
}
