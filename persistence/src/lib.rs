//! dvc-persistence: the diesel schema, rows, queries and migrations of dvc,
//! on PostgreSQL (production) and SQLite (the embedded default).

pub mod agencies;
pub mod cache;
pub mod calendars;
pub mod changes;
pub mod column;
pub mod connection;
pub mod dossiers;
pub mod error;
pub mod feedback;
pub mod figures;
pub mod history;
pub mod idempotency;
pub mod integrity;
pub mod migrate;
pub mod notifications;
pub mod payments;
pub mod procedures;
pub mod registry;
pub mod schema;
pub mod time;
pub mod webhooks;

pub use connection::{
    build_pool, read_snapshot, write_transaction, write_transaction_as, DatabaseUrl, DbConnection, Pool,
    PooledConnection,
};
pub use error::StoreError;

/// A LIKE pattern matching `word` anywhere, with LIKE's own wildcards escaped
/// (use with `.escape('\\')`).
pub fn like_pattern(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
