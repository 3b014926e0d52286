//! A kiosk as one of its village's fleet (DESIGN.md §8): the number the township gave
//! it (part of every serial it prints), the hello at the start of every sync round, and
//! what the kiosk does when the township turns out to have been restored from a backup.

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;

use super::sync::{setting_i64, CURSOR, RESTORED};
use super::{App, AppError, Result};
use crate::store::Tx;

const KIOSK_NUMBER: &str = "fleet.kiosk_number";
const FLEET_MEMBER: &str = "fleet.member";
const GENERATION: &str = "sync.generation";
/// The township's public key, pinned at enrolment (public, so it may live in the database).
const TOWNSHIP_KEY: &str = "sync.township_key";
/// The counter of serials printed before this kiosk had a number.
pub(super) const LEGACY_SERIALS: &str = "voucher_serial";

/// What a kiosk tells the township at the start of every round.
#[derive(Debug, Clone)]
pub struct KioskHello {
    /// Verifies the vouchers this kiosk prints; the township passes it to the village's
    /// other kiosks, so any of them settles them.
    pub voucher_key: VerifyingKey,
    /// The last event in its outbox, so staff see how many wait.
    pub outbox_last: i64,
    /// The highest event the township acknowledged, as the kiosk remembers it.
    pub pushed_through: i64,
    /// It printed unnumbered serials before it had a number.
    pub legacy_serials: bool,
    pub kiosk_number: Option<u32>,
}

/// What the township answers.
#[derive(Debug, Clone)]
pub struct TownshipHello {
    pub village_code: String,
    pub village_name: String,
    pub device: String,
    pub kiosk_number: u32,
    pub id_number_key: [u8; 32],
    /// Changes when the township is restored from a backup: positions of the feed after
    /// the restore point are handed out again, so a kiosk starts its pull again.
    pub generation: String,
    /// The highest sequence number of this kiosk the township holds.
    pub acked_through: i64,
    /// The last position of the village's feed.
    pub feed_last: i64,
    pub server_time: DateTime<Utc>,
}

/// What a hello changed at the kiosk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelloOutcome {
    /// The township lost what this kiosk had seen acknowledged, or its feed changed under
    /// the kiosk's cursor: it was restored from a backup.
    pub township_restored: bool,
    /// Events sent again because the township no longer holds them.
    pub resent: usize,
    /// The village's ID-number key was adopted (a kiosk with no residents yet).
    pub key_adopted: bool,
}

impl App {
    /// This kiosk's device id (from its request-signing key); also the holder of the
    /// goods on its shelf.
    pub fn device_id(&self) -> String {
        crate::domain::kiosk::device_id(&self.keys.device_signing.verifying_key())
    }

    /// The key that signs this kiosk's requests to the township.
    pub fn device_signing_key(&self) -> ed25519_dalek::SigningKey {
        self.keys.device_signing.clone()
    }

    /// The number the township gave this kiosk within its village.
    pub fn kiosk_number(&mut self) -> Result<Option<u32>> {
        self.store.read(kiosk_number)
    }

    /// Marks this installation as one of a fleet (its config names a township): from now
    /// on it prints serials only under the number the township gives it.
    pub fn join_fleet(&mut self) -> Result<()> {
        self.store
            .write(|tx| Ok::<_, AppError>(tx.set_setting(FLEET_MEMBER, "1")?))
    }

    /// The township key this kiosk enrolled with.
    pub fn township_key(&mut self) -> Result<Option<VerifyingKey>> {
        let text = self.store.read(|tx| Ok::<_, AppError>(tx.setting(TOWNSHIP_KEY)?))?;
        text.map(|t| {
            crate::domain::kiosk::parse_public_key(&t)
                .map_err(|e| AppError::Invalid(format!("the remembered township key is damaged: {e}")))
        })
        .transpose()
    }

    /// Remembers the township key given at enrolment (or given anew by the operator).
    pub fn pin_township_key(&mut self, key: &VerifyingKey) -> Result<()> {
        let text = crate::domain::kiosk::public_key_text(key);
        self.store
            .write(|tx| Ok::<_, AppError>(tx.set_setting(TOWNSHIP_KEY, &text)?))
    }

