//! The polling state machine: find card → select → read, about every 300 ms. A card is
//! reported once; it is reported again only after the reader has seen no card.

use super::frame::{encode_request, Command, Response};
use super::status::Status;
use super::text_block::{CardText, TEXT_BLOCK_LEN};
use crate::devices::InputEvent;

/// What to do after a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStep {
    /// Send the next request at once (select after find, read after select).
    Continue,
    /// Nothing more until the next poll tick.
    Wait,
    /// A card was read; wait for the next tick.
    Event(InputEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Find,
    Select,
    Read,
}

/// Drives one reader. Pure: the transport sends [`CardPoller::request`] and feeds each
/// reply body to [`CardPoller::on_reply`].
#[derive(Debug)]
pub struct CardPoller {
    device: String,
    stage: Stage,
    /// A card has been reported and no "no card" reply has been seen since.
    reported: bool,
    /// Replies that could not be understood (wrong length, unreadable text block).
    pub bad_replies: u64,
}

impl CardPoller {
    pub fn new(device: &str) -> CardPoller {
        CardPoller {
            device: device.to_string(),
            stage: Stage::Find,
            reported: false,
            bad_replies: 0,
        }
    }

    /// The frame to send now.
    pub fn request(&self) -> Vec<u8> {
        let command = match self.stage {
            Stage::Find => Command::FindCard,
            Stage::Select => Command::SelectCard,
            Stage::Read => Command::ReadTextAndPhoto,
        };
        encode_request(command, &[])
    }

    /// Takes a reply frame body and says what comes next.
    pub fn on_reply(&mut self, body: &[u8]) -> PollStep {
        let Some(reply) = Response::from_body(body) else {
            self.bad_replies += 1;
            return self.restart();
        };
        let status = Status::from_sw3(reply.sw3);
        match (self.stage, status) {
            (Stage::Find, Status::CardFound) if self.reported => PollStep::Wait,
            (Stage::Find, Status::CardFound) => {
                self.stage = Stage::Select;
                PollStep::Continue
            }
            (Stage::Find, _) => {
                // No card (or a card already read and halted): the next card is new.
                self.reported = false;
                PollStep::Wait
            }
            (Stage::Select, Status::Ok) => {
                self.stage = Stage::Read;
                PollStep::Continue
            }
            (Stage::Read, Status::Ok) => {
                self.stage = Stage::Find;
                match parse_read_reply(&reply.data) {
                    Ok(text) => {
                        self.reported = true;
                        PollStep::Event(InputEvent::CardRead {
                            id_number: text.id_number,
                            name: text.name,
                        })
                    }
                    Err(message) => {
                        self.bad_replies += 1;
                        PollStep::Event(InputEvent::Error {
                            device: self.device.clone(),
                            message,
                        })
                    }
                }
            }
            (Stage::Read, s) if !s.is_success() => {
                let message = s.describe();
                self.restart();
                PollStep::Event(InputEvent::Error {
                    device: self.device.clone(),
                    message,
                })
            }
            _ => self.restart(),
        }
    }

    /// Called when the reader went away: the next card after it comes back is new.
    pub fn reset(&mut self) {
        self.stage = Stage::Find;
        self.reported = false;
    }

    fn restart(&mut self) -> PollStep {
        self.stage = Stage::Find;
        PollStep::Wait
    }
}

/// A read reply's data: text length (2 bytes BE), photo length (2 bytes BE), the text
/// block, the photo. The photo is ignored.
fn parse_read_reply(data: &[u8]) -> Result<CardText, String> {
    let [t0, t1, _, _, rest @ ..] = data else {
        return Err("读卡器返回的数据太短".into());
    };
    let text_len = u16::from_be_bytes([*t0, *t1]) as usize;
    if text_len != TEXT_BLOCK_LEN || rest.len() < text_len {
        return Err(format!("读卡器返回的文字信息长度不对（{text_len}）"));
    }
    CardText::parse(&rest[..text_len]).map_err(|e| format!("身份证信息无法读取：{e}"))
}
