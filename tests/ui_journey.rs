//! The touch kiosk, headless, through Slint's testing backend: a villager's whole journey
//! and the clerk's, driven by card and scan events and by pressing the buttons a villager
//! would press (found by their accessible labels, as a screen reader would find them).
//! One test function: the testing backend can be set up once per process.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_printer::{Condition, FakePrinter};
use common::*;
use i_slint_backend_testing::ElementHandle;
use jifen::app::{App, Delivery, Identity, PrintFailure, Printer, Printout};
use jifen::devices::{DeviceKind, InputEvent};
use jifen::domain::id_number::IdNumber;
use jifen::print::url::PrinterUrl;
use jifen::print::{PrintMode, PrinterDevice};
use jifen::ui::{Kiosk, KioskUi, Problem, Screen};
use slint::{ComponentHandle, Model};

/// The preview printer, or a fake ESC/POS printer on TCP once `use_fake` is set, or a USB
/// printer that can report nothing once `use_silent` is set.
struct SwitchPrinter {
    preview: PrinterDevice,
    fake: PrinterDevice,
    use_fake: Arc<AtomicBool>,
    silent: PrinterDevice,
    use_silent: Arc<AtomicBool>,
    /// While set, a job waits until it is cleared (a printer that holds the worker).
    hang: Arc<AtomicBool>,
}

impl Printer for SwitchPrinter {
    fn print(&mut self, p: &Printout) -> Result<Delivery, PrintFailure> {
        while self.hang.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.use_silent.load(Ordering::SeqCst) {
            self.silent.print(p)
        } else if self.use_fake.load(Ordering::SeqCst) {
            self.fake.print(p)
        } else {
            self.preview.print(p)
        }
    }

    fn trouble(&mut self) -> Option<String> {
        if self.use_silent.load(Ordering::SeqCst) {
            self.silent.trouble()
        } else if self.use_fake.load(Ordering::SeqCst) {
            self.fake.trouble()
        } else {
            self.preview.trouble()
        }
    }
}

/// Opens the catalogue and picks the item labelled `label`, on whichever page it is.
fn redeem(ui: &KioskUi, label: &str) {
    press(ui, "兑换物品");
    for _ in 0..3 {
        if shows(ui, label) {
            break;
        }
        let next = ElementHandle::find_by_accessible_label(&ui.window, "下一页（1/2）").next();
        match next {
            Some(_) => press(ui, "下一页（1/2）"),
            None => press(ui, "上一页"),
        }
    }
    press(ui, label);
    press(ui, "确认兑换");
    until(ui, "done", |ui| ui.screen() == Screen::Done);
}

fn device(url: PrinterUrl) -> PrinterDevice {
    PrinterDevice {
        url,
        mode: PrintMode::Raster,
        width: Default::default(),
        templates: None,
    }
}

/// Pumps the kiosk, letting mock time run, until `done` or five real seconds.
fn until(ui: &KioskUi, what: &str, done: impl Fn(&KioskUi) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        ui.pump();
        if done(ui) {
            return;
        }
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("{what}: still on {:?}", ui.screen());
}

/// Lets mock time pass a second at a time, as the countdown sees it.
fn wait_seconds(n: u64) {
    for _ in 0..n {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    }
}

fn press(ui: &KioskUi, label: &str) {
    let buttons: Vec<_> = ElementHandle::find_by_accessible_label(&ui.window, label).collect();
    let button = buttons
        .iter()
        .find(|b| b.accessible_enabled() != Some(false))
        .unwrap_or_else(|| panic!("no enabled button labelled {label} on {:?}", ui.screen()));
    button.invoke_accessible_default_action();
    ui.pump();
}

/// The catalogue is on its second page.
fn k_page_two(ui: &KioskUi) -> bool {
    shows(ui, "下一页（2/2）")
}

