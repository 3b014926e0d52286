//! The print commands a clerk and an operator use: statements a bank can verify, a
//! settlement slip after several vouchers, the test page.

mod common;

use common::*;
use jifen::print::bitmap::Bitmap;

fn read_qr(png: &std::path::Path) -> String {
    let b = Bitmap::from_png(&std::fs::read(png).unwrap()).unwrap();
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(b.width() as usize, b.height() as usize, |x, y| {
        if b.is_black(x as u32, y as u32) {
            0
        } else {
            255
        }
    });
    img.detect_grids()[0].decode().unwrap().1
}

#[test]
fn a_printed_statement_verifies_and_a_doctored_one_is_refused() {
    let mut v = village();
    v.households(1);
    v.award("H1", 42);
    let out = jifen(&v.dir.root, &["print", "statement", "--household", "H1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let previews = v.dir.root.join("previews");
    let png = std::fs::read_dir(&previews)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .unwrap();
    let qr = read_qr(&png);
    let checked = json(&jifen(&v.dir.root, &["print", "verify-statement", &qr, "--json"]));
    assert_eq!(
        (checked["household"].as_str(), checked["balance"].as_i64()),
        (Some("H1"), Some(42))
    );
    let doctored = qr.replace("|42|", "|420|");
    let out = jifen(&v.dir.root, &["print", "verify-statement", &doctored]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("signature does not match"), "{}", stderr(&out));
}

#[test]
fn settling_several_vouchers_prints_one_slip_and_names_each_refusal() {
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, None);
    let a = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let b = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let code = |qr: &str| jifen::domain::voucher::verification_code(qr).unwrap();
    let never = jifen::domain::voucher::Serial::new("YT", None, 99).to_string();
    let out = jifen(
        &v.dir.root,
        &[
            "admin",
            "--by",
            "值班干部",
            "voucher",
            "settle",
            &a.serial,
            &b.serial,
            &never,
            "--code",
            &code(&a.qr_payload),
            "--code",
            &code(&b.qr_payload),
            "--code",
            "AAAAAA",
            "--json",
        ],
    );
    assert!(!out.status.success(), "one of three was refused");
    assert!(stderr(&out).contains("YT-000099"), "{}", stderr(&out));
    let settled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(settled.as_array().unwrap().len(), 2);
    let slips: Vec<_> = std::fs::read_dir(v.dir.root.join("previews"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("settlement-") && n.ends_with(".bin"))
        .collect();
    assert_eq!(slips.len(), 1, "{slips:?}");
    // The slip lists both serials (raster: check the bitmap is there; text wording is golden-tested).
    let bin = std::fs::read(v.dir.root.join("previews").join(&slips[0])).unwrap();
    assert!(common::escpos::parse_raster(&bin).cut);
}

#[test]
fn the_test_page_and_a_text_mode_preview_are_written_where_asked() {
    let v = village();
    let out_dir = v.tmp.path().join("out");
    let out = jifen(
        &v.dir.root,
        &[
            "--printer",
            &format!("preview:{}", out_dir.display()),
            "print",
            "test-page",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out_dir.join("test-page.png").exists() && out_dir.join("test-page.bin").exists());
    let out = jifen(
        &v.dir.root,
        &[
            "print",
            "preview",
            "--voucher",
            "YT-000001-0",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "no such voucher");
    assert!(stderr(&out).contains("error:"), "{}", stderr(&out));
    let bad = jifen(&v.dir.root, &["--printer", "lpt1", "print", "test-page"]);
    assert!(stderr(&bad).contains("printer address 'lpt1'"), "{}", stderr(&bad));
}
