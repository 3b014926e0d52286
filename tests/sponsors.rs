//! Sponsors' funds (乡贤): money exact to the fen through redeem, settle, void and expiry;
//! a fund that cannot pay refuses in words and the kiosk stops offering the item; the
//! statement's figures are the vouchers'; amounts typed wrong are refused, nothing written.

mod common;

use chrono::Duration;
use common::*;
use jifen::app::AppError;
use jifen::domain::clock::Clock;
use jifen::domain::money::Fen;
use proptest::prelude::*;

const SPONSOR: &str = "乡贤沈建国";
/// (item, points, fund cost per unit in fen)
const ITEMS: [(&str, i64, i64); 2] = [("NOODLE", 20, 800), ("HAIRCUT", 15, 1550)];

fn funded_village(gift: &str) -> TestVillage {
    let mut v = village();
    v.households(3);
    for h in 1..=3 {
        v.award(&format!("H{h}"), 900);
    }
    v.app.add_sponsor(SPONSOR, Some("老家堰头"), "会计").unwrap();
    v.app.fund_sponsor(SPONSOR, gift, None, "会计").unwrap();
    for (code, points, fen) in ITEMS {
        v.item(code, points, None);
        v.app.set_item_cost(code, Some(&Fen(fen).to_string()), "会计").unwrap();
    }
    v
}

