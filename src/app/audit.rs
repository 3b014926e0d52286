//! The clerks' action log: who restocked, edited, settled, voided, reprinted, awarded or
//! issued a card, at which kiosk and when. Written in the transaction of the action
//! itself, and sent to the township with everything else (DESIGN.md §9).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{App, AppError, Result};
use crate::domain::records::ClerkActionRecord;
use crate::store::Tx;

/// Records a clerk's action and its outbox event, in the caller's transaction.
pub(super) fn record(
    tx: &Tx,
    clerk: &str,
    action: &str,
    subject: &str,
    detail: &str,
    device: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let a = ClerkActionRecord {
        id: Uuid::now_v7(),
        clerk: clerk.to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail: detail.to_string(),
        device: device.to_string(),
        at,
    };
    tx.record_clerk_action(&a)?;
    tx.append_event("clerk_action", &a.id.to_string(), at)?;
    Ok(())
}

impl App {
    /// A clerk asked for a voucher to be printed again (the print itself is recorded on
    /// the voucher; who asked is recorded here).
    pub fn record_reprint(&mut self, serial: &str, clerk: &str) -> Result<()> {
        let device = self.device_id();
        let now = self.clock.now();
        self.store
            .write(|tx| record(tx, clerk, "reprint", serial.trim(), "", &device, now))
    }

    /// The newest clerk actions first (clerk mode's "today", the township's audit log).
    pub fn clerk_actions(&mut self, limit: usize) -> Result<Vec<ClerkActionRecord>> {
        self.store.read(|tx| Ok::<_, AppError>(tx.clerk_actions(limit)?))
    }
}
