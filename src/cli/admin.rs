//! `jifen admin …`: each subcommand calls one service and prints its answer.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::args::*;
use super::printing::{exit_for, print_voucher, report_line, PrinterChoice, NOT_PRINTED};
use super::{emit, export, init_demo_village, open, text};
use crate::app::Printer;
use crate::app::{Identity, ItemChanges, NewItem, PictureChange, Village};
use crate::domain::catalogue::Stock;
use crate::domain::period::{Month, Quarter};
use crate::domain::voucher::VoucherStatus;
use crate::installation::DataDir;

pub(super) fn run(
    dir: &DataDir,
    printer: &PrinterChoice,
    config: &crate::installation::Config,
    args: AdminArgs,
) -> anyhow::Result<ExitCode> {
    let by = args.by.as_str();
    match args.command {
        AdminCommand::Init {
            village_code,
            village_name,
        } => {
            let clock = std::sync::Arc::new(crate::domain::clock::SystemClock);
            let app = crate::app::App::init(
                dir,
                Village {
                    code: village_code,
                    name: village_name,
                },
                clock,
            )?;
            println!(
                "已建立 {}（{}），数据目录 {}",
                app.village().name,
                app.village().code,
                dir.root.display()
            );
        }
        AdminCommand::Demo { json } => {
            let mut app = if dir.exists() {
                open(dir)?
            } else {
                init_demo_village(dir)?
            };
            let summary = app.seed_demo()?;
            emit(json, &summary, text::demo_summary)?;
        }
        AdminCommand::Household(HouseholdCommand::Card { household, reissue }) => {
            let mut app = open(dir)?;
            let card = app.household_card(&household, reissue, by)?;
            let mut device = printer.device(dir)?;
            if let Err(f) = device.print(&card) {
                eprintln!(
                    "{NOT_PRINTED}：{}（卡已{}，修好打印机后再印一次：jifen admin household card --household {household}）",
                    f.words,
                    if reissue { "换新" } else { "发出" }
                );
                return Ok(ExitCode::from(3));
            }
            println!(
                "{} 户的积分卡已打印{}",
                household.trim(),
                if reissue { "；旧卡已作废" } else { "" }
            );
        }
        AdminCommand::Household(cmd) => household(dir, cmd)?,
        AdminCommand::Device(DeviceCommand::Show { json }) => super::sync::device_show(dir, json)?,
        AdminCommand::Rules(RulesCommand::Import { file, json }) => {
            let mut app = open(dir)?;
            let report = app.import_rules(&file.display().to_string(), &read_file(&file)?)?;
            emit(json, &report, text::import_report)?;
        }
        AdminCommand::Rules(RulesCommand::List { json }) => {
            let rules = open(dir)?.rules()?;
            let views: Vec<_> = rules.iter().map(text::RuleView::from).collect();
            emit(json, &views, |v| text::rules(v))?;
        }
        AdminCommand::Points(cmd) => points(dir, by, cmd)?,
        AdminCommand::Evidence(cmd) => super::evidence::evidence(&mut open(dir)?, cmd)?,
        AdminCommand::Dispute(cmd) => super::evidence::dispute(&mut open(dir)?, by, cmd)?,
        AdminCommand::Catalogue(cmd) => catalogue(dir, by, cmd)?,
        AdminCommand::Redeem {
            household,
            item,
            qty,
            json,
        } => {
            let mut device = printer.device(dir)?;
            let mut app = open(dir)?;
            if config.sync.url.is_some() {
                app.join_fleet()?;
            }
            let (receipt, report) = app.redeem_and_print(&household, &item, qty, by, &mut device)?;
            if !report.printed {
                eprint!("{}", report_line(&report));
            }
            if json {
                let mut value = serde_json::to_value(&receipt)?;
                value["printed"] = report.printed.into();
                value["print_error"] = report.error.clone().into();
                emit(true, &value, |_| String::new())?;
            } else {
                print!("{}", text::redemption(&receipt));
                if report.printed {
                    print!("{}", report_line(&report));
                }
            }
            return Ok(exit_for(&[report]));
        }
        AdminCommand::Voucher(cmd) => return voucher(dir, printer, by, cmd),
        AdminCommand::Ranking { quarter, grid, json } => {
            let mut app = open(dir)?;
            let quarter: Quarter = match quarter {
                Some(q) => q.parse()?,
                None => app.this_month().quarter(),
            };
            let view = app.ranking(quarter, grid.as_deref())?;
            emit(json, &view, text::ranking)?;
        }
        AdminCommand::Verify { json } => {
            let report = open(dir)?.verify()?;
            emit(json, &report, text::verify)?;
            if !report.ok {
                return Ok(ExitCode::from(2));
            }
        }
        AdminCommand::Clerk(ClerkCommand::Add { name, pin_stdin: _ }) => {
            open(dir)?.add_clerk(&name, &read_pin()?)?;
            println!("已设置管理员 {name} 的密码");
        }
        AdminCommand::Clerk(ClerkCommand::Verify { name, pin_stdin: _ }) => {
            let pin = read_pin()?;
            match open(dir)?.check_clerk_pin(&name, &pin) {
                Ok(()) => println!("密码正确"),
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        AdminCommand::Clerk(ClerkCommand::Deactivate { name }) => {
            open(dir)?.deactivate_clerk(&name)?;
            println!("已停用管理员 {name}：他的密码不能再进入工作人员模式");
        }
        AdminCommand::Clerk(ClerkCommand::List { json }) => {
            let clerks = open(dir)?.clerks()?;
            emit(json, &clerks, |list| {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}  {}{}\n",
                            c.name,
                            if c.active { "在用" } else { "已停用" },
                            c.locked_until
                                .as_deref()
                                .map(|u| format!("  锁定到 {u}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect()
            })?;
        }
        AdminCommand::Export { out } => {
            let data = open(dir)?.export_data()?;
            let written = export::write(&out, &data)?;
            for f in written {
                println!("{}", f.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first line of stdin: a PIN never goes on the command line.
fn read_pin() -> anyhow::Result<String> {
    let mut pin = String::new();
    std::io::stdin()
        .read_to_string(&mut pin)
        .context("cannot read the PIN from stdin")?;
    Ok(pin.lines().next().unwrap_or("").trim().to_string())
}

fn household(dir: &DataDir, cmd: HouseholdCommand) -> anyhow::Result<()> {
    let mut app = open(dir)?;
    match cmd {
        HouseholdCommand::Import { file, dry_run, json } => {
            let report = app.import_households(&file.display().to_string(), &read_file(&file)?, dry_run)?;
            emit(json, &report, text::import_report)?;
        }
        HouseholdCommand::Show {
            code,
            id_number,
            qr,
            json,
        } => {
            let who = match (code, id_number, qr) {
                (_, Some(id), _) if id == "-" => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .context("cannot read the ID number from stdin")?;
                    Identity::IdNumber(s.trim().to_string())
                }
                (_, Some(_), _) => bail!(
                    "an ID number never goes on the command line (it stays in the shell's history): \
                     use --id-number - and type or pipe it on stdin"
                ),
                (_, _, Some(token)) => Identity::QrToken(token),
                (Some(code), _, _) => Identity::HouseholdCode(code),
                _ => bail!("name a household: CODE, --id-number or --qr"),
            };
            let view = app.account_view(&who)?;
            emit(json, &view, text::account)?;
        }
        HouseholdCommand::List { json } => {
            let rows = app.households()?;
            let list: Vec<text::HouseholdListRow> =
                rows.iter().map(|(h, m)| text::HouseholdListRow::new(h, m)).collect();
            emit(json, &list, |l| text::household_list(l))?;
        }
        HouseholdCommand::Card { .. } => unreachable!("printed in run"),
    }
    Ok(())
}

fn points(dir: &DataDir, by: &str, cmd: PointsCommand) -> anyhow::Result<()> {
    let mut app = open(dir)?;
    match cmd {
        PointsCommand::Import { file, dry_run, json } => {
            let report = app.import_points(&file.display().to_string(), &read_file(&file)?, dry_run)?;
            emit(json, &report, text::import_report)?;
        }
        PointsCommand::Award {
            household,
            rule,
            points,
            note,
            month,
            photos,
            json,
        } => {
            let month = month.map(|m| m.parse::<Month>()).transpose()?;
            let photos = super::evidence::read_photos(&photos)?;
            let receipt = app.award_with_photos(&household, &rule, points, note.as_deref(), month, by, &photos)?;
            emit(json, &receipt, text::award)?;
        }
        PointsCommand::Correct {
            entry,
            delta,
            reason,
            json,
        } => {
            let receipt = app.correct(&entry, delta, &reason, by)?;
            emit(json, &receipt, text::award)?;
        }
    }
    Ok(())
}

fn catalogue(dir: &DataDir, by: &str, cmd: CatalogueCommand) -> anyhow::Result<()> {
    let mut app = open(dir)?;
    match cmd {
        CatalogueCommand::Add {
            code,
            name,
            points,
            stock,
            unlimited,
            merchant,
            sponsor,
            valid_days,
            picture,
            json,
        } => {
            let file = picture;
            let picture = file.as_deref().map(read_file).transpose()?;
            let stock = match (stock, unlimited) {
                (_, true) => Stock::Unlimited,
                (Some(n), false) => Stock::Limited(n),
                (None, false) => bail!("give --stock N or --unlimited"),
            };
            let item = app
                .add_item(NewItem {
                    code,
                    name,
                    points_cost: points,
                    stock,
                    merchant,
                    sponsor,
                    valid_days,
                    picture,
                })
                .map_err(|e| picture_context(e, file.as_deref()))?;
            emit(json, &item, |i| text::items(std::slice::from_ref(i)))?;
        }
        CatalogueCommand::Edit {
            code,
            name,
            points,
            merchant,
            sponsor,
            valid_days,
            deactivate,
            activate,
            picture,
            no_picture,
            json,
        } => {
            let file = picture.clone();
            let picture = match (picture, no_picture) {
                (Some(file), _) => Some(PictureChange::Set(read_file(&file)?)),
                (None, true) => Some(PictureChange::Remove),
                (None, false) => None,
            };
            let active = match (activate, deactivate) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let changes = ItemChanges {
                name,
                points_cost: points,
                merchant,
                sponsor,
                valid_days,
                active,
                picture,
            };
            let item = app
                .edit_item(&code, changes, by)
                .map_err(|e| picture_context(e, file.as_deref()))?;
            emit(json, &item, |i| text::items(std::slice::from_ref(i)))?;
        }
        CatalogueCommand::Restock { code, add, json } => {
            let item = app.restock(&code, add, by)?;
            emit(json, &item, |i| text::items(std::slice::from_ref(i)))?;
        }
        CatalogueCommand::List { json } => {
            let items = app.catalogue()?;
            emit(json, &items, |i| text::items(i))?;
        }
    }
    Ok(())
}

fn voucher(dir: &DataDir, printer: &PrinterChoice, by: &str, cmd: VoucherCommand) -> anyhow::Result<ExitCode> {
    let mut app = open(dir)?;
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

/// A refused picture named by its file, so the clerk knows which one to fix.
fn picture_context(e: crate::app::AppError, file: Option<&Path>) -> anyhow::Error {
    match (&e, file) {
        (crate::app::AppError::Picture(_), Some(file)) => {
            anyhow::anyhow!("{}: {e}; nothing was changed", file.display())
        }
        _ => e.into(),
    }
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
