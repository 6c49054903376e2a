//! Building a [`WorkingCalendar`] from a [`CalendarSpec`], refusing every invalid field.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday, WeekdaySet};

use super::error::CalendarError;
use super::office_span::OfficeSpan;
use super::spec::{CalendarSpec, NamedDateSpec};
use super::working_calendar::WorkingCalendar;
use crate::error::ErrorCode as Code;

impl WorkingCalendar {
    /// Validates `spec` and builds the calendar, or lists every invalid field.
    ///
    /// The same-day cut-off must lie within an office span, both ends
    /// included (so 17:00 is accepted: every reception during the day is then
    /// settled that day).
    pub fn new(spec: CalendarSpec) -> Result<Self, Vec<CalendarError>> {
        let mut errors = Vec::new();
        let weekdays = check_weekdays(&spec.working_weekdays, &mut errors);
        let spans = check_office_hours(&spec.office_hours, &mut errors);
        let cutoff = check_cutoff(&spec.same_day_cutoff, spans.as_deref(), &mut errors);
        let holidays = check_dates("holidays", spec.holidays, &mut errors);
        let swapped = check_dates("swapped_working_days", spec.swapped_working_days, &mut errors);
        check_swapped_days(&swapped, &holidays, weekdays, &mut errors);
        let valid_through =
            spec.valid_through.as_deref().and_then(|text| parse_date(text, "valid_through", &mut errors));
        let unannounced = check_unannounced(spec.unannounced, &mut errors);

        match (weekdays, spans, cutoff) {
            (Some(weekdays), Some(spans), Some(cutoff)) if errors.is_empty() => {
                let mut calendar = Self::from_valid_parts(
                    weekdays,
                    spans,
                    cutoff,
                    holidays.into_iter().map(|entry| (entry.date, entry.name)).collect(),
                    swapped.into_iter().map(|entry| (entry.date, entry.name)).collect(),
                );
                calendar.valid_through = valid_through;
                calendar.unannounced = unannounced;
                Ok(calendar)
            }
            _ => Err(errors),
        }
    }
}

/// The working week, if every listed number is a distinct ISO weekday and there is one.
fn check_weekdays(numbers: &[i64], errors: &mut Vec<CalendarError>) -> Option<WeekdaySet> {
    let before = errors.len();
    let mut set = WeekdaySet::EMPTY;
    for (i, &number) in numbers.iter().enumerate() {
        let field = format!("working_weekdays[{i}]");
        match iso_weekday(number) {
            None => errors.push(CalendarError::new(
                field,
                Code::InvalidWeekday,
                format!("{number} is not an ISO weekday (1 = Monday … 7 = Sunday)"),
            )),
            Some(day) if !set.insert(day) => {
                errors.push(CalendarError::new(field, Code::DuplicateWeekday, format!("{day} is listed twice")))
            }
            Some(_) => {}
        }
    }
    if numbers.is_empty() {
        errors.push(CalendarError::new("working_weekdays", Code::EmptyWeek, "the week has no working day"));
    }
    (errors.len() == before).then_some(set)
}

fn iso_weekday(number: i64) -> Option<Weekday> {
    let index = u8::try_from(number.checked_sub(1)?).ok()?;
    (index < 7).then(|| Weekday::try_from(index).ok()).flatten()
}

/// The office spans, if all parse, each starts before it ends, and they ascend without overlap.
fn check_office_hours(
    spans: &[super::spec::OfficeSpanSpec],
    errors: &mut Vec<CalendarError>,
) -> Option<Vec<OfficeSpan>> {
    let before = errors.len();
    if spans.is_empty() {
        errors.push(CalendarError::new("office_hours", Code::NoOfficeHours, "a working day needs office hours"));
    }
    let mut valid: Vec<OfficeSpan> = Vec::with_capacity(spans.len());
    for (i, spec) in spans.iter().enumerate() {
        let start = parse_time(&spec.start, &format!("office_hours[{i}].start"), errors);
        let end = parse_time(&spec.end, &format!("office_hours[{i}].end"), errors);
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        let field = format!("office_hours[{i}]");
        let Some(span) = OfficeSpan::new(start, end) else {
            errors.push(CalendarError::new(
                field,
                Code::EmptySpan,
                format!("starts at {start} but does not end after it ({end})"),
            ));
            continue;
        };
        if let Some(previous) = valid.last() {
            if span.start < previous.start {
                errors.push(CalendarError::new(
                    field,
                    Code::SpansNotAscending,
                    format!("starts at {start}, before the previous span ({}–{})", previous.start, previous.end),
                ));
                continue;
            }
            if span.start < previous.end {
                errors.push(CalendarError::new(
                    field,
                    Code::SpansOverlap,
                    format!("starts at {start}, before the previous span ends ({})", previous.end),
                ));
                continue;
            }
        }
        valid.push(span);
    }
    (errors.len() == before).then_some(valid)
}

