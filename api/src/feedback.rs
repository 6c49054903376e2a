//! `/api/v1/feedback`: feedback and petitions (docs/RULES.md §6) — filed by
//! citizens, refused / asked about / answered by the agency within their
//! working-day limits, answers published for anyone to read.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use dvc_domain::auth::{Actor, Role};
use dvc_domain::feedback::{deadlines, on_time, respond, FeedbackStatus, Response};
use dvc_persistence::feedback::{self as store, Feedback, FeedbackFilter};
use dvc_persistence::{agencies, calendars, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationErrors};

use crate::agencies::types::parse_code;
use crate::auth::{Caller, MaybeCaller};
use crate::check::Report;
use crate::dossiers::access::readable;
use crate::dossiers::submit::DEFAULT_CALENDAR;
use crate::error::ApiError;
use crate::extract::Json;
use crate::pagination::PageParams;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(file)
        .service(list)
        .service(published)
        .service(read)
        .service(refuse)
        .service(request_info)
        .service(give_info)
        .service(answer)
        .service(publish);
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Chậm trả kết quả", "content": "Hồ sơ của tôi quá hạn 3 ngày chưa được trả.", "dossier_code": null, "agency": "000.00.05.H56"}))]
pub struct FeedbackIn {
    /// Not blank, at most 300 characters.
    #[schema(min_length = 1, max_length = 300, pattern = r"[^\s\u0085]")]
    pub title: String,
    /// Not blank, at most 10,000 characters.
    #[schema(min_length = 1, max_length = 10000, pattern = r"[^\s\u0085]")]
    pub content: String,
    /// The dossier concerned (the agency is then its receiving agency).
    #[serde(default)]
    pub dossier_code: Option<String>,
    /// The agency concerned (required without a dossier).
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub agency: Option<String>,
}

/// A reason or a question for the author (not blank, at most 5,000 characters).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TextIn {
    #[schema(min_length = 1, max_length = 5000, pattern = r"[^\s\u0085]")]
    pub text: String,
}

/// The author's reply to a question (not blank, at most 10,000 characters).
#[derive(Debug, Deserialize, ToSchema)]
pub struct InfoIn {
    #[schema(min_length = 1, max_length = 10000, pattern = r"[^\s\u0085]")]
    pub text: String,
}

/// The agency's answer (not blank, at most 20,000 characters).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerIn {
    #[schema(min_length = 1, max_length = 20000, pattern = r"[^\s\u0085]")]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackOut {
    pub id: String,
    pub title: String,
    pub content: String,
    pub dossier_code: Option<String>,
    pub agency: String,
    pub status: FeedbackStatusDto,
    pub filed_at: DateTime<FixedOffset>,
    /// Refuse by this instant (2 working days).
    pub refuse_by: DateTime<FixedOffset>,
    /// Ask for more information by this instant (5 working days).
    pub ask_info_by: DateTime<FixedOffset>,
    /// Answer by this instant (15 working days).
    pub answer_by: DateTime<FixedOffset>,
    pub refusal_reason: Option<String>,
    pub info_question: Option<String>,
    pub info_reply: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<FixedOffset>>,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub timeliness: FeedbackTimelinessDto,
}

crate::mirror_enum! {
    /// `open` (filed, or its extra information given), `refused`, `info_requested`, `answered` or `published`.
    FeedbackStatusDto => FeedbackStatus { Open, Refused, InfoRequested, Answered, Published }
}

/// `on_time` / `late` once refused or answered; `within_deadline` / `overdue` before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackTimelinessDto {
    OnTime,
    Late,
    WithinDeadline,
    Overdue,
}

fn out(r: Feedback, now: DateTime<Utc>) -> FeedbackOut {
    let timeliness = match r.responded_on_time {
        Some(true) => FeedbackTimelinessDto::OnTime,
        Some(false) => FeedbackTimelinessDto::Late,
        None if now <= r.answer_by => FeedbackTimelinessDto::WithinDeadline,
        None => FeedbackTimelinessDto::Overdue,
    };
    FeedbackOut {
        timeliness,
        id: r.id,
        title: r.title,
        content: r.content,
        dossier_code: r.dossier_code.map(|c| c.to_string()),
        agency: r.agency_code.to_string(),
        status: r.status.into(),
        filed_at: vn(r.filed_at),
        refuse_by: vn(r.refuse_by),
        ask_info_by: vn(r.ask_info_by),
        answer_by: vn(r.answer_by),
        refusal_reason: r.refusal_reason,
        info_question: r.info_question,
        info_reply: r.info_reply,
        answer: r.answer,
        answered_at: r.answered_at.map(vn),
        published_at: r.published_at.map(vn),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackList {
    pub items: Vec<FeedbackOut>,
    pub next_cursor: Option<String>,
}

impl Validate for FeedbackIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(text("title", &self.title, 300));
        report.take(text("content", &self.content, 10_000));
        match (&self.dossier_code, &self.agency) {
            (_, Some(agency)) => drop(report.take(parse_code("agency", agency))),
            (None, None) => report.add("agency", ErrorCode::Required, "name the agency or the dossier concerned"),
            (Some(_), None) => {}
        }
        report.finish()
    }
}

