//! `jifen devices …`: list serial ports, read one card, and run the reader simulator.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;

use super::args::DevicesCommand;
use crate::devices::idcard::serial::{spawn_reader, ReaderConfig, ReaderStats};
use crate::devices::idcard::simulator::{PtyReader, SimulatedReader};
use crate::devices::idcard::CardText;
use crate::devices::InputEvent;
use crate::domain::id_number::{mask_name, IdNumber};

#[derive(Serialize)]
struct CardReport {
    /// Masked: region code and last four only.
    id_number: String,
    id_last4: String,
    name: String,
}

pub(super) fn run(cmd: DevicesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DevicesCommand::List { json } => {
            let ports: Vec<String> = serialport::available_ports()
                .context("cannot list serial ports")?
                .into_iter()
                .map(|p| p.port_name)
                .collect();
            super::emit(json, &ports, |p| p.iter().map(|p| format!("{p}\n")).collect())?;
        }
        DevicesCommand::ReadCard { port, timeout, json } => {
            if let Err(e) = serialport::new(port.display().to_string(), 115_200).open() {
                bail!("cannot open the card reader at {}: {e}", port.display());
            }
            let report = read_one_card(&port, Duration::from_secs(timeout))?;
            super::emit(json, &report, |r| format!("读到身份证：{} {}\n", r.name, r.id_number))?;
        }
        DevicesCommand::SimulateReader { cards } => simulate_reader(cards.as_deref())?,
        DevicesCommand::SimulateScanner => simulate_scanner()?,
    }
    Ok(ExitCode::SUCCESS)
}

fn read_one_card(port: &Path, timeout: Duration) -> anyhow::Result<CardReport> {
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Mutex::new(ReaderStats::default()));
    let thread = spawn_reader(ReaderConfig::new(port), tx, stop.clone(), stats);
    let end = Instant::now() + timeout;
    let mut result = None;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(InputEvent::CardRead { id_number, name }) => {
                result = Some(CardReport {
                    id_number: id_number.masked(),
                    id_last4: id_number.last4().to_string(),
                    name: mask_name(&name),
                });
                break;
            }
            Ok(InputEvent::Error { message, .. }) => eprintln!("{message}"),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
    result.with_context(|| format!("no card was read within {} s", timeout.as_secs()))
}

/// Serves a simulated reader on a pty: prints its path, then takes `place N`, `lift`,
/// `list` and `quit` on stdin (EOF quits).
fn simulate_reader(cards_file: Option<&Path>) -> anyhow::Result<()> {
    let cards = match cards_file {
        Some(f) => read_cards(f)?,
        None => demo_cards()?,
    };
    let sim = PtyReader::start().context("cannot open a pseudo-terminal")?;
    println!("{}", sim.path().display());
    std::io::stdout().flush()?;
    serve_reader_commands(&sim.reader, &cards, std::io::stdin().lock())
}

/// Reads `place N`, `lift`, `list` and `quit` lines and acts them out on the simulator.
pub(super) fn serve_reader_commands(
    sim: &Mutex<SimulatedReader>,
    cards: &[CardText],
    input: impl BufRead,
) -> anyhow::Result<()> {
    eprintln!("模拟读卡器已就绪。命令：place N（放第 N 张卡）、lift（拿走）、list、quit");
    for line in input.lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["place", n] => match n.parse::<usize>().ok().and_then(|n| cards.get(n.wrapping_sub(1))) {
                Some(card) => {
                    if let Ok(mut r) = sim.lock() {
                        r.place(card.clone());
                    }
                    eprintln!("已放卡：{:?}", card);
                }
                None => eprintln!("没有第 {n} 张卡（共 {} 张）", cards.len()),
            },
            ["lift"] => {
                if let Ok(mut r) = sim.lock() {
                    r.lift();
                }
                eprintln!("已拿走卡");
            }
            ["list"] => {
                for (i, c) in cards.iter().enumerate() {
                    eprintln!("{}. {} {}", i + 1, mask_name(&c.name), c.id_number.masked());
                }
            }
            ["quit"] => break,
            [] => {}
            _ => eprintln!("不认识的命令：{line}"),
        }
    }
    Ok(())
}

/// Serves a simulated QR scanner on a pty: each stdin line goes out as one scan + CRLF.
fn simulate_scanner() -> anyhow::Result<()> {
    let mut pty = crate::devices::pty::PtyMaster::open().context("cannot open a pseudo-terminal")?;
    println!("{}", pty.path().display());
    std::io::stdout().flush()?;
    eprintln!("模拟扫码枪已就绪：每输入一行即扫一次码");
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        pty.write_all(format!("{}\r\n", line.trim()).as_bytes())
            .context("the scanner's pseudo-terminal is closed")?;
    }
    Ok(())
}

/// A cards file: CSV with header `name,id_number` (further columns ignored).
fn read_cards(path: &Path) -> anyhow::Result<Vec<CardText>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut cards = Vec::new();
    for rec in reader.records() {
        let rec = rec.with_context(|| format!("{}: unreadable row", path.display()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let (Some(name), Some(id)) = (rec.get(0), rec.get(1)) else {
            bail!("{} line {line}: expected name,id_number", path.display());
        };
        let id = IdNumber::parse(id).with_context(|| format!("{} line {line}", path.display()))?;
        cards.push(card(name, id));
    }
    if cards.is_empty() {
        bail!("{} holds no cards", path.display());
    }
    Ok(cards)
}

/// The heads of the first demo households, so the demo kiosk recognises them.
pub(super) fn demo_cards() -> anyhow::Result<Vec<CardText>> {
    (0..5)
        .map(|h| {
            let id = IdNumber::parse(&crate::app::demo::demo_id_number(h, 0))?;
            Ok(card(&format!("演示户主{}", h + 1), id))
        })
        .collect()
}

pub(super) fn card(name: &str, id: IdNumber) -> CardText {
    let birth = id
        .birth_date()
        .map(|d| d.format("%Y%m%d").to_string())
        .unwrap_or_default();
    CardText {
        name: name.to_string(),
        sex: "1".into(),
        ethnicity: "01".into(),
        birth_date: birth,
        address: "浙江省桐乡市河山镇堰头村".into(),
        id_number: id,
        issuer: "桐乡市公安局".into(),
        valid_from: "20200101".into(),
        valid_to: "长期".into(),
    }
}
