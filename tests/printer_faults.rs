//! Printer faults through the real binary and a fake printer that answers `DLE EOT` like a
//! real one, on a TCP port and on a pseudo-terminal. While the printer reports paper out,
//! cover open or offline no job is sent; the redemption is kept and the next print of the
//! voucher is a reprint of the same serial.

mod common;

use common::escpos::find;
use common::fake_printer::{Condition, FakePrinter};
use common::*;

/// A village with one household of 100 points and a noodle coupon, and a config file
/// that prints in `mode` (the printer address comes from `--printer`).
fn setup(mode: &str) -> (TestVillage, std::path::PathBuf) {
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, None);
    let config = v.tmp.path().join("jifen.toml");
    std::fs::write(&config, format!("[printer]\nmode = \"{mode}\"\nwidth = 384\n")).unwrap();
    (v, config)
}

fn redeem(v: &TestVillage, config: &std::path::Path, printer: &FakePrinter) -> std::process::Output {
    jifen(
        &v.dir.root,
        &[
            "--config",
            config.to_str().unwrap(),
            "--printer",
            &printer.url,
            "admin",
            "redeem",
            "--household",
            "H1",
            "--item",
            "NOODLE",
            "--json",
        ],
    )
}

fn voucher_json(v: &TestVillage, serial: &str) -> serde_json::Value {
    json(&jifen(&v.dir.root, &["admin", "voucher", "show", serial, "--json"]))
}

#[test]
fn a_ready_printer_gets_exactly_the_preview_bytes_between_two_status_checks() {
    let (v, config) = setup("raster");
    let printer = FakePrinter::tcp();
    let out = redeem(&v, &config, &printer);
    assert!(out.status.success(), "{}", stderr(&out));
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["printed"], true);
    let serial = receipt["serial"].as_str().unwrap();
    assert_eq!(printer.jobs().len(), 1);
    assert_eq!(printer.queries(), 6, "DLE EOT 1, 2, 4 before and after the job");
    assert_eq!(voucher_json(&v, serial)["status"], "printed");

    let previews = v.tmp.path().join("previews");
    let config_arg = config.to_str().unwrap();
    let args = ["--config", config_arg, "print", "preview", "--voucher", serial, "--out"];
    let mut args = args.to_vec();
    args.push(previews.to_str().unwrap());
    assert!(jifen(&v.dir.root, &args).status.success());
    let preview = std::fs::read(previews.join(format!("{serial}.bin"))).unwrap();
    assert_eq!(
        printer.jobs()[0],
        preview,
        "the printer received the exact preview bytes"
    );
}

#[test]
fn paper_out_sends_nothing_keeps_the_points_spent_and_the_reprint_keeps_the_serial() {
    let (v, config) = setup("text");
    let printer = FakePrinter::tcp();
    printer.set(Condition::PaperOut);
    let out = redeem(&v, &config, &printer);
    assert_eq!(out.status.code(), Some(3), "done but not printed: {}", stderr(&out));
    assert!(stderr(&out).contains("缺纸，请联系管理员"), "{}", stderr(&out));
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["printed"], false);
    assert_eq!(receipt["print_error"], "缺纸，请联系管理员");
    assert!(
        printer.jobs().is_empty(),
        "no job may wait inside a printer without paper"
    );
    assert_eq!(printer.queries(), 3);
    let serial = receipt["serial"].as_str().unwrap().to_string();
    let shown = voucher_json(&v, &serial);
    assert_eq!(shown["status"], "pending");
    assert_eq!(shown["last_print_error"], "缺纸，请联系管理员");
    let balance = json(&jifen(&v.dir.root, &["admin", "household", "show", "H1", "--json"]))["balance"].clone();
    assert_eq!(balance, 80, "spent once, not refunded");

    // Paper loaded: the clerk reprints. Same serial, marked 重印.
    printer.set(Condition::Ready);
    let out = jifen(
        &v.dir.root,
        &[
            "--config",
            config.to_str().unwrap(),
            "--printer",
            &printer.url,
            "admin",
            "voucher",
            "reprint",
            &serial,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("已重印兑换券 {serial}")));
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 1);
    assert!(find(&jobs[0], &encoding_rs::GB18030.encode("重印").0).is_some());
    assert!(find(&jobs[0], serial.as_bytes()).is_some());
    let shown = voucher_json(&v, &serial);
    assert_eq!(
        (shown["status"].as_str(), shown["reprint_count"].as_i64()),
        (Some("printed"), Some(1))
    );
    let list = json(&jifen(&v.dir.root, &["admin", "voucher", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1, "no second voucher");
}

#[test]
fn cover_open_and_offline_on_a_serial_printer_are_told_apart_in_words() {
    let (v, config) = setup("text");
    let printer = FakePrinter::pty();
    for (condition, words) in [
        (Condition::CoverOpen, "打印机盖没有关好，请联系管理员"),
        (Condition::Offline, "打印机离线，请联系管理员"),
        (Condition::Silent, "打印机没有响应，请联系管理员"),
    ] {
        printer.set(condition);
        let out = redeem(&v, &config, &printer);
        assert_eq!(out.status.code(), Some(3), "{condition:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{condition:?}: {}", stderr(&out));
    }
    assert!(printer.jobs().is_empty());
    // Back to normal: the three pending vouchers come out, oldest first, as reprints.
    printer.set(Condition::Ready);
    let out = jifen(
        &v.dir.root,
        &[
            "--config",
            config.to_str().unwrap(),
            "--printer",
            &printer.url,
            "print",
            "pending",
            "--json",
        ],
    );
    let reports = json(&out);
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| r["printed"] == true && r["reprint"] == true));
    assert_eq!(printer.jobs().len(), 3);
}

