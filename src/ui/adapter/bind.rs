//! The `Kiosk` global's callbacks bound to commands: what each touch asks the worker.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::Sender;

use super::{set_print_note, Adapter, Session};
use crate::devices::InputEvent;
use crate::ui::lang::{tr, Said};
use crate::ui::worker::Command;
use crate::ui::{Kiosk, KioskWindow, Screen};
use crate::voice::{Scene, Speaker};
use slint::{ComponentHandle, SharedString};

/// Said when the villager answers 没出来.
const NOT_OUT_WORDS: &str = "请找工作人员帮忙补打";

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
            if screen == Screen::ClerkProxy {
                a.with_kiosk(|k| {
                    k.set_proxy_household(SharedString::new());
                    k.set_proxy_items(super::rows::model(std::iter::empty::<crate::ui::Item>()));
                });
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
        k.on_proxy_delivered(move |serial| a.send(Command::ProxyDelivered(serial.into())));
        let a = adapter.clone();
        k.on_proxy_redeem(move |code| {
            let deliverer = a
                .with_kiosk(|k| {
                    k.set_proxy_household(SharedString::new());
                    k.set_proxy_items(super::rows::model(std::iter::empty::<crate::ui::Item>()));
                    k.set_clerk_message(tr("正在代兑换……").into());
                    usize::try_from(k.get_proxy_deliverer()).unwrap_or(0)
                })
                .unwrap_or(0);
            a.send(Command::ProxyRedeem {
                item: code.into(),
                deliverer,
            });
        });
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
}
