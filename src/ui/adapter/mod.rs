//! Binds the `Kiosk` global of `ui/state.slint` to the worker: callbacks become commands,
//! replies and device events become screens. Runs on the UI thread only; it never touches
//! the database or the printer itself. `screens.rs` fills the villager's screens,
//! `voice.rs` speaks them, `rows.rs` turns the app's views into the screens' rows.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use slint::{ComponentHandle, SharedString};

mod rows;
mod screens;
mod voice;

use rows::{honour_row, is_clerk, item, model, voucher_row};

use super::lang::{tr, trf, Said};
use super::words::quarter_words;
use super::worker::{Command, Reply};
use super::{Kiosk, KioskWindow, Problem, Screen};
use crate::app::{CatalogueItemView, Identity, SettlementReceipt};
use crate::devices::qr::LineAssembler;
use crate::devices::{DeviceKind, InputEvent};
use crate::voice::{Scene, Speaker};

/// What the UI thread remembers between events.
#[derive(Default)]
struct Session {
    household: Option<String>,
    balance: i64,
    items: Vec<CatalogueItemView>,
    clerk: Option<String>,
    pin: String,
    settled: Vec<SettlementReceipt>,
    /// Keys typed by a keyboard-wedge scanner, assembled into lines.
    wedge: LineAssembler,
}

/// How long the printing screen waits for the worker before it says so in words (the
/// worker's own bound, after which the kiosk is restarted, is `watchdog::WORKER_BOUND`).
pub const PRINTING_SCREEN_BOUND: Duration = Duration::from_secs(60);

/// The UI side of the kiosk: the window, the channels, and what the session knows.
pub struct Adapter {
    window: slint::Weak<KioskWindow>,
    commands: Sender<Command>,
    session: RefCell<Session>,
    printing_timer: slint::Timer,
    speaker: Speaker,
}

