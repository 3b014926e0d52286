//! `jifen voice say|check`: hear (or write, or read as text) what the kiosk would say, and
//! find what a village's recorded voice pack still lacks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;

use crate::installation::DataDir;
use crate::voice::{self, Source, Voice, VoiceConfig, VoicePack};

#[derive(Debug, Subcommand)]
pub enum VoiceCommand {
    /// Say TEXT as the kiosk would: numbers in words by the kiosk's rules (105 → 一百零五,
    /// 2 分 → 两分, 2026年 → 二零二六年), serials letter by letter.
    Say {
        text: String,
        /// Write the WAV here instead of playing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the words as they are spoken (characters), one utterance a line; say nothing.
        #[arg(long)]
        print: bool,
        /// A voice pack folder, instead of `[voice] pack` of the config.
        #[arg(long)]
        pack: Option<PathBuf>,
    },
    /// What a voice pack lacks for the kiosk's scripts (and the catalogue's item names,
    /// when a data directory exists); whether espeak-ng can stand in. Exit 1 if incomplete.
    Check {
        #[arg(long)]
        pack: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn run(dir: &DataDir, config: &VoiceConfig, command: VoiceCommand) -> anyhow::Result<ExitCode> {
    match command {
        VoiceCommand::Say { text, out, print, pack } => {
            let utterance = voice::from_text(&text);
            if print {
                println!("{}", utterance.text());
                return Ok(ExitCode::SUCCESS);
            }
            let voice = voice_with(config, pack)?;
            let (sound, source) = voice.render(&utterance)?;
            let sound = sound.at_volume(config.volume);
            match out {
                Some(path) => {
                    sound.write_file(&path)?;
                    println!(
                        "{}: {:.1} s, {}",
                        path.display(),
                        sound.seconds(),
                        match source {
                            Source::Pack => "from the voice pack",
                            Source::Espeak => "by espeak-ng",
                        }
                    );
                }
                None => play(config, &sound)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        VoiceCommand::Check { pack, json } => check(dir, config, pack, json),
    }
}

fn voice_with(config: &VoiceConfig, pack: Option<PathBuf>) -> anyhow::Result<Voice> {
    let mut voice = Voice::from_config(config);
    if let Some(dir) = pack {
        voice.pack = Some(VoicePack::open(&dir)?);
    }
    Ok(voice)
}

fn play(config: &VoiceConfig, sound: &voice::Sound) -> anyhow::Result<()> {
    let Some((program, args)) = config.player.split_first() else {
        bail!("[voice] player is empty: nothing can play sound (use --out FILE.wav)");
    };
    let file = std::env::temp_dir().join(format!("jifen-say-{}.wav", std::process::id()));
    sound.write_file(&file)?;
    let status = std::process::Command::new(program)
        .args(args)
        .arg(&file)
        .status()
        .with_context(|| format!("cannot run the player {program}"));
    let _ = std::fs::remove_file(&file);
    if !status?.success() {
        bail!("{program} could not play the sound (is there a sound device?); --out FILE.wav writes it instead");
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct CheckReport {
    pack: Option<voice::PackReport>,
    /// Item and shop names the check included (from the catalogue).
    names: Vec<String>,
    /// Whether espeak-ng runs with its Mandarin voice, and in words what was found.
    espeak_ready: bool,
    espeak: String,
}

fn check(dir: &DataDir, config: &VoiceConfig, pack: Option<PathBuf>, json: bool) -> anyhow::Result<ExitCode> {
    let names = if dir.exists() {
        let mut app = super::open(dir)?;
        let mut names: Vec<String> = Vec::new();
        for item in app.catalogue()?.into_iter().filter(|i| i.active) {
            names.push(item.name);
            names.extend(item.merchant);
        }
        names.sort();
        names.dedup();
        names
    } else {
        Vec::new()
    };
    let voice = voice_with(config, pack)?;
    let espeak = voice.espeak.check();
    let report = CheckReport {
        pack: voice.pack.as_ref().map(|p| p.check(&voice::pack::clips_needed(&names))),
        names,
        espeak_ready: espeak.is_ok(),
        espeak: match espeak {
            Ok(()) => format!("{} ({})", voice.espeak.program.display(), voice.espeak.voice),
            Err(e) => e.to_string(),
        },
    };
    let complete = report.pack.as_ref().is_some_and(|p| p.complete());
    super::emit(json, &report, |r| {
        let mut out = String::new();
        match &r.pack {
            None => out.push_str("no voice pack (--pack DIR or [voice] pack): espeak-ng says everything\n"),
            Some(p) => {
                out.push_str(&format!("voice pack {}: {} clips", p.dir.display(), p.clips));
                if let Some(f) = &p.format {
                    out.push_str(&format!(", {f}"));
                }
                out.push('\n');
                if p.complete() {
                    out.push_str("complete: every utterance is said in the pack's voice\n");
                }
                if !p.missing.is_empty() {
                    out.push_str(&format!(
                        "missing {} clips (record each as <words>.wav): {}\n",
                        p.missing.len(),
                        p.missing.join(" ")
                    ));
                }
                for u in &p.unreadable {
                    out.push_str(&format!("unreadable: {u}\n"));
                }
                for f in &p.other_format {
                    out.push_str(&format!("other format (cannot be joined): {f}\n"));
                }
            }
        }
        if r.espeak_ready {
            out.push_str(&format!("espeak-ng: {}, says what the pack lacks\n", r.espeak));
        } else {
            out.push_str(&format!("{}: an utterance the pack lacks is not spoken\n", r.espeak));
        }
        out
    })?;
    Ok(if complete || (report.pack.is_none() && report.espeak_ready) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
