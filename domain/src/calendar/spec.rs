//! The plain, serde-friendly description of a working calendar, as an admin
//! sends it and as it is stored. [`super::WorkingCalendar::new`] validates it.

use serde::{Deserialize, Serialize};

/// A working calendar as data:
///
/// ```json
/// {"working_weekdays": [1, 2, 3, 4, 5],
///  "office_hours": [{"start": "07:00", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
///  "same_day_cutoff": "15:00",
///  "holidays": [{"date": "2026-01-01", "name": "Tết Dương lịch"}],
///  "swapped_working_days": [],
///  "valid_through": "2027-01-31",
///  "unannounced": ["Tết Nguyên đán 2027"]}
/// ```
///
/// Weekdays are ISO numbers (1 = Monday … 7 = Sunday), times `HH:MM` (or
/// `HH:MM:SS`), dates `YYYY-MM-DD`. Values are kept as written so that
/// validation can name the offending field; a missing field takes the Vietnam
/// default (Monday–Friday, 07:00–11:30 and 13:30–17:00, cut-off 15:00, no
/// holidays, no swapped days, no stated horizon).
///
/// `valid_through` is the last date the holidays and swapped days are known
/// for: a due instant past it is provisional. `unannounced` names what the
/// calendar does not hold yet because the government has not announced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarSpec {
    pub working_weekdays: Vec<i64>,
    pub office_hours: Vec<OfficeSpanSpec>,
    pub same_day_cutoff: String,
    pub holidays: Vec<NamedDateSpec>,
    pub swapped_working_days: Vec<NamedDateSpec>,
    pub valid_through: Option<String>,
    pub unannounced: Vec<String>,
}

/// One span of office hours, `{"start": "07:00", "end": "11:30"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeSpanSpec {
    pub start: String,
    pub end: String,
}

/// A dated entry, `{"date": "2026-01-01", "name": "Tết Dương lịch"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedDateSpec {
    pub date: String,
    pub name: String,
}

impl OfficeSpanSpec {
    pub fn new(start: impl Into<String>, end: impl Into<String>) -> Self {
        Self { start: start.into(), end: end.into() }
    }
}

impl NamedDateSpec {
    pub fn new(date: impl Into<String>, name: impl Into<String>) -> Self {
        Self { date: date.into(), name: name.into() }
    }
}

impl Default for CalendarSpec {
    /// The Vietnam default: Monday–Friday, 07:00–11:30 and 13:30–17:00, cut-off 15:00.
    fn default() -> Self {
        Self {
            working_weekdays: vec![1, 2, 3, 4, 5],
            office_hours: vec![OfficeSpanSpec::new("07:00", "11:30"), OfficeSpanSpec::new("13:30", "17:00")],
            same_day_cutoff: "15:00".to_owned(),
            holidays: Vec::new(),
            swapped_working_days: Vec::new(),
            valid_through: None,
            unannounced: Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_documented_json_shape_deserialises() {
        let spec: CalendarSpec = serde_json::from_str(
            r#"{"working_weekdays":[1,2,3,4,5],
                "office_hours":[{"start":"07:00","end":"11:30"},{"start":"13:30","end":"17:00"}],
                "same_day_cutoff":"15:00",
                "holidays":[{"date":"2026-01-01","name":"Tết Dương lịch"}],
                "swapped_working_days":[]}"#,
        )
        .unwrap();
        assert_eq!(spec.holidays, vec![NamedDateSpec::new("2026-01-01", "Tết Dương lịch")]);
    }

    #[test]
    fn missing_fields_take_the_vietnam_defaults() {
        let spec: CalendarSpec = serde_json::from_str("{}").unwrap();
        assert_eq!(spec, CalendarSpec::default());
    }
}
