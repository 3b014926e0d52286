//! Redeeming for a household that cannot come (代兑换 / 送奖上门): only with its card, never
//! by its code; the voucher prints 代领 with the clerk's name; the household's account says
//! who redeemed for it; the delivery is confirmed once.

mod common;

use common::*;
use jifen::app::{AppError, Identity, Proxy};
use jifen::print::url::PrinterUrl;
use jifen::print::{PaperWidth, PrintMode, PrinterDevice};

fn text_printer(dir: &std::path::Path) -> PrinterDevice {
    PrinterDevice {
        url: PrinterUrl::Preview(dir.to_path_buf()),
        mode: PrintMode::Text,
        width: PaperWidth::MM58,
        templates: None,
    }
}

fn proxy() -> Proxy {
    Proxy {
        clerk: "值班干部".into(),
        deliverer: "网格员王强".into(),
    }
}

#[test]
fn a_clerk_redeems_with_the_households_card_and_the_voucher_says_who() {
    let mut v = village();
    v.households(2);
    v.award("H1", 100);
    v.item("NOODLE", 20, Some(5));
    let previews = v.tmp.path().join("previews");
    let mut printer = text_printer(&previews);
    let mut redeem_for = |v: &mut TestVillage, who: Identity, proxy: &Proxy| {
        v.app.redeem_for_household(&who, "NOODLE", 1, proxy, &mut printer)
    };

    // By code alone: refused, nothing written.
    let err = redeem_for(&mut v, Identity::HouseholdCode("H1".into()), &proxy()).unwrap_err();
    assert!(matches!(err, AppError::ProxyNeedsCard(_)), "{err}");
    assert!(err.to_string().contains("代兑换须刷该户的身份证或户码卡"), "{err}");
    assert_eq!(v.balance("H1"), 100);
    assert!(v.app.vouchers(None).unwrap().is_empty());

    // With its QR card: the voucher prints 代领 and the deliverer.
    let (receipt, report) = redeem_for(&mut v, Identity::QrToken(qr_token(1)), &proxy()).unwrap();
    assert!(report.printed);
    assert_eq!((receipt.household_code.as_str(), v.balance("H1")), ("H1", 80));
    let bytes = std::fs::read(previews.join(format!("{}.bin", receipt.serial))).unwrap();
    let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
    assert!(text.contains("代领：值班干部（网格员王强送到户）"), "{text}");

    // The account says who redeemed for it, wherever the ledger entry travels.
    let account = v.app.account_view(&Identity::HouseholdCode("H1".into())).unwrap();
    let entry = account.entries.iter().find(|e| e.delta == -20).unwrap();
    assert_eq!(entry.reason, "兑换 物品NOODLE ×1（值班干部代兑换，网格员王强送达）");
    assert_eq!(entry.recorded_by, "值班干部");
    // And the clerk's action log has it, as every clerk action (it reaches the township).
    let actions = v.app.clerk_actions(10).unwrap();
    assert!(actions
        .iter()
        .any(|a| a.action == "redeem_for" && a.clerk == "值班干部" && a.subject == receipt.serial));

    // A wrong card, or a nameless deliverer, redeems nothing.
    let err = redeem_for(&mut v, Identity::QrToken("NOT-A-CARD".into()), &proxy()).unwrap_err();
    assert!(matches!(err, AppError::UnknownQrToken), "{err}");
    let nameless = Proxy {
        clerk: "值班干部".into(),
        deliverer: "  ".into(),
    };
    let err = redeem_for(&mut v, Identity::QrToken(qr_token(1)), &nameless).unwrap_err();
    assert!(err.to_string().contains("--deliver-by"), "{err}");
    assert_eq!(v.balance("H1"), 80);

    // The delivery, confirmed once; a voucher of the household's own is no proxy's.
    let waiting = v.app.proxy_redemptions(true).unwrap();
    assert_eq!(waiting.len(), 1);
    let done = v.app.confirm_delivery(&receipt.serial, "网格员王强").unwrap();
    assert_eq!(done.delivered_by.as_deref(), Some("网格员王强"));
    assert!(v.app.proxy_redemptions(true).unwrap().is_empty());
    assert!(v
        .app
        .clerk_actions(10)
        .unwrap()
        .iter()
        .any(|a| a.action == "delivered" && a.clerk == "网格员王强"));
    let again = v.app.confirm_delivery(&receipt.serial, "别人").unwrap_err();
    assert!(matches!(again, AppError::AlreadyDelivered { .. }), "{again}");
    assert!(again.to_string().contains("网格员王强"), "{again}");
    let own = v.app.redeem("H1", "NOODLE", 1, "kiosk").unwrap();
    let err = v.app.confirm_delivery(&own.serial, "网格员王强").unwrap_err();
    assert!(matches!(err, AppError::NotAProxyRedemption(_)), "{err}");
    assert!(v.app.verify().unwrap().ok);
}

#[test]
fn the_cli_redeems_on_a_households_behalf_only_with_its_card() {
    let (_tmp, dir) = demo_kiosk();
    // The demo's first household card, as a villager would hand it to the clerk.
    let token = jifen::app::demo::demo_qr_token(0);
    let shown = json(&jifen(&dir, &["admin", "household", "show", "--qr", &token, "--json"]));
    let code = shown["household_code"].as_str().unwrap().to_string();

    // The same redemption for delivery, naming the household one way or the other.
    let redeem_for = |named: [&str; 2]| {
        let tail = ["--item", "NOODLE", "--deliver-by", "王强", "--json"];
        jifen(
            &dir,
            &[&["admin", "--by", "值班干部", "redeem"], &named[..], &tail[..]].concat(),
        )
    };
    let o = redeem_for(["--household", &code]);
    assert!(!o.status.success(), "a code alone redeemed for a household");
    assert!(stderr(&o).contains("代兑换须刷该户的身份证或户码卡"), "{}", stderr(&o));

    let o = redeem_for(["--qr", &token]);
    assert!(o.status.success(), "{}", stderr(&o));
    let serial = json(&o)["serial"].as_str().unwrap().to_string();
    let list = json(&jifen(
        &dir,
        &["admin", "voucher", "proxied", "--undelivered", "--json"],
    ));
    assert_eq!(list[0]["serial"], serial.as_str());
    assert_eq!(list[0]["deliverer"], "王强");
    let o = jifen(&dir, &["admin", "--by", "王强", "voucher", "delivered", &serial]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("已送到"), "{}", stdout(&o));
    let o = jifen(&dir, &["admin", "--by", "王强", "voucher", "delivered", &serial]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already delivered"), "{}", stderr(&o));
}
