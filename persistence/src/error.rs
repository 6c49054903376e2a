//! The persistence layer's error.

use dvc_domain::{DomainError, ErrorCode};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{what} not found")]
    NotFound { what: String },
    /// A uniqueness or state conflict found by the database.
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// A rule of the domain refused the change.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// No connection could be had: the database is down or saturated.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database refuses writes (a read-only SQLite file or file system,
    /// a read-only PostgreSQL transaction or standby); reads still work.
    #[error("database is read-only: {0}")]
    ReadOnly(String),
    /// The database's disk is full; reads still work.
    #[error("database storage is full: {0}")]
    StorageFull(String),
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
                code: ErrorCode::AlreadyExists,
                message: format!("a record with the same key already exists ({})", info.message()),
            },
            E::DatabaseError(K::ClosedConnection, info) => Self::Unavailable(info.message().to_owned()),
            E::DatabaseError(K::ReadOnlyTransaction, info) => Self::ReadOnly(info.message().to_owned()),
            E::DatabaseError(K::SerializationFailure, info) => Self::Conflict {
                code: ErrorCode::ConcurrentChange,
                message: format!("a concurrent change won; try again ({})", info.message()),
            },
            E::DatabaseError(kind, info) => match fault_of(info.message()) {
                Some(fault) => fault,
                None => Self::Database(E::DatabaseError(kind, info)),
            },
            // A connection whose transaction could not be rolled back (it
            // died mid-transaction); the pool discards it.
            E::BrokenTransactionManager => Self::Unavailable("the connection broke in a transaction".into()),
            other => Self::Database(other),
        }
    }
}

/// Faults of the database itself that the drivers report only by their
/// message: SQLite's result codes (`sqlite3_errstr`) and PostgreSQL's and
/// libpq's texts for a lost connection or a full disk. Diesel reports
/// neither SQLite's code nor PostgreSQL's SQLSTATE for these.
fn fault_of(message: &str) -> Option<StoreError> {
    const READ_ONLY: &[&str] = &["attempt to write a readonly database"];
    const FULL: &[&str] = &["database or disk is full", "No space left on device"];
    const GONE: &[&str] = &[
        "disk I/O error",
        "database is locked",
        "unable to open database file",
        "server closed the connection unexpectedly",
        "terminating connection due to administrator command",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
    ];
    let has = |list: &[&str]| list.iter().any(|m| message.contains(m));
    if message.contains("deadlock detected") {
        // Two transactions waited on each other; PostgreSQL rolled this one back.
        Some(StoreError::Conflict {
            code: ErrorCode::ConcurrentChange,
            message: format!("a concurrent change won; try again ({message})"),
        })
    } else if has(READ_ONLY) {
        Some(StoreError::ReadOnly(message.to_owned()))
    } else if has(FULL) {
        Some(StoreError::StorageFull(message.to_owned()))
    } else if has(GONE) {
        Some(StoreError::Unavailable(message.to_owned()))
    } else {
        None
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind as K, Error as E};

    fn database_error(kind: K, message: &str) -> StoreError {
        StoreError::from(E::DatabaseError(kind, Box::new(message.to_owned())))
    }

    #[test]
    fn a_readonly_sqlite_file_is_read_only() {
        let e = database_error(K::Unknown, "attempt to write a readonly database");
        assert!(matches!(e, StoreError::ReadOnly(_)), "{e:?}");
    }

    #[test]
    fn a_full_disk_is_storage_full_on_both_backends() {
        assert!(matches!(database_error(K::Unknown, "database or disk is full"), StoreError::StorageFull(_)));
        let pg = "could not extend file \"base/16384/16385\": No space left on device";
        assert!(matches!(database_error(K::Unknown, pg), StoreError::StorageFull(_)));
    }

    #[test]
    fn a_lost_postgres_connection_is_unavailable() {
        let shutdown = "terminating connection due to administrator command";
        assert!(matches!(database_error(K::Unknown, shutdown), StoreError::Unavailable(_)));
        assert!(matches!(database_error(K::ClosedConnection, "gone"), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(E::BrokenTransactionManager), StoreError::Unavailable(_)));
    }

    #[test]
    fn a_read_only_postgres_transaction_is_read_only() {
        let e = database_error(K::ReadOnlyTransaction, "cannot execute INSERT in a read-only transaction");
        assert!(matches!(e, StoreError::ReadOnly(_)));
    }

    #[test]
    fn a_deadlock_is_a_concurrent_change_to_retry() {
        let e = database_error(K::Unknown, "deadlock detected");
        assert!(matches!(e, StoreError::Conflict { code: ErrorCode::ConcurrentChange, .. }), "{e:?}");
    }

    #[test]
    fn other_database_errors_stay_internal() {
        assert!(matches!(database_error(K::Unknown, "syntax error at or near \"SELEC\""), StoreError::Database(_)));
    }
}
