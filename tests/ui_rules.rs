//! The elderly-friendly rules of DESIGN.md §6, read from the design tokens in
//! `ui/theme.slint` and checked on every screen file: a token or a screen that breaks a
//! rule fails here, before any villager squints at it.

use std::collections::BTreeMap;

fn ui_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/ui/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// `out property <TYPE> NAME: VALUE;` lines of the Theme global.
fn tokens(kind: &str) -> BTreeMap<String, String> {
    let theme = ui_file("theme.slint");
    theme
        .lines()
        .filter_map(|l| l.trim().strip_prefix(&format!("out property <{kind}> ")))
        .filter_map(|l| l.trim_end_matches(';').split_once(": "))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn px(value: &str) -> f64 {
    value
        .trim_end_matches("px")
        .parse()
        .unwrap_or_else(|_| panic!("not a px length: {value}"))
}

fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    assert_eq!(hex.len(), 6, "colours are #rrggbb: {hex}");
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn font_sizes_follow_the_rules() {
    let lengths = tokens("length");
    let fonts: Vec<_> = lengths.iter().filter(|(n, _)| n.starts_with("font-")).collect();
    assert!(fonts.len() >= 5, "{fonts:?}");
    for (name, value) in &fonts {
        assert!(px(value) >= 24.0, "{name} is {value}: nothing may be under 24 px");
    }
    assert!(px(&lengths["font-body"]) >= 32.0, "body text at least 32 px");
    assert!(px(&lengths["font-balance"]) >= 96.0, "the balance at least 96 px");
}

#[test]
fn touch_targets_are_big_and_apart() {
    let lengths = tokens("length");
    assert!(px(&lengths["target-size"]) >= 96.0);
    assert!(px(&lengths["target-wide"]) >= 96.0);
    assert!(px(&lengths["target-gap"]) >= 16.0);
}

#[test]
fn every_foreground_colour_has_a_contrast_of_seven_to_one() {
    let colours = tokens("color");
    let mut checked = 0;
    for (name, fg) in &colours {
        let Some(role) = name.strip_suffix("-fg") else { continue };
        let bg_name = format!("{role}-bg");
        let bg = colours.get(&bg_name).unwrap_or(&colours["page-bg"]);
        let ratio = contrast(fg, bg);
        assert!(ratio >= 7.0, "{name} {fg} on {bg}: {ratio:.2}:1 is under 7:1");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} colour pairs found");
    // An item that can be taken is told from one that cannot at a glance, not by a faint grey.
    let tiles = contrast(&colours["tile-bg"], &colours["disabled-bg"]);
    assert!(tiles >= 3.0, "tile-bg on disabled-bg: {tiles:.2}:1 is under 3:1");
    // The check itself: mid-grey on white fails.
    assert!(contrast("#777777", "#ffffff") < 7.0);
}

#[test]
fn screens_go_home_after_sixty_seconds_idle() {
    let ints = tokens("int");
    assert_eq!(ints["idle-seconds"], "60");
    assert_eq!(ints["clerk-idle-seconds"], "120", "clerk mode locks after 2 minutes");
    assert!(
        ui_file("app.slint").contains("Kiosk.idle-left -= 1"),
        "the countdown runs"
    );
}

#[test]
fn screens_take_sizes_and_colours_only_from_the_theme() {
    let dir = format!("{}/ui", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "theme.slint" || !name.ends_with(".slint") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains('#'),
                "{name}:{}: a colour outside the theme: {line}",
                n + 1
            );
            if code.contains("font-size:") {
                assert!(
                    code.contains("Theme.") || code.contains("root.font-size"),
                    "{name}:{}: a font size outside the theme: {line}",
                    n + 1
                );
            }
        }
        // Every text is a `Words` (or a Label, a Muted), which tells the journey's fit check
        // when its box is smaller than its words.
        let raw_texts = text.matches(" Text {").count() + text.matches(": Text {").count();
        let allowed = usize::from(name == "widgets.slint");
        assert_eq!(raw_texts, allowed, "{name}: a bare Text (use Words, Label or Muted)");
        // Only the widgets file may make something touchable, so every touchable thing is
        // a BigButton or an ItemTile: big, labelled, in words.
        if name != "widgets.slint" {
            assert!(!text.contains("TouchArea"), "{name} has its own TouchArea");
        }
    }
    let widgets = ui_file("widgets.slint");
    assert_eq!(
        widgets.matches("TouchArea").count(),
        widgets.matches("accessible-label:").count(),
        "every touchable widget has an accessible label"
    );
}

#[test]
fn every_screen_string_is_translated_to_english() {
    let po = std::fs::read_to_string(format!(
        "{}/translations/en/LC_MESSAGES/jifen.po",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let dir = format!("{}/ui", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for piece in text.split("@tr(\"").skip(1) {
            let source = &piece[..piece.find('"').unwrap()];
            assert!(po.contains(&format!("msgid \"{source}\"")), "untranslated: {source}");
            count += 1;
        }
    }
    assert!(count > 50, "{count}");
}

/// What the Rust side puts on screen (clerk-mode replies, refusals, notices) comes from the
/// same catalogue: every marked text has its English.
#[test]
fn every_reply_the_rust_side_shows_is_translated_to_english() {
    let po = std::fs::read_to_string(format!(
        "{}/translations/en/LC_MESSAGES/jifen.po",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut count = 0;
    let mut files = vec![];
    let root = format!("{}/src/ui", env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap();
        for mark in ["tr(\"", "trf(\"", "Said::new(\"", "Said::words(\"", "later(\""] {
            for piece in text.split(mark).skip(1) {
                let source = &piece[..piece.find('"').unwrap()];
                if source.chars().any(|c| ('\u{3000}'..='\u{9fff}').contains(&c)) {
                    assert!(
                        po.contains(&format!("msgid \"{source}\"")),
                        "untranslated in {f:?}: {source}"
                    );
                    count += 1;
                }
            }
        }
    }
    assert!(count > 40, "{count}");
}
