//! The persistence layer's error.

use dvc_domain::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{what} not found")]
    NotFound { what: String },
    /// A uniqueness or state conflict found by the database.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A rule of the domain refused the change.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// No connection could be had: the database is down or saturated.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Data in the database that the domain refuses: a bug or a hand edit.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::DatabaseError(K::UniqueViolation, info) => Self::Conflict {
                code: "already_exists",
                message: format!("a record with the same key already exists ({})", info.message()),
            },
            E::DatabaseError(K::ClosedConnection, info) => Self::Unavailable(info.message().to_owned()),
            E::DatabaseError(K::SerializationFailure, info) => Self::Conflict {
                code: "concurrent_change",
                message: format!("a concurrent change won; try again ({})", info.message()),
            },
            other => Self::Database(other),
        }
    }
}

impl StoreError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}
