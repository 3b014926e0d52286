//! Township sync over real HTTP on loopback: a kiosk's data dir and the township
//! server's databases, both real SQLite files.

mod common;

use common::township::{assert_converged, sync, sync_until_ok, Fault, Route, TestTownship};
use common::{households_csv, id_number, village, TestVillage};
use jifen::app::{App, Identity, Village};

/// A kiosk of village `code` with households H1..Hn, 100 points each and a noodle coupon
/// (50 on its shelf), made while it stood alone.
fn kiosk(code: &str, n: u32) -> TestVillage {
    let mut k = if code == "YT" {
        village()
    } else {
        let tmp = tempfile::tempdir().unwrap();
        let dir = jifen::installation::DataDir {
            root: tmp.path().join("data"),
        };
        let clock = std::sync::Arc::new(common::FixedClock::new(common::test_now()));
        let mut app = App::init(
            &dir,
            Village {
                code: code.into(),
                name: format!("{code}村"),
            },
            clock.clone(),
        )
        .unwrap();
        app.import_rules("test-rules.csv", common::TEST_RULES_CSV.as_bytes())
            .unwrap();
        TestVillage { tmp, dir, clock, app }
    };
    if n > 0 {
        k.households(n);
        for i in 1..=n {
            k.award(&format!("H{i}"), 100);
        }
        k.item("MQ", 20, Some(50));
    }
    k
}

/// A kiosk of `code` that began on its own, joined to the township, synced once.
fn joined(township: &TestTownship, code: &str, n: u32) -> (TestVillage, jifen::sync::SyncClient) {
    let mut k = kiosk(code, n);
    township.adopt(&mut k, n);
    township.register(&k, "大厅");
    let client = township.client(&k);
    sync(&mut k, &client).unwrap();
    (k, client)
}

fn points_csv(month: &str, households: std::ops::RangeInclusive<u32>, rule: &str, points: i64) -> String {
    let mut csv = String::from("month,household_code,rule_code,points,note,recorded_by\n");
    for i in households {
        csv.push_str(&format!("{month},H{i},{rule},{points},,网格员\n"));
    }
    csv
}

#[test]
fn a_fresh_kiosk_pulls_the_townships_households_and_a_month_of_scores() {
    let township = TestTownship::start();
    township.village("YT", "堰头村");
    township
        .storage
        .import_households("YT", "households.csv", households_csv(1, 30).as_bytes())
        .unwrap();
    township
        .storage
        .import_points("YT", "2026-10.csv", points_csv("2026-10", 1..=30, "B16", 5).as_bytes())
        .unwrap();
    township
        .storage
        .import_points(
            "YT",
            "2026-10-deduct.csv",
            points_csv("2026-10", 1..=3, "D16", 2).as_bytes(),
        )
        .unwrap();

    let mut k = kiosk("YT", 0);
    township.register(&k, "村委会大厅");
    let client = township.client(&k);
    let report = sync(&mut k, &client).unwrap();
    assert!(
        report.pulled >= 30 + 33,
        "30 households and 33 ledger entries, and the kiosks: {report:?}"
    );
    assert_eq!(report.kiosk_number, Some(1), "the township numbered the kiosk");

    // The kiosk took the village's ID key: a resident the township registered is found
    // by the number on their card, also after a restart.
    k.reopen();
    let view = k.app.account_view(&Identity::IdNumber(id_number(2))).unwrap();
    assert_eq!(view.household_code, "H2");
    assert_eq!(view.balance, 3);
    assert_eq!(k.balance("H10"), 5);
    assert_converged(&township, &mut k);

    // A second round pulls nothing new (the kiosk's hello may still relay its key).
    let again = sync(&mut k, &client).unwrap();
    assert_eq!((again.applied, again.pushed), (0, 0));
}

#[test]
fn redemptions_made_offline_reach_the_township_when_the_link_returns() {
    let township = TestTownship::start();
    let (mut k, client) = joined(&township, "YT", 5);

    // The link drops: nothing listens at this address.
    let dead = township.client_at("http://127.0.0.1:9", &k);
    let err = sync(&mut k, &dead).unwrap_err();
    assert!(err.to_string().contains("cannot reach"), "{err}");
    for h in ["H1", "H2", "H3"] {
        k.app.redeem(h, "MQ", 1, "kiosk").unwrap();
    }
    let status = k.app.sync_status().unwrap();
    assert_eq!(status.events_waiting, 3);
    assert!(status.last_error.as_deref().unwrap_or("").contains("连不上乡镇服务器"));

    let report = sync(&mut k, &client).unwrap();
    assert_eq!(report.pushed, 3);
    assert_eq!(report.events_waiting, 0);
    let status = k.app.sync_status().unwrap();
    assert_eq!(status.last_error, None, "a success clears the error");
    let h1 = township.storage.household("YT", "H1").unwrap();
    assert_eq!(h1.balance, 80, "100 earned, 20 spent at the kiosk");
    assert_eq!(township.storage.summary("YT").unwrap().vouchers, 3);
    assert_converged(&township, &mut k);
}

