//! Counting office time: the first office instant at or after an instant,
//! office time added forward, office time between two instants.
//!
//! Days are walked one at a time (whole working days are subtracted in one
//! go) and runs of whole weeks without holidays or swapped days are jumped
//! over at once, so the cost grows with the number of holidays crossed, not
//! with the amount of time counted.

use chrono::{DateTime, Days, NaiveDate, Utc, Weekday};

use super::day_walker::{DayKind, DayWalker};
use super::explanation::{NoRecord, OfficeTiming, Recorder};
use super::local_time::{saturate, LocalInstant, SECONDS_PER_DAY};
use super::working_calendar::{DayOffReason, WorkingCalendar};

/// Where an instant fell relative to office hours, borrowing the calendar's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timing<'a> {
    InOfficeHours,
    BeforeOpening,
    MiddayBreak,
    AfterClosing,
    DayOff(DayKind<'a>),
}

impl Timing<'_> {
    pub fn to_owned(self) -> OfficeTiming {
        match self {
            Self::InOfficeHours => OfficeTiming::InOfficeHours,
            Self::BeforeOpening => OfficeTiming::BeforeOpening,
            Self::MiddayBreak => OfficeTiming::MiddayBreak,
            Self::AfterClosing => OfficeTiming::AfterClosing,
            Self::DayOff(kind) => OfficeTiming::DayOff { reason: kind.off_reason().unwrap_or(DayOffReason::Weekend) },
        }
    }
}

impl WorkingCalendar {
    /// The first office instant at or after `start`: before opening → the
    /// day's opening; in a break, or exactly at the end of a span → the next
    /// span's start; at or after closing, or on a day off → the next working
    /// day's opening. An instant inside a span is returned unchanged (moved
    /// up to a whole second).
    pub fn normalise(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        saturate(
            LocalInstant::from_utc_ceil(start).and_then(|at| self.normalise_local(at, &mut NoRecord)).map(|(at, _)| at),
        )
    }

    /// Counts `seconds` of office time forward from the normalised `start`.
    /// A count that ends exactly at the end of a span ends there (17:00), not
    /// at the next opening; a count of zero returns the normalised start.
    pub fn add_office_time(&self, start: DateTime<Utc>, seconds: u64) -> DateTime<Utc> {
        saturate(
            LocalInstant::from_utc_ceil(start)
                .and_then(|at| self.normalise_walk(at, &mut NoRecord))
                .and_then(|(at, _, walker)| self.advance_walk(walker, at, seconds, &mut NoRecord)),
        )
    }

    /// Office seconds within `[a, b)`; zero when `b <= a`.
    pub fn office_seconds_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> u64 {
        match (LocalInstant::from_utc_ceil(a), LocalInstant::from_utc_ceil(b)) {
            (Some(a), Some(b)) => self.office_seconds_between_local(a, b),
            _ => 0,
        }
    }

    pub(crate) fn normalise_local<R: Recorder>(
        &self,
        at: LocalInstant,
        recorder: &mut R,
    ) -> Option<(LocalInstant, Timing<'_>)> {
        self.normalise_walk(at, recorder).map(|(at, timing, _)| (at, timing))
    }

    /// [`Self::normalise_local`], also handing back the walker standing on
    /// the normalised date, for counting on without searching the lists again.
    pub(crate) fn normalise_walk<R: Recorder>(
        &self,
        at: LocalInstant,
        recorder: &mut R,
    ) -> Option<(LocalInstant, Timing<'_>, DayWalker<'_>)> {
        let mut walker = DayWalker::new(self, at.date);
        let kind = walker.kind();
        let timing = if kind.is_working() {
            for (index, span) in self.office_hours.iter().enumerate() {
                if at.secs < span.end_secs() {
                    recorder.day(at.date, kind);
                    if at.secs >= span.start_secs() {
                        return Some((at, Timing::InOfficeHours, walker));
                    }
                    let timing = if index == 0 { Timing::BeforeOpening } else { Timing::MiddayBreak };
                    return Some((LocalInstant::new(at.date, span.start_secs()), timing, walker));
                }
            }
            Timing::AfterClosing
        } else {
            Timing::DayOff(kind)
        };
        let date = self.next_working_day(&mut walker, recorder)?;
        Some((LocalInstant::new(date, self.opening_secs()), timing, walker))
    }

    /// Moves the walker to the next working day, noting the days it passes.
    pub(crate) fn next_working_day<R: Recorder>(
        &self,
        walker: &mut DayWalker<'_>,
        recorder: &mut R,
    ) -> Option<NaiveDate> {
        loop {
            walker.advance()?;
            let kind = walker.kind();
            recorder.day(walker.date(), kind);
            if kind.is_working() {
                return Some(walker.date());
            }
        }
    }

