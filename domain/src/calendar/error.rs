//! Why a calendar specification was refused.

use serde::Serialize;

use crate::error::ErrorCode;

/// One invalid field of a [`super::CalendarSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CalendarError {
    /// Path of the field, e.g. `office_hours[1]`, `holidays[3].date`.
    pub field: String,
    /// One of the calendar's codes of [`ErrorCode`] (`invalid_weekday`,
    /// `spans_overlap`, `cutoff_outside_office_hours`…).
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
}

impl CalendarError {
    pub(crate) fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn code_serialises_as_its_snake_case_name() {
        let json = serde_json::to_string(&ErrorCode::CutoffOutsideOfficeHours).unwrap();
        assert_eq!(json, "\"cutoff_outside_office_hours\"");
    }

    #[test]
    fn display_names_the_field() {
        let error = CalendarError::new("office_hours[1]", ErrorCode::EmptySpan, "start must be before end");
        assert_eq!(error.to_string(), "office_hours[1]: start must be before end");
    }
}
