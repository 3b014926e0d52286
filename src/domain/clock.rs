//! Time comes from a `Clock` value, never from `Utc::now()` inside a service, so that
//! expiry, periods and rankings can be tested at any date.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::period::Month;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in China Standard Time, where scoring months begin and end.
    fn today(&self) -> NaiveDate {
        china_date(self.now())
    }

    fn this_month(&self) -> Month {
        Month::of(self.today())
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// China Standard Time, UTC+8, with no daylight saving.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

pub fn china_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china_offset()).date_naive()
}

/// A timestamp as villagers and clerks read it: China time, to the second.
pub fn china_time_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&china_offset())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A moment as a shop owner or cadre reads it on a page: China time, to the minute
/// (`2026-12-05 05:35`).
pub fn china_minutes_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string()
}

/// The instants a month spans in China time: from its first midnight (inclusive) to the
/// next month's (exclusive), in UTC, so a query can bound timestamps by them.
pub fn china_month_span(month: Month) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = if month.month == 12 {
        Month {
            year: month.year + 1,
            month: 1,
        }
    } else {
        Month {
            year: month.year,
            month: month.month + 1,
        }
    };
    let midnight = |m: Month| {
        NaiveDate::from_ymd_opt(m.year, m.month, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| t.and_local_timezone(china_offset()).single())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    (midnight(month), midnight(next))
}