#[test]
fn paper_running_out_during_the_job_leaves_the_voucher_to_reprint() {
    let (v, config) = setup("raster");
    let printer = FakePrinter::tcp();
    printer.set(Condition::RunsOutDuringJob);
    let out = redeem(&v, &config, &printer);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(printer.jobs().len(), 1, "the job went out before the paper ended");
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown = voucher_json(&v, receipt["serial"].as_str().unwrap());
    assert_eq!(shown["status"], "pending", "half a voucher is not a printed voucher");
}

#[test]
fn stray_bytes_are_drained_and_a_near_empty_roll_still_prints() {
    let (v, config) = setup("raster");
    let printer = FakePrinter::tcp();
    printer.greet_with(b"\x14\x00\x00\x0fnoise");
    printer.set(Condition::PaperNearEnd);
    let out = redeem(&v, &config, &printer);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(printer.jobs().len(), 1);
}

#[test]
fn a_printer_nobody_answers_at_fails_in_words_and_status_says_so() {
    let (v, config) = setup("raster");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = jifen(
        &v.dir.root,
        &[
            "--config",
            config.to_str().unwrap(),
            "--printer",
            &url,
            "print",
            "test-page",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("打印机没有响应"), "{}", stderr(&out));

    let printer = FakePrinter::tcp();
    printer.set(Condition::PaperOut);
    let status = json(&jifen(
        &v.dir.root,
        &["--printer", &printer.url, "print", "status", "--json"],
    ));
    assert_eq!(status["paper_end"], true);
    assert_eq!(status["fault"], "缺纸，请联系管理员");
    // JIFEN_PRINTER does the same as --printer.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["--data-dir", v.dir.root.to_str().unwrap(), "print", "test-page"])
        .env("JIFEN_PRINTER", &printer.url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("缺纸"), "{}", stderr(&out));
}

#[test]
fn a_usb_printer_that_can_report_nothing_is_sent_the_job_but_not_trusted_to_have_printed_it() {
    let (v, config) = setup("text");
    let device = v.tmp.path().join("lp0");
    std::fs::write(&device, b"").unwrap();
    let url = format!("usb:{}", device.display());
    let out = jifen(
        &v.dir.root,
        &[
            "--config",
            config.to_str().unwrap(),
            "--printer",
            &url,
            "admin",
            "redeem",
            "--household",
            "H1",
            "--item",
            "NOODLE",
        ],
    );
    // Sent, but silence is not taken for paper: done and kept, exit 3, and the clerk is
    // told how to confirm it.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("打印机无法确认是否出纸"), "{}", stderr(&out));
    let written = std::fs::read(&device).unwrap();
    let job = find(&written, &[0x1B, 0x40]).expect("the job was written");
    assert_eq!(&written[..3], &[0x10, 0x04, 0x01], "the status was asked first");
    // A printer that cannot answer is asked once before and once after.
    assert!(
        written.ends_with(&[0x1D, 0x56, 0x41, 0x00, 0x10, 0x04, 0x01]),
        "the job ends with its cut"
    );
    assert!(job == 3);
    let vouchers = json(&jifen(&v.dir.root, &["admin", "voucher", "list", "--json"]));
    let serial = vouchers[0]["serial"].as_str().unwrap().to_string();
    assert_eq!(vouchers[0]["status"], "pending");
    let confirmed = jifen(&v.dir.root, &["print", "confirm", &serial]);
    assert!(confirmed.status.success(), "{}", stderr(&confirmed));
    let vouchers = json(&jifen(&v.dir.root, &["admin", "voucher", "list", "--json"]));
    assert_eq!(vouchers[0]["status"], "printed", "the clerk saw it come out");
}
