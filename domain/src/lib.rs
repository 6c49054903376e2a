//! dvc-domain: the pure types and rules of the province's online public services.
//! No I/O, no database, no HTTP: everything here is a value or a function.

pub mod agency;
pub mod auth;
pub mod calendar;
pub mod dossier;
pub mod error;
pub mod feedback;
pub mod fees;
pub mod figures;
pub mod notify;
pub mod payment;
pub mod procedure;
pub mod rating;
pub mod registry;
pub mod stored;
pub mod text;
pub mod time_limit;

pub use error::{DomainError, ErrorCode, ErrorKind, Lang};
