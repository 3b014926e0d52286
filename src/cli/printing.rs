//! `jifen print …`, and the printer every command that prints uses: `--printer` /
//! `JIFEN_PRINTER`, else `[printer]` in the config file, else previews in the data dir.

use std::process::ExitCode;

use anyhow::{anyhow, Context};

use super::args::PrintCommand;
use super::{emit, open};
use crate::app::UNVERIFIED_WORDS;
use crate::app::{App, Delivery, PrintReport, Printer};
use crate::installation::{DataDir, PrinterConfig};
use crate::print::device::CANNOT_REPORT_WORDS;
use crate::print::url::PrinterUrl;
use crate::print::{PaperWidth, PrintMode, PrinterDevice};

/// Exit code of a command whose work is done and kept but whose paper did not print.
pub const NOT_PRINTED: u8 = 3;

/// Where and how to print, as chosen on the command line and in the config file.
#[derive(Debug, Clone, Default)]
pub struct PrinterChoice {
    pub config: PrinterConfig,
    pub url_override: Option<String>,
}

impl PrinterChoice {
    pub fn device(&self, dir: &DataDir) -> anyhow::Result<PrinterDevice> {
        let url = match self.url_override.as_ref().or(self.config.url.as_ref()) {
            Some(u) => u.parse::<PrinterUrl>()?,
            None => PrinterUrl::Preview(dir.previews()),
        };
        let mode = match &self.config.mode {
            Some(m) => m.parse::<PrintMode>().map_err(|e| anyhow!("[printer] mode: {e}"))?,
            None => PrintMode::default(),
        };
        let width = match self.config.width {
            Some(w) => PaperWidth::try_from(w).map_err(|e| anyhow!("[printer] width: {e}"))?,
            None => PaperWidth::default(),
        };
        Ok(PrinterDevice {
            url,
            mode,
            width,
            templates: self.config.templates.clone(),
        })
    }
}