impl Validate for TextIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(text("text", &self.text, 5000))
    }
}

impl Validate for InfoIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(text("text", &self.text, 10_000))
    }
}

impl Validate for AnswerIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(text("text", &self.text, 20_000))
    }
}

/// A text as kept: without its surrounding blanks, not empty, at most `max` characters.
fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(ApiError::invalid_field(field, ErrorCode::Length, format!("{field} is 1–{max} characters")));
    }
    Ok(t.to_owned())
}

/// Staff of the item's agency (or above it).
fn staff_in_scope(conn: &mut DbConnection, actor: &Actor, r: &Feedback) -> Result<bool, ApiError> {
    match (&actor.agency, actor.role) {
        (Some(a), Role::Officer | Role::Approver) => {
            Ok(agencies::with_ancestors(conn, &r.agency_code)?.iter().any(|x| x == a.as_str()))
        }
        _ => Ok(false),
    }
}

fn may_read(conn: &mut DbConnection, actor: Option<&Actor>, r: &Feedback) -> Result<bool, ApiError> {
    Ok(r.status == FeedbackStatus::Published || may_read_whole(conn, actor, r)?)
}

/// Whether the caller may read the whole item, personal data included: its
/// author, the agency's staff, viewers and admins. Anyone else reads a
/// published item without them ([`public`]).
fn may_read_whole(conn: &mut DbConnection, actor: Option<&Actor>, r: &Feedback) -> Result<bool, ApiError> {
    let Some(actor) = actor else { return Ok(false) };
    Ok(match actor.role {
        Role::Admin | Role::Viewer => true,
        Role::Citizen => r.owner_sub == actor.id,
        _ => staff_in_scope(conn, actor, r)?,
    })
}

/// A published item as the public reads it: the question and the answer,
/// without what would point to a person (the dossier's code, the citizen's
/// reply to the agency's question).
fn public(mut o: FeedbackOut) -> FeedbackOut {
    o.dossier_code = None;
    o.info_reply = None;
    o
}

/// File feedback or a petition (citizen).
#[utoipa::path(operation_id = "file_feedback", tag = "feedback", security(("bearer" = [])), request_body = FeedbackIn, responses((status = 201, body = FeedbackOut)))]
#[post("/api/v1/feedback")]
pub async fn file(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<FeedbackIn>,
) -> Result<HttpResponse, ApiError> {
    if caller.0.role != Role::Citizen {
        return Err(ApiError::forbidden("feedback:file", "citizens file feedback"));
    }
    let b = body.into_inner();
    let title = text("title", &b.title, 300)?;
    let content = text("content", &b.content, 10_000)?;
    let agency = b.agency.as_deref().map(|a| parse_code("agency", a)).transpose()?;
    let now = state.now();
    let actor = caller.0;
    let row = state
        .db(move |conn| {
            let (agency, dossier) = match (&b.dossier_code, agency) {
                (Some(code), _) => {
                    let d = readable(conn, &actor, code).map_err(|_| {
                        ApiError::invalid_field(
                            "dossier_code",
                            ErrorCode::UnknownDossier,
                            "no dossier of yours has this code",
                        )
                    })?;
                    (d.state.receiving_agency, Some(d.code))
                }
                (None, Some(a)) => {
                    if !agencies::exists(conn, &a)? {
                        return Err(ApiError::invalid_field(
                            "agency",
                            ErrorCode::UnknownAgency,
                            format!("no agency {a}"),
                        ));
                    }
                    (a, None)
                }
                (None, None) => return Err(ApiError::internal("feedback without its agency passed its check")),
            };
            let calendar = calendars::working(conn, DEFAULT_CALENDAR)?;
            let d = deadlines(now, &calendar);
            Ok::<_, ApiError>(store::file(conn, &actor.id, &title, &content, dossier.as_ref(), &agency, &d, now)?)
        })
        .await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/feedback/{}", row.id))).json(out(row, now)))
}

