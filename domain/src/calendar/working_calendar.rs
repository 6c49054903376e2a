//! The working calendar: which dates are working days and which hours are office hours.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday, WeekdaySet};
use serde::{Deserialize, Serialize};

use super::local_time::seconds_of;
use super::office_span::OfficeSpan;
use super::spec::{CalendarSpec, NamedDateSpec, OfficeSpanSpec};

/// A province's (or agency's) working calendar (SPEC §4.3).
///
/// Only built valid, through [`WorkingCalendar::new`] or
/// [`WorkingCalendar::default_vietnam`]: at least one working weekday, at
/// least one office span, spans ascending and disjoint, a cut-off within
/// office hours, holidays and swapped days each dated once, swapped days only
/// on non-working weekdays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    pub(crate) working_weekdays: WeekdaySet,
    pub(crate) office_hours: Vec<OfficeSpan>,
    pub(crate) same_day_cutoff: NaiveTime,
    pub(crate) holidays: BTreeMap<NaiveDate, String>,
    pub(crate) swapped_working_days: BTreeMap<NaiveDate, String>,
    /// Derived: office seconds of one working day.
    pub(crate) day_seconds: u32,
    /// Derived: office seconds of a week without holidays or swapped days.
    pub(crate) week_seconds: u64,
}

/// Why a date is not a working day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayOffReason {
    /// A weekday outside the working week.
    Weekend,
    /// A listed holiday, with its name.
    Holiday { name: String },
}

impl WorkingCalendar {
    /// Builds a calendar from parts already known valid (see [`super::validation`]).
    pub(crate) fn from_valid_parts(
        working_weekdays: WeekdaySet,
        office_hours: Vec<OfficeSpan>,
        same_day_cutoff: NaiveTime,
        holidays: BTreeMap<NaiveDate, String>,
        swapped_working_days: BTreeMap<NaiveDate, String>,
    ) -> Self {
        let day_seconds = office_hours.iter().map(OfficeSpan::seconds).sum::<u32>();
        let week_seconds = u64::from(day_seconds) * u64::from(working_weekdays.len());
        Self {
            working_weekdays,
            office_hours,
            same_day_cutoff,
            holidays,
            swapped_working_days,
            day_seconds,
            week_seconds,
        }
    }

    /// Monday–Friday, 07:00–11:30 and 13:30–17:00, cut-off 15:00, no holidays.
    pub fn default_vietnam() -> Self {
        let time = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        Self::from_valid_parts(
            WeekdaySet::from_array([Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]),
            vec![
                OfficeSpan { start: time(7, 0), end: time(11, 30) },
                OfficeSpan { start: time(13, 30), end: time(17, 0) },
            ],
            time(15, 0),
            BTreeMap::new(),
            BTreeMap::new(),
        )
    }

    /// The calendar as plain data; `WorkingCalendar::new(c.to_spec()) == Ok(c)`.
    pub fn to_spec(&self) -> CalendarSpec {
        let named = |map: &BTreeMap<NaiveDate, String>| {
            map.iter()
                .map(|(date, name)| NamedDateSpec::new(date.format("%Y-%m-%d").to_string(), name.clone()))
                .collect()
        };
        CalendarSpec {
            working_weekdays: self
                .working_weekdays
                .iter(Weekday::Mon)
                .map(|day| i64::from(day.number_from_monday()))
                .collect(),
            office_hours: self
                .office_hours
                .iter()
                .map(|span| OfficeSpanSpec::new(format_time(span.start), format_time(span.end)))
                .collect(),
            same_day_cutoff: format_time(self.same_day_cutoff),
            holidays: named(&self.holidays),
            swapped_working_days: named(&self.swapped_working_days),
        }
    }

    pub fn working_weekdays(&self) -> WeekdaySet {
        self.working_weekdays
    }

    pub fn office_hours(&self) -> &[OfficeSpan] {
        &self.office_hours
    }

    pub fn same_day_cutoff(&self) -> NaiveTime {
        self.same_day_cutoff
    }

