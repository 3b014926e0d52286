//! The kiosk's voice at its boundaries: the real binary saying text (as words, as WAV),
//! espeak-ng run for real (`.ci/run` installs Debian's `espeak-ng`), a recorded voice
//! pack chosen only when complete, the player thread cutting old speech, and a box with
//! no sound device or no synthesiser that goes on silently and says why.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{jifen, json, stderr, stdout};
use jifen::voice::{from_text, script, Scene, Sound, Speaker, VoiceConfig, VoiceStatus};

fn espeak_present() -> bool {
    let ok = std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        ok,
        "the voice tests need Debian's espeak-ng (.ci/run installs it: apt-get install espeak-ng)"
    );
    ok
}

fn config(dir: &Path, voice: &str) -> PathBuf {
    let path = dir.join("jifen.toml");
    std::fs::write(&path, format!("[voice]\n{voice}\n")).unwrap();
    path
}

/// A clip of `millis` of a tone at `rate`: what a village would record, but certain to be
/// told apart from espeak-ng's 22050 Hz by its rate.
fn write_clip(dir: &Path, name: &str, rate: u32, millis: u32) {
    let n = rate * millis / 1000;
    let samples = (0..n).map(|i| ((i as f32 * 0.05).sin() * 12_000.0) as i16).collect();
    Sound {
        rate,
        channels: 1,
        samples,
    }
    .write_file(&dir.join(format!("{name}.wav")))
    .unwrap();
}

#[test]
fn say_print_writes_the_words_as_spoken() {
    let tmp = tempfile::tempdir().unwrap();
    let out = jifen(
        tmp.path(),
        &["voice", "say", "您有105分，本月扣了2分。券号YT-2-000042-7", "--print"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "您有一百零五分，本月扣了两分。券号Y T 二 零 零 零 零 四 二 七"
    );
}

#[test]
fn espeak_says_a_sentence_into_a_wav_that_is_not_silence() {
    if !espeak_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("say.wav");
    let out = jifen(
        tmp.path(),
        &["voice", "say", "您家现在有12000分", "--out", wav.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("by espeak-ng"), "{}", stdout(&out));
    let sound = Sound::read_file(&wav).unwrap();
    assert_eq!(sound.rate, 22_050);
    assert!(sound.seconds() > 1.5 && sound.seconds() < 10.0, "{} s", sound.seconds());
    assert!(sound.loudness() > 0.02, "loudness {}", sound.loudness());
}

#[test]
fn a_complete_pack_speaks_and_an_incomplete_one_falls_back_to_espeak() {
    if !espeak_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    std::fs::create_dir_all(pack.join("numbers")).unwrap();
    for phrase in ["您有", "分"] {
        write_clip(&pack, phrase, 16_000, 400);
    }
    for word in ["一", "百", "零", "五"] {
        write_clip(&pack.join("numbers"), word, 16_000, 200);
    }
    let wav = tmp.path().join("pack.wav");
    let say = |text: &str| {
        jifen(
            tmp.path(),
            &[
                "voice",
                "say",
                text,
                "--pack",
                pack.to_str().unwrap(),
                "--out",
                wav.to_str().unwrap(),
            ],
        )
    };
    // 您有 + 一 百 零 五 + 分: every clip is there.
    let out = say("您有105分");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("from the voice pack"), "{}", stdout(&out));
    let sound = Sound::read_file(&wav).unwrap();
    assert_eq!(sound.rate, 16_000, "the pack's own recording");
    assert!(
        (sound.seconds() - 1.6).abs() < 0.05,
        "{} s: 2 × 400 ms + 4 × 200 ms",
        sound.seconds()
    );

    // 六 was never recorded: the whole sentence in espeak-ng's voice, never two voices.
    let out = say("您有106分");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("by espeak-ng"), "{}", stdout(&out));
    assert_eq!(Sound::read_file(&wav).unwrap().rate, 22_050);
}

#[test]
fn voice_check_lists_what_a_pack_lacks_until_it_lacks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    std::fs::create_dir_all(&pack).unwrap();
    write_clip(&pack, "您好", 16_000, 300);
    std::fs::write(pack.join("兑换成功.wav"), "not a sound").unwrap();
    let check = || {
        jifen(
            tmp.path(),
            &["voice", "check", "--pack", pack.to_str().unwrap(), "--json"],
        )
    };
    let out = check();
    assert_eq!(out.status.code(), Some(1), "an incomplete pack fails the check");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing: Vec<String> = report["pack"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    for needed in ["百", "两", "Y", "请取走您的兑换券", "剩余积分"] {
        assert!(missing.iter().any(|m| m == needed), "{needed} is needed: {missing:?}");
    }
    assert!(!missing.iter().any(|m| m == "您好"), "a recorded clip is not missing");
    let unreadable = report["pack"]["unreadable"].as_array().unwrap();
    assert!(
        unreadable.iter().any(|u| u.as_str().unwrap().starts_with("兑换成功")),
        "{unreadable:?}"
    );

    // Record every clip it asked for (and the unreadable one again): complete.
    std::fs::remove_file(pack.join("兑换成功.wav")).unwrap();
    for name in missing.iter().chain(std::iter::once(&"兑换成功".to_string())) {
        write_clip(&pack, name, 16_000, 100);
    }
    let out = check();
    assert!(out.status.success(), "{}", stdout(&out));
    let report = json(&out);
    assert_eq!(report["pack"]["missing"].as_array().unwrap().len(), 0);
    assert_eq!(report["pack"]["format"], "16000 Hz, 1 channel(s)");

    // A clip at another rate cannot be joined to the rest: named.
    write_clip(&pack, "挂面", 44_100, 100);
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("挂面: 44100 Hz"), "{}", stdout(&out));
}

