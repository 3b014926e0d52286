//! A serial device that comes and goes: open it, run a session until it fails, report
//! the loss, reopen with back-off, report the return. Shared by the card reader and the
//! serial QR scanner.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use super::InputEvent;

/// Where a serial device is and how fast it talks.
#[derive(Debug, Clone)]
pub struct SerialLink {
    pub kind: super::DeviceKind,
    pub path: PathBuf,
    pub baud: u32,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Runs `session` on the open port each time it can be opened, until `stop`. The
/// session returns why it ended. `DeviceLost` is sent once per loss, `DeviceBack` once
/// per return (a device absent at start-up and plugged in later counts as a return).
pub fn run_reconnecting(
    link: &SerialLink,
    events: &Sender<InputEvent>,
    stop: &AtomicBool,
    mut session: impl FnMut(&mut dyn serialport::SerialPort) -> String,
) {
    let device = link.path.display().to_string();
    let mut backoff = FIRST_BACKOFF;
    let mut lost = false;
    while !stop.load(Ordering::Relaxed) {
        let port = serialport::new(device.as_str(), link.baud)
            .timeout(Duration::from_millis(50))
            .open();
        let mut port = match port {
            Ok(p) => p,
            Err(e) => {
                if !lost {
                    lost = true;
                    tracing::warn!("{device} cannot be opened: {e}");
                    let _ = events.send(InputEvent::DeviceLost {
                        kind: link.kind,
                        device: device.clone(),
                    });
                }
                sleep_unless_stopped(backoff, stop);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        if lost {
            let _ = events.send(InputEvent::DeviceBack {
                kind: link.kind,
                device: device.clone(),
            });
        }
        lost = false;
        backoff = FIRST_BACKOFF;
        let reason = session(&mut *port);
        if !stop.load(Ordering::Relaxed) {
            tracing::warn!("{device} lost: {reason}");
            lost = true;
            let _ = events.send(InputEvent::DeviceLost {
                kind: link.kind,
                device: device.clone(),
            });
        }
    }
}

pub fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let Some(left) = end.checked_duration_since(Instant::now()) else {
            return;
        };
        std::thread::sleep(Duration::from_millis(20).min(left));
    }
}