    /// Counts `seconds` of office time forward from `start`, an office instant
    /// (as [`Self::normalise_walk`] returns it), with the walker standing on `start.date`.
    pub(crate) fn advance_walk<R: Recorder>(
        &self,
        mut walker: DayWalker<'_>,
        start: LocalInstant,
        seconds: u64,
        recorder: &mut R,
    ) -> Option<LocalInstant> {
        if seconds == 0 {
            return Some(start);
        }
        let left_today = u64::from(self.office_secs_in_day(start.secs, SECONDS_PER_DAY));
        if seconds <= left_today {
            return Some(LocalInstant::new(start.date, self.locate(start.secs, seconds)));
        }
        let mut remaining = seconds - left_today;
        let day = u64::from(self.day_seconds);
        loop {
            walker.advance()?;
            if remaining > self.week_seconds {
                let (from, weekday) = (walker.date(), walker.weekday());
                let weeks = walker.skip_plain_weeks((remaining - 1) / self.week_seconds);
                remaining -= weeks * self.week_seconds;
                if R::ENABLED {
                    self.record_weekends(from, weekday, weeks * 7, recorder);
                }
            }
            let kind = walker.kind();
            recorder.day(walker.date(), kind);
            if kind.is_working() {
                if remaining <= day {
                    return Some(LocalInstant::new(walker.date(), self.locate(self.opening_secs(), remaining)));
                }
                remaining -= day;
            }
        }
    }

    pub(crate) fn office_seconds_between_local(&self, a: LocalInstant, b: LocalInstant) -> u64 {
        if b <= a {
            return 0;
        }
        let mut walker = DayWalker::new(self, a.date);
        let first_is_working = walker.kind().is_working();
        if a.date == b.date {
            return if first_is_working { u64::from(self.office_secs_in_day(a.secs, b.secs)) } else { 0 };
        }
        let mut total = if first_is_working { u64::from(self.office_secs_in_day(a.secs, SECONDS_PER_DAY)) } else { 0 };
        loop {
            if walker.advance().is_none() {
                return total;
            }
            let days_left = u64::try_from(b.date.signed_duration_since(walker.date()).num_days()).unwrap_or(0);
            if days_left >= 7 {
                total += walker.skip_plain_weeks(days_left / 7) * self.week_seconds;
            }
            let is_working = walker.kind().is_working();
            if walker.date() == b.date {
                if is_working {
                    total += u64::from(self.office_secs_in_day(0, b.secs));
                }
                return total;
            }
            if is_working {
                total += u64::from(self.day_seconds);
            }
        }
    }

    /// Office seconds of a working day within `[from, to)` seconds of the day.
    pub(crate) fn office_secs_in_day(&self, from: u32, to: u32) -> u32 {
        self.office_hours.iter().map(|span| span.overlap_secs(from, to)).sum()
    }

    /// The second of the day at which `seconds` of office time counted from
    /// `from` run out; `seconds` must not exceed the office time left.
    fn locate(&self, from: u32, seconds: u64) -> u32 {
        let mut remaining = seconds;
        for span in &self.office_hours {
            let start = span.start_secs().max(from);
            let end = span.end_secs();
            if end <= start {
                continue;
            }
            let available = end - start;
            match u32::try_from(remaining) {
                Ok(left) if left <= available => return start + left,
                _ => remaining -= u64::from(available),
            }
        }
        self.closing_secs()
    }

