//! The kiosk speaks (DESIGN.md §10): every villager screen and outcome said in Mandarin,
//! for the villager who cannot read it. `script` says what each screen says, `numbers` how
//! numbers are read, `pack` finds a village's own recorded clips, `espeak` synthesises what
//! no pack holds, `speaker` plays it on a thread of its own so the screen never waits. No
//! sound device, no synthesiser: the kiosk works on, silently, and says so in clerk mode.

pub mod espeak;
pub mod numbers;
pub mod pack;
pub mod script;
pub mod speaker;
pub mod utterance;
pub mod wav;

use std::path::PathBuf;

pub use espeak::Espeak;
pub use pack::{PackReport, VoicePack};
pub use script::{script, Outcome, ProblemKind, Scene};
pub use speaker::{Speaker, VoiceStatus};
pub use utterance::{from_text, Utterance};
pub use wav::Sound;

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("no speech synthesiser: {0}")]
    NoSynthesiser(String),
    #[error("the voice pack lacks {}", .0.join("、"))]
    PackLacks(Vec<String>),
    #[error("clip {path}: {reason}")]
    BadClip { path: PathBuf, reason: String },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("nothing to say")]
    NothingToSay,
}

/// `[voice]` of the config file.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceConfig {
    /// Speak at all (clerk mode can turn it off and on).
    pub enabled: bool,
    /// 0–100.
    pub volume: u8,
    /// A folder of recorded clips, used for every utterance it holds all the clips of.
    pub pack: Option<PathBuf>,
    /// The synthesiser for what the pack does not hold.
    pub espeak: PathBuf,
    pub espeak_voice: String,
    /// The program that plays a WAV file given as its last argument.
    pub player: Vec<String>,
}

impl Default for VoiceConfig {
    fn default() -> VoiceConfig {
        let espeak = Espeak::default();
        VoiceConfig {
            enabled: true,
            volume: 80,
            pack: None,
            espeak: espeak.program,
            espeak_voice: espeak.voice,
            player: vec!["aplay".into(), "-q".into()],
        }
    }
}

/// Turns utterances into sound: the pack when it has every clip, else espeak-ng.
#[derive(Debug, Clone)]
pub struct Voice {
    pub pack: Option<VoicePack>,
    pub espeak: Espeak,
}

/// Which voice said an utterance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    Pack,
    Espeak,
}

impl Voice {
    /// A pack that cannot be opened is left out with a warning: espeak-ng speaks instead.
    pub fn from_config(config: &VoiceConfig) -> Voice {
        let pack = config.pack.as_ref().and_then(|dir| match VoicePack::open(dir) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "voice pack not used");
                None
            }
        });
        Voice {
            pack,
            espeak: Espeak {
                program: config.espeak.clone(),
                voice: config.espeak_voice.clone(),
                ..Espeak::default()
            },
        }
    }

    pub fn render(&self, utterance: &Utterance) -> Result<(Sound, Source), VoiceError> {
        if utterance.is_empty() {
            return Err(VoiceError::NothingToSay);
        }
        if let Some(pack) = &self.pack {
            match pack.render(utterance) {
                Ok(sound) => return Ok((sound, Source::Pack)),
                Err(VoiceError::PackLacks(_)) => {}
                Err(e) => tracing::warn!(error = %e, "voice pack clip unusable; espeak-ng speaks instead"),
            }
        }
        Ok((self.espeak.render(&utterance.text())?, Source::Espeak))
    }
}
