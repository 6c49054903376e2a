//! Embedded migrations, one tree per backend with the same version names.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::connection::DbConnection;
use crate::error::StoreError;

#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
#[cfg(feature = "sqlite")]
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

fn harness_error(e: Box<dyn std::error::Error + Send + Sync>) -> StoreError {
    StoreError::Unavailable(format!("migration failed: {e}"))
}

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES).map_err(harness_error)?,
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map_err(harness_error)?,
    };
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration, newest first (used by the test that
/// proves each migration can be undone).
pub fn revert_all(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let reverted = match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => c.revert_all_migrations(POSTGRES).map_err(harness_error)?,
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE).map_err(harness_error)?,
    };
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// Reverts the newest applied migration; returns its version (used by the
/// test of the history's partitioning back and forth, with data).
pub fn revert_last(conn: &mut DbConnection) -> Result<String, StoreError> {
    let reverted = match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => c.revert_last_migration(POSTGRES).map_err(harness_error)?,
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE).map_err(harness_error)?,
    };
    Ok(reverted.to_string())
}
