//! A voice pack: a folder of WAV clips, one per phrase, number word, letter and name, each
//! named by its words (`您好.wav`, `一.wav`, `百.wav`, `Y.wav`, `挂面.wav`), so a village can
//! record its own voices, even in its dialect. An utterance is said from the pack only when
//! the pack holds every clip it needs; otherwise the synthesiser says the whole of it, so a
//! villager never hears two voices in one sentence.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::utterance::{Clip, Utterance};
use super::wav::Sound;
use super::VoiceError;

/// Silence where the text has a comma or a full stop.
const PAUSE_MS: u32 = 250;

#[derive(Debug, Clone)]
pub struct VoicePack {
    pub dir: PathBuf,
    clips: BTreeMap<String, PathBuf>,
}

/// What `voice check` finds in a pack.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PackReport {
    pub dir: PathBuf,
    pub clips: usize,
    /// Clips the kiosk's scripts need that the pack does not have.
    pub missing: Vec<String>,
    /// Clips that are not readable WAVs, with the reason.
    pub unreadable: Vec<String>,
    /// The rate and channels most clips have, and the clips that differ (they cannot be joined).
    pub format: Option<String>,
    pub other_format: Vec<String>,
}

impl PackReport {
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.unreadable.is_empty() && self.other_format.is_empty()
    }
}

impl VoicePack {
    /// Indexes `dir`'s `*.wav` files (and those one folder down: `phrases/`, `numbers/`, `items/`).
    pub fn open(dir: &Path) -> Result<VoicePack, VoiceError> {
        let mut clips = BTreeMap::new();
        let read = |d: &Path| {
            std::fs::read_dir(d).map_err(|source| VoiceError::Read {
                path: d.to_path_buf(),
                source,
            })
        };
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for entry in read(&d)?.flatten() {
                let path = entry.path();
                if path.is_dir() && d == dir {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")) {
                    if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                        clips.insert(stem.to_string(), path.clone());
                    }
                }
            }
        }
        Ok(VoicePack {
            dir: dir.to_path_buf(),
            clips,
        })
    }

    /// The clips `utterance` needs that the pack lacks.
    pub fn missing(&self, utterance: &Utterance) -> Vec<String> {
        let mut seen = BTreeSet::new();
        utterance
            .clips()
            .into_iter()
            .filter_map(|c| match c {
                Clip::Words(w) if !self.clips.contains_key(&w) && seen.insert(w.clone()) => Some(w),
                _ => None,
            })
            .collect()
    }

    /// The utterance from the pack's clips, joined with pauses.
    pub fn render(&self, utterance: &Utterance) -> Result<Sound, VoiceError> {
        let missing = self.missing(utterance);
        if !missing.is_empty() {
            return Err(VoiceError::PackLacks(missing));
        }
        let mut out: Option<Sound> = None;
        for clip in utterance.clips() {
            let piece = match (&clip, &out) {
                (Clip::Pause, Some(so_far)) => Sound::silence(so_far.rate, so_far.channels, PAUSE_MS),
                (Clip::Pause, None) => continue,
                (Clip::Words(w), _) => Sound::read_file(&self.clips[w])?,
            };
            match &mut out {
                None => out = Some(piece),
                Some(so_far) => so_far.append(&piece).map_err(|reason| VoiceError::BadClip {
                    path: match &clip {
                        Clip::Words(w) => self.clips[w].clone(),
                        Clip::Pause => self.dir.clone(),
                    },
                    reason,
                })?,
            }
        }
        out.ok_or(VoiceError::NothingToSay)
    }

    /// Checks the pack against every clip in `needed`: present, readable, one format.
    pub fn check(&self, needed: &BTreeSet<String>) -> PackReport {
        let mut report = PackReport {
            dir: self.dir.clone(),
            clips: self.clips.len(),
            missing: needed
                .iter()
                .filter(|c| !self.clips.contains_key(*c))
                .cloned()
                .collect(),
            ..PackReport::default()
        };
        let mut formats: BTreeMap<(u32, u16), Vec<String>> = BTreeMap::new();
        for (name, path) in &self.clips {
            match Sound::read_file(path) {
                Ok(s) if s.samples.is_empty() => report.unreadable.push(format!("{name}: no sound in it")),
                Ok(s) => formats.entry((s.rate, s.channels)).or_default().push(name.clone()),
                Err(e) => report.unreadable.push(format!("{name}: {e}")),
            }
        }
        if let Some((&(rate, channels), _)) = formats.iter().max_by_key(|(_, names)| names.len()) {
            report.format = Some(format!("{rate} Hz, {channels} channel(s)"));
            for ((r, c), names) in &formats {
                if (*r, *c) != (rate, channels) {
                    report
                        .other_format
                        .extend(names.iter().map(|n| format!("{n}: {r} Hz, {c} channel(s)")));
                }
            }
        }
        report
    }
}

/// Every clip the kiosk's own scripts can need: their phrases, the number words, the
/// digits and letters of serials. Item, village and shop names come on top (`names`).
pub fn clips_needed(names: &[String]) -> BTreeSet<String> {
    let mut needed = BTreeSet::new();
    for scene in super::script::every_scene() {
        for clip in super::script::script(&scene).clips() {
            if let Clip::Words(w) = clip {
                needed.insert(w);
            }
        }
    }
    for c in "零一二两三四五六七八九十百千万亿负".chars() {
        needed.insert(c.to_string());
    }
    for c in 'A'..='Z' {
        needed.insert(c.to_string());
    }
    for name in names {
        for clip in Utterance::new().name(name).clips() {
            if let Clip::Words(w) = clip {
                needed.insert(w);
            }
        }
    }
    needed
}
