//! `/api/v1/procedures`: the procedure catalogue (docs/RULES.md §3) — drafts,
//! publishing, retiring, the version in force at a date, and search.

pub mod types;

use actix_web::{delete, get, post, put, web, HttpResponse};
use dvc_domain::auth::{Actor, Right};
use dvc_domain::procedure::{ProcedureCode, Validity, VersionStatus};
use dvc_persistence::procedures::{self, CatalogueQuery};
use dvc_persistence::DbConnection;

use crate::agencies::types::parse_optional;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::{Gathered, Json};
use crate::pagination::PageParams;
use crate::state::AppState;
use crate::time::today;
use types::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(search)
        .service(create)
        .service(read_in_force)
        .service(list_versions)
        .service(add_version)
        .service(read_version)
        .service(update_version)
        .service(delete_version)
        .service(publish)
        .service(retire);
}

/// A malformed code in a path names no procedure: 404.
fn path_code(code: &str) -> Result<ProcedureCode, ApiError> {
    ProcedureCode::parse_any(code).map_err(|_| ApiError::not_found(format!("procedure {code} not found")))
}

/// 403 unless the caller keeps the catalogue of the procedure's agency.
fn ensure_keeper(caller: &Actor, conn: &mut DbConnection, code: &ProcedureCode) -> Result<(), ApiError> {
    let owner = procedures::owner(conn, code)?;
    if caller.may_manage_catalogue_of(&owner) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            Right::ManageCatalogue.as_str(),
            format!("procedure {code} is kept by agency {owner}; you may manage only your agency's procedures"),
        ))
    }
}

fn keeper_may_see_drafts(
    caller: Option<&Actor>,
    conn: &mut DbConnection,
    code: &ProcedureCode,
) -> Result<bool, ApiError> {
    match caller {
        Some(actor) if actor.role.has(Right::ManageCatalogue) => {
            let owner = procedures::owner(conn, code)?;
            Ok(actor.may_manage_catalogue_of(&owner))
        }
        _ => Ok(false),
    }
}

fn path_version(code: &str, version: i32) -> Result<(ProcedureCode, i32), ApiError> {
    let code = path_code(code)?;
    if version < 1 {
        return Err(ApiError::not_found(format!("version {version} of procedure {code} not found")));
    }
    Ok((code, version))
}

/// Search the catalogue.
///
/// Public. The versions in force on `at` (default today), filtered by words
/// (diacritics and case ignored: `q=dang ky kinh doanh` finds "Đăng ký kinh
/// doanh"), sector, agency, level and online service level; ordered by code.
#[utoipa::path(
    operation_id = "search_procedures",
    tag = "procedures",
    security(()),
    params(CatalogueParams, PageParams),
    responses((status = 200, body = VersionList))
)]
#[get("/api/v1/procedures")]
pub async fn search(
    state: web::Data<AppState>,
    _caller: MaybeCaller,
    params: crate::extract::Query<CatalogueParams>,
    page: crate::extract::Query<PageParams>,
) -> Result<web::Json<VersionList>, ApiError> {
    let page = page.page()?;
    let params = params.into_inner();
    let query = CatalogueQuery {
        at: params.at.unwrap_or_else(|| today(state.now())),
        words: search_words(params.q.as_deref())?,
        sector: params.sector,
        agency: parse_optional("agency", params.agency.as_deref())?,
        level: params.level.map(Into::into),
        service_level: params.service_level.map(Into::into),
        after: page.after.clone(),
        limit: page.fetch(),
    };
    let found = state.db(move |conn| procedures::search(conn, &query)).await?;
    let (items, next_cursor) = page.finish(found, |v| v.version.code.to_string());
    Ok(web::Json(VersionList { items: items.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Create a procedure with its first draft (agency admin of the publishing agency, admin).
#[utoipa::path(
    operation_id = "create_procedure",
    tag = "procedures",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body replay the first answer", pattern = r"^[!-~]{1,128}$")),
    request_body = NewProcedure,
    responses((status = 201, body = VersionOut))
)]
#[post("/api/v1/procedures")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: actix_web::HttpRequest,
    body: Gathered<NewProcedure>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Right::ManageCatalogue)?;
    let (body, door) = body.into_parts();
    let claim = crate::idempotency::claim(&req, &caller.0, &body, "/api/v1/procedures")?;
    // Another agency's procedure is 403 however wrong the body is.
    if let Ok(agency) = crate::agencies::types::parse_code("agency", &body.agency) {
        if !caller.0.may_manage_catalogue_of(&agency) {
            return Err(ApiError::forbidden(
                Right::ManageCatalogue.as_str(),
                format!("you may manage only your own agency's procedures, not {agency}'s"),
            ));
        }
    }
    door.finish()?;
    let code = procedure_code(&body.code)?;
    let agency = crate::agencies::types::parse_code("agency", &body.agency)?;
    let content = body.content.into_domain("content")?;
    let now = state.now();
    crate::idempotency::created(
        &state,
        claim,
        |v: &VersionOut| format!("/api/v1/procedures/{}/versions/{}", v.code, v.version),
        move |conn| Ok(VersionOut::from(procedures::create(conn, &code, &agency, &content, now)?)),
    )
    .await
}

