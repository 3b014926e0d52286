//! Redemption refusals, settlement once-only, forged / void / expired vouchers, rankings.

mod common;

use chrono::Duration;
use common::*;
use ed25519_dalek::SigningKey;
use jifen::app::{AppError, Identity};
use jifen::domain::period::Quarter;
use jifen::domain::voucher::{Serial, VoucherPayload};

/// The verification code printed beside a voucher's serial.
fn code_of(qr: &str) -> String {
    jifen::domain::voucher::verification_code(qr).unwrap()
}

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
            "clerk",
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
    let s = v.app.settle(&r.qr_payload, None, Some("堰头面馆"), "clerk").unwrap();
    assert_eq!((s.points, s.merchant.as_str()), (20, "堰头面馆"));
    let again = v
        .app
        .settle(&r.serial, Some(&code_of(&r.qr_payload)), None, "clerk")
        .unwrap_err();
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
        v.app.settle(&forged, None, None, "clerk"),
        Err(AppError::ForgedVoucher(_))
    ));
    // The points on a genuine voucher altered by hand.
    let altered = r.qr_payload.replace("|20|", "|80|");
    let err = v.app.settle(&altered, None, None, "clerk").unwrap_err();
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
        v.app.settle(&typo, Some("AAAAAA"), None, "clerk"),
        Err(AppError::BadSerial(_))
    ));
    // A well-formed serial that was never issued.
    let never = Serial::new("YT", None, 999).to_string();
    assert!(matches!(
        v.app.settle(&never, Some("AAAAAA"), None, "clerk"),
        Err(AppError::UnknownVoucher(_))
    ));
    // A typed serial needs the verification code printed beside it: a hand-made slip with
    // an outstanding serial (serials run in order) is refused, and so is a wrong code.
    let err = v.app.settle(&r.serial, None, None, "clerk").unwrap_err();
    assert!(matches!(err, AppError::CodeNeeded(_)), "{err}");
    assert!(err.to_string().contains("verification code"), "{err}");
    let err = v.app.settle(&r.serial, Some("AAAAAA"), None, "clerk").unwrap_err();
    assert!(matches!(err, AppError::WrongCode(_)), "{err}");
    assert_eq!(
        v.app.voucher(&r.serial).unwrap().status,
        "pending",
        "nothing was written"
    );
    // The genuine one still settles, with its code typed in lower case.
    let code = code_of(&r.qr_payload).to_lowercase();
    assert!(v.app.settle(&r.serial, Some(&code), None, "clerk").is_ok());
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
    let err = v.app.settle(&r.qr_payload, None, None, "clerk").unwrap_err();
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
    let err = v.app.settle(&r.qr_payload, None, None, "clerk").unwrap_err();
    assert!(matches!(err, AppError::VoucherExpired { .. }), "{err}");
    assert!(err.to_string().contains("expired on 2026-12-15"), "{err}");
    assert_eq!(v.app.voucher(&r.serial).unwrap().status, "expired");
}

#[test]
fn a_voucher_for_the_noodle_shop_is_refused_at_another_merchant() {
    let mut v = ready();
    v.award("H1", 50);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let err = v
        .app
        .settle(&r.qr_payload, None, Some("村口理发店"), "clerk")
        .unwrap_err();
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
fn a_clerk_pin_is_checked_against_its_argon2_hash_and_has_six_digits() {
    let mut v = ready();
    v.app.add_clerk("值班干部", "201911").unwrap();
    assert!(v.app.check_clerk_pin("值班干部", "201911").is_ok());
    assert!(matches!(
        v.app.check_clerk_pin("值班干部", "201811"),
        Err(AppError::WrongPin)
    ));
    for short in ["2019", "12345", "12a456"] {
        let err = v.app.add_clerk("x", short).unwrap_err();
        assert!(err.to_string().contains("6 to 12 digits"), "{short}: {err}");
    }
}

#[test]
fn wrong_pins_lock_a_clerk_across_restarts_and_a_deactivated_clerk_is_refused() {
    let mut v = ready();
    v.app.add_clerk("值班干部", "201911").unwrap();
    v.app.add_clerk("会计", "556677").unwrap();
    for _ in 0..2 {
        assert!(matches!(v.app.unlock_clerk_mode("000000"), Err(AppError::WrongPin)));
    }
    // The power is cut after two wrong PINs: the count is in the database, not in memory.
    v.reopen();
    let err = v.app.unlock_clerk_mode("000000").unwrap_err();
    assert!(matches!(err, AppError::ClerkModeLocked { minutes: 5 }), "{err}");
    v.reopen();
    let err = v.app.unlock_clerk_mode("201911").unwrap_err();
    assert!(
        matches!(err, AppError::ClerkModeLocked { .. }),
        "the right PIN waits too: {err}"
    );
    let listed = v.app.clerks().unwrap();
    assert!(listed.iter().all(|c| c.locked_until.is_some()), "{listed:?}");
    v.clock.set(test_now() + Duration::minutes(6));
    assert_eq!(v.app.unlock_clerk_mode("201911").unwrap(), "值班干部");
    v.app.deactivate_clerk("会计").unwrap();
    assert!(
        v.app.unlock_clerk_mode("556677").is_err(),
        "a deactivated clerk's PIN opens nothing"
    );
    assert!(matches!(
        v.app.check_clerk_pin("会计", "556677"),
        Err(AppError::UnknownClerk(_))
    ));
    assert!(
        !v.app
            .clerks()
            .unwrap()
            .iter()
            .find(|c| c.name == "会计")
            .unwrap()
            .active
    );
}
