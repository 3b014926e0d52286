//! The thread that owns the app and the printer. The UI thread only sends it commands and
//! shows its replies, so a slow printer or a busy database never freezes the screen.

mod protocol;
mod proxy;
mod session;

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;

use super::lang::{tr, trf, Said};
use super::watchdog::{Liveness, BEAT_INTERVAL};
use super::words::{stock_words, sync_note, words};

use crate::app::{App, AppError, Identity, ItemChanges, PhotoFetcher, Printer, RankingRow};
use crate::domain::evidence::OPENED_BY_HOUSEHOLD;
use crate::domain::id_number::form_of_address;

pub use protocol::{Command, PhotoSource, Reply};
use session::{needs_clerk, ClerkSession, HelpCalls, Villager, CLERK_SESSION};

/// Starts the worker; it stops when the command channel closes. It beats `liveness` while
/// idle and at the start of each command. Vouchers left unconfirmed by a crash or a printer
/// fault are not printed at start-up, into an empty hall, but when their household's card
/// is next read (or by a clerk).
pub fn spawn<P: Printer + Send + 'static>(
    mut app: App,
    mut printer: P,
    commands: Receiver<Command>,
    replies: Sender<Reply>,
    liveness: Liveness,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("kiosk-worker".into())
        .spawn(move || {
            let mut session: Option<ClerkSession> = None;
            let mut villager = Villager::default();
            let mut help = HelpCalls::default();
            let mut photos: Option<Box<dyn PhotoFetcher>> = None;
            loop {
                liveness.beat();
                let command = match commands.recv_timeout(BEAT_INTERVAL) {
                    Ok(c) => c,
                    Err(RecvTimeoutError::Timeout) => {
                        // While a villager waits at a voucher that did not print, the
                        // printer is asked each second whether it is ready again.
                        if villager.kept.is_some() && printer.trouble().is_none() {
                            if let Some(serial) = villager.kept.take() {
                                if replies.send(Reply::PrinterReady(serial)).is_err() {
                                    return;
                                }
                            }
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                liveness.beat();
                let now = app.now();
                let reply = match (&command, session.as_mut()) {
                    (Command::LockClerk, _) => {
                        session = None;
                        continue;
                    }
                    (Command::PhotoSource(_), _) => {
                        if let Command::PhotoSource(source) = command {
                            photos = Some(source.0);
                        }
                        continue;
                    }
                    (Command::EntryPhotos(entry), _) => entry_photos(&mut app, photos.as_deref_mut(), entry),
                    (Command::CallHelp(screen), _) => {
                        help.note(app.now(), screen);
                        tracing::warn!(%screen, "a villager asked for help");
                        continue;
                    }
                    (Command::ProxyOpen(_) | Command::ProxyRedeem { .. }, Some(s)) if s.until > now => {
                        s.until = now + CLERK_SESSION;
                        proxy::command(&mut app, &mut printer, command, s)
                    }
                    (c, Some(s)) if needs_clerk(c) && s.until > now => {
                        s.until = now + CLERK_SESSION;
                        let name = s.name.clone();
                        handle(&mut app, &mut printer, command, &name)
                    }
                    (c, _) if needs_clerk(c) => {
                        session = None;
                        Ok(Reply::ClerkRefused {
                            words: Said::new("工作人员模式已锁上，请重新输入密码", &[]),
                            locked: false,
                        })
                    }
                    _ => villager_command(&mut app, &mut printer, command, &mut villager),
                };
                let mut reply = reply.unwrap_or_else(|e| Reply::Failed(words(&e)));
                if let Reply::ClerkData { sync_note, .. } = &mut reply {
                    if let Some(calls) = help.words() {
                        *sync_note = format!("{calls}。{sync_note}");
                    }
                }
                if let Reply::ClerkIn(name) = &reply {
                    session = Some(ClerkSession {
                        name: name.clone(),
                        until: now + CLERK_SESSION,
                        proxy_for: None,
                    });
                }
                if replies.send(reply).is_err() {
                    return;
                }
            }
        })
        .expect("the worker thread starts")
}

/// A command from the villager's screens, within what the villager at the screen may do.
fn villager_command(
    app: &mut App,
    printer: &mut dyn Printer,
    command: Command,
    villager: &mut Villager,
) -> Result<Reply, AppError> {
    match command {
        Command::Redeem { ref household, .. } if villager.household.as_deref() != Some(household.as_str()) => {
            Ok(Reply::Failed(Said::new("请先刷卡", &[])))
        }
        Command::ReprintMine(household) => {
            if villager.household.as_deref() != Some(household.as_str()) {
                return Ok(Reply::Failed(Said::new("请先刷卡", &[])));
            }
            Ok(Reply::Reprinted(app.reprint_for_household(&household, printer)?))
        }
        Command::OpenDispute { household, entry } => {
            if villager.household.as_deref() != Some(household.as_str()) {
                return Ok(Reply::Failed(Said::new("请先刷卡", &[])));
            }
            let opened = app.open_dispute_of(&household, &entry, OPENED_BY_HOUSEHOLD, None)?;
            Ok(Reply::DisputeOpened {
                entry,
                dispute: opened.dispute,
            })
        }
        Command::CameOut { serial, came_out } => {
            if villager.unverified.take().as_deref() != Some(serial.as_str()) {
                return Ok(Reply::Noted);
            }
            if came_out {
                app.voucher_came_out(&serial)?;
            } else {
                app.voucher_did_not_come_out(&serial)?;
            }
            Ok(Reply::Noted)
        }
        other => {
            let reply = handle(app, printer, other, "kiosk")?;
            match &reply {
                Reply::Account(view, ..) => {
                    villager.household = Some(view.household_code.clone());
                    villager.unverified = None;
                    villager.kept = None;
                }
                Reply::Redeemed(done) if done.1.unverified => villager.unverified = Some(done.1.serial.clone()),
                Reply::Redeemed(done) if !done.1.printed => villager.kept = Some(done.1.serial.clone()),
                Reply::Home { .. } | Reply::UnknownCard => *villager = Villager::default(),
                _ => {}
            }
            Ok(reply)
        }
    }
}

/// Carries out one command; `clerk` is the unlocked clerk's name for clerk commands.
fn handle(app: &mut App, printer: &mut dyn Printer, command: Command, clerk: &str) -> Result<Reply, AppError> {
    Ok(match command {
        Command::Home => {
            let quarter = app.this_month().quarter();
            let ranking = app.ranking(quarter, None)?;
            let mut grid_leaders: Vec<RankingRow> = Vec::new();
            for row in &ranking.rows {
                if !grid_leaders.iter().any(|g| g.grid == row.grid) {
                    grid_leaders.push(row.clone());
                }
            }
            let rules = app
                .rules()?
                .into_iter()
                .filter(|r| r.kind == crate::domain::rules::RuleKind::Bonus)
                .map(|r| format!("{}：{}（加 {} 分）", r.area.label(), r.text, r.points))
                .collect();
            let star_year = app.last_year();
            let stars = app
                .honours(star_year)?
                .stars
                .into_iter()
                .map(|s| s.head.unwrap_or(s.household_code))
                .collect();
            Reply::Home {
                village: app.village().name.clone(),
                quarter: quarter.to_string(),
                top: ranking.rows.into_iter().take(5).collect(),
                grid_leaders,
                rules,
                stars,
                sponsors: app.sponsors_of_year(star_year + 1)?,
                star_year,
            }
        }
        // Only an ID card or a household card's secret token opens an account; a household
        // code (printed on lists, typed on any keyboard) never does.
        Command::Identify {
            who: Identity::HouseholdCode(_),
            ..
        } => Reply::UnknownCard,
        Command::Identify { who, card_name } => match app.account_view(&who) {
            Ok(view) => {
                let greeting = match (&who, card_name) {
                    (Identity::Card(id), Some(name)) => Some(form_of_address(&name, id, app.today())),
                    _ => None,
                };
                let waiting = app.unconfirmed_for_household(&view.household_code)?;
                let answers = app.announce_outcomes(&view.household_code)?;
                Reply::Account(Box::new(view), app.catalogue()?, greeting, waiting, answers)
            }
            Err(AppError::UnknownIdNumber | AppError::UnknownQrToken | AppError::UnknownHousehold(_)) => {
                Reply::UnknownCard
            }
            Err(e) => return Err(e),
        },
        Command::Redeem { household, item } => {
            let (receipt, report) = app.redeem_and_print(&household, &item, 1, "kiosk", printer)?;
            Reply::Redeemed(Box::new((receipt, report)))
        }
        // Villager commands are taken in `villager_command`, which knows who is at the screen.
        Command::ReprintMine(_) | Command::CameOut { .. } => Reply::Done(String::new()),
        Command::UnlockClerk(pin) => match app.unlock_clerk_mode(&pin) {
            Ok(name) => Reply::ClerkIn(name),
            Err(AppError::WrongPin) => Reply::ClerkRefused {
                words: Said::new("密码不对，请再试一次", &[]),
                locked: false,
            },
            Err(AppError::ClerkModeLocked { minutes }) => Reply::ClerkRefused {
                words: Said::new("密码连续输错，{} 分钟后再试", &[&minutes]),
                locked: true,
            },
            Err(e) => return Err(e),
        },
        Command::ClerkData => {
            let today = app.today().to_string();
            let mut today_vouchers = app.vouchers(None)?;
            today_vouchers.retain(|v| v.issued_at.starts_with(&today));
            Reply::ClerkData {
                items: app.catalogue()?,
                pending: app.unconfirmed_vouchers()?,
                today: today_vouchers,
                events_waiting: app.unpushed_event_count()?,
                undelivered: app.proxy_redemptions(true)?,
                sync_note: [
                    printer.trouble(),
                    app.box_health()?.words(),
                    Some(sync_note(&app.sync_status()?)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("。"),
            }
        }
        Command::LockClerk => Reply::Done(String::new()),
        Command::Restock { code, add } => {
            let item = app.restock(&code, add, clerk)?;
            Reply::Done(trf(
                "{} 已补 {}，现有 {}",
                &[&item.name, &add, &stock_words(item.stock)],
            ))
        }
        Command::SetActive { code, active } => {
            let changes = ItemChanges {
                active: Some(active),
                ..ItemChanges::default()
            };
            let item = app.edit_item(&code, changes, clerk)?;
            Reply::Done(if active {
                trf("{} 已上架", &[&item.name])
            } else {
                trf("{} 已下架", &[&item.name])
            })
        }
        Command::Reprint(serial) => {
            app.record_reprint(&serial, clerk)?;
            let report = app.print_voucher(&serial, printer)?;
            match report.error {
                None => Reply::Done(trf("已重印兑换券 {}，券号不变", &[&serial])),
                Some(words) => Reply::Failed(Said::new("兑换券 {} 没有打印出来：{}", &[&serial, &words])),
            }
        }
        Command::Settle { presented } => Reply::Settled(app.settle(&presented, None, None, clerk)?),
        Command::PrintSlip { settled } => {
            for slip in app.settlement_printouts(&settled, clerk) {
                if let Err(f) = printer.print(&slip) {
                    return Ok(Reply::Failed(Said::new(
                        "结算单没有打印出来：{}（核销已记录）",
                        &[&f.words],
                    )));
                }
            }
            Reply::Done(tr("结算单已打印"))
        }
        Command::TestPage => {
            let page = app.test_page_printout("kiosk", 384);
            match printer.print(&page) {
                Ok(_) => Reply::Done(tr("测试页已打印")),
                Err(f) => Reply::Failed(Said::new("测试页没有打印出来：{}", &[&f.words])),
            }
        }
        Command::CallHelp(_)
        | Command::EntryPhotos(_)
        | Command::PhotoSource(_)
        | Command::OpenDispute { .. }
        | Command::ProxyOpen(_)
        | Command::ProxyRedeem { .. } => Reply::Noted,
        Command::ProxyDelivered(serial) => {
            let done = app.confirm_delivery(&serial, clerk)?;
            Reply::Done(trf(
                "已确认 {} 户的 {} 送到（券号 {}）",
                &[&done.household_code, &done.item_name, &done.serial],
            ))
        }
        Command::SaveVoice(preference) => {
            app.set_voice_preference(preference)?;
            Reply::Noted
        }
        Command::Statement(who) => {
            let household = match app.identify(&who) {
                Ok(h) => h,
                Err(AppError::UnknownIdNumber | AppError::UnknownQrToken | AppError::UnknownHousehold(_)) => {
                    return Ok(Reply::Failed(Said::new("没有找到这张卡对应的户", &[])))
                }
                Err(e) => return Err(e),
            };
            let statement = app.statement_printout(&household)?;
            match printer.print(&statement) {
                Ok(_) => Reply::Done(trf("{} 户的积分证明已打印", &[&household])),
                Err(f) => Reply::Failed(Said::new("积分证明没有打印出来：{}", &[&f.words])),
            }
        }
    })
}

/// The photos of an entry: those here at once, the others fetched now when a township is
/// reachable (the screen says they are at the township when not).
fn entry_photos(
    app: &mut App,
    mut fetcher: Option<&mut (dyn PhotoFetcher + '_)>,
    entry: &str,
) -> Result<Reply, AppError> {
    let mut photos = Vec::new();
    let mut away = 0;
    for p in app.evidence_of_entry(entry)? {
        let bytes = match p.jpeg {
            Some(b) => Some(b),
            None => fetcher.as_deref_mut().and_then(|f| f.fetch(app, &p.record.sha256)),
        };
        match bytes {
            Some(b) => photos.push(b),
            None => away += 1,
        }
    }
    Ok(Reply::EntryPhotos {
        entry: entry.to_string(),
        photos,
        away,
    })
}
