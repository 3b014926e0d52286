//! The villager's screens as the adapter fills them: the account, the catalogue again
//! (再换一样), printing with its bound, home (forgetting the household), a problem, and
//! the clerk's running list of settled vouchers.

use slint::{ComponentHandle, SharedString};

use super::rows::{dispute_words, entry_row, image_of, item, model};
use super::{
    set_account_notice, set_print_note, set_problem_detail, Adapter, PRINTER_SILENT_WORDS, PRINTING_SCREEN_BOUND,
};
use slint::Model;

use crate::app::{AccountView, CatalogueItemView, DisputeView};
use crate::ui::lang::{tr, trf, Said};
use crate::ui::words::month_words;
use crate::ui::worker::Command;
use crate::ui::{Entry, Item, Kiosk, Problem, Screen, VoucherRow};
use crate::voice::script;

/// Said when the printer is back while a voucher that did not print is on screen.
const PRINTER_BACK_WORDS: &str = "打印机好了，请点重新打印。";
/// Shown while the voucher is printed again.
const REPRINTING_WORDS: &str = "正在重新打印……";

/// Shown while an entry's photos are read (or fetched from the township).
const PHOTOS_COMING_WORDS: &str = "正在取照片……";
/// Shown when an entry's photos are at the township and the link is down.
const PHOTOS_AWAY_WORDS: &str = "照片在乡镇，联网后可以看";

impl Adapter {
    /// An entry opened from the account: shown at once, its photos as they come.
    pub(super) fn open_entry(&self, entry: Entry) {
        let id = entry.id.to_string();
        let has_photos = entry.photos > 0;
        self.with_kiosk(|k| {
            k.set_opened_entry(entry);
            k.set_entry_photos(model(std::iter::empty()));
            k.set_entry_photo_note(tr(PHOTOS_COMING_WORDS).into());
            k.set_dispute_asking(false);
        });
        self.show(Screen::Entry);
        if has_photos {
            self.send(Command::EntryPhotos(id));
        }
    }

    pub(super) fn entry_photos(&self, entry: &str, photos: &[Vec<u8>], away: usize) {
        let images: Vec<slint::Image> = photos
            .iter()
            .filter_map(|p| {
                image_of(p)
                    .map_err(|e| tracing::warn!(error = %e, "evidence photo not shown"))
                    .ok()
            })
            .collect();
        self.with_kiosk(|k| {
            if k.get_opened_entry().id != entry {
                return;
            }
            let note = if images.is_empty() && away > 0 {
                tr(PHOTOS_AWAY_WORDS)
            } else {
                String::new()
            };
            k.set_entry_photo_note(note.into());
            k.set_entry_photos(model(images.into_iter()));
        });
    }

    /// 我有疑问 confirmed: sent for the household at the screen.
    pub(super) fn dispute_confirmed(&self) {
        let household = self.session.borrow().household.clone();
        let entry = self.with_kiosk(|k| k.get_opened_entry().id.to_string());
        if let (Some(household), Some(entry)) = (household, entry) {
            self.send(Command::OpenDispute { household, entry });
        }
    }

    /// The dispute is recorded: the entry says so on screen, and aloud.
    pub(super) fn dispute_opened(&self, entry: &str, dispute: &DisputeView) {
        let words = dispute_words(dispute);
        let update = |e: &mut Entry| {
            e.asked = dispute.state == "open";
            e.dispute = words.shown.as_str().into();
            e.dispute_said = words.said.as_str().into();
        };
        self.with_kiosk(|k| {
            let mut opened = k.get_opened_entry();
            if opened.id == entry {
                update(&mut opened);
                k.set_opened_entry(opened);
            }
            let rows = k.get_entries();
            for i in 0..rows.row_count() {
                if let Some(mut row) = rows.row_data(i).filter(|r| r.id == entry) {
                    update(&mut row);
                    rows.set_row_data(i, row);
                }
            }
        });
        self.say(&crate::voice::Scene::Notice(words.said));
    }

