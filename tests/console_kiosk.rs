//! The README's first command: `jifen kiosk --demo` creates the demo village on first run
//! and serves a villager who scans a household card, picks an item and confirms.

mod common;

use common::*;

#[test]
fn a_villager_scans_a_card_redeems_soap_and_the_points_are_taken_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kiosk");
    let token = jifen::app::demo::demo_qr_token(57); // YT-058, the demo's top household
    let before = {
        // First run creates the demo village; an empty line and EOF leave at once.
        let o = jifen_with_stdin(&dir, &["kiosk", "--console", "--demo"], "q\n");
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("请刷身份证或扫描二维码"));
        json(&jifen(&dir, &["admin", "household", "show", "YT-058", "--json"]))["balance"]
            .as_i64()
            .unwrap()
    };
    let o = jifen_with_stdin(&dir, &["kiosk", "--console", "--demo"], &format!("{token}\n1\n1\nq\n"));
    let screen = stdout(&o);
    assert!(screen.contains("您好"), "{screen}");
    assert!(screen.contains("用 10 分兑换 洗衣皂 2 块 1 份？"), "{screen}");
    assert!(screen.contains(&format!("剩余积分 {} 分", before - 10)), "{screen}");
    assert!(screen.contains("请取走您的兑换券"), "{screen}");
    let vouchers = json(&jifen(&dir, &["admin", "voucher", "list", "--json"]));
    let newest = vouchers
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["item_code"] == "SOAP")
        .unwrap();
    let serial = newest["serial"].as_str().unwrap();
    assert!(
        dir.join("previews").join(format!("{serial}.png")).exists(),
        "the demo prints to previews"
    );
    let after = json(&jifen(&dir, &["admin", "household", "show", "YT-058", "--json"]));
    assert_eq!(after["balance"].as_i64().unwrap(), before - 10);
    // An unknown card is sent to the counter in words; a cancelled confirmation takes nothing.
    let o = jifen_with_stdin(
        &dir,
        &["kiosk", "--console", "--demo"],
        &format!("NOBODY-CARD\n{token}\n1\n\nq\n"),
    );
    assert!(stdout(&o).contains("请到窗口登记"));
    let again = json(&jifen(&dir, &["admin", "household", "show", "YT-058", "--json"]));
    assert_eq!(again["balance"], after["balance"]);
    assert_eq!(json(&jifen(&dir, &["admin", "verify", "--json"]))["ok"], true);
}

#[test]
fn any_typed_text_is_answered_in_words_never_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kiosk");
    // 18 bytes of Chinese (six characters) once crashed the ID-number check.
    let o = jifen_with_stdin(
        &dir,
        &["kiosk", "--console", "--demo"],
        "中文中文中文\n110105194912310021\nYT-001\n\nq\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let screen = stdout(&o);
    assert_eq!(screen.matches("请到窗口登记").count(), 2, "{screen}");
    assert!(screen.contains("请把身份证放在读卡器上"), "{screen}");
    assert!(
        !screen.contains("堰头村 YT-001 户"),
        "a household code (printed on lists, typed on any keyboard) opens nothing: {screen}"
    );
}

#[test]
fn a_neighbours_id_number_typed_on_the_keyboard_opens_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kiosk");
    // The ID number of YT-058's head, a real household of the demo village: anyone in an
    // open hall may know it, so typing it is no card.
    let id = jifen::app::demo::demo_id_number(57, 0);
    assert!(jifen_with_stdin(&dir, &["kiosk", "--console", "--demo"], "q\n")
        .status
        .success());
    let vouchers = || {
        json(&jifen(&dir, &["admin", "voucher", "list", "--json"]))
            .as_array()
            .unwrap()
            .len()
    };
    let before = vouchers();
    let o = jifen_with_stdin(&dir, &["kiosk", "--console", "--demo"], &format!("{id}\n1\n1\nq\n"));
    assert!(o.status.success(), "{}", stderr(&o));
    let screen = stdout(&o);
    assert!(screen.contains("请把身份证放在读卡器上"), "{screen}");
    assert!(!screen.contains("您好"), "the account opened: {screen}");
    assert!(!screen.contains(&id), "the number is echoed: {screen}");
    assert_eq!(vouchers(), before, "a voucher was issued on a typed number");
}

#[test]
fn paper_out_at_the_kiosk_is_said_in_words_and_the_voucher_comes_out_when_its_household_is_back() {
    use common::fake_printer::{Condition, FakePrinter};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kiosk");
    let token = jifen::app::demo::demo_qr_token(57);
    let printer = FakePrinter::tcp();
    printer.set(Condition::PaperOut);
    let o = jifen_with_stdin(
        &dir,
        &["--printer", &printer.url, "kiosk", "--console", "--demo"],
        &format!("{token}\n1\n1\nq\n"),
    );
    let screen = stdout(&o);
    assert!(screen.contains("缺纸，请联系管理员"), "{screen}");
    assert!(screen.contains("积分已经扣好"), "{screen}");
    assert!(printer.jobs().is_empty());

    // Started again (after a power cut, say): nothing comes out into an empty hall.
    printer.set(Condition::Ready);
    let o = jifen_with_stdin(
        &dir,
        &["--printer", &printer.url, "kiosk", "--console", "--demo"],
        "q\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(printer.jobs().is_empty(), "printed at start-up: {}", stdout(&o));
    // The household's card is read: its voucher comes out, same serial, marked 重印.
    let o = jifen_with_stdin(
        &dir,
        &["--printer", &printer.url, "kiosk", "--console", "--demo"],
        &format!("{token}\n\nq\n"),
    );
    let screen = stdout(&o);
    assert!(screen.contains("您上次的兑换券还没打印，现在补打"), "{screen}");
    assert!(screen.contains("请取走您的兑换券"), "{screen}");
    assert_eq!(printer.jobs().len(), 1);
}
