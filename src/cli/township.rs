//! `jifen township …`: the township server and its staff's commands.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use serde::Serialize;

use super::args::*;
use super::{emit, text};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::period::Quarter;
use crate::store::{OverdraftRow, VillageRow};
use crate::sync::server::{run_blocking, ServerState};
use crate::township::{ranking_across, AreaPoints, PgTownship, SqliteTownship, TownshipRankRow, TownshipStorage};

pub(super) fn run(args: TownshipArgs) -> anyhow::Result<ExitCode> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if let TownshipCommand::Restore { from } = &args.command {
        // A SQLite restore replaces the files: nothing may hold them open meanwhile.
        let township = match &args.db {
            Some(_) => None,
            None => Some(open(&args, clock)?),
        };
        super::township_fleet::restore(&args, township.as_deref(), from.as_deref())?;
        return Ok(ExitCode::SUCCESS);
    }
    let (storage, sqlite) = open_engine(&args, clock.clone())?;
    let township = storage.as_ref();
    match args.command {
        TownshipCommand::Serve { listen } => {
            // Held while serving: a restore must wait until the server is stopped.
            let _lock = match &sqlite {
                Some(t) => Some(t.serving_lock()?),
                None => None,
            };
            let state = ServerState::new(storage.clone(), clock)?;
            run_blocking(listen, state).with_context(|| format!("cannot serve on {listen}"))?;
        }
        TownshipCommand::Key(cmd) => super::township_fleet::key(township, cmd)?,
        TownshipCommand::Backup { out } => super::township_fleet::backup(sqlite.as_deref(), &out)?,
        TownshipCommand::Restore { .. } => unreachable!("handled above"),
        TownshipCommand::Catalogue(cmd) => super::township_fleet::catalogue(township, cmd)?,
        TownshipCommand::Village(TownshipVillageCommand::Add {
            code,
            name,
            id_key_file,
        }) => {
            let key = id_key_file.map(read_key_file).transpose()?;
            let v = township.add_village(&code, &name, key)?;
            println!("已登记 {}（{}）", v.name, v.code);
        }
        TownshipCommand::Village(TownshipVillageCommand::List { json }) => {
            let list = township.villages()?;
            emit(json, &list.iter().map(VillageView::from).collect::<Vec<_>>(), |l| {
                l.iter().map(|v| format!("{}  {}\n", v.code, v.name)).collect()
            })?;
        }
        TownshipCommand::Device(cmd) => super::township_fleet::device(township, cmd)?,
        TownshipCommand::Households(TownshipImportCommand::Import { village, file, json }) => {
            let report = township.import_households(&village.to_ascii_uppercase(), &name_of(&file), &read(&file)?)?;
            emit(json, &report, text::import_report)?;
        }
        TownshipCommand::Points(TownshipPointsCommand::Award {
            village,
            household,
            rule,
            points,
            note,
            photos,
            by,
            json,
        }) => super::evidence::township_award(township, &village, household, rule, points, note, &photos, by, json)?,
        TownshipCommand::Dispute(cmd) => {
            let village = match &cmd {
                TownshipDisputeCommand::List { village, .. } => village.clone(),
                TownshipDisputeCommand::Resolve { .. } => None,
            };
            let villages = chosen(township, village)?.into_iter().map(|v| v.code).collect();
            super::evidence::township_dispute(township, villages, cmd)?;
        }
        TownshipCommand::Points(TownshipPointsCommand::Import { village, file, json }) => {
            let report = township.import_points(&village.to_ascii_uppercase(), &name_of(&file), &read(&file)?)?;
            emit(json, &report, text::import_report)?;
        }
        TownshipCommand::Rules(RulesCommand::Import { file, json }) => {
            let report = township.import_rules(&name_of(&file), &read(&file)?)?;
            emit(json, &report, text::import_report)?;
        }
        TownshipCommand::Rules(RulesCommand::List { json }) => {
            let rules = township.rules()?;
            let views: Vec<_> = rules.iter().map(text::RuleView::from).collect();
            emit(json, &views, |v| text::rules(v))?;
        }
        TownshipCommand::Household(TownshipHouseholdCommand::Show { village, code, json }) => {
            let view = township.household(&village.to_ascii_uppercase(), &code)?;
            emit(json, &view, text::account)?;
        }
        TownshipCommand::Report { report } => report_cmd(township, report)?,
        TownshipCommand::Verify { village, json } => {
            let villages = chosen(township, village)?;
            let mut problems = Vec::new();
            for v in &villages {
                problems.extend(
                    township
                        .verify(&v.code)?
                        .into_iter()
                        .map(|p| format!("{}: {p}", v.code)),
                );
            }
            let report = VerifyView {
                ok: problems.is_empty(),
                villages: villages.len(),
                problems,
            };
            emit(json, &report, |r| {
                if r.ok {
                    format!("{} 个村的数据完好\n", r.villages)
                } else {
                    r.problems.iter().map(|p| format!("{p}\n")).collect()
                }
            })?;
            if !report.ok {
                return Ok(ExitCode::from(2));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report_cmd(township: &dyn TownshipStorage, report: TownshipReport) -> anyhow::Result<()> {
    let this_quarter = || crate::domain::clock::SystemClock.this_month().quarter();
    let quarter = |q: Option<String>| -> anyhow::Result<Quarter> {
        Ok(match q {
            Some(q) => q.parse()?,
            None => this_quarter(),
        })
    };
    match report {
        TownshipReport::Ranking {
            village,
            quarter: q,
            json,
        } => {
            let q = quarter(q)?;
            let rows = ranking_across(township, &chosen(township, village)?, q)?;
            emit(json, &rows, |rows| ranking_text(q, rows))?;
        }
        TownshipReport::Areas {
            village,
            quarter: q,
            json,
        } => {
            let q = quarter(q)?;
            let mut rows: Vec<AreaPoints> = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(township.areas(&v.code, q)?);
            }
            emit(json, &rows, |rows| {
                let mut s = format!("{q} 各村分领域积分\n");
                for r in rows {
                    let _ = writeln!(s, "{}  {}  {:+} 分  {} 条", r.village, r.area, r.points, r.entries);
                }
                s
            })?;
        }
        TownshipReport::DoubleSettlements { village, json } => {
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(
                    township
                        .double_settlements(&v.code)?
                        .into_iter()
                        .map(|d| (v.code.clone(), d)),
                );
            }
            let views: Vec<_> = rows.iter().map(|(v, d)| DoubleView { village: v, row: d }).collect();
            emit(json, &views, |rows| {
                if rows.is_empty() {
                    return "没有重复核销的兑换券\n".to_string();
                }
                let mut s = String::new();
                for r in rows {
                    let d = r.row;
                    let _ = writeln!(
                        s,
                        "{} 兑换券 {}：先在 {} 由 {} 于 {} {}；又在 {} 由 {} 于 {} 核销（{}）",
                        r.village,
                        d.serial,
                        d.kept_device.as_deref().unwrap_or("?"),
                        d.kept_by.as_deref().unwrap_or("?"),
                        d.kept_at.as_deref().unwrap_or("?"),
                        if d.kept_status == "void" { "作废" } else { "核销" },
                        d.other_device.as_deref().unwrap_or("?"),
                        d.other_by.as_deref().unwrap_or("?"),
                        d.other_at.as_deref().unwrap_or("?"),
                        d.other_merchant.as_deref().unwrap_or("?"),
                    );
                }
                s
            })?;
        }
        TownshipReport::Disputes { village, json } => {
            let villages = chosen(township, village)?.into_iter().map(|v| v.code).collect();
            super::evidence::township_dispute_report(township, villages, json)?;
        }
        TownshipReport::SyncProblems { village, json } => {
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(
                    township
                        .sync_problems(&v.code)?
                        .into_iter()
                        .map(|p| (v.code.clone(), p)),
                );
            }
            let views: Vec<_> = rows.iter().map(|(v, p)| ProblemView { village: v, row: p }).collect();
            emit(json, &views, |rows| {
                if rows.is_empty() {
                    return "没有搁置的同步记录\n".to_string();
                }
                let mut s = String::new();
                for r in rows {
                    let p = r.row;
                    let _ = writeln!(
                        s,
                        "{} {} 第 {} 条（{}，试了 {} 次{}）：{}",
                        r.village,
                        p.origin.as_deref().unwrap_or("乡镇"),
                        p.seq,
                        p.kind,
                        p.tries,
                        if p.forbidden { "，一体机无权发送" } else { "" },
                        p.reason
                    );
                }
                s
            })?;
        }
        TownshipReport::Overdrafts { village, json } => {
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(
                    township
                        .overdrafts(&v.code)?
                        .iter()
                        .map(|o| OverdraftView::new(&v.code, o)),
                );
            }
            emit(json, &rows, |rows| {
                if rows.is_empty() {
                    return "没有透支的农户\n".to_string();
                }
                let mut s = String::new();
                for r in rows {
                    let _ = writeln!(
                        s,
                        "{} {}  透支到 {} 分（现在 {} 分）  因：{}",
                        r.village, r.household_code, r.balance_after, r.balance_now, r.reason
                    );
                }
                s
            })?;
        }
    }
    Ok(())
}