/// Nothing cut on the screen shown, at both screen sizes and in both languages: no text
/// whose box is smaller than its words (its accessible description says so: `Words` in
/// ui/widgets.slint) and no button running off the window (entries scroll in their list).
fn nothing_cut(ui: &KioskUi, what: &str) {
    use i_slint_backend_testing::{AccessibleRole, ElementQuery};
    let size = ui.window.window().size();
    for (w, h) in [(1920.0_f32, 1080.0_f32), (1280.0, 800.0)] {
        ui.window.window().set_size(slint::LogicalSize::new(w, h));
        for lang in ["en", ""] {
            jifen::ui::apply_language(if lang == "en" {
                jifen::ui::Language::En
            } else {
                jifen::ui::Language::ZhCn
            })
            .unwrap();
            let mut cut = Vec::new();
            for e in ElementQuery::from_root(&ui.window).match_descendants().find_all() {
                if e.accessible_description().as_deref() == Some("cut") {
                    cut.push(format!("{:?} in {:?}", e.accessible_label(), e.size()));
                }
                // Words running off the window's edge are cut too, however big their box.
                if e.type_name()
                    .is_some_and(|t| t == "Words" || t == "Label" || t == "Muted")
                {
                    let (p, s) = (e.absolute_position(), e.size());
                    if p.x < -0.5 || p.x + s.width > w + 0.5 {
                        cut.push(format!("{:?} off the screen at {p:?}, {s:?}", e.accessible_label()));
                    }
                }
                let button = e.accessible_role() == Some(AccessibleRole::Button);
                if button && e.type_name().as_deref() != Some("EntryRow") {
                    let (p, s) = (e.absolute_position(), e.size());
                    if p.x < -0.5 || p.y < -0.5 || p.x + s.width > w + 0.5 || p.y + s.height > h + 0.5 {
                        cut.push(format!(
                            "button {:?} off the screen at {p:?}, {s:?}",
                            e.accessible_label()
                        ));
                    }
                }
            }
            // On a failure, the whole screen's texts and buttons with their boxes, to see why.
            if !cut.is_empty() {
                for e in ElementQuery::from_root(&ui.window).match_descendants().find_all() {
                    if e.accessible_label().is_some() {
                        eprintln!(
                            "{:?} {:?} {:?} {:?}",
                            e.type_name(),
                            e.accessible_label(),
                            e.absolute_position(),
                            e.size()
                        );
                    }
                }
            }
            let lang = if lang.is_empty() { "zh_CN" } else { lang };
            assert!(cut.is_empty(), "{what} at {w}×{h} in {lang}: {cut:#?}");
        }
    }
    ui.window.window().set_size(size);
}

fn shows(ui: &KioskUi, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(&ui.window, label)
        .next()
        .is_some()
}