#[test]
fn two_kiosks_of_two_villages_stay_apart() {
    let township = TestTownship::start();
    let (mut yt, cy) = joined(&township, "YT", 3);
    let (mut dq, cd) = joined(&township, "DQ", 4);
    yt.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
    township
        .storage
        .import_points("DQ", "dq.csv", points_csv("2026-10", 1..=4, "B16", 7).as_bytes())
        .unwrap();
    let ry = sync(&mut yt, &cy).unwrap();
    let rd = sync(&mut dq, &cd).unwrap();
    assert_eq!(ry.applied, 0, "YT hears nothing of DQ's scores");
    assert_eq!(rd.applied, 4, "DQ gets its own scores");
    assert_eq!(yt.app.households().unwrap().len(), 3);
    assert_eq!(dq.app.households().unwrap().len(), 4);
    assert_eq!(dq.balance("H1"), 107);
    assert_eq!(yt.balance("H1"), 80);
    assert_converged(&township, &mut yt);
    assert_converged(&township, &mut dq);

    // A YT kiosk asking for DQ's feed is refused.
    let options = jifen::sync::ClientOptions {
        timeout: common::township::CLIENT_TIMEOUT,
        township_key: township.key(),
        allow_plain_http: false,
    };
    let sneaky = jifen::sync::SyncClient::new(&township.url, yt.app.device_signing_key(), "DQ", &options).unwrap();
    let err = sneaky.pull(0, 10).unwrap_err();
    assert!(
        matches!(&err, jifen::sync::SyncError::Refused { status: 403, reason } if reason.contains("belongs to village YT")),
        "{err}"
    );
}

#[test]
fn every_fault_leaves_each_event_applied_once_on_both_sides() {
    let township = TestTownship::start();
    let (mut k, client) = joined(&township, "YT", 6);

    let scenarios = [
        (Route::Push, Fault::Fail500),
        (Route::Push, Fault::Lost),
        (Route::Push, Fault::Twice),
        (Route::Pull, Fault::Fail500),
        (Route::Pull, Fault::Lost),
        (Route::Pull, Fault::Twice),
    ];
    for (i, (route, fault)) in scenarios.into_iter().enumerate() {
        // Work on both sides: a redemption at the kiosk, a score at the township.
        let h = format!("H{}", i % 6 + 1);
        k.app.redeem(&h, "MQ", 1, "kiosk").unwrap();
        township
            .storage
            .import_points(
                "YT",
                &format!("sheet-{i}.csv"),
                points_csv(&format!("2026-{:02}", i + 1), 1..=6, "B16", 3).as_bytes(),
            )
            .unwrap();
        township.faults.next(route, fault);
        let first = sync(&mut k, &client);
        if fault != Fault::Twice || route == Route::Push {
            // Every fault but a duplicated pull is seen by the kiosk as a failed round.
            assert!(first.is_err(), "{route:?} {fault:?} should fail the round");
        }
        sync_until_ok(&mut k, &client, 3);
        assert_eq!(k.app.sync_status().unwrap().events_waiting, 0, "{route:?} {fault:?}");
        assert_converged(&township, &mut k);
    }
    // Six awards of 3 points on top of 100, six redemptions of 20 spread over six households.
    assert_eq!(k.balance("H1"), 100 + 18 - 20);
}

#[test]
fn batches_out_of_order_and_a_page_applied_twice_change_nothing_twice() {
    let township = TestTownship::start();
    let mut k = kiosk("YT", 4);
    township.adopt(&mut k, 4);
    township.register(&k, "大厅");
    let client = township.client(&k);
    let events = k.app.unpushed_events(100).unwrap();
    let n = events.len() as i64;
    assert!(n > 6);

    // The second half arrives first: nothing is acknowledged past the gap.
    let late = client.push(&events[3..]).unwrap();
    assert_eq!(late.acked_through, 0);
    let early = client.push(&events[..3]).unwrap();
    assert_eq!(early.acked_through, 3);
    let all = client.push(&events).unwrap();
    assert_eq!(all.acked_through, n);
    assert_eq!(all.applied as i64, n - 3);
    let again = client.push(&events).unwrap();
    assert_eq!(
        (again.acked_through, again.applied),
        (n, 0),
        "the same batch again is a no-op"
    );

    // The same id with different content is refused with 422 and the reason.
    let mut forged = events[0].clone();
    forged.subject = "H4".into();
    let refused = client.push(&[forged]).unwrap();
    let reason = refused.refused.expect("refused").reason;
    assert!(reason.contains("different content"), "{reason}");
    k.app.mark_pushed(n).unwrap();

    // A page applied twice changes nothing the second time.
    township
        .storage
        .import_points("YT", "more.csv", points_csv("2026-09", 1..=4, "B16", 4).as_bytes())
        .unwrap();
    let page = client.pull(0, 1000).unwrap();
    let entries = page.changes.iter().filter(|c| c.event.kind == "ledger_entry").count();
    assert_eq!(entries, 4, "the township's four scores (and not the kiosk's own echo)");
    assert!(k.app.apply_pulled(&page).unwrap().applied >= 4);
    assert_eq!(k.app.apply_pulled(&page).unwrap().applied, 0);
    assert_eq!(k.balance("H2"), 104);
    assert_converged(&township, &mut k);
}