fn check_cutoff(text: &str, spans: Option<&[OfficeSpan]>, errors: &mut Vec<CalendarError>) -> Option<NaiveTime> {
    let cutoff = parse_time(text, "same_day_cutoff", errors)?;
    let spans = spans?;
    if spans.iter().any(|span| span.start <= cutoff && cutoff <= span.end) {
        Some(cutoff)
    } else {
        errors.push(CalendarError::new(
            "same_day_cutoff",
            Code::CutoffOutsideOfficeHours,
            format!("{cutoff} is outside office hours"),
        ));
        None
    }
}

fn parse_time(text: &str, field: &str, errors: &mut Vec<CalendarError>) -> Option<NaiveTime> {
    let parsed = NaiveTime::parse_from_str(text, "%H:%M").or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"));
    match parsed {
        Ok(time) => Some(time),
        Err(_) => {
            errors.push(CalendarError::new(field, Code::InvalidTime, format!("{text:?} is not a time of day (HH:MM)")));
            None
        }
    }
}

fn parse_date(text: &str, field: &str, errors: &mut Vec<CalendarError>) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d");
    if parsed.is_err() {
        errors.push(CalendarError::new(field, Code::InvalidDate, format!("{text:?} is not a date (YYYY-MM-DD)")));
    }
    parsed.ok()
}

/// The names of holidays not yet announced, trimmed; a blank one is refused.
fn check_unannounced(names: Vec<String>, errors: &mut Vec<CalendarError>) -> Vec<String> {
    let mut valid = Vec::with_capacity(names.len());
    for (index, name) in names.into_iter().enumerate() {
        let name = name.trim().to_owned();
        if name.is_empty() {
            errors.push(CalendarError::new(format!("unannounced[{index}]"), Code::EmptyName, "the name is empty"));
        } else {
            valid.push(name);
        }
    }
    valid
}

/// A dated entry that parsed, with where it was listed.
struct DatedEntry {
    index: usize,
    date: NaiveDate,
    name: String,
}

/// The entries of one list whose date parses, each date once; blank names and duplicates reported.
fn check_dates(list: &str, entries: Vec<NamedDateSpec>, errors: &mut Vec<CalendarError>) -> Vec<DatedEntry> {
    let mut first_index: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut valid = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let name = entry.name.trim().to_owned();
        if name.is_empty() {
            errors.push(CalendarError::new(format!("{list}[{index}].name"), Code::EmptyName, "the name is empty"));
        }
        let field = format!("{list}[{index}].date");
        let Some(date) = parse_date(&entry.date, &field, errors) else {
            continue;
        };
        if let Some(first) = first_index.get(&date) {
            errors.push(CalendarError::new(
                field,
                Code::DuplicateDate,
                format!("{date} is already listed at {list}[{first}]"),
            ));
            continue;
        }
        first_index.insert(date, index);
        valid.push(DatedEntry { index, date, name });
    }
    valid
}

