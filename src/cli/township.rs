//! `jifen township …`: the township server and its staff's commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use serde::Serialize;

use super::args::*;
use super::{emit, text};
use crate::domain::clock::{Clock, SystemClock};
use crate::store::VillageRow;
use crate::sync::server::{run_blocking, ServerState};
use crate::township::{PgTownship, SqliteTownship, TownshipStorage};

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
            let mut state = ServerState::new(storage.clone(), clock.clone())?;
            state.also = Some(crate::console::router(storage.clone(), clock));
            run_blocking(listen, state).with_context(|| format!("cannot serve on {listen}"))?;
        }
        TownshipCommand::Key(cmd) => super::township_fleet::key(township, cmd)?,
        TownshipCommand::User(cmd) => super::console_users::run(township, cmd)?,
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
        TownshipCommand::Report { report } => super::township_reports::run(township, report)?,
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

pub(super) fn chosen(township: &dyn TownshipStorage, village: Option<String>) -> anyhow::Result<Vec<VillageRow>> {
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
struct VerifyView {
    ok: bool,
    villages: usize,
    problems: Vec<String>,
}
