//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::calendars::horizon::{self, HorizonWarning};
use crate::connectors::resilient::BreakerState;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The database's kind (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DatabaseKind>, example = "sqlite")]
    pub database: Option<&'static str>,
    /// Readiness only: what an operator should act on while the service
    /// still answers — a calendar maintained for fewer than 60 more days, or
    /// one that states no horizon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<HorizonWarning>>,
    /// Readiness only: each connected national database and its circuit
    /// breaker (`open`: failing, not asked until its pause ends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_databases: Option<Vec<ConnectorHealth>>,
    /// Readiness only, when `DVC_DATABASE_READ_URL` is set: whether reads go
    /// to the replica. Readiness does not depend on it: without it the
    /// primary serves every read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_replica: Option<crate::replica::ReplicaReport>,
}

/// `postgres` or `sqlite`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    Postgres,
    Sqlite,
}

#[derive(Serialize, ToSchema)]
pub struct ConnectorHealth {
    pub database: crate::dossiers::types::RegistryDto,
    #[schema(example = "closed")]
    pub breaker: BreakerDto,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerDto {
    Closed,
    Open,
    HalfOpen,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "health", operation_id = "check_liveness", security(()), responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
        warnings: None,
        national_databases: None,
        read_replica: None,
    })
}

/// Readiness: the database answers a query.
///
/// Still 200 while a calendar's `valid_through` is near: `warnings` says so.
#[utoipa::path(
    tag = "health",
    operation_id = "check_readiness",
    security(()),
    responses((status = 200, body = Health), (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (database, calendars) = state
        .db(|conn| {
            let database = dvc_persistence::connection::ping(conn)?;
            Ok::<_, ApiError>((database, dvc_persistence::calendars::all(conn)?))
        })
        .await?;
    let warnings = horizon::warnings(&calendars, state.now());
    let connectors = state
        .connectors
        .endpoints
        .iter()
        .map(|(registry, breaker)| ConnectorHealth {
            database: (*registry).into(),
            breaker: match breaker() {
                BreakerState::Closed => BreakerDto::Closed,
                BreakerState::Open => BreakerDto::Open,
                BreakerState::HalfOpen => BreakerDto::HalfOpen,
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        database: Some(database),
        warnings: Some(warnings),
        national_databases: Some(connectors),
        read_replica: state.replica.as_ref().map(|r| r.report()),
    }))
}
