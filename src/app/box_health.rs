//! What the box itself can get wrong, checked before a voucher is issued or a dated
//! document printed (DESIGN.md §7): a disk too full to record the next redemption, and a
//! clock that jumped back (a dead RTC battery puts the box in the year 2000) or drifted
//! far from the township's. Both are said in words and lift by themselves once fixed.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{App, AppError, Result};

/// Below this much free space new redemptions are refused: what is committed stays, and
/// the WAL, a checkpoint and the next sync still have room.
pub const REFUSE_BELOW_BYTES: u64 = 8 * 1024 * 1024;
/// Below this much free space clerk mode warns that redemptions will soon stop.
pub const WARN_BELOW_BYTES: u64 = 64 * 1024 * 1024;
/// How far behind the newest record the box holds its clock may be before it is taken
/// as having jumped back (records from another kiosk or the township carry their clocks).
pub const CLOCK_BEHIND_SLACK: chrono::Duration = chrono::Duration::minutes(10);
/// How far from the township's time (said at each sync) the clock may be.
pub const TOWNSHIP_CLOCK_SLACK: chrono::Duration = chrono::Duration::minutes(10);

/// The settings key of the township's clock minus this box's, in seconds, at the last answer.
pub(crate) const TOWNSHIP_CLOCK_OFFSET: &str = "township_clock_offset_secs";

/// The box's health as clerk mode and `admin status` show it.
#[derive(Debug, Clone, Serialize)]
pub struct BoxHealth {
    pub free_bytes: Option<u64>,
    pub disk_low: bool,
    pub disk_full: bool,
    /// Why the clock is not to be trusted, in words; `None` when it is.
    pub clock_problem: Option<String>,
}

impl BoxHealth {
    /// What clerk mode says, or nothing when all is well.
    pub fn words(&self) -> Option<String> {
        let mut words = Vec::new();
        if let Some(p) = &self.clock_problem {
            words.push(format!("{p}，已暂停兑换和打印，请校准时间"));
        }
        match self.free_bytes {
            Some(_) if self.disk_full => words.push("存储空间已满，已暂停兑换，请清理空间".to_string()),
            Some(free) if self.disk_low => words.push(format!(
                "存储空间只剩 {} MB，少于 {} MB 时将暂停兑换",
                free / (1024 * 1024),
                REFUSE_BELOW_BYTES / (1024 * 1024)
            )),
            _ => {}
        }
        (!words.is_empty()).then(|| words.join("。"))
    }
}

impl App {
    /// The disk and the clock, now.
    pub fn box_health(&mut self) -> Result<BoxHealth> {
        let free_bytes = free_space(&self.dir.root);
        let clock_problem = self.clock_problem()?;
        Ok(BoxHealth {
            free_bytes,
            disk_low: free_bytes.is_some_and(|f| f < WARN_BELOW_BYTES),
            disk_full: free_bytes.is_some_and(|f| f < REFUSE_BELOW_BYTES),
            clock_problem,
        })
    }

    /// Refuses, in words, what must not be done on a full disk or a wrong clock: a
    /// redemption, a print of a dated document.
    pub(crate) fn fit_to_issue(&mut self) -> Result<()> {
        if let Some(problem) = self.clock_problem()? {
            return Err(AppError::ClockWrong(problem));
        }
        if free_space(&self.dir.root).is_some_and(|f| f < REFUSE_BELOW_BYTES) {
            return Err(AppError::DiskFull);
        }
        Ok(())
    }

    /// Refuses a dated document (a statement, a voucher's expiry checked against today) while
    /// the clock is wrong.
    pub(crate) fn clock_fit(&mut self) -> Result<()> {
        match self.clock_problem()? {
            Some(problem) => Err(AppError::ClockWrong(problem)),
            None => Ok(()),
        }
    }

    /// Remembers how far the township's clock is from this box's system clock (the one its
    /// requests are signed with), as an answer said.
    pub fn note_township_clock_offset(&mut self, offset: chrono::Duration) -> Result<()> {
        let offset = offset.num_seconds().to_string();
        self.store
            .write(|tx| Ok::<_, AppError>(tx.set_setting(TOWNSHIP_CLOCK_OFFSET, &offset)?))
    }

    fn clock_problem(&mut self) -> Result<Option<String>> {
        let now = self.clock.now();
        let (newest, offset) = self.store.read(|tx| {
            let offset = tx
                .setting(TOWNSHIP_CLOCK_OFFSET)?
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0);
            Ok::<_, AppError>((tx.newest_record_time()?, offset))
        })?;
        let shown = |t: DateTime<Utc>| crate::domain::clock::china_time_text(t).replace('T', " ");
        if let Some(newest) = newest.filter(|n| now + CLOCK_BEHIND_SLACK < *n) {
            return Ok(Some(format!(
                "本机时间不对：现在显示 {}，比本机最新的记录（{}）还早",
                shown(now),
                shown(newest)
            )));
        }
        let offset = chrono::Duration::seconds(offset);
        if offset.abs() > TOWNSHIP_CLOCK_SLACK {
            return Ok(Some(format!(
                "本机时间不对：与乡镇服务器相差 {} 分钟",
                offset.num_minutes().abs()
            )));
        }
        Ok(None)
    }
}

/// A store error that says the disk is full, as the refusal a villager understands.
pub(crate) fn full_disk_said(e: AppError) -> AppError {
    match &e {
        AppError::Store(s) if s.is_disk_full() => AppError::DiskFull,
        _ => e,
    }
}

/// Free bytes for an unprivileged writer on the file system holding `path`; `None` when
/// it cannot be asked (then nothing is refused on its account).
fn free_space(path: &std::path::Path) -> Option<u64> {
    nix::sys::statvfs::statvfs(path)
        .ok()
        // The field types differ between 32- and 64-bit targets (the appliance may be either).
        .map(|s| {
            #[allow(clippy::useless_conversion)]
            let (blocks, size) = (u64::from(s.blocks_available()), u64::from(s.fragment_size()));
            blocks.saturating_mul(size)
        })
}
