//! A simulated SAM reader that answers GA/T 467 requests byte for byte like a real one,
//! for demos and tests. Like common readers, once a card has been read it answers
//! "find" with 80 (not found) until the card is lifted and placed again.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::frame::{encode_response, Command, FrameDecoder};
use super::text_block::CardText;

#[derive(Debug, Default)]
pub struct SimulatedReader {
    card: Option<CardText>,
    /// The card on the reader has been selected since it was placed.
    selected: bool,
    /// The card on the reader has been read since it was placed.
    read: bool,
    decoder: FrameDecoder,
}

/// The photo block size of a real read reply (WLT-compressed; the kiosk ignores it).
const PHOTO_LEN: usize = 1024;

impl SimulatedReader {
    pub fn place(&mut self, card: CardText) {
        self.card = Some(card);
        self.selected = false;
        self.read = false;
    }

    pub fn lift(&mut self) {
        self.card = None;
        self.selected = false;
        self.read = false;
    }

    /// Feeds bytes received from the kiosk; returns the bytes to send back.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let bodies = self.decoder.push(bytes);
        bodies.iter().flat_map(|b| self.answer(b)).collect()
    }

    /// Requests dropped for a bad checksum or length (a real reader stays silent too).
    pub fn dropped_requests(&self) -> u64 {
        self.decoder.bad_frames
    }

    fn answer(&mut self, body: &[u8]) -> Vec<u8> {
        let Some(command) = body.get(..2).and_then(|c| Command::from_code([c[0], c[1]])) else {
            return encode_response(0x21, &[]);
        };
        match command {
            Command::Reset | Command::Status => encode_response(0x90, &[]),
            Command::SamId => encode_response(
                0x90,
                &[
                    0x05, 0x00, 0x01, 0x00, 0x20, 0x26, 0x11, 0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
                ],
            ),
            Command::FindCard => match &self.card {
                Some(_) if !self.read => encode_response(0x9F, &[0, 0, 0, 0]),
                _ => encode_response(0x80, &[]),
            },
            Command::SelectCard => match &self.card {
                Some(_) if !self.read => {
                    self.selected = true;
                    encode_response(0x90, &[0, 0, 0, 0, 0, 0, 0, 0])
                }
                _ => encode_response(0x81, &[]),
            },
            Command::ReadTextAndPhoto => match &self.card {
                Some(card) if self.selected => {
                    let mut data = Vec::with_capacity(4 + 256 + PHOTO_LEN);
                    data.extend_from_slice(&256u16.to_be_bytes());
                    data.extend_from_slice(&(PHOTO_LEN as u16).to_be_bytes());
                    data.extend_from_slice(&card.encode());
                    data.extend(std::iter::repeat_n(0u8, PHOTO_LEN));
                    self.read = true;
                    self.selected = false;
                    encode_response(0x90, &data)
                }
                _ => encode_response(0x41, &[]),
            },
        }
    }
}

/// A simulated reader on a pseudo-terminal, served by a thread until dropped.
pub struct PtyReader {
    /// Place and lift cards here.
    pub reader: Arc<Mutex<SimulatedReader>>,
    /// Bytes written before every reply, to exercise resynchronisation.
    pub noise: Arc<Mutex<Vec<u8>>>,
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PtyReader {
    pub fn start() -> std::io::Result<PtyReader> {
        let mut pty = crate::devices::pty::PtyMaster::open()?;
        let path = pty.path().to_path_buf();
        let reader = Arc::new(Mutex::new(SimulatedReader::default()));
        let noise = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, n, s) = (reader.clone(), noise.clone(), stop.clone());
        let thread = thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let Ok(bytes) = pty.read_timeout(Duration::from_millis(50)) else {
                    // No one has the slave open (EIO): wait for the kiosk.
                    thread::sleep(Duration::from_millis(20));
                    continue;
                };
                if bytes.is_empty() {
                    continue;
                }
                let reply = match r.lock() {
                    Ok(mut reader) => reader.feed(&bytes),
                    Err(_) => return,
                };
                if reply.is_empty() {
                    continue;
                }
                let mut out = n.lock().map(|n| n.clone()).unwrap_or_default();
                out.extend(reply);
                if pty.write_all(&out).is_err() {
                    thread::sleep(Duration::from_millis(20));
                }
            }
        });
        Ok(PtyReader {
            reader,
            noise,
            path,
            stop,
            thread: Some(thread),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn place(&self, card: CardText) {
        if let Ok(mut r) = self.reader.lock() {
            r.place(card);
        }
    }

    pub fn lift(&self) {
        if let Ok(mut r) = self.reader.lock() {
            r.lift();
        }
    }
}

impl Drop for PtyReader {
    /// Closes the pty, as if the reader were unplugged.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
