//! What each villager screen says aloud (DESIGN.md §10): the same facts as the screen, in
//! spoken sentences, with the button to press named as it is written on it. The front end
//! describes its screen as a [`Scene`]; nothing here knows how the screen is drawn.

use super::utterance::Utterance;

/// A villager screen and the facts it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scene {
    Home,
    Account {
        /// The form of address from the card (张大爷), or the head's name when it is not masked.
        name: Option<String>,
        balance: i64,
        can_redeem: bool,
        /// The deduction that took the balance below zero: its reason and points.
        cause: Option<(String, i64)>,
        /// A line the screen adds (a voucher being printed again).
        notice: String,
    },
    /// One entry of the account, opened.
    Entry {
        delta: i64,
        reason: String,
        /// In words, 2026年11月.
        month: String,
        /// The household's dispute of it and its answer, as said; empty when none.
        dispute: String,
    },
    Catalogue {
        balance: i64,
        affordable: usize,
    },
    Confirm {
        item: String,
        points: i64,
        balance_after: i64,
    },
    Printing,
    Done {
        item: String,
        merchant: String,
        serial: String,
        balance_after: i64,
        outcome: Outcome,
        /// The printer's words when the voucher has not come out.
        note: String,
    },
    Problem {
        kind: ProblemKind,
        /// The detail the screen shows (a sentence, never a device path).
        detail: String,
        serial: String,
    },
    /// A line said on its own, on the screen that is already there.
    Notice(String),
    /// 还要继续吗？: the screen is about to go home by itself.
    StillThere,
    /// 请工作人员帮忙 was pressed.
    HelpComing,
    /// Clerk screens are not spoken.
    Silent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Printed,
    /// The printer cannot report: the villager is asked whether the voucher came out.
    Ask,
    /// The points are spent and the serial kept; staff print it again.
    Kept,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    UnknownCard,
    Printer,
    ReaderUnplugged,
    Refused,
    PinLocked,
}

/// The words of a scene.
pub fn script(scene: &Scene) -> Utterance {
    let u = Utterance::new();
    match scene {
        Scene::Home => u.phrase("您好。请把身份证放在读卡器上，或者把户码卡对准扫码口。"),
        Scene::Account {
            name,
            balance,
            can_redeem,
            cause,
            notice,
        } => {
            let u = match name {
                Some(name) => u.name(name).phrase("，您好。"),
                None => u.phrase("您好。"),
            };
            let u = u.phrase("您家现在有").count(*balance).phrase("分。");
            let u = match (can_redeem, cause) {
                (true, _) => u.phrase("要换东西，请点兑换物品。"),
                (false, Some((reason, delta))) => u
                    .phrase("积分不够，现在不能兑换。是因为")
                    .name(reason)
                    .phrase("，减了")
                    .count(delta.abs())
                    .phrase("分。积分转正后就可以兑换。"),
                (false, None) => u.phrase("积分不够，现在不能兑换。积分转正后就可以兑换。"),
            };
            u.phrase(notice)
        }
        Scene::Entry {
            delta,
            reason,
            month,
            dispute,
        } => u
            .then(super::utterance::from_text(month))
            .phrase(if *delta >= 0 { "，加了" } else { "，减了" })
            .count(delta.abs())
            .phrase("分。原因是")
            .name(reason)
            .phrase("。")
            .then(super::utterance::from_text(dispute)),
        Scene::Catalogue { balance, affordable } => {
            let u = u.phrase("您有").count(*balance).phrase("分。");
            if *affordable == 0 {
                u.phrase("现在没有够兑换的东西。请点返回。")
            } else {
                u.phrase("能换的有")
                    .count(*affordable as i64)
                    .phrase("样，请点您要的东西。")
            }
        }
        Scene::Confirm {
            item,
            points,
            balance_after,
        } => u
            .phrase("您选了")
            .name(item)
            .phrase("，要用")
            .count(*points)
            .phrase("分，换完还剩")
            .count(*balance_after)
            .phrase("分。确定就点确认兑换，不要就点取消。"),
        Scene::Printing => u.phrase("正在打印兑换券，请稍等。兑换券从出纸口出来。"),
        Scene::Done {
            item,
            merchant,
            serial,
            balance_after,
            outcome,
            note,
        } => {
            let u = u.phrase("兑换成功。");
            let u = match outcome {
                Outcome::Printed => u.phrase("请取走您的兑换券，拿到"),
                Outcome::Ask => u.phrase("兑换券出来了吗？出来了就点出来了，没出来就点没出来。兑换券拿到"),
                Outcome::Kept => u.phrase("积分已经扣好，兑换券稍后补打。").phrase(note).phrase("。拿到"),
            };
            let u = match merchant.as_str() {
                "" => u.phrase("村委会"),
                shop => u.name(shop),
            };
            let u = u.phrase("换").name(item).phrase("。券号是").spell(serial).phrase("。");
            let u = if *outcome == Outcome::Kept {
                u.phrase("券号已保留，工作人员会为您补打。")
            } else {
                u
            };
            u.phrase("剩余积分").count(*balance_after).phrase("分。")
        }
        Scene::Problem { kind, detail, serial } => match kind {
            ProblemKind::UnknownCard => u.phrase("没有找到您的户口信息。请到窗口登记。"),
            ProblemKind::Printer => u
                .phrase("兑换券没有打印出来。积分已经扣好，券号")
                .spell(serial)
                .phrase("已保留，工作人员会为您补打。"),
            ProblemKind::ReaderUnplugged => u.phrase("读卡器没有连接好。请联系工作人员。您也可以扫描户码卡。"),
            ProblemKind::PinLocked => u.phrase("密码错误次数太多。请稍后再试。"),
            ProblemKind::Refused => u.phrase("没有办成。").then(super::utterance::from_text(detail)),
        },
        Scene::Notice(words) => super::utterance::from_text(words),
        Scene::StillThere => u.phrase("还要继续吗？要继续就点继续，或者摸一下屏幕。"),
        Scene::HelpComing => u.phrase("已经叫工作人员了，请稍等，工作人员马上就来。"),
        Scene::Silent => u,
    }
}

