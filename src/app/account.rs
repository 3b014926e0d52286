//! Identify a villager and show their household's account (DESIGN.md §2).

use serde::Serialize;

use super::disputes::{dispute_view, DisputeView};
use super::evidence::{evidence_view, EvidenceView};
use super::{App, AppError, Result};
use crate::domain::evidence::{DisputeRecord, EvidenceRecord};
use crate::domain::household::{Household, Role};
use crate::domain::id_number::{mask_name, IdNumber};
use crate::domain::ranking::rank;
use crate::store::Tx;

/// How a villager presented themselves at the kiosk.
#[derive(Debug, Clone)]
pub enum Identity {
    /// Read from an ID card or typed by a clerk. Hashed at once, never stored.
    IdNumber(String),
    /// Read from the card reader, already validated.
    Card(IdNumber),
    /// Scanned from the household QR card.
    QrToken(String),
    /// A household code typed by a clerk.
    HouseholdCode(String),
}

/// What the account screen and `household show` display.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub village_name: String,
    pub household_code: String,
    pub grid: String,
    /// The head of household's masked name, for the greeting.
    pub head: Option<String>,
    pub members: Vec<MemberView>,
    /// Spendable points.
    pub balance: i64,
    /// Merit earned in the current month and quarter (redemptions do not count).
    pub earned_month: i64,
    pub earned_quarter: i64,
    pub month: String,
    pub quarter: String,
    /// Rank in the village this quarter, by points earned; ties share a rank.
    pub rank: u32,
    pub rank_in_grid: u32,
    pub households_in_village: usize,
    pub households_in_grid: usize,
    /// False while the balance is zero or below (a deduction after an offline redemption).
    pub can_redeem: bool,
    /// Newest first, each with its reason.
    pub entries: Vec<EntryView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub name: String,
    pub role: &'static str,
    pub id_last4: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub id: String,
    pub month: String,
    pub delta: i64,
    pub kind: &'static str,
    pub rule_code: Option<String>,
    pub reason: String,
    pub recorded_at: String,
    pub recorded_by: String,
    pub corrects: Option<String>,
    /// Photos of the supervision sheet or the scene.
    pub evidence: Vec<EvidenceView>,
    /// The household's latest dispute of this entry, open or answered.
    pub dispute: Option<DisputeView>,
}

/// What an account view is made of, read by either engine (the kiosk's SQLite or the
/// township's PostgreSQL), so `household show` prints the same view from both.
pub struct AccountParts<'a> {
    pub village_name: String,
    pub household: Household,
    pub balance: i64,
    /// Merit of every household of the village in the current quarter.
    pub merit: &'a [crate::store::MeritRow],
    pub earned_month: i64,
    /// Newest first, at most [`ENTRIES_SHOWN`].
    pub entries: Vec<crate::domain::ledger::LedgerEntry>,
    /// Photos on those entries, each with whether its bytes are held here.
    pub evidence: Vec<(EvidenceRecord, bool)>,
    /// The household's disputes, oldest first.
    pub disputes: Vec<DisputeRecord>,
    pub month: crate::domain::period::Month,
}

/// How many entries the account view carries; the screen scrolls through them.
pub const ENTRIES_SHOWN: usize = 50;

pub fn account_view_from(p: AccountParts) -> AccountView {
    let code = p.household.code.clone();
    let village_rank = rank(p.merit.iter().map(|m| (m.household.clone(), m.earned)));
    let grid_rank = rank(
        p.merit
            .iter()
            .filter(|m| m.grid == p.household.grid)
            .map(|m| (m.household.clone(), m.earned)),
    );
    let find = |r: &[crate::domain::ranking::Ranked<String>]| r.iter().find(|x| x.key == code).map_or(0, |x| x.rank);
    AccountView {
        village_name: p.village_name,
        household_code: code.clone(),
        grid: p.household.grid.clone(),
        head: p.household.head().map(|h| mask_name(&h.name)),
        members: p
            .household
            .members
            .iter()
            .map(|m| MemberView {
                name: mask_name(&m.name),
                role: m.role.key(),
                id_last4: m.id_last4.clone(),
            })
            .collect(),
        balance: p.balance,
        earned_month: p.earned_month,
        earned_quarter: p.merit.iter().find(|m| m.household == code).map_or(0, |m| m.earned),
        month: p.month.to_string(),
        quarter: p.month.quarter().to_string(),
        rank: find(&village_rank),
        rank_in_grid: find(&grid_rank),
        households_in_village: village_rank.len(),
        households_in_grid: grid_rank.len(),
        can_redeem: p.balance > 0,
        entries: p
            .entries
            .iter()
            .map(|e| {
                let mut view = entry_view(e);
                view.evidence = p
                    .evidence
                    .iter()
                    .filter(|(r, _)| r.entry == e.id)
                    .map(|(r, held)| evidence_view(r, *held))
                    .collect();
                view.dispute = p.disputes.iter().rev().find(|d| d.entry == e.id).map(dispute_view);
                view
            })
            .collect(),
    }
}

