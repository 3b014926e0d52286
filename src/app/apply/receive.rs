//! The township's side of a push, before any record is looked at: which events of a
//! kiosk's batch are new, which are retries, and where the batch must stop.

use crate::app::{IncomingEvent, Refusal};
use crate::store::ReceivedRow;

/// How far a batch goes: the events to apply (indexes into the sorted batch), in order,
/// and why it stopped early, if it did.
#[derive(Debug, Default)]
pub(crate) struct Admitted {
    pub new: Vec<usize>,
    pub acked_through: i64,
    pub refused: Option<Refusal>,
}

/// Takes events in sequence order from the one after `last_applied`: one received before
/// with the same identity is a retry (skipped); the same id or sequence number with
/// another identity stops the batch, refused; a gap stops it quietly (the missing events
/// come in a later request).
pub(crate) fn admit(
    device: &str,
    last_applied: i64,
    sorted: &[&IncomingEvent],
    seen: impl Fn(&str, i64) -> Option<ReceivedRow>,
) -> Admitted {
    let mut out = Admitted {
        acked_through: last_applied,
        ..Admitted::default()
    };
    for (index, incoming) in sorted.iter().enumerate() {
        let e = &incoming.event;
        let id = e.id.to_string();
        if let Some(prior) = seen(&id, e.seq) {
            if prior.id == id && prior.device == device && prior.seq == e.seq && prior.digest == incoming.digest {
                continue;
            }
            let reason = if prior.id == id {
                format!("event id {id} was received before with different content")
            } else {
                format!("sequence number {} was received before as another event", e.seq)
            };
            out.refused = Some(Refusal { seq: e.seq, reason });
            return out;
        }
        if e.seq != out.acked_through + 1 {
            break;
        }
        out.new.push(index);
        out.acked_through = e.seq;
    }
    out
}
