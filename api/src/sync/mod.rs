//! The change feed for integrators, and the synchronisation state and
//! controls for admins (docs/RULES.md §8).

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, FixedOffset};
use dvc_domain::auth::Role;
use dvc_persistence::changes::{self, FeedEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::dossiers::types::{ApplicantKindDto, ChannelDto, HistoryActionDto, OutcomeDto, RoleDto, StatusDto};
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::vn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(feed).service(failing).service(retry);
}

/// One change of one dossier, in commit order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// Position in the feed; pass the last one seen as `after`.
    pub seq: i64,
    pub dossier_code: String,
    /// The step that made the change.
    pub action: HistoryActionDto,
    /// The status it led to.
    pub status: StatusDto,
    pub created_at: DateTime<FixedOffset>,
    pub event: ChangeEvent,
}

impl TryFrom<FeedEntry> for ChangeOut {
    type Error = ApiError;

    fn try_from(r: FeedEntry) -> Result<Self, ApiError> {
        let event = serde_json::from_str(&r.payload)
            .map_err(|e| ApiError::internal(format!("change {} has an unreadable event: {e}", r.seq)))?;
        Ok(Self {
            seq: r.seq,
            event,
            action: r.action.into(),
            status: r.status.into(),
            dossier_code: r.dossier_code.to_string(),
            created_at: vn(r.created_at),
        })
    }
}

/// The event a change publishes (in the feed and to the national portal):
/// the dossier as it stands after the change, and the step that made it; a
/// union over the status the change led to (`status`, with `status_code`
/// the national portal's TrangThaiHoSo).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChangeEvent {
    #[schema(title = "SubmittedEvent")]
    Submitted(ChangedDossier),
    #[schema(title = "ReceivedEvent")]
    Received(ChangedDossier),
    #[schema(title = "RefusedEvent")]
    Refused(ChangedDossier),
    #[schema(title = "ProcessingEvent")]
    Processing(ChangedDossier),
    #[schema(title = "AwaitingSupplementEvent")]
    AwaitingSupplement(ChangedDossier),
    #[schema(title = "AwaitingPaymentEvent")]
    AwaitingPayment(ChangedDossier),
    #[schema(title = "WithdrawnEvent")]
    Withdrawn(ChangedDossier),
    #[schema(title = "StoppedEvent")]
    Stopped(ChangedDossier),
    #[schema(title = "ResolvedEvent")]
    Resolved(ChangedDossier),
    #[schema(title = "ReturnedEvent")]
    Returned(ChangedDossier),
}

/// A dossier as a change left it (besides its `status`, the union's tag).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangedDossier {
    pub code: String,
    pub external_code: Option<String>,
    pub procedure_code: String,
    pub procedure_version: i32,
    pub channel: ChannelDto,
    /// The national portal's TrangThaiHoSo (1–10) of `status`.
    #[schema(minimum = 1, maximum = 10)]
    pub status_code: u8,
    pub receiving_agency: String,
    pub handling_agency: String,
    pub applicant_kind: ApplicantKindDto,
    pub applicant_id: String,
    pub applicant_name: String,
    pub summary: String,
    pub submitted_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub received_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub due_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub promised_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub returned_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub outcome: Option<OutcomeDto>,
    /// While awaiting a supplement: the applicant's reply deadline.
    #[serde(default)]
    pub reply_by: Option<DateTime<FixedOffset>>,
    pub step: ChangeStep,
}

/// The step that made a change: its history row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeStep {
    pub action: HistoryActionDto,
    pub from_status: Option<StatusDto>,
    pub to_status: StatusDto,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_role: RoleDto,
    pub actor_agency: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub note: Option<String>,
    pub step_deadline: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeFeed {
    pub items: Vec<ChangeOut>,
    /// Pass as `after` for the next page (the last `seq` returned, or the one given).
    pub next_after: i64,
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The last `seq` already read (0 to start).
    #[param(minimum = 0)]
    #[validate(range(min = 0, code = "out_of_range", message = "after is 0 or more"))]
    pub after: Option<i64>,
    /// Changes per page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000, code = "out_of_range", message = "limit is between 1 and 1000"))]
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
/// Every change of every dossier, with no gaps and no duplicates, in the
/// order the changes committed: a change takes its place once committed, so
/// one that commits late never appears behind a cursor that has passed it,
/// and a dossier's changes come in the order they were made (changes of
/// different dossiers committed at nearly the same time come in the order
/// they were written).
#[utoipa::path(operation_id = "read_change_feed", tag = "national portal", security(("bearer" = [])), params(FeedParams), responses((status = 200, body = ChangeFeed)))]
#[get("/api/v1/changes")]
pub async fn feed(
    state: web::Data<AppState>,
    caller: Caller,
    params: crate::extract::Query<FeedParams>,
) -> Result<web::Json<ChangeFeed>, ApiError> {
    may_follow(&caller)?;
    let after = params.after.unwrap_or(0);
    let limit = params.limit.unwrap_or(100);
    // Places are given on the primary; the page is read where reads go. A
    // primary that cannot place them now leaves the page to what has places.
    if let Err(e) = state.db(changes::sequence).await {
        log::warn!("change feed: places not given now ({}); the page shows those given", e.detail);
    }
    let rows = state.read(move |conn| changes::page(conn, after, limit)).await?;
    let next_after = rows.last().map_or(after, |r| r.seq);
    let items = rows.into_iter().map(ChangeOut::try_from).collect::<Result<_, _>>()?;
    Ok(web::Json(ChangeFeed { items, next_after }))
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
                dossier_code: r.dossier_code.to_string(),
                seq: r.seq,
                attempts: r.attempts,
                last_error: r.last_error,
                next_attempt_at: vn(r.next_attempt_at),
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
