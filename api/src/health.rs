//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `postgres` or `sqlite` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "sqlite")]
    pub database: Option<&'static str>,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "health", operation_id = "health_live", security(()), responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", database: None })
}

/// Readiness: the database answers a query.
#[utoipa::path(
    tag = "health",
    operation_id = "health_ready",
    security(()),
    responses((status = 200, body = Health), (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let database = state.db(dvc_persistence::connection::ping).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok", database: Some(database) }))
}