fn ranking_text(q: Quarter, rows: &[TownshipRankRow]) -> String {
    let mut s = format!("{q} 全镇积分排名\n");
    for r in rows {
        let _ = writeln!(
            s,
            "第 {:>3} 名  {} {}  {}  {:+} 分",
            r.rank,
            r.village,
            r.household_code,
            r.head.as_deref().unwrap_or("—"),
            r.earned
        );
    }
    s
}

fn chosen(township: &dyn TownshipStorage, village: Option<String>) -> anyhow::Result<Vec<VillageRow>> {
    match village {
        None => Ok(township.villages()?),
        Some(code) => match township.village(&code.to_ascii_uppercase())? {
            Some(v) => Ok(vec![v]),
            None => bail!("no village with code {code} is registered at the township"),
        },
    }
}

/// The engine named on the command line: SQLite at `--db PATH` or PostgreSQL at
/// `--database-url`.
fn open(args: &TownshipArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<dyn TownshipStorage>> {
    Ok(open_engine(args, clock)?.0)
}

/// The engine, and the SQLite engine itself for what only it does (backups, its lock).
type Engines = (Arc<dyn TownshipStorage>, Option<Arc<SqliteTownship>>);

fn open_engine(args: &TownshipArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Engines> {
    match (&args.db, &args.database_url) {
        (Some(_), Some(_)) => bail!(
            "choose one engine: --db PATH (SQLite) or --database-url postgres://… (PostgreSQL), not both \
             (check JIFEN_TOWNSHIP_DB and JIFEN_DATABASE_URL)"
        ),
        (Some(db), None) => {
            let t = Arc::new(SqliteTownship::open(db, clock)?);
            Ok((t.clone(), Some(t)))
        }
        (None, Some(url)) => Ok((
            Arc::new(PgTownship::connect(url, args.connections, clock).context("cannot open the PostgreSQL database")?),
            None,
        )),
        (None, None) => bail!(
            "name the township database with --db PATH (SQLite, or JIFEN_TOWNSHIP_DB) or \
             --database-url postgres://USER@HOST/DB (PostgreSQL, or JIFEN_DATABASE_URL)"
        ),
    }
}

fn read(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn name_of(file: &std::path::Path) -> String {
    file.display().to_string()
}

fn read_key_file(path: PathBuf) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{} is not a key file (64 hex characters)", path.display()))
}

#[derive(Serialize)]
struct VillageView {
    code: String,
    name: String,
}

impl From<&VillageRow> for VillageView {
    fn from(v: &VillageRow) -> Self {
        VillageView {
            code: v.code.clone(),
            name: v.name.clone(),
        }
    }
}

#[derive(Serialize)]
struct OverdraftView {
    village: String,
    household_code: String,
    entry_id: String,
    reason: String,
    balance_after: i64,
    balance_now: i64,
    flagged_at: String,
}

impl OverdraftView {
    fn new(village: &str, o: &OverdraftRow) -> Self {
        OverdraftView {
            village: village.to_string(),
            household_code: o.household.clone(),
            entry_id: o.entry_id.clone(),
            reason: o.reason.clone(),
            balance_after: o.balance_after,
            balance_now: o.balance_now,
            flagged_at: o.flagged_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize)]
struct DoubleView<'a> {
    village: &'a str,
    #[serde(flatten)]
    row: &'a crate::store::DoubleSettlementRow,
}

#[derive(Serialize)]
struct ProblemView<'a> {
    village: &'a str,
    #[serde(flatten)]
    row: &'a crate::store::SetAsideRow,
}

#[derive(Serialize)]
struct VerifyView {
    ok: bool,
    villages: usize,
    problems: Vec<String>,
}
