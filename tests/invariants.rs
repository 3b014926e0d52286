//! Property test: random sequences of awards, deductions, redemptions, restocks,
//! settlements, voids and passing days, with the invariants of DESIGN.md §5 checked
//! after every step against a simple model of what the balances must be.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use common::*;
use jifen::app::{AppError, Identity};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Award { h: usize, points: i64 },
    Deduct { h: usize, points: i64 },
    Redeem { h: usize, item: usize, qty: i64 },
    Restock { item: usize, qty: i64 },
    Settle { nth: usize },
    Void { nth: usize },
    PassDays(i64),
}

const HOUSEHOLDS: usize = 3;
const ITEMS: [(&str, i64, Option<i64>); 2] = [("NOODLE", 20, Some(3)), ("HAIRCUT", 15, None)];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..HOUSEHOLDS, 1i64..40).prop_map(|(h, points)| Op::Award { h, points }),
        1 => (0..HOUSEHOLDS, 1i64..30).prop_map(|(h, points)| Op::Deduct { h, points }),
        4 => (0..HOUSEHOLDS, 0..ITEMS.len(), 1i64..3).prop_map(|(h, item, qty)| Op::Redeem { h, item, qty }),
        1 => (0..ITEMS.len(), 1i64..4).prop_map(|(item, qty)| Op::Restock { item, qty }),
        2 => (0usize..10).prop_map(|nth| Op::Settle { nth }),
        1 => (0usize..10).prop_map(|nth| Op::Void { nth }),
        1 => (1i64..20).prop_map(Op::PassDays),
    ]
}

fn household(h: usize) -> String {
    format!("H{}", h + 1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_invariant_holds_after_every_step(ops in prop::collection::vec(op(), 1..40)) {
        let mut v = village();
        v.households(HOUSEHOLDS as u32);
        for (code, cost, stock) in ITEMS {
            v.item(code, cost, stock);
        }
        let mut balance: BTreeMap<String, i64> = (0..HOUSEHOLDS).map(|h| (household(h), 0)).collect();
        let mut merit: BTreeMap<String, i64> = balance.clone();
        let mut settled: BTreeSet<String> = BTreeSet::new();
        let mut issued: Vec<(String, String)> = Vec::new(); // (serial, qr)
        for op in ops {
            let ranking_before = v.app.ranking("2026Q4".parse().unwrap(), None).unwrap();
            match op {
                Op::Award { h, points } => {
                    v.award(&household(h), points);
                    *balance.get_mut(&household(h)).unwrap() += points;
                    if v.clock.this_month_is_q4() { *merit.get_mut(&household(h)).unwrap() += points; }
                }
                Op::Deduct { h, points } => {
                    v.award(&household(h), -points);
                    *balance.get_mut(&household(h)).unwrap() -= points;
                    if v.clock.this_month_is_q4() { *merit.get_mut(&household(h)).unwrap() -= points; }
                }
                Op::Redeem { h, item, qty } => {
                    let before = balance[&household(h)];
                    match v.app.redeem(&household(h), ITEMS[item].0, qty, "kiosk") {
                        Ok(r) => {
                            // Invariant 3: never overdraws at the kiosk.
                            prop_assert!(before > 0 && r.balance_after >= 0, "overdraw: {before} -> {}", r.balance_after);
                            prop_assert_eq!(r.points, ITEMS[item].1 * qty);
                            *balance.get_mut(&household(h)).unwrap() -= r.points;
                            issued.push((r.serial, r.qr_payload));
                        }
                        Err(AppError::InsufficientPoints { balance: b, cost, .. }) => prop_assert!(b == before && b < cost),
                        Err(AppError::NegativeBalance { balance: b }) => prop_assert!(b == before && b <= 0),
                        Err(AppError::OutOfStock { left, wanted, .. }) => prop_assert!(left < wanted),
                        Err(e) => prop_assert!(false, "unexpected refusal: {e}"),
                    }
                    // Invariant 2: redeeming never lowers a rank.
                    let after = v.app.ranking("2026Q4".parse().unwrap(), None).unwrap();
                    prop_assert_eq!(format!("{:?}", ranking_before.rows), format!("{:?}", after.rows));
                }
                Op::Restock { item, qty } => {
                    let r = v.app.restock(ITEMS[item].0, qty, "clerk");
                    prop_assert_eq!(r.is_ok(), ITEMS[item].2.is_some());
                }
                Op::Settle { nth } => {
                    if let Some((serial, qr)) = issued.get(nth).cloned() {
                        let status = v.app.voucher(&serial).unwrap().status;
                        let result = v.app.settle(&qr, None, None, "clerk");
                        // Invariant 4: each serial is honoured once, and only while outstanding.
                        let should = matches!(status, "pending" | "printed");
                        prop_assert_eq!(result.is_ok(), should, "{} was {}: {:?}", serial, status, result.err().map(|e| e.to_string()));
                        if result.is_ok() {
                            prop_assert!(settled.insert(serial.clone()), "{} settled twice", serial);
                        }
                    }
                }
                Op::Void { nth } => {
                    if let Some((serial, _)) = issued.get(nth).cloned() {
                        let view = v.app.voucher(&serial).unwrap();
                        let result = v.app.void_voucher(&serial, "测试作废", "clerk");
                        prop_assert_eq!(result.is_ok(), !matches!(view.status, "settled" | "void"));
                        if result.is_ok() {
                            *balance.get_mut(&view.household_code).unwrap() += view.points;
                        }
                    }
                }
                Op::PassDays(d) => v.clock.set(v.clock_now() + Duration::days(d)),
            }
            // Invariant 1 (balance = sum of ledger), 3 (stock), 4 (one voucher, one debit), via verify.
            let report = v.app.verify().unwrap();
            prop_assert!(report.ok, "{:?}", report.problems);
            for (h, expected) in &balance {
                let view = v.app.account_view(&Identity::HouseholdCode(h.clone())).unwrap();
                prop_assert_eq!(view.balance, *expected, "balance of {}", h);
            }
            let ranking = v.app.ranking("2026Q4".parse().unwrap(), None).unwrap();
            for row in &ranking.rows {
                prop_assert_eq!(row.earned, merit[&row.household_code], "merit of {}", row.household_code);
            }
            for (code, _, stock) in ITEMS {
                let item = v.app.catalogue().unwrap().into_iter().find(|i| i.code == code).unwrap();
                prop_assert_eq!(item.stock.is_some(), stock.is_some());
                prop_assert!(item.stock.unwrap_or(0) >= 0);
            }
        }
    }
}

trait ClockExt {
    fn this_month_is_q4(&self) -> bool;
}

impl ClockExt for FixedClock {
    fn this_month_is_q4(&self) -> bool {
        use jifen::domain::clock::Clock;
        let m = self.this_month();
        m.year == 2026 && m.quarter().quarter == 4
    }
}

impl TestVillage {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use jifen::domain::clock::Clock;
        self.clock.now()
    }
}
