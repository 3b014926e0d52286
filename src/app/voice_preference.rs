//! The clerk's choice of voice on or off and its volume, kept in the kiosk's database so
//! it outlives a power cut; the config's `[voice]` is only the first default.

use super::{App, AppError, Result};

const ENABLED: &str = "voice_enabled";
const VOLUME: &str = "voice_volume";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoicePreference {
    pub enabled: bool,
    /// 0–100.
    pub volume: u8,
}

impl App {
    /// What a clerk last chose, if a clerk ever chose.
    pub fn voice_preference(&mut self) -> Result<Option<VoicePreference>> {
        self.store.read(|tx| {
            let enabled = tx.setting(ENABLED)?;
            let volume = tx.setting(VOLUME)?.and_then(|v| v.parse::<u8>().ok());
            Ok::<_, AppError>(match (enabled, volume) {
                (Some(e), Some(v)) => Some(VoicePreference {
                    enabled: e == "1",
                    volume: v.min(100),
                }),
                _ => None,
            })
        })
    }

    pub fn set_voice_preference(&mut self, p: VoicePreference) -> Result<()> {
        self.store.write(|tx| {
            tx.set_setting(ENABLED, if p.enabled { "1" } else { "0" })?;
            tx.set_setting(VOLUME, &p.volume.min(100).to_string())?;
            Ok::<_, AppError>(())
        })
    }
}
