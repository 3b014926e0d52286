//! Binds the `Kiosk` global of `ui/state.slint` to the worker: callbacks become commands,
//! replies and device events become screens. Runs on the UI thread only; it never touches
//! the database or the printer itself. `screens.rs` fills the villager's screens,
//! `voice.rs` speaks them, `rows.rs` turns the app's views into the screens' rows.

use std::cell::RefCell;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use slint::ComponentHandle;

mod bind;
mod replies;
mod rows;
mod screens;
mod voice;

use rows::is_clerk;

use super::lang::{tr, Said};
use super::worker::{Command, Reply};
use super::{Kiosk, KioskWindow, Problem, Screen};
use crate::app::{CatalogueItemView, Identity, SettlementReceipt};
use crate::devices::qr::LineAssembler;
use crate::devices::{DeviceKind, InputEvent};
use crate::voice::Speaker;

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
            InputEvent::IdNumberTyped => {
                if !is_clerk(screen) {
                    self.problem(
                        Problem::Refused,
                        &Said::new("请把身份证放在读卡器上，或扫描户卡二维码。", &[]),
                    );
                }
                None
            }
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
        } else if screen == Screen::ClerkProxy {
            self.with_kiosk(|k| k.set_clerk_message(slint::SharedString::new()));
            self.send(Command::ProxyOpen(who));
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

pub(super) fn set_account_notice(k: &Kiosk<'_>, words: &Said) {
    k.set_account_notice(words.shown.as_str().into());
    k.set_account_notice_said(words.said.as_str().into());
}

pub(super) fn set_problem_detail(k: &Kiosk<'_>, words: &Said) {
    k.set_problem_detail(words.shown.as_str().into());
    k.set_problem_detail_said(words.said.as_str().into());
}