    pub fn holidays(&self) -> &BTreeMap<NaiveDate, String> {
        &self.holidays
    }

    pub fn swapped_working_days(&self) -> &BTreeMap<NaiveDate, String> {
        &self.swapped_working_days
    }

    /// Office seconds in one working day (28 800 by default).
    pub fn office_seconds_per_day(&self) -> u64 {
        u64::from(self.day_seconds)
    }

    /// A swapped working day works; a holiday does not; otherwise the weekly rule decides.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.swapped_working_days.contains_key(&date)
            || (!self.holidays.contains_key(&date) && self.working_weekdays.contains(date.weekday()))
    }

    /// Why `date` is not a working day, or `None` if it is one. A holiday on a
    /// weekend day reports the holiday.
    pub fn day_off_reason(&self, date: NaiveDate) -> Option<DayOffReason> {
        if self.swapped_working_days.contains_key(&date) {
            None
        } else if let Some(name) = self.holidays.get(&date) {
            Some(DayOffReason::Holiday { name: name.clone() })
        } else if self.working_weekdays.contains(date.weekday()) {
            None
        } else {
            Some(DayOffReason::Weekend)
        }
    }

    /// Opening of a working day (start of the first span), in seconds since midnight.
    pub(crate) fn opening_secs(&self) -> u32 {
        self.office_hours.first().map_or(0, OfficeSpan::start_secs)
    }

    /// Closing of a working day (end of the last span), in seconds since midnight.
    pub(crate) fn closing_secs(&self) -> u32 {
        self.office_hours.last().map_or(0, OfficeSpan::end_secs)
    }

    pub(crate) fn cutoff_secs(&self) -> u32 {
        seconds_of(self.same_day_cutoff)
    }
}

fn format_time(time: NaiveTime) -> String {
    if time.second() == 0 {
        time.format("%H:%M").to_string()
    } else {
        time.format("%H:%M:%S").to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::test_calendar::{calendar_2026, date};
    use super::*;

    #[test]
    fn default_day_has_eight_office_hours() {
        assert_eq!(WorkingCalendar::default_vietnam().office_seconds_per_day(), 8 * 3600);
    }

    #[test]
    fn default_calendar_round_trips_through_its_spec() {
        let calendar = WorkingCalendar::default_vietnam();
        assert_eq!(calendar.to_spec(), CalendarSpec::default());
    }

    #[test]
    fn test_calendar_round_trips_through_its_spec() {
        let calendar = calendar_2026();
        assert_eq!(WorkingCalendar::new(calendar.to_spec()), Ok(calendar));
    }

    #[test]
    fn a_weekday_is_a_working_day() {
        assert!(calendar_2026().is_working_day(date(2026, 2, 13)));
    }

    #[test]
    fn a_saturday_is_a_weekend() {
        assert_eq!(calendar_2026().day_off_reason(date(2026, 2, 14)), Some(DayOffReason::Weekend));
    }

    #[test]
    fn a_tet_weekday_is_a_holiday_with_its_name() {
        assert_eq!(
            calendar_2026().day_off_reason(date(2026, 2, 16)),
            Some(DayOffReason::Holiday { name: "Tết Nguyên đán".to_owned() })
        );
    }

    #[test]
    fn a_holiday_on_a_sunday_reports_the_holiday() {
        assert_eq!(
            calendar_2026().day_off_reason(date(2026, 4, 26)),
            Some(DayOffReason::Holiday { name: "Giỗ Tổ Hùng Vương".to_owned() })
        );
    }

    #[test]
    fn a_swapped_saturday_is_a_working_day() {
        let calendar = calendar_2026();
        assert!(calendar.is_working_day(date(2026, 1, 10)));
        assert_eq!(calendar.day_off_reason(date(2026, 1, 10)), None);
    }

    #[test]
    fn day_off_reason_serialises_with_a_kind_tag() {
        let json = serde_json::to_string(&DayOffReason::Holiday { name: "Tết".to_owned() }).unwrap();
        assert_eq!(json, r#"{"kind":"holiday","name":"Tết"}"#);
    }
}