impl Adapter {
    pub fn bind(window: &KioskWindow, commands: Sender<Command>, speaker: Speaker) -> Rc<Adapter> {
        let adapter = Rc::new(Adapter {
            window: window.as_weak(),
            commands,
            session: RefCell::new(Session::default()),
            printing_timer: slint::Timer::default(),
            speaker,
        });
        let k = window.global::<Kiosk>();
        adapter.show_voice_note();
        let a = adapter.clone();
        k.on_say_again(move || a.speaker.say_again());
        let a = adapter.clone();
        k.on_idle_warning(move || a.speak());
        let a = adapter.clone();
        k.on_call_help(move || a.call_help());
        let a = adapter.clone();
        k.on_pressed(move || a.speaker.click());
        let a = adapter.clone();
        k.on_another(move || a.another());
        let a = adapter.clone();
        k.on_reprint_mine(move || a.reprint_mine());
        let a = adapter.clone();
        k.on_open_entry(move |entry| a.open_entry(entry));
        let a = adapter.clone();
        k.on_dispute_question(move || a.speak());
        let a = adapter.clone();
        k.on_dispute_confirmed(move || a.dispute_confirmed());
        let a = adapter.clone();
        k.on_voice_toggle(move || {
            a.speaker.set_enabled(!a.speaker.enabled());
            a.voice_changed();
        });
        let a = adapter.clone();
        k.on_voice_volume(move |step| {
            let volume = (i32::from(a.speaker.volume()) + step).clamp(0, 100);
            a.speaker.set_volume(volume as u8);
            a.voice_changed();
        });
        let a = adapter.clone();
        k.on_go_home(move || a.go_home());
        let a = adapter.clone();
        k.on_back_to_account(move || a.show(Screen::Account));
        let a = adapter.clone();
        k.on_redeem_start(move || a.show(Screen::Catalogue));
        let a = adapter.clone();
        k.on_choose(move |item| {
            a.with_kiosk(|k| k.set_chosen(item));
            a.show(Screen::Confirm);
        });
        let a = adapter.clone();
        k.on_confirm(move || a.confirm());
        let a = adapter.clone();
        k.on_clerk_start(move || {
            a.session.borrow_mut().pin.clear();
            a.with_kiosk(|k| {
                k.set_pin_length(0);
                k.set_clerk_message(SharedString::new());
            });
            a.show(Screen::ClerkPin);
        });
        let a = adapter.clone();
        k.on_pin_digit(move |d| {
            let len = {
                let mut s = a.session.borrow_mut();
                if s.pin.len() < 12 {
                    s.pin.push_str(&d);
                }
                s.pin.len()
            };
            a.with_kiosk(|k| k.set_pin_length(len as i32));
        });
        let a = adapter.clone();
        k.on_pin_clear(move || {
            a.session.borrow_mut().pin.clear();
            a.with_kiosk(|k| k.set_pin_length(0));
        });
        let a = adapter.clone();
        k.on_pin_enter(move || {
            let pin = std::mem::take(&mut a.session.borrow_mut().pin);
            a.with_kiosk(|k| {
                k.set_pin_length(0);
                k.set_clerk_message(tr("正在核对……").into());
            });
            a.send(Command::UnlockClerk(pin));
        });
        let a = adapter.clone();
        k.on_clerk_open(move |screen| {
            a.with_kiosk(|k| k.set_clerk_message(SharedString::new()));
            if screen == Screen::ClerkSettle {
                a.session.borrow_mut().settled.clear();
                a.show_settled();
            }
            a.send(Command::ClerkData);
            a.show(screen);
        });
        let a = adapter.clone();
        k.on_clerk_lock(move || {
            a.session.borrow_mut().clerk = None;
            a.send(Command::LockClerk);
            a.go_home();
        });
        let a = adapter.clone();
        k.on_restock(move |code, add| {
            a.send(Command::Restock {
                code: code.into(),
                add: add.into(),
            });
        });
        let a = adapter.clone();
        k.on_set_active(move |code, active| {
            a.send(Command::SetActive {
                code: code.into(),
                active,
            })
        });
        let a = adapter.clone();
        k.on_reprint(move |serial| a.send(Command::Reprint(serial.into())));
        let a = adapter.clone();
        k.on_print_slip(move || {
            let settled = std::mem::take(&mut a.session.borrow_mut().settled);
            a.show_settled();
            a.send(Command::PrintSlip { settled });
        });
        let a = adapter.clone();
        k.on_test_page(move || a.send(Command::TestPage));
        let a = adapter.clone();
        k.on_came_out(move |came_out| {
            let serial = a.with_kiosk(|k| {
                k.set_ask_came_out(false);
                k.set_printed(came_out);
                if !came_out {
                    set_print_note(&k, &Said::new(NOT_OUT_WORDS, &[]));
                }
                k.get_serial().to_string()
            });
            if !came_out {
                a.say(&Scene::Notice(NOT_OUT_WORDS.into()));
            }
            if let Some(serial) = serial {
                a.send(Command::CameOut { serial, came_out });
            }
        });
        let a = adapter.clone();
        k.on_key_typed(move |text| {
            let events: Vec<InputEvent> = {
                let mut s = a.session.borrow_mut();
                text.chars().flat_map(|c| s.wedge.push_key(c)).collect()
            };
            for e in events {
                a.on_device(e);
            }
        });
        adapter.send(Command::Home);
        adapter
    }

