//! GA/T 467 frames: `AA AA AA 96 69`, a 2-byte big-endian length counting every byte
//! after it (checksum included), the command and parameter (request) or SW1 SW2 SW3
//! (response), data, and an XOR checksum over everything from the length bytes on.

/// The five bytes every frame starts with.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// The longest length field a reader sends (text + photo reply is 0x0507); anything
/// larger is a corrupted length, dropped rather than waited for.
pub const MAX_LEN: usize = 0x0A00;

/// Requests the kiosk sends, as (command, parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Reset,
    Status,
    SamId,
    FindCard,
    SelectCard,
    ReadTextAndPhoto,
}

impl Command {
    pub fn code(self) -> [u8; 2] {
        match self {
            Command::Reset => [0x10, 0xFF],
            Command::Status => [0x11, 0xFF],
            Command::SamId => [0x12, 0xFF],
            Command::FindCard => [0x20, 0x01],
            Command::SelectCard => [0x20, 0x02],
            Command::ReadTextAndPhoto => [0x30, 0x01],
        }
    }

    pub fn from_code(code: [u8; 2]) -> Option<Command> {
        [
            Command::Reset,
            Command::Status,
            Command::SamId,
            Command::FindCard,
            Command::SelectCard,
            Command::ReadTextAndPhoto,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// A reader's reply: three status bytes and the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub sw1: u8,
    pub sw2: u8,
    pub sw3: u8,
    pub data: Vec<u8>,
}

/// Encodes a request frame.
pub fn encode_request(command: Command, data: &[u8]) -> Vec<u8> {
    let mut body = command.code().to_vec();
    body.extend_from_slice(data);
    encode(&body)
}

/// Encodes a response frame (what a reader, or the simulator, sends).
pub fn encode_response(sw3: u8, data: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x00, sw3];
    body.extend_from_slice(data);
    encode(&body)
}

fn encode(body: &[u8]) -> Vec<u8> {
    let len = (body.len() + 1) as u16;
    let mut frame = PREAMBLE.to_vec();
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    let checksum = frame[PREAMBLE.len()..].iter().fold(0u8, |acc, b| acc ^ b);
    frame.push(checksum);
    frame
}

impl Response {
    /// Interprets a frame body as a response; `None` when it is too short.
    pub fn from_body(body: &[u8]) -> Option<Response> {
        match body {
            [sw1, sw2, sw3, data @ ..] => Some(Response {
                sw1: *sw1,
                sw2: *sw2,
                sw3: *sw3,
                data: data.to_vec(),
            }),
            _ => None,
        }
    }
}

/// Reassembles frames from a byte stream that may be split anywhere and may carry
/// noise. Noise and corrupted frames are dropped and counted, never a panic; the
/// decoder resynchronises on the next preamble.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Bytes thrown away while looking for a preamble.
    pub garbage_bytes: u64,
    /// Frames dropped for a bad checksum or an impossible length.
    pub bad_frames: u64,
}

impl FrameDecoder {
    /// Feeds bytes; returns the bodies (between length and checksum) of every complete,
    /// valid frame they finish.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.buf.extend_from_slice(bytes);
        let mut frames = Vec::new();
        loop {
            let Some(start) = find_preamble(&self.buf) else {
                // Keep a tail that may be the start of a preamble split across reads.
                let keep = self.buf.len().min(PREAMBLE.len() - 1);
                let drop = self.buf.len() - keep;
                let keep_from = (drop..self.buf.len())
                    .find(|&i| PREAMBLE.starts_with(&self.buf[i..]))
                    .unwrap_or(self.buf.len());
                self.garbage_bytes += keep_from as u64;
                self.buf.drain(..keep_from);
                return frames;
            };
            if start > 0 {
                self.garbage_bytes += start as u64;
                self.buf.drain(..start);
            }
            let header = PREAMBLE.len() + 2;
            if self.buf.len() < header {
                return frames;
            }
            let len = u16::from_be_bytes([self.buf[5], self.buf[6]]) as usize;
            if !(2..=MAX_LEN).contains(&len) {
                self.reject();
                continue;
            }
            if self.buf.len() < header + len {
                return frames;
            }
            let checksum = self.buf[PREAMBLE.len()..header + len - 1]
                .iter()
                .fold(0u8, |acc, b| acc ^ b);
            if checksum != self.buf[header + len - 1] {
                self.reject();
                continue;
            }
            frames.push(self.buf[header..header + len - 1].to_vec());
            self.buf.drain(..header + len);
        }
    }

    /// Forgets a partial frame (the port was reopened), keeping the counters.
    pub fn discard_buffered(&mut self) {
        self.buf.clear();
    }

    /// Drops a corrupted frame's first byte so the search resumes just after it.
    fn reject(&mut self) {
        self.bad_frames += 1;
        self.garbage_bytes += 1;
        self.buf.drain(..1);
    }
}

fn find_preamble(buf: &[u8]) -> Option<usize> {
    buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_encode_to_the_documented_bytes() {
        assert_eq!(
            encode_request(Command::FindCard, &[]),
            [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]
        );
        assert_eq!(
            encode_request(Command::SelectCard, &[]),
            [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21]
        );
        assert_eq!(
            encode_request(Command::ReadTextAndPhoto, &[]),
            [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32]
        );
        assert_eq!(
            encode_request(Command::Reset, &[]),
            [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x10, 0xFF, 0xEC]
        );
    }

    #[test]
    fn responses_encode_and_decode() {
        // "Card found": SW 00 00 9F, 4 bytes of data.
        let frame = encode_response(0x9F, &[0, 0, 0, 0]);
        assert_eq!(
            frame,
            [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0, 0, 0, 0, 0x97]
        );
        let mut d = FrameDecoder::default();
        let bodies = d.push(&frame);
        let r = Response::from_body(&bodies[0]).unwrap();
        assert_eq!((r.sw3, r.data.len()), (0x9F, 4));
    }

    #[test]
    fn frames_split_anywhere_and_wrapped_in_noise_are_still_read() {
        let a = encode_response(0x90, b"one");
        let b = encode_response(0x90, b"two");
        let mut stream = vec![0x00, 0xAA, 0x13, 0xAA, 0xAA];
        stream.extend(&a);
        stream.extend([0x96, 0x69, 0xAA]);
        stream.extend(&b);
        let mut d = FrameDecoder::default();
        let mut bodies = Vec::new();
        for chunk in stream.chunks(3) {
            bodies.extend(d.push(chunk));
        }
        assert_eq!(bodies.len(), 2);
        assert_eq!(&bodies[1][3..], b"two");
        assert_eq!(d.garbage_bytes, 8);
    }

    #[test]
    fn a_wrong_checksum_or_length_is_dropped_and_counted() {
        let mut bad = encode_response(0x90, b"abc");
        let last = bad.len() - 1;
        bad[last] ^= 0xFF;
        let mut huge = PREAMBLE.to_vec();
        huge.extend([0xFF, 0xFF]);
        let good = encode_response(0x90, b"ok");
        let mut d = FrameDecoder::default();
        let mut bodies = d.push(&bad);
        bodies.extend(d.push(&huge));
        bodies.extend(d.push(&good));
        assert_eq!(bodies.len(), 1);
        assert_eq!(&bodies[0][3..], b"ok");
        assert_eq!(d.bad_frames, 2);
    }
}
