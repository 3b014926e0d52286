//! A simulated SAM reader that answers GA/T 467 requests byte for byte like a real one,
//! for demos and tests. Like common readers, once a card has been read it answers
//! "find" with 80 (not found) until the card is lifted and placed again.

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
    /// Requests dropped for a bad checksum or length (the reader stays silent).
    pub dropped_requests: u64,
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
        self.dropped_requests = self.decoder.bad_frames;
        bodies.iter().flat_map(|b| self.answer(b)).collect()
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
