//! The calendar the tests share: 2026 with Tết, the Hùng Kings' day, 30 April,
//! 1 May, and a swapped working Saturday.
//!
//! Checked against docs/RULES.md §4.3: Tết 16–20 Feb 2026, Hùng Kings' day Sun 26 Apr
//! observed Mon 27 Apr, 30 Apr and 1 May. Not checked against a government
//! notice (made up for the tests): 2 Jan 2026 as a bridged holiday worked back
//! on Sat 10 Jan.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::local_time::VIETNAM;
use super::spec::{CalendarSpec, NamedDateSpec};
use super::working_calendar::WorkingCalendar;

pub(crate) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// A Vietnam wall-clock time, as a UTC instant.
pub(crate) fn vn(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    VIETNAM.with_ymd_and_hms(year, month, day, hour, minute, 0).unwrap().with_timezone(&Utc)
}

pub(crate) fn calendar_2026() -> WorkingCalendar {
    let mut holidays = vec![
        NamedDateSpec::new("2026-01-01", "Tết Dương lịch"),
        NamedDateSpec::new("2026-01-02", "Nghỉ liền Tết Dương lịch"),
    ];
    for day in 16..=20 {
        holidays.push(NamedDateSpec::new(format!("2026-02-{day}"), "Tết Nguyên đán"));
    }
    holidays.extend([
        NamedDateSpec::new("2026-04-26", "Giỗ Tổ Hùng Vương"),
        NamedDateSpec::new("2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương"),
        NamedDateSpec::new("2026-04-30", "Ngày Giải phóng miền Nam"),
        NamedDateSpec::new("2026-05-01", "Ngày Quốc tế Lao động"),
    ]);
    WorkingCalendar::new(CalendarSpec {
        holidays,
        swapped_working_days: vec![NamedDateSpec::new("2026-01-10", "Làm bù ngày 02/01")],
        ..CalendarSpec::default()
    })
    .unwrap()
}