    pub(super) fn confirm(&self) {
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
            set_print_note(&k, &Said::default());
            k.set_can_reprint(false);
        });
        self.show(Screen::Printing);
        let window = self.window.clone();
        let speaker = self.speaker.clone();
        self.printing_timer
            .start(slint::TimerMode::SingleShot, PRINTING_SCREEN_BOUND, move || {
                let Some(w) = window.upgrade() else { return };
                let k = w.global::<Kiosk>();
                if k.get_screen() == Screen::Printing {
                    k.set_problem(Problem::Refused);
                    set_problem_detail(&k, &Said::new(PRINTER_SILENT_WORDS, &[]));
                    k.set_screen(Screen::Problem);
                    k.invoke_touch();
                    speaker.say(script(&crate::ui::speech::scene(&k)));
                }
            });
        self.send(Command::Redeem {
            household,
            item: item.code.into(),
        });
    }

    /// `notice`: a line the account screen adds (a voucher being printed again), said with it.
    pub(super) fn show_account(
        &self,
        view: &AccountView,
        items: Vec<CatalogueItemView>,
        greeting: Option<String>,
        notice: &Said,
    ) {
        let can_redeem = view.can_redeem;
        // The deduction that explains a balance below zero.
        let cause = view
            .entries
            .iter()
            .find(|e| !can_redeem && e.delta < 0 && e.kind != "redemption");
        let active: Vec<CatalogueItemView> = items.into_iter().filter(|i| i.active).collect();
        self.with_kiosk(|k| {
            set_account_notice(&k, notice);
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
            k.set_cause_month(cause.map(|e| month_words(&e.month)).unwrap_or_default().into());
            k.set_cause_reason(cause.map(|e| e.reason.clone()).unwrap_or_default().into());
            k.set_cause_delta(cause.map_or(0, |e| e.delta as i32));
            k.set_entries(model(view.entries.iter().map(entry_row)));
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

    /// The printer is ready again while the voucher that did not print is on screen.
    pub(super) fn offer_reprint(&self, serial: &str) {
        let on_screen = self.with_kiosk(|k| {
            let here = k.get_screen() == Screen::Done && k.get_serial() == serial && !k.get_printed();
            if here {
                k.set_can_reprint(true);
            }
            here
        });
        if on_screen == Some(true) {
            self.say(&crate::voice::Scene::Notice(PRINTER_BACK_WORDS.into()));
        }
    }

    /// 重新打印: the household's vouchers that did not print, printed now.
    pub(super) fn reprint_mine(&self) {
        let Some(household) = self.session.borrow().household.clone() else {
            return self.go_home();
        };
        self.with_kiosk(|k| {
            k.set_can_reprint(false);
            set_print_note(&k, &Said::new(REPRINTING_WORDS, &[]));
        });
        self.send(Command::ReprintMine(household));
    }

    /// The answer to 重新打印, on the done screen: the voucher is now out (or why not).
    pub(super) fn reprinted_on_done(&self, reports: &[crate::app::PrintReport]) {
        match reports.iter().find_map(|r| r.error.clone()) {
            Some(words) => {
                self.with_kiosk(|k| set_print_note(&k, &Said::words(&words)));
                let again = Said::new("还是没有打印出来：{}。请找工作人员帮忙", &[&words]);
                self.say(&crate::voice::Scene::Notice(again.said));
            }
            None => {
                let unverified = reports.iter().any(|r| r.unverified);
                self.with_kiosk(|k| {
                    set_print_note(&k, &Said::default());
                    k.set_printed(!unverified);
                    k.set_ask_came_out(unverified);
                    k.invoke_touch();
                });
                self.speak();
            }
        }
    }

    /// 再换一样: the catalogue again for the same household, priced against what is left.
    pub(super) fn another(&self) {
        let (balance, items) = {
            let s = self.session.borrow();
            if s.household.is_none() {
                drop(s);
                return self.go_home();
            }
            (
                s.balance,
                s.items.iter().map(|i| item(i, s.balance)).collect::<Vec<Item>>(),
            )
        };
        self.with_kiosk(|k| {
            k.set_balance(balance as i32);
            k.set_items(model(items.into_iter()));
        });
        self.show(Screen::Catalogue);
    }

    pub(super) fn go_home(&self) {
        {
            // Nothing of the last household stays on screen or in memory.
            let mut s = self.session.borrow_mut();
            s.household = None;
            s.items.clear();
            s.balance = 0;
        }
        self.with_kiosk(|k| {
            k.set_entries(model(std::iter::empty()));
            k.set_opened_entry(Entry::default());
            k.set_entry_photos(model(std::iter::empty()));
            k.set_dispute_asking(false);
            k.set_head_name(SharedString::new());
            k.set_cause_reason(SharedString::new());
            k.set_household(SharedString::new());
            k.set_balance(0);
            set_account_notice(&k, &Said::default());
            k.set_ask_came_out(false);
            k.set_help_called(false);
            k.set_can_reprint(false);
        });
        self.show(Screen::Home);
        self.send(Command::Home);
    }

    pub(super) fn problem(&self, problem: Problem, detail: &Said) {
        self.with_kiosk(|k| {
            k.set_problem(problem);
            set_problem_detail(&k, detail);
        });
        self.show(Screen::Problem);
    }

    pub(super) fn show_settled(&self) {
        let s = self.session.borrow();
        let rows: Vec<VoucherRow> = s
            .settled
            .iter()
            .map(|r| VoucherRow {
                serial: r.serial.clone().into(),
                text: trf("{}　{} ×{}　{} 分", &[&r.serial, &r.item_name, &r.qty, &r.points]).into(),
            })
            .collect();
        let total: i64 = s.settled.iter().map(|r| r.points).sum();
        self.with_kiosk(|k| {
            k.set_settled_now(model(rows.into_iter()));
            k.set_settled_total(total as i32);
        });
    }
}