#[derive(Debug, Clone)]
enum Op {
    Redeem { h: usize, item: usize, qty: i64 },
    Settle { nth: usize },
    Void { nth: usize },
    Fund { fen: i64 },
    PassDays(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (1usize..=3, 0..ITEMS.len(), 1i64..4).prop_map(|(h, item, qty)| Op::Redeem { h, item, qty }),
        2 => (0usize..12).prop_map(|nth| Op::Settle { nth }),
        1 => (0usize..12).prop_map(|nth| Op::Void { nth }),
        1 => (1i64..20_000).prop_map(|fen| Op::Fund { fen }),
        1 => (1i64..25).prop_map(Op::PassDays),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Outstanding,
    Settled,
    Void,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn received_is_always_committed_plus_spent_plus_remaining_to_the_fen(ops in prop::collection::vec(op(), 1..30)) {
        let mut v = funded_village("100.00");
        let mut received = 10_000i64;
        // (serial, qr, cost in fen, last day, state)
        let mut vouchers: Vec<(String, String, i64, chrono::NaiveDate, State)> = Vec::new();
        for op in ops {
            let today = v.clock.today();
            let live = |vs: &[(String, String, i64, chrono::NaiveDate, State)], today: chrono::NaiveDate| -> (i64, i64) {
                let committed = vs.iter().filter(|x| x.4 == State::Outstanding && x.3 >= today).map(|x| x.2).sum();
                let spent = vs.iter().filter(|x| x.4 == State::Settled).map(|x| x.2).sum();
                (committed, spent)
            };
            match op {
                Op::Redeem { h, item, qty } => {
                    let (committed, spent) = live(&vouchers, today);
                    let remaining = received - committed - spent;
                    let needed = ITEMS[item].2 * qty;
                    match v.app.redeem(&format!("H{h}"), ITEMS[item].0, qty, "kiosk") {
                        Ok(r) => {
                            prop_assert!(needed <= remaining, "{needed} committed with {remaining} left");
                            let last_day = v.app.voucher(&r.serial).unwrap().expires_on.parse().unwrap();
                            vouchers.push((r.serial, r.qr_payload, needed, last_day, State::Outstanding));
                        }
                        Err(AppError::FundExhausted { remaining: left, needed: asked, .. }) => {
                            prop_assert_eq!((left.0, asked.0), (remaining, needed));
                            prop_assert!(remaining < needed);
                        }
                        Err(AppError::InsufficientPoints { .. } | AppError::NegativeBalance { .. }) => {}
                        Err(e) => prop_assert!(false, "unexpected refusal: {e}"),
                    }
                }
                Op::Settle { nth } => {
                    if let Some(x) = vouchers.get_mut(nth) {
                        if v.app.settle(&x.1, None, None, "clerk").is_ok() {
                            prop_assert!(x.4 == State::Outstanding && x.3 >= today);
                            x.4 = State::Settled;
                        }
                    }
                }
                Op::Void { nth } => {
                    if let Some(x) = vouchers.get_mut(nth) {
                        if v.app.void_voucher(&x.0, "测试作废", "clerk").is_ok() {
                            prop_assert_eq!(x.4, State::Outstanding);
                            x.4 = State::Void;
                        }
                    }
                }
                Op::Fund { fen } => {
                    v.app.fund_sponsor(SPONSOR, &Fen(fen).to_string(), None, "会计").unwrap();
                    received += fen;
                }
                Op::PassDays(d) => v.clock.set(v.clock.now() + Duration::days(d)),
            }
            let (committed, spent) = live(&vouchers, v.clock.today());
            let f = v.app.sponsors().unwrap().remove(0);
            prop_assert_eq!((f.received.0, f.committed.0, f.spent.0), (received, committed, spent));
            prop_assert_eq!(f.received.0, f.committed.0 + f.spent.0 + f.remaining.0);
            prop_assert!(f.remaining.0 >= 0, "overdrawn at one kiosk: {:?}", f);
        }
    }
}

#[test]
fn an_exhausted_fund_refuses_in_words_and_the_kiosk_stops_offering_the_item() {
    let mut v = funded_village("30.00");
    v.app.redeem("H1", "NOODLE", 2, "kiosk").unwrap(); // 16.00 of 30.00
    let haircut = |v: &mut TestVillage| {
        v.app
            .catalogue()
            .unwrap()
            .into_iter()
            .find(|i| i.code == "HAIRCUT")
            .unwrap()
    };
    let noodle = |v: &mut TestVillage| {
        v.app
            .catalogue()
            .unwrap()
            .into_iter()
            .find(|i| i.code == "NOODLE")
            .unwrap()
    };
    assert!(!haircut(&mut v).funded, "15.50 cannot be paid from 14.00");
    assert!(noodle(&mut v).funded, "8.00 can");
    let balance = v.balance("H2");
    let err = v.app.redeem("H2", "HAIRCUT", 1, "kiosk").unwrap_err();
    assert_eq!(
        err.to_string(),
        "乡贤沈建国's fund cannot pay for 物品HAIRCUT: 14.00 yuan left, 15.50 yuan needed"
    );
    assert_eq!(v.balance("H2"), balance, "a refused redemption takes no points");
    assert!(v.app.verify().unwrap().ok);
    // A void releases the money: the item is offered again.
    let serial = v.app.vouchers(None).unwrap()[0].serial.clone();
    v.app.void_voucher(&serial, "村民不要了", "clerk").unwrap();
    assert!(haircut(&mut v).funded);
    v.app.redeem("H2", "HAIRCUT", 1, "kiosk").unwrap();
}

#[test]
fn the_statement_is_what_the_vouchers_say_and_the_letter_prints_it() {
    let mut v = funded_village("500.00");
    let a = v.app.redeem("H1", "NOODLE", 3, "kiosk").unwrap();
    v.app.redeem("H2", "NOODLE", 1, "kiosk").unwrap();
    let c = v.app.redeem("H3", "HAIRCUT", 1, "kiosk").unwrap();
    v.app.settle(&a.qr_payload, None, None, "clerk").unwrap();
    v.app.void_voucher(&c.serial, "理发店关门", "clerk").unwrap();
    let s = v.app.sponsor_statement(SPONSOR, Some(2026)).unwrap();
    assert_eq!(
        (
            s.received.to_string(),
            s.spent.to_string(),
            s.committed.to_string(),
            s.remaining.to_string()
        ),
        ("500.00".into(), "24.00".into(), "8.00".into(), "468.00".into())
    );
    let bought: Vec<(&str, i64, String)> = s
        .bought
        .iter()
        .map(|b| (b.item_code.as_str(), b.qty, b.cost.to_string()))
        .collect();
    assert_eq!(
        bought,
        vec![("NOODLE", 4, "32.00".to_string())],
        "the voided haircut bought nothing"
    );
    assert_eq!(s.households_served, 2);
    // Another year has none of it.
    let other = v.app.sponsor_statement(SPONSOR, Some(2025)).unwrap();
    assert_eq!((other.received.0, other.spent.0, other.bought.len()), (0, 0, 0));
    let letter = v.app.sponsor_letter_printout(SPONSOR, Some(2026)).unwrap();
    assert_eq!(letter.fields["remaining"], "468.00");
    assert_eq!(letter.rows.len(), 1);
    assert_eq!(letter.rows[0]["cost"], "32.00");
}

#[test]
fn the_cli_takes_yuan_with_fen_and_refuses_what_is_not_money() {
    let (_tmp, dir) = demo_kiosk();
    // The demo's two sponsors, their gifts, and what the demo's coupons already used.
    let list = json(&jifen(&dir, &["admin", "sponsor", "list", "--json"]));
    let shen = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "乡贤沈建国")
        .unwrap()
        .clone();
    assert_eq!(shen["received"], "5000.00");
    let parts: i64 = ["committed", "spent", "remaining"]
        .iter()
        .map(|k| shen[*k].as_str().unwrap().parse::<Fen>().unwrap().0)
        .sum();
    assert_eq!(parts, 500_000);
    assert_ne!(shen["spent"], "0.00", "the demo settled some noodle coupons");

