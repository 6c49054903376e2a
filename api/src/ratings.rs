//! Satisfaction ratings (docs/RULES.md §6): once per returned dossier, by its
//! applicant, on the nine criteria of the national form (0–2 each) and the
//! overall answer.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, FixedOffset};
use dvc_domain::dossier::Status;
use dvc_persistence::figures;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationErrors};

use crate::auth::Caller;
use crate::check::Report;
use crate::dossiers::access::{readable, Access};
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(rate).service(read);
}

crate::mirror_enum! {
    /// The overall answer of the satisfaction form.
    Overall => dvc_domain::rating::Overall { VerySatisfied, Satisfied, Dissatisfied }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"criteria": [2, 2, 1, 2, 2, 2, 2, 1, 2], "overall": "satisfied", "comment": "Cán bộ hướng dẫn tận tình"}))]
pub struct RatingIn {
    /// The nine criteria in the national form's order (total time; each agency's time; contacts;
    /// agencies contacted; one-stop desk; publication of the procedure; staff attitude;
    /// handling of feedback; quality of the online service), each 0, 1 or 2.
    #[schema(schema_with = criteria_schema)]
    pub criteria: Vec<u8>,
    pub overall: Overall,
    #[serde(default)]
    pub comment: Option<String>,
}

impl Validate for RatingIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(criteria(&self.criteria));
        report.take(comment(self.comment.as_deref()));
        report.finish()
    }
}

/// The nine scores of the national form, each 0, 1 or 2.
fn criteria(given: &[u8]) -> Result<[u8; 9], ApiError> {
    let criteria: [u8; 9] = given.try_into().map_err(|_| {
        ApiError::invalid_field("criteria", ErrorCode::NineCriteria, "give the nine criteria of the national form")
    })?;
    if let Some(i) = criteria.iter().position(|c| *c > 2) {
        return Err(ApiError::invalid_field(
            format!("criteria[{i}]"),
            ErrorCode::OutOfRange,
            "each criterion is 0, 1 or 2",
        ));
    }
    Ok(criteria)
}

/// The comment as kept: without its surrounding blanks; none when blank.
fn comment(given: Option<&str>) -> Result<Option<String>, ApiError> {
    let comment = given.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::invalid_field("comment", ErrorCode::Length, "at most 2000 characters"));
    }
    Ok(comment)
}

/// The schema of `criteria`: nine scores of 0, 1 or 2 (utoipa cannot bound
/// the items of a `Vec<u8>` from an attribute).
pub fn criteria_schema() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Integer)).minimum(Some(0)).maximum(Some(2)))
        .min_items(Some(9))
        .max_items(Some(9))
        .description(Some(
            "The nine criteria in the national form's order (total time; each agency's time; contacts; \
             agencies contacted; one-stop desk; publication of the procedure; staff attitude; \
             handling of feedback; quality of the online service), each 0, 1 or 2.",
        ))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingOut {
    pub dossier_code: String,
    pub criteria: Vec<u8>,
    /// Sum of the criteria (0–18).
    pub total: i32,
    pub overall: Overall,
    pub comment: Option<String>,
    pub rated_at: DateTime<FixedOffset>,
}

/// Rate a returned dossier (its applicant, once).
#[utoipa::path(operation_id = "rate_dossier", tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")),
    request_body = RatingIn, responses((status = 201, body = RatingOut)))]
#[post("/api/v1/dossiers/{code}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: Json<RatingIn>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let criteria = criteria(&b.criteria)?;
    let comment = comment(b.comment.as_deref())?;
    let code = code.into_inner();
    let now = state.now();
    let actor = caller.0;
    let out = state
        .db(move |conn| {
            let d = readable(conn, &actor, &code)?;
            if !Access::of(conn, &actor, &d)?.is_applicant {
                return Err(ApiError::forbidden("dossiers:applicant", "only the applicant rates the dossier"));
            }
            if d.state.status != Status::Returned {
                return Err(ApiError::conflict(
                    ErrorCode::NotReturned,
                    "a dossier is rated after its result is returned",
                ));
            }
            figures::rate(conn, &code, &criteria, b.overall.into(), comment.as_deref(), &actor.id, now)?;
            read_rating(conn, &code)
        })
        .await?;
    Ok(HttpResponse::Created().json(out))
}

fn read_rating(conn: &mut dvc_persistence::DbConnection, code: &str) -> Result<RatingOut, ApiError> {
    let r = figures::rating(conn, code)?.ok_or_else(|| ApiError::not_found(format!("dossier {code} has no rating")))?;
    Ok(RatingOut {
        dossier_code: code.to_owned(),
        criteria: r.criteria,
        total: r.total,
        overall: r.overall.into(),
        comment: r.comment,
        rated_at: vn(r.rated_at),
    })
}

/// Read a dossier's rating (whoever may read the dossier).
#[utoipa::path(operation_id = "read_rating", tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")),
    responses((status = 200, body = RatingOut)))]
#[get("/api/v1/dossiers/{code}/rating")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<web::Json<RatingOut>, ApiError> {
    let code = code.into_inner();
    let out = state
        .db(move |conn| {
            readable(conn, &caller.0, &code)?;
            read_rating(conn, &code)
        })
        .await?;
    Ok(web::Json(out))
}
