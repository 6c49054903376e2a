//! The change feed for integrators, and the synchronisation state and
//! controls for admins (docs/RULES.md §8).

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, FixedOffset};
use dvc_domain::auth::Role;
use dvc_persistence::changes::{self, ChangeRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(feed).service(failing).service(retry);
}

/// One change of one dossier, in commit order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// Position in the feed; pass the last one seen as `after`.
    pub seq: i64,
    pub dossier_code: String,
    pub action: String,
    pub status: String,
    pub created_at: DateTime<FixedOffset>,
    /// The dossier after the change and the step that made it.
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

impl From<ChangeRow> for ChangeOut {
    fn from(r: ChangeRow) -> Self {
        Self {
            seq: r.seq,
            event: serde_json::from_str(&r.payload).unwrap_or_default(),
            dossier_code: r.dossier_code,
            action: r.action,
            status: r.status,
            created_at: vn(r.created_at.and_utc()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeFeed {
    pub items: Vec<ChangeOut>,
    /// Pass as `after` for the next page (the last `seq` returned, or the one given).
    pub next_after: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The last `seq` already read (0 to start).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Changes per page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

fn may_follow(caller: &Caller) -> Result<(), ApiError> {
    if matches!(caller.0.role, Role::Integrator | Role::Admin | Role::Viewer) {
        Ok(())
    } else {
        Err(ApiError::forbidden("changes:read", "the change feed is for integrators, admins and viewers"))
    }
}

/// Read the change feed.
///
/// Every change of every dossier, in commit order, with no gaps and no
/// duplicates: a change that commits late never appears behind a cursor
/// that has passed it.
#[utoipa::path(operation_id = "read_change_feed", tag = "national portal", security(("bearer" = [])), params(FeedParams), responses((status = 200, body = ChangeFeed)))]
#[get("/api/v1/changes")]
pub async fn feed(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<FeedParams>,
) -> Result<web::Json<ChangeFeed>, ApiError> {
    may_follow(&caller)?;
    let after = params.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid_field("after", ErrorCode::OutOfRange, "after is 0 or more"));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", ErrorCode::OutOfRange, "limit is between 1 and 1000"));
    }
    let rows = state.db(move |conn| changes::feed(conn, after, limit)).await?;
    let next_after = rows.last().map_or(after, |r| r.seq);
    Ok(web::Json(ChangeFeed { items: rows.into_iter().map(Into::into).collect(), next_after }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailingOut {
    pub dossier_code: String,
    /// The oldest undelivered change.
    pub seq: i64,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailingList {
    pub items: Vec<FailingOut>,
}

fn admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.0.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("sync:manage", "only an admin manages synchronisation"))
    }
}

/// Dossiers whose synchronisation with the national portal is failing (admin).
#[utoipa::path(operation_id = "list_failing_syncs", tag = "national portal", security(("bearer" = [])), responses((status = 200, body = FailingList)))]
#[get("/api/v1/sync/failing")]
pub async fn failing(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<FailingList>, ApiError> {
    admin(&caller)?;
    let rows = state.db(move |conn| changes::failing(conn, 500)).await?;
    Ok(web::Json(FailingList {
        items: rows
            .into_iter()
            .map(|r| FailingOut {
                dossier_code: r.dossier_code,
                seq: r.seq,
                attempts: r.attempts,
                last_error: r.last_error,
                next_attempt_at: vn(r.next_attempt_at.and_utc()),
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetryOut {
    /// Undelivered changes made due now.
    pub rescheduled: usize,
}

/// Retry a dossier's synchronisation now (admin).
#[utoipa::path(operation_id = "retry_dossier_sync", tag = "national portal", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    responses((status = 200, body = RetryOut)))]
#[post("/api/v1/dossiers/{code}/sync/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin(&caller)?;
    let code = code.into_inner();
    let now = chrono::Utc::now();
    let n = state
        .db(move |conn| {
            dvc_persistence::dossiers::find(conn, &code)?
                .ok_or_else(|| ApiError::not_found(format!("dossier {code} not found")))?;
            Ok::<_, ApiError>(changes::retry_now(conn, &code, now)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RetryOut { rescheduled: n }))
}
