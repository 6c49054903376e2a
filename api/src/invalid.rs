//! [`Invalid`]: the field errors of one request, gathered across every stage
//! that checks it (the shape, the edge, the domain rules, the references in
//! the database), so that one 422 names every invalid field at once.

use actix_web::http::StatusCode;

use crate::error::{ApiError, ErrorCode, Extra, FieldError};

#[derive(Debug, Default)]
pub struct Invalid {
    errors: Vec<FieldError>,
    extra: Extra,
}

impl Invalid {
    /// Keeps the value of `result`, or its field errors when it is a 422
    /// (None then); any other error (a 403, the database) ends the request.
    pub fn take<T>(&mut self, result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                self.absorb(e);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn absorb(&mut self, e: ApiError) {
        self.errors.extend(e.errors.iter().cloned());
        self.extra.merge(e.extra.clone());
    }

    /// Adds the errors another stage gathered on its own.
    pub fn merge(&mut self, other: Invalid) {
        self.errors.extend(other.errors);
        self.extra.merge(other.extra);
    }

    pub fn push(&mut self, field: &str, code: ErrorCode, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.to_owned(), code, message: message.into() });
    }

    /// True while no error was gathered.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// 422 with every error gathered, or Ok when there is none. An error
    /// two stages found (the request's check at the door, and the same
    /// function converting the value after) is answered once.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            return Ok(());
        }
        let mut errors: Vec<FieldError> = Vec::with_capacity(self.errors.len());
        for e in self.errors {
            if !errors.iter().any(|f| f.field == e.field && f.code == e.code) {
                errors.push(e);
            }
        }
        let mut e = ApiError::validation(errors);
        e.extra = self.extra;
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_every_stage_come_back_together_and_others_end_the_request() {
        let mut invalid = Invalid::default();
        assert_eq!(invalid.take(Ok::<_, ApiError>(1)).ok().flatten(), Some(1));
        let first: Result<(), ApiError> = Err(ApiError::invalid_field("a", ErrorCode::Required, "a is bad"));
        assert!(invalid.take(first).is_ok_and(|v| v.is_none()));
        invalid.push("b", ErrorCode::Length, "b is bad");
        invalid.push("b", ErrorCode::Length, "b is bad, found again");
        let forbidden: Result<(), ApiError> = Err(ApiError::forbidden("r", "no"));
        assert!(invalid.take(forbidden).is_err());
        let e = invalid.finish().err().map(|e| e.errors.iter().map(|f| f.field.clone()).collect::<Vec<_>>());
        assert_eq!(e, Some(vec!["a".to_owned(), "b".to_owned()]));
    }
}