/// A swapped day may not also be a holiday, and must fall on a non-working weekday.
fn check_swapped_days(
    swapped: &[DatedEntry],
    holidays: &[DatedEntry],
    weekdays: Option<WeekdaySet>,
    errors: &mut Vec<CalendarError>,
) {
    for entry in swapped {
        let field = format!("swapped_working_days[{}].date", entry.index);
        if let Some(holiday) = holidays.iter().find(|holiday| holiday.date == entry.date) {
            errors.push(CalendarError::new(
                field,
                Code::DuplicateDate,
                format!("{} is also listed as a holiday at holidays[{}]", entry.date, holiday.index),
            ));
        } else if weekdays.is_some_and(|set| set.contains(entry.date.weekday())) {
            errors.push(CalendarError::new(
                field,
                Code::SwappedDayNotWeekend,
                format!("{} is a {}, already a working day", entry.date, entry.date.weekday()),
            ));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::calendar::spec::OfficeSpanSpec;

    fn errors_of(spec: CalendarSpec) -> Vec<(String, Code)> {
        WorkingCalendar::new(spec).unwrap_err().into_iter().map(|e| (e.field, e.code)).collect()
    }

    fn with_holidays(holidays: &[(&str, &str)]) -> CalendarSpec {
        CalendarSpec {
            holidays: holidays.iter().map(|(d, n)| NamedDateSpec::new(*d, *n)).collect(),
            ..CalendarSpec::default()
        }
    }

    #[test]
    fn the_default_spec_is_valid() {
        assert_eq!(WorkingCalendar::new(CalendarSpec::default()), Ok(WorkingCalendar::default_vietnam()));
    }

    #[test]
    fn weekday_eight_is_refused() {
        let spec = CalendarSpec { working_weekdays: vec![1, 2, 8], ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("working_weekdays[2]".to_owned(), Code::InvalidWeekday)]);
    }

    #[test]
    fn weekday_zero_is_refused() {
        let spec = CalendarSpec { working_weekdays: vec![0, 1], ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("working_weekdays[0]".to_owned(), Code::InvalidWeekday)]);
    }

    #[test]
    fn a_repeated_weekday_is_refused() {
        let spec = CalendarSpec { working_weekdays: vec![1, 2, 1], ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("working_weekdays[2]".to_owned(), Code::DuplicateWeekday)]);
    }

    #[test]
    fn an_empty_week_is_refused() {
        let spec = CalendarSpec { working_weekdays: vec![], ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("working_weekdays".to_owned(), Code::EmptyWeek)]);
    }

    #[test]
    fn no_office_hours_is_refused() {
        let spec = CalendarSpec { office_hours: vec![], ..CalendarSpec::default() };
        // The cut-off cannot be checked against missing hours, so only one error.
        assert_eq!(errors_of(spec), vec![("office_hours".to_owned(), Code::NoOfficeHours)]);
    }

    #[test]
    fn an_unparsable_span_end_is_refused() {
        let spec =
            CalendarSpec { office_hours: vec![OfficeSpanSpec::new("07:00", "25:00")], ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("office_hours[0].end".to_owned(), Code::InvalidTime)]);
    }

    #[test]
    fn a_span_starting_at_its_end_is_refused() {
        let spec = CalendarSpec {
            office_hours: vec![OfficeSpanSpec::new("07:00", "11:30"), OfficeSpanSpec::new("17:00", "13:30")],
            ..CalendarSpec::default()
        };
        assert_eq!(errors_of(spec), vec![("office_hours[1]".to_owned(), Code::EmptySpan)]);
    }

    #[test]
    fn overlapping_spans_are_refused() {
        let spec = CalendarSpec {
            office_hours: vec![OfficeSpanSpec::new("07:00", "11:30"), OfficeSpanSpec::new("11:00", "17:00")],
            ..CalendarSpec::default()
        };
        assert_eq!(errors_of(spec), vec![("office_hours[1]".to_owned(), Code::SpansOverlap)]);
    }

    #[test]
    fn spans_out_of_order_are_refused() {
        let spec = CalendarSpec {
            office_hours: vec![OfficeSpanSpec::new("13:30", "17:00"), OfficeSpanSpec::new("07:00", "11:30")],
            ..CalendarSpec::default()
        };
        assert_eq!(errors_of(spec), vec![("office_hours[1]".to_owned(), Code::SpansNotAscending)]);
    }

    #[test]
    fn adjacent_spans_are_accepted() {
        let spec = CalendarSpec {
            office_hours: vec![OfficeSpanSpec::new("07:00", "11:30"), OfficeSpanSpec::new("11:30", "17:00")],
            ..CalendarSpec::default()
        };
        assert_eq!(WorkingCalendar::new(spec).unwrap().office_seconds_per_day(), 10 * 3600);
    }

    #[test]
    fn a_cutoff_in_the_midday_break_is_refused() {
        let spec = CalendarSpec { same_day_cutoff: "12:00".to_owned(), ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("same_day_cutoff".to_owned(), Code::CutoffOutsideOfficeHours)]);
    }

    #[test]
    fn a_cutoff_after_closing_is_refused() {
        let spec = CalendarSpec { same_day_cutoff: "17:01".to_owned(), ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("same_day_cutoff".to_owned(), Code::CutoffOutsideOfficeHours)]);
    }

    #[test]
    fn a_cutoff_at_closing_is_accepted() {
        let spec = CalendarSpec { same_day_cutoff: "17:00".to_owned(), ..CalendarSpec::default() };
        assert!(WorkingCalendar::new(spec).is_ok());
    }

    #[test]
    fn an_unparsable_cutoff_is_refused() {
        let spec = CalendarSpec { same_day_cutoff: "3pm".to_owned(), ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("same_day_cutoff".to_owned(), Code::InvalidTime)]);
    }

    #[test]
    fn an_unparsable_holiday_date_is_refused() {
        let spec = with_holidays(&[("2026-01-01", "Tết Dương lịch"), ("2026-02-30", "Nowhere")]);
        assert_eq!(errors_of(spec), vec![("holidays[1].date".to_owned(), Code::InvalidDate)]);
    }

    #[test]
    fn a_holiday_listed_twice_is_refused_at_its_second_place() {
        let spec = with_holidays(&[
            ("2026-01-01", "Tết Dương lịch"),
            ("2026-04-30", "Ngày Giải phóng miền Nam"),
            ("2026-05-01", "Quốc tế Lao động"),
            ("2026-01-01", "Again"),
        ]);
        assert_eq!(errors_of(spec), vec![("holidays[3].date".to_owned(), Code::DuplicateDate)]);
    }

    #[test]
    fn a_blank_holiday_name_is_refused() {
        let spec = with_holidays(&[("2026-01-01", "  ")]);
        assert_eq!(errors_of(spec), vec![("holidays[0].name".to_owned(), Code::EmptyName)]);
    }

    #[test]
    fn a_swapped_day_that_is_also_a_holiday_is_refused() {
        let spec = CalendarSpec {
            swapped_working_days: vec![NamedDateSpec::new("2026-01-03", "Làm bù")],
            ..with_holidays(&[("2026-01-03", "Nghỉ")])
        };
        assert_eq!(errors_of(spec), vec![("swapped_working_days[0].date".to_owned(), Code::DuplicateDate)]);
    }

    #[test]
    fn a_swapped_day_listed_twice_is_refused() {
        let spec = CalendarSpec {
            swapped_working_days: vec![
                NamedDateSpec::new("2026-01-10", "Làm bù"),
                NamedDateSpec::new("2026-01-10", "Làm bù"),
            ],
            ..CalendarSpec::default()
        };
        assert_eq!(errors_of(spec), vec![("swapped_working_days[1].date".to_owned(), Code::DuplicateDate)]);
    }

    #[test]
    fn a_swapped_day_on_a_working_weekday_is_refused() {
        let spec = CalendarSpec {
            swapped_working_days: vec![NamedDateSpec::new("2026-01-09", "Friday")],
            ..CalendarSpec::default()
        };
        assert_eq!(errors_of(spec), vec![("swapped_working_days[0].date".to_owned(), Code::SwappedDayNotWeekend)]);
    }

    #[test]
    fn a_blank_swapped_day_name_is_refused() {
        let spec = CalendarSpec {
            swapped_working_days: vec![NamedDateSpec::new("2026-01-10", "")],
            ..CalendarSpec::default()
        };
        assert_eq!(errors_of(spec), vec![("swapped_working_days[0].name".to_owned(), Code::EmptyName)]);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let spec = CalendarSpec {
            working_weekdays: vec![9],
            office_hours: vec![OfficeSpanSpec::new("09:00", "08:00")],
            same_day_cutoff: "x".to_owned(),
            holidays: vec![NamedDateSpec::new("soon", "")],
            swapped_working_days: vec![],
            valid_through: Some("2027-02-30".to_owned()),
            unannounced: vec![" ".to_owned()],
        };
        assert_eq!(
            errors_of(spec),
            vec![
                ("working_weekdays[0]".to_owned(), Code::InvalidWeekday),
                ("office_hours[0]".to_owned(), Code::EmptySpan),
                ("same_day_cutoff".to_owned(), Code::InvalidTime),
                ("holidays[0].name".to_owned(), Code::EmptyName),
                ("holidays[0].date".to_owned(), Code::InvalidDate),
                ("valid_through".to_owned(), Code::InvalidDate),
                ("unannounced[0]".to_owned(), Code::EmptyName),
            ]
        );
    }

    #[test]
    fn an_unparsable_horizon_is_refused() {
        let spec = CalendarSpec { valid_through: Some("end of 2027".to_owned()), ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("valid_through".to_owned(), Code::InvalidDate)]);
    }

    #[test]
    fn holidays_past_the_horizon_are_accepted() {
        // Fixed-date holidays are known years ahead; the horizon is where the first unknown one may fall.
        let spec = CalendarSpec {
            valid_through: Some("2027-01-31".to_owned()),
            ..with_holidays(&[("2027-09-02", "Quốc khánh")])
        };
        assert!(WorkingCalendar::new(spec).is_ok());
    }

    #[test]
    fn a_blank_unannounced_name_is_refused() {
        let spec =
            CalendarSpec { unannounced: vec!["Tết 2027".to_owned(), "".to_owned()], ..CalendarSpec::default() };
        assert_eq!(errors_of(spec), vec![("unannounced[1]".to_owned(), Code::EmptyName)]);
    }

    #[test]
    fn names_are_stored_trimmed() {
        let calendar = WorkingCalendar::new(with_holidays(&[("2026-01-01", " Tết Dương lịch ")])).unwrap();
        assert_eq!(calendar.holidays().values().next().unwrap(), "Tết Dương lịch");
    }
}