#[test]
fn a_deduction_after_an_offline_redemption_is_kept_and_flagged() {
    let township = TestTownship::start();
    let (mut k, client) = joined(&township, "YT", 2);
    // Offline: H1 spends 100 of its 100 on five coupons while the township deducts 10.
    for _ in 0..5 {
        k.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
    }
    township
        .storage
        .import_points("YT", "deduct.csv", points_csv("2026-11", 1..=1, "T02", 10).as_bytes())
        .unwrap();
    sync(&mut k, &client).unwrap();
    assert_eq!(k.balance("H1"), -10);
    let refused = k.app.redeem("H1", "MQ", 1, "kiosk").unwrap_err();
    assert!(refused.to_string().contains("balance"), "{refused}");
    let flagged = township.storage.overdrafts("YT").unwrap();
    assert_eq!(flagged.len(), 1);
    assert_eq!((flagged[0].household.as_str(), flagged[0].balance_now), ("H1", -10));
    assert_converged(&township, &mut k);
}

#[test]
fn one_scoring_sheet_imported_at_the_kiosk_and_at_the_township_counts_once() {
    let township = TestTownship::start();
    let (mut k, client) = joined(&township, "YT", 3);
    let sheet = points_csv("2026-10", 1..=3, "B16", 5);
    k.app.import_points("2026-10.csv", sheet.as_bytes(), false).unwrap();
    township
        .storage
        .import_points("YT", "2026-10.csv", sheet.as_bytes())
        .unwrap();
    sync(&mut k, &client).unwrap();
    assert_eq!(k.balance("H1"), 105, "the sheet's 5 points once, not twice");
    let h1 = township.storage.household("YT", "H1").unwrap();
    assert_eq!(h1.balance, 105);
    let v = k.app.verify().unwrap();
    assert!(v.ok, "{:?}", v.problems);
}

/// On PostgreSQL the ledger's household, rule and corrected entry are checked before
/// writing, not by foreign keys (schema 3, for ingest speed): `verify` stands in for them.
#[test]
fn township_verify_names_an_entry_whose_household_or_rule_is_not_there() {
    let township = TestTownship::start();
    let Some(db) = &township.postgres else {
        return; // The SQLite township keeps its foreign keys.
    };
    let (mut k, client) = joined(&township, "YT", 2);
    sync(&mut k, &client).unwrap();
    assert!(township.storage.verify("YT").unwrap().is_empty());
    // As a hand-made repair would: past the append-only trigger (the test cluster's superuser).
    let damage = "SET session_replication_role = replica; UPDATE ledger SET household = 'H9', rule_code = 'X99' \
                  WHERE id = (SELECT id FROM ledger WHERE household = 'H1' ORDER BY seq LIMIT 1)";
    let out = std::process::Command::new("psql")
        .args([db.url.as_str(), "-qAt", "-c", damage])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let problems = township.storage.verify("YT").unwrap();
    let named = |check: &str, what: &str| problems.iter().any(|p| p.starts_with(check) && p.contains(what));
    assert!(named("entry_has_household", "household H9"), "{problems:?}");
    assert!(named("entry_has_rule", "rule X99"), "{problems:?}");
}

#[test]
fn each_answer_of_the_township_tells_the_kiosk_how_far_its_clock_is() {
    let township = TestTownship::start();
    let (mut k, client) = joined(&township, "YT", 1);
    // As if an earlier answer had found this box's clock 45 minutes slow.
    k.app
        .note_township_clock_offset(chrono::Duration::minutes(-45))
        .unwrap();
    let refused = k.app.redeem("H1", "MQ", 1, "kiosk").unwrap_err();
    assert!(refused.to_string().contains("相差 45 分钟"), "{refused}");
    // The next round's answers carry the township's time (their Date header): right again.
    sync(&mut k, &client).unwrap();
    let health = k.app.box_health().unwrap();
    assert!(health.clock_problem.is_none(), "{health:?}");
    k.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
}
