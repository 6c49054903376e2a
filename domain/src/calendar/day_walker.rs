//! Walking forward day by day over a calendar, with cursors into its holiday
//! and swapped-day lists so that each step costs a comparison, not a lookup.

use std::collections::btree_map;
use std::iter::Peekable;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::working_calendar::{DayOffReason, WorkingCalendar};

/// What a date is on a calendar, borrowing the calendar's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayKind<'a> {
    Working,
    Swapped(&'a str),
    Weekend,
    Holiday(&'a str),
}

impl DayKind<'_> {
    pub fn is_working(self) -> bool {
        matches!(self, Self::Working | Self::Swapped(_))
    }

    /// The owned reason of a day off (allocates a holiday's name).
    pub fn off_reason(self) -> Option<DayOffReason> {
        match self {
            Self::Working | Self::Swapped(_) => None,
            Self::Weekend => Some(DayOffReason::Weekend),
            Self::Holiday(name) => Some(DayOffReason::Holiday { name: name.to_owned() }),
        }
    }
}

type Entries<'a> = Peekable<btree_map::Range<'a, NaiveDate, String>>;

/// A date moving forward over a calendar.
pub(crate) struct DayWalker<'a> {
    calendar: &'a WorkingCalendar,
    date: NaiveDate,
    weekday: Weekday,
    holidays: Entries<'a>,
    swapped: Entries<'a>,
    /// A holiday or swapped day less than a week ahead: no plain week can
    /// start before the walk passes it.
    no_plain_week_until: Option<NaiveDate>,
}

impl<'a> DayWalker<'a> {
    pub fn new(calendar: &'a WorkingCalendar, date: NaiveDate) -> Self {
        Self {
            calendar,
            date,
            weekday: date.weekday(),
            holidays: calendar.holidays.range(date..).peekable(),
            swapped: calendar.swapped_working_days.range(date..).peekable(),
            no_plain_week_until: None,
        }
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    pub fn weekday(&self) -> Weekday {
        self.weekday
    }

    /// Moves to the next day; `None` past chrono's last date.
    pub fn advance(&mut self) -> Option<()> {
        self.date = self.date.succ_opt()?;
        self.weekday = self.weekday.succ();
        Some(())
    }

    /// What the current date is.
    pub fn kind(&mut self) -> DayKind<'a> {
        let date = self.date;
        if let Some(name) = entry_on(&mut self.holidays, date) {
            DayKind::Holiday(name)
        } else if let Some(name) = entry_on(&mut self.swapped, date) {
            DayKind::Swapped(name)
        } else if self.calendar.working_weekdays.contains(self.weekday) {
            DayKind::Working
        } else {
            DayKind::Weekend
        }
    }

    /// Jumps over up to `wanted` whole weeks that hold no holiday and no
    /// swapped day (so exactly the weekly working days), returning how many.
    /// The current date must not have been counted yet.
    pub fn skip_plain_weeks(&mut self, wanted: u64) -> u64 {
        if self.no_plain_week_until.is_some_and(|blocked| self.date <= blocked) {
            return 0;
        }
        let next_special = match (first_from(&mut self.holidays, self.date), first_from(&mut self.swapped, self.date)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let plain_days = next_special.map_or(u64::MAX, |special| {
            u64::try_from(special.signed_duration_since(self.date).num_days()).unwrap_or(0)
        });
        if plain_days < 7 {
            self.no_plain_week_until = next_special;
            return 0;
        }
        let weeks = wanted.min(plain_days / 7);
        if weeks == 0 {
            return 0;
        }
        match self.date.checked_add_days(Days::new(weeks * 7)) {
            Some(date) => {
                self.date = date;
                weeks
            }
            None => 0,
        }
    }
}

/// Drops entries before `date` and returns the name of an entry on `date`.
fn entry_on<'a>(entries: &mut Entries<'a>, date: NaiveDate) -> Option<&'a str> {
    match first_from(entries, date) {
        Some(first) if first == date => entries.peek().map(|(_, name)| name.as_str()),
        _ => None,
    }
}

/// Drops entries before `date` and returns the first remaining date.
fn first_from(entries: &mut Entries<'_>, date: NaiveDate) -> Option<NaiveDate> {
    while let Some((&first, _)) = entries.peek() {
        if first >= date {
            return Some(first);
        }
        entries.next();
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::test_calendar::{calendar_2026, date};
    use super::*;

    #[test]
    fn walking_through_tet_sees_weekend_then_holidays() {
        let calendar = calendar_2026();
        let mut walker = DayWalker::new(&calendar, date(2026, 2, 13));
        let mut kinds = Vec::new();
        for _ in 0..10 {
            kinds.push(walker.kind());
            walker.advance().unwrap();
        }
        use DayKind::*;
        let tet = Holiday("Tết Nguyên đán");
        assert_eq!(kinds, vec![Working, Weekend, Weekend, tet, tet, tet, tet, tet, Weekend, Weekend]);
    }

    #[test]
    fn walking_onto_a_swapped_saturday_sees_its_name() {
        let calendar = calendar_2026();
        let mut walker = DayWalker::new(&calendar, date(2026, 1, 9));
        walker.advance().unwrap();
        assert_eq!(walker.kind(), DayKind::Swapped("Làm bù ngày 02/01"));
    }

    #[test]
    fn week_skipping_stops_before_a_holiday() {
        let calendar = calendar_2026();
        // From Mon 2 Feb, the next special date is Mon 16 Feb: two plain weeks.
        let mut walker = DayWalker::new(&calendar, date(2026, 2, 2));
        assert_eq!(walker.skip_plain_weeks(10), 2);
        assert_eq!(walker.date(), date(2026, 2, 16));
        assert_eq!(walker.weekday(), Weekday::Mon);
    }

    #[test]
    fn week_skipping_takes_no_more_than_wanted() {
        let calendar = calendar_2026();
        let mut walker = DayWalker::new(&calendar, date(2026, 6, 1));
        assert_eq!(walker.skip_plain_weeks(3), 3);
        assert_eq!(walker.date(), date(2026, 6, 22));
    }
}
