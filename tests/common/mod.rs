//! Shared helpers for integration tests: a village in a temporary data directory,
//! a fixed clock, the real binary, and synthetic ID numbers with valid check characters.
#![allow(dead_code)]

pub mod console;
pub mod escpos;
pub mod fake_printer;
pub mod http;
pub mod printouts;
pub mod township;
pub mod township_cli;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use jifen::app::{App, NewItem, Village};
use jifen::domain::catalogue::Stock;
use jifen::domain::id_number::check_character;
use jifen::installation::DataDir;

/// A clock that stays where it is set. It lives with the tests so that no test fake is
/// compiled into the program.
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> FixedClock {
        FixedClock(std::sync::Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl jifen::domain::clock::Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// 2026-11-15 12:00 China time: mid-month, fourth quarter.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 4, 0, 0).unwrap()
}

pub struct TestVillage {
    pub tmp: tempfile::TempDir,
    pub dir: DataDir,
    pub clock: Arc<FixedClock>,
    pub app: App,
}

/// Rules the tests add to the standard set: awards and deductions of any size up to 1000,
/// so a test can give a household 100 points in one entry (a standard rule gives at
/// most its own points).
pub const TEST_RULES_CSV: &str =
    "code,area,kind,points,text\nT01,其他,加分,1000,测试加分\nT02,其他,扣分,1000,测试扣分\n";

/// Households H1..Hn of `from..=to`, one head each with ID number `id_number(i)` and a
/// QR card token `qr_token(i)`.
pub fn households_csv(from: u32, to: u32) -> String {
    let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
    for i in from..=to {
        csv.push_str(&format!(
            "H{i},{},户主{i},{},head,{}\n",
            (i - 1) % 3 + 1,
            id_number(i),
            qr_token(i)
        ));
    }
    csv
}

/// The QR card token of test household H{i}: as long as a real one.
pub fn qr_token(i: u32) -> String {
    format!("QRH{i:04}-K7M3PRW9T4CX")
}

/// A new village 堰头村 (YT) with the standard rules and `TEST_RULES_CSV`, on a fixed clock.
pub fn village() -> TestVillage {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir {
        root: tmp.path().join("data"),
    };
    let clock = Arc::new(FixedClock::new(test_now()));
    let mut app = App::init(
        &dir,
        Village {
            code: "YT".into(),
            name: "堰头村".into(),
        },
        clock.clone(),
    )
    .unwrap();
    app.import_rules("test-rules.csv", TEST_RULES_CSV.as_bytes()).unwrap();
    TestVillage { tmp, dir, clock, app }
}

/// A synthetic ID number: region 330483, a birth date from `n`, valid check character.
pub fn id_number(n: u32) -> String {
    let body = format!(
        "330483{:04}{:02}{:02}{:03}",
        1940 + n % 50,
        n % 12 + 1,
        n % 28 + 1,
        n % 1000
    );
    format!("{body}{}", check_character(&body).unwrap())
}

/// The same number with its check character replaced by a wrong one.
pub fn wrong_check(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let wrong = if last == '1' { '2' } else { '1' };
    format!("{}{wrong}", &id[..17])
}

impl TestVillage {
    /// Registers households H1..Hn ([`households_csv`]).
    pub fn households(&mut self, n: u32) {
        self.app
            .import_households("households.csv", households_csv(1, n).as_bytes(), false)
            .unwrap();
    }

    /// A clerk's award (or, negative, deduction) under the tests' own rules.
    pub fn award(&mut self, household: &str, points: i64) {
        let rule = if points >= 0 { "T01" } else { "T02" };
        self.app
            .award(household, rule, Some(points.abs()), None, None, "test")
            .unwrap();
    }

    pub fn item(&mut self, code: &str, cost: i64, stock: Option<i64>) {
        self.app
            .add_item(NewItem {
                code: code.into(),
                name: format!("物品{code}"),
                points_cost: cost,
                stock: stock.map_or(Stock::Unlimited, Stock::Limited),
                merchant: Some("堰头面馆".into()),
                sponsor: Some("乡贤沈建国".into()),
                valid_days: 30,
                // Every test item has a picture, so tiles, confirm screens and the sync of
                // items always carry one.
                picture: Some(include_bytes!("../../assets/pictures/noodle.png").to_vec()),
            })
            .unwrap();
    }

    pub fn balance(&mut self, household: &str) -> i64 {
        self.app
            .account_view(&jifen::app::Identity::HouseholdCode(household.into()))
            .unwrap()
            .balance
    }

    pub fn reopen(&mut self) {
        let clock = self.clock.clone();
        self.app = App::open(&self.dir, clock).unwrap();
    }
}

/// Runs the real `jifen` binary against a data directory.
pub fn jifen(data_dir: &Path, args: &[&str]) -> Output {
    jifen_with_stdin(data_dir, args, "")
}

pub fn jifen_with_stdin(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("JIFEN_DATA_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the jifen binary runs");
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// A kiosk data directory holding the demo village, made as a clerk makes one (the
/// console kiosk's first start); the directory lives as long as the returned `TempDir`.
pub fn demo_kiosk() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kiosk");
    let o = jifen_with_stdin(&dir, &["kiosk", "--console", "--demo"], "q\n");
    assert!(o.status.success(), "the demo kiosk did not start: {}", stderr(&o));
    (tmp, dir)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "command failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", stdout(o)))
}

/// A resident ID card as the reader returns it, for household `H{n}` of [`TestVillage::households`].
pub fn card(n: u32) -> jifen::devices::idcard::CardText {
    jifen::devices::idcard::CardText {
        name: format!("户主{n}"),
        sex: "1".into(),
        ethnicity: "01".into(),
        birth_date: id_number(n)[6..14].to_string(),
        address: "浙江省桐乡市河山镇堰头村".into(),
        id_number: jifen::domain::id_number::IdNumber::parse(&id_number(n)).unwrap(),
        issuer: "桐乡市公安局".into(),
        valid_from: "20200101".into(),
        valid_to: "长期".into(),
    }
}

/// A phone's JPEG of `w`×`h`: red on the left half, and an EXIF block saying "turn me a
/// quarter" and where it was taken (the position every kept picture must lose).
pub fn phone_photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([if x < w / 2 { 200 } else { 20 }, 60, 60]));
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .unwrap();
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    tiff.extend_from_slice(PHOTO_GPS.as_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// The position hidden in [`phone_photo`]'s EXIF.
pub const PHOTO_GPS: &str = "GPS 30.6241N 120.5650E";
