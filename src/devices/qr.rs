//! QR scanners: a serial scanner sends a line per scan; a USB keyboard-wedge scanner
//! "types" the text and presses Enter. Both become the same [`InputEvent`].

use super::InputEvent;
pub use crate::domain::scan::MAX_SCAN_LEN;
use crate::domain::scan::{read_scanned_line, ScannedLine};

/// Turns one scanned line into an event, as `domain::scan` reads it. Blank lines,
/// over-long lines and control characters give `None`.
pub fn classify(line: &str) -> Option<InputEvent> {
    Some(match read_scanned_line(line)? {
        ScannedLine::Voucher(payload) => InputEvent::VoucherScanned { payload },
        ScannedLine::HouseholdCard(token) => InputEvent::HouseholdCard { token },
        ScannedLine::IdNumberTyped => InputEvent::IdNumberTyped,
    })
}

/// Collects bytes from a serial scanner (or keystrokes from a wedge scanner) into lines.
/// Accepts CR, LF or CRLF endings; a line that grows past [`MAX_SCAN_LEN`] is dropped
/// and counted, and the rest of it is discarded up to the next line end.
#[derive(Debug, Default)]
pub struct LineAssembler {
    buf: Vec<u8>,
    overflowing: bool,
    /// Lines dropped because they were too long or not UTF-8.
    pub dropped: u64,
}

impl LineAssembler {
    /// Feeds bytes; returns every complete scan they finish.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<InputEvent> {
        let mut events = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if !self.overflowing && !self.buf.is_empty() {
                    match std::str::from_utf8(&self.buf) {
                        Ok(line) => events.extend(classify(line)),
                        Err(_) => self.dropped += 1,
                    }
                }
                self.buf.clear();
                self.overflowing = false;
            } else if !self.overflowing {
                self.buf.push(b);
                if self.buf.len() > MAX_SCAN_LEN {
                    self.overflowing = true;
                    self.dropped += 1;
                    self.buf.clear();
                }
            }
        }
        events
    }

    /// Feeds one keystroke from a keyboard-wedge scanner (Enter ends the scan).
    pub fn push_key(&mut self, key: char) -> Vec<InputEvent> {
        let mut utf8 = [0u8; 4];
        self.push(key.encode_utf8(&mut utf8).as_bytes())
    }
}

/// Starts a thread reading a serial (CDC-ACM) QR scanner: one line per scan.
pub fn spawn_serial_scanner(
    link: super::link::SerialLink,
    events: std::sync::mpsc::Sender<InputEvent>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        super::link::run_reconnecting(&link, &events, &stop, |port| {
            let mut lines = LineAssembler::default();
            let mut buf = [0u8; 512];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match port.read(&mut buf) {
                    Ok(0) => return "end of file".into(),
                    Ok(n) => {
                        for e in lines.push(&buf[..n]) {
                            if events.send(e).is_err() {
                                return "nobody listens".into();
                            }
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(e) => return e.to_string(),
                }
            }
            "stopped".into()
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_id_number_becomes_an_event_without_the_number() {
        assert_eq!(classify("110105194912310021\r"), Some(InputEvent::IdNumberTyped));
        assert_eq!(classify("   "), None);
    }

    #[test]
    fn lines_split_on_any_ending_and_long_noise_is_dropped() {
        let mut a = LineAssembler::default();
        let mut events = a.push(b"CARD-1\r\nCARD-");
        events.extend(a.push(b"2\n"));
        assert_eq!(events.len(), 2);
        let noise = vec![b'x'; MAX_SCAN_LEN + 10];
        assert!(a.push(&noise).is_empty());
        let after = a.push(b"\nCARD-3\r");
        assert_eq!(after, vec![InputEvent::HouseholdCard { token: "CARD-3".into() }]);
        assert_eq!(a.dropped, 1);
        let mut wedge = LineAssembler::default();
        let typed: Vec<InputEvent> = "YTH001-9UXJHP\n".chars().flat_map(|c| wedge.push_key(c)).collect();
        assert_eq!(
            typed,
            vec![InputEvent::HouseholdCard {
                token: "YTH001-9UXJHP".into()
            }]
        );
    }
}