#[test]
fn without_espeak_the_command_says_so_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "espeak = \"/nonexistent/espeak-ng\"");
    let wav = tmp.path().join("x.wav");
    let out = jifen(
        tmp.path(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "voice",
            "say",
            "您好",
            "--out",
            wav.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no speech synthesiser"), "{}", stderr(&out));
    assert!(!wav.exists(), "nothing half-written");
    let out = jifen(tmp.path(), &["--config", cfg.to_str().unwrap(), "voice", "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("is not spoken"), "{}", stdout(&out));
}

/// A player that keeps each WAV it is given and then plays for `seconds` (as aplay would).
fn recording_player(dir: &Path, seconds: u32) -> Vec<String> {
    let script = dir.join("player.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncp \"$1\" \"{}/$(date +%s%N).wav\"\nsleep {seconds}\n",
            dir.join("heard").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("heard")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    vec![script.to_string_lossy().into_owned()]
}

fn heard(dir: &Path) -> Vec<Sound> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("heard"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files.iter().filter_map(|f| Sound::read_file(f).ok()).collect()
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_speaker_plays_without_waiting_and_a_new_screen_cuts_the_old() {
    if !espeak_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let speaker = Speaker::start(&VoiceConfig {
        player: recording_player(tmp.path(), 30),
        ..VoiceConfig::default()
    });
    let t = Instant::now();
    speaker.say(script(&Scene::Printing));
    assert!(
        t.elapsed() < Duration::from_millis(50),
        "saying never blocks the screen"
    );
    wait_for("the first utterance", || heard(tmp.path()).len() == 1);
    // The first player would play for 30 s; the next screen's words start at once.
    let t = Instant::now();
    speaker.say(from_text("兑换成功"));
    wait_for("the second utterance", || heard(tmp.path()).len() == 2);
    assert!(t.elapsed() < Duration::from_secs(10), "the old speech was cut");
    let sounds = heard(tmp.path());
    assert!(sounds.iter().all(|s| s.seconds() > 0.5 && s.loudness() > 0.02));
    assert_eq!(speaker.status(), VoiceStatus::Ready);

    // 再听一遍 says the last words again; a chime is short and heard.
    speaker.say_again();
    wait_for("the repeat", || heard(tmp.path()).len() == 3);
    assert_eq!(
        speaker.said(),
        ["正在打印兑换券，请稍等。兑换券从出纸口出来。", "兑换成功", "兑换成功"]
    );
    speaker.chime();
    wait_for("the chime", || heard(tmp.path()).len() == 4);
    assert!(heard(tmp.path())[3].seconds() < 0.5);
    // A button's click never cuts what is playing (here the chime's player still runs).
    speaker.click();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(heard(tmp.path()).len(), 4);

    // Off in clerk mode: nothing more is played.
    speaker.set_enabled(false);
    speaker.say(from_text("您好"));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(heard(tmp.path()).len(), 4);
    assert_eq!(speaker.status_words(), "语音：关");
}

#[test]
fn no_sound_device_and_no_synthesiser_leave_a_silent_kiosk_that_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    // What aplay says on a box without a sound card.
    let player = tmp.path().join("aplay");
    std::fs::write(
        &player,
        "#!/bin/sh\necho 'aplay: main:831: audio open error: No such file or directory' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&player, std::fs::Permissions::from_mode(0o755)).unwrap();
    if espeak_present() {
        let speaker = Speaker::start(&VoiceConfig {
            player: vec![player.to_string_lossy().into_owned()],
            ..VoiceConfig::default()
        });
        speaker.say(from_text("您好"));
        wait_for("the player to fail", || {
            matches!(speaker.status(), VoiceStatus::Silent(_))
        });
        assert!(
            speaker
                .status_words()
                .contains("没有声音设备：aplay: main:831: audio open error"),
            "{}",
            speaker.status_words()
        );
    }
    let speaker = Speaker::start(&VoiceConfig {
        espeak: "/nonexistent/espeak-ng".into(),
        ..VoiceConfig::default()
    });
    speaker.say(from_text("您好"));
    wait_for("the synthesiser to be missed", || {
        matches!(speaker.status(), VoiceStatus::Silent(_))
    });
    assert!(
        speaker.status_words().contains("no speech synthesiser"),
        "{}",
        speaker.status_words()
    );
    assert!(speaker.status_words().contains("机器照常工作"));
}
