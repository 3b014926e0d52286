//! The kiosk's side of sync: its outbox read back for pushing, pulled pages applied with
//! the cursor in one transaction, events set aside and tried again, and the status
//! clerk mode shows. The township's side is `feed.rs`; both apply with `apply`.

use chrono::{DateTime, Utc};

use super::apply::{self, Candidate, Needs, Origin};
use super::{App, AppError, Result};
use crate::domain::records::SyncEvent;
use crate::store::{SetAsideRow, Tx};

/// An event as it arrived over the wire: the domain event, the digest of its identity
/// (id, sequence, kind, subject, time; a retry has the same digest, a reused id does not)
/// and its wire text, kept opaque, so a set-aside event can be tried again later.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    pub event: SyncEvent,
    pub digest: String,
    pub raw: String,
}

/// What a township village database did with a pushed batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiveOutcome {
    /// Every event of the device up to this sequence number is held (applied or set aside).
    pub acked_through: i64,
    /// Events of this batch applied now (not before).
    pub applied: usize,
    /// Why the batch stopped, or the first event a kiosk may not send.
    pub refused: Option<Refusal>,
    /// Events held but not applied, each with its reason.
    pub set_aside: Vec<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub seq: i64,
    pub reason: String,
}

/// One page of a village's change feed, as the township serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    pub changes: Vec<SyncEvent>,
    /// The cursor to ask from next time (the last position served, or `after` if none).
    pub next: i64,
    pub more: bool,
}

/// One page of the feed as a kiosk received it.
#[derive(Debug, Clone)]
pub struct PulledPage {
    pub changes: Vec<IncomingEvent>,
    pub next: i64,
    pub more: bool,
}

/// What applying a pulled page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullOutcome {
    /// Changes that changed something here.
    pub applied: usize,
    /// Changes set aside (each with its reason, in `sync status`).
    pub set_aside: usize,
}

/// The kiosk's view of its sync, for `sync once`, clerk mode and the status line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    pub events_waiting: i64,
    pub pushed_through: i64,
    pub cursor: i64,
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    /// The last failure in words, cleared by a success.
    pub last_error: Option<String>,
    /// This kiosk's number within its village (part of its serials), once the township gave it.
    pub kiosk_number: Option<u32>,
    /// Changes from the township that could not be applied here, waiting.
    pub quarantined: i64,
    pub quarantine: Vec<SetAsideRow>,
    /// When this kiosk found that the township had been restored from a backup (it then
    /// sent again what the township lost and pulled what it missed).
    pub township_restored: Option<String>,
}

pub(super) const CURSOR: &str = "sync.cursor";
const LAST_SUCCESS: &str = "sync.last_success";
const LAST_ATTEMPT: &str = "sync.last_attempt";
const LAST_ERROR: &str = "sync.last_error";
pub(super) const RESTORED: &str = "sync.township_restored";

/// Set-aside events tried again per round, so a long backlog cannot stall a round.
pub const RETRIES_PER_ROUND: usize = 200;

/// Township: the first set-aside events of a round, decoded and grouped by the kiosk that
/// pushed them (runs in order, so each kiosk's events are tried with its own authority).
/// Rows that no longer decode stay set aside.
pub fn retries_by_origin(
    rows: &[crate::store::SetAsideRow],
    decode: &dyn Fn(&str) -> Option<super::IncomingEvent>,
) -> Vec<(String, Vec<super::IncomingEvent>)> {
    let mut by_origin: Vec<(String, Vec<super::IncomingEvent>)> = Vec::new();
    for row in rows.iter().take(RETRIES_PER_ROUND) {
        let (Some(origin), Some(e)) = (row.origin.clone(), decode(&row.raw)) else {
            continue;
        };
        match by_origin.last_mut() {
            Some((o, list)) if *o == origin => list.push(e),
            _ => by_origin.push((origin, vec![e])),
        }
    }
    by_origin
}

impl App {
    /// Kiosk: the next events the township has not acknowledged, expanded into records.
    pub fn unpushed_events(&mut self, limit: usize) -> Result<Vec<SyncEvent>> {
        self.store.read(|tx| {
            let rows = tx.outbox_after(0, limit, true, None)?;
            rows.into_iter().map(|row| super::feed::expand(tx, row)).collect()
        })
    }

    /// Kiosk: the township holds every event up to `through`.
    pub fn mark_pushed(&mut self, through: i64) -> Result<usize> {
        let now = self.clock.now();
        self.store.write(|tx| Ok(tx.mark_pushed_through(through, now)?))
    }

    /// Kiosk: applies a pulled page and moves the cursor in the same transaction, so a
    /// crash leaves either both or neither. A change that cannot be applied is set aside
    /// with its reason and the rest goes on; a page older than the cursor changes nothing.
    pub fn apply_pulled(&mut self, page: &PulledPage) -> Result<PullOutcome> {
        let now = self.clock.now();
        let outcome = self.store.write(|tx| {
            let cursor = setting_i64(tx, CURSOR)?;
            let fresh: Vec<&super::IncomingEvent> = page.changes.iter().filter(|c| c.event.seq > cursor).collect();
            let outcome = apply_from_township(tx, &fresh, false, now)?;
            if page.next > cursor {
                tx.set_setting(CURSOR, &page.next.to_string())?;
            }
            Ok::<_, AppError>(outcome)
        })?;
        if outcome.applied > 0 {
            self.merit_cache = None;
        }
        Ok(outcome)
    }

