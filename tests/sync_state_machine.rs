//! Random interleavings of redemptions and awards at the kiosk, scores and deductions
//! at the township, sync rounds and faults: afterwards kiosk and township agree, every
//! entry is on both sides once, and each balance is what the operations add up to.

mod common;

use std::collections::BTreeMap;

use common::township::{assert_converged, sync, sync_until_ok, Fault, Route, TestTownship};
use common::village;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Redeem(u8),
    KioskAward(u8, i64),
    TownshipScore(u8, i64),
    Sync(Option<(Route, Fault)>),
}

fn op() -> impl Strategy<Value = Op> {
    let fault = prop_oneof![
        Just(None),
        Just(Some((Route::Push, Fault::Fail500))),
        Just(Some((Route::Pull, Fault::Fail500))),
        Just(Some((Route::Push, Fault::Twice))),
        Just(Some((Route::Pull, Fault::Twice))),
    ];
    prop_oneof![
        3 => (1u8..=3).prop_map(Op::Redeem),
        1 => (1u8..=3, 1i64..=30).prop_map(|(h, p)| Op::KioskAward(h, p)),
        2 => (1u8..=3, prop_oneof![1i64..=30, -40i64..=-1]).prop_map(|(h, p)| Op::TownshipScore(h, p)),
        3 => fault.prop_map(Op::Sync),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn kiosk_and_township_converge(ops in proptest::collection::vec(op(), 1..25)) {
        let township = TestTownship::start();
        let mut k = village();
        k.households(3);
        for h in 1..=3 {
            k.award(&format!("H{h}"), 40);
        }
        k.item("MQ", 20, Some(100));
        township.adopt(&mut k, 3);
        township.register(&k, "大厅");
        let client = township.client(&k);
        sync(&mut k, &client).unwrap();
        let mut expected: BTreeMap<String, i64> = (1..=3).map(|h| (format!("H{h}"), 40)).collect();

        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Redeem(h) => {
                    let h = format!("H{h}");
                    if k.app.redeem(&h, "MQ", 1, "kiosk").is_ok() {
                        *expected.get_mut(&h).unwrap() -= 20;
                    }
                }
                Op::KioskAward(h, p) => {
                    let h = format!("H{h}");
                    k.award(&h, *p);
                    *expected.get_mut(&h).unwrap() += p;
                }
                Op::TownshipScore(h, p) => {
                    let h = format!("H{h}");
                    let rule = if *p > 0 { "T01" } else { "T02" };
                    // Each score on a sheet of its own month, so no two share a sheet key.
                    let month = format!("{}-{:02}", 2024 + i / 12, i % 12 + 1);
                    township.score("YT", &month, &h, rule, p.abs());
                    *expected.get_mut(&h).unwrap() += p;
                }
                Op::Sync(fault) => {
                    if let Some((route, fault)) = fault {
                        township.faults.next(*route, *fault);
                    }
                    let _ = sync(&mut k, &client);
                    township.faults.clear();
                }
            }
        }
        sync_until_ok(&mut k, &client, 3);
        assert_converged(&township, &mut k);
        for (h, want) in &expected {
            prop_assert_eq!(k.balance(h), *want, "household {}", h);
        }
    }
}
