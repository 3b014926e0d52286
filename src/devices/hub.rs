//! The input hub: one thread per configured device, all sending [`InputEvent`]s on one
//! channel the kiosk consumes. Dropping the hub stops the threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::idcard::serial::{spawn_reader, ReaderConfig, ReaderStats};
use super::link::SerialLink;
use super::qr::spawn_serial_scanner;
use super::InputEvent;
use crate::installation::DevicesConfig;

pub struct InputHub {
    pub events: Receiver<InputEvent>,
    pub reader_stats: Arc<Mutex<ReaderStats>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl InputHub {
    /// Starts a thread for each device named in `[devices]`. A keyboard-wedge scanner needs
    /// no entry: the touch UI feeds its keystrokes to a `LineAssembler`.
    pub fn start(config: &DevicesConfig) -> InputHub {
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
        if let Some(path) = &config.qr {
            let link = SerialLink {
                kind: super::DeviceKind::QrScanner,
                path: path.clone(),
                baud: config.qr_baud.unwrap_or(9600),
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
