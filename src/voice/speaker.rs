//! Plays utterances on a thread of its own, so the screen never waits for a synthesiser
//! or a sound card. A new utterance cuts the one playing (a villager who has moved on
//! does not want to hear the last screen finish); the card chime is let to finish first.
//! Whatever fails — no sound device, no espeak-ng — the kiosk goes on silently and the
//! reason is kept for clerk mode.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::wav::{chime, click, Sound};
use super::{Utterance, Voice, VoiceConfig};

const SYNTHESIS: usize = 0;
const PLAYBACK: usize = 1;

/// How many utterances are remembered for `said()` (tests and clerk mode read them).
const REMEMBERED: usize = 64;

/// What clerk mode says about the voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceStatus {
    /// Nothing has been said yet, or the last utterance played.
    Ready,
    Off,
    /// The last utterance could not be said: why.
    Silent(String),
}

impl VoiceStatus {
    pub fn words(&self, volume: u8) -> String {
        match self {
            VoiceStatus::Ready => format!("语音：开，音量 {volume}"),
            VoiceStatus::Off => "语音：关".to_string(),
            VoiceStatus::Silent(why) => format!("语音：不出声（{why}）。机器照常工作。"),
        }
    }
}

/// The kiosk's voice. Cheap to clone; every clone talks to the same thread.
#[derive(Clone)]
pub struct Speaker {
    jobs: Option<Sender<Job>>,
    shared: Arc<Mutex<Shared>>,
}

struct Shared {
    enabled: bool,
    volume: u8,
    /// The last failure of each stage (synthesis, playback), cleared when it works again.
    faults: [Option<String>; 2],
    last: Option<Utterance>,
    said: Vec<String>,
}

enum Job {
    Say(Utterance),
    Chime,
    /// A pressed button: heard only when nothing else is playing (it never cuts words).
    Click,
}

impl Speaker {
    /// Starts the voice thread as `config` says.
    pub fn start(config: &VoiceConfig) -> Speaker {
        let speaker = Speaker::silent_with(config.enabled, config.volume);
        let (tx, rx) = channel();
        let voice = Voice::from_config(config);
        let player = config.player.clone();
        let shared = speaker.shared.clone();
        let started = std::thread::Builder::new()
            .name("voice".into())
            .spawn(move || play_loop(&voice, &player, &rx, &shared));
        match started {
            Ok(_) => Speaker {
                jobs: Some(tx),
                ..speaker
            },
            Err(e) => {
                speaker.with(|s| s.faults[PLAYBACK] = Some(e.to_string()));
                speaker
            }
        }
    }

    /// A speaker that remembers what it would say and plays nothing (tests, `--console`).
    pub fn silent() -> Speaker {
        Speaker::silent_with(true, 80)
    }

    fn silent_with(enabled: bool, volume: u8) -> Speaker {
        Speaker {
            jobs: None,
            shared: Arc::new(Mutex::new(Shared {
                enabled,
                volume: volume.min(100),
                faults: [None, None],
                last: None,
                said: Vec::new(),
            })),
        }
    }

    /// Says `utterance`, cutting whatever is playing. Returns at once.
    pub fn say(&self, utterance: Utterance) {
        if utterance.is_empty() {
            return;
        }
        let enabled = self.with(|s| {
            if s.said.len() == REMEMBERED {
                s.said.remove(0);
            }
            s.said.push(utterance.text());
            s.last = Some(utterance.clone());
            s.enabled
        });
        if enabled {
            self.send(Job::Say(utterance));
        }
    }

    /// 再听一遍: the last utterance again.
    pub fn say_again(&self) {
        if let Some(last) = self.with(|s| s.last.clone()) {
            self.say(last);
        }
    }

    /// The click of a pressed button.
    pub fn click(&self) {
        if self.with(|s| s.enabled) {
            self.send(Job::Click);
        }
    }

    /// The chime when a card or a household QR card is read.
    pub fn chime(&self) {
        if self.with(|s| s.enabled) {
            self.send(Job::Chime);
        }
    }

    pub fn set_enabled(&self, enabled: bool) {
        self.with(|s| {
            s.enabled = enabled;
        });
    }

    pub fn set_volume(&self, volume: u8) {
        self.with(|s| s.volume = volume.min(100));
    }