    /// Notes the weekend days of whole plain weeks jumped over.
    fn record_weekends<R: Recorder>(&self, from: NaiveDate, weekday: Weekday, days: u64, recorder: &mut R) {
        let mut weekday = weekday;
        for offset in 0..days {
            if !self.working_weekdays.contains(weekday) {
                if let Some(date) = from.checked_add_days(Days::new(offset)) {
                    recorder.day(date, DayKind::Weekend);
                }
            }
            weekday = weekday.succ();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::test_calendar::{calendar_2026, vn};

    #[test]
    fn reception_before_opening_counts_from_the_opening() {
        assert_eq!(calendar_2026().normalise(vn(2026, 3, 4, 6, 30)), vn(2026, 3, 4, 7, 0));
    }

    #[test]
    fn reception_in_the_midday_break_counts_from_the_afternoon_opening() {
        assert_eq!(calendar_2026().normalise(vn(2026, 3, 4, 11, 45)), vn(2026, 3, 4, 13, 30));
    }

    #[test]
    fn reception_exactly_at_the_morning_end_counts_from_the_afternoon_opening() {
        assert_eq!(calendar_2026().normalise(vn(2026, 3, 4, 11, 30)), vn(2026, 3, 4, 13, 30));
    }

    #[test]
    fn reception_one_minute_before_closing_stays() {
        assert_eq!(calendar_2026().normalise(vn(2026, 3, 4, 16, 59)), vn(2026, 3, 4, 16, 59));
    }

    #[test]
    fn reception_exactly_at_closing_counts_from_the_next_opening() {
        assert_eq!(calendar_2026().normalise(vn(2026, 3, 4, 17, 0)), vn(2026, 3, 5, 7, 0));
    }

    #[test]
    fn reception_after_closing_on_a_friday_counts_from_monday() {
        assert_eq!(calendar_2026().normalise(vn(2026, 3, 6, 17, 1)), vn(2026, 3, 9, 7, 0));
    }

    #[test]
    fn reception_on_a_saturday_counts_from_monday() {
        assert_eq!(calendar_2026().normalise(vn(2026, 3, 7, 10, 0)), vn(2026, 3, 9, 7, 0));
    }

    #[test]
    fn reception_on_a_tet_holiday_counts_from_the_monday_after_tet() {
        assert_eq!(calendar_2026().normalise(vn(2026, 2, 18, 9, 0)), vn(2026, 2, 23, 7, 0));
    }

    #[test]
    fn reception_on_a_swapped_saturday_stays_on_that_saturday() {
        assert_eq!(calendar_2026().normalise(vn(2026, 1, 10, 9, 0)), vn(2026, 1, 10, 9, 0));
    }

    #[test]
    fn a_fraction_of_a_second_rounds_up() {
        let start = vn(2026, 3, 4, 9, 0) + chrono::TimeDelta::milliseconds(300);
        assert_eq!(calendar_2026().normalise(start), vn(2026, 3, 4, 9, 0) + chrono::TimeDelta::seconds(1));
    }

    #[test]
    fn three_working_hours_from_1000_cross_the_midday_break_to_1500() {
        assert_eq!(calendar_2026().add_office_time(vn(2026, 3, 4, 10, 0), 3 * 3600), vn(2026, 3, 4, 15, 0));
    }

    #[test]
    fn a_full_day_from_the_opening_ends_at_closing_the_same_day() {
        assert_eq!(calendar_2026().add_office_time(vn(2026, 3, 4, 7, 0), 8 * 3600), vn(2026, 3, 4, 17, 0));
    }

    #[test]
    fn a_count_ending_at_the_morning_end_stays_at_eleven_thirty() {
        assert_eq!(calendar_2026().add_office_time(vn(2026, 3, 4, 10, 0), 5_400), vn(2026, 3, 4, 11, 30));
    }

    #[test]
    fn one_more_second_after_closing_is_the_next_morning() {
        assert_eq!(
            calendar_2026().add_office_time(vn(2026, 3, 4, 7, 0), 8 * 3600 + 1),
            vn(2026, 3, 5, 7, 0) + chrono::TimeDelta::seconds(1)
        );
    }

    #[test]
    fn zero_office_time_is_the_normalised_start() {
        assert_eq!(calendar_2026().add_office_time(vn(2026, 3, 4, 17, 0), 0), vn(2026, 3, 5, 7, 0));
    }

    #[test]
    fn office_time_within_one_morning() {
        assert_eq!(calendar_2026().office_seconds_between(vn(2026, 3, 4, 8, 0), vn(2026, 3, 4, 9, 15)), 4_500);
    }

    #[test]
    fn office_time_over_a_weekend_counts_only_friday_afternoon_and_monday_morning() {
        let seconds = calendar_2026().office_seconds_between(vn(2026, 3, 6, 16, 0), vn(2026, 3, 9, 8, 0));
        assert_eq!(seconds, 2 * 3600);
    }

    #[test]
    fn office_time_over_tet_counts_nothing_during_the_holidays() {
        let seconds = calendar_2026().office_seconds_between(vn(2026, 2, 13, 16, 0), vn(2026, 2, 23, 8, 0));
        assert_eq!(seconds, 2 * 3600);
    }

    #[test]
    fn office_time_over_many_plain_weeks() {
        // Mon 1 Jun 07:00 to Mon 3 Aug 07:00 2026: nine weeks without holidays.
        let seconds = calendar_2026().office_seconds_between(vn(2026, 6, 1, 7, 0), vn(2026, 8, 3, 7, 0));
        assert_eq!(seconds, 9 * 5 * 8 * 3600);
    }

    #[test]
    fn office_time_backwards_is_zero() {
        assert_eq!(calendar_2026().office_seconds_between(vn(2026, 3, 4, 9, 0), vn(2026, 3, 4, 8, 0)), 0);
    }
}