    for (amount, words) in [
        ("0.001", "more than two decimals"),
        ("-5", "negative"),
        ("abc", "not an amount of money"),
        ("20000000", "more than 10,000,000.00 yuan"),
    ] {
        let o = jifen(
            &dir,
            &["admin", "sponsor", "fund", "--name", "乡贤徐国强", "--amount", amount],
        );
        assert!(!o.status.success(), "{amount} was taken");
        assert!(stderr(&o).contains(words), "{amount}: {}", stderr(&o));
    }
    let o = jifen(
        &dir,
        &[
            "admin",
            "sponsor",
            "fund",
            "--name",
            "乡贤徐国强",
            "--amount",
            "1200.50",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("收到乡贤徐国强 1200.50 元"), "{}", stdout(&o));
    let xu = json(&jifen(
        &dir,
        &["admin", "sponsor", "statement", "--name", "乡贤徐国强", "--json"],
    ));
    assert_eq!(xu["received"], "4200.50");

    // A cost needs a known sponsor; a wrong one adds no item.
    let add_tea = |sponsor: &str| {
        jifen(
            &dir,
            &[
                "admin",
                "catalogue",
                "add",
                "--code",
                "TEA",
                "--name",
                "茶叶",
                "--points",
                "30",
                "--unlimited",
                "--sponsor",
                sponsor,
                "--cost",
                "9.00",
                "--json",
            ],
        )
    };
    let o = add_tea("无名氏");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no sponsor named 无名氏"), "{}", stderr(&o));
    let items = json(&jifen(&dir, &["admin", "catalogue", "list", "--json"]));
    assert!(items.as_array().unwrap().iter().all(|i| i["code"] != "TEA"));
    let o = add_tea("乡贤徐国强");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["unit_cost"], "9.00");

    let o = jifen(&dir, &["print", "sponsor-statement", "--name", "乡贤沈建国"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_dir(dir.join("previews")).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("sponsor-乡贤沈建国")));
}

