//! Clerk accounts: a name and an Argon2id-hashed PIN of at least six digits (DESIGN.md
//! §5.7, §9). Wrong PINs lock a clerk for a while, and the lock is kept in the database,
//! so pulling the plug does not give an attacker three more tries.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{App, AppError, Result};
use crate::store::ClerkRow;

/// Wrong PINs in a row before a clerk is locked, and for how long.
pub const PIN_TRIES: i64 = 3;
pub const PIN_LOCK_MINUTES: i64 = 5;
/// The shortest PIN a clerk may choose: a four-digit PIN is one of 10,000, and the demo's
/// is printed in the README.
pub const PIN_MIN_DIGITS: usize = 6;

/// A clerk as `clerk list` shows them.
#[derive(Debug, Clone, Serialize)]
pub struct ClerkView {
    pub name: String,
    pub active: bool,
    pub failed_pins: i64,
    /// Set while wrong PINs keep this clerk out (China time).
    pub locked_until: Option<String>,
}

impl App {
    /// Adds a clerk, or gives an existing clerk a new PIN (which also re-activates them).
    pub fn add_clerk(&mut self, name: &str, pin: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("the clerk's name is empty".into()));
        }
        let pin = pin.trim();
        if !(PIN_MIN_DIGITS..=12).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()) {
            return Err(AppError::Invalid(format!(
                "a PIN is {PIN_MIN_DIGITS} to 12 digits (a short PIN is guessed in minutes)"
            )));
        }
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(pin.as_bytes(), &salt)
            .map_err(|e| AppError::Invalid(format!("cannot hash the PIN: {e}")))?
            .to_string();
        let now = self.clock.now();
        self.store
            .write(|tx| Ok::<_, AppError>(tx.upsert_clerk(name, &hash, now)?))
    }

    /// A clerk may no longer unlock clerk mode (left the village committee, PIN seen).
    pub fn deactivate_clerk(&mut self, name: &str) -> Result<()> {
        self.store.write(|tx| {
            if !tx.deactivate_clerk(name.trim())? {
                return Err(AppError::UnknownClerk(name.trim().to_string()));
            }
            Ok(())
        })
    }

    pub fn clerks(&mut self) -> Result<Vec<ClerkView>> {
        let now = self.clock.now();
        let rows = self.store.read(|tx| Ok::<_, AppError>(tx.clerks()?))?;
        Ok(rows
            .into_iter()
            .map(|c| ClerkView {
                locked_until: c
                    .locked_until
                    .filter(|u| *u > now)
                    .map(crate::domain::clock::china_time_text),
                name: c.name,
                active: c.active,
                failed_pins: c.failed_pins,
            })
            .collect())
    }

    /// Unlocks clerk mode with a PIN alone (the keypad has no name field): the clerk whose
    /// PIN it is. A wrong PIN could have been any clerk's, so it counts against every
    /// clerk; three in a row lock the keypad for five minutes, across restarts.
    pub fn unlock_clerk_mode(&mut self, pin: &str) -> Result<String> {
        let now = self.clock.now();
        let clerks: Vec<ClerkRow> = self
            .store
            .read(|tx| Ok::<_, AppError>(tx.clerks()?))?
            .into_iter()
            .filter(|c| c.active)
            .collect();
        let open: Vec<&ClerkRow> = clerks.iter().filter(|c| !locked(c, now)).collect();
        if open.is_empty() {
            let until = clerks.iter().filter_map(|c| c.locked_until).min();
            return Err(locked_error(until, now));
        }
        match clerks.iter().find(|c| pin_matches(&c.pin_hash, pin)) {
            Some(c) if locked(c, now) => Err(locked_error(c.locked_until, now)),
            Some(c) => {
                let name = c.name.clone();
                self.store
                    .write(|tx| Ok::<_, AppError>(tx.reset_pin_failures(&name)?))?;
                Ok(name)
            }
            None => {
                let names: Vec<String> = open.iter().map(|c| c.name.clone()).collect();
                self.count_wrong_pin(&names, now)
            }
        }
    }

    /// Checks a named clerk's PIN under the same lockout (`clerk verify`).
    pub fn check_clerk_pin(&mut self, name: &str, pin: &str) -> Result<()> {
        let now = self.clock.now();
        let name = name.trim().to_string();
        let clerk = self
            .store
            .read(|tx| Ok::<_, AppError>(tx.clerks()?))?
            .into_iter()
            .find(|c| c.name == name && c.active)
            .ok_or_else(|| AppError::UnknownClerk(name.clone()))?;
        if locked(&clerk, now) {
            return Err(locked_error(clerk.locked_until, now));
        }
        if pin_matches(&clerk.pin_hash, pin) {
            self.store
                .write(|tx| Ok::<_, AppError>(tx.reset_pin_failures(&name)?))?;
            return Ok(());
        }
        self.count_wrong_pin(&[name], now).map(|_| ())
    }

    fn count_wrong_pin(&mut self, names: &[String], now: DateTime<Utc>) -> Result<String> {
        let lock_until = now + Duration::minutes(PIN_LOCK_MINUTES);
        let locked_now = self.store.write(|tx| {
            let mut any = false;
            for name in names {
                any |= tx.count_pin_failure(name, PIN_TRIES, lock_until)?;
            }
            Ok::<_, AppError>(any)
        })?;
        if locked_now {
            return Err(AppError::ClerkModeLocked {
                minutes: PIN_LOCK_MINUTES,
            });
        }
        Err(AppError::WrongPin)
    }
}

fn locked(c: &ClerkRow, now: DateTime<Utc>) -> bool {
    c.locked_until.is_some_and(|u| u > now)
}

fn locked_error(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> AppError {
    let seconds = until.map_or(0, |u| (u - now).num_seconds().max(0));
    AppError::ClerkModeLocked {
        minutes: (seconds + 59) / 60,
    }
}

fn pin_matches(hash: &str, pin: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pin.trim().as_bytes(), &h).is_ok())
}