    pub fn enabled(&self) -> bool {
        self.with(|s| s.enabled)
    }

    pub fn volume(&self) -> u8 {
        self.with(|s| s.volume)
    }

    /// The words for clerk mode: on or off, the volume, or why nothing is heard.
    pub fn status_words(&self) -> String {
        let volume = self.volume();
        self.status().words(volume)
    }

    pub fn status(&self) -> VoiceStatus {
        self.with(|s| {
            let faults: Vec<&str> = s.faults.iter().flatten().map(String::as_str).collect();
            if !s.enabled {
                VoiceStatus::Off
            } else if faults.is_empty() {
                VoiceStatus::Ready
            } else {
                VoiceStatus::Silent(faults.join("；"))
            }
        })
    }

    /// What has been said (the text of each utterance), oldest first.
    pub fn said(&self) -> Vec<String> {
        self.with(|s| s.said.clone())
    }

    fn send(&self, job: Job) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Shared) -> R) -> R {
        let mut guard = self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

/// One sound playing: the player process and whether it is the chime.
struct Playing {
    child: Child,
    chime: bool,
}

fn play_loop(voice: &Voice, player: &[String], jobs: &Receiver<Job>, shared: &Arc<Mutex<Shared>>) {
    let fault = |stage: usize, why: Option<String>| {
        if let Ok(mut g) = shared.lock() {
            g.faults[stage] = why;
        }
    };
    let volume = || shared.lock().map_or(80, |g| g.volume);
    // One folder per speaker: the WAV handed to the player, removed when the speaker ends.
    let scratch = std::env::temp_dir().join(format!("jifen-voice-{}", uuid::Uuid::now_v7()));
    let _ = std::fs::create_dir_all(&scratch);
    let mut playing: Option<Playing> = None;
    let mut turn = 0_u32;
    loop {
        let job = if playing.is_some() {
            match jobs.recv_timeout(Duration::from_millis(40)) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(outcome) = playing.as_mut().and_then(finished) {
                        playing = None;
                        fault(PLAYBACK, outcome);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match jobs.recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        };
        // Only the newest utterance is worth saying; a click behind it is not heard.
        let mut job = job;
        while let Ok(newer) = jobs.try_recv() {
            if !matches!(newer, Job::Click) {
                job = newer;
            }
        }
        if matches!(job, Job::Click) && playing.as_mut().is_some_and(|p| finished(p).is_none()) {
            continue;
        }
        let (sound, is_chime) = match job {
            Job::Click => (click(22_050), true),
            Job::Chime => (chime(22_050), true),
            Job::Say(utterance) => match voice.render(&utterance) {
                Ok((sound, _)) => {
                    fault(SYNTHESIS, None);
                    (sound, false)
                }
                Err(e) => {
                    fault(SYNTHESIS, Some(e.to_string()));
                    continue;
                }
            },
        };
        if let Some(mut p) = playing.take() {
            if p.chime && !is_chime {
                let _ = p.child.wait();
            } else {
                let _ = p.child.kill();
                let _ = p.child.wait();
            }
        }
        turn = turn.wrapping_add(1);
        let file = scratch.join(format!("{}.wav", turn % 4));
        match start_player(player, &file, sound.at_volume(volume())) {
            Ok(child) => playing = Some(Playing { child, chime: is_chime }),
            Err(why) => fault(PLAYBACK, Some(why)),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

fn start_player(player: &[String], file: &PathBuf, sound: Sound) -> Result<Child, String> {
    let Some((program, args)) = player.split_first() else {
        return Err("no player configured".into());
    };
    std::fs::write(file, sound.to_wav_bytes()).map_err(|e| format!("{}: {e}", file.display()))?;
    Command::new(program)
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))
}

/// Once the player has ended: `Some(None)` if it played, `Some(Some(why))` if not;
/// `None` while it plays.
fn finished(p: &mut Playing) -> Option<Option<String>> {
    let exit = p.child.try_wait().ok()??;
    if exit.success() {
        return Some(None);
    }
    let mut err = String::new();
    if let Some(mut e) = p.child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let first = err
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    Some(Some(if first.is_empty() {
        format!("播放程序出错（{exit}）")
    } else {
        format!("没有声音设备：{first}")
    }))
}
