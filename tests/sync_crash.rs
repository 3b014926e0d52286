//! The kiosk killed in the middle of a sync round (SIGKILL, like a power cut), at the
//! two points where one side has committed and the other has not yet.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::township::{assert_converged, TestTownship};

use common::{jifen, stderr, village};

fn killed_mid_sync(step: &str) {
    let township = TestTownship::start();
    let mut k = village();
    k.households(4);
    for h in ["H1", "H2", "H3", "H4"] {
        k.award(h, 60);
    }
    k.item("MQ", 20, Some(10));
    township.adopt(&mut k, 4);
    township.register(&k, "大厅");
    let client = township.client(&k);
    common::township::sync(&mut k, &client).unwrap();
    // Work on both sides while apart: a redemption to push, scores to pull.
    k.app.redeem("H2", "MQ", 1, "kiosk").unwrap();
    let sheet =
        "month,household_code,rule_code,points,note,recorded_by\n2026-10,H1,B16,5,,网格员\n2026-10,H3,T02,4,,网格员\n";
    township
        .storage
        .import_points("YT", "sheet.csv", sheet.as_bytes())
        .unwrap();

    let key = jifen::sync::auth::public_key_text(&township.key());
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["--data-dir", k.dir.root.to_str().unwrap()])
        .args(["sync", "once", "--url", &township.url])
        .args(["--township-key", &key])
        .env("JIFEN_FAILPOINT", step)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reached = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains(&format!("failpoint {step} reached")));
    assert!(reached, "the process never reached {step}");
    child.kill().unwrap();
    child.wait().unwrap();

    // Restarted, the next round finishes the job without doubling anything.
    let out = jifen(&k.dir.root, &["sync", "once", "--url", &township.url, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["events_waiting"], 0, "{step}");
    k.reopen();
    assert_eq!(k.balance("H1"), 65, "{step}");
    assert_eq!(k.balance("H2"), 40, "{step}");
    assert_eq!(k.balance("H3"), 56, "{step}");
    assert_converged(&township, &mut k);
    let out = jifen(&k.dir.root, &["admin", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn killed_after_the_township_took_the_push_but_before_the_kiosk_marked_it() {
    killed_mid_sync("sync-pushed");
}

#[test]
fn killed_after_a_page_was_pulled_but_before_it_was_applied() {
    killed_mid_sync("sync-pulled");
}
