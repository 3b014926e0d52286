//! The card reader's protocol end to end, in memory: the kiosk's poller talks to the
//! simulated SAM reader through the real frame bytes, with noise on the line, and the
//! card read opens the right household.

mod common;

use common::*;
use jifen::app::Identity;
use jifen::devices::idcard::frame::PREAMBLE;
use jifen::devices::idcard::{CardPoller, FrameDecoder, PollStep};
use jifen::devices::InputEvent;
use proptest::prelude::*;

/// Runs one poll tick: requests and replies until the poller waits; `noise` is put on
/// the line before every reply.
fn tick(
    poller: &mut CardPoller,
    reader: &mut jifen::devices::idcard::simulator::SimulatedReader,
    decoder: &mut FrameDecoder,
    noise: &[u8],
) -> Vec<InputEvent> {
    let mut events = Vec::new();
    for _ in 0..5 {
        let mut line = noise.to_vec();
        line.extend(reader.feed(&poller.request()));
        let bodies = decoder.push(&line);
        assert_eq!(bodies.len(), 1, "one reply per request");
        match poller.on_reply(&bodies[0]) {
            PollStep::Continue => continue,
            PollStep::Wait => break,
            PollStep::Event(e) => {
                events.push(e);
                break;
            }
        }
    }
    events
}

#[test]
fn a_card_is_reported_once_until_lifted_and_placed_again_and_opens_its_household() {
    let mut v = village();
    v.households(3);
    let mut reader = Default::default();
    let mut poller = CardPoller::new("/dev/ttyUSB0");
    let mut decoder = FrameDecoder::default();
    assert!(
        tick(&mut poller, &mut reader, &mut decoder, &[]).is_empty(),
        "no card, no event"
    );

    let reader_ref: &mut jifen::devices::idcard::simulator::SimulatedReader = &mut reader;
    reader_ref.place(card(2));
    let events = tick(&mut poller, reader_ref, &mut decoder, &[0x13, 0xAA, 0x00]);
    let [InputEvent::CardRead { id_number, name }] = events.as_slice() else {
        panic!("expected one card read, got {events:?}");
    };
    assert_eq!(name, "户主2");
    assert_eq!(v.app.identify(&Identity::Card(id_number.clone())).unwrap(), "H2");

    for _ in 0..10 {
        assert!(
            tick(&mut poller, reader_ref, &mut decoder, &[]).is_empty(),
            "a card left on the reader is not repeated"
        );
    }
    reader_ref.lift();
    assert!(tick(&mut poller, reader_ref, &mut decoder, &[]).is_empty());
    reader_ref.place(card(2));
    assert_eq!(
        tick(&mut poller, reader_ref, &mut decoder, &[]).len(),
        1,
        "placed again: a new event"
    );
    assert_eq!(
        decoder.garbage_bytes, 9,
        "3 noise bytes before each of find, select and read replies"
    );
    assert_eq!(poller.bad_replies, 0);
}

#[test]
fn an_unregistered_card_is_read_but_opens_no_household() {
    let mut v = village();
    v.households(1);
    let mut reader = jifen::devices::idcard::simulator::SimulatedReader::default();
    let mut poller = CardPoller::new("sim");
    let mut decoder = FrameDecoder::default();
    reader.place(card(7));
    let events = tick(&mut poller, &mut reader, &mut decoder, &[]);
    let [InputEvent::CardRead { id_number, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    let err = v.app.identify(&Identity::Card(id_number.clone())).unwrap_err();
    assert!(err.to_string().contains("请到窗口登记"), "{err}");
}

fn frame_strategy() -> impl Strategy<Value = Vec<u8>> {
    (any::<u8>(), prop::collection::vec(any::<u8>(), 0..300))
        .prop_map(|(sw3, data)| jifen::devices::idcard::encode_response(sw3, &data))
}

proptest! {
    // `PROPTEST_CASES=1000000 cargo test --release --test card_reader` for a long fuzzing run.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2000), ..ProptestConfig::default() })]

    /// Random bytes, split anywhere, never panic the decoder.
    #[test]
    fn the_decoder_never_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4000), cut in 1usize..64) {
        let mut d = FrameDecoder::default();
        for chunk in bytes.chunks(cut) {
            for body in d.push(chunk) {
                prop_assert!(body.len() < jifen::devices::idcard::frame::MAX_LEN);
            }
        }
    }

    /// Valid frames separated by noise that contains no preamble are all read, in order,
    /// and every noise byte is counted.
    #[test]
    fn valid_frames_survive_noise_between_them(
        frames in prop::collection::vec(frame_strategy(), 1..8),
        noise in prop::collection::vec(prop::collection::vec(0u8..0xAA, 0..40), 8),
        cut in 1usize..50,
    ) {
        let mut stream = Vec::new();
        let mut noise_len = 0;
        for (f, n) in frames.iter().zip(&noise) {
            stream.extend(n);
            noise_len += n.len();
            stream.extend(f);
        }
        prop_assert!(!noise.iter().any(|n| n.windows(5).any(|w| w == PREAMBLE)));
        let mut d = FrameDecoder::default();
        let bodies: Vec<Vec<u8>> = stream.chunks(cut).flat_map(|c| d.push(c)).collect();
        let expected: Vec<Vec<u8>> = frames.iter().map(|f| f[7..f.len() - 1].to_vec()).collect();
        prop_assert_eq!(bodies, expected);
        prop_assert_eq!(d.garbage_bytes, noise_len as u64);
    }
}
