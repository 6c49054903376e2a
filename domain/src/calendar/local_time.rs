//! Vietnam local time at one-second resolution, the frame every rule runs in.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike, Utc};

/// Vietnam time, UTC+07:00, no daylight saving (docs/RULES.md §4.3).
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(OFFSET_SECONDS as i32) {
    Some(offset) => offset,
    None => panic!("UTC+07:00 is a valid offset"),
};

const OFFSET_SECONDS: i64 = 7 * 3600;
pub(crate) const SECONDS_PER_DAY: u32 = 86_400;
/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// A wall-clock instant in Vietnam: a date and whole seconds since its midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LocalInstant {
    pub date: NaiveDate,
    /// Seconds since local midnight, `0..86_400`.
    pub secs: u32,
}

impl LocalInstant {
    pub fn new(date: NaiveDate, secs: u32) -> Self {
        Self { date, secs }
    }

    /// The local instant of `t`, moved up to the next whole second if it has a fraction.
    pub fn from_utc_ceil(t: DateTime<Utc>) -> Option<Self> {
        let fraction = i64::from(t.timestamp_subsec_nanos() > 0);
        let local = t.timestamp().checked_add(fraction + OFFSET_SECONDS)?;
        let days = local.div_euclid(i64::from(SECONDS_PER_DAY));
        let secs = u32::try_from(local.rem_euclid(i64::from(SECONDS_PER_DAY))).ok()?;
        let days_from_ce = i32::try_from(days.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?).ok()?;
        let date = NaiveDate::from_num_days_from_ce_opt(days_from_ce)?;
        Some(Self { date, secs })
    }

    pub fn to_utc(self) -> Option<DateTime<Utc>> {
        let days = i64::from(self.date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE;
        let timestamp = days * i64::from(SECONDS_PER_DAY) + i64::from(self.secs) - OFFSET_SECONDS;
        DateTime::from_timestamp(timestamp, 0)
    }

    /// The instant in UTC, saturating at the ends of chrono's range.
    pub fn to_utc_saturating(self) -> DateTime<Utc> {
        self.to_utc().unwrap_or(if self.date.year() > 0 { DateTime::<Utc>::MAX_UTC } else { DateTime::<Utc>::MIN_UTC })
    }

    /// The instant with the +07:00 offset, as explanations show it.
    pub fn to_vietnam(self) -> DateTime<FixedOffset> {
        self.to_utc_saturating().with_timezone(&VIETNAM)
    }
}

/// Whole seconds since midnight of a time of day (fractions dropped).
pub(crate) fn seconds_of(time: NaiveTime) -> u32 {
    time.num_seconds_from_midnight()
}

/// The local calendar date of an instant.
pub(crate) fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&VIETNAM).date_naive()
}

/// Converts instants that cannot fail in practice; only chrono's extreme bounds saturate.
pub(crate) fn saturate(instant: Option<LocalInstant>) -> DateTime<Utc> {
    instant.map_or(DateTime::<Utc>::MAX_UTC, LocalInstant::to_utc_saturating)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn utc_midnight_is_seven_in_the_morning_in_vietnam() {
        let t = Utc.with_ymd_and_hms(2026, 2, 13, 0, 0, 0).unwrap();
        let local = LocalInstant::from_utc_ceil(t).unwrap();
        assert_eq!(local.date, NaiveDate::from_ymd_opt(2026, 2, 13).unwrap());
        assert_eq!(local.secs, 7 * 3600);
    }

    #[test]
    fn late_utc_evening_is_the_next_local_day() {
        let t = Utc.with_ymd_and_hms(2026, 2, 13, 17, 30, 0).unwrap();
        let local = LocalInstant::from_utc_ceil(t).unwrap();
        assert_eq!(local.date, NaiveDate::from_ymd_opt(2026, 2, 14).unwrap());
        assert_eq!(local.secs, 30 * 60);
        assert_eq!(local.to_utc().unwrap(), t);
    }

    #[test]
    fn a_fraction_of_a_second_moves_up_to_the_next_second() {
        let t = Utc.with_ymd_and_hms(2026, 2, 13, 2, 0, 0).unwrap() + chrono::TimeDelta::microseconds(1);
        let local = LocalInstant::from_utc_ceil(t).unwrap();
        assert_eq!(local.secs, 9 * 3600 + 1);
    }

    #[test]
    fn vietnam_rendering_carries_the_plus_seven_offset() {
        let local = LocalInstant::new(NaiveDate::from_ymd_opt(2026, 2, 13).unwrap(), 16 * 3600 + 1800);
        assert_eq!(local.to_vietnam().to_rfc3339(), "2026-02-13T16:30:00+07:00");
    }

    #[test]
    fn the_largest_instant_does_not_panic() {
        assert_eq!(LocalInstant::from_utc_ceil(DateTime::<Utc>::MAX_UTC), None);
        assert_eq!(saturate(None), DateTime::<Utc>::MAX_UTC);
    }
}
