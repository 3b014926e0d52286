//! The township engines a benchmark runs on. SQLite always; with `--database-url`,
//! PostgreSQL too, in turn on the same machine in the same run, so that the ratio between
//! them is read off one run rather than two runs on different days (issue 15's goals are
//! ratios). Each engine's durability is printed beside its figures: PostgreSQL with
//! `fsync=off` or SQLite without `synchronous=FULL` would flatter it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;

use super::BenchArgs;
use crate::domain::clock::{Clock, SystemClock};
use crate::store::pg::{server_settings, ScratchDatabase};
use crate::township::{PgTownship, SqliteTownship, TownshipStorage};

/// What a township benchmark measured on one engine.
pub(super) trait Figures: Serialize {
    /// Prints the figures as lines of text.
    fn print(&self);
    /// The figures worth comparing between engines, each where less is better (seconds,
    /// milliseconds), with the word that names it in the ratio line.
    fn compared(&self) -> Vec<(&'static str, f64)>;
}

/// The township under test: SQLite in a folder of the bench, or a scratch database on a
/// PostgreSQL server (created now, dropped when this goes).
pub(super) struct Engine {
    pub storage: Arc<dyn TownshipStorage>,
    pub name: &'static str,
    /// How durable a commit is on this engine, in its own settings' words.
    pub durability: String,
    _scratch: Option<ScratchDatabase>,
}

/// Runs `measure` on SQLite and, with `--database-url`, on PostgreSQL, each in a folder
/// of its own under a temporary directory; prints both, then PostgreSQL's figures as
/// multiples of SQLite's.
pub(super) fn on_each_engine<F: Figures>(
    args: &BenchArgs,
    measure: impl Fn(&Engine, &Path, &Arc<dyn Clock>) -> anyhow::Result<F>,
) -> anyhow::Result<ExitCode> {
    let tmp = super::scratch::TempDir::new()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut runs = Vec::new();
    let mut engines = vec![EngineChoice::Sqlite];
    if let Some(url) = &args.database_url {
        engines.push(EngineChoice::Postgres(url));
    }
    for choice in engines {
        let engine = choice.open(&tmp.0, &clock)?;
        let folder = tmp.0.join(engine.name);
        std::fs::create_dir_all(&folder)?;
        let figures = measure(&engine, &folder, &clock)?;
        if !args.json {
            println!("township on {} ({})", engine.name, engine.durability);
            figures.print();
        }
        runs.push(Run {
            engine: engine.name,
            durability: engine.durability.clone(),
            figures,
        });
    }
    let ratios = match runs.as_slice() {
        [sqlite, postgres] => ratios(&sqlite.figures, &postgres.figures),
        _ => Vec::new(),
    };
    if args.json {
        let ratios: serde_json::Map<String, serde_json::Value> =
            ratios.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "runs": runs, "postgres_over_sqlite": ratios }))?
        );
    } else if !ratios.is_empty() {
        let words: Vec<String> = ratios.iter().map(|(k, v)| format!("{k} {v:.2}×")).collect();
        println!("postgres ÷ sqlite: {}", words.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct Run<F> {
    engine: &'static str,
    durability: String,
    figures: F,
}

enum EngineChoice<'a> {
    Sqlite,
    Postgres(&'a str),
}

/// The server's pool; PostgreSQL's default limit is 100 connections.
const PG_CONNECTIONS: usize = 32;

impl EngineChoice<'_> {
    fn open(&self, tmp: &Path, clock: &Arc<dyn Clock>) -> anyhow::Result<Engine> {
        Ok(match self {
            EngineChoice::Sqlite => Engine {
                storage: Arc::new(SqliteTownship::open(&tmp.join("township.sqlite3"), clock.clone())?),
                name: "sqlite",
                durability: "WAL, synchronous=FULL".into(),
                _scratch: None,
            },
            EngineChoice::Postgres(admin) => {
                let settings = server_settings(admin, &["server_version", "fsync", "synchronous_commit"])?;
                let durability = settings
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let scratch = ScratchDatabase::create(admin, "jifen_bench")?;
                Engine {
                    storage: Arc::new(PgTownship::connect(&scratch.url, PG_CONNECTIONS, clock.clone())?),
                    name: "postgres",
                    durability,
                    _scratch: Some(scratch),
                }
            }
        })
    }
}

fn ratios<F: Figures>(sqlite: &F, postgres: &F) -> Vec<(&'static str, f64)> {
    sqlite
        .compared()
        .into_iter()
        .zip(postgres.compared())
        .filter(|((_, s), _)| *s > 0.0)
        .map(|((name, s), (_, p))| (name, p / s))
        .collect()
}
