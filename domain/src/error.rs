//! The one error type of the domain: a stable machine code, a kind that the
//! API maps to an HTTP status, a message, and the field it is about.

use thiserror::Error;

mod code;

pub use code::{ErrorCode, Lang};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input breaks a rule on its own (422).
    Invalid,
    /// The input conflicts with the current state (409).
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct DomainError {
    pub kind: ErrorKind,
    pub code: ErrorCode,
    pub message: String,
    /// The input field the error is about, as a path (`fees[2].amount_vnd`).
    pub field: Option<String>,
}

impl DomainError {
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { kind: ErrorKind::Invalid, code, message: message.into(), field: None }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { kind: ErrorKind::Conflict, code, message: message.into(), field: None }
    }

    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}
