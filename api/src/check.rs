//! How a request is checked: one way, described in `docs/CODE.md`
//! ("Checking a request").
//!
//! Every request body and query string is a type that implements
//! `validator::Validate`, and the extractors ([`crate::extract::Json`],
//! [`crate::extract::Query`]) run it before the handler: a request whose own
//! fields are wrong never reaches a handler, and its 422 names every wrong
//! field at once. A bound (a length, a range, a list's size) is a `validator`
//! attribute; a value the domain owns (a code, an applicant, a text) is
//! checked by the domain's own constructor, called from the type's
//! `Validate` through a [`Report`]. What a handler checks afterwards needs
//! more than the request: the caller, the database, the dossier's state.

use std::borrow::Cow;
use std::collections::HashMap;

use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::ApiError;
use dvc_domain::agency::AgencyCode;
use dvc_domain::ErrorCode;

/// A field error with one of the API's codes, for a `custom` check.
pub fn error(code: ErrorCode, message: impl Into<String>) -> ValidationError {
    ValidationError {
        code: Cow::Borrowed(code.as_str()),
        message: Some(Cow::Owned(message.into())),
        params: HashMap::new(),
    }
}

/// The field errors of one request, gathered by a `Validate` written by hand.
#[derive(Debug, Default)]
pub struct Report(ValidationErrors);

impl Report {
    /// An error at `field`, a path from the request's root (`documents[0].name`).
    pub fn add(&mut self, field: impl Into<String>, code: ErrorCode, message: impl Into<String>) {
        let entry =
            self.0 .0.entry(Cow::Owned(field.into())).or_insert_with(|| ValidationErrorsKind::Field(Vec::new()));
        if let ValidationErrorsKind::Field(list) = entry {
            list.push(error(code, message));
        }
    }

    /// The value of a check that answers the API's errors, or None after
    /// keeping its field errors. A check of the request alone fails with a
    /// 422 only; anything else is kept as an error of the whole body.
    pub fn take<T>(&mut self, result: Result<T, ApiError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) if e.errors.is_empty() => {
                self.add("body", ErrorCode::InvalidValue, e.detail.clone());
                None
            }
            Err(e) => {
                for f in e.errors.iter().cloned() {
                    self.add(f.field, f.code, f.message);
                }
                None
            }
        }
    }

    /// The errors of one check alone.
    pub fn of<T>(result: Result<T, ApiError>) -> Result<(), ValidationErrors> {
        let mut report = Self::default();
        report.take(result);
        report.finish()
    }

    /// Ok when nothing was found.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.0 .0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// `custom` check: a text that is not only blank (its length is the
/// `length` attribute's).
pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if !value.is_empty() && value.trim().is_empty() {
        return Err(error(ErrorCode::Length, "a text that is not only blank"));
    }
    Ok(())
}

/// `custom` check: an agency code.
pub fn agency_code(value: &str) -> Result<(), ValidationError> {
    AgencyCode::parse(value).map(drop).map_err(|e| error(e.code, e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_keeps_every_error_at_its_path_with_its_code() {
        let mut report = Report::default();
        report.add("a.b", ErrorCode::Length, "too long");
        assert_eq!(report.take(Ok::<_, ApiError>(3)), Some(3));
        let refused: Result<(), ApiError> = Err(ApiError::invalid_field("c", ErrorCode::Required, "c is needed"));
        assert_eq!(report.take(refused), None);
        let e = ApiError::from(report.finish().err().unwrap_or_default());
        let got: Vec<_> = e.errors.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(got, [("a.b", ErrorCode::Length), ("c", ErrorCode::Required)]);
        assert!(Report::default().finish().is_ok());
    }

    #[test]
    fn blank_and_codes_are_refused_with_their_codes() {
        assert!(not_blank("").is_ok() && not_blank("a ").is_ok());
        assert_eq!(not_blank(" \t").err().map(|e| e.code), Some(Cow::Borrowed("length")));
        assert!(agency_code("000.00.05.H56").is_ok());
        assert!(agency_code("x").is_err());
    }
}