/// Every fixed phrase the scripts can say, for `voice check`: each scene in each of its
/// forms, with placeholder data (names and numbers are clips of their own).
pub fn every_scene() -> Vec<Scene> {
    let account = |can_redeem, cause: Option<(String, i64)>| Scene::Account {
        name: Some(String::new()),
        balance: 0,
        can_redeem,
        cause,
        notice: String::new(),
    };
    let done = |outcome| Scene::Done {
        item: String::new(),
        merchant: String::new(),
        serial: String::new(),
        balance_after: 0,
        outcome,
        note: String::new(),
    };
    let problem = |kind| Scene::Problem {
        kind,
        detail: String::new(),
        serial: String::new(),
    };
    vec![
        Scene::Home,
        account(true, None),
        account(false, None),
        account(false, Some((String::new(), 1))),
        Scene::Account {
            name: None,
            balance: 0,
            can_redeem: true,
            cause: None,
            notice: String::new(),
        },
        Scene::Entry {
            delta: 1,
            reason: String::new(),
            month: String::new(),
            dispute: String::new(),
        },
        Scene::Entry {
            delta: -1,
            reason: String::new(),
            month: String::new(),
            dispute: String::new(),
        },
        Scene::Catalogue {
            balance: 0,
            affordable: 0,
        },
        Scene::Catalogue {
            balance: 0,
            affordable: 1,
        },
        Scene::Confirm {
            item: String::new(),
            points: 0,
            balance_after: 0,
        },
        Scene::Printing,
        done(Outcome::Printed),
        done(Outcome::Ask),
        done(Outcome::Kept),
        problem(ProblemKind::UnknownCard),
        problem(ProblemKind::Printer),
        problem(ProblemKind::ReaderUnplugged),
        problem(ProblemKind::PinLocked),
        problem(ProblemKind::Refused),
        Scene::StillThere,
        Scene::HelpComing,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_says_the_balance_and_what_to_press() {
        let said = script(&Scene::Account {
            name: Some("张大爷".into()),
            balance: 105,
            can_redeem: true,
            cause: None,
            notice: String::new(),
        })
        .text();
        assert_eq!(said, "张大爷，您好。您家现在有一百零五分。要换东西，请点兑换物品。");
    }

    #[test]
    fn a_balance_below_zero_is_explained_with_its_cause() {
        let said = script(&Scene::Account {
            name: None,
            balance: -2,
            can_redeem: false,
            cause: Some(("乱扔垃圾".into(), -22)),
            notice: String::new(),
        })
        .text();
        assert!(said.starts_with("您好。您家现在有负二分。"), "{said}");
        assert!(said.contains("是因为乱扔垃圾，减了二十二分。"), "{said}");
    }

    #[test]
    fn the_confirm_screen_says_item_points_and_what_is_left() {
        let said = script(&Scene::Confirm {
            item: "挂面".into(),
            points: 2,
            balance_after: 12_000,
        })
        .text();
        assert_eq!(
            said,
            "您选了挂面，要用两分，换完还剩一万两千分。确定就点确认兑换，不要就点取消。"
        );
    }

    #[test]
    fn the_serial_is_read_character_by_character() {
        let said = script(&Scene::Done {
            item: "挂面".into(),
            merchant: "阿明面馆".into(),
            serial: "YT-2-000042-7".into(),
            balance_after: 1005,
            outcome: Outcome::Printed,
            note: String::new(),
        })
        .text();
        assert_eq!(
            said,
            "兑换成功。请取走您的兑换券，拿到阿明面馆换挂面。券号是Y T 二 零 零 零 零 四 二 七。剩余积分一千零五分。"
        );
    }

    #[test]
    fn a_kept_voucher_says_the_points_are_spent_and_the_serial_kept() {
        let said = script(&Scene::Done {
            item: "挂面".into(),
            merchant: String::new(),
            serial: "YT-1-000001-3".into(),
            balance_after: 0,
            outcome: Outcome::Kept,
            note: "缺纸，请联系管理员".into(),
        })
        .text();
        assert!(
            said.contains("积分已经扣好，兑换券稍后补打。缺纸，请联系管理员。拿到村委会换挂面"),
            "{said}"
        );
        assert!(said.contains("券号已保留，工作人员会为您补打。"), "{said}");
    }

    #[test]
    fn every_scene_but_the_clerks_says_something() {
        for scene in every_scene() {
            assert!(!script(&scene).is_empty(), "{scene:?}");
        }
        assert!(script(&Scene::Silent).is_empty());
    }
}
