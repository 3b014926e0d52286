//! Redemption refusals, settlement once-only, forged / void / expired vouchers, rankings.

mod common;

use chrono::Duration;
use common::*;
use ed25519_dalek::SigningKey;
use jifen::app::{AppError, Identity};
use jifen::domain::period::Quarter;
use jifen::domain::voucher::{Serial, VoucherPayload};

fn ready() -> TestVillage {
    let mut v = village();
    v.households(4);
    v.item("NOODLE", 20, Some(2));
    v.item("HAIRCUT", 15, None);
    v
}

#[test]
fn a_redemption_debits_once_takes_stock_and_issues_a_pending_signed_voucher() {
    let mut v = ready();
    v.award("H1", 50);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    assert_eq!((r.points, r.balance_after, r.status), (20, 30, "pending"));
    assert!(r.serial.parse::<Serial>().is_ok());
    let payload = VoucherPayload::verify(&r.qr_payload, &v.app.voucher_public_key()).unwrap();
    assert_eq!((payload.serial.as_str(), payload.points), (r.serial.as_str(), 20));
    assert_eq!(v.balance("H1"), 30);
    let stock = v
        .app
        .catalogue()
        .unwrap()
        .into_iter()
        .find(|i| i.code == "NOODLE")
        .unwrap()
        .stock;
    assert_eq!(stock, Some(1));
    assert!(v.app.verify().unwrap().ok);
}

