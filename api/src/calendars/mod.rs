//! `/api/v1/calendars` (working calendars, docs/RULES.md §4.3) and
//! `/api/v1/deadlines/preview` (the due instant before submission).

pub mod horizon;
pub mod types;

use actix_web::{get, post, put, web};
use dvc_domain::auth::Right;
use dvc_domain::calendar::{Pause, WorkingCalendar};
use dvc_persistence::connection::write_transaction_as;
use dvc_persistence::{calendars, dossiers, StoreError};
use validator::{Validate, ValidationErrors};

use crate::auth::{Caller, MaybeCaller};
use crate::check::Report;
use crate::error::ApiError;
use crate::extract::{Gathered, Json};
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;
use types::*;

pub const MAX_PAUSES: usize = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read).service(replace).service(preview);
}

/// A calendar id: 1–64 lower-case letters, digits and hyphens.
fn calendar_id(id: &str) -> Option<&str> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then_some(id)
}

/// Read a working calendar.
///
/// Public. The province's calendar is `default`.
#[utoipa::path(
    operation_id = "read_calendar",
    tag = "calendars",
    security(()),
    params(("id" = String, Path, description = "Calendar id", example = "default")),
    responses((status = 200, body = CalendarOut))
)]
#[get("/api/v1/calendars/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    _caller: MaybeCaller,
    id: web::Path<String>,
) -> Result<web::Json<CalendarOut>, ApiError> {
    let id = calendar_id(&id).ok_or_else(|| ApiError::not_found(format!("calendar {id} not found")))?.to_owned();
    let found = state.db(move |conn| calendars::get(conn, &id)).await?;
    Ok(web::Json(found.into()))
}

/// Create or replace a working calendar (admin).
///
/// Holidays change every year by government notice: keep them here, as
/// Gregorian dates. A change applies to due instants computed after it; due
/// instants already given to dossiers do not move — except where the change
/// extends `valid_through`: every open dossier on this calendar whose due
/// instant ran past the former `valid_through` (it was provisional) is then
/// recomputed on the new calendar, from its reception and through its pauses,
/// with a `recompute-deadline` history row and a change in the feed.
#[utoipa::path(
    operation_id = "replace_calendar",
    tag = "calendars",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Calendar id (lower-case letters, digits, hyphens)", example = "default")),
    request_body = CalendarIn,
    responses((status = 200, body = CalendarOut))
)]
#[put("/api/v1/calendars/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Gathered<CalendarIn>,
) -> Result<web::Json<CalendarOut>, ApiError> {
    caller.require(Right::ManageCalendars)?;
    let id = calendar_id(&id)
        .ok_or_else(|| ApiError::not_found("a calendar id is 1–64 lower-case letters, digits and hyphens"))?
        .to_owned();
    let (body, door) = body.into_parts();
    door.finish()?;
    let calendar = WorkingCalendar::new(body.into_spec()).map_err(calendar_errors)?;
    let actor = caller.0.clone();
    let now = state.now();
    let stored = state
        .db(move |conn| {
            write_transaction_as(conn, |conn| {
                let before = match calendars::get(conn, &id) {
                    Ok(found) => Some(found),
                    Err(StoreError::NotFound { .. }) => None,
                    Err(e) => return Err(ApiError::from(e)),
                };
                let stored = calendars::put(conn, &id, &calendar, &actor.id, now)?;
                // A pause's office time is counted on the calendar as it is:
                // the figures' marks of the dossiers that waited over a
                // changed date are taken again.
                if let Some(since) = before.as_ref().and_then(|b| b.calendar.first_difference(&calendar)) {
                    let since = since.and_then(dvc_domain::figures::daily::midnight);
                    let waited = dossiers::paused_on(conn, &id, since)?;
                    dvc_persistence::figures::recount(conn, &waited)?;
                }
                if let Some(before) = before.filter(|before| horizon::extends(before, &calendar)) {
                    horizon::recompute_provisional(conn, &before, &stored, &actor, now)?;
                }
                Ok(stored)
            })
        })
        .await?;
    Ok(web::Json(stored.into()))
}

impl Validate for CalendarIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(WorkingCalendar::new(self.clone().into_spec()).map_err(calendar_errors))
    }
}

impl Validate for PreviewIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        if self.amount > dvc_domain::procedure::MAX_PROCESSING_AMOUNT {
            report.add("amount", ErrorCode::OutOfRange, "amount is between 0 and 3650");
        } else if !self.same_day && self.amount == 0 {
            report.add("amount", ErrorCode::OutOfRange, "amount is at least 1 unless same_day is true");
        }
        if self.pauses.len() > MAX_PAUSES {
            report.add("pauses", ErrorCode::TooMany, "at most 100 pauses");
        }
        for (i, _) in self.pauses.iter().enumerate().filter(|(_, p)| p.to < p.from).take(MAX_PAUSES) {
            report.add(format!("pauses[{i}].to"), ErrorCode::PauseEndsBeforeStart, "a pause ends after it starts");
        }
        if calendar_id(&self.calendar).is_none() {
            report.add("calendar", ErrorCode::UnknownCalendar, "no such calendar");
        }
        report.finish()
    }
}

/// Preview a due instant.
///
/// For front-ends that show the expected return date before submission:
/// counts `amount` `unit`s from `start` on the calendar, extends the result
/// by the office time inside each pause, and explains every step.
#[utoipa::path(
    operation_id = "preview_deadline",
    tag = "calendars",
    security(("bearer" = [])),
    request_body = PreviewIn,
    responses((status = 200, body = PreviewOut))
)]
#[post("/api/v1/deadlines/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    _caller: Caller,
    body: Json<PreviewIn>,
) -> Result<web::Json<PreviewOut>, ApiError> {
    let body = body.into_inner();
    let id = body.calendar.clone();
    let stored = state
        .db(move |conn| match calendars::get(conn, &id) {
            Err(StoreError::NotFound { .. }) => {
                Err(ApiError::invalid_field("calendar", ErrorCode::UnknownCalendar, format!("no calendar {id}")))
            }
            other => Ok(other?),
        })
        .await?;
    let pauses: Vec<Pause> = body.pauses.iter().map(|p| Pause { from: p.from.to_utc(), to: p.to.to_utc() }).collect();
    let deadline =
        stored.calendar.explain_deadline(body.start.to_utc(), body.amount, body.unit.into(), body.same_day, &pauses);
    if !crate::time::writable(deadline.due_at) {
        return Err(ApiError::invalid_field(
            "start",
            ErrorCode::OutOfRange,
            "the due instant would fall after the year 9999: start earlier or count less",
        ));
    }
    let explanation = deadline.steps.into_iter().map(Into::into).collect();
    Ok(web::Json(PreviewOut {
        received_at: vn(deadline.counted_from),
        due_at: vn(deadline.due_at),
        provisional: deadline.provisional,
        valid_through: stored.calendar.valid_through(),
        explanation,
    }))
}
