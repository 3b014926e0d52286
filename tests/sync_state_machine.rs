//! Random interleavings over a village with two kiosks: redemptions, restocks and
//! settlements at either kiosk, awards at the kiosks and scores at the township, sync
//! rounds with faults, and (on the SQLite engine) backups and restores of the township.
//! Afterwards both kiosks and the township agree, every entry is everywhere once, each
//! balance and shelf is what the operations add up to, no shelf is below zero, and each
//! voucher settled at both kiosks is one settlement and one flag.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::township::{assert_converged, sync, Fault, Route, TestTownship};
use common::{households_csv, village, TestVillage};
use jifen::sync::SyncClient;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Redeem(usize, u8),
    Restock(usize, i64),
    Settle(usize, usize),
    KioskAward(usize, u8, i64),
    TownshipScore(u8, i64),
    Sync(usize, Option<(Route, Fault)>),
    Backup,
    Restore,
}

fn op() -> impl Strategy<Value = Op> {
    let fault = prop_oneof![
        4 => Just(None),
        1 => Just(Some((Route::Push, Fault::Fail500))),
        1 => Just(Some((Route::Pull, Fault::Fail500))),
        1 => Just(Some((Route::Push, Fault::Twice))),
        1 => Just(Some((Route::Pull, Fault::Twice))),
    ];
    prop_oneof![
        3 => (0usize..2, 1u8..=3).prop_map(|(k, h)| Op::Redeem(k, h)),
        1 => (0usize..2, 1i64..=3).prop_map(|(k, q)| Op::Restock(k, q)),
        2 => (0usize..2, 0usize..8).prop_map(|(k, n)| Op::Settle(k, n)),
        1 => (0usize..2, 1u8..=3, 1i64..=30).prop_map(|(k, h, p)| Op::KioskAward(k, h, p)),
        2 => (1u8..=3, prop_oneof![1i64..=30, -40i64..=-1]).prop_map(|(h, p)| Op::TownshipScore(h, p)),
        4 => (0usize..2, fault).prop_map(|(k, f)| Op::Sync(k, f)),
        1 => Just(Op::Backup),
        1 => Just(Op::Restore),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn two_kiosks_and_the_township_converge(ops in proptest::collection::vec(op(), 1..30)) {
        let mut township = TestTownship::start();
        township.village("YT", "堰头村");
        township.storage.import_households("YT", "households.csv", households_csv(1, 3).as_bytes()).unwrap();
        let opening = "month,household_code,rule_code,points,note,recorded_by\n\
                       2026-01,H1,T01,60,,乡镇\n2026-01,H2,T01,60,,乡镇\n2026-01,H3,T01,60,,乡镇\n";
        township.storage.import_points("YT", "opening.csv", opening.as_bytes()).unwrap();
        let mut kiosks: Vec<TestVillage> = (0..2).map(|_| village()).collect();
        for (i, k) in kiosks.iter().enumerate() {
            township.register(k, &format!("一体机{}", i + 1));
        }
        let mut clients: Vec<SyncClient> = kiosks.iter().map(|k| township.client(k)).collect();
        kiosks[0].item("MQ", 20, Some(2));
        for (k, c) in kiosks.iter_mut().zip(&clients) {
            sync(k, c).unwrap();
        }
        sync(&mut kiosks[0], &clients[0]).unwrap();
        sync(&mut kiosks[1], &clients[1]).unwrap();

        let mut balances: BTreeMap<String, i64> = (1..=3).map(|h| (format!("H{h}"), 60)).collect();
        let mut shelves = [2i64, 0];
        let mut issued: Vec<(String, String)> = Vec::new();
        let mut settled_at: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        // Sheets imported since the last backup: a restore loses them, and staff import
        // them again (the same file counts once, wherever and however often).
        let mut since_backup: Vec<(String, String)> = Vec::new();
        let mut backup = None;
        let sqlite = township.sqlite.is_some();

        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Redeem(k, h) => {
                    let h = format!("H{h}");
                    if let Ok(r) = kiosks[*k].app.redeem(&h, "MQ", 1, "kiosk") {
                        *balances.get_mut(&h).unwrap() -= 20;
                        shelves[*k] -= 1;
                        issued.push((r.serial, r.qr_payload));
                    }
                }
                Op::Restock(k, q) => {
                    kiosks[*k].app.restock("MQ", *q, "clerk").unwrap();
                    shelves[*k] += q;
                }
                Op::Settle(k, n) => {
                    if let Some((serial, qr)) = issued.get(*n).cloned() {
                        if kiosks[*k].app.settle(&qr, None, None, "clerk").is_ok() {
                            prop_assert!(settled_at.entry(serial).or_default().insert(*k), "settled twice at one kiosk");
                        }
                    }
                }
                Op::KioskAward(k, h, p) => {
                    let h = format!("H{h}");
                    kiosks[*k].award(&h, *p);
                    *balances.get_mut(&h).unwrap() += p;
                }
                Op::TownshipScore(h, p) => {
                    let h = format!("H{h}");
                    let rule = if *p > 0 { "T01" } else { "T02" };
                    // Each score on a sheet of its own month, so no two share a sheet key.
                    let month = format!("{}-{:02}", 2022 + i / 12, i % 12 + 1);
                    let csv = format!(
                        "month,household_code,rule_code,points,note,recorded_by\n{month},{h},{rule},{},,乡镇\n",
                        p.abs()
                    );
                    let file = format!("sheet-{i}.csv");
                    township.storage.import_points("YT", &file, csv.as_bytes()).unwrap();
                    since_backup.push((file, csv));
                    *balances.get_mut(&h).unwrap() += p;
                }
                Op::Sync(k, fault) => {
                    if let Some((route, fault)) = fault {
                        township.faults.next(*route, *fault);
                    }
                    let _ = sync(&mut kiosks[*k], &clients[*k]);
                    township.faults.clear();
                }
                Op::Backup if sqlite => {
                    backup = Some(township.backup());
                    since_backup.clear();
                }
                Op::Restore if sqlite => {
                    if let Some(b) = &backup {
                        township.restore(b);
                        clients = kiosks.iter().map(|k| township.client(k)).collect();
                        for (file, csv) in &since_backup {
                            township.storage.import_points("YT", file, csv.as_bytes()).unwrap();
                        }
                    }
                }
                Op::Backup | Op::Restore => {}
            }
        }
        for _ in 0..3 {
            for (k, c) in kiosks.iter_mut().zip(&clients) {
                let _ = sync(k, c);
            }
        }
        for (k, c) in kiosks.iter_mut().zip(&clients) {
            let report = sync(k, c);
            prop_assert!(report.is_ok(), "{:?}", report.err());
            assert_converged(&township, k);
        }
        for (h, want) in &balances {
            prop_assert_eq!(township.storage.household("YT", h).unwrap().balance, *want, "household {}", h);
        }
        let summary = township.storage.summary("YT").unwrap();
        for (k, want) in kiosks.iter().zip(shelves) {
            let got = summary.shelves.iter().find(|(_, holder, _)| *holder == k.app.device_id()).map_or(0, |s| s.2);
            prop_assert_eq!(got, want);
        }
        let settled: BTreeSet<&String> = summary.voucher_states.iter().filter(|(_, s)| s == "settled").map(|(v, _)| v).collect();
        let expected: BTreeSet<&String> = settled_at.keys().collect();
        prop_assert_eq!(settled, expected);
        let doubles = township.storage.double_settlements("YT").unwrap();
        let both = settled_at.values().filter(|at| at.len() == 2).count();
        prop_assert_eq!(doubles.len(), both, "{:?}", doubles);
    }
}
