//! `jifen kiosk --demo --screenshots DIR`: every screen drawn headless by the software
//! renderer. The Chinese must actually be drawn: without a CJK font Slint draws Chinese as
//! nothing at all, and the header band (village name and title, all Chinese) would be one
//! flat colour.

mod common;

use common::*;

fn decode(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (info.width, info.height, buf)
}

/// Pixels in rows `top..bottom` much darker than the band's background.
fn dark_pixels(png: &(u32, u32, Vec<u8>), top: u32, bottom: u32) -> usize {
    let (w, _, buf) = png;
    (top * w..bottom * w)
        .filter(|i| {
            let p = &buf[*i as usize * 3..*i as usize * 3 + 3];
            u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2]) < 200
        })
        .count()
}

#[test]
fn every_screen_is_drawn_with_its_chinese_text_at_both_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for (size, lang) in [("1280x800", "zh_CN"), ("1920x1080", "en")] {
        let out = tmp.path().join(format!("{size}-{lang}"));
        let o = jifen(
            &data,
            &[
                "kiosk",
                "--demo",
                "--screenshots",
                out.to_str().unwrap(),
                "--size",
                size,
                "--lang",
                lang,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("first frame drawn"), "{}", stdout(&o));
        for screen in [
            "home",
            "account",
            "account-still-there",
            "entry",
            "catalogue",
            "confirm",
            "printing",
            "done",
            "done-ask",
            "done-kept",
            "problem-unknown-card",
            "problem-printer",
            "problem-reader",
            "account-below-zero",
            "clerk-pin",
            "clerk-menu",
            "clerk-items",
            "clerk-vouchers",
            "clerk-settle",
            "clerk-statement",
            "clerk-today",
        ] {
            let png = decode(&out.join(format!("{screen}.png")));
            let (w, h) = size.split_once('x').unwrap();
            assert_eq!((png.0.to_string(), png.1.to_string()), (w.to_string(), h.to_string()));
            // The header band (120 px): village name and screen title, drawn, not blank.
            assert!(
                dark_pixels(&png, 0, 120) > 400,
                "{size} {lang} {screen}: the header text is not drawn"
            );
            // Beside each villager screen, what it says (in Mandarin, whatever the screen's
            // language) and how that sounds; clerk screens say nothing.
            let said = std::fs::read_to_string(out.join(format!("{screen}.say.txt")));
            if screen.starts_with("clerk") {
                assert!(said.is_err(), "{screen} is not spoken");
                continue;
            }
            let said = said.unwrap_or_else(|e| panic!("{screen}.say.txt: {e}"));
            assert!(
                !said.trim().is_empty() && !said.chars().any(|c| c.is_ascii_digit()),
                "{screen}: {said}"
            );
            let wav = jifen::voice::Sound::read_file(&out.join(format!("{screen}.wav"))).unwrap();
            assert!(
                wav.seconds() > 1.0 && wav.loudness() > 0.02,
                "{screen}.wav: {} s",
                wav.seconds()
            );
        }
        let account = std::fs::read_to_string(out.join("account.say.txt")).unwrap();
        assert!(account.contains("您家现在有") && account.contains("分。"), "{account}");
        let done = std::fs::read_to_string(out.join("done.say.txt")).unwrap();
        assert!(done.contains("券号是"), "{done}");
    }
    // The village's own data is untouched by the screenshots' redemption.
    let list = json(&jifen(
        &data,
        &["admin", "voucher", "list", "--status", "pending", "--json"],
    ));
    assert!(list.as_array().unwrap().is_empty());
}