    /// A reply from the worker, on the UI thread.
    pub fn on_reply(&self, reply: Reply) {
        match reply {
            Reply::Home {
                village,
                quarter,
                top,
                grid_leaders,
                rules,
            } => {
                self.with_kiosk(|k| {
                    k.set_village_name(village.into());
                    k.set_quarter(quarter_words(&quarter).into());
                    k.set_honour_village(model(top.iter().map(honour_row)));
                    k.set_honour_grid(model(grid_leaders.iter().map(honour_row)));
                    k.set_rules_plain(model(rules.into_iter().map(SharedString::from)));
                });
            }
            Reply::Account(view, items, greeting, waiting, answers) => {
                let notice = match answers.first() {
                    Some(answer) => answer_notice(&view, answer),
                    None if waiting > 0 => Said::new(REPRINT_NOTICE, &[]),
                    None => Said::default(),
                };
                self.show_account(&view, items, greeting, &notice);
                if waiting > 0 {
                    self.send(Command::ReprintMine(view.household_code.clone()));
                }
            }
            Reply::PrinterReady(serial) => self.offer_reprint(&serial),
            Reply::EntryPhotos { entry, photos, away } => self.entry_photos(&entry, &photos, away),
            Reply::DisputeOpened { entry, dispute } => self.dispute_opened(&entry, &dispute),
            Reply::Reprinted(reports) if self.with_kiosk(|k| k.get_screen()) == Some(Screen::Done) => {
                self.reprinted_on_done(&reports)
            }
            Reply::Reprinted(reports) => {
                let words = match reports.iter().find_map(|r| r.error.as_ref()) {
                    Some(e) => Said::new("没有补打出来：{}。请找工作人员帮忙", &[e]),
                    None if reports.iter().any(|r| r.unverified) => {
                        Said::new("已补打，请看一下出纸口；没出来请找工作人员", &[])
                    }
                    None => Said::new("补打好了，请取走您的兑换券", &[]),
                };
                self.with_kiosk(|k| set_account_notice(&k, &words));
                self.say(&Scene::Notice(words.said));
            }
            Reply::Noted => {}
            Reply::UnknownCard => self.problem(Problem::UnknownCard, &Said::default()),
            Reply::Redeemed(done) => {
                let (receipt, report) = *done;
                {
                    let mut s = self.session.borrow_mut();
                    s.balance = receipt.balance_after;
                }
                // Committed: the villager hears that it went through, whatever the paper did;
                // staff hear the chime when the paper did not come out.
                if !report.printed && !report.unverified {
                    self.speaker.chime();
                }
                self.with_kiosk(|k| {
                    k.set_serial(receipt.serial.clone().into());
                    k.set_balance_after(receipt.balance_after as i32);
                    k.set_balance(receipt.balance_after as i32);
                    k.set_printed(report.printed);
                    k.set_ask_came_out(report.unverified);
                    set_print_note(&k, &Said::words(report.error.as_deref().unwrap_or_default()));
                });
                self.show(Screen::Done);
            }
            Reply::ClerkIn(name) => {
                self.session.borrow_mut().clerk = Some(name.clone());
                self.with_kiosk(|k| {
                    k.set_clerk_name(name.into());
                    k.set_clerk_message(SharedString::new());
                });
                self.show_voice_note();
                self.send(Command::ClerkData);
                self.show(Screen::ClerkMenu);
            }
            Reply::ClerkRefused { words, locked } => {
                if locked {
                    self.problem(Problem::PinLocked, &words);
                } else {
                    self.with_kiosk(|k| k.set_clerk_message(words.shown.into()));
                }
            }
            Reply::ClerkData {
                items,
                pending,
                today,
                events_waiting,
                sync_note,
            } => {
                self.with_kiosk(|k| {
                    k.set_sync_note(sync_note.into());
                    k.set_items(model(items.iter().map(|i| item(i, i64::MAX))));
                    k.set_pending_vouchers(model(pending.iter().map(voucher_row)));
                    k.set_today(model(today.iter().map(voucher_row)));
                    k.set_events_waiting(events_waiting as i32);
                });
                self.show_voice_note();
            }
            Reply::Settled(receipt) => {
                let words = trf(
                    "已核销 {}：{} ×{}，{} 分",
                    &[&receipt.serial, &receipt.item_name, &receipt.qty, &receipt.points],
                );
                self.session.borrow_mut().settled.push(receipt);
                self.show_settled();
                self.with_kiosk(|k| k.set_clerk_message(words.into()));
            }
            Reply::Done(words) => self.clerk_reply(Said {
                shown: words,
                ..Said::default()
            }),
            Reply::Failed(words) => self.clerk_reply(words),
        }
    }