#[test]
fn redemptions_that_would_overdraw_or_oversell_are_refused_and_change_nothing() {
    let mut v = ready();
    v.award("H1", 50);
    assert!(matches!(
        v.app.redeem("H1", "NOODLE", 3, "kiosk"),
        Err(AppError::InsufficientPoints {
            balance: 50,
            cost: 60,
            ..
        })
    ));
    v.award("H1", 50);
    assert!(matches!(
        v.app.redeem("H1", "NOODLE", 3, "kiosk"),
        Err(AppError::OutOfStock { left: 2, wanted: 3, .. })
    ));
    assert!(matches!(
        v.app.redeem("H2", "HAIRCUT", 1, "kiosk"),
        Err(AppError::NegativeBalance { balance: 0 })
    ));
    assert!(matches!(
        v.app.redeem("H1", "RICE", 1, "kiosk"),
        Err(AppError::UnknownItem(_))
    ));
    assert!(matches!(
        v.app.redeem("H9", "HAIRCUT", 1, "kiosk"),
        Err(AppError::UnknownHousehold(_))
    ));
    v.app
        .edit_item(
            "HAIRCUT",
            jifen::app::ItemChanges {
                active: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(matches!(
        v.app.redeem("H1", "HAIRCUT", 1, "kiosk"),
        Err(AppError::ItemInactive { .. })
    ));
    assert_eq!(v.balance("H1"), 100);
    assert!(v.app.vouchers(None).unwrap().is_empty());
}

#[test]
fn a_deduction_below_zero_is_kept_and_blocks_redeeming_until_positive() {
    let mut v = ready();
    v.award("H1", 20);
    v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    // The deduction arrives after the redemption (as from an offline sync).
    v.award("H1", -10);
    assert_eq!(v.balance("H1"), -10);
    let err = v.app.redeem("H1", "HAIRCUT", 1, "kiosk").unwrap_err();
    assert!(matches!(err, AppError::NegativeBalance { balance: -10 }));
    let view = v.app.account_view(&Identity::HouseholdCode("H1".into())).unwrap();
    assert!(!view.can_redeem);
    v.award("H1", 30);
    assert!(v.app.redeem("H1", "HAIRCUT", 1, "kiosk").is_ok());
}

#[test]
fn a_voucher_is_settled_once_and_refused_the_second_time_with_the_reason() {
    let mut v = ready();
    v.award("H1", 50);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let s = v.app.settle(&r.qr_payload, Some("堰头面馆"), "clerk").unwrap();
    assert_eq!((s.points, s.merchant.as_str()), (20, "堰头面馆"));
    let again = v.app.settle(&r.serial, None, "clerk").unwrap_err();
    assert!(matches!(again, AppError::AlreadySettled { .. }));
    assert!(
        again.to_string().contains("already settled on 2026-11-15 for 堰头面馆"),
        "{again}"
    );
    assert_eq!(v.app.voucher(&r.serial).unwrap().status, "settled");
}

#[test]
fn forged_altered_and_mistyped_vouchers_are_refused() {
    let mut v = ready();
    v.award("H1", 50);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    // Signed by some other key: a voucher this kiosk never issued.
    let forged = VoucherPayload::verify(&r.qr_payload, &v.app.voucher_public_key())
        .unwrap()
        .sign(&SigningKey::from_bytes(&[9; 32]));
    assert!(matches!(
        v.app.settle(&forged, None, "clerk"),
        Err(AppError::ForgedVoucher(_))
    ));
    // The points on a genuine voucher altered by hand.
    let altered = r.qr_payload.replace("|20|", "|80|");
    let err = v.app.settle(&altered, None, "clerk").unwrap_err();
    assert!(
        err.to_string()
            .contains("not issued by this village's kiosk or was altered"),
        "{err}"
    );
    // A serial typed with one wrong character.
    let mut typo: Vec<char> = r.serial.chars().collect();
    typo[5] = if typo[5] == '9' { '8' } else { '9' };
    let typo: String = typo.into_iter().collect();
    assert!(matches!(
        v.app.settle(&typo, None, "clerk"),
        Err(AppError::BadSerial(_))
    ));
    // A well-formed serial that was never issued.
    let never = Serial::new("YT", 999).to_string();
    assert!(matches!(
        v.app.settle(&never, None, "clerk"),
        Err(AppError::UnknownVoucher(_))
    ));
    // The genuine one still settles.
    assert!(v.app.settle(&r.serial, None, "clerk").is_ok());
}

#[test]
fn a_void_voucher_is_refunded_restocked_and_refused_at_settlement() {
    let mut v = ready();
    v.award("H1", 50);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let voided = v
        .app
        .void_voucher(&r.serial, "打印机卡纸，村民未拿到", "clerk")
        .unwrap();
    assert_eq!(voided.status, "void");
    assert_eq!(v.balance("H1"), 50);
    let stock = v
        .app
        .catalogue()
        .unwrap()
        .into_iter()
        .find(|i| i.code == "NOODLE")
        .unwrap()
        .stock;
    assert_eq!(stock, Some(2));
    let err = v.app.settle(&r.qr_payload, None, "clerk").unwrap_err();
    assert!(err.to_string().contains("voided (打印机卡纸，村民未拿到)"), "{err}");
    assert!(matches!(
        v.app.void_voucher(&r.serial, "again", "clerk"),
        Err(AppError::VoucherVoid { .. })
    ));
    assert!(v.app.verify().unwrap().ok);
}

#[test]
fn an_expired_voucher_is_refused_and_shown_as_expired() {
    let mut v = ready();
    v.award("H1", 50);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    v.clock.set(test_now() + Duration::days(31));
    let err = v.app.settle(&r.serial, None, "clerk").unwrap_err();
    assert!(matches!(err, AppError::VoucherExpired { .. }), "{err}");
    assert!(err.to_string().contains("expired on 2026-12-15"), "{err}");
    assert_eq!(v.app.voucher(&r.serial).unwrap().status, "expired");
}

#[test]
fn a_voucher_for_the_noodle_shop_is_refused_at_another_merchant() {
    let mut v = ready();
    v.award("H1", 50);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let err = v.app.settle(&r.serial, Some("村口理发店"), "clerk").unwrap_err();
    assert!(err.to_string().contains("is for 堰头面馆, not 村口理发店"), "{err}");
}

#[test]
fn ranking_ties_share_a_place_and_redeeming_never_lowers_a_rank() {
    let mut v = ready();
    v.award("H1", 30);
    v.award("H2", 30);
    v.award("H3", 10);
    v.award("H4", -5);
    let q: Quarter = "2026Q4".parse().unwrap();
    let before = v.app.ranking(q, None).unwrap();
    let places: Vec<(String, u32)> = before.rows.iter().map(|r| (r.household_code.clone(), r.rank)).collect();
    assert_eq!(
        places,
        vec![("H1".into(), 1), ("H2".into(), 1), ("H3".into(), 3), ("H4".into(), 4)]
    );
    // H1 spends everything; its rank and merit do not move.
    v.app.redeem("H1", "HAIRCUT", 2, "kiosk").unwrap();
    let after = v.app.ranking(q, None).unwrap();
    assert_eq!(format!("{:?}", before.rows), format!("{:?}", after.rows));
    let view = v.app.account_view(&Identity::HouseholdCode("H1".into())).unwrap();
    assert_eq!((view.rank, view.earned_quarter, view.balance), (1, 30, 0));
    // Within a grid (H1 and H4 are in grid 1).
    let grid = v.app.ranking(q, Some("1")).unwrap();
    assert_eq!(grid.rows.len(), 2);
    assert_eq!((grid.rows[1].household_code.as_str(), grid.rows[1].rank), ("H4", 2));
}

#[test]
fn a_correction_names_what_it_corrects_and_counts_in_the_same_month() {
    let mut v = ready();
    let receipt = v
        .app
        .award("H1", "B16", None, None, Some("2026-10".parse().unwrap()), "网格员")
        .unwrap();
    let fix = v
        .app
        .correct(&receipt.entry.id, -2, "误记为优秀，应为良好", "村干部")
        .unwrap();
    assert_eq!(fix.entry.corrects.as_deref(), Some(receipt.entry.id.as_str()));
    assert_eq!(fix.entry.month, "2026-10");
    let view = v.app.account_view(&Identity::HouseholdCode("H1".into())).unwrap();
    assert_eq!((view.balance, view.earned_quarter), (3, 3));
    assert_eq!(view.entries.len(), 2, "the original entry is kept");
    assert!(v.app.verify().unwrap().ok);
}

#[test]
fn a_clerk_pin_is_checked_against_its_argon2_hash() {
    let mut v = ready();
    v.app.add_clerk("值班干部", "2019").unwrap();
    assert!(v.app.check_clerk_pin("值班干部", "2019").is_ok());
    assert!(matches!(
        v.app.check_clerk_pin("值班干部", "2018"),
        Err(AppError::WrongPin)
    ));
    assert!(v.app.add_clerk("x", "12a4").is_err());
}
