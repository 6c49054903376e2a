//! `/api/v1/agencies`: list, read, create, update, merge (docs/RULES.md §2).

pub mod types;

use actix_web::{get, post, put, web, HttpResponse};
use dvc_domain::agency::Agency;
use dvc_domain::auth::Right;
use dvc_domain::text;
use dvc_persistence::agencies::{self, AgencyFilter};

use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::{Gathered, Json};
use crate::pagination::PageParams;
use crate::state::AppState;
use dvc_domain::ErrorCode;
use types::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(create).service(read).service(update).service(merge);
}

/// List agencies.
///
/// Public. Filter by level, parent or words of the name; ordered by code.
#[utoipa::path(
    operation_id = "list_agencies",
    tag = "agencies",
    security(()),
    params(AgencyQuery, PageParams),
    responses((status = 200, body = AgencyList))
)]
#[get("/api/v1/agencies")]
pub async fn list(
    state: web::Data<AppState>,
    _caller: MaybeCaller,
    query: crate::extract::Query<AgencyQuery>,
    page: crate::extract::Query<PageParams>,
) -> Result<web::Json<AgencyList>, ApiError> {
    let page = page.page()?;
    let filter = AgencyFilter {
        level: query.level.map(Into::into),
        parent: parse_optional("parent", query.parent.as_deref())?,
        active: query.active,
        words: query.q.as_deref().map(|q| text::fold(q).split(' ').map(str::to_owned).collect()).unwrap_or_default(),
        after: page.after.clone(),
        limit: page.fetch(),
    };
    let found = state.db(move |conn| agencies::list(conn, &filter)).await?;
    let (items, next_cursor) = page.finish(found, |a| a.code.to_string());
    Ok(web::Json(AgencyList { items: items.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Read an agency.
#[utoipa::path(
    operation_id = "read_agency",
    tag = "agencies",
    security(()),
    params(("code" = String, Path, description = "Agency code `ddd.dd.dd.Ldd`", example = "000.00.00.H56")),
    responses((status = 200, body = AgencyOut))
)]
#[get("/api/v1/agencies/{code}")]
pub async fn read(
    state: web::Data<AppState>,
    _caller: MaybeCaller,
    code: web::Path<String>,
) -> Result<web::Json<AgencyOut>, ApiError> {
    let code = path_code(&code)?;
    let agency = state.db(move |conn| agencies::get(conn, &code)).await?;
    Ok(web::Json(agency.into()))
}

/// Create an agency (admin).
#[utoipa::path(
    operation_id = "create_agency",
    tag = "agencies",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body replay the first answer", pattern = r"^[!-~]{1,128}$")),
    request_body = NewAgency,
    responses((status = 201, body = AgencyOut))
)]
#[post("/api/v1/agencies")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: actix_web::HttpRequest,
    body: Json<NewAgency>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Right::ManageAgencies)?;
    let body = body.into_inner();
    let claim = crate::idempotency::claim(&req, &caller.0, &body, "/api/v1/agencies")?;
    let agency = Agency {
        code: parse_code("code", &body.code)?,
        name: body.name.trim().to_owned(),
        level: body.level.into(),
        parent: parse_optional("parent", body.parent.as_deref())?,
        active: true,
        successor: None,
        merged_at: None,
        notify_email: trimmed(body.notify_email.as_deref()),
    };
    let now = state.now();
    crate::idempotency::created(
        &state,
        claim,
        |a: &AgencyOut| format!("/api/v1/agencies/{}", a.code),
        move |conn| Ok(AgencyOut::from(agencies::insert(conn, &agency, now)?)),
    )
    .await
}

/// Update an agency's name, level, parent, active flag and warning address (admin).
#[utoipa::path(
    operation_id = "update_agency",
    tag = "agencies",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Agency code", example = "000.17.22.H56")),
    request_body = AgencyUpdate,
    responses((status = 200, body = AgencyOut))
)]
#[put("/api/v1/agencies/{code}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: Gathered<AgencyUpdate>,
) -> Result<web::Json<AgencyOut>, ApiError> {
    caller.require(Right::ManageAgencies)?;
    let code = path_code(&code)?;
    let (body, door) = body.into_parts();
    door.finish()?;
    let parent = parse_optional("parent", body.parent.as_deref())?;
    let notify_email = trimmed(body.notify_email.as_deref());
    let now = state.now();
    let updated = state
        .db(move |conn| {
            let current = agencies::get(conn, &code)?;
            if body.active && current.successor.is_some() {
                return Err(ApiError::conflict(
                    ErrorCode::AgencyMerged,
                    format!("agency {code} was merged and cannot be made active again"),
                ));
            }
            let agency = Agency {
                name: body.name.trim().to_owned(),
                level: body.level.into(),
                parent,
                active: body.active,
                notify_email,
                ..current
            };
            Ok(agencies::update(conn, &agency, now)?)
        })
        .await?;
    Ok(web::Json(updated.into()))
}

/// Mark an agency merged into its successor (admin).
///
/// The agency is never deleted: it becomes inactive, points to its
/// successor, and its dossiers stay readable. From its merge date
/// (`merged_at`, default now; not in the future):
/// - it receives no new dossier: a submission, a national-portal push or a
///   hand-off naming it is refused with 422 (`errors[].code`
///   `agency_merged`, and `successor` naming the agency to use instead); a
///   procedure that names it among its implementing agencies is carried out
///   by its successor;
/// - it stands under its successor in the hierarchy: the successor's staff
///   (and those above) read and handle its open dossiers, and its figures
///   roll up under the successor, while a report of the merged agency itself
///   still shows its own history;
/// - a webhook subscription filtering on it follows the merger: it receives
///   the changes of the successor's dossiers (with the merged agency's own).
///
/// Refused with 422: `unknown_agency`, `inactive_successor` (name the last
/// successor), `merge_into_self`, `merge_into_descendant` (re-parent the
/// successor first), `merge_in_future`; 409 `agency_already_merged`.
#[utoipa::path(
    operation_id = "merge_agency",
    tag = "agencies",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Agency code", example = "000.17.22.H56")),
    request_body = MergeRequest,
    responses((status = 200, body = AgencyOut))
)]
#[post("/api/v1/agencies/{code}/merge")]
pub async fn merge(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: Gathered<MergeRequest>,
) -> Result<web::Json<AgencyOut>, ApiError> {
    caller.require(Right::ManageAgencies)?;
    let code = path_code(&code)?;
    let (body, door) = body.into_parts();
    door.finish()?;
    let successor = parse_code("successor", &body.successor)?;
    let now = state.now();
    let merged_at = body.merged_at.map_or(now, |t| t.to_utc());
    if merged_at > now {
        return Err(ApiError::invalid_field(
            "merged_at",
            ErrorCode::MergeInFuture,
            "record a merger on or after its date: from then on the agency takes no dossier",
        ));
    }
    let merged = state.db(move |conn| agencies::merge(conn, &code, &successor, merged_at, now)).await?;
    Ok(web::Json(merged.into()))
}

/// A checked text as kept: without its surrounding blanks.
fn trimmed(value: Option<&str>) -> Option<String> {
    value.map(|v| v.trim().to_owned())
}
