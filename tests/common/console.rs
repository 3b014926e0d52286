//! The web console's tests' township: one village with two grids, a second village, one
//! account of each role; and a kiosk that knows its township, its vouchers read back.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::township_cli::{engine, succeeds, township, Engine};
use super::{id_number, jifen};
use jifen::domain::clock::{Clock, SystemClock};

pub const PASSWORD: &str = "correct horse 馒头";

pub fn add_user(db: &Engine, password: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .arg("township")
        .arg(db.flag)
        .arg(&db.value)
        .args(["user", "add", "--password-stdin"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

/// Village YT with H1 (grid 1) and H2 (grid 2), each scored this month, a second village
/// XQ, and one account of each role.
pub fn township_with_users(dir: &Path) -> Engine {
    let db = engine(dir);
    succeeds(township(&db, &["village", "add", "--code", "YT", "--name", "堰头村"]));
    succeeds(township(&db, &["village", "add", "--code", "XQ", "--name", "新桥村"]));
    let households = dir.join("households.csv");
    let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
    for i in 1..=2 {
        csv.push_str(&format!(
            "H{i},{i},户主{i},{},head,QRH{i:04}-K7M3PRW9T4CX\n",
            id_number(i)
        ));
    }
    std::fs::write(&households, csv).unwrap();
    succeeds(township(
        &db,
        &["households", "import", "--village", "YT", households.to_str().unwrap()],
    ));
    let month = SystemClock.this_month().to_string();
    let sheet = dir.join("sheet.csv");
    std::fs::write(
        &sheet,
        format!("month,household_code,rule_code,points,note,recorded_by\n{month},H1,B16,5,,网格员\n{month},H2,D16,3,,网格员\n"),
    )
    .unwrap();
    succeeds(township(
        &db,
        &["points", "import", "--village", "YT", sheet.to_str().unwrap()],
    ));
    for args in [
        &["--name", "zhang", "--role", "township"][..],
        &["--name", "cadre-yt", "--role", "cadre", "--village", "YT"],
        &[
            "--name",
            "grid-yt-2",
            "--role",
            "grid",
            "--village",
            "YT",
            "--grid",
            "2",
        ],
        &["--name", "noodles", "--role", "merchant", "--merchant", "堰头面馆"],
    ] {
        succeeds(add_user(&db, PASSWORD, args));
    }
    db
}

/// The QR code on a printed voucher, read back from the printer's preview.
pub fn printed_qr(previews: &Path) -> String {
    let png = std::fs::read_dir(previews)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .max()
        .expect("a printed voucher");
    let b = jifen::print::bitmap::Bitmap::from_png(&std::fs::read(png).unwrap()).unwrap();
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(b.width() as usize, b.height() as usize, |x, y| {
        if b.is_black(x as u32, y as u32) {
            0
        } else {
            255
        }
    });
    img.detect_grids()[0].decode().unwrap().1
}

/// A kiosk's config naming its township and printing previews to `previews`: the
/// vouchers it prints carry the township's link.
pub fn kiosk_config(dir: &Path, url: &str, key: &str) -> (PathBuf, PathBuf) {
    let previews = dir.join("previews");
    let config = dir.join("jifen.toml");
    std::fs::write(
        &config,
        format!(
            "[sync]\nurl = \"{url}\"\ntownship_key = \"{key}\"\n[printer]\nurl = \"preview:{}\"\n",
            previews.display()
        ),
    )
    .unwrap();
    (config, previews)
}

/// Runs the kiosk's binary with its config.
pub fn kiosk_does(kiosk: &Path, config: &Path, args: &[&str]) -> Output {
    let o = jifen(kiosk, &[&["--config", config.to_str().unwrap()][..], args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}