#[test]
fn the_merchant_is_owed_the_sum_of_its_settled_vouchers_by_fund() {
    let mut v = funded_village("500.00");
    v.item("SOAP", 10, None); // no fund pays for it
    let month = jifen::domain::period::Month::of(v.clock.today()).to_string();
    let a = v.app.redeem("H1", "NOODLE", 3, "kiosk").unwrap();
    let b = v.app.redeem("H2", "HAIRCUT", 1, "kiosk").unwrap();
    let c = v.app.redeem("H3", "SOAP", 1, "kiosk").unwrap();
    let outstanding = v.app.redeem("H3", "NOODLE", 1, "kiosk").unwrap();
    let voided = v.app.redeem("H2", "NOODLE", 2, "kiosk").unwrap();
    v.app.void_voucher(&voided.serial, "村民不要了", "clerk").unwrap();
    let receipts: Vec<_> = [&a, &b, &c]
        .iter()
        .map(|r| v.app.settle(&r.qr_payload, None, None, "clerk").unwrap())
        .collect();

    // The slip shows each voucher's amount and the total in yuan.
    let slip = v.app.settlement_printouts(&receipts, "clerk").remove(0);
    let amounts: Vec<&str> = slip.rows.iter().map(|r| r["amount"].as_str()).collect();
    assert_eq!(amounts, vec!["24.00 元", "15.50 元", ""], "the soap is paid by no fund");
    assert_eq!(slip.fields["total_amount"], "39.50");

    let s = v.app.merchant_statement("堰头面馆", &month).unwrap();
    let serials: Vec<&str> = s.vouchers.iter().map(|x| x.serial.as_str()).collect();
    assert_eq!(serials, vec![a.serial.as_str(), b.serial.as_str(), c.serial.as_str()]);
    assert!(!serials.contains(&outstanding.serial.as_str()), "not settled, not owed");
    let sum: i64 = s.vouchers.iter().filter_map(|x| x.amount).map(|a| a.0).sum();
    assert_eq!((s.total.0, sum), (3950, 3950));
    assert_eq!(s.unfunded, 1);
    assert_eq!(s.by_fund.len(), 1);
    assert_eq!((s.by_fund[0].sponsor.as_str(), s.by_fund[0].vouchers), (SPONSOR, 2));
    // The fund's spent figure is what the merchants are owed.
    assert_eq!(v.app.sponsors().unwrap()[0].spent, s.total);
    let printed = v.app.merchant_statement_printout("堰头面馆", &month).unwrap();
    assert_eq!(
        (printed.fields["total"].as_str(), printed.fields["unfunded"].as_str()),
        ("39.50", "1")
    );
    assert_eq!(printed.rows[0]["amount"], "39.50");

    // Another shop, another month: nothing owed.
    assert_eq!(v.app.merchant_statement("理发店", &month).unwrap().vouchers.len(), 0);
    assert_eq!(v.app.merchant_statement("堰头面馆", "2020-01").unwrap().total, Fen(0));
    let err = v.app.merchant_statement("堰头面馆", "2026-13").unwrap_err();
    assert!(err.to_string().contains("2026-13"), "{err}");
}

#[test]
fn the_merchant_statement_from_the_cli_adds_up_and_prints() {
    let (_tmp, dir) = demo_kiosk();
    let vouchers = json(&jifen(
        &dir,
        &["admin", "voucher", "list", "--status", "settled", "--json"],
    ));
    let month = vouchers[0]["settled_at"].as_str().unwrap()[..7].to_string();
    let merchant = vouchers[0]["settled_merchant"].as_str().unwrap().to_string();
    let statement = [
        "admin",
        "merchant",
        "statement",
        "--merchant",
        &merchant,
        "--month",
        &month,
    ];
    let s = json(&jifen(&dir, &[&statement[..], &["--json"]].concat()));
    let listed = s["vouchers"].as_array().unwrap();
    assert!(!listed.is_empty());
    let sum: i64 = listed
        .iter()
        .filter_map(|x| x["amount"].as_str())
        .map(|a| a.parse::<Fen>().unwrap().0)
        .sum();
    assert_eq!(s["total"].as_str().unwrap().parse::<Fen>().unwrap().0, sum);
    assert!(sum > 0, "the demo's noodle coupons cost the fund 8.00 each");
    let o = jifen(&dir, &statement);
    assert!(
        stdout(&o).contains(&format!("应付 {} 元", s["total"].as_str().unwrap())),
        "{}",
        stdout(&o)
    );
    let o = jifen(
        &dir,
        &[
            "print",
            "merchant-statement",
            "--merchant",
            &merchant,
            "--month",
            &month,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_dir(dir.join("previews")).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("merchant-")));
}
