//! Sponsors' funds and proxy redemptions after sync (issue 19), over real HTTP on loopback:
//! a gift, an item's cost and each redemption's commitment reach the township and the
//! village's other kiosk, so both kiosks and the township tell one story to the fen; a fund
//! spent at one kiosk is spent at the other; the township says what each merchant is owed;
//! a proxy redemption and its delivery travel too. On PostgreSQL with
//! JIFEN_TEST_DATABASE_URL set, as the whole sync suite.

mod common;

use common::township::{new_kiosk, sync, township_with_village, TestTownship};
use common::{qr_token, test_now, TestVillage};
use jifen::app::{AppError, CatalogueItemView, Identity, Proxy, SponsorView};
use jifen::domain::clock::china_date;
use jifen::domain::honours::HonoursRule;
use jifen::domain::money::Fen;
use jifen::domain::period::Month;
use jifen::print::url::PrinterUrl;
use jifen::print::{PaperWidth, PrintMode, PrinterDevice};
use jifen::sync::SyncClient;

const SPONSOR: &str = "乡贤沈建国";
const SHOP: &str = "堰头面馆";

/// The hall's sponsor with `gift` yuan, and item `code` (20 points) paid 8.00 a unit by it.
fn sponsor_and_item(hall: &mut TestVillage, gift: &str, code: &str) {
    hall.app.add_sponsor(SPONSOR, Some("老家堰头"), "会计").unwrap();
    hall.app
        .fund_sponsor(SPONSOR, gift, Some("2026 年捐赠"), "会计")
        .unwrap();
    hall.item(code, 20, None);
    hall.app.set_item_cost(code, Some("8.00"), "会计").unwrap();
}

/// A township village YT with two kiosks synced once: the hall and the care centre.
fn two_kiosks() -> (TestTownship, (TestVillage, SyncClient), (TestVillage, SyncClient)) {
    let township = township_with_village();
    let (hall, hall_client, _) = new_kiosk(&township, "村委会大厅");
    let (care, care_client, _) = new_kiosk(&township, "居家养老服务中心");
    (township, (hall, hall_client), (care, care_client))
}

fn tile(k: &mut TestVillage, code: &str) -> CatalogueItemView {
    k.app.catalogue().unwrap().into_iter().find(|i| i.code == code).unwrap()
}

fn fund(views: Vec<SponsorView>) -> (Fen, Fen, Fen, Fen) {
    let v = views
        .into_iter()
        .find(|s| s.name == SPONSOR)
        .expect("the sponsor is known");
    (v.received, v.committed, v.spent, v.remaining)
}

fn printer(k: &TestVillage) -> PrinterDevice {
    PrinterDevice {
        url: PrinterUrl::Preview(k.tmp.path().join("previews")),
        mode: PrintMode::Text,
        width: PaperWidth::MM58,
        templates: None,
    }
}

#[test]
fn a_gift_its_costs_and_commitments_reach_the_township_and_the_other_kiosk_to_the_fen() {
    let (township, (mut hall, hall_client), (mut care, care_client)) = two_kiosks();
    sponsor_and_item(&mut hall, "100.00", "NOODLE");

    // H1 redeems two and the shop accepts them at once; H2's one is still outstanding.
    let h1 = hall.app.redeem("H1", "NOODLE", 2, "kiosk").unwrap();
    hall.app.settle(&h1.qr_payload, None, None, "收银员").unwrap();
    hall.app.redeem("H2", "NOODLE", 1, "kiosk").unwrap();
    let expected = (Fen(10_000), Fen(800), Fen(1_600), Fen(7_600));
    assert_eq!(fund(hall.app.sponsors().unwrap()), expected);

    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();

    // The township and the other kiosk: the same fund, the same item cost.
    assert_eq!(fund(township.storage.sponsors("YT").unwrap()), expected);
    assert_eq!(fund(care.app.sponsors().unwrap()), expected);
    let noodle = tile(&mut care, "NOODLE");
    assert_eq!((noodle.unit_cost, noodle.funded), (Some(Fen(800)), true));
    let letter = care.app.sponsor_statement(SPONSOR, None).unwrap();
    assert_eq!((letter.households_served, letter.bought[0].qty), (2, 3));

    // What the shop is owed this month, at the township: the settled voucher's cost.
    let month = Month::of(china_date(test_now()));
    let owed = township.storage.merchants("YT", month).unwrap();
    assert_eq!(owed.len(), 1, "{owed:?}");
    assert_eq!(
        (owed[0].merchant.as_str(), owed[0].vouchers, owed[0].total),
        (SHOP, 1, Fen(1_600))
    );
    assert_eq!(owed[0].by_fund[0].sponsor, SPONSOR);
    let here = hall.app.merchant_statement(SHOP, &month.to_string()).unwrap();
    assert_eq!(
        here.total, owed[0].total,
        "the kiosk's statement and the township's report agree"
    );
    assert!(township.storage.merchants("YT", month.minus(1)).unwrap().is_empty());

    // Syncing again changes nothing: every record is applied once.
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();
    assert_eq!(fund(township.storage.sponsors("YT").unwrap()), expected);
    assert_eq!(fund(care.app.sponsors().unwrap()), expected);
    assert!(township.storage.sync_problems("YT").unwrap().is_empty());
}

