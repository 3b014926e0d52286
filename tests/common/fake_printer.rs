//! A fake ESC/POS printer on a TCP port or a pseudo-terminal. It answers `DLE EOT 1/2/4`
//! with the real status bytes for its condition and records every job (`ESC @` … cut).
//! Like a real printer it only answers status queries between jobs: raster data may
//! contain the bytes 10 04 01, so inside a job bytes are parsed as commands.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jifen::devices::pty::PtyMaster;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Ready,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    Offline,
    /// Answers nothing at all (switched off, wrong port).
    Silent,
    /// Ready, and out of paper once the next job has gone through.
    RunsOutDuringJob,
}

#[derive(Default)]
struct State {
    condition: Option<Condition>,
    jobs: Vec<Vec<u8>>,
    queries: usize,
    stray: usize,
    /// Sent to every new connection before anything else (a chatty printer).
    greeting: Vec<u8>,
}

#[derive(Clone)]
pub struct FakePrinter {
    state: Arc<Mutex<State>>,
    /// The printer URL for `--printer`.
    pub url: String,
}

impl FakePrinter {
    pub fn tcp() -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("tcp://{}", listener.local_addr().unwrap());
        let printer = FakePrinter::new(url);
        let state = printer.state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let state = state.clone();
                std::thread::spawn(move || {
                    let greeting = state.lock().unwrap().greeting.clone();
                    let _ = stream.write_all(&greeting);
                    let mut engine = Engine::default();
                    let mut buf = [0u8; 8192];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let answers = engine.feed(&buf[..n], &state);
                        if stream.write_all(&answers).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        printer
    }

    /// A serial printer at 115200 baud on a pty.
    pub fn pty() -> FakePrinter {
        let mut master = PtyMaster::open().unwrap();
        let printer = FakePrinter::new(format!("serial:{}?baud=115200", master.path().display()));
        let state = printer.state.clone();
        std::thread::spawn(move || {
            let mut engine = Engine::default();
            loop {
                match master.read_timeout(Duration::from_millis(50)) {
                    Ok(bytes) if bytes.is_empty() => {}
                    Ok(bytes) => {
                        let answers = engine.feed(&bytes, &state);
                        if !answers.is_empty() && master.write_all(&answers).is_err() {
                            return;
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        printer
    }

    fn new(url: String) -> FakePrinter {
        let state = State {
            condition: Some(Condition::Ready),
            ..State::default()
        };
        FakePrinter {
            state: Arc::new(Mutex::new(state)),
            url,
        }
    }

    /// A pty printer addressed as a USB printer-class device (`usb:/dev/pts/N`): no lp port
    /// status, so only its back channel can tell anything.
    pub fn as_usb(&self) -> String {
        let path = self
            .url
            .trim_start_matches("serial:")
            .split('?')
            .next()
            .unwrap_or_default();
        format!("usb:{path}")
    }

    pub fn set(&self, condition: Condition) {
        self.state.lock().unwrap().condition = Some(condition);
    }

    pub fn greet_with(&self, bytes: &[u8]) {
        self.state.lock().unwrap().greeting = bytes.to_vec();
    }

    pub fn jobs(&self) -> Vec<Vec<u8>> {
        self.state.lock().unwrap().jobs.clone()
    }

    pub fn queries(&self) -> usize {
        self.state.lock().unwrap().queries
    }

    /// Bytes outside a job that were no status query.
    pub fn stray(&self) -> usize {
        self.state.lock().unwrap().stray
    }
}

/// The answers to DLE EOT 1 (printer), 2 (offline cause) and 4 (paper sensor).
fn answer(condition: Condition, n: u8) -> Option<u8> {
    let (printer, cause, paper) = match condition {
        Condition::Ready | Condition::RunsOutDuringJob => (0x12, 0x12, 0x12),
        Condition::PaperNearEnd => (0x12, 0x12, 0x1E),
        Condition::PaperOut => (0x1A, 0x32, 0x7E),
        Condition::CoverOpen => (0x1A, 0x16, 0x12),
        Condition::Offline => (0x1A, 0x12, 0x12),
        Condition::Silent => return None,
    };
    match n {
        1 => Some(printer),
        2 => Some(cause),
        4 => Some(paper),
        _ => None,
    }
}

#[derive(Default)]
struct Engine {
    pending: Vec<u8>,
    job: Option<Vec<u8>>,
}

impl Engine {
    fn feed(&mut self, bytes: &[u8], state: &Mutex<State>) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let mut answers = Vec::new();
        loop {
            let p = &self.pending;
            let Some(job) = self.job.as_mut() else {
                // Between jobs: status queries, the start of a job, or stray bytes.
                match p.as_slice() {
                    [] | [0x10] | [0x10, 0x04] | [0x1B] => break,
                    [0x10, 0x04, n, ..] => {
                        let mut s = state.lock().unwrap();
                        s.queries += 1;
                        if let Some(b) = s.condition.and_then(|c| answer(c, *n)) {
                            answers.push(b);
                        }
                        self.pending.drain(..3);
                    }
                    [0x1B, 0x40, ..] => {
                        self.job = Some(Vec::new());
                    }
                    _ => {
                        state.lock().unwrap().stray += 1;
                        self.pending.drain(..1);
                    }
                }
                continue;
            };
            // Inside a job: take whole commands, so image data is never read as a query.
            let take = match p.as_slice() {
                [0x1D, 0x76, 0x30, _, xl, xh, yl, yh, ..] => {
                    8 + u16::from_le_bytes([*xl, *xh]) as usize * u16::from_le_bytes([*yl, *yh]) as usize
                }
                [0x1D, 0x28, 0x6B, pl, ph, ..] => 5 + u16::from_le_bytes([*pl, *ph]) as usize,
                [0x1D, 0x56, 0x41, _, ..] => 4,
                // A command's first bytes have come, its rest has not.
                [0x1D] | [0x1D, 0x76] | [0x1D, 0x76, 0x30, ..] | [0x1D, 0x28] | [0x1D, 0x28, 0x6B, ..] => usize::MAX,
                [0x1D, 0x56] | [0x1D, 0x56, 0x41] => usize::MAX,
                [] => break,
                _ => 1,
            };
            if take > p.len() {
                break;
            }
            let cut = p.starts_with(&[0x1D, 0x56, 0x41]);
            job.extend(self.pending.drain(..take));
            if cut {
                let done = self.job.take().unwrap_or_default();
                let mut s = state.lock().unwrap();
                s.jobs.push(done);
                if s.condition == Some(Condition::RunsOutDuringJob) {
                    s.condition = Some(Condition::PaperOut);
                }
            }
        }
        answers
    }
}
