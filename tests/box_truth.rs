//! The box tells the truth (issue 21): vouchers left unconfirmed are printed only with
//! their household at the kiosk, a printer that can report nothing is named as such, a
//! redemption that committed is never reported as a failure, a stuck worker stops the
//! watchdog, a full disk and a wrong clock refuse redemptions in words and lift by themselves.

mod common;

use std::os::unix::net::UnixDatagram;
use std::sync::mpsc::channel;
use std::time::Duration;

use chrono::TimeZone;
use common::fake_printer::{Condition, FakePrinter};
use common::*;
use jifen::app::{App, AppError, Delivery, Identity, PrintFailure, Printer, Printout, NOT_OUT_WORDS};
use jifen::print::url::PrinterUrl;
use jifen::print::{PrintMode, PrinterDevice};
use jifen::ui::{Command, Liveness, Reply, Watchdog};

fn preview(dir: &std::path::Path) -> PrinterDevice {
    PrinterDevice {
        url: PrinterUrl::Preview(dir.to_path_buf()),
        mode: PrintMode::Raster,
        width: Default::default(),
        templates: None,
    }
}

/// A printer with its paper out.
struct PaperOut;

impl Printer for PaperOut {
    fn print(&mut self, _: &Printout) -> Result<Delivery, PrintFailure> {
        Err(PrintFailure {
            words: "缺纸，请联系管理员".into(),
            detail: "paper end".into(),
        })
    }
}

fn kiosk_with_pending_vouchers() -> (TestVillage, String, String) {
    let mut v = village();
    v.households(2);
    v.award("H1", 100);
    v.award("H2", 100);
    v.item("NOODLE", 20, Some(10));
    let mut pending = Vec::new();
    for h in ["H1", "H2"] {
        let (receipt, report) = v.app.redeem_and_print(h, "NOODLE", 1, "kiosk", &mut PaperOut).unwrap();
        assert!(!report.printed);
        pending.push(receipt.serial);
    }
    let h2 = pending.pop().unwrap();
    let h1 = pending.pop().unwrap();
    (v, h1, h2)
}

#[test]
fn a_restarted_kiosk_prints_a_households_vouchers_only_when_its_card_is_read() {
    let (v, h1_serial, h2_serial) = kiosk_with_pending_vouchers();
    let previews = v.tmp.path().join("previews");
    let app = App::open(&v.dir, v.clock.clone()).unwrap();
    let (commands, from_ui) = channel();
    let (to_ui, replies) = channel();
    let _worker = jifen::ui::spawn_worker(app, preview(&previews), from_ui, to_ui, Liveness::default());
    let ask = |c: Command| {
        commands.send(c).unwrap();
        replies.recv_timeout(Duration::from_secs(10)).unwrap()
    };
    assert!(matches!(ask(Command::Home), Reply::Home { .. }));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !previews.exists(),
        "nothing was printed into the empty hall at start-up"
    );

    // Another household's screen cannot print H2's voucher.
    assert!(matches!(ask(Command::ReprintMine("H2".into())), Reply::Failed(_)));
    let Reply::Account(view, _, _, waiting, _) = ask(Command::Identify {
        who: Identity::QrToken(qr_token(2)),
        card_name: None,
    }) else {
        panic!("H2's card opens its account");
    };
    assert_eq!((view.household_code.as_str(), waiting), ("H2", 1));
    let Reply::Reprinted(reports) = ask(Command::ReprintMine("H2".into())) else {
        panic!("H2's voucher is printed now");
    };
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].serial, h2_serial);
    assert!(reports[0].printed && reports[0].reprint, "{reports:?}");
    assert!(previews.join(format!("{h2_serial}.png")).exists());
    assert!(!previews.join(format!("{h1_serial}.png")).exists(), "H1 was not here");
    let mut ledger = App::open(&v.dir, v.clock.clone()).unwrap();
    assert_eq!(ledger.voucher(&h1_serial).unwrap().status, "pending");
    assert_eq!(ledger.voucher(&h2_serial).unwrap().status, "printed");
    // Nor can the screen redeem for a household whose card is not the one read.
    assert!(matches!(
        ask(Command::Redeem {
            household: "H1".into(),
            item: "NOODLE".into()
        }),
        Reply::Failed(_)
    ));
}

