//! The application state shared by every handler.

use std::sync::Arc;

use actix_web::web;
use dvc_persistence::{DbConnection, Pool, StoreError};

use crate::auth::Keys;
use crate::config::Config;
use crate::error::ApiError;

pub struct AppState {
    pub pool: Pool,
    pub keys: Keys,
    pub config: Arc<Config>,
}

impl AppState {
    /// Runs blocking database work on actix's blocking pool with a pooled
    /// connection.
    pub async fn db<T, E, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(|e| ApiError::from(StoreError::from(e)))?;
            f(&mut conn).map_err(Into::into)
        })
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    }
}
