//! The reader on a real serial port: a thread that polls about every 300 ms, sends
//! [`InputEvent`]s, and survives the reader being unplugged (reopens with back-off).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::frame::FrameDecoder;
use super::poller::{CardPoller, PollStep};
use crate::devices::link::{run_reconnecting, sleep_unless_stopped, SerialLink};
use crate::devices::InputEvent;

#[derive(Debug, Clone)]
pub struct ReaderConfig {
    pub path: PathBuf,
    pub baud: u32,
    pub poll_interval: Duration,
    /// How long to wait for a reply before counting a timeout.
    pub reply_timeout: Duration,
}

/// Counters a clerk's status screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderStats {
    pub garbage_bytes: u64,
    pub bad_frames: u64,
    pub bad_replies: u64,
    pub timeouts: u64,
    pub reconnects: u64,
}

impl ReaderConfig {
    pub fn new(path: impl Into<PathBuf>) -> ReaderConfig {
        ReaderConfig {
            path: path.into(),
            baud: 115_200,
            poll_interval: Duration::from_millis(300),
            reply_timeout: Duration::from_millis(500),
        }
    }
}

/// After this many silent requests in a row the reader is taken as gone and reopened.
const TIMEOUTS_BEFORE_LOST: u32 = 3;

/// Starts the reader thread. It runs until `stop` is set; `stats` is updated as it goes.
pub fn spawn_reader(
    config: ReaderConfig,
    events: Sender<InputEvent>,
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<ReaderStats>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let device = config.path.display().to_string();
        let mut poller = CardPoller::new(&device);
        // Lives as long as the thread so its counters add up across reconnects.
        let mut decoder = FrameDecoder::default();
        let link = SerialLink {
            kind: crate::devices::DeviceKind::CardReader,
            path: config.path.clone(),
            baud: config.baud,
        };
        let mut first_open = true;
        run_reconnecting(&link, &events, &stop, |port| {
            if !first_open {
                if let Ok(mut s) = stats.lock() {
                    s.reconnects += 1;
                }
            }
            first_open = false;
            poller.reset();
            decoder.discard_buffered();
            session(port, &config, &mut poller, &mut decoder, &events, &stop, &stats)
        });
    })
}

/// Polls an open port until an I/O error, too many timeouts, or `stop`.
fn session(
    port: &mut dyn serialport::SerialPort,
    config: &ReaderConfig,
    poller: &mut CardPoller,
    decoder: &mut FrameDecoder,
    events: &Sender<InputEvent>,
    stop: &AtomicBool,
    stats: &Mutex<ReaderStats>,
) -> String {
    let mut silent = 0;
    while !stop.load(Ordering::Relaxed) {
        // Drain stray bytes so a late reply is not taken for the answer to this request.
        let _ = port.clear(serialport::ClearBuffer::Input);
        if let Err(e) = port.write_all(&poller.request()).and_then(|_| port.flush()) {
            return e.to_string();
        }
        let deadline = Instant::now() + config.reply_timeout;
        let mut reply = None;
        let mut buf = [0u8; 2048];
        while reply.is_none() && Instant::now() < deadline {
            match port.read(&mut buf) {
                Ok(0) => return "end of file".into(),
                Ok(n) => reply = decoder.push(&buf[..n]).into_iter().next(),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => return e.to_string(),
            }
        }
        if let Ok(mut s) = stats.lock() {
            s.garbage_bytes = decoder.garbage_bytes;
            s.bad_frames = decoder.bad_frames;
            s.bad_replies = poller.bad_replies;
        }
        let Some(body) = reply else {
            silent += 1;
            if let Ok(mut s) = stats.lock() {
                s.timeouts += 1;
            }
            if silent >= TIMEOUTS_BEFORE_LOST {
                return "no reply".into();
            }
            poller.reset();
            continue;
        };
        silent = 0;
        match poller.on_reply(&body) {
            PollStep::Continue => continue,
            PollStep::Wait => {}
            PollStep::Event(e) => {
                if events.send(e).is_err() {
                    return "nobody listens".into();
                }
            }
        }
        sleep_unless_stopped(config.poll_interval, stop);
    }
    "stopped".into()
}
