//! Round trips through what the printer and the noodle shop see: the QR read back from
//! the drawn voucher verifies and settles, the raster bytes parse back into the very
//! picture of the preview, and the text-mode bytes carry the item name in GB18030.

mod common;

use common::escpos::{find, parse_raster};
use common::*;
use jifen::domain::statement::StatementPayload;
use jifen::domain::voucher::VoucherPayload;
use jifen::print::bitmap::Bitmap;
use jifen::print::url::PrinterUrl;
use jifen::print::{PaperWidth, PrintMode, PrinterDevice};

fn read_qr(b: &Bitmap) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(b.width() as usize, b.height() as usize, |x, y| {
        if b.is_black(x as u32, y as u32) {
            0
        } else {
            255
        }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code on the paper");
    grids[0].decode().expect("the printed QR decodes").1
}

fn preview(dir: &std::path::Path, mode: PrintMode, width: PaperWidth) -> PrinterDevice {
    PrinterDevice {
        url: PrinterUrl::Preview(dir.to_path_buf()),
        mode,
        width,
        templates: None,
    }
}

/// A village with one household that redeemed a noodle coupon, printed to `dir`.
fn redeemed_and_printed(dir: &std::path::Path, mode: PrintMode, width: PaperWidth) -> (TestVillage, String) {
    let mut v = village();
    v.households(1);
    v.award("H1", 50);
    v.item("NOODLE", 20, Some(5));
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let report = v.app.print_voucher(&r.serial, &mut preview(dir, mode, width)).unwrap();
    assert!(report.printed && !report.reprint, "{report:?}");
    (v, r.serial)
}

#[test]
fn the_qr_read_back_from_the_printed_voucher_verifies_and_settles() {
    for width in [PaperWidth::MM58, PaperWidth::MM80] {
        let out = tempfile::tempdir().unwrap();
        let (mut v, serial) = redeemed_and_printed(out.path(), PrintMode::Raster, width);
        let png = std::fs::read(out.path().join(format!("{serial}.png"))).unwrap();
        let scanned = read_qr(&Bitmap::from_png(&png).unwrap());
        let payload = VoucherPayload::verify(&scanned, &v.app.voucher_public_key()).unwrap();
        assert_eq!(payload.serial.as_str(), serial);
        assert_eq!(payload.points, 20);
        // The noodle shop scans it: settled once.
        let receipt = v.app.settle(&scanned, None, None, "面馆").unwrap();
        assert_eq!(receipt.serial, serial);
        assert!(v.app.settle(&scanned, None, None, "面馆").is_err());
    }
}

#[test]
fn the_statement_qr_read_back_verifies_its_figures() {
    let out = tempfile::tempdir().unwrap();
    let mut v = village();
    v.households(1);
    v.award("H1", 35);
    let statement = v.app.statement_printout("H1").unwrap();
    let mut device = preview(out.path(), PrintMode::Raster, PaperWidth::MM58);
    let drawn = device.prepare(&statement).unwrap().bitmap;
    let scanned = read_qr(&drawn);
    let checked = v.app.verify_statement(&scanned).unwrap();
    assert_eq!((checked.household.as_str(), checked.balance), ("H1", 35));
    assert_eq!(checked.earned_12_months, 35);
    // Another village's kiosk did not sign it.
    let other = village();
    assert!(other.app.verify_statement(&scanned).is_err());
    assert!(StatementPayload::verify(&scanned.replace("|35|", "|95|"), &v.app.voucher_public_key()).is_err());
    use jifen::app::Printer;
    device.print(&statement).unwrap();
    assert!(out.path().join(format!("{}.png", statement.name)).exists());
}

#[test]
fn the_raster_bytes_parse_back_into_the_preview_dot_for_dot() {
    for width in [PaperWidth::MM58, PaperWidth::MM80] {
        let out = tempfile::tempdir().unwrap();
        let (_v, serial) = redeemed_and_printed(out.path(), PrintMode::Raster, width);
        let bin = std::fs::read(out.path().join(format!("{serial}.bin"))).unwrap();
        let png = Bitmap::from_png(&std::fs::read(out.path().join(format!("{serial}.png"))).unwrap()).unwrap();
        let job = parse_raster(&bin);
        assert!(job.initialised && job.cut && job.fed_lines >= 3);
        assert!(job.bands > 1, "sent in bands");
        assert_eq!(job.bitmap, png, "the printer gets exactly the preview");
        assert_eq!(job.bitmap.width(), width.dots());
    }
}

#[test]
fn the_text_mode_bytes_carry_gb18030_text_and_a_native_model_2_qr() {
    let out = tempfile::tempdir().unwrap();
    let (mut v, serial) = redeemed_and_printed(out.path(), PrintMode::Text, PaperWidth::MM58);
    let bin = std::fs::read(out.path().join(format!("{serial}.bin"))).unwrap();
    let (item, _, _) = encoding_rs::GB18030.encode("物品NOODLE");
    assert_eq!(&item[..4], &[0xCE, 0xEF, 0xC6, 0xB7], "物品 in GB18030");
    let chinese_on = find(&bin, &[0x1C, 0x26]).expect("FS & turns Chinese mode on");
    let at = find(&bin, &item).expect("the item name is in the job");
    let chinese_off = find(&bin, &[0x1C, 0x2E]).expect("FS . turns it off");
    assert!(bin.starts_with(&[0x1B, 0x40]), "ESC @ first");
    assert!(chinese_on < at && at < chinese_off);
    // GS ( k: model 2, error correction M, then the signed payload, then print.
    assert!(find(&bin, &[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]).is_some());
    assert!(find(&bin, &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]).is_some());
    let qr = v.app.voucher(&serial).unwrap().qr_payload;
    assert!(find(&bin, qr.as_bytes()).is_some(), "the QR carries the signed payload");
    assert!(
        bin.ends_with(&[0x1B, 0x64, 0x03, 0x1D, 0x56, 0x41, 0x00]),
        "feed, then cut"
    );
    // The raster job of the same voucher is far bigger: this is why slow printers use text.
    let raster = tempfile::tempdir().unwrap();
    let device = preview(raster.path(), PrintMode::Raster, PaperWidth::MM58);
    let job = jifen::app::PrintJob {
        voucher: v.app.voucher(&serial).unwrap(),
        reprint: false,
        proxy: None,
    };
    let raster_bytes = device.prepare(&v.app.voucher_printout(&job)).unwrap().bytes.len();
    assert!(
        bin.len() * 20 < raster_bytes,
        "text {} bytes, raster {raster_bytes}",
        bin.len()
    );
}

