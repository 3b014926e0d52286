//! A line-oriented kiosk on the terminal, on the same services as the touch UI will use.
//! Each line is what a QR scanner in keyboard-wedge mode would type, read as
//! `domain::scan` reads every scan: a household QR token opens the account; an ID number
//! or a household code typed here opens nothing. Useful on a
//! serial console and for demos until the touch screen (issue 5) is in place. Card
//! readers and serial QR scanners named in `[devices]` feed the same loop.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::mpsc::{channel, Receiver};

use crate::app::{App, AppError, Identity, PrintReport, Printer};
use crate::devices::hub::InputHub;
use crate::devices::qr;
use crate::devices::{DeviceKind, InputEvent};
use crate::installation::DevicesConfig;

const ENTRIES_SHOWN: usize = 8;
/// Said when an ID number is typed or scanned: only the card on the reader opens an account.
const ID_CARD_PLEASE: &str = "请把身份证放在读卡器上，或扫描户卡二维码。";

/// One thing the kiosk can be told: a typed (or wedge-scanned) line, or a device event.
enum Input {
    Line(String),
    Device(InputEvent),
    Eof,
}

pub(super) fn run(mut app: App, devices: DevicesConfig, mut printer: impl Printer) -> anyhow::Result<ExitCode> {
    // Vouchers left unconfirmed by a crash or a printer fault are not printed here, into
    // an empty hall: each comes out when its household's card is next read.
    let inputs = start_inputs(devices);
    loop {
        home(&mut app)?;
        let event = match inputs.recv().unwrap_or(Input::Eof) {
            Input::Eof => return Ok(ExitCode::SUCCESS),
            Input::Line(line) => match line.trim() {
                "q" | "quit" | "退出" => return Ok(ExitCode::SUCCESS),
                // A keyboard is a wedge scanner: a typed line is read as a scan is.
                s => match qr::classify(s) {
                    Some(event) => event,
                    None => continue,
                },
            },
            Input::Device(event) => event,
        };
        let who = match event {
            InputEvent::CardRead { id_number, .. } => Identity::Card(id_number),
            InputEvent::HouseholdCard { token } => Identity::QrToken(token),
            other => {
                device_notice(&other);
                continue;
            }
        };
        // Only an ID card on the reader and a household card's token open an account; a
        // household code typed here is no card, and is refused like an unknown one.
        let view = match app.account_view(&who) {
            Ok(v) => v,
            Err(
                AppError::UnknownIdNumber
                | AppError::UnknownQrToken
                | AppError::UnknownHousehold(_)
                | AppError::BadIdNumber(_),
            ) => {
                say("没有找到您的户口信息，请到窗口登记。");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if app.unconfirmed_for_household(&view.household_code)? > 0 {
            say("您上次的兑换券还没打印，现在补打。");
            for report in app.reprint_for_household(&view.household_code, &mut printer)? {
                tell_print(&mut app, &report, &inputs)?;
            }
        }
        let mut shown = view.clone();
        shown.entries.truncate(ENTRIES_SHOWN);
        println!(
            "\n{}您好！",
            view.head.as_deref().map(|h| format!("{h}，")).unwrap_or_default()
        );
        print!("{}", super::text::account(&shown));
        if !view.can_redeem {
            if let Some(cause) = view.entries.iter().find(|e| e.delta < 0 && e.kind != "redemption") {
                say(&format!(
                    "积分为 {} 分，是因为：{} {}（{}）。积分转正后可以兑换。",
                    view.balance, cause.month, cause.reason, cause.delta
                ));
            }
            continue;
        }
        let items: Vec<_> = app.catalogue()?.into_iter().filter(|i| i.active).collect();
        println!("\n可兑换的物品：");
        for (n, i) in items.iter().enumerate() {
            let note = if i.points_cost > view.balance {
                "（积分不足）"
            } else if i.stock == Some(0) {
                "（已兑完）"
            } else {
                ""
            };
            println!("  {}. {}  {} 分{}", n + 1, i.name, i.points_cost, note);
        }
        prompt("输入编号兑换，直接回车返回：");
        let Some(choice) = next_line(&inputs) else {
            return Ok(ExitCode::SUCCESS);
        };
        let Some(item) = choice
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| items.get(n.wrapping_sub(1)))
        else {
            continue;
        };
        prompt(&format!(
            "用 {} 分兑换 {} 1 份？输入 1 确认，直接回车取消：",
            item.points_cost, item.name
        ));
        let Some(confirm) = next_line(&inputs) else {
            return Ok(ExitCode::SUCCESS);
        };
        if confirm.trim() != "1" {
            continue;
        }
        match app.redeem_and_print(&view.household_code, &item.code, 1, "kiosk", &mut printer) {
            Ok((r, report)) => {
                say(&format!(
                    "兑换成功！兑换券号 {}，请到 {} 使用，有效期至 {}。剩余积分 {} 分。",
                    r.serial,
                    r.merchant.as_deref().unwrap_or("村委会"),
                    r.expires_on,
                    r.balance_after
                ));
                tell_print(&mut app, &report, &inputs)?;
            }
            Err(e) => say(&format!("没有兑换：{e}")),
        }
    }
}

/// Says what became of a voucher's paper; asks, when the printer cannot tell.
fn tell_print(app: &mut App, report: &PrintReport, inputs: &Receiver<Input>) -> anyhow::Result<()> {
    match &report.error {
        None if report.unverified => {
            prompt("兑换券出来了吗？出来了输入 1，没出来输入 2：");
            if next_line(inputs).is_some_and(|l| l.trim() == "1") {
                app.voucher_came_out(&report.serial)?;
                say("请取走您的兑换券。");
            } else {
                app.voucher_did_not_come_out(&report.serial)?;
                say(&format!("券号 {} 已保留，请找工作人员帮忙补打。", report.serial));
            }
        }
        None => say("请取走您的兑换券。"),
        Some(words) => say(&format!(
            "{words}。积分已经扣好，券号 {} 已保留，工作人员会为您补打。",
            report.serial
        )),
    }
    Ok(())
}

/// Reads stdin and the configured devices on threads, into one channel.
fn start_inputs(devices: DevicesConfig) -> Receiver<Input> {
    let (tx, rx) = channel();
    let lines = tx.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines.send(Input::Line(line)).is_err() {
                return;
            }
        }
        let _ = lines.send(Input::Eof);
    });
    if devices.idcard.is_some() || devices.qr.is_some() {
        std::thread::spawn(move || {
            let hub = InputHub::start(&devices);
            while let Ok(e) = hub.events.recv() {
                if tx.send(Input::Device(e)).is_err() {
                    return;
                }
            }
        });
    }
    rx
}

