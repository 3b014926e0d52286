//! Clerk accounts: a name and an Argon2id-hashed PIN (DESIGN.md §5.7).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use chrono::{DateTime, Duration, Utc};

use super::{App, AppError, Result};

/// Wrong PINs in a row before clerk mode locks, and for how long.
pub const PIN_TRIES: u32 = 3;
pub const PIN_LOCK_MINUTES: i64 = 5;

/// Wrong PINs typed on the keypad since the last right one, and the lock they caused.
#[derive(Debug, Default)]
pub(super) struct ClerkGate {
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
}

impl App {
    /// Adds a clerk, or gives an existing clerk a new PIN. PINs are 4 to 12 digits.
    pub fn add_clerk(&mut self, name: &str, pin: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("the clerk's name is empty".into()));
        }
        let pin = pin.trim();
        if !(4..=12).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()) {
            return Err(AppError::Invalid("a PIN is 4 to 12 digits".into()));
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

    /// Unlocks clerk mode with a PIN alone (the keypad has no name field): the clerk whose
    /// PIN it is. Three wrong PINs in a row lock the keypad for five minutes.
    pub fn unlock_clerk_mode(&mut self, pin: &str) -> Result<String> {
        let now = self.clock.now();
        if let Some(until) = self.clerk_gate.locked_until.filter(|u| *u > now) {
            return Err(AppError::ClerkModeLocked {
                minutes: (until - now).num_minutes() + 1,
            });
        }
        let clerks = self.store.read(|tx| Ok::<_, AppError>(tx.active_clerks()?))?;
        let found = clerks.into_iter().find(|(_, hash)| {
            PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pin.trim().as_bytes(), &h).is_ok())
        });
        match found {
            Some((name, _)) => {
                self.clerk_gate = ClerkGate::default();
                Ok(name)
            }
            None => {
                self.clerk_gate.failures += 1;
                if self.clerk_gate.failures >= PIN_TRIES {
                    self.clerk_gate = ClerkGate {
                        failures: 0,
                        locked_until: Some(now + Duration::minutes(PIN_LOCK_MINUTES)),
                    };
                    return Err(AppError::ClerkModeLocked {
                        minutes: PIN_LOCK_MINUTES,
                    });
                }
                Err(AppError::WrongPin)
            }
        }
    }

    /// Checks a clerk's PIN; the touch UI's clerk mode unlocks on success.
    pub fn check_clerk_pin(&mut self, name: &str, pin: &str) -> Result<()> {
        let hash = self
            .store
            .read(|tx| Ok::<_, AppError>(tx.clerk_pin_hash(name.trim())?))?;
        let hash = hash.ok_or_else(|| AppError::UnknownClerk(name.trim().to_string()))?;
        let parsed = PasswordHash::new(&hash).map_err(|_| AppError::WrongPin)?;
        Argon2::default()
            .verify_password(pin.trim().as_bytes(), &parsed)
            .map_err(|_| AppError::WrongPin)
    }
}