    /// A card, a scan or a device notice, on the UI thread.
    pub fn on_device(&self, event: InputEvent) {
        let screen = self.with_kiosk(|k| k.get_screen()).unwrap_or(Screen::Home);
        let mut card_name = None;
        let identity = match event {
            InputEvent::CardRead { id_number, name } => {
                card_name = Some(name);
                Some(Identity::Card(id_number))
            }
            InputEvent::HouseholdCard { token } => Some(Identity::QrToken(token)),
            InputEvent::VoucherScanned { payload } => {
                if screen == Screen::ClerkSettle {
                    self.send(Command::Settle { presented: payload });
                } else if !is_clerk(screen) {
                    self.problem(
                        Problem::Refused,
                        &Said::new("这是一张兑换券，请交给商家或工作人员核销。", &[]),
                    );
                }
                None
            }
            InputEvent::DeviceLost { kind, device } => {
                // A lost scanner does not stop anyone: the card reader still works.
                // The device's path is for the log and the clerk, not the villager.
                tracing::warn!(%device, "input device lost");
                if kind == DeviceKind::CardReader && !is_clerk(screen) {
                    self.problem(Problem::ReaderUnplugged, &Said::default());
                }
                None
            }
            InputEvent::DeviceBack { .. } => {
                if screen == Screen::Problem {
                    self.go_home();
                }
                None
            }
            InputEvent::Error { device, message } => {
                tracing::warn!(%device, %message, "device error");
                None
            }
        };
        let Some(who) = identity else { return };
        if screen == Screen::ClerkStatement {
            self.with_kiosk(|k| k.set_clerk_message(tr("正在打印积分证明……").into()));
            self.send(Command::Statement(who));
        } else if !is_clerk(screen) && screen != Screen::Printing && screen != Screen::Confirm {
            // Heard at once: the card was read (the account follows in a moment).
            self.speaker.chime();
            self.send(Command::Identify { who, card_name });
        }
    }

    pub fn show(&self, screen: Screen) {
        self.with_kiosk(|k| {
            k.set_screen(screen);
            k.invoke_touch();
        });
        self.speak();
    }

    /// How the worker fetches photos older than the kiosk's cache.
    pub fn give_photo_source(&self, source: Box<dyn crate::app::PhotoFetcher>) {
        self.send(Command::PhotoSource(super::worker::PhotoSource(source)));
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            tracing::error!("the kiosk worker has stopped");
        }
    }

    /// A worker's reply: clerk mode shows it; on a villager's screen a refusal is a problem.
    fn clerk_reply(&self, words: Said) {
        let in_clerk_mode = self.session.borrow().clerk.is_some();
        if in_clerk_mode {
            self.with_kiosk(|k| k.set_clerk_message(words.shown.into()));
            self.send(Command::ClerkData);
        } else {
            self.problem(Problem::Refused, &words);
        }
    }

    fn with_kiosk<R>(&self, f: impl FnOnce(Kiosk<'_>) -> R) -> Option<R> {
        self.window.upgrade().map(|w| f(w.global::<Kiosk>()))
    }
}

/// Said on the account screen when a voucher of the household waits for paper.
const REPRINT_NOTICE: &str = "您上次的兑换券还没打印，现在补打";

/// Said when the villager answers 没出来.
const NOT_OUT_WORDS: &str = "请找工作人员帮忙补打";

/// Said when the printing screen has waited `PRINTING_SCREEN_BOUND` for the worker.
pub const PRINTER_SILENT_WORDS: &str =
    "打印机没有响应。如果积分已经扣了，券号已保留，工作人员会为您补打。请找工作人员帮忙。";

/// Drains the worker's replies and the devices' events into the adapter.
pub fn pump(adapter: &Adapter, replies: &Receiver<Reply>, devices: &Receiver<InputEvent>) {
    while let Ok(reply) = replies.try_recv() {
        adapter.on_reply(reply);
    }
    while let Ok(event) = devices.try_recv() {
        adapter.on_device(event);
    }
}

/// The three texts a villager's screen shows and the voice says, each set in both forms.
pub(super) fn set_print_note(k: &Kiosk<'_>, words: &Said) {
    k.set_print_note(words.shown.as_str().into());
    k.set_print_note_said(words.said.as_str().into());
}

/// The township's answer to the household's question, said when its card is next read.
fn answer_notice(view: &crate::app::AccountView, answer: &crate::app::DisputeView) -> Said {
    let reason = view
        .entries
        .iter()
        .find(|e| e.id == answer.entry_id)
        .map_or(String::new(), |e| e.reason.clone());
    let words = rows::dispute_words(answer);
    Said {
        shown: trf("您对「{}」的疑问，{}", &[&reason, &words.shown]),
        said: format!("您对「{reason}」的疑问，{}", words.said),
    }
}

pub(super) fn set_account_notice(k: &Kiosk<'_>, words: &Said) {
    k.set_account_notice(words.shown.as_str().into());
    k.set_account_notice_said(words.said.as_str().into());
}

pub(super) fn set_problem_detail(k: &Kiosk<'_>, words: &Said) {
    k.set_problem_detail(words.shown.as_str().into());
    k.set_problem_detail_said(words.said.as_str().into());
}