/// The quarter's merit table with the ledger version it was read at.
pub(super) struct MeritCache {
    quarter: crate::domain::period::Quarter,
    version: (i64, i64),
    rows: Vec<crate::store::MeritRow>,
}

impl App {
    /// Finds the household of a card, QR card or code.
    pub fn identify(&mut self, who: &Identity) -> Result<String> {
        let secret = self.id_number_secret()?;
        self.store.read(|tx| identify_in(tx, &secret, who))
    }

    /// The key ID numbers are hashed with, as it is on disk now (a sync round in another
    /// thread may have adopted the village's key since this app opened).
    pub fn id_number_secret(&mut self) -> Result<[u8; 32]> {
        self.reload_id_number_key()?;
        Ok(self.keys.id_number_secret)
    }

    /// The account screen for a household, in one read transaction.
    pub fn account_view(&mut self, who: &Identity) -> Result<AccountView> {
        let secret = self.id_number_secret()?;
        let month = self.clock.this_month();
        let quarter = month.quarter();
        let [q_from, _, q_to] = quarter.months();
        let village_name = self.village.name.clone();
        let cached = self.merit_cache.take();
        let (view, cache) = self.store.read(|tx| {
            let code = identify_in(tx, &secret, who)?;
            let row = tx
                .household_row(&code)?
                .ok_or_else(|| AppError::UnknownHousehold(code.clone()))?;
            let balance = row.balance;
            let household = Household {
                code: row.code,
                grid: row.grid,
                members: tx.members(&code)?,
            };
            let version = tx.merit_version()?;
            let merit = match cached {
                Some(c) if c.quarter == quarter && c.version == version => c.rows,
                _ => tx.merit_by_household(q_from, q_to, None)?,
            };
            let view = account_view_from(AccountParts {
                village_name,
                earned_month: tx.merit_of(&code, month, month)?,
                entries: tx.entries_of(&code, ENTRIES_SHOWN)?,
                evidence: tx.evidence_of_household(&code)?,
                disputes: tx.disputes_of_household(&code)?,
                household,
                balance,
                merit: &merit,
                month,
            });
            let cache = MeritCache {
                quarter,
                version,
                rows: merit,
            };
            Ok::<_, AppError>((view, cache))
        })?;
        self.merit_cache = Some(cache);
        Ok(view)
    }
}

pub fn entry_view(e: &crate::domain::ledger::LedgerEntry) -> EntryView {
    EntryView {
        id: e.id.to_string(),
        month: e.month.to_string(),
        delta: e.delta,
        kind: e.kind.key(),
        rule_code: e.rule_code.clone(),
        reason: e.reason.clone(),
        recorded_at: crate::domain::clock::china_time_text(e.created_at),
        recorded_by: e.recorded_by.clone(),
        corrects: e.corrects.map(|c| c.to_string()),
        evidence: Vec::new(),
        dispute: None,
    }
}

fn identify_in(tx: &Tx, secret: &[u8], who: &Identity) -> Result<String> {
    match who {
        Identity::IdNumber(raw) => {
            let id = IdNumber::parse(raw)?;
            tx.household_of_resident(&id.keyed_hash(secret))?
                .ok_or(AppError::UnknownIdNumber)
        }
        Identity::Card(id) => tx
            .household_of_resident(&id.keyed_hash(secret))?
            .ok_or(AppError::UnknownIdNumber),
        Identity::QrToken(token) => tx.household_by_qr_token(token.trim())?.ok_or(AppError::UnknownQrToken),
        Identity::HouseholdCode(code) => {
            let code = code.trim();
            tx.household_row(code)?
                .map(|h| h.code)
                .ok_or_else(|| AppError::UnknownHousehold(code.to_string()))
        }
    }
}

impl MemberView {
    pub fn is_head(&self) -> bool {
        self.role == Role::Head.key()
    }
}