pub(super) fn run(
    dir: &DataDir,
    choice: &PrinterChoice,
    honours: &crate::domain::honours::HonoursRule,
    cmd: PrintCommand,
) -> anyhow::Result<ExitCode> {
    let mut device = choice.device(dir)?;
    match cmd {
        PrintCommand::TestPage => {
            let app = open(dir)?;
            let page = app.test_page_printout(&device.url.to_string(), device.width.dots());
            print_document(&mut device, &page, "测试页")
        }
        PrintCommand::Preview {
            voucher,
            out,
            mode,
            width,
        } => {
            let mut app = open(dir)?;
            let job = crate::app::PrintJob {
                voucher: app.voucher(&voucher)?,
                reprint: false,
                proxy: app.voucher_proxy(&voucher)?,
            };
            let printout = app.voucher_printout(&job);
            let preview = PrinterDevice {
                url: PrinterUrl::Preview(out.clone()),
                mode: mode
                    .map(|m| m.parse())
                    .transpose()
                    .map_err(|e: String| anyhow!(e))?
                    .unwrap_or(device.mode),
                width: width
                    .map(PaperWidth::try_from)
                    .transpose()
                    .map_err(|e| anyhow!(e))?
                    .unwrap_or(device.width),
                templates: device.templates.clone(),
            };
            let prepared = preview.prepare(&printout)?;
            preview.send(&printout.name, &prepared)?;
            println!(
                "{}/{}.png 和 {}.bin（{} 字节，{} 模式，纸宽 {} 点）",
                out.display(),
                printout.name,
                printout.name,
                prepared.bytes.len(),
                if preview.mode == PrintMode::Raster {
                    "raster"
                } else {
                    "text"
                },
                preview.width
            );
            Ok(ExitCode::SUCCESS)
        }
        PrintCommand::Statement { household } => {
            let mut app = open(dir)?;
            let statement = app.statement_printout(&household)?;
            print_document(&mut device, &statement, "积分证明")
        }
        PrintCommand::Honour { household, year } => {
            let mut app = open(dir)?;
            app.set_honours_rule(honours.clone());
            let year = year.unwrap_or_else(|| app.last_year());
            let certificate = app.honour_printout(&household, year)?;
            print_document(&mut device, &certificate, "荣誉证书")
        }
        PrintCommand::SponsorStatement { name, year } => {
            let mut app = open(dir)?;
            let letter = app.sponsor_letter_printout(&name, year)?;
            print_document(&mut device, &letter, "感谢信")
        }
        PrintCommand::MerchantStatement { merchant, month } => {
            let mut app = open(dir)?;
            let statement = app.merchant_statement_printout(&merchant, &month)?;
            print_document(&mut device, &statement, "商家对账单")
        }
        PrintCommand::VerifyStatement { qr, json } => {
            let app = open(dir)?;
            let s = app.verify_statement(&qr)?;
            let view = serde_json::json!({
                "village": s.village, "household": s.household, "balance": s.balance,
                "earned_12_months": s.earned_12_months, "issued": s.issued.to_string(),
            });
            emit(json, &view, |_| {
                format!(
                    "真实有效：{} 户 {}，积分余额 {} 分，近 12 个月得分 {} 分，开具于 {}\n",
                    s.village, s.household, s.balance, s.earned_12_months, s.issued
                )
            })?;
            Ok(ExitCode::SUCCESS)
        }
        PrintCommand::Pending { json } => {
            let mut app = open(dir)?;
            let reports = app.reprint_unconfirmed(&mut device)?;
            emit(json, &reports, |r| {
                if r.is_empty() {
                    "没有待打印的兑换券\n".into()
                } else {
                    r.iter().map(report_line).collect()
                }
            })?;
            Ok(exit_for(&reports))
        }
        PrintCommand::Confirm { serial } => {
            let mut app = open(dir)?;
            app.voucher_came_out(&serial)?;
            println!("已记下：兑换券 {serial} 已出纸");
            Ok(ExitCode::SUCCESS)
        }
        PrintCommand::Status { json } => {
            let status = device.status()?;
            let view = serde_json::json!({
                "printer": device.url.to_string(),
                "answers": status.is_some(),
                "offline": status.map(|s| s.offline),
                "cover_open": status.map(|s| s.cover_open),
                "paper_end": status.map(|s| s.paper_end),
                "paper_near_end": status.map(|s| s.paper_near_end),
                "fault": status.and_then(|s| s.fault()).map(|f| f.to_string()),
            });
            emit(json, &view, |_| match status {
                None if matches!(device.url, PrinterUrl::Preview(_)) => format!("{}：预览文件夹\n", device.url),
                None => format!(
                    "{}：{CANNOT_REPORT_WORDS}（没有回传通道，也没有 USB 端口状态）\n",
                    device.url
                ),
                Some(s) => match s.fault() {
                    Some(f) => format!("{}：{f}\n", device.url),
                    None if s.paper_near_end => format!("{}：正常，纸快用完了\n", device.url),
                    None => format!("{}：正常\n", device.url),
                },
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints a voucher through the print order and says what happened.
pub(super) fn print_voucher(app: &mut App, printer: &mut dyn Printer, serial: &str) -> anyhow::Result<PrintReport> {
    let report = app
        .print_voucher(serial, printer)
        .with_context(|| format!("cannot print voucher {serial}"))?;
    if !report.printed {
        eprintln!("{}", report_line(&report).trim_end());
    }
    Ok(report)
}

pub(super) fn report_line(r: &PrintReport) -> String {
    if r.unverified {
        return format!(
            "兑换券 {} 已发送，但{}：出纸了请运行 jifen print confirm {}，没出纸可重印\n",
            r.serial, UNVERIFIED_WORDS, r.serial
        );
    }
    match (&r.error, r.reprint) {
        (None, false) => format!("已打印兑换券 {}\n", r.serial),
        (None, true) => format!("已重印兑换券 {}（券号不变）\n", r.serial),
        (Some(e), _) => format!(
            "兑换券 {} 未打印：{e}。积分已扣，券号保留，可重印\n  ({})\n",
            r.serial,
            r.detail.as_deref().unwrap_or("")
        ),
    }
}

pub(super) fn exit_for(reports: &[PrintReport]) -> ExitCode {
    if reports.iter().all(|r| r.printed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(NOT_PRINTED)
    }
}

fn print_document(device: &mut PrinterDevice, printout: &crate::app::Printout, what: &str) -> anyhow::Result<ExitCode> {
    match device.print(printout) {
        Ok(Delivery::Confirmed) => {
            println!("已打印{what}（{}）", device.url);
            Ok(ExitCode::SUCCESS)
        }
        Ok(Delivery::Unverified) => {
            println!(
                "已把{what}发送到 {}；{}，请看一下是否出纸",
                device.url, UNVERIFIED_WORDS
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            eprintln!("{what}未打印：{failure}");
            Ok(ExitCode::from(NOT_PRINTED))
        }
    }
}
