//! The print order: a failed or interrupted print keeps the redemption, and the next print
//! of the voucher is a reprint under the same serial; closed vouchers are never printed.

mod common;

use common::*;
use jifen::app::AppError;

#[test]
fn a_failed_print_keeps_the_points_spent_once_and_the_next_print_is_a_reprint() {
    let mut v = village();
    v.households(1);
    v.award("H1", 50);
    v.item("NOODLE", 20, Some(5));
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let first = v.app.begin_print(&r.serial).unwrap();
    assert!(!first.reprint);
    v.app.print_failed(&r.serial, "缺纸，请联系管理员").unwrap();
    let shown = v.app.voucher(&r.serial).unwrap();
    assert_eq!(
        (shown.status, shown.last_print_error.as_deref()),
        ("pending", Some("缺纸，请联系管理员"))
    );
    assert_eq!(
        v.balance("H1"),
        30,
        "the points are spent once, not refunded, not taken twice"
    );
    assert_eq!(v.app.unconfirmed_vouchers().unwrap().len(), 1);

    // Paper loaded: the same serial is printed again, marked as a reprint.
    let second = v.app.begin_print(&r.serial).unwrap();
    assert!(second.reprint);
    assert_eq!(
        (second.voucher.serial.as_str(), second.voucher.reprint_count),
        (r.serial.as_str(), 1)
    );
    v.app.print_succeeded(&r.serial).unwrap();
    let shown = v.app.voucher(&r.serial).unwrap();
    assert_eq!((shown.status, shown.last_print_error), ("printed", None));
    assert!(v.app.unconfirmed_vouchers().unwrap().is_empty());
    assert_eq!(v.app.vouchers(None).unwrap().len(), 1, "no second voucher");
    assert!(v.app.verify().unwrap().ok);
}

#[test]
fn a_crash_between_recording_the_attempt_and_confirming_leads_to_a_reprint_after_restart() {
    let mut v = village();
    v.households(1);
    v.award("H1", 50);
    v.item("NOODLE", 20, None);
    let r = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    v.app.begin_print(&r.serial).unwrap();
    // Power cut before the printer confirmed: the process starts again from the files.
    v.reopen();
    let left = v.app.unconfirmed_vouchers().unwrap();
    assert_eq!(
        left.iter().map(|x| x.serial.as_str()).collect::<Vec<_>>(),
        vec![r.serial.as_str()]
    );
    assert!(v.app.begin_print(&r.serial).unwrap().reprint);
    assert_eq!(v.balance("H1"), 30);
}

#[test]
fn settled_and_void_vouchers_are_never_printed_again() {
    let mut v = village();
    v.households(1);
    v.award("H1", 50);
    v.item("NOODLE", 20, None);
    let a = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let b = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    v.app.settle(&a.qr_payload, None, None, "clerk").unwrap();
    v.app.void_voucher(&b.serial, "村民退回", "clerk").unwrap();
    assert!(matches!(
        v.app.begin_print(&a.serial),
        Err(AppError::AlreadySettled { .. })
    ));
    assert!(matches!(
        v.app.begin_print(&b.serial),
        Err(AppError::VoucherVoid { .. })
    ));
}
