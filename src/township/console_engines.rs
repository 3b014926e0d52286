//! Both engines' side of the console's storage seam, method for method: the SQLite
//! registry and PostgreSQL keep the same rows; the decisions are in `console.rs`.

use chrono::{DateTime, Utc};

use super::console::ConsoleStorage;
use super::{PgTownship, Result, SqliteTownship};
use crate::store::{AuditRow, ConsoleDraftRow, ConsoleSessionRow, ConsoleUserRow, DraftPhoto};

impl ConsoleStorage for SqliteTownship {
    fn insert_console_user(&self, u: &ConsoleUserRow) -> Result<bool> {
        Ok(self.registry().insert_console_user(u)?)
    }
    fn console_user(&self, name: &str) -> Result<Option<ConsoleUserRow>> {
        Ok(self.registry().console_user(name)?)
    }
    fn console_users(&self) -> Result<Vec<ConsoleUserRow>> {
        Ok(self.registry().console_users()?)
    }
    fn deactivate_console_user(&self, name: &str) -> Result<bool> {
        Ok(self.registry().deactivate_console_user(name)?)
    }
    fn set_console_login_state(&self, name: &str, failed: i64, locked_until: Option<DateTime<Utc>>) -> Result<()> {
        Ok(self.registry().set_console_login_state(name, failed, locked_until)?)
    }
    fn insert_console_session(&self, token_sha256: &str, s: &ConsoleSessionRow, at: DateTime<Utc>) -> Result<()> {
        Ok(self.registry().insert_console_session(token_sha256, s, at)?)
    }
    fn console_session(&self, token_sha256: &str) -> Result<Option<ConsoleSessionRow>> {
        Ok(self.registry().console_session(token_sha256)?)
    }
    fn delete_console_session(&self, token_sha256: &str) -> Result<()> {
        Ok(self.registry().delete_console_session(token_sha256)?)
    }
    fn insert_audit(&self, row: &AuditRow) -> Result<()> {
        Ok(self.registry().insert_audit(row)?)
    }
    fn audit_rows(&self, limit: usize) -> Result<Vec<AuditRow>> {
        Ok(self.registry().audit_rows(limit)?)
    }
    fn save_console_draft(&self, d: &ConsoleDraftRow, photos: Option<&[DraftPhoto]>) -> Result<bool> {
        Ok(self.registry().save_console_draft(d, photos)?)
    }
    fn console_draft(&self, id: &str) -> Result<Option<ConsoleDraftRow>> {
        Ok(self.registry().console_draft(id)?)
    }
    fn console_drafts(&self, village: &str, month: &str) -> Result<Vec<ConsoleDraftRow>> {
        Ok(self.registry().console_drafts(village, month)?)
    }
    fn console_draft_photos(&self, id: &str) -> Result<Vec<DraftPhoto>> {
        Ok(self.registry().console_draft_photos(id)?)
    }
    fn console_draft_photo_digests(&self, id: &str) -> Result<Vec<String>> {
        Ok(self.registry().console_draft_photo_digests(id)?)
    }
    fn set_console_draft_status(&self, id: &str, from: &str, to: &str, problem: Option<&str>) -> Result<bool> {
        Ok(self.registry().set_console_draft_status(id, from, to, problem)?)
    }
}

impl ConsoleStorage for PgTownship {
    fn insert_console_user(&self, u: &ConsoleUserRow) -> Result<bool> {
        Ok(self.store.auto(async |tx| tx.insert_console_user(u).await)?)
    }
    fn console_user(&self, name: &str) -> Result<Option<ConsoleUserRow>> {
        Ok(self.store.read(async |tx| tx.console_user(name).await)?)
    }
    fn console_users(&self) -> Result<Vec<ConsoleUserRow>> {
        Ok(self.store.read(async |tx| tx.console_users().await)?)
    }
    fn deactivate_console_user(&self, name: &str) -> Result<bool> {
        self.store
            .write(None, async |tx| Ok(tx.deactivate_console_user(name).await?))
    }
    fn set_console_login_state(&self, name: &str, failed: i64, locked_until: Option<DateTime<Utc>>) -> Result<()> {
        Ok(self
            .store
            .auto(async |tx| tx.set_console_login_state(name, failed, locked_until).await)?)
    }
    fn insert_console_session(&self, token_sha256: &str, s: &ConsoleSessionRow, at: DateTime<Utc>) -> Result<()> {
        Ok(self
            .store
            .auto(async |tx| tx.insert_console_session(token_sha256, s, at).await)?)
    }
    fn console_session(&self, token_sha256: &str) -> Result<Option<ConsoleSessionRow>> {
        Ok(self.store.read(async |tx| tx.console_session(token_sha256).await)?)
    }
    fn delete_console_session(&self, token_sha256: &str) -> Result<()> {
        Ok(self
            .store
            .auto(async |tx| tx.delete_console_session(token_sha256).await)?)
    }
    fn insert_audit(&self, row: &AuditRow) -> Result<()> {
        Ok(self.store.auto(async |tx| tx.insert_audit(row).await)?)
    }
    fn audit_rows(&self, limit: usize) -> Result<Vec<AuditRow>> {
        Ok(self.store.read(async |tx| tx.audit_rows(limit).await)?)
    }
    fn save_console_draft(&self, d: &ConsoleDraftRow, photos: Option<&[DraftPhoto]>) -> Result<bool> {
        self.store
            .write(None, async |tx| Ok(tx.save_console_draft(d, photos).await?))
    }
    fn console_draft(&self, id: &str) -> Result<Option<ConsoleDraftRow>> {
        Ok(self.store.read(async |tx| tx.console_draft(id).await)?)
    }
    fn console_drafts(&self, village: &str, month: &str) -> Result<Vec<ConsoleDraftRow>> {
        Ok(self.store.read(async |tx| tx.console_drafts(village, month).await)?)
    }
    fn console_draft_photos(&self, id: &str) -> Result<Vec<DraftPhoto>> {
        Ok(self.store.read(async |tx| tx.console_draft_photos(id).await)?)
    }
    fn console_draft_photo_digests(&self, id: &str) -> Result<Vec<String>> {
        Ok(self.store.read(async |tx| tx.console_draft_photo_digests(id).await)?)
    }
    fn set_console_draft_status(&self, id: &str, from: &str, to: &str, problem: Option<&str>) -> Result<bool> {
        Ok(self
            .store
            .auto(async |tx| tx.set_console_draft_status(id, from, to, problem).await)?)
    }
}
