//! The input hub: one thread per configured device, all sending [`InputEvent`]s on one
//! channel the kiosk consumes. Dropping the hub stops the threads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::idcard::serial::{spawn_reader, ReaderConfig, ReaderStats};
use super::link::SerialLink;
use super::qr::spawn_serial_scanner;
use super::InputEvent;

/// Device paths, from the `[devices]` section of the config file.
#[derive(Debug, Clone, Default)]
pub struct DeviceConfig {
    /// The GA/T 467 card reader, e.g. `/dev/jifen-idcard`.
    pub idcard: Option<PathBuf>,
    /// A serial QR scanner, e.g. `/dev/jifen-qr`. A keyboard-wedge scanner needs no
    /// path: the touch UI feeds its keystrokes to a `LineAssembler`.
    pub qr_serial: Option<PathBuf>,
    pub qr_baud: u32,
}

pub struct InputHub {
    pub events: Receiver<InputEvent>,
    pub reader_stats: Arc<Mutex<ReaderStats>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl InputHub {
    pub fn start(config: &DeviceConfig) -> InputHub {
        let (tx, events) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let reader_stats = Arc::new(Mutex::new(ReaderStats::default()));
        let mut threads = Vec::new();
        if let Some(path) = &config.idcard {
            threads.push(spawn_reader(
                ReaderConfig::new(path),
                tx.clone(),
                stop.clone(),
                reader_stats.clone(),
            ));
        }
        if let Some(path) = &config.qr_serial {
            let link = SerialLink {
                path: path.clone(),
                baud: if config.qr_baud == 0 { 9600 } else { config.qr_baud },
            };
            threads.push(spawn_serial_scanner(link, tx.clone(), stop.clone()));
        }
        InputHub {
            events,
            reader_stats,
            stop,
            threads,
        }
    }
}

impl Drop for InputHub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