/// A printer that never returns: a driver bug, a line that hangs the kernel.
struct Hangs(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

impl Printer for Hangs {
    fn print(&mut self, _: &Printout) -> Result<Delivery, PrintFailure> {
        let _ = self.0.lock().unwrap().recv();
        Ok(Delivery::Confirmed)
    }
}

#[test]
fn a_worker_stuck_on_the_printer_stops_the_watchdog_within_its_bound() {
    let socket_dir = tempfile::tempdir().unwrap();
    let path = socket_dir.path().join("notify");
    let systemd = UnixDatagram::bind(&path).unwrap();
    systemd.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    // SAFETY: this is the only test of this binary that reads or writes NOTIFY_SOCKET.
    unsafe { std::env::set_var("NOTIFY_SOCKET", &path) };
    let heard = || {
        let mut buf = [0u8; 64];
        systemd
            .recv(&mut buf)
            .ok()
            .map(|n| String::from_utf8_lossy(&buf[..n]).trim().to_string())
    };

    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, Some(10));
    let app = App::open(&v.dir, v.clock.clone()).unwrap();
    let (release, hang) = channel();
    let liveness = Liveness::default();
    let (commands, from_ui) = channel();
    let (to_ui, replies) = channel();
    let _worker = jifen::ui::spawn_worker(app, Hangs(hang.into()), from_ui, to_ui, liveness.clone());
    let watchdog = Watchdog {
        liveness,
        bound: Duration::from_millis(1500),
    };
    assert!(watchdog.feed(), "an idle worker beats");
    assert_eq!(heard().as_deref(), Some("WATCHDOG=1"));
    std::thread::sleep(Duration::from_millis(1700));
    assert!(watchdog.feed(), "idle longer than the bound, and still beating");
    assert_eq!(heard().as_deref(), Some("WATCHDOG=1"));

    commands
        .send(Command::Identify {
            who: Identity::QrToken(qr_token(1)),
            card_name: None,
        })
        .unwrap();
    assert!(matches!(
        replies.recv_timeout(Duration::from_secs(10)).unwrap(),
        Reply::Account(..)
    ));
    commands
        .send(Command::Redeem {
            household: "H1".into(),
            item: "NOODLE".into(),
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(1700));
    assert!(!watchdog.feed(), "stuck past the bound: systemd is not fed");
    assert_eq!(heard(), None, "nothing reached the notify socket");
    release.send(()).unwrap();
    assert!(matches!(
        replies.recv_timeout(Duration::from_secs(10)).unwrap(),
        Reply::Redeemed(_)
    ));
    std::thread::sleep(Duration::from_millis(100));
    assert!(watchdog.feed(), "back to life once the printer let go");
    unsafe { std::env::remove_var("NOTIFY_SOCKET") };
}

#[test]
fn a_printer_that_reports_nothing_leaves_the_voucher_pending_until_someone_says_it_came_out() {
    let silent = FakePrinter::pty();
    silent.set(Condition::Silent);
    let url = silent.as_usb();
    let mut usb = PrinterDevice {
        url: url.parse().unwrap(),
        mode: PrintMode::Raster,
        width: Default::default(),
        templates: None,
    };
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, Some(10));
    let (receipt, report) = v.app.redeem_and_print("H1", "NOODLE", 1, "kiosk", &mut usb).unwrap();
    assert!(
        report.unverified && !report.printed && report.error.is_none(),
        "{report:?}"
    );
    let voucher = v.app.voucher(&receipt.serial).unwrap();
    assert_eq!(voucher.status, "pending", "silence is not taken for paper");
    assert_eq!(voucher.last_print_error.as_deref(), Some(jifen::app::UNVERIFIED_WORDS));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!silent.jobs().is_empty(), "the job did go to the printer");

    v.app.voucher_did_not_come_out(&receipt.serial).unwrap();
    let voucher = v.app.voucher(&receipt.serial).unwrap();
    assert_eq!(voucher.status, "pending");
    assert_eq!(voucher.last_print_error.as_deref(), Some(NOT_OUT_WORDS));
    v.app.voucher_came_out(&receipt.serial).unwrap();
    assert_eq!(v.app.voucher(&receipt.serial).unwrap().status, "printed");

    // `print status` names such a printer, so the clerk knows the kiosk will ask.
    let out = jifen(&v.dir.root, &["--printer", &url, "print", "status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("无法报告状态"), "{}", stdout(&out));
}

#[test]
fn an_error_after_the_commit_is_reported_as_a_kept_voucher_not_a_failed_redemption() {
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, Some(10));
    drop(v.app);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["--data-dir"])
        .arg(&v.dir.root)
        .args(["admin", "redeem", "--household", "H1", "--item", "NOODLE", "--json"])
        .env("JIFEN_FAILPOINT", "error:printed")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "done and kept, not printed: {}",
        stderr(&out)
    );
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["balance_after"], 80, "the redemption went through");
    assert!(stderr(&out).contains("兑换券没有打印出来"), "{}", stderr(&out));
    let mut app = App::open(&v.dir, v.clock.clone()).unwrap();
    let serial = receipt["serial"].as_str().unwrap();
    assert_eq!(app.voucher(serial).unwrap().status, "pending", "kept for a reprint");
}

#[test]
fn a_clock_set_before_the_newest_entry_stops_redemptions_until_it_is_right() {
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, Some(10));
    let right = jifen::domain::clock::Clock::now(&*v.clock);
    v.clock.set(chrono::Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap());
    let refused = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap_err();
    assert!(matches!(refused, AppError::ClockWrong(_)), "{refused}");
    assert!(refused.to_string().contains("本机时间不对"), "{refused}");
    assert!(v.app.box_health().unwrap().words().unwrap().contains("请校准时间"));
    assert!(matches!(v.app.statement_printout("H1"), Err(AppError::ClockWrong(_))));
    assert_eq!(v.balance("H1"), 100, "nothing spent");
    v.clock.set(right);
    v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    assert_eq!(v.balance("H1"), 80);
}