/// The next typed line; device events meanwhile are announced, not acted on.
fn next_line(inputs: &Receiver<Input>) -> Option<String> {
    loop {
        match inputs.recv().ok()? {
            Input::Line(l) => return Some(l),
            Input::Eof => return None,
            Input::Device(e) => device_notice(&e),
        }
    }
}

fn device_notice(e: &InputEvent) {
    match e {
        InputEvent::DeviceLost {
            kind: DeviceKind::CardReader,
            ..
        } => say("读卡器已断开，请联系管理员。您也可以扫描户卡二维码。"),
        InputEvent::DeviceLost { .. } => say("扫码器已断开，请联系管理员。您也可以刷身份证。"),
        InputEvent::DeviceBack { .. } => say("设备已恢复。"),
        InputEvent::Error { message, .. } => say(&format!("{message}，请重新放卡。")),
        InputEvent::VoucherScanned { .. } => say("这是一张兑换券，请交给管理员或商家核销。"),
        InputEvent::IdNumberTyped => say(ID_CARD_PLEASE),
        InputEvent::CardRead { .. } | InputEvent::HouseholdCard { .. } => say("请先完成当前操作，或回车返回后再刷卡。"),
    }
}

fn home(app: &mut App) -> anyhow::Result<()> {
    let quarter = app.this_month().quarter();
    let ranking = app.ranking(quarter, None)?;
    println!("\n════ {} 积分兑换 ════", app.village().name);
    println!("本季光荣榜：");
    for r in ranking.rows.iter().take(5) {
        println!(
            "  第 {} 名  {}  {}  {:+} 分",
            r.rank,
            r.head.as_deref().unwrap_or("—"),
            r.grid,
            r.earned
        );
    }
    prompt("请刷身份证或扫描二维码（输入 q 退出）：");
    Ok(())
}

fn say(s: &str) {
    println!("\n>>> {s}");
}

fn prompt(s: &str) {
    print!("{s}");
    let _ = std::io::stdout().flush();
}
