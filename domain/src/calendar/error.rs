//! Why a calendar specification was refused.

use serde::Serialize;

/// One invalid field of a [`super::CalendarSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CalendarError {
    /// Path of the field, e.g. `office_hours[1]`, `holidays[3].date`.
    pub field: String,
    pub code: CalendarErrorCode,
    /// A sentence for a person.
    pub message: String,
}

/// Stable machine codes of calendar validation failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarErrorCode {
    /// A weekday number outside 1..=7.
    InvalidWeekday,
    /// A weekday listed twice.
    DuplicateWeekday,
    /// No working weekday at all.
    EmptyWeek,
    /// No office hours at all.
    NoOfficeHours,
    /// A time that is not `HH:MM` or `HH:MM:SS`.
    InvalidTime,
    /// A span whose start is not before its end.
    EmptySpan,
    /// A span that starts before the previous one ends.
    SpansOverlap,
    /// A span that starts before the previous one starts.
    SpansNotAscending,
    /// A same-day cut-off outside every office span.
    CutoffOutsideOfficeHours,
    /// A date that is not `YYYY-MM-DD`.
    InvalidDate,
    /// A date listed twice, in one list or in both.
    DuplicateDate,
    /// A swapped working day that is already a working weekday.
    SwappedDayNotWeekend,
    /// An empty (or blank) name.
    EmptyName,
}

impl CalendarErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidWeekday => "invalid_weekday",
            Self::DuplicateWeekday => "duplicate_weekday",
            Self::EmptyWeek => "empty_week",
            Self::NoOfficeHours => "no_office_hours",
            Self::InvalidTime => "invalid_time",
            Self::EmptySpan => "empty_span",
            Self::SpansOverlap => "spans_overlap",
            Self::SpansNotAscending => "spans_not_ascending",
            Self::CutoffOutsideOfficeHours => "cutoff_outside_office_hours",
            Self::InvalidDate => "invalid_date",
            Self::DuplicateDate => "duplicate_date",
            Self::SwappedDayNotWeekend => "swapped_day_not_weekend",
            Self::EmptyName => "empty_name",
        }
    }
}

impl CalendarError {
    pub(crate) fn new(field: impl Into<String>, code: CalendarErrorCode, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn code_serialises_as_its_snake_case_name() {
        let json = serde_json::to_string(&CalendarErrorCode::CutoffOutsideOfficeHours).unwrap();
        assert_eq!(json, format!("\"{}\"", CalendarErrorCode::CutoffOutsideOfficeHours.as_str()));
    }

    #[test]
    fn display_names_the_field() {
        let error = CalendarError::new("office_hours[1]", CalendarErrorCode::EmptySpan, "start must be before end");
        assert_eq!(error.to_string(), "office_hours[1]: start must be before end");
    }
}
