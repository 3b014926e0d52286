//! The screen on show, described for the voice: reads the `Kiosk` global and names the
//! facts the screen shows, so what is said is always what is drawn.

use slint::Model;

use super::{Kiosk, Problem, Screen};
use crate::voice::{Outcome, ProblemKind, Scene};

/// 我有疑问 was tapped: the question on screen, said with the buttons' words.
pub const DISPUTE_QUESTION_SAID: &str =
    "对这条积分有疑问吗？村里会核实，七天内答复。有疑问请点：是，我有疑问。不用就点：不用了。";

pub fn scene(k: &Kiosk<'_>) -> Scene {
    if k.get_still_there() {
        return Scene::StillThere;
    }
    match k.get_screen() {
        Screen::Home => Scene::Home,
        Screen::Account => {
            let name = k.get_head_name().to_string();
            let cause = k.get_cause_reason().to_string();
            Scene::Account {
                // A masked name (张*三) is not read out; the form of address (张大爷) is.
                name: (!name.is_empty() && !name.contains('*')).then_some(name),
                balance: i64::from(k.get_balance()),
                can_redeem: k.get_can_redeem(),
                cause: (!cause.is_empty()).then(|| (cause, i64::from(k.get_cause_delta()))),
                notice: k.get_account_notice_said().to_string(),
            }
        }
        Screen::Entry => {
            let entry = k.get_opened_entry();
            if k.get_dispute_asking() {
                return Scene::Notice(DISPUTE_QUESTION_SAID.to_string());
            }
            Scene::Entry {
                delta: i64::from(entry.delta),
                reason: entry.reason.to_string(),
                month: entry.month.to_string(),
                dispute: entry.dispute_said.to_string(),
            }
        }
        Screen::Catalogue => {
            let items = k.get_items();
            Scene::Catalogue {
                balance: i64::from(k.get_balance()),
                affordable: items.iter().filter(|i| i.affordable && i.in_stock && i.active).count(),
            }
        }
        Screen::Confirm => {
            let item = k.get_chosen();
            Scene::Confirm {
                item: item.name.to_string(),
                points: i64::from(item.points),
                balance_after: i64::from(k.get_balance() - item.points),
            }
        }
        Screen::Printing => Scene::Printing,
        Screen::Done => {
            let item = k.get_chosen();
            Scene::Done {
                item: item.name.to_string(),
                merchant: item.merchant.to_string(),
                serial: k.get_serial().to_string(),
                balance_after: i64::from(k.get_balance_after()),
                outcome: if k.get_printed() {
                    Outcome::Printed
                } else if k.get_ask_came_out() {
                    Outcome::Ask
                } else {
                    Outcome::Kept
                },
                note: k.get_print_note_said().to_string(),
            }
        }
        Screen::Problem => Scene::Problem {
            kind: match k.get_problem() {
                Problem::UnknownCard => ProblemKind::UnknownCard,
                Problem::Printer => ProblemKind::Printer,
                Problem::ReaderUnplugged => ProblemKind::ReaderUnplugged,
                Problem::Refused => ProblemKind::Refused,
                Problem::PinLocked => ProblemKind::PinLocked,
            },
            detail: k.get_problem_detail_said().to_string(),
            serial: k.get_serial().to_string(),
        },
        _ => Scene::Silent,
    }
}
