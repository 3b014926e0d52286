//! Second-generation resident ID card readers with a SAM module, GA/T 467 protocol over
//! serial (115200 8N1). Pure codecs here — frames, status words, the text block, the
//! polling state machine and a simulated reader — so each is tested byte for byte;
//! the serial transport sits apart.

pub mod frame;
pub mod poller;
pub mod serial;
pub mod simulator;
pub mod status;
pub mod text_block;

pub use frame::{encode_request, encode_response, Command, FrameDecoder, Response};
pub use poller::{CardPoller, PollStep};
pub use status::Status;
pub use text_block::{CardText, TextBlockError};