/// Read the version of a procedure in force on a date.
///
/// Public. `code` may be the national code or its local form with the
/// agency code appended. 404 when no version is in force on `at`.
#[utoipa::path(
    operation_id = "read_procedure",
    tag = "procedures",
    security(()),
    params(("code" = String, Path, description = "National procedure code", example = "2.001610"), AtParams),
    responses((status = 200, body = VersionOut))
)]
#[get("/api/v1/procedures/{code}")]
pub async fn read_in_force(
    state: web::Data<AppState>,
    _caller: MaybeCaller,
    code: web::Path<String>,
    params: crate::extract::Query<AtParams>,
) -> Result<web::Json<VersionOut>, ApiError> {
    let code = path_code(&code)?;
    let at = params.at.unwrap_or_else(|| today(state.now()));
    let found = state
        .db(move |conn| {
            procedures::in_force(conn, &code, at)?
                .ok_or_else(|| ApiError::not_found(format!("no version of procedure {code} is in force on {at}")))
        })
        .await?;
    Ok(web::Json(found.into()))
}

/// List a procedure's versions.
///
/// Public for published versions; the procedure's keepers also see drafts.
#[utoipa::path(
    operation_id = "list_procedure_versions",
    tag = "procedures",
    security((), ("bearer" = [])),
    params(("code" = String, Path, description = "National procedure code", example = "2.001610")),
    responses((status = 200, body = VersionList))
)]
#[get("/api/v1/procedures/{code}/versions")]
pub async fn list_versions(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    code: web::Path<String>,
) -> Result<web::Json<VersionList>, ApiError> {
    let code = path_code(&code)?;
    let versions = state
        .db(move |conn| {
            let all = procedures::versions(conn, &code)?;
            let drafts = keeper_may_see_drafts(caller.0.as_ref(), conn, &code)?;
            Ok::<_, ApiError>(
                all.into_iter().filter(|v| drafts || v.version.status == VersionStatus::Published).collect::<Vec<_>>(),
            )
        })
        .await?;
    Ok(web::Json(VersionList { items: versions.into_iter().map(Into::into).collect(), next_cursor: None }))
}

/// Add a new draft version (the procedure's keepers).
#[utoipa::path(
    operation_id = "create_procedure_version",
    tag = "procedures",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "National procedure code", example = "2.001610")),
    request_body = DraftIn,
    responses((status = 201, body = VersionOut))
)]
#[post("/api/v1/procedures/{code}/versions")]
pub async fn add_version(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: Json<DraftIn>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Right::ManageCatalogue)?;
    let code = path_code(&code)?;
    let content = body.into_inner().content.into_domain("content")?;
    let now = state.now();
    let created = state
        .db(move |conn| {
            ensure_keeper(&caller.0, conn, &code)?;
            Ok::<_, ApiError>(procedures::add_draft(conn, &code, &content, now)?)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/procedures/{}/versions/{}", created.version.code, created.version.version),
        ))
        .json(VersionOut::from(created)))
}

/// Read one version.
///
/// Public for a published version; a draft only for the procedure's keepers (404 for others).
#[utoipa::path(
    operation_id = "read_procedure_version",
    tag = "procedures",
    security((), ("bearer" = [])),
    params(
        ("code" = String, Path, description = "National procedure code", example = "2.001610"),
        ("version" = i32, Path, description = "Version number", example = 1, minimum = 1)
    ),
    responses((status = 200, body = VersionOut))
)]
#[get("/api/v1/procedures/{code}/versions/{version}")]
pub async fn read_version(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    path: web::Path<(String, i32)>,
) -> Result<web::Json<VersionOut>, ApiError> {
    let (code, number) = path_version(&path.0, path.1)?;
    let found = state
        .db(move |conn| {
            let v = procedures::version(conn, &code, number)?;
            if v.version.status == VersionStatus::Draft && !keeper_may_see_drafts(caller.0.as_ref(), conn, &code)? {
                return Err(ApiError::not_found(format!("version {number} of procedure {code} not found")));
            }
            Ok(v)
        })
        .await?;
    Ok(web::Json(found.into()))
}

