//! Sound as 16-bit PCM samples: read from a pack's clips or espeak-ng's output, joined,
//! made quieter, written for the player. Through `hound`, so any WAV a village records
//! with a phone app or Audacity (8/16/24-bit integer, 32-bit float) is taken.

use std::io::Cursor;
use std::path::Path;

use super::VoiceError;

/// Mono or stereo samples at one rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Sound {
    pub rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
}

impl Sound {
    pub fn silence(rate: u32, channels: u16, millis: u32) -> Sound {
        let n = (rate as u64 * millis as u64 / 1000) as usize * channels as usize;
        Sound {
            rate,
            channels,
            samples: vec![0; n],
        }
    }

    pub fn read_file(path: &Path) -> Result<Sound, VoiceError> {
        let reader = hound::WavReader::open(path).map_err(|e| VoiceError::BadClip {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        decode(reader).map_err(|reason| VoiceError::BadClip {
            path: path.to_path_buf(),
            reason,
        })
    }

    pub fn read_bytes(bytes: &[u8]) -> Result<Sound, String> {
        let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        decode(reader)
    }

    /// Appends `other`; both must share rate and channels (a pack's clips are checked for it).
    pub fn append(&mut self, other: &Sound) -> Result<(), String> {
        if (other.rate, other.channels) != (self.rate, self.channels) {
            return Err(format!(
                "{} Hz × {} channel(s) after {} Hz × {}",
                other.rate, other.channels, self.rate, self.channels
            ));
        }
        self.samples.extend_from_slice(&other.samples);
        Ok(())
    }

    /// Scales every sample; `volume` is 0–100.
    pub fn at_volume(mut self, volume: u8) -> Sound {
        let factor = f32::from(volume.min(100)) / 100.0;
        for s in &mut self.samples {
            *s = (f32::from(*s) * factor) as i16;
        }
        self
    }

    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / (self.rate.max(1) as f64 * self.channels.max(1) as f64)
    }

    /// Root mean square of the samples, 0.0–1.0: near zero is silence.
    pub fn loudness(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let sum: f64 = self.samples.iter().map(|&s| (f64::from(s) / 32768.0).powi(2)).sum();
        (sum / self.samples.len() as f64).sqrt()
    }

    pub fn to_wav_bytes(&self) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels: self.channels,
            sample_rate: self.rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = Cursor::new(Vec::with_capacity(44 + self.samples.len() * 2));
        // Writing to memory cannot fail but for a size over 4 GiB, which no utterance reaches.
        if let Ok(mut w) = hound::WavWriter::new(&mut out, spec) {
            for &s in &self.samples {
                let _ = w.write_sample(s);
            }
            let _ = w.finalize();
        }
        out.into_inner()
    }

    pub fn write_file(&self, path: &Path) -> Result<(), VoiceError> {
        std::fs::write(path, self.to_wav_bytes()).map_err(|source| VoiceError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn decode<R: std::io::Read>(reader: hound::WavReader<R>) -> Result<Sound, String> {
    let spec = reader.spec();
    let samples: Result<Vec<i16>, hound::Error> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, _) => reader
            .into_samples::<f32>()
            .map(|s| s.map(|v| (v.clamp(-1.0, 1.0) * 32767.0) as i16))
            .collect(),
        (hound::SampleFormat::Int, bits) if bits <= 16 => {
            let shift = 16 - u32::from(bits);
            reader.into_samples::<i16>().map(|s| s.map(|v| v << shift)).collect()
        }
        (hound::SampleFormat::Int, bits) => {
            let shift = u32::from(bits) - 16;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| (v >> shift) as i16))
                .collect()
        }
    };
    let samples = samples.map_err(|e| e.to_string())?;
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err("a WAV with no channels or no sample rate".into());
    }
    Ok(Sound {
        rate: spec.sample_rate,
        channels: spec.channels,
        samples,
    })
}

/// The chime when a card is read: two soft tones, falling, as a door bell says "heard you".
pub fn chime(rate: u32) -> Sound {
    let mut samples = Vec::new();
    for (freq, millis) in [(880.0_f32, 140_u32), (660.0, 220)] {
        let n = rate * millis / 1000;
        for i in 0..n {
            let t = i as f32 / rate as f32;
            // A short fade in and a longer fade out, so the tone does not click.
            let envelope = (i as f32 / (rate as f32 * 0.01)).min(1.0) * (1.0 - i as f32 / n as f32);
            samples.push(((2.0 * std::f32::consts::PI * freq * t).sin() * envelope * 0.5 * 32767.0) as i16);
        }
    }
    Sound {
        rate,
        channels: 1,
        samples,
    }
}

/// The click of a pressed button: a short, soft tick.
pub fn click(rate: u32) -> Sound {
    let n = rate * 25 / 1000;
    let samples = (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let envelope = 1.0 - i as f32 / n as f32;
            ((2.0 * std::f32::consts::PI * 1_800.0 * t).sin() * envelope * 0.35 * 32767.0) as i16
        })
        .collect();
    Sound {
        rate,
        channels: 1,
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chime_is_heard_and_short() {
        let c = chime(22_050);
        assert!(c.seconds() > 0.3 && c.seconds() < 0.5, "{}", c.seconds());
        assert!(c.loudness() > 0.05);
        let back = Sound::read_bytes(&c.to_wav_bytes()).unwrap();
        assert_eq!(back, c);
        assert!(c.clone().at_volume(0).loudness() == 0.0);
    }

    #[test]
    fn sounds_of_different_rates_are_not_joined() {
        let mut a = Sound::silence(22_050, 1, 100);
        assert!(a.append(&Sound::silence(16_000, 1, 100)).is_err());
        assert!(a.append(&Sound::silence(22_050, 1, 100)).is_ok());
        assert!((a.seconds() - 0.2).abs() < 0.001);
    }
}
