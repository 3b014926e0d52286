//! Power cut at each step of the print order (DESIGN.md §5.4), by SIGKILL at a failpoint:
//! after the redemption committed, after the attempt was recorded, after the printer took
//! the job. Whatever the step, the points are spent once, there is one voucher, and the
//! start-up reprint brings out the same serial — marked 重印 whenever paper may exist.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;

fn killed_at(step: &str) -> (TestVillage, std::path::PathBuf) {
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 20, None);
    let previews = v.tmp.path().join("previews");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["--data-dir", v.dir.root.to_str().unwrap()])
        .args(["--printer", &format!("preview:{}", previews.display())])
        .args(["admin", "redeem", "--household", "H1", "--item", "NOODLE"])
        .env("JIFEN_FAILPOINT", step)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reached = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains(&format!("failpoint {step} reached")));
    assert!(reached, "the process never reached {step}");
    child.kill().unwrap(); // SIGKILL: no destructor, no flush, like a power cut
    child.wait().unwrap();
    (v, previews)
}

fn check_after_restart(step: &str, paper_may_exist: bool) {
    let (mut v, previews) = killed_at(step);
    v.reopen();
    assert_eq!(v.balance("H1"), 80, "{step}: the points are spent exactly once");
    let vouchers = v.app.vouchers(None).unwrap();
    assert_eq!(vouchers.len(), 1, "{step}: one voucher");
    let serial = vouchers[0].serial.clone();
    assert_eq!(vouchers[0].status, "pending", "{step}: never confirmed");

    // The kiosk starts again: the unconfirmed voucher is printed under its own serial.
    let out = jifen(
        &v.dir.root,
        &[
            "--printer",
            &format!("preview:{}", previews.display()),
            "print",
            "pending",
            "--json",
        ],
    );
    let reports = json(&out);
    assert_eq!(reports.as_array().unwrap().len(), 1, "{step}");
    assert_eq!(reports[0]["serial"], serial.as_str());
    assert_eq!(reports[0]["printed"], true);
    assert_eq!(
        reports[0]["reprint"], paper_may_exist,
        "{step}: marked 重印 only if paper may exist"
    );
    assert!(previews.join(format!("{serial}.png")).exists());
    v.reopen();
    assert_eq!(v.app.voucher(&serial).unwrap().status, "printed");
    assert_eq!(v.app.vouchers(None).unwrap().len(), 1, "{step}: still one voucher");
    assert!(v.app.verify().unwrap().ok, "{step}");
    // A second start-up prints nothing more.
    let again = json(&jifen(
        &v.dir.root,
        &[
            "--printer",
            &format!("preview:{}", previews.display()),
            "print",
            "pending",
            "--json",
        ],
    ));
    assert!(again.as_array().unwrap().is_empty());
}

#[test]
fn killed_after_the_redemption_committed_before_any_print_attempt() {
    check_after_restart("before-attempt", false);
}

#[test]
fn killed_after_the_attempt_was_recorded_before_the_printer_got_it() {
    check_after_restart("attempt-recorded", true);
}

#[test]
fn killed_after_the_printer_took_the_job_before_it_was_marked_printed() {
    check_after_restart("printed", true);
}