/// Replace a draft's content (the procedure's keepers). A published version is immutable: 409.
#[utoipa::path(
    operation_id = "update_procedure_version",
    tag = "procedures",
    security(("bearer" = [])),
    params(
        ("code" = String, Path, description = "National procedure code", example = "2.001610"),
        ("version" = i32, Path, description = "Version number", example = 1, minimum = 1)
    ),
    request_body = DraftIn,
    responses((status = 200, body = VersionOut))
)]
#[put("/api/v1/procedures/{code}/versions/{version}")]
pub async fn update_version(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, i32)>,
    body: Json<DraftIn>,
) -> Result<web::Json<VersionOut>, ApiError> {
    caller.require(Right::ManageCatalogue)?;
    let (code, number) = path_version(&path.0, path.1)?;
    let content = body.into_inner().content.into_domain("content")?;
    let now = state.now();
    let updated = state
        .db(move |conn| {
            ensure_keeper(&caller.0, conn, &code)?;
            Ok::<_, ApiError>(procedures::update_draft(conn, &code, number, &content, now)?)
        })
        .await?;
    Ok(web::Json(updated.into()))
}

/// Delete a draft (the procedure's keepers). A published version is never deleted: 409.
#[utoipa::path(
    operation_id = "delete_procedure_version",
    tag = "procedures",
    security(("bearer" = [])),
    params(
        ("code" = String, Path, description = "National procedure code", example = "2.001610"),
        ("version" = i32, Path, description = "Version number", example = 2, minimum = 1)
    ),
    responses((status = 204, description = "The draft is deleted"))
)]
#[delete("/api/v1/procedures/{code}/versions/{version}")]
pub async fn delete_version(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Right::ManageCatalogue)?;
    let (code, number) = path_version(&path.0, path.1)?;
    state
        .db(move |conn| {
            ensure_keeper(&caller.0, conn, &code)?;
            Ok::<_, ApiError>(procedures::delete_draft(conn, &code, number)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish a draft with its validity (the procedure's keepers).
///
/// The version becomes immutable. Its validity `[effective_from,
/// effective_to)` must not overlap another published version's (409):
/// retire the version in force first.
#[utoipa::path(
    operation_id = "publish_procedure_version",
    tag = "procedures",
    security(("bearer" = [])),
    params(
        ("code" = String, Path, description = "National procedure code", example = "2.001610"),
        ("version" = i32, Path, description = "Version number", example = 1, minimum = 1)
    ),
    request_body = PublishIn,
    responses((status = 200, body = VersionOut))
)]
#[post("/api/v1/procedures/{code}/versions/{version}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, i32)>,
    body: Json<PublishIn>,
) -> Result<web::Json<VersionOut>, ApiError> {
    caller.require(Right::ManageCatalogue)?;
    let (code, number) = path_version(&path.0, path.1)?;
    let validity = Validity::new(body.effective_from, body.effective_to)?;
    let now = state.now();
    let published = state
        .db(move |conn| {
            ensure_keeper(&caller.0, conn, &code)?;
            Ok::<_, ApiError>(procedures::publish(conn, &code, number, validity, now)?)
        })
        .await?;
    Ok(web::Json(published.into()))
}

/// Retire a published version from a date (the procedure's keepers).
///
/// Sets (or brings forward) `effective_to`; a retirement is never postponed.
#[utoipa::path(
    operation_id = "retire_procedure_version",
    tag = "procedures",
    security(("bearer" = [])),
    params(
        ("code" = String, Path, description = "National procedure code", example = "2.001610"),
        ("version" = i32, Path, description = "Version number", example = 1, minimum = 1)
    ),
    request_body = RetireIn,
    responses((status = 200, body = VersionOut))
)]
#[post("/api/v1/procedures/{code}/versions/{version}/retire")]
pub async fn retire(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, i32)>,
    body: Json<RetireIn>,
) -> Result<web::Json<VersionOut>, ApiError> {
    caller.require(Right::ManageCatalogue)?;
    let (code, number) = path_version(&path.0, path.1)?;
    let to = body.effective_to;
    let now = state.now();
    let retired = state
        .db(move |conn| {
            ensure_keeper(&caller.0, conn, &code)?;
            Ok::<_, ApiError>(procedures::retire(conn, &code, number, to, now)?)
        })
        .await?;
    Ok(web::Json(retired.into()))
}
