//! `jifen admin voucher …`: show, list, settle (then the slip), reprint, void.

use std::process::ExitCode;

use anyhow::{bail, Context};

use super::args::*;
use super::printing::{exit_for, print_voucher, report_line, PrinterChoice, NOT_PRINTED};
use super::{emit, open, text};
use crate::app::Printer;
use crate::domain::voucher::VoucherStatus;
use crate::installation::DataDir;

pub(super) fn voucher(
    dir: &DataDir,
    printer: &PrinterChoice,
    township: Option<&str>,
    by: &str,
    cmd: VoucherCommand,
) -> anyhow::Result<ExitCode> {
    let mut app = open(dir)?;
    app.set_township_link(township);
    match cmd {
        VoucherCommand::Show { serial, json } => {
            let v = app.voucher(&serial)?;
            emit(json, &v, text::voucher)?;
        }
        VoucherCommand::List { status, json } => {
            let status = status
                .map(|s| {
                    VoucherStatus::parse(&s)
                        .with_context(|| format!("unknown status '{s}'; use pending, printed, settled or void"))
                })
                .transpose()?;
            let list = app.vouchers(status)?;
            emit(json, &list, |l| text::voucher_list(l))?;
        }
        VoucherCommand::Settle {
            serials,
            code,
            qr,
            merchant,
            json,
        } => {
            if !serials.is_empty() && code.len() != serials.len() {
                anyhow::bail!(
                    "a typed serial needs the verification code printed beside it: give one --code per serial, in order"
                );
            }
            let presented: Vec<(String, Option<String>)> = qr
                .into_iter()
                .map(|q| (q, None))
                .chain(serials.into_iter().zip(code.into_iter().map(Some)))
                .collect();
            let mut device = printer.device(dir)?;
            return settle(&mut app, &mut device, &presented, merchant.as_deref(), by, json);
        }
        VoucherCommand::Reprint { serial, json } => {
            app.record_reprint(&serial, by)?;
            let mut device = printer.device(dir)?;
            let report = print_voucher(&mut app, &mut device, &serial)?;
            emit(json, &report, report_line)?;
            return Ok(exit_for(&[report]));
        }
        VoucherCommand::Void { serial, reason, json } => {
            let v = app.void_voucher(&serial, &reason, by)?;
            emit(json, &v, text::voucher)?;
        }
        VoucherCommand::Delivered { serial, json } => {
            let v = app.confirm_delivery(&serial, by)?;
            emit(json, &v, |v| text::proxies(std::slice::from_ref(v)))?;
        }
        VoucherCommand::Proxied { undelivered, json } => {
            let list = app.proxy_redemptions(undelivered)?;
            emit(json, &list, |l| text::proxies(l))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Settles each presented voucher in turn (one refusal does not stop the rest), then
/// prints one settlement slip per merchant for those settled. One voucher answers with
/// its receipt, several with a list.
fn settle(
    app: &mut crate::app::App,
    printer: &mut dyn Printer,
    presented: &[(String, Option<String>)],
    merchant: Option<&str>,
    by: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if let [(one, code)] = presented {
        let receipt = app.settle(one, code.as_deref(), merchant, by)?;
        emit(json, &receipt, text::settlement)?;
        return print_slips(app, printer, std::slice::from_ref(&receipt), by);
    }
    let mut settled = Vec::new();
    let mut refused = 0;
    for (p, code) in presented {
        match app.settle(p, code.as_deref(), merchant, by) {
            Ok(r) => settled.push(r),
            Err(e) => {
                refused += 1;
                eprintln!("error: {e}");
            }
        }
    }
    emit(json, &settled, |list| list.iter().map(text::settlement).collect())?;
    let printed = print_slips(app, printer, &settled, by)?;
    if refused > 0 {
        bail!("{refused} of {} vouchers were refused", presented.len());
    }
    Ok(printed)
}

fn print_slips(
    app: &crate::app::App,
    printer: &mut dyn Printer,
    settled: &[crate::app::SettlementReceipt],
    by: &str,
) -> anyhow::Result<ExitCode> {
    for slip in app.settlement_printouts(settled, by) {
        if let Err(failure) = printer.print(&slip) {
            eprintln!("结算单未打印：{failure}（核销已记录）");
            return Ok(ExitCode::from(NOT_PRINTED));
        }
    }
    Ok(ExitCode::SUCCESS)
}