/// List feedback: a citizen's own, an agency's (with sub-units) for its officers and approvers, all for viewers and admins.
#[utoipa::path(operation_id = "list_feedback", tag = "feedback", security(("bearer" = [])), params(PageParams), responses((status = 200, body = FeedbackList)))]
#[get("/api/v1/feedback")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: crate::extract::Query<PageParams>,
) -> Result<web::Json<FeedbackList>, ApiError> {
    let page = page.page()?;
    let actor = caller.0;
    let now = state.now();
    let (after, limit) = (page.after.clone(), page.fetch());
    let rows = state
        .db(move |conn| {
            let mut f = FeedbackFilter { after, limit, ..Default::default() };
            match (actor.role, &actor.agency) {
                (Role::Citizen, _) => f.owner = Some(actor.id.clone()),
                (Role::Admin | Role::Viewer, _) => {}
                // The same readers as one item's (`may_read`): an agency
                // admin keeps the catalogue and does not read feedback.
                (Role::Officer | Role::Approver, Some(a)) => f.agencies = Some(agencies::with_descendants(conn, a)?),
                _ => return Err(ApiError::forbidden("feedback:read", "this role reads published feedback only")),
            }
            Ok::<_, ApiError>(store::list(conn, &f)?)
        })
        .await?;
    let (items, next_cursor) = page.finish(rows, |r| r.id.clone());
    Ok(web::Json(FeedbackList { items: items.into_iter().map(|r| out(r, now)).collect(), next_cursor }))
}

/// Published answers, readable by anyone.
#[utoipa::path(operation_id = "list_published_feedback", tag = "feedback", security(()), params(PageParams), responses((status = 200, body = FeedbackList)))]
#[get("/api/v1/feedback/published")]
pub async fn published(
    state: web::Data<AppState>,
    _caller: MaybeCaller,
    page: crate::extract::Query<PageParams>,
) -> Result<web::Json<FeedbackList>, ApiError> {
    let page = page.page()?;
    let now = state.now();
    let f =
        FeedbackFilter { published_only: true, after: page.after.clone(), limit: page.fetch(), ..Default::default() };
    let rows = state.db(move |conn| store::list(conn, &f)).await?;
    let (items, next_cursor) = page.finish(rows, |r| r.id.clone());
    Ok(web::Json(FeedbackList { items: items.into_iter().map(|r| public(out(r, now))).collect(), next_cursor }))
}

/// Read one item (its author, the agency's staff, viewers, admins; anyone once published).
#[utoipa::path(operation_id = "read_feedback", tag = "feedback", security((), ("bearer" = [])), params(("id" = String, Path, description = "Feedback id")), responses((status = 200, body = FeedbackOut)))]
#[get("/api/v1/feedback/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<String>,
) -> Result<web::Json<FeedbackOut>, ApiError> {
    let id = id.into_inner();
    let now = state.now();
    let (row, whole) = state
        .db(move |conn| {
            let r = store::get(conn, &id).map_err(|_| ApiError::not_found(format!("feedback {id} not found")))?;
            let whole = may_read_whole(conn, caller.0.as_ref(), &r)?;
            if whole || may_read(conn, caller.0.as_ref(), &r)? {
                Ok((r, whole))
            } else {
                Err(ApiError::not_found(format!("feedback {id} not found")))
            }
        })
        .await?;
    let o = out(row, now);
    Ok(web::Json(if whole { o } else { public(o) }))
}

async fn staff_response(
    state: web::Data<AppState>,
    caller: Caller,
    id: String,
    response: Response,
    text_in: Option<String>,
) -> Result<web::Json<FeedbackOut>, ApiError> {
    let now = state.now();
    let actor = caller.0;
    let row = state
        .db(move |conn| {
            store::update(conn, &id, |conn, mut r| {
                if !may_read(conn, Some(&actor), &r)? {
                    return Err(ApiError::not_found(format!("feedback {id} not found")));
                }
                if !staff_in_scope(conn, &actor, &r)? {
                    return Err(ApiError::forbidden(
                        "feedback:respond",
                        "only the agency's officers and approvers respond",
                    ));
                }
                let status = r.status;
                let next = respond(status, response)?;
                let calendar = calendars::working(conn, DEFAULT_CALENDAR)?;
                let timely = on_time(response, now, &r.deadlines(), r.answered_at, &calendar);
                match response {
                    Response::Refuse => {
                        r.refusal_reason = text_in;
                        r.responded_at = Some(now);
                        r.responded_on_time = Some(timely);
                    }
                    Response::RequestInfo => r.info_question = text_in,
                    Response::Answer => {
                        r.answer = text_in;
                        r.answered_at = Some(now);
                        r.responded_at = Some(now);
                        r.responded_on_time = Some(timely);
                    }
                    Response::Publish => r.published_at = Some(now),
                }
                r.status = next;
                r.updated_at = now;
                Ok(r)
            })
        })
        .await?;
    Ok(web::Json(out(row, now)))
}