#[test]
fn a_real_clock_in_the_year_2000_is_refused_by_the_binary() {
    let Some(lib) = faketime_library() else {
        panic!("libfaketime is missing: install Debian's `faketime` package (.ci/run does)");
    };
    let dir = tempfile::tempdir().unwrap();
    let demo = jifen(dir.path(), &["admin", "demo", "--json"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let household = "YT-002";
    let run = |faked: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"));
        c.arg("--data-dir")
            .arg(dir.path())
            .args(["admin", "redeem", "--household", household, "--item", "SOAP"]);
        if faked {
            c.env("LD_PRELOAD", &lib).env("FAKETIME", "@2000-01-01 08:00:00");
        }
        c.output().unwrap()
    };
    let refused = run(true);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("本机时间不对"), "{}", stderr(&refused));
    let fine = run(false);
    assert!(fine.status.success(), "{}", stderr(&fine));
}

fn faketime_library() -> Option<String> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .map(str::to_string)
}

/// Mounts a small tmpfs for a full-disk test, or says why it cannot.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(megabytes: u32) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_refuses_redemptions_in_words_loses_nothing_and_recovers() {
    let tmpfs = match Tmpfs::mount(96) {
        Ok(t) => t,
        Err(why) if !nix_is_root() => {
            eprintln!("skipped: mounting a tmpfs needs root ({why})");
            return;
        }
        Err(why) => panic!("cannot mount a tmpfs as root: {why}"),
    };
    let root = tmpfs.0.path().join("kiosk");
    let demo = jifen(&root, &["admin", "demo", "--json"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    // The running kiosk holds its database open while the disk fills (a log, a photo).
    let dir = jifen::installation::DataDir::resolve(Some(root.clone()));
    let mut kiosk = App::open(&dir, std::sync::Arc::new(jifen::domain::clock::SystemClock)).unwrap();
    let first = kiosk.redeem("YT-002", "SOAP", 1, "kiosk").unwrap();
    let health = kiosk.box_health().unwrap();
    assert!(!health.disk_low, "{health:?}");

    // Fill the disk to the last byte.
    let filler = tmpfs.0.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 1 << 16];
        while f.write_all(&block).is_ok() {}
        while f.write_all(&[0u8]).is_ok() {}
    }
    let health = kiosk.box_health().unwrap();
    assert!(health.disk_full, "{health:?}");
    assert!(health.words().unwrap().contains("存储空间已满"), "clerk mode says so");
    let refused = kiosk.redeem("YT-002", "SOAP", 1, "kiosk").unwrap_err();
    assert!(matches!(refused, AppError::DiskFull), "{refused}");
    assert!(
        refused.to_string().contains("请联系工作人员：存储空间已满"),
        "{refused}"
    );
    let report = kiosk.verify().unwrap();
    assert!(report.ok, "nothing committed is lost: {:?}", report.problems);
    assert_eq!(kiosk.voucher(&first.serial).unwrap().status, "pending");

    // Space freed: the same process redeems again, no restart.
    std::fs::remove_file(&filler).unwrap();
    let again = kiosk.redeem("YT-002", "SOAP", 1, "kiosk").unwrap();
    assert_eq!(
        first.balance_after - again.balance_after,
        10,
        "the first redemption is still there"
    );
    drop(kiosk);
    let verify = jifen(&root, &["admin", "verify"]);
    assert!(verify.status.success(), "{}{}", stdout(&verify), stderr(&verify));
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

#[test]
fn clerk_mode_names_a_printer_that_can_report_nothing() {
    let silent = FakePrinter::pty();
    silent.set(Condition::Silent);
    let mut v = village();
    v.households(1);
    v.app.add_clerk("值班干部", "201911").unwrap();
    let usb = PrinterDevice {
        url: silent.as_usb().parse().unwrap(),
        mode: PrintMode::Raster,
        width: Default::default(),
        templates: None,
    };
    let app = App::open(&v.dir, v.clock.clone()).unwrap();
    let (commands, from_ui) = channel();
    let (to_ui, replies) = channel();
    let _worker = jifen::ui::spawn_worker(app, usb, from_ui, to_ui, Liveness::default());
    let ask = |c: Command| {
        commands.send(c).unwrap();
        replies.recv_timeout(Duration::from_secs(20)).unwrap()
    };
    assert!(matches!(ask(Command::UnlockClerk("201911".into())), Reply::ClerkIn(_)));
    let Reply::ClerkData { sync_note, .. } = ask(Command::ClerkData) else {
        panic!("clerk data");
    };
    assert!(
        sync_note.contains(jifen::print::device::CANNOT_REPORT_WORDS),
        "{sync_note}"
    );
}

#[test]
fn a_clock_far_from_the_townships_stops_redemptions_until_a_sync_finds_it_right() {
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, Some(10));
    v.app
        .note_township_clock_offset(chrono::Duration::minutes(-45))
        .unwrap();
    let refused = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap_err();
    assert!(refused.to_string().contains("与乡镇服务器相差 45 分钟"), "{refused}");
    v.app.note_township_clock_offset(chrono::Duration::seconds(3)).unwrap();
    v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
}