#[test]
fn a_clerks_template_changes_the_wording_and_a_broken_one_keeps_the_redemption() {
    let out = tempfile::tempdir().unwrap();
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(
        templates.path().join("voucher.tpl"),
        "text size=2 bold 本村面馆专用\ntext {item}\nqr {qr}\n",
    )
    .unwrap();
    let mut v = village();
    v.households(1);
    v.award("H1", 50);
    v.item("NOODLE", 20, None);
    let mut device = preview(out.path(), PrintMode::Text, PaperWidth::MM58);
    device.templates = Some(templates.path().to_path_buf());
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    assert!(v.app.print_voucher(&r.serial, &mut device).unwrap().printed);
    let bin = std::fs::read(out.path().join(format!("{}.bin", r.serial))).unwrap();
    assert!(find(&bin, &encoding_rs::GB18030.encode("本村面馆专用").0).is_some());

    std::fs::write(templates.path().join("voucher.tpl"), "text {item}\ntext 券号 {seria}\n").unwrap();
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let report = v.app.print_voucher(&r.serial, &mut device).unwrap();
    assert!(!report.printed);
    assert_eq!(report.error.as_deref(), Some("兑换券版式有误，请联系管理员"));
    let detail = report.detail.unwrap_or_default();
    assert!(
        detail.contains("voucher.tpl line 2") && detail.contains("{seria}"),
        "{detail}"
    );
    let shown = v.app.voucher(&r.serial).unwrap();
    assert_eq!(shown.status, "pending", "the redemption is kept");
    assert_eq!(v.balance("H1"), 10);
}