#[test]
fn a_fund_spent_at_one_kiosk_is_spent_at_the_other_and_a_cost_taken_off_travels() {
    let (township, (mut hall, hall_client), (mut care, care_client)) = two_kiosks();
    sponsor_and_item(&mut hall, "16.00", "NOODLE");
    hall.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();

    // The care centre spends the last 8.00; after sync the hall knows the fund is empty.
    care.app.redeem("H3", "NOODLE", 1, "kiosk").unwrap();
    sync(&mut care, &care_client).unwrap();
    sync(&mut hall, &hall_client).unwrap();
    assert!(!tile(&mut hall, "NOODLE").funded, "the hall's tile says 赞助款已用完");
    let err = hall.app.redeem("H2", "NOODLE", 1, "kiosk").unwrap_err();
    assert!(matches!(err, AppError::FundExhausted { .. }), "{err}");
    assert_eq!(fund(township.storage.sponsors("YT").unwrap()).3, Fen(0));

    // A new gift at the care centre opens it again at the hall; a cost taken off too.
    care.app.fund_sponsor(SPONSOR, "8.00", None, "会计").unwrap();
    sync(&mut care, &care_client).unwrap();
    sync(&mut hall, &hall_client).unwrap();
    assert_eq!(fund(hall.app.sponsors().unwrap()).3, Fen(800));
    hall.app.set_item_cost("NOODLE", None, "会计").unwrap();
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();
    assert_eq!(
        tile(&mut care, "NOODLE").unit_cost,
        None,
        "no fund pays for it any more, at the other kiosk too"
    );
}

#[test]
fn a_proxy_redemption_and_its_delivery_travel_and_the_first_confirmation_stands() {
    let (township, (mut hall, hall_client), (mut care, care_client)) = two_kiosks();
    sponsor_and_item(&mut hall, "100.00", "NOODLE");
    let proxy = Proxy {
        clerk: "值班干部".into(),
        deliverer: "网格员王强".into(),
    };
    let mut paper = printer(&hall);
    let (receipt, _) = hall
        .app
        .redeem_for_household(&Identity::QrToken(qr_token(4)), "NOODLE", 1, &proxy, &mut paper)
        .unwrap();
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();

    // The care centre has it on its list of goods to take to households, and confirms it.
    let waiting = care.app.proxy_redemptions(true).unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(
        (
            waiting[0].serial.as_str(),
            waiting[0].household_code.as_str(),
            waiting[0].deliverer.as_str()
        ),
        (receipt.serial.as_str(), "H4", "网格员王强")
    );
    assert_eq!(
        fund(care.app.sponsors().unwrap()).1,
        Fen(800),
        "its cost is committed there too"
    );
    care.app.confirm_delivery(&receipt.serial, "网格员王强").unwrap();
    sync(&mut care, &care_client).unwrap();

    // The hall learns of it; its own later confirmation is refused, naming the first.
    sync(&mut hall, &hall_client).unwrap();
    assert!(hall.app.proxy_redemptions(true).unwrap().is_empty());
    let err = hall.app.confirm_delivery(&receipt.serial, "值班干部").unwrap_err();
    assert!(
        matches!(err, AppError::AlreadyDelivered { ref by, .. } if by == "网格员王强"),
        "{err}"
    );
    assert!(township.storage.sync_problems("YT").unwrap().is_empty());
}

