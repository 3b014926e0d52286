//! Binds the `Kiosk` global of `ui/state.slint` to the worker: callbacks become commands,
//! replies and device events become screens. Runs on the UI thread only; it never touches
//! the database or the printer itself.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::worker::{Command, Reply};
use super::{Entry, HonourRow, Item, Kiosk, KioskWindow, Problem, Screen, VoucherRow};
use crate::app::{AccountView, CatalogueItemView, Identity, RankingRow, SettlementReceipt, VoucherView};
use crate::devices::qr::LineAssembler;
use crate::devices::{DeviceKind, InputEvent};

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
}

impl Adapter {
    pub fn bind(window: &KioskWindow, commands: Sender<Command>) -> Rc<Adapter> {
        let adapter = Rc::new(Adapter {
            window: window.as_weak(),
            commands,
            session: RefCell::new(Session::default()),
            printing_timer: slint::Timer::default(),
        });
        let k = window.global::<Kiosk>();
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
                k.set_clerk_message("正在核对……".into());
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
                    k.set_print_note("请找工作人员帮忙补打".into());
                }
                k.get_serial().to_string()
            });
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
                    k.set_quarter(quarter.into());
                    k.set_honour_village(model(top.iter().map(honour_row)));
                    k.set_honour_grid(model(grid_leaders.iter().map(honour_row)));
                    k.set_rules_plain(model(rules.into_iter().map(SharedString::from)));
                });
            }
            Reply::Account(view, items, greeting, waiting) => {
                self.show_account(&view, items, greeting);
                if waiting > 0 {
                    self.with_kiosk(|k| k.set_account_notice("您上次的兑换券还没打印，现在补打".into()));
                    self.send(Command::ReprintMine(view.household_code.clone()));
                }
            }
            Reply::Reprinted(reports) => {
                let words = match reports.iter().find_map(|r| r.error.as_ref()) {
                    Some(e) => format!("没有补打出来：{e}。请找工作人员帮忙"),
                    None if reports.iter().any(|r| r.unverified) => "已补打，请看一下出纸口；没出来请找工作人员".into(),
                    None => "补打好了，请取走您的兑换券".into(),
                };
                self.with_kiosk(|k| k.set_account_notice(words.into()));
            }
            Reply::Noted => {}
            Reply::UnknownCard => self.problem(Problem::UnknownCard, ""),
            Reply::Redeemed(done) => {
                let (receipt, report) = *done;
                {
                    let mut s = self.session.borrow_mut();
                    s.balance = receipt.balance_after;
                }
                // Committed: the villager hears that it went through, whatever the paper did.
                self.with_kiosk(|k| {
                    k.set_serial(receipt.serial.clone().into());
                    k.set_balance_after(receipt.balance_after as i32);
                    k.set_balance(receipt.balance_after as i32);
                    k.set_printed(report.printed);
                    k.set_ask_came_out(report.unverified);
                    k.set_print_note(report.error.clone().unwrap_or_default().into());
                });
                self.show(Screen::Done);
            }
            Reply::ClerkIn(name) => {
                self.session.borrow_mut().clerk = Some(name.clone());
                self.with_kiosk(|k| {
                    k.set_clerk_name(name.into());
                    k.set_clerk_message(SharedString::new());
                });
                self.send(Command::ClerkData);
                self.show(Screen::ClerkMenu);
            }
            Reply::ClerkRefused { words, locked } => {
                if locked {
                    self.problem(Problem::PinLocked, &words);
                } else {
                    self.with_kiosk(|k| k.set_clerk_message(words.into()));
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
            }
            Reply::Settled(receipt) => {
                let words = format!(
                    "已核销 {}：{} ×{}，{} 分",
                    receipt.serial, receipt.item_name, receipt.qty, receipt.points
                );
                self.session.borrow_mut().settled.push(receipt);
                self.show_settled();
                self.with_kiosk(|k| k.set_clerk_message(words.into()));
            }
            Reply::Done(words) | Reply::Failed(words) => {
                let in_clerk_mode = self.session.borrow().clerk.is_some();
                if in_clerk_mode {
                    self.with_kiosk(|k| k.set_clerk_message(words.into()));
                    self.send(Command::ClerkData);
                } else {
                    self.problem(Problem::Refused, &words);
                }
            }
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
                    self.problem(Problem::Refused, "这是一张兑换券，请交给商家或工作人员核销。");
                }
                None
            }
            InputEvent::DeviceLost { kind, device } => {
                // A lost scanner does not stop anyone: the card reader still works.
                if kind == DeviceKind::CardReader && !is_clerk(screen) {
                    self.problem(Problem::ReaderUnplugged, &device);
                } else {
                    tracing::warn!(%device, "input device lost");
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
            self.with_kiosk(|k| k.set_clerk_message("正在打印积分证明……".into()));
            self.send(Command::Statement(who));
        } else if !is_clerk(screen) && screen != Screen::Printing && screen != Screen::Confirm {
            self.send(Command::Identify { who, card_name });
        }
    }

    fn confirm(&self) {
        let (household, chosen) = {
            let s = self.session.borrow();
            let chosen = self.with_kiosk(|k| k.get_chosen());
            (s.household.clone(), chosen)
        };
        let (Some(household), Some(item)) = (household, chosen) else {
            return self.go_home();
        };
        self.with_kiosk(|k| {
            k.set_serial(SharedString::new());
            k.set_printed(false);
            k.set_ask_came_out(false);
            k.set_print_note(SharedString::new());
        });
        self.show(Screen::Printing);
        let window = self.window.clone();
        self.printing_timer
            .start(slint::TimerMode::SingleShot, PRINTING_SCREEN_BOUND, move || {
                let Some(w) = window.upgrade() else { return };
                let k = w.global::<Kiosk>();
                if k.get_screen() == Screen::Printing {
                    k.set_problem(Problem::Refused);
                    k.set_problem_detail(PRINTER_SILENT_WORDS.into());
                    k.set_screen(Screen::Problem);
                    k.invoke_touch();
                }
            });
        self.send(Command::Redeem {
            household,
            item: item.code.into(),
        });
    }

    fn show_account(&self, view: &AccountView, items: Vec<CatalogueItemView>, greeting: Option<String>) {
        let can_redeem = view.can_redeem;
        // The deduction that explains a balance below zero.
        let cause = view
            .entries
            .iter()
            .find(|e| !can_redeem && e.delta < 0 && e.kind != "redemption");
        let active: Vec<CatalogueItemView> = items.into_iter().filter(|i| i.active).collect();
        self.with_kiosk(|k| {
            k.set_account_notice(SharedString::new());
            let name = greeting.or_else(|| view.head.clone()).unwrap_or_default();
            k.set_head_name(name.into());
            k.set_household(view.household_code.clone().into());
            k.set_grid(view.grid.clone().into());
            k.set_balance(view.balance as i32);
            k.set_earned_month(view.earned_month as i32);
            k.set_earned_quarter(view.earned_quarter as i32);
            k.set_rank(view.rank as i32);
            k.set_rank_in_grid(view.rank_in_grid as i32);
            k.set_households(view.households_in_village as i32);
            k.set_households_in_grid(view.households_in_grid as i32);
            k.set_can_redeem(can_redeem);
            k.set_cause_month(cause.map(|e| e.month.clone()).unwrap_or_default().into());
            k.set_cause_reason(cause.map(|e| e.reason.clone()).unwrap_or_default().into());
            k.set_cause_delta(cause.map_or(0, |e| e.delta as i32));
            k.set_entries(model(view.entries.iter().map(|e| Entry {
                month: e.month.clone().into(),
                delta: e.delta as i32,
                reason: e.reason.clone().into(),
            })));
            k.set_items(model(active.iter().map(|i| item(i, view.balance))));
        });
        {
            let mut s = self.session.borrow_mut();
            s.household = Some(view.household_code.clone());
            s.balance = view.balance;
            s.items = active;
        }
        self.show(Screen::Account);
    }

    fn show_settled(&self) {
        let s = self.session.borrow();
        let rows: Vec<VoucherRow> = s
            .settled
            .iter()
            .map(|r| VoucherRow {
                serial: r.serial.clone().into(),
                text: format!("{}　{} ×{}　{} 分", r.serial, r.item_name, r.qty, r.points).into(),
            })
            .collect();
        let total: i64 = s.settled.iter().map(|r| r.points).sum();
        self.with_kiosk(|k| {
            k.set_settled_now(model(rows.into_iter()));
            k.set_settled_total(total as i32);
        });
    }

    fn go_home(&self) {
        {
            // Nothing of the last household stays on screen or in memory.
            let mut s = self.session.borrow_mut();
            s.household = None;
            s.items.clear();
            s.balance = 0;
        }
        self.with_kiosk(|k| {
            k.set_entries(model(std::iter::empty()));
            k.set_head_name(SharedString::new());
            k.set_cause_reason(SharedString::new());
            k.set_household(SharedString::new());
            k.set_balance(0);
            k.set_account_notice(SharedString::new());
            k.set_ask_came_out(false);
        });
        self.show(Screen::Home);
        self.send(Command::Home);
    }

    fn problem(&self, problem: Problem, detail: &str) {
        self.with_kiosk(|k| {
            k.set_problem(problem);
            k.set_problem_detail(detail.into());
        });
        self.show(Screen::Problem);
    }

    pub fn show(&self, screen: Screen) {
        self.with_kiosk(|k| {
            k.set_screen(screen);
            k.invoke_touch();
        });
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            tracing::error!("the kiosk worker has stopped");
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

fn is_clerk(screen: Screen) -> bool {
    matches!(
        screen,
        Screen::ClerkPin
            | Screen::ClerkMenu
            | Screen::ClerkItems
            | Screen::ClerkVouchers
            | Screen::ClerkSettle
            | Screen::ClerkStatement
            | Screen::ClerkToday
    )
}

fn model<T: Clone + 'static>(rows: impl Iterator<Item = T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(rows.collect::<Vec<T>>()))
}

fn honour_row(r: &RankingRow) -> HonourRow {
    HonourRow {
        rank: r.rank as i32,
        name: r.head.clone().unwrap_or_else(|| r.household_code.clone()).into(),
        grid: r.grid.clone().into(),
        points: r.earned as i32,
    }
}

fn item(i: &CatalogueItemView, balance: i64) -> Item {
    Item {
        code: i.code.clone().into(),
        name: i.name.clone().into(),
        points: i.points_cost as i32,
        stock: i.stock.map_or(-1, |n| n.min(i64::from(i32::MAX)) as i32),
        merchant: i.merchant.clone().unwrap_or_default().into(),
        affordable: i.points_cost <= balance,
        in_stock: i.stock != Some(0),
        active: i.active,
    }
}

fn voucher_row(v: &VoucherView) -> VoucherRow {
    VoucherRow {
        serial: v.serial.clone().into(),
        text: format!(
            "{}　{} ×{}　{} 户　{}",
            v.serial,
            v.item_name,
            v.qty,
            v.household_code,
            v.last_print_error
                .as_deref()
                .unwrap_or(v.issued_at.get(..16).unwrap_or(&v.issued_at))
        )
        .into(),
    }
}