#[test]
fn the_villager_and_the_clerk_journeys() {
    i_slint_backend_testing::init_integration_test_with_mock_time();
    let mut v = village();
    v.households(3);
    // H1's award comes with a photo of its supervision sheet.
    let sheet = jifen::app::Photo {
        name: "sheet.jpg".into(),
        bytes: phone_photo(1200, 900),
    };
    v.app
        .award_with_photos("H1", "T01", Some(50), None, None, "网格员沈", &[sheet])
        .unwrap();
    v.award("H2", 100);
    v.award("H3", 5);
    v.award("H3", -20);
    v.item("NOODLE", 20, Some(5));
    v.item("RICE", 500, None);
    for extra in ["TEA", "SOAP", "EGGS", "OIL", "SALT"] {
        v.item(extra, 30, None);
    }
    v.app.add_clerk("值班干部", "201911").unwrap();
    // A sponsor, so the home screen carries the 乡贤榜 (and must still fit).
    v.app.add_sponsor("乡贤沈建国", None, "会计").unwrap();
    v.app.fund_sponsor("乡贤沈建国", "500.00", None, "会计").unwrap();
    v.app.set_deliverers(&["网格员王强".to_string()]).unwrap();
    let TestVillage { tmp, dir, clock, app } = v;
    let previews = tmp.path().join("previews");
    let fake = FakePrinter::tcp();
    let use_fake = Arc::new(AtomicBool::new(false));
    let silent = FakePrinter::pty();
    silent.set(Condition::Silent);
    let use_silent = Arc::new(AtomicBool::new(false));
    let hang = Arc::new(AtomicBool::new(false));
    let printer = SwitchPrinter {
        preview: device(PrinterUrl::Preview(previews.clone())),
        fake: device(fake.url.parse().unwrap()),
        use_fake: use_fake.clone(),
        silent: device(silent.as_usb().parse().unwrap()),
        use_silent: use_silent.clone(),
        hang: hang.clone(),
    };
    let (devices, device_rx) = channel();
    // A box with no sound device and no espeak-ng: the journey holds, silently, and the
    // speaker still knows what each screen would have said.
    let speaker = jifen::voice::Speaker::start(&jifen::voice::VoiceConfig {
        espeak: "/nonexistent/espeak-ng".into(),
        player: vec!["/nonexistent/aplay".into()],
        ..jifen::voice::VoiceConfig::default()
    });
    let ui = KioskUi::with_voice(app, printer, device_rx, speaker).unwrap();
    let k = || ui.window.global::<Kiosk>();
    let last_said = || ui.speaker.said().last().cloned().unwrap_or_default();
    let ledger = || App::open(&dir, clock.clone()).unwrap();
    until(&ui, "home", |ui| {
        ui.window.global::<Kiosk>().get_village_name() == "堰头村"
    });
    assert_eq!(ui.screen(), Screen::Home);
    nothing_cut(&ui, "home");
    assert!(
        k().get_honour_village().row_count() >= 3,
        "the honour roll is on the idle screen"
    );
    // The sponsors beside the honour roll where the screen is tall; on a short one they
    // are a page of the rules' rotation, so the buttons stay on the screen.
    let size = ui.window.window().size();
    ui.window.window().set_size(slint::LogicalSize::new(1920.0, 1080.0));
    assert!(shows(&ui, "乡贤榜：乡贤沈建国"), "the sponsors are on the idle screen");
    ui.window.window().set_size(slint::LogicalSize::new(1280.0, 800.0));
    assert!(
        !shows(&ui, "乡贤榜：乡贤沈建国"),
        "a short screen shows the rules first"
    );
    ui.window.window().set_size(size);

    // An ID card: the account with the right balance and the entries' reasons.
    let card = IdNumber::parse(&id_number(1)).unwrap();
    devices
        .send(InputEvent::CardRead {
            id_number: card,
            name: "户主1".into(),
        })
        .unwrap();
    until(&ui, "account", |ui| ui.screen() == Screen::Account);
    assert_eq!(k().get_balance(), 50);
    assert!(shows(&ui, "积分余额 50 分"));
    assert_eq!(
        k().get_head_name(),
        "户大爷",
        "greeted by surname, as an elder (born 1941, male)"
    );
    assert!(k().get_entries().row_count() >= 1);
    nothing_cut(&ui, "the account");
    // Said as well as shown, for the villager who cannot read it; and once more on request.
    assert_eq!(last_said(), "户大爷，您好。您家现在有五十分。要换东西，请点兑换物品。");
    let said = ui.speaker.said().len();
    press(&ui, "再听一遍");
    assert_eq!(ui.speaker.said().len(), said + 1);
    assert_eq!(last_said(), "户大爷，您好。您家现在有五十分。要换东西，请点兑换物品。");

    // Reading the entries: 45 s without a button, then a touch on the text (not a button)
    // restarts the countdown; left alone, 还要继续吗？ is asked and said 15 s before home,
    // and 继续 keeps the household.
    wait_seconds(46);
    assert!((13..=15).contains(&k().get_idle_left()), "{}", k().get_idle_left());
    assert!(shows(&ui, "还要继续吗？"), "the question is on screen");
    nothing_cut(&ui, "the question 还要继续吗？");
    assert!(last_said().starts_with("还要继续吗？"), "{}", last_said());
    press(&ui, "继续");
    assert_eq!(k().get_idle_left(), 60);
    assert!(!shows(&ui, "还要继续吗？"));
    wait_seconds(30);
    // On the header's title, which is text: the touch falls through to the screen behind.
    let position = slint::LogicalPosition::new(300.0, 48.0);
    let button = slint::platform::PointerEventButton::Left;
    ui.window
        .window()
        .dispatch_event(slint::platform::WindowEvent::PointerPressed { position, button });
    ui.window
        .window()
        .dispatch_event(slint::platform::WindowEvent::PointerReleased { position, button });
    assert_eq!(k().get_idle_left(), 60, "a touch anywhere counts");
    assert_eq!(ui.screen(), Screen::Account);

    // An entry touched opens whole: its points, its full reason, its month; said too.
    let row = i_slint_backend_testing::ElementQuery::from_root(&ui.window)
        .match_descendants()
        .match_accessible_role(i_slint_backend_testing::AccessibleRole::Button)
        .find_all()
        .into_iter()
        .find(|b| b.accessible_label().is_some_and(|l| l.starts_with("加 50，")))
        .expect("the entry is a touch target");
    row.invoke_accessible_default_action();
    ui.pump();
    assert_eq!(ui.screen(), Screen::Entry);
    nothing_cut(&ui, "an entry");
    assert_eq!(k().get_opened_entry().delta, 50);
    assert!(!k().get_opened_entry().reason.is_empty());
    assert!(last_said().contains("加了五十分。原因是"), "{}", last_said());
    // Its photo, big, and who recorded it.
    until(&ui, "the entry's photo", |ui| {
        ui.window.global::<Kiosk>().get_entry_photos().row_count() == 1
    });
    assert!(shows(&ui, "记录人：网格员沈"));
    nothing_cut(&ui, "an entry with its photo");
    // 我有疑问: one tap and a confirm, no typing; recorded, shown and said.
    press(&ui, "我有疑问");
    assert!(k().get_dispute_asking());
    assert!(last_said().starts_with("对这条积分有疑问吗？"), "{}", last_said());
    nothing_cut(&ui, "the question 我有疑问");
    press(&ui, "是，我有疑问");
    until(&ui, "the dispute recorded", |ui| {
        ui.window.global::<Kiosk>().get_opened_entry().asked
    });
    assert!(shows(&ui, "已记录，村里会在七天内答复。"));
    assert_eq!(last_said(), "已记录，村里会在七天内答复。");
    nothing_cut(&ui, "an entry disputed");
    let disputes = ledger().dispute_list(true).unwrap();
    assert_eq!(disputes.len(), 1, "one dispute, opened by the household");
    assert_eq!(disputes[0].dispute.opened_by, "household");
    assert!(
        ElementHandle::find_by_accessible_label(&ui.window, "我有疑问")
            .next()
            .is_none(),
        "asked once, 我有疑问 is not offered again"
    );
    press(&ui, "返回");
    assert_eq!(ui.screen(), Screen::Account);

    // Stuck: 请工作人员帮忙 calls staff (heard in the hall, told on screen), not a PIN pad.
    press(&ui, "请工作人员帮忙");
    assert_eq!(ui.screen(), Screen::Account, "the villager stays where they were");
    assert!(k().get_help_called());
    assert_eq!(last_said(), "已经叫工作人员了，请稍等，工作人员马上就来。");

    // Catalogue: the noodle coupon can be taken, the rice is greyed with the words 积分不足.
    press(&ui, "兑换物品");
    assert_eq!(ui.screen(), Screen::Catalogue);
    nothing_cut(&ui, "the catalogue");
    // Seven items: six tiles a page, the seventh on the next.
    press(&ui, "下一页（1/2）");
    assert!(shows(&ui, "下一页（2/2）"));
    press(&ui, "上一页");
    assert!(shows(&ui, "下一页（1/2）"));
    // Only the tiles of the page shown can be found (and touched).
    if !shows(&ui, "物品RICE，500 分，积分不足") {
        press(&ui, "下一页（1/2）");
    }
    let rice = ElementHandle::find_by_accessible_label(&ui.window, "物品RICE，500 分，积分不足")
        .next()
        .expect("the unaffordable item says why");
    assert_eq!(rice.accessible_enabled(), Some(false));
    if !shows(&ui, "物品NOODLE，20 分") {
        press(
            &ui,
            if shows(&ui, "上一页") && k_page_two(&ui) {
                "上一页"
            } else {
                "下一页（1/2）"
            },
        );
    }
    press(&ui, "物品NOODLE，20 分");
    assert_eq!(ui.screen(), Screen::Confirm);
    assert_eq!(k().get_idle_left(), 30, "a visible countdown on the confirm screen");
    nothing_cut(&ui, "the confirm screen");
    assert_eq!(
        last_said(),
        "您选了物品NOODLE，要用二十分，换完还剩三十分。确定就点确认兑换，不要就点取消。"
    );
    press(&ui, "确认兑换");
    until(&ui, "done", |ui| ui.screen() == Screen::Done);
    let serial = k().get_serial().to_string();
    assert!(
        previews.join(format!("{serial}.png")).exists(),
        "the voucher was printed"
    );
    assert_eq!(k().get_balance_after(), 30);
    nothing_cut(&ui, "the done screen");
    let spelled: Vec<String> = serial
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| jifen::voice::numbers::digit_word(c).map_or(c.to_string(), str::to_string))
        .collect();
    let done_words = last_said();
    assert!(done_words.starts_with("兑换成功。请取走您的兑换券"), "{done_words}");
    assert!(
        done_words.contains(&format!("券号是{}。", spelled.join(" "))),
        "{done_words}"
    );
    assert!(done_words.ends_with("剩余积分三十分。"), "{done_words}");
    assert_eq!(
        ledger()
            .account_view(&jifen::app::Identity::HouseholdCode("H1".into()))
            .unwrap()
            .balance,
        30
    );

    // Left alone, the screen goes home by itself and forgets the household.
    wait_seconds(21);
    until(&ui, "idle home", |ui| ui.screen() == Screen::Home);
    assert_eq!(k().get_household(), "");

    // A household code, typed on a keyboard into the window or shown as a QR on a phone,
    // opens nothing: codes are printed on lists.
    let type_in = |line: &str| {
        for c in format!("{line}\n").chars() {
            let text: slint::SharedString = c.to_string().into();
            ui.window
                .window()
                .dispatch_event(slint::platform::WindowEvent::KeyPressed { text: text.clone() });
            ui.window
                .window()
                .dispatch_event(slint::platform::WindowEvent::KeyReleased { text });
        }
    };
    type_in("H2");
    until(&ui, "a code typed in", |ui| ui.screen() == Screen::Problem);
    assert_eq!(k().get_problem(), Problem::UnknownCard);
    press(&ui, "返回首页");
    devices.send(InputEvent::HouseholdCard { token: "H2".into() }).unwrap();
    until(&ui, "a code scanned", |ui| ui.screen() == Screen::Problem);
    assert_eq!(k().get_problem(), Problem::UnknownCard);
    press(&ui, "返回首页");

    // So does an ID number typed on the keyboard, even a household's own: only the card
    // on the reader counts, and the number is not shown back.
    type_in(&id_number(1));
    until(&ui, "an ID number typed in", |ui| ui.screen() == Screen::Problem);
    assert_eq!(k().get_problem(), Problem::Refused);
    assert!(shows(&ui, "请把身份证放在读卡器上，或扫描户卡二维码。"));
    assert!(!shows(&ui, &id_number(1)));
    assert_eq!(k().get_household(), "");
    press(&ui, "返回首页");

    // A household QR card's secret token does open it, here from a keyboard-wedge scanner
    // that types the token into the window and presses Enter.
    type_in(&qr_token(2));
    until(&ui, "account by QR", |ui| ui.screen() == Screen::Account);
    assert_eq!(k().get_balance(), 100);

    // Printer out of paper: the redemption went through and is said so (item, serial,
    // balance); the voucher is kept for a reprint, and the printer's words say why.
    fake.set(Condition::PaperOut);
    use_fake.store(true, Ordering::SeqCst);
    press(&ui, "兑换物品");
    press(&ui, "物品NOODLE，20 分");
    press(&ui, "确认兑换");
    until(&ui, "done, not printed", |ui| ui.screen() == Screen::Done);
    assert!(!k().get_printed());
    assert_eq!(k().get_print_note(), "缺纸，请联系管理员");
    assert_eq!(k().get_balance_after(), 80);
    let pending_serial = k().get_serial().to_string();
    assert!(shows(&ui, &format!("券号 {pending_serial} 已保留，工作人员会为您补打")));
    assert!(fake.jobs().is_empty());
    assert_eq!(ledger().voucher(&pending_serial).unwrap().status, "pending");
    nothing_cut(&ui, "a kept voucher");
    // The serial stays on screen until touched: no countdown sends it away.
    wait_seconds(40);
    assert_eq!(ui.screen(), Screen::Done);
    assert!(shows(&ui, &format!("券号 {pending_serial} 已保留，工作人员会为您补打")));
    // 再换一样: the catalogue again, priced against what is left, without a new swipe.
    press(&ui, "再换一样");
    assert_eq!(ui.screen(), Screen::Catalogue);
    assert_eq!(k().get_balance(), 80);
    assert!(last_said().starts_with("您有八十分。"), "{}", last_said());
    press(&ui, "返回");
    assert_eq!(ui.screen(), Screen::Account);
    press(&ui, "返回");

    // Below zero after a deduction: explained, with the entry that caused it.
    devices.send(InputEvent::HouseholdCard { token: qr_token(3) }).unwrap();
    until(&ui, "account below zero", |ui| ui.screen() == Screen::Account);
    assert!(!k().get_can_redeem());
    assert_eq!(k().get_cause_delta(), -20, "the deduction that caused it is shown");
    assert!(!k().get_cause_reason().is_empty());
    nothing_cut(&ui, "an account below zero");
    assert!(
        last_said().contains("积分不够，现在不能兑换。是因为") && last_said().contains("减了二十分"),
        "{}",
        last_said()
    );
    press(&ui, "返回");

    // An unknown card is sent to the counter.
    devices
        .send(InputEvent::HouseholdCard { token: "NOBODY".into() })
        .unwrap();
    until(&ui, "unknown card", |ui| ui.screen() == Screen::Problem);
    assert_eq!(k().get_problem(), Problem::UnknownCard);
    nothing_cut(&ui, "an unknown card");
    press(&ui, "返回首页");

    // The card reader unplugged: said in words; plugged back, the kiosk goes home. A lost
    // QR scanner does not interrupt anyone.
    let reader = "/dev/jifen-idcard".to_string();
    devices
        .send(InputEvent::DeviceLost {
            kind: DeviceKind::QrScanner,
            device: "/dev/jifen-qr".into(),
        })
        .unwrap();
    devices
        .send(InputEvent::DeviceLost {
            kind: DeviceKind::CardReader,
            device: reader.clone(),
        })
        .unwrap();
    until(&ui, "reader lost", |ui| ui.screen() == Screen::Problem);
    assert_eq!(k().get_problem(), Problem::ReaderUnplugged);
    assert_eq!(k().get_problem_detail(), "", "no device path for villagers");
    assert!(last_said().starts_with("读卡器没有连接好"), "{}", last_said());
    devices
        .send(InputEvent::DeviceBack {
            kind: DeviceKind::CardReader,
            device: reader,
        })
        .unwrap();
    until(&ui, "reader back", |ui| ui.screen() == Screen::Home);

    // Clerk: three wrong PINs lock the keypad; after the lock the right PIN opens it.
    press(&ui, "工作人员");
    assert_eq!(ui.screen(), Screen::ClerkPin);
    for attempt in 1..=3 {
        for d in ["1", "1", "1", "1", "1", "1"] {
            press(&ui, d);
        }
        press(&ui, "确定");
        if attempt < 3 {
            until(&ui, "wrong PIN", |ui| {
                ui.window.global::<Kiosk>().get_clerk_message().contains("密码不对")
            });
        }
    }
    until(&ui, "locked", |ui| ui.screen() == Screen::Problem);
    assert_eq!(k().get_problem(), Problem::PinLocked);
    press(&ui, "返回首页");
    press(&ui, "工作人员");
    for d in ["2", "0", "1", "9", "1", "1"] {
        press(&ui, d);
    }
    press(&ui, "确定");
    until(&ui, "still locked", |ui| ui.screen() == Screen::Problem);
    press(&ui, "返回首页");
    clock.set(test_now() + chrono::Duration::minutes(6));
    press(&ui, "工作人员");
    for d in ["2", "0", "1", "9", "1", "1"] {
        press(&ui, d);
    }
    press(&ui, "确定");
    until(&ui, "clerk menu", |ui| ui.screen() == Screen::ClerkMenu);
    assert_eq!(k().get_clerk_name(), "值班干部");
    nothing_cut(&ui, "the clerk menu");

    // Clerk mode says why nothing is heard, and turns the voice off and on; the choice is
    // kept in the kiosk's database for the next start.
    assert!(
        k().get_voice_note().contains("不出声") && k().get_voice_note().contains("no speech synthesiser"),
        "{}",
        k().get_voice_note()
    );
    until(&ui, "the help call in clerk mode", |ui| {
        ui.window
            .global::<Kiosk>()
            .get_sync_note()
            .contains("村民叫过工作人员帮忙：")
    });
    assert!(k().get_sync_note().contains("在积分页"), "{}", k().get_sync_note());
    press(&ui, "关掉声音");
    assert_eq!(k().get_voice_note(), "语音：关");
    until(&ui, "voice choice kept", |_| {
        ledger().voice_preference().unwrap().is_some_and(|p| !p.enabled)
    });
    press(&ui, "打开声音");
    press(&ui, "小声点");
    until(&ui, "volume kept", |_| {
        ledger().voice_preference().unwrap()
            == Some(jifen::app::VoicePreference {
                enabled: true,
                volume: 60,
            })
    });

    // The paper is back: the clerk reprints the pending voucher under its serial.
    fake.set(Condition::Ready);
    press(&ui, "补打兑换券");
    until(&ui, "pending list", |ui| {
        ui.window.global::<Kiosk>().get_pending_vouchers().row_count() == 1
    });
    press(&ui, "重印");
    until(&ui, "reprinted", |ui| {
        ui.window.global::<Kiosk>().get_clerk_message().contains("已重印")
    });
    assert_eq!(fake.jobs().len(), 1);
    assert_eq!(ledger().voucher(&pending_serial).unwrap().reprint_count, 1);
    use_fake.store(false, Ordering::SeqCst);

    // Settlement by scanning: the first scan settles, the same voucher again is refused.
    press(&ui, "返回菜单");
    press(&ui, "核销兑换券");
    let qr = ledger().voucher(&serial).unwrap().qr_payload;
    devices
        .send(InputEvent::VoucherScanned { payload: qr.clone() })
        .unwrap();
    until(&ui, "settled", |ui| {
        ui.window.global::<Kiosk>().get_settled_now().row_count() == 1
    });
    assert_eq!(k().get_settled_total(), 20);
    nothing_cut(&ui, "the settle screen");
    devices
        .send(InputEvent::VoucherScanned { payload: qr.clone() })
        .unwrap();
    until(&ui, "refused", |ui| {
        ui.window.global::<Kiosk>().get_clerk_message().contains("已经核销")
    });
    assert_eq!(k().get_settled_now().row_count(), 1, "counted once");
    // Clerk mode answers in the screen's language too.
    jifen::ui::apply_language(jifen::ui::Language::En).unwrap();
    devices.send(InputEvent::VoucherScanned { payload: qr }).unwrap();
    until(&ui, "refused in English", |ui| {
        let said = ui.window.global::<Kiosk>().get_clerk_message();
        said.contains("was already settled and cannot be used again") && said.contains(&serial)
    });
    jifen::ui::apply_language(jifen::ui::Language::ZhCn).unwrap();
    press(&ui, "打印结算单");
    until(&ui, "slip", |ui| {
        ui.window.global::<Kiosk>().get_clerk_message().contains("结算单已打印")
    });
    let slips = std::fs::read_dir(&previews)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("settlement-")
        })
        .count();
    assert_eq!(slips, 2, "the slip's png and bin");

    // 代兑换: for a household that cannot come, the clerk reads its own QR card (a typed
    // household code opens nothing here) and taps one item; the ledger says who redeemed.
    press(&ui, "返回菜单");
    press(&ui, "代兑换");
    assert_eq!(ui.screen(), Screen::ClerkProxy);
    devices.send(InputEvent::HouseholdCard { token: "H2".into() }).unwrap();
    until(&ui, "a household code refused", |ui| {
        ui.window
            .global::<Kiosk>()
            .get_clerk_message()
            .contains("没有找到这张卡对应的户")
    });
    assert_eq!(k().get_proxy_items().row_count(), 0);
    let h2_before = ledger()
        .account_view(&Identity::HouseholdCode("H2".into()))
        .unwrap()
        .balance;
    devices.send(InputEvent::HouseholdCard { token: qr_token(2) }).unwrap();
    until(&ui, "the household to redeem for", |ui| {
        ui.window.global::<Kiosk>().get_proxy_items().row_count() > 0
    });
    assert!(
        k().get_proxy_household().contains("H2"),
        "{}",
        k().get_proxy_household()
    );
    nothing_cut(&ui, "the proxy screen");
    // Who takes it there: the clerk, or the village's grid worker picked by a tap.
    assert_eq!(k().get_proxy_deliverers().row_count(), 2);
    press(&ui, "网格员王强");
    assert_eq!(k().get_proxy_deliverer(), 1);
    press(&ui, "代兑换一份");
    until(&ui, "redeemed on its behalf", |ui| {
        ui.window
            .global::<Kiosk>()
            .get_clerk_message()
            .contains("已为 H2 代兑换")
    });
    assert_eq!(
        k().get_proxy_items().row_count(),
        0,
        "the card is read again for the next one"
    );
    let h2 = ledger().account_view(&Identity::HouseholdCode("H2".into())).unwrap();
    assert!(h2.balance < h2_before);
    assert!(
        h2.entries
            .iter()
            .any(|e| e.reason.contains("值班干部代兑换，网格员王强送达")),
        "the account says who redeemed for it"
    );
    // It waits on the same screen to be taken there; the clerk confirms it once delivered.
    until(&ui, "waiting to be delivered", |ui| {
        ui.window.global::<Kiosk>().get_undelivered().row_count() == 1
    });
    nothing_cut(&ui, "the proxy screen's deliveries");
    press(&ui, "已送到");
    until(&ui, "delivered", |ui| {
        ui.window.global::<Kiosk>().get_clerk_message().contains("户的")
            && ui.window.global::<Kiosk>().get_undelivered().row_count() == 0
    });
    assert!(ledger().proxy_redemptions(true).unwrap().is_empty());
    // Voided again, so the rest of the journey finds H2's points as they were.
    let proxied = ledger().proxy_redemptions(false).unwrap().remove(0);
    assert_eq!(proxied.household_code, "H2");
    ledger()
        .void_voucher(&proxied.serial, "测试后作废", "值班干部")
        .unwrap();
    assert_eq!(
        ledger()
            .account_view(&Identity::HouseholdCode("H2".into()))
            .unwrap()
            .balance,
        h2_before
    );

    // Clerk mode locks itself after two minutes without a touch.
    wait_seconds(121);
    until(&ui, "clerk lock", |ui| ui.screen() == Screen::Home);
    press(&ui, "工作人员");
    assert_eq!(ui.screen(), Screen::ClerkPin, "locked again: the PIN is asked");

    // Every button on every screen visited is at least 96 × 96 and labelled.
    for b in i_slint_backend_testing::ElementQuery::from_root(&ui.window)
        .match_descendants()
        .match_accessible_role(i_slint_backend_testing::AccessibleRole::Button)
        .find_all()
    {
        let size = b.size();
        assert!(
            size.width >= 96.0 && size.height >= 96.0,
            "{:?} is {size:?}",
            b.accessible_label()
        );
        assert!(!b.accessible_label().unwrap_or_default().is_empty());
    }
    press(&ui, "返回");
    until(&ui, "home again", |ui| ui.screen() == Screen::Home);

    // A voucher that did not print is printed when its household's card is next read
    // (not before: the kiosk never prints into an empty hall).
    let open = |token: String| {
        devices.send(InputEvent::HouseholdCard { token }).unwrap();
        until(&ui, "account", |ui| ui.screen() == Screen::Account);
    };
    fake.set(Condition::PaperOut);
    use_fake.store(true, Ordering::SeqCst);
    open(qr_token(2));
    redeem(&ui, "物品NOODLE，20 分");
    let kept = k().get_serial().to_string();
    press(&ui, "返回首页");
    fake.set(Condition::Ready);
    let jobs_before = fake.jobs().len();
    open(qr_token(1));
    assert_eq!(k().get_account_notice(), "", "H1 has nothing waiting");
    press(&ui, "返回");
    assert_eq!(fake.jobs().len(), jobs_before, "nothing of H2's printed for H1");
    open(qr_token(2));
    until(&ui, "reprinted for H2", |ui| {
        ui.window.global::<Kiosk>().get_account_notice() == "补打好了，请取走您的兑换券"
    });
    assert_eq!(fake.jobs().len(), jobs_before + 1);
    assert_eq!(ledger().voucher(&kept).unwrap().status, "printed");
    use_fake.store(false, Ordering::SeqCst);

    // A printer that can report nothing: the done screen asks, and 没出来 keeps it pending.
    use_silent.store(true, Ordering::SeqCst);
    redeem(&ui, "物品TEA，30 分");
    assert!(k().get_ask_came_out());
    assert!(shows(&ui, "兑换券出来了吗？"));
    let asked = k().get_serial().to_string();
    assert_eq!(ledger().voucher(&asked).unwrap().status, "pending");
    press(&ui, "没出来");
    until(&ui, "noted", |_| {
        ledger().voucher(&asked).unwrap().last_print_error.as_deref() == Some(jifen::app::NOT_OUT_WORDS)
    });
    assert_eq!(ledger().voucher(&asked).unwrap().status, "pending");
    press(&ui, "返回首页");
    open(qr_token(1));
    until(&ui, "H1's account", |ui| {
        ui.window.global::<Kiosk>().get_balance() == 30
    });
    redeem(&ui, "物品TEA，30 分");
    let came = k().get_serial().to_string();
    press(&ui, "出来了");
    until(&ui, "confirmed", |_| {
        ledger().voucher(&came).unwrap().status == "printed"
    });
    press(&ui, "返回首页");
    use_silent.store(false, Ordering::SeqCst);

    // An error after the commit (marking the paper printed fails): still a success with
    // the serial and the balance, never 没有办成.
    // H2's voucher that did not come out is printed first, now that H2 is here.
    open(qr_token(2));
    until(&ui, "H2's reprint", |ui| {
        ui.window.global::<Kiosk>().get_account_notice() == "补打好了，请取走您的兑换券"
    });
    assert_eq!(ledger().voucher(&asked).unwrap().status, "printed");
    // SAFETY: the one test of this binary; nothing else reads the variable meanwhile.
    unsafe { std::env::set_var("JIFEN_FAILPOINT", "error:printed") };
    redeem(&ui, "物品TEA，30 分");
    unsafe { std::env::remove_var("JIFEN_FAILPOINT") };
    assert_eq!(ui.screen(), Screen::Done);
    assert!(!k().get_serial().is_empty());
    assert_eq!(k().get_print_note(), jifen::app::KEPT_WORDS);
    assert_eq!(ledger().voucher(&k().get_serial()).unwrap().status, "pending");
    press(&ui, "返回首页");

    // A printer that holds the worker: the printing screen gives up in words after its
    // bound, and the answer, once it comes, still shows the voucher.
    hang.store(true, Ordering::SeqCst);
    ledger().award("H1", "T01", Some(30), None, None, "值班干部").unwrap();
    open(qr_token(1));
    until(&ui, "H1 with points", |ui| {
        ui.window.global::<Kiosk>().get_balance() == 30
    });
    press(&ui, "兑换物品");
    let tea = "物品TEA，30 分";
    if !shows(&ui, tea) {
        press(&ui, "下一页（1/2）");
    }
    press(&ui, tea);
    press(&ui, "确认兑换");
    assert_eq!(ui.screen(), Screen::Printing);
    wait_seconds(61);
    until(&ui, "printing gave up", |ui| ui.screen() == Screen::Problem);
    assert_eq!(k().get_problem_detail(), jifen::ui::PRINTER_SILENT_WORDS);
    hang.store(false, Ordering::SeqCst);
    until(&ui, "the voucher after all", |ui| ui.screen() == Screen::Done);
    assert!(k().get_printed());
    press(&ui, "返回首页");

    // Paper out: the serial stays; once the printer reports ready again, 重新打印 appears
    // on the villager's own screen and prints the voucher there and then.
    fake.set(Condition::PaperOut);
    use_fake.store(true, Ordering::SeqCst);
    ledger().award("H1", "T01", Some(30), None, None, "值班干部").unwrap();
    open(qr_token(1));
    redeem(&ui, tea);
    let waiting = k().get_serial().to_string();
    assert!(!k().get_printed());
    std::thread::sleep(Duration::from_millis(1500));
    ui.pump();
    assert!(!k().get_can_reprint(), "not while the paper is out");
    let jobs_before = fake.jobs().len();
    fake.set(Condition::Ready);
    until(&ui, "重新打印 offered", |ui| {
        ui.window.global::<Kiosk>().get_can_reprint()
    });
    assert_eq!(last_said(), "打印机好了，请点重新打印。");
    press(&ui, "重新打印");
    until(&ui, "printed again", |ui| ui.window.global::<Kiosk>().get_printed());
    assert_eq!(fake.jobs().len(), jobs_before + 1);
    assert_eq!(ledger().voucher(&waiting).unwrap().status, "printed");
    assert!(last_said().starts_with("兑换成功。请取走您的兑换券"), "{}", last_said());
    use_fake.store(false, Ordering::SeqCst);
}