#[test]
fn a_gift_that_is_not_whole_fen_is_refused_at_the_wire_and_nothing_is_written() {
    let township = township_with_village();
    let (mut hall, hall_client, _) = new_kiosk(&township, "村委会大厅");
    sponsor_and_item(&mut hall, "10.00", "NOODLE");
    sync(&mut hall, &hall_client).unwrap();
    let key = hall.app.device_signing_key();
    let gift = |amount: &str, seq: u32| {
        format!(
            r#"{{"events":[{{"id":"0190c4c6-0000-7000-8000-0000000000{seq:02}","seq":{seq},"kind":"sponsor_funded","subject":"g","created_at":"2026-11-15T04:00:00Z","records":[{{"type":"fund_receipt","id":"g","sponsor":"{SPONSOR}","amount_fen":{amount},"recorded_by":"会计","received_on":"2026-11-15","created_at":"2026-11-15T04:00:00Z"}}]}}]}}"#
        )
    };
    let push = |body: String| {
        common::http::send(
            &township.url,
            "POST",
            "/v1/villages/YT/events",
            body.as_bytes(),
            Some(&key),
            |_| {},
        )
    };
    let r = push(gift("-500", 90));
    assert_eq!(r.status, 400);
    assert!(r.body.contains("a gift must be more than 0 fen"), "{}", r.body);
    let r = push(gift("800.5", 91));
    assert_eq!(r.status, 400, "{}", r.body);
    let r = push(gift("100000000000", 92));
    assert_eq!(r.status, 400);
    assert!(r.body.contains("not an amount a fund holds"), "{}", r.body);
    assert_eq!(
        fund(township.storage.sponsors("YT").unwrap()).0,
        Fen(1_000),
        "nothing written"
    );
}

#[test]
fn two_kiosks_offline_that_both_spend_the_last_of_a_fund_show_it_overspent_everywhere() {
    let (township, (mut hall, hall_client), (mut care, care_client)) = two_kiosks();
    sponsor_and_item(&mut hall, "8.00", "NOODLE");
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();
    // Both offline: each sees 8.00 left and hands out one coupon. Nobody is refused a
    // voucher already printed; the township adds both up and shows the overspending.
    hall.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    care.app.redeem("H2", "NOODLE", 1, "kiosk").unwrap();
    for _ in 0..2 {
        sync(&mut hall, &hall_client).unwrap();
        sync(&mut care, &care_client).unwrap();
    }
    let overspent = (Fen(800), Fen(1_600), Fen(0), Fen(-800));
    assert_eq!(fund(township.storage.sponsors("YT").unwrap()), overspent);
    assert_eq!(fund(hall.app.sponsors().unwrap()), overspent);
    assert_eq!(fund(care.app.sponsors().unwrap()), overspent);
    assert!(
        township.storage.sync_problems("YT").unwrap().is_empty(),
        "both vouchers stand"
    );
}

#[test]
fn the_years_star_households_at_the_township_are_the_kiosks_after_sync_by_the_same_rule() {
    let (township, (mut hall, hall_client), _) = two_kiosks();
    // H1..H4 have 100 points each from the township; the hall scores H2 and H3 higher,
    // and H3 then gets a standing deduction for 遵纪守法, which rules it out.
    hall.app.award("H2", "T01", Some(50), None, None, "网格员").unwrap();
    hall.app.award("H3", "T01", Some(80), None, None, "网格员").unwrap();
    hall.app.award("H3", "D02", None, None, None, "网格员").unwrap();
    sync(&mut hall, &hall_client).unwrap();
    let rule = HonoursRule {
        top_percent: 50,
        ..HonoursRule::default()
    };
    hall.app.set_honours_rule(rule.clone());
    let here = hall.app.honours(2026).unwrap();
    let there = township.storage.honours("YT", 2026, &rule).unwrap();
    let stars = |v: &jifen::app::HonoursView| -> Vec<(u32, String, i64)> {
        v.stars
            .iter()
            .map(|s| (s.place, s.household_code.clone(), s.earned))
            .collect()
    };
    assert_eq!(stars(&here), stars(&there));
    // Two places of four: H2 first; H1 and H4 tie for the second, so both are stars.
    assert_eq!(
        stars(&there),
        vec![(1, "H2".into(), 150), (2, "H1".into(), 100), (2, "H4".into(), 100)]
    );
    assert_eq!(
        there.stars[0].head.as_deref(),
        Some("户*2"),
        "masked names, as on the home screen"
    );
}
