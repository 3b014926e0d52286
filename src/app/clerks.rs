//! Clerk accounts: a name and an Argon2id-hashed PIN (DESIGN.md §5.7).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::{App, AppError, Result};

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
