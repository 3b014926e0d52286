//! `jifen admin …`: each subcommand calls one service and prints its answer.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::admin_catalogue::catalogue;
use super::admin_vouchers::voucher;
use super::args::*;
use super::printing::{exit_for, report_line, PrinterChoice, NOT_PRINTED};
use super::{emit, export, init_demo_village, open, text};
use crate::app::Printer;
use crate::app::{Identity, Village};
use crate::domain::period::{Month, Quarter};
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
            qr,
            id_number,
            deliver_by,
            item,
            qty,
            json,
        } => {
            let mut device = printer.device(dir)?;
            let mut app = open(dir)?;
            if config.sync.url.is_some() {
                app.join_fleet()?;
            }
            app.set_township_link(config.sync.url.as_deref());
            let (receipt, report) = match deliver_by {
                // 代兑换: the household's card, never its code alone (the app refuses a code).
                Some(deliverer) => {
                    let who = identity_from_args(household, id_number, qr)?;
                    let proxy = crate::app::Proxy {
                        clerk: by.to_string(),
                        deliverer,
                    };
                    app.redeem_for_household(&who, &item, qty, &proxy, &mut device)?
                }
                None => {
                    let Some(household) = household else {
                        bail!("--qr and --id-number are for redeeming on a household's behalf: add --deliver-by NAME")
                    };
                    app.redeem_and_print(&household, &item, qty, by, &mut device)?
                }
            };
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
        AdminCommand::Voucher(cmd) => return voucher(dir, printer, config.sync.url.as_deref(), by, cmd),
        AdminCommand::Sponsor(cmd) => super::admin_sponsors::sponsor(dir, by, cmd)?,
        AdminCommand::Merchant(cmd) => super::admin_sponsors::merchant(dir, cmd)?,
        AdminCommand::Ranking {
            quarter,
            year,
            grid,
            json,
        } => {
            let mut app = open(dir)?;
            let view = match (year, quarter) {
                (Some(y), _) => app.year_ranking(y, grid.as_deref())?,
                (None, Some(q)) => app.ranking(q.parse::<Quarter>()?, grid.as_deref())?,
                (None, None) => {
                    let q = app.this_month().quarter();
                    app.ranking(q, grid.as_deref())?
                }
            };
            emit(json, &view, text::ranking)?;
        }
        AdminCommand::Honours { year, json } => {
            let mut app = open(dir)?;
            app.set_honours_rule(config.honours.clone());
            let year = year.unwrap_or_else(|| app.last_year());
            let view = app.honours(year)?;
            emit(json, &view, text::honours)?;
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
            let who = identity_from_args(code, id_number, qr)?;
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

pub(super) fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The household a command names: by code, by `--id-number -` (read from stdin, so it stays
/// out of the shell's history) or by its QR card's token.
fn identity_from_args(code: Option<String>, id_number: Option<String>, qr: Option<String>) -> anyhow::Result<Identity> {
    Ok(match (code, id_number, qr) {
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
    })
}
