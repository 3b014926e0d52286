//! The worker's replies turned into screens, notices and speech.

use slint::SharedString;

use super::rows::{honour_row, item, model, proxy_row, voucher_row};
use super::{set_account_notice, set_print_note, Adapter};
use crate::ui::lang::{trf, Said};
use crate::ui::words::quarter_words;
use crate::ui::worker::{Command, Reply};
use crate::ui::{Problem, Screen};
use crate::voice::Scene;

/// Said on the account screen when a voucher of the household waits for paper.
const REPRINT_NOTICE: &str = "您上次的兑换券还没打印，现在补打";

/// The township's answer to the household's question, said when its card is next read.
fn answer_notice(view: &crate::app::AccountView, answer: &crate::app::DisputeView) -> Said {
    let reason = view
        .entries
        .iter()
        .find(|e| e.id == answer.entry_id)
        .map_or(String::new(), |e| e.reason.clone());
    let words = super::rows::dispute_words(answer);
    Said {
        shown: trf("您对「{}」的疑问，{}", &[&reason, &words.shown]),
        said: format!("您对「{reason}」的疑问，{}", words.said),
    }
}

impl Adapter {
    /// A reply from the worker, on the UI thread.
    pub fn on_reply(&self, reply: Reply) {
        match reply {
            Reply::Home {
                village,
                quarter,
                top,
                grid_leaders,
                rules,
                stars,
                star_year,
                sponsors,
            } => {
                self.with_kiosk(|k| {
                    k.set_sponsors(sponsors.join("　").into());
                    k.set_sponsors_short(first_few(&sponsors, 2).into());
                    k.set_star_households_short(first_few(&stars, 4).into());
                    k.set_star_year(star_year);
                    k.set_star_households(stars.join("　").into());
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
                undelivered,
            } => {
                self.with_kiosk(|k| {
                    k.set_sync_note(sync_note.into());
                    k.set_items(model(items.iter().map(|i| item(i, i64::MAX))));
                    k.set_pending_vouchers(model(pending.iter().map(voucher_row)));
                    k.set_today(model(today.iter().map(voucher_row)));
                    k.set_events_waiting(events_waiting as i32);
                    k.set_undelivered(model(undelivered.iter().map(proxy_row)));
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
            Reply::ProxyAccount {
                household,
                head,
                balance,
                items,
                deliverers,
            } => {
                self.with_kiosk(|k| {
                    k.set_proxy_household(trf("为 {}（{}）代兑换，积分 {} 分", &[&household, &head, &balance]).into());
                    k.set_proxy_items(model(items.iter().map(|i| item(i, balance))));
                    k.set_proxy_deliverers(model(deliverers.into_iter().map(slint::SharedString::from)));
                    k.set_proxy_deliverer(0);
                });
            }
        }
    }
}

/// The first `n` names, and how many there are when some are left out (a short screen).
fn first_few(names: &[String], n: usize) -> String {
    let shown = names.iter().take(n).cloned().collect::<Vec<_>>().join("　");
    if names.len() > n {
        trf("{} 等 {} 位", &[&shown, &names.len()])
    } else {
        shown
    }
}