    /// Kiosk: tries the set-aside changes again (oldest first); `decode` reads the wire
    /// text they were kept in. Returns how many could be applied now.
    pub fn retry_set_aside(&mut self, decode: &dyn Fn(&str) -> Option<super::IncomingEvent>) -> Result<usize> {
        let now = self.clock.now();
        let released = self.store.write(|tx| {
            let rows = tx.set_aside_rows()?;
            let events: Vec<super::IncomingEvent> = rows
                .iter()
                .take(RETRIES_PER_ROUND)
                .filter_map(|r| decode(&r.raw))
                .collect();
            if events.is_empty() {
                return Ok::<_, AppError>(0);
            }
            let refs: Vec<&super::IncomingEvent> = events.iter().collect();
            Ok(apply_from_township(tx, &refs, true, now)?.applied)
        })?;
        if released > 0 {
            self.merit_cache = None;
        }
        Ok(released)
    }

    pub fn sync_cursor(&mut self) -> Result<i64> {
        self.store.read(|tx| setting_i64(tx, CURSOR))
    }

    pub fn sync_status(&mut self) -> Result<SyncStatus> {
        self.store.read(|tx| {
            let last = tx.outbox_last_seq()?;
            let waiting = tx.unpushed_count()?;
            let quarantine = tx.set_aside_rows()?;
            Ok(SyncStatus {
                events_waiting: waiting,
                pushed_through: last - waiting,
                cursor: setting_i64(tx, CURSOR)?,
                last_success: tx.setting(LAST_SUCCESS)?,
                last_attempt: tx.setting(LAST_ATTEMPT)?,
                last_error: tx.setting(LAST_ERROR)?.filter(|e| !e.is_empty()),
                kiosk_number: super::fleet::kiosk_number(tx)?,
                quarantined: quarantine.len() as i64,
                quarantine,
                township_restored: tx.setting(RESTORED)?,
            })
        })
    }

    /// Records how a sync round ended: `None` for success, else the failure in words.
    pub fn record_sync_outcome(&mut self, error: Option<&str>) -> Result<()> {
        let now = self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.store.write(|tx| {
            tx.set_setting(LAST_ATTEMPT, &now)?;
            match error {
                None => {
                    tx.set_setting(LAST_SUCCESS, &now)?;
                    tx.set_setting(LAST_ERROR, "")?;
                }
                Some(e) => tx.set_setting(LAST_ERROR, e)?,
            }
            Ok(())
        })
    }

    /// How many residents are registered (a kiosk with none may take the township's key).
    pub fn resident_count(&mut self) -> Result<i64> {
        self.store.read(|tx| Ok(tx.resident_count()?))
    }
}

/// Applies changes from the township's feed (new ones, or set-aside ones tried again),
/// setting aside what cannot be applied; set-aside ones that now apply are released.
fn apply_from_township(
    tx: &Tx,
    changes: &[&super::IncomingEvent],
    retry: bool,
    now: DateTime<Utc>,
) -> Result<PullOutcome> {
    if changes.is_empty() {
        return Ok(PullOutcome::default());
    }
    let snapshot = apply::sqlite::load(tx, &Needs::of(changes.iter().map(|c| &c.event)))?;
    let candidates: Vec<Candidate> = changes.iter().map(|c| Candidate { event: &c.event, retry }).collect();
    let plan = apply::plan(snapshot, &Origin::Township, &candidates);
    apply::sqlite::write(tx, &plan, now)?;
    if retry {
        for &i in &plan.applied {
            tx.release_set_aside(&changes[i].event.id.to_string())?;
        }
    }
    for s in &plan.set_aside {
        tx.set_aside(&set_aside_row(changes[s.index], None, s), now)?;
    }
    Ok(PullOutcome {
        applied: plan.changed.len(),
        set_aside: plan.set_aside.len(),
    })
}

/// The row that keeps a set-aside event for the next try.
pub(super) fn set_aside_row(c: &super::IncomingEvent, origin: Option<&str>, s: &apply::SetAside) -> SetAsideRow {
    SetAsideRow {
        id: c.event.id.to_string(),
        origin: origin.map(str::to_string),
        seq: c.event.seq,
        kind: c.event.kind.clone(),
        subject: c.event.subject.clone(),
        reason: s.reason.clone(),
        forbidden: s.forbidden,
        first_at: String::new(),
        last_at: String::new(),
        tries: 1,
        raw: c.raw.clone(),
    }
}

pub(super) fn setting_i64(tx: &Tx, key: &str) -> Result<i64> {
    Ok(tx.setting(key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}
