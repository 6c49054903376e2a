//! The application state shared by every handler.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use actix_web::web;
use dvc_persistence::{DbConnection, Pool, StoreError};

use crate::auth::Keys;
use crate::config::Config;
use crate::error::ApiError;

pub struct AppState {
    pub pool: Pool,
    pub keys: Keys,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Set when the server stops: the workers end.
    pub shutdown: crate::workers::Shutdown,
    /// The national databases (docs/RULES.md §11).
    pub connectors: crate::connectors::Connectors,
    /// The public dossier look-up's rate limit per client address.
    pub lookup_limiter: crate::public_lookup::LookupLimiter,
    /// What hardly changes (the agency tree, the calendars), read once per
    /// change (`dvc_persistence::cache`).
    pub caches: Arc<dvc_persistence::cache::Caches>,
    /// A streaming replica for reads (`DVC_DATABASE_READ_URL`), if any.
    pub replica: Option<Arc<crate::replica::ReadReplica>>,
    /// Whether [`read_light`](AppState::read_light) may run on the HTTP
    /// worker: on SQLite, never on PostgreSQL.
    pub inline_reads: bool,
}

/// The API's clock: the system's, or (in tests) one set by hand, so that
/// deadlines can be checked to the second.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that shows `at` until set again.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self(Some(Arc::new(AtomicI64::new(at.timestamp_micros()))))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(c) = &self.0 {
            c.store(at.timestamp_micros(), Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Some(c) => DateTime::from_timestamp_micros(c.load(Ordering::SeqCst)).unwrap_or_else(Utc::now),
            None => Utc::now(),
        }
    }
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs blocking database work on actix's blocking pool with a pooled
    /// connection, reading what hardly changes through the server's caches.
    pub async fn db<T, E, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let caches = self.caches.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(|e| ApiError::from(StoreError::from(e)))?;
            dvc_persistence::cache::scoped(&caches, || f(&mut conn)).map_err(Into::into)
        })
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    }

    /// Like [`read`](Self::read) for a read of a few rows by their index (a
    /// dossier, a page of a list). On SQLite, whose reads (WAL) wait neither
    /// for the writer nor for a network, it runs on the HTTP worker itself
    /// when a pooled connection is free at once: the hop to the blocking
    /// pool and back was a quarter of the server's CPU in a profile of
    /// dossier reads (bench/RESULTS.md). Otherwise, and on PostgreSQL (a
    /// round trip would hold the worker), as `read`.
    pub async fn read_light<T, E, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
        F: Fn(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        if self.inline_reads && self.replica.is_none() {
            if let Some(mut conn) = self.pool.try_get() {
                return dvc_persistence::cache::scoped(&self.caches, || f(&mut conn)).map_err(Into::into);
            }
        }
        self.read(f).await
    }

    /// Like [`db`](Self::db) for work that only reads: on the read replica
    /// when one is configured and may serve this request
    /// ([`ReadReplica::serves_this_request`](crate::replica::ReadReplica::serves_this_request)),
    /// else on the primary. A replica that cannot give a connection or loses
    /// it is left for the primary, which then does the work; a read that
    /// fails there otherwise is done again on the primary.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
        F: Fn(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let Some(replica) = self.replica.clone().filter(|r| r.serves_this_request()) else {
            return self.db(f).await;
        };
        let caches = self.caches.clone();
        let pool = replica.pool.clone();
        let (result, f) = web::block(move || {
            // None: no connection in time (the replica busy or gone; the
            // monitor judges which).
            let result = pool
                .get()
                .ok()
                .map(|mut conn| dvc_persistence::cache::scoped(&caches, || f(&mut conn)).map_err(Into::into));
            (result, f)
        })
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?;
        match result {
            None => self.db(f).await,
            Some(Err(e)) if e.code == crate::error::ErrorCode::DatabaseUnavailable => {
                replica.failed(&e.detail);
                self.db(f).await
            }
            // A read the replica could not finish (a query cancelled by a
            // conflict with recovery answers as a concurrent change or an
            // internal error): the primary does it again.
            Some(Err(e)) if e.status.is_server_error() || e.status == actix_web::http::StatusCode::CONFLICT => {
                log::warn!(
                    "read replica: a read failed there, done again on the primary: {}",
                    e.cause.as_deref().unwrap_or(&e.detail)
                );
                self.db(f).await
            }
            Some(other) => other,
        }
    }
}
