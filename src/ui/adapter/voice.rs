//! What the kiosk says and hears from the adapter: each screen spoken as it is shown, the
//! clerk's voice settings, and 请工作人员帮忙.

use super::rows::screen_words;
use super::Adapter;
use crate::app::VoicePreference;
use crate::ui::lang::{tr, trf};
use crate::ui::worker::Command;
use crate::voice::{script, Scene, VoiceStatus};

impl Adapter {
    /// 请工作人员帮忙: heard in the hall (a chime, then words), shown on the villager's
    /// screen, and noted for clerk mode with the time and the screen.
    pub(super) fn call_help(&self) {
        let Some(screen) = self.with_kiosk(|k| {
            k.set_help_called(true);
            k.get_screen()
        }) else {
            return;
        };
        self.speaker.chime();
        self.say(&Scene::HelpComing);
        self.send(Command::CallHelp(screen_words(screen).to_string()));
    }

    /// Says what the screen on show says (a new screen cuts the last one's words).
    pub(super) fn speak(&self) {
        if let Some(scene) = self.with_kiosk(|k| crate::ui::speech::scene(&k)) {
            self.say(&scene);
        }
    }

    pub(super) fn say(&self, scene: &Scene) {
        self.speaker.say(script(scene));
    }

    /// The clerk turned the voice on or off or changed its volume: heard at once, kept
    /// across restarts.
    pub(super) fn voice_changed(&self) {
        self.show_voice_note();
        self.send(Command::SaveVoice(VoicePreference {
            enabled: self.speaker.enabled(),
            volume: self.speaker.volume(),
        }));
        self.speaker.say(crate::voice::from_text("这是现在的音量。"));
    }

    pub(super) fn show_voice_note(&self) {
        // The speaker's own words are Chinese (as its log and tests read them); clerk mode
        // shows them in the screen's language.
        let words = match self.speaker.status() {
            VoiceStatus::Ready => trf("语音：开，音量 {}", &[&self.speaker.volume()]),
            VoiceStatus::Off => tr("语音：关"),
            VoiceStatus::Silent(why) => trf("语音：不出声（{}）。机器照常工作。", &[&why]),
        };
        let on = self.speaker.enabled();
        self.with_kiosk(|k| {
            k.set_voice_note(words.into());
            k.set_voice_on(on);
        });
    }
}
