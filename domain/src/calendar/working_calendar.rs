//! The working calendar: which dates are working days and which hours are office hours.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc, Weekday, WeekdaySet};
use serde::{Deserialize, Serialize};

use super::local_time::{seconds_of, VIETNAM};
use super::office_span::OfficeSpan;
use super::spec::{CalendarSpec, NamedDateSpec, OfficeSpanSpec};

/// A province's (or agency's) working calendar (docs/RULES.md §4.3).
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
    /// The last date the holidays and swapped days are known for; `None`: not stated.
    pub(crate) valid_through: Option<NaiveDate>,
    /// Holidays not yet announced by the government, by name.
    pub(crate) unannounced: Vec<String>,
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
            valid_through: None,
            unannounced: Vec::new(),
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
            valid_through: self.valid_through.map(|date| date.format("%Y-%m-%d").to_string()),
            unannounced: self.unannounced.clone(),
        }
    }

    pub fn working_weekdays(&self) -> WeekdaySet {
        self.working_weekdays
    }

    /// The first date on which `other` counts office time differently from
    /// this calendar: None when they count it alike on every date,
    /// `Some(None)` when on every date (other weekdays or office hours).
    pub fn first_difference(&self, other: &WorkingCalendar) -> Option<Option<NaiveDate>> {
        if self.working_weekdays != other.working_weekdays || self.office_hours != other.office_hours {
            return Some(None);
        }
        let dated = [&self.holidays, &self.swapped_working_days, &other.holidays, &other.swapped_working_days];
        dated
            .into_iter()
            .flat_map(|days| days.keys())
            .filter(|d| self.is_working_day(**d) != other.is_working_day(**d))
            .min()
            .map(|d| Some(*d))
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

    /// The last date the holidays and swapped days are known for (`None`: not stated).
    pub fn valid_through(&self) -> Option<NaiveDate> {
        self.valid_through
    }

    /// Holidays the government has not announced yet, by name.
    pub fn unannounced(&self) -> &[String] {
        &self.unannounced
    }

    /// Whether a due instant runs past the calendar's horizon: its Vietnam
    /// date is after `valid_through`, so a holiday announced later may still
    /// move it. Never provisional when the calendar states no horizon.
    pub fn is_provisional(&self, due: DateTime<Utc>) -> bool {
        self.provisional_from().is_some_and(|from| due >= from)
    }

    /// The first provisional instant: 00:00 Vietnam time the day after
    /// `valid_through` (`None` when no horizon is stated).
    pub fn provisional_from(&self) -> Option<DateTime<Utc>> {
        let next = self.valid_through?.succ_opt()?;
        Some(next.and_time(NaiveTime::MIN).and_utc() - chrono::TimeDelta::seconds(i64::from(VIETNAM.local_minus_utc())))
    }

    /// Whole days from `today` to `valid_through` (negative once passed;
    /// `None` when no horizon is stated).
    pub fn horizon_days_left(&self, today: NaiveDate) -> Option<i64> {
        self.valid_through.map(|last| (last - today).num_days())
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
    use super::super::test_calendar::{calendar_2026, date, vn};
    use super::*;

    #[test]
    fn the_first_difference_is_the_first_date_counted_otherwise() {
        let base = calendar_2026();
        assert_eq!(base.first_difference(&calendar_2026()), None);
        let mut spec = base.to_spec();
        spec.holidays.push(NamedDateSpec::new("2026-03-09", "Nghỉ đột xuất"));
        spec.holidays.retain(|h| h.date != "2026-05-01");
        let edited = WorkingCalendar::new(spec).unwrap();
        assert_eq!(base.first_difference(&edited), Some(Some(date(2026, 3, 9))));
        assert_eq!(edited.first_difference(&base), Some(Some(date(2026, 3, 9))));
        let mut spec = base.to_spec();
        spec.office_hours.remove(0);
        assert_eq!(base.first_difference(&WorkingCalendar::new(spec).unwrap()), Some(None));
    }

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

    fn through_january_2027() -> WorkingCalendar {
        WorkingCalendar::new(CalendarSpec { valid_through: Some("2027-01-31".to_owned()), ..calendar_2026().to_spec() })
            .unwrap()
    }

    #[test]
    fn a_due_instant_on_the_last_known_date_is_not_provisional() {
        assert!(!through_january_2027().is_provisional(vn(2027, 1, 31, 23, 59)));
    }

    #[test]
    fn a_due_instant_the_day_after_the_last_known_date_is_provisional() {
        // 1 Feb 2027 00:30 in Vietnam is still 31 Jan in UTC: the Vietnam date counts.
        assert!(through_january_2027().is_provisional(vn(2027, 2, 1, 0, 30)));
    }

    #[test]
    fn provisional_from_is_vietnam_midnight_after_the_last_known_date() {
        assert_eq!(through_january_2027().provisional_from(), Some(vn(2027, 2, 1, 0, 0)));
    }

    #[test]
    fn days_left_count_down_to_the_horizon_and_below_zero_past_it() {
        let calendar = through_january_2027();
        assert_eq!(
            (calendar.horizon_days_left(date(2026, 12, 2)), calendar.horizon_days_left(date(2027, 2, 2))),
            (Some(60), Some(-2))
        );
    }

    #[test]
    fn without_a_stated_horizon_nothing_is_provisional() {
        assert!(!calendar_2026().is_provisional(vn(2099, 1, 1, 9, 0)));
    }

    #[test]
    fn the_horizon_survives_the_spec() {
        let calendar = WorkingCalendar::new(CalendarSpec {
            unannounced: vec!["Tết Nguyên đán 2027".to_owned()],
            ..through_january_2027().to_spec()
        })
        .unwrap();
        assert_eq!(
            (calendar.valid_through(), calendar.unannounced()),
            (Some(date(2027, 1, 31)), &["Tết Nguyên đán 2027".to_owned()][..])
        );
        assert_eq!(WorkingCalendar::new(calendar.to_spec()), Ok(calendar));
    }

    #[test]
    fn day_off_reason_serialises_with_a_kind_tag() {
        let json = serde_json::to_string(&DayOffReason::Holiday { name: "Tết".to_owned() }).unwrap();
        assert_eq!(json, r#"{"kind":"holiday","name":"Tết"}"#);
    }
}
