//! Clerk mode's 代兑换 in the worker: which household a clerk may redeem for is decided
//! here, from the card read in the session, never from anything the screen names.

use super::protocol::{Command, Reply};
use super::session::ClerkSession;
use crate::app::{App, AppError, Printer};
use crate::ui::lang::{tr, trf, Said};

/// 代兑换 in clerk mode: a card read opens the household for the session; the clerk's tap
/// redeems one item for it, delivered by the clerk or one of the configured deliverers
/// (picked by place, never typed), and the card must be read again for the next (a household code typed or shown never opens one).
pub(super) fn command(
    app: &mut App,
    printer: &mut dyn Printer,
    command: Command,
    session: &mut ClerkSession,
) -> Result<Reply, AppError> {
    match command {
        Command::ProxyOpen(who) => {
            let view = match app.account_view(&who) {
                Ok(v) => v,
                Err(AppError::UnknownIdNumber | AppError::UnknownQrToken | AppError::UnknownHousehold(_)) => {
                    session.proxy_for = None;
                    return Ok(Reply::Failed(Said::new("没有找到这张卡对应的户", &[])));
                }
                Err(e) => return Err(e),
            };
            session.proxy_for = Some(who);
            Ok(Reply::ProxyAccount {
                household: view.household_code.clone(),
                head: view.head.clone().unwrap_or_default(),
                balance: view.balance,
                items: app.catalogue()?.into_iter().filter(|i| i.active).collect(),
                deliverers: app.deliverer_choices(&session.name),
            })
        }
        Command::ProxyRedeem { item, deliverer } => {
            let Some(who) = session.proxy_for.take() else {
                return Ok(Reply::Failed(Said::new("请先刷该户的身份证或户码卡", &[])));
            };
            let Some(deliverer) = app.deliverer_choices(&session.name).get(deliverer).cloned() else {
                return Ok(Reply::Failed(Said::new("请选谁送到户", &[])));
            };
            let proxy = crate::app::Proxy {
                clerk: session.name.clone(),
                deliverer,
            };
            let (receipt, report) = app.redeem_for_household(&who, &item, 1, &proxy, printer)?;
            let printed = if report.printed {
                tr("兑换券已打印，请送到户")
            } else {
                tr("兑换券没有打印出来，已保留，可在补打兑换券里打印")
            };
            Ok(Reply::Done(trf(
                "已为 {} 代兑换 {}，券号 {}。{}",
                &[&receipt.household_code, &receipt.item_name, &receipt.serial, &printed],
            )))
        }
        _ => Ok(Reply::Noted),
    }
}