    pub fn hello(&mut self) -> Result<KioskHello> {
        let voucher_key = self.keys.voucher_signing.verifying_key();
        self.store.read(|tx| {
            let last = tx.outbox_last_seq()?;
            Ok(KioskHello {
                voucher_key,
                outbox_last: last,
                pushed_through: last - tx.unpushed_count()?,
                legacy_serials: tx.counter(LEGACY_SERIALS)? > 0,
                kiosk_number: kiosk_number(tx)?,
            })
        })
    }

    /// Takes the township's answer: the kiosk's number, the village's ID-number key, and
    /// whether the township was restored (then what it lost is sent again and the feed
    /// is pulled from its start; applying is idempotent, so nothing doubles).
    pub fn take_hello(&mut self, answer: &TownshipHello) -> Result<HelloOutcome> {
        if answer.village_code != self.village.code {
            return Err(AppError::Invalid(format!(
                "this kiosk is set up for village {}, but the township registered it for {}",
                self.village.code, answer.village_code
            )));
        }
        let mut outcome = HelloOutcome {
            key_adopted: self.adopt_id_number_key(answer.id_number_key)?,
            ..HelloOutcome::default()
        };
        let now = self.clock.now();
        let (restored, resent) = self.store.write(|tx| {
            match kiosk_number(tx)? {
                None => tx.set_setting(KIOSK_NUMBER, &answer.kiosk_number.to_string())?,
                Some(n) if n != answer.kiosk_number => {
                    return Err(AppError::KioskNumberMismatch {
                        ours: n,
                        theirs: answer.kiosk_number,
                    })
                }
                Some(_) => {}
            }
            tx.set_setting(FLEET_MEMBER, "1")?;
            let mut restored = tx.setting(GENERATION)?.is_some_and(|g| g != answer.generation);
            tx.set_setting(GENERATION, &answer.generation)?;
            if setting_i64(tx, CURSOR)? > answer.feed_last {
                restored = true;
            }
            let last = tx.outbox_last_seq()?;
            let pushed = last - tx.unpushed_count()?;
            let mut resent = 0;
            if pushed > answer.acked_through {
                resent = tx.mark_unpushed_after(answer.acked_through)?;
                restored = true;
            }
            if restored {
                // Pull the feed again from its start, and drop what was set aside from
                // the old feed: what the township still holds comes again.
                tx.set_setting(CURSOR, "0")?;
                tx.clear_set_aside()?;
                tx.set_setting(RESTORED, &crate::domain::clock::china_time_text(now))?;
            }
            Ok::<_, AppError>((restored, resent))
        })?;
        outcome.township_restored = restored;
        outcome.resent = resent;
        if restored {
            self.merit_cache = None;
        }
        Ok(outcome)
    }

    /// Takes the village's ID-number key on a kiosk that has registered nobody yet, so
    /// residents the township registered are found by their cards. From this moment every
    /// app on this data directory hashes with it (see `App::id_number_secret`).
    fn adopt_id_number_key(&mut self, key: [u8; 32]) -> Result<bool> {
        self.reload_id_number_key()?;
        if key == self.keys.id_number_secret {
            return Ok(false);
        }
        if self.resident_count()? > 0 {
            return Err(AppError::IdNumberKeyMismatch);
        }
        self.dir.replace_id_number_key(&key)?;
        self.reload_id_number_key()?;
        Ok(true)
    }
}

pub(super) fn kiosk_number(tx: &Tx) -> Result<Option<u32>> {
    Ok(tx.setting(KIOSK_NUMBER)?.and_then(|v| v.parse().ok()))
}

/// The serial number space this kiosk prints in: its number, or none when it has never
/// been numbered and may still print the older form.
pub(super) fn serial_kiosk(tx: &Tx) -> Result<Option<u32>> {
    if let Some(n) = kiosk_number(tx)? {
        return Ok(Some(n));
    }
    // A kiosk of a fleet prints only under its number: two unnumbered boxes of one
    // village would print the same serials. One that printed old serials before fleets
    // existed goes on until the township numbers it (it was its village's only kiosk).
    let member = tx.setting(FLEET_MEMBER)?.is_some();
    if member && tx.counter(LEGACY_SERIALS)? == 0 {
        return Err(AppError::NotNumbered);
    }
    Ok(None)
}
