//! Debian's espeak-ng as a child process, with its Mandarin voice that reads Latin letters
//! as pinyin (`cmn-latn-pinyin`; the plain `cmn` voice reads characters' tones as English
//! numbers). Words it gets wrong (银行 read yín xíng, 重新 read zhòng xīn) are handed to it
//! in pinyin instead, which that voice reads as written.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::wav::Sound;
use super::VoiceError;

/// A synthesiser that does not answer in this time is killed: the utterance is skipped.
const SYNTHESIS_BOUND: Duration = Duration::from_secs(10);

/// Polyphones espeak-ng 1.51 reads wrongly in the words the kiosk says, with the pinyin
/// that is right here. Longest first, so 重新打印 is matched before shorter words.
const POLYPHONES: &[(&str, &str)] = &[
    ("银行", "yin2 hang2"),
    ("农行", "nong2 hang2"),
    ("行长", "hang2 zhang3"),
    ("重新", "chong2 xin1"),
    ("重印", "chong2 yin4"),
    ("重打", "chong2 da3"),
    ("长辈", "zhang3 bei4"),
    ("还款", "huan2 kuan3"),
];

#[derive(Debug, Clone)]
pub struct Espeak {
    pub program: PathBuf,
    pub voice: String,
    /// Words per minute: slower than espeak-ng's 175, for ears of 80.
    pub speed: u32,
}

impl Default for Espeak {
    fn default() -> Espeak {
        Espeak {
            program: PathBuf::from("espeak-ng"),
            voice: "cmn-latn-pinyin".into(),
            speed: 140,
        }
    }
}

impl Espeak {
    /// The text as espeak-ng is given it: polyphones in pinyin.
    pub fn input(text: &str) -> String {
        let mut out = text.to_string();
        for (word, pinyin) in POLYPHONES {
            out = out.replace(word, &format!(" {pinyin} "));
        }
        out
    }

    /// Whether the program runs and has the voice.
    pub fn check(&self) -> Result<(), VoiceError> {
        let out = Command::new(&self.program)
            .arg(format!("--voices={}", self.voice.split('-').next().unwrap_or("cmn")))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| VoiceError::NoSynthesiser(format!("{}: {e}", self.program.display())))?;
        let listed = String::from_utf8_lossy(&out.stdout);
        if listed.split_whitespace().any(|w| w == self.voice) {
            Ok(())
        } else {
            Err(VoiceError::NoSynthesiser(format!(
                "{} has no voice {}",
                self.program.display(),
                self.voice
            )))
        }
    }

    pub fn render(&self, text: &str) -> Result<Sound, VoiceError> {
        let mut child = Command::new(&self.program)
            .args(["-v", &self.voice, "-s", &self.speed.to_string(), "--stdout", "--"])
            .arg(Espeak::input(text))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| VoiceError::NoSynthesiser(format!("{}: {e}", self.program.display())))?;
        let mut stdout = child.stdout.take().ok_or(VoiceError::NothingToSay)?;
        let reading = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            stdout.read_to_end(&mut bytes).map(|_| bytes)
        });
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if started.elapsed() > SYNTHESIS_BOUND => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(VoiceError::NoSynthesiser(format!(
                        "{} did not finish in {} s",
                        self.program.display(),
                        SYNTHESIS_BOUND.as_secs()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(VoiceError::NoSynthesiser(e.to_string())),
            }
        }
        let bytes = reading
            .join()
            .map_err(|_| VoiceError::NothingToSay)?
            .map_err(|e| VoiceError::NoSynthesiser(e.to_string()))?;
        // espeak-ng streams its WAV with the length fields unset; the samples follow the
        // 44-byte header, 16-bit little-endian mono at 22050 Hz.
        Sound::read_bytes(&fix_stream_header(bytes))
            .map_err(|e| VoiceError::NoSynthesiser(format!("{} wrote no WAV: {e}", self.program.display())))
    }
}

/// Fills in the RIFF and data lengths that a WAV written to a pipe leaves as 0 or 0xFFFFFFFF.
fn fix_stream_header(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() >= 44 && &bytes[0..4] == b"RIFF" && &bytes[36..40] == b"data" {
        let total = (bytes.len() - 8) as u32;
        let data = (bytes.len() - 44) as u32;
        bytes[4..8].copy_from_slice(&total.to_le_bytes());
        bytes[40..44].copy_from_slice(&data.to_le_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyphones_reach_espeak_in_pinyin() {
        assert_eq!(Espeak::input("请到银行"), "请到 yin2 hang2 ");
        assert_eq!(Espeak::input("重新打印"), " chong2 xin1 打印");
        assert_eq!(Espeak::input("您好"), "您好");
    }
}