/// Refuse the item (the agency, within 2 working days), with a reason.
#[utoipa::path(operation_id = "refuse_feedback", tag = "feedback", security(("bearer" = [])), params(("id" = String, Path, description = "Feedback id")), request_body = TextIn, responses((status = 200, body = FeedbackOut)))]
#[post("/api/v1/feedback/{id}/refuse")]
pub async fn refuse(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<TextIn>,
) -> Result<web::Json<FeedbackOut>, ApiError> {
    let t = text("text", &body.text, 5000)?;
    staff_response(state, caller, id.into_inner(), Response::Refuse, Some(t)).await
}

/// Ask the author for more information (the agency, within 5 working days).
#[utoipa::path(operation_id = "request_feedback_info", tag = "feedback", security(("bearer" = [])), params(("id" = String, Path, description = "Feedback id")), request_body = TextIn, responses((status = 200, body = FeedbackOut)))]
#[post("/api/v1/feedback/{id}/request-info")]
pub async fn request_info(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<TextIn>,
) -> Result<web::Json<FeedbackOut>, ApiError> {
    let t = text("text", &body.text, 5000)?;
    staff_response(state, caller, id.into_inner(), Response::RequestInfo, Some(t)).await
}

/// Answer the item (the agency, within 15 working days).
#[utoipa::path(operation_id = "answer_feedback", tag = "feedback", security(("bearer" = [])), params(("id" = String, Path, description = "Feedback id")), request_body = AnswerIn, responses((status = 200, body = FeedbackOut)))]
#[post("/api/v1/feedback/{id}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<AnswerIn>,
) -> Result<web::Json<FeedbackOut>, ApiError> {
    let t = text("text", &body.text, 20_000)?;
    staff_response(state, caller, id.into_inner(), Response::Answer, Some(t)).await
}

/// Publish the answer (the agency, within 2 working days of answering): anyone may then read it.
#[utoipa::path(operation_id = "publish_feedback", tag = "feedback", security(("bearer" = [])), params(("id" = String, Path, description = "Feedback id")), responses((status = 200, body = FeedbackOut)))]
#[post("/api/v1/feedback/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<FeedbackOut>, ApiError> {
    staff_response(state, caller, id.into_inner(), Response::Publish, None).await
}

/// Give the information the agency asked for (the author); the item is open again.
#[utoipa::path(operation_id = "give_feedback_info", tag = "feedback", security(("bearer" = [])), params(("id" = String, Path, description = "Feedback id")), request_body = InfoIn, responses((status = 200, body = FeedbackOut)))]
#[post("/api/v1/feedback/{id}/info")]
pub async fn give_info(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<InfoIn>,
) -> Result<web::Json<FeedbackOut>, ApiError> {
    let t = text("text", &body.text, 10_000)?;
    let id = id.into_inner();
    let now = state.now();
    let actor = caller.0;
    let row = state
        .db(move |conn| {
            store::update(conn, &id, |conn, mut r| {
                if actor.role != Role::Citizen || r.owner_sub != actor.id {
                    // Those who may read the item learn that only its author
                    // answers; for anyone else it does not exist.
                    return Err(if may_read(conn, Some(&actor), &r)? {
                        ApiError::forbidden("feedback:author", "only the author gives the information asked for")
                    } else {
                        ApiError::not_found(format!("feedback {id} not found"))
                    });
                }
                if r.status != FeedbackStatus::InfoRequested {
                    return Err(ApiError::conflict(
                        ErrorCode::NoInformationAsked,
                        "the agency has not asked for more information",
                    ));
                }
                r.info_reply = Some(t);
                r.status = FeedbackStatus::Open;
                r.updated_at = now;
                Ok(r)
            })
        })
        .await?;
    Ok(web::Json(out(row, now)))
}
