//! `/api/v1/dossiers`: submission on every channel, reading, the list, the
//! control slip, the actions of the state machine and documents (docs/RULES.md §4, §9).

pub mod access;
mod commands;
pub mod export;
pub mod submit;
pub mod types;

use actix_web::http::header::{ETAG, IF_MATCH};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::DateTime;
use dvc_domain::auth::Role;
use dvc_domain::calendar::Timeliness;
use dvc_domain::dossier::DocumentKind;
use dvc_domain::dossier::{apply, Action, Context};
use dvc_domain::fees::{FeeRelief, ReliefKind};
use dvc_domain::payment::{PaymentMethod, PaymentStatus};
use dvc_domain::procedure::FeeCollection;
use dvc_persistence::dossiers::{self, Change, Created, DossierFilter, NewDocument, NewHistory, StoredDossier};
use dvc_persistence::idempotency::IdempotencyClaim;
use dvc_persistence::payments::PaymentOp;
use dvc_persistence::registry::NewLookup;
use dvc_persistence::{agencies, DbConnection, StoreError};

use crate::agencies::types::parse_code;
use crate::auth::Caller;
use crate::connectors::check::{self, Checked, Fetched};
use crate::error::ApiError;
use crate::export::{ExportFormat, FormatParam};
use crate::extract::Gathered;
use crate::invalid::Invalid;
use crate::pagination::PageParams;
use crate::state::AppState;
use access::{readable, transition_error, view, Access};
use commands::Command;
use dvc_domain::dossier::Filing;
use dvc_domain::ErrorCode;
use submit::{applicant, Submission, Submitter};
use types::*;

pub fn configure(cfg: &mut web::ServiceConfig, max_document_bytes: usize) {
    cfg.service(
        web::resource("/api/v1/dossiers/{code}/documents")
            .app_data(web::PayloadConfig::new(max_document_bytes))
            .route(web::post().to(upload_document)),
    );
    cfg.service(submit_dossier)
        .service(push_from_portal)
        .service(list)
        .service(read)
        .service(history)
        .service(notifications)
        .service(receive)
        .service(refuse)
        .service(request_supplement)
        .service(supplement)
        .service(hand_off)
        .service(request_payment)
        .service(record_payment)
        .service(fee_relief)
        .service(resolve)
        .service(return_result)
        .service(withdraw)
        .service(stop)
        .service(apologize)
        .service(download_document);
}

// ---- helpers ----

fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

fn with_etag(mut res: HttpResponse, version: i32) -> HttpResponse {
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}

/// The precondition of `If-Match`: none, or the entity-tags it lists (`*` matches any).
enum IfMatch {
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    fn of(req: &HttpRequest) -> Self {
        let Some(value) = req.headers().get(IF_MATCH) else { return Self::Any };
        let text = String::from_utf8_lossy(value.as_bytes());
        if text.trim() == "*" {
            return Self::Any;
        }
        Self::Tags(text.split(',').map(|t| t.trim().trim_start_matches("W/").to_owned()).collect())
    }

    /// RFC 9110: a listed tag must match the current one, else 412.
    fn check(&self, version: i32) -> Result<(), ApiError> {
        match self {
            Self::Any => Ok(()),
            Self::Tags(tags) if tags.iter().any(|t| *t == etag(version)) => Ok(()),
            Self::Tags(_) => Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                format!("the dossier changed: its ETag is now {}", etag(version)),
            )
            .vi(format!("Hồ sơ đã thay đổi: ETag hiện tại là {}", etag(version)))),
        }
    }
}

fn json_answer(status: u16, body: String, version: Option<i32>, location: Option<String>) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut res = HttpResponse::build(code);
    res.content_type("application/json");
    if let Some(l) = location {
        res.insert_header(("Location", l));
    }
    let res = res.body(body);
    match version {
        Some(v) => with_etag(res, v),
        None => res,
    }
}

/// Creates (or replays, or finds the existing portal dossier) and answers.
async fn create(
    state: &AppState,
    claim: Option<IdempotencyClaim>,
    audit: Vec<NewLookup>,
    build: impl FnOnce(&mut dvc_persistence::DbConnection) -> Result<dvc_persistence::dossiers::NewDossier, ApiError>
        + Send
        + 'static,
) -> Result<HttpResponse, ApiError> {
    let now = state.now();
    let notify = state.config.notify_channels();
    let answer = state
        .db(move |conn| {
            let mut new = build(conn)?;
            new.notify = notify;
            let render = |conn: &mut dvc_persistence::DbConnection, d: &dvc_persistence::dossiers::StoredDossier| {
                let out = view(conn, d.clone(), now).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(serde_json::to_string(&out)?)
            };
            Ok::<_, ApiError>(match dossiers::create(conn, &new, claim.as_ref(), &render)? {
                Created::New { dossier, body } => (201, body, Some(dossier.version), Some(dossier.code)),
                Created::Replayed { status, body } => (status, body, None, None),
                Created::Existing(d) => {
                    let (version, code) = (d.version, d.code.clone());
                    let body =
                        serde_json::to_string(&view(conn, d, now)?).map_err(|e| ApiError::internal(e.to_string()))?;
                    (200, body, Some(version), Some(code))
                }
            })
        })
        .await;
    // The look-ups were made: a request that created nothing logs them
    // without a dossier (a new dossier logged them with its code).
    if !matches!(answer, Ok((201, ..))) && !audit.is_empty() {
        let recorded = state.db(move |conn| dvc_persistence::registry::record(conn, &audit)).await;
        if let Err(e) = recorded {
            log::error!("national-database look-ups not written to the audit log: {e}");
            return Err(e);
        }
    }
    let (status, body, version, code) = answer?;
    let location = (status == 201).then(|| code.map(|c| format!("/api/v1/dossiers/{c}"))).flatten();
    Ok(json_answer(status, body, version, location))
}

// ---- submission ----

/// Before a new dossier is written: fetches the documents it reuses from the
/// applicant's data store and checks the applicant against the national
/// database for their kind (docs/RULES.md §11). Skipped when the request
/// is already invalid: no personal data is looked up for nothing.
async fn national_databases(
    state: &AppState,
    actor: &dvc_domain::auth::Actor,
    applicant: Option<&dvc_persistence::dossiers::ApplicantRecord>,
    documents: &[DocumentIn],
    on: check::OnDisagreement<'_>,
    invalid: &mut Invalid,
) -> (Fetched, Checked) {
    let Some(applicant) = applicant.filter(|_| invalid.is_empty()) else {
        return (Fetched::new(), Checked::default());
    };
    // Nothing is fetched for a body the document checks will refuse anyway.
    let codes = submit::data_store_codes(documents);
    if documents.len() > submit::MAX_DOCUMENTS || !codes.iter().all(|c| submit::valid_data_store_code(c)) {
        return (Fetched::new(), Checked::default());
    }
    // Online, the data store read is the filer's own: a representative
    // uploads the applicant's documents.
    if actor.role == Role::Citizen && applicant.id_number != actor.id && !codes.is_empty() {
        for (i, _) in documents.iter().enumerate().filter(|(_, d)| d.data_store_code.is_some()) {
            invalid.push(
                &format!("documents[{i}].data_store_code"),
                ErrorCode::DataStoreNotYours,
                "only the applicant reads their own data store: upload the document instead",
            );
        }
        return (Fetched::new(), Checked::default());
    }
    let now = state.now();
    // The documents and the applicant at once, each bounded by the
    // connector's policy: a submission waits for one bound, not their sum.
    let fetch = check::fetch_documents(&state.connectors, actor, &applicant.id_number, codes, now);
    let mut verdict = Invalid::default();
    let judge = check::check_applicant(&state.connectors, actor, applicant, on, now, &mut verdict);
    let ((fetched, fetches), mut checked) = tokio::join!(fetch, judge);
    invalid.merge(verdict);
    checked.lookups.extend(fetches);
    (fetched, checked)
}

/// Submit a dossier.
///
/// A citizen submits online (status `submitted`, code assigned); an officer
/// or approver registers an in-person or postal dossier, received at once
/// (the clock starts). The procedure version in force today is pinned.
/// Honours `Idempotency-Key`: the same key and body replay the first answer;
/// the same key with another body is 422.
///
/// A citizen files for themself (the applicant's `id_number` is their
/// token's subject) or, for anyone else, as a representative with the
/// applicant's authorisation (`representative.authorisation`, stored as a
/// document of kind `authorisation`). The filer is recorded as
/// `submitted_by`; the applicant and the representative both read the
/// dossier and act on it as the applicant. Otherwise 422 with
/// `errors[].code` `applicant_not_submitter` (filing for another without an
/// authorisation) or `representative_of_self`. A merged receiving agency is
/// refused with 422 `agency_merged`, naming the agency that took over in
/// `successor`. Staff at the desk register for any applicant.
#[utoipa::path(
    operation_id = "submit_dossier",
    tag = "dossiers",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body replay the first answer", pattern = r"^[!-~]{1,128}$")),
    request_body = SubmitIn,
    responses((status = 201, body = DossierOut, headers(("ETag" = String), ("Location" = String))))
)]
#[post("/api/v1/dossiers")]
pub async fn submit_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: Gathered<SubmitIn>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.0;
    let (body, mut invalid) = body.into_parts();
    let channel = match (actor.role, body.channel) {
        (Role::Citizen, None | Some(ChannelDto::Online)) => dvc_domain::dossier::Channel::Online,
        (Role::Citizen, Some(_)) => {
            invalid.push("channel", ErrorCode::ChannelNotAllowed, "a citizen submits online");
            dvc_domain::dossier::Channel::Online
        }
        (Role::Officer | Role::Approver, None | Some(ChannelDto::InPerson)) => dvc_domain::dossier::Channel::InPerson,
        (Role::Officer | Role::Approver, Some(ChannelDto::Postal)) => dvc_domain::dossier::Channel::Postal,
        (Role::Officer | Role::Approver, Some(_)) => {
            invalid.push("channel", ErrorCode::ChannelNotAllowed, "the desk registers in_person or postal dossiers");
            dvc_domain::dossier::Channel::InPerson
        }
        _ => {
            return Err(ApiError::forbidden(
                "dossiers:submit",
                format!(
                    "the {} role does not submit dossiers; citizens submit online, officers register at the desk",
                    actor.role
                ),
            ))
        }
    };
    let claim = crate::idempotency::claim(&req, &actor, &body, "/api/v1/dossiers")?;
    let applicant = invalid.take(applicant(&body.applicant))?;
    let max = state.config.max_document_bytes;
    let staff = actor.role.is_staff();
    let now = state.now();
    let submitter = if staff {
        None
    } else {
        if let Some(a) = &applicant {
            let filing = Filing::of_citizen(&actor.id, &a.id_number, body.representative.is_some());
            invalid.take(filing.map_err(ApiError::from))?;
        }
        Some(Submitter { id: actor.id.clone(), name: actor.name.clone() })
    };
    let authorisation = invalid.take(
        body.representative.as_ref().map(|r| submit::authorisation(&r.authorisation, max, &actor, now)).transpose(),
    )?;
    let override_reason = match &body.check_override {
        None => None,
        Some(_) if !staff => {
            invalid.push(
                "check_override",
                ErrorCode::NotAllowed,
                "only staff at the desk accept an applicant the national database disagrees with",
            );
            None
        }
        Some(o) => invalid.take(submit::override_reason(&o.reason))?,
    };
    let (fetched, checked) = national_databases(
        &state,
        &actor,
        applicant.as_ref(),
        &body.documents,
        match override_reason.as_deref() {
            Some(reason) => check::OnDisagreement::Accept(reason),
            None => check::OnDisagreement::Refuse { reveal: staff },
        },
        &mut invalid,
    )
    .await;
    let audit = checked.lookups.clone();
    create(&state, claim, audit, move |conn| {
        if staff {
            let own = actor
                .agency
                .clone()
                .ok_or_else(|| ApiError::forbidden("dossiers:process", "no agency in the token"))?;
            let target =
                body.agency.as_deref().map(|a| parse_code("agency", a)).transpose()?.unwrap_or_else(|| own.clone());
            if !agencies::with_ancestors(conn, &target)?.iter().any(|a| a == own.as_str()) {
                return Err(ApiError::forbidden(
                    "dossiers:process",
                    format!("you register dossiers for {own} and its units, not {target}"),
                ));
            }
        }
        let s = Submission {
            procedure: &body.procedure,
            agency: body.agency.as_deref(),
            channel,
            applicant,
            summary: &body.summary,
            documents: &body.documents,
            authorisation: authorisation.flatten(),
            submitter,
            external_code: None,
            submitted_at: now,
            received_at: staff.then_some(now),
            invalid,
            fetched,
            checked,
        };
        submit::prepare(conn, &actor, s, max, now)
    })
    .await
}

/// Push a dossier from the national portal (integrator).
///
/// Idempotent on `external_code`: a repeat returns the existing dossier
/// (200) instead of creating another (201). The `submitter` the portal
/// names is recorded as `submitted_by`. A merged receiving agency is
/// refused with 422 `agency_merged`, naming its `successor`.
#[utoipa::path(
    operation_id = "push_portal_dossier",
    tag = "national portal",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; pushes are idempotent on external_code anyway", pattern = r"^[!-~]{1,128}$")),
    request_body = PortalDossierIn,
    responses(
        (status = 201, body = DossierOut, description = "Created"),
        (status = 200, body = DossierOut, description = "Already pushed: the existing dossier")
    )
)]
#[post("/api/v1/integrations/national-portal/dossiers")]
pub async fn push_from_portal(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: Gathered<PortalDossierIn>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.0;
    if actor.role != Role::Integrator {
        return Err(ApiError::forbidden("national_portal:push", "only an integrator pushes national-portal dossiers"));
    }
    let (body, mut invalid) = body.into_parts();
    let external = invalid.take(submit::external_code(&body.external_code))?.unwrap_or_default();
    // The door checked what the body says alone; the clock is checked here.
    let now = state.now();
    let submitted = body.submitted_at.to_utc();
    if submitted > now + chrono::Duration::minutes(5) {
        invalid.push("submitted_at", ErrorCode::InTheFuture, "submitted_at is not in the future");
    }
    let received = body.received_at.map(|r| r.to_utc());
    if received.is_some_and(|r| r > now + chrono::Duration::minutes(5)) {
        invalid.push("received_at", ErrorCode::OutOfOrder, "received_at lies between submitted_at and now");
    }
    let claim = crate::idempotency::claim(&req, &actor, &body, "/api/v1/integrations/national-portal/dossiers")?;
    let applicant = invalid.take(applicant(&body.applicant))?;
    let submitter = invalid.take(body.submitter.as_ref().map(submit::portal_submitter).transpose())?.flatten();
    let max = state.config.max_document_bytes;
    let (fetched, checked) = national_databases(
        &state,
        &actor,
        applicant.as_ref(),
        &body.documents,
        check::OnDisagreement::Record,
        &mut invalid,
    )
    .await;
    let audit = checked.lookups.clone();
    create(&state, claim, audit, move |conn| {
        let s = Submission {
            procedure: &body.procedure,
            agency: body.agency.as_deref(),
            channel: dvc_domain::dossier::Channel::NationalPortal,
            applicant,
            summary: &body.summary,
            documents: &body.documents,
            authorisation: None,
            submitter,
            external_code: Some(external),
            submitted_at: submitted,
            received_at: received,
            invalid,
            fetched,
            checked,
        };
        submit::prepare(conn, &actor, s, max, now)
    })
    .await
}

// ---- reading ----

/// Read a dossier.
///
/// Its applicant, staff of its agencies (and the agencies above them),
/// viewers, admins and integrators may read it; anyone else gets 404.
#[utoipa::path(
    operation_id = "read_dossier",
    tag = "dossiers",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code", example = "000.00.05.H56-260305-0007")),
    responses((status = 200, body = DossierOut, headers(("ETag" = String))))
)]
#[get("/api/v1/dossiers/{code}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let now = state.now();
    let out = state
        .read_light(move |conn| {
            let d = readable(conn, &caller.0, &code)?;
            view(conn, d, now)
        })
        .await?;
    let version = out.version;
    Ok(with_etag(HttpResponse::Ok().json(out), version))
}

/// The process control slip (phiếu kiểm soát quá trình giải quyết hồ sơ).
///
/// One row per move: actor, role, agency, instant, note, step deadline and
/// whether the next step met it.
#[utoipa::path(
    operation_id = "list_dossier_history",
    tag = "dossiers",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code", example = "000.00.05.H56-260305-0007")),
    responses((status = 200, body = HistoryList))
)]
#[get("/api/v1/dossiers/{code}/history")]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<web::Json<HistoryList>, ApiError> {
    let code = code.into_inner();
    let (code, rows) = state
        .db(move |conn| {
            let d = readable(conn, &caller.0, &code)?;
            Ok::<_, ApiError>((d.code.to_string(), dossiers::history(conn, d.code.as_str())?))
        })
        .await?;
    Ok(web::Json(HistoryList { code, items: history_out(rows, state.now()) }))
}

/// The notifications sent (or to be sent) to the applicant of a dossier.
///
/// One row per event and channel (docs/RULES.md §12), oldest first, with
/// its delivery state; the recipient is masked. The dossier's readers only.
#[utoipa::path(
    operation_id = "list_dossier_notifications",
    tag = "dossiers",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code", example = "000.00.05.H56-260305-0007")),
    responses((status = 200, body = NotificationList))
)]
#[get("/api/v1/dossiers/{code}/notifications")]
pub async fn notifications(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<web::Json<NotificationList>, ApiError> {
    let code = code.into_inner();
    let (code, rows) = state
        .db(move |conn| {
            let d = readable(conn, &caller.0, &code)?;
            let rows = dvc_persistence::notifications::of_dossier(conn, d.code.as_str())?;
            Ok::<_, ApiError>((d.code.to_string(), rows))
        })
        .await?;
    Ok(web::Json(NotificationList { code, items: rows.into_iter().map(NotificationOut::from).collect() }))
}

fn cursor_key(d: &DossierOut) -> String {
    format!("{}|{}", d.submitted_at.timestamp_micros(), d.code)
}

/// List dossiers.
///
/// Newest first. A citizen sees their own, staff their agency's (with its
/// sub-units), viewers, admins and integrators all.
///
/// As CSV or XLSX (`format`, or `Accept`): every dossier the filters match,
/// newest first, in one file (no pages: `limit` and `cursor` are refused
/// with 422), one row each (docs/RULES.md §7).
#[utoipa::path(
    operation_id = "list_dossiers",
    tag = "dossiers",
    security(("bearer" = [])),
    params(DossierQuery, PageParams, FormatParam),
    responses((status = 200, description = "A page of dossiers (JSON), or every dossier matching the filters (CSV, XLSX)",
        content(
            (DossierList = "application/json"),
            (crate::export::CsvFile = "text/csv"),
            (crate::export::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        headers(("Content-Disposition" = String, description = "CSV and XLSX: `attachment; filename=\"…\"`"))))
)]
#[get("/api/v1/dossiers")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: crate::extract::Query<DossierQuery>,
    page: crate::extract::Query<PageParams>,
    format: crate::extract::Query<FormatParam>,
) -> Result<HttpResponse, ApiError> {
    let format = format.choose(&req);
    let exporting = format != ExportFormat::Json;
    if exporting {
        refuse_pages(&page.limit.map(|_| "limit"), &page.cursor.as_ref().map(|_| "cursor"))?;
    }
    let page = page.page()?;
    let q = query.into_inner();
    let actor = caller.0;
    let after = match &page.after {
        Some(key) => {
            let (micros, code) = key.split_once('|').ok_or_else(|| {
                ApiError::invalid_field("cursor", ErrorCode::InvalidCursor, "not a cursor of this list")
            })?;
            let micros: i64 = micros.parse().map_err(|_| {
                ApiError::invalid_field("cursor", ErrorCode::InvalidCursor, "not a cursor of this list")
            })?;
            let at = DateTime::from_timestamp_micros(micros).ok_or_else(|| {
                ApiError::invalid_field("cursor", ErrorCode::InvalidCursor, "not a cursor of this list")
            })?;
            Some((at, code.to_owned()))
        }
        None => None,
    };
    let agency = q.agency.as_deref().map(|a| parse_code("agency", a)).transpose()?;
    let timeliness: Option<Timeliness> = match (q.timeliness, q.overdue) {
        (_, Some(true)) => Some(Timeliness::Overdue),
        (t, _) => t.map(Into::into),
    };
    let limit = if exporting { crate::export::PAGE } else { page.fetch() };
    // A page that judges each dossier's deadline (within it, overdue) may
    // read far for its rows, and a long page is long to render: those stay
    // off the HTTP worker (`AppState::read_light`).
    let light = limit <= LIGHT_PAGE && !matches!(timeliness, Some(Timeliness::WithinDeadline | Timeliness::Overdue));
    let now = state.now();
    // The export reads the filter on its own, to refuse before the first
    // byte; a page reads it with the page, in one unit of database work.
    let make_filter = move |conn: &mut DbConnection| {
        let scope = match (actor.role, &actor.agency) {
            (Role::Citizen, _) => None,
            (r, Some(a)) if r.is_staff() => Some(agencies::with_descendants(conn, a)?),
            (r, None) if r.is_staff() => Some(Vec::new()),
            _ => None,
        };
        Ok::<_, ApiError>(DossierFilter {
            status: q.status.map(Into::into),
            agencies: agency.as_ref().map(|a| agencies::with_descendants(conn, a)).transpose()?,
            scope,
            citizen: (actor.role == Role::Citizen).then(|| actor.id.clone()),
            procedure: q.procedure.clone(),
            sector: q.sector.clone(),
            channel: q.channel.map(Into::into),
            applicant_id: q.applicant_id.clone(),
            received_from: q.received_from.map(|t| t.to_utc()),
            received_to: q.received_to.map(|t| t.to_utc()),
            resolved_from: q.resolved_from.map(|t| t.to_utc()),
            resolved_to: q.resolved_to.map(|t| t.to_utc()),
            timeliness,
            supplement_overdue: q.supplement_overdue,
            now: Some(now),
            after: after.clone(),
            limit,
        })
    };
    if exporting {
        let filter = state.db(make_filter).await?;
        let name = format!("dossiers-{}", crate::time::today(now));
        return Ok(crate::export::stream(
            &state,
            format,
            &name,
            Box::new(move |conn, sheet| {
                let names = export::agency_names(conn)?;
                export::header(sheet, export::Applicant::Named)?;
                let mut filter = filter;
                loop {
                    let found = dossiers::list(conn, &filter)?;
                    let full = i64::try_from(found.len()).unwrap_or(i64::MAX) == filter.limit;
                    filter.after = found.last().map(|d| (d.submitted_at, d.code.to_string()));
                    export::rows(conn, sheet, found, &names, export::Applicant::Named, now)?;
                    if !full || filter.after.is_none() {
                        return Ok(());
                    }
                }
            }),
        ));
    }
    let one_page = move |conn: &mut DbConnection| {
        let filter = make_filter(conn)?;
        let found = dossiers::list(conn, &filter)?;
        access::view_many(conn, found, now)
    };
    let items = if light { state.read_light(one_page).await? } else { state.read(one_page).await? };
    let (items, next_cursor) = page.finish(items, cursor_key);
    Ok(HttpResponse::Ok().json(DossierList { items, next_cursor }))
}

/// The longest list page read on the HTTP worker (a page of 100, and the
/// one more row that tells whether another page follows).
const LIGHT_PAGE: i64 = 101;

/// An export is the whole list: its paging parameters are refused.
pub(crate) fn refuse_pages(limit: &Option<&str>, after: &Option<&str>) -> Result<(), ApiError> {
    match limit.or(*after) {
        Some(name) => Err(ApiError::invalid_field(
            name,
            ErrorCode::NotWithExport,
            format!("a CSV or XLSX export holds every row: it takes no {name}"),
        )),
        None => Ok(()),
    }
}

// ---- actions ----

/// Documents attached to an action, checked against the pinned version.
struct ActionDocuments {
    kind: DocumentKind,
    field: &'static str,
    items: Vec<DocumentIn>,
}

/// What an action carries besides itself.
#[derive(Default)]
struct Attached {
    documents: Option<ActionDocuments>,
    payment: Option<dvc_persistence::payments::PaymentOp>,
    /// A refusal found while reading the dossier (what it owes, say): given
    /// once the actor is known to be entitled and the move allowed, so that
    /// 404, 403 and 409 keep their order.
    refusal: Option<ApiError>,
}

impl Attached {
    fn documents(kind: DocumentKind, items: Vec<DocumentIn>) -> Self {
        Self { documents: Some(ActionDocuments { kind, field: "documents", items }), ..Self::default() }
    }
    fn payment(op: dvc_persistence::payments::PaymentOp) -> Self {
        Self { payment: Some(op), ..Self::default() }
    }
}

/// How an action is made from the dossier as it stands under its lock.
type MakeAction = Box<dyn FnOnce(&mut DbConnection, &StoredDossier) -> Result<(Action, Attached), ApiError> + Send>;

/// Applies one action under the dossier's lock and answers its new state.
async fn act(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    code: String,
    make: MakeAction,
    door: Invalid,
) -> Result<HttpResponse, ApiError> {
    let expected = IfMatch::of(&req);
    let actor = caller.0;
    let max = state.config.max_document_bytes;
    let notify = state.config.notify_channels();
    let now = state.now();
    let out = state
        .db(move |conn| {
            let updated = dossiers::update(conn, &code, now, |conn, current| {
                let access = Access::of(conn, &actor, current)?;
                if !access.may_read(&actor) {
                    return Err(access::not_found(&code));
                }
                // Every invalid field is answered at once: the body's own
                // (its check at the door), the references checked here, the
                // rules of the move, the documents.
                let mut invalid = door;
                let Some((action, attached)) = invalid.take(make(conn, current))? else {
                    invalid.finish()?;
                    return Err(ApiError::internal("an action not made without its reason"));
                };
                if let (Action::HandOff { to_agency, .. }, None) = (&action, &attached.refusal) {
                    if agencies::exists(conn, to_agency)? {
                        invalid.take(submit::check_takes_dossiers(conn, to_agency, "to_agency", now))?;
                    } else {
                        invalid.push("to_agency", ErrorCode::UnknownAgency, format!("no agency {to_agency}"));
                    }
                }
                let calendar = access::calendar_of(conn, current)?;
                let ctx = Context {
                    actor: &actor,
                    now,
                    calendar: &calendar,
                    is_applicant: access.is_applicant,
                    in_agency_scope: access.in_agency_scope,
                };
                let t = invalid.take(apply(&current.state, &action, &ctx).map_err(|e| transition_error(&code, e)))?;
                if let Some(refusal) = attached.refusal {
                    invalid.take(Err::<(), _>(refusal))?;
                }
                let documents: Vec<NewDocument> = match &attached.documents {
                    Some(a) if !a.items.is_empty() => {
                        let pinned = dvc_persistence::procedures::version(
                            conn,
                            &current.procedure_code,
                            current.procedure_version,
                        )?;
                        invalid
                            .take(submit::documents(
                                &a.items,
                                a.field,
                                a.kind,
                                Some(&pinned),
                                submit::Sources::Uploads,
                                submit::Filer { actor: &actor, now, max_bytes: max },
                            ))?
                            .unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                invalid.finish()?;
                let Some(t) = t else { return Err(ApiError::internal("a valid action without its transition")) };
                // RFC 9110 §13.2.1: preconditions count only for a request that
                // would succeed without them, so If-Match is checked last.
                expected.check(current.version)?;
                Ok(Change {
                    history: NewHistory {
                        action: t.action.into(),
                        from: Some(t.from),
                        to: t.to,
                        actor: actor.clone(),
                        at: now,
                        note: t.note,
                        step_deadline: t.step_deadline,
                    },
                    state: t.state,
                    documents,
                    payment: attached.payment,
                    notify,
                })
            })?;
            view(conn, updated, now)
        })
        .await?;
    let version = out.version;
    Ok(with_etag(HttpResponse::Ok().json(out), version))
}

/// Declares one action endpoint: its documentation, its path, its body, and
/// how the body becomes the action (and any documents it carries).
macro_rules! action_endpoint {
    // The action made from the body alone.
    ($(#[doc = $doc:literal])* $name:ident, operation_id = $id:literal, $path:literal, $body:ty, |$b:ident| $make:expr) => {
        action_endpoint! { @ $(#[doc = $doc])* $name, $id, $path, $body, |$b| {
            let (action, attached): (Action, Attached) = $make;
            Box::new(move |_, _| Ok((action, attached)))
        } }
    };
    // The action made from the body and the dossier as it stands under its lock.
    ($(#[doc = $doc:literal])* $name:ident, operation_id = $id:literal, $path:literal, $body:ty, |$b:ident, $conn:ident, $current:ident| $make:expr) => {
        action_endpoint! { @ $(#[doc = $doc])* $name, $id, $path, $body, |$b| {
            Box::new(move |$conn: &mut DbConnection, $current: &StoredDossier| $make)
        } }
    };
    (@ $(#[doc = $doc:literal])* $name:ident, $id:literal, $path:literal, $body:ty, |$b:ident| $make:expr) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            operation_id = $id,
            tag = "dossier actions",
            security(("bearer" = [])),
            params(
                ("code" = String, Path, description = "Dossier code"),
                ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 when stale")
            ),
            request_body = $body,
            responses((status = 200, body = DossierOut, headers(("ETag" = String))))
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            code: web::Path<String>,
            body: Gathered<$body>,
        ) -> Result<HttpResponse, ApiError> {
            let ($b, door) = body.into_parts();
            let make: MakeAction = $make;
            act(state, caller, req, code.into_inner(), make, door).await
        }
    };
}

action_endpoint! {
    /// Receive a submitted dossier (officer): the receipt is issued and the clock starts.
    receive, operation_id = "receive_dossier", "/api/v1/dossiers/{code}/receive", NoteIn, |b| (b.action(), Attached::default())
}

action_endpoint! {
    /// Refuse a submitted dossier at reception (officer), with a reason.
    refuse, operation_id = "refuse_dossier", "/api/v1/dossiers/{code}/refuse", ReasonIn, |b| (b.action(), Attached::default())
}

action_endpoint! {
    /// Request a supplement (officer).
    ///
    /// At intake the clock has not started; while processing it may be
    /// requested once, and the clock pauses until the applicant supplements.
    request_supplement, operation_id = "request_supplement", "/api/v1/dossiers/{code}/request-supplement", RequestSupplementIn, |b| (b.action(), Attached::default())
}

action_endpoint! {
    /// Supplement the dossier (the applicant), with the added or corrected documents; the clock resumes.
    supplement, operation_id = "supplement_dossier", "/api/v1/dossiers/{code}/supplement", SupplementIn, |b| (b.action(), Attached::documents(DocumentKind::Component, b.documents))
}

action_endpoint! {
    /// Hand the dossier on to a unit (officer), with an optional step deadline.
    hand_off, operation_id = "hand_off_dossier", "/api/v1/dossiers/{code}/hand-off", HandOffIn, |b, _conn, current| Ok(hand_off_of(&b, current))
}

action_endpoint! {
    /// Request a financial obligation (officer); the clock pauses until it is paid.
    ///
    /// Without `amount_vnd` the amount comes from the pinned procedure version:
    /// its fee lines that no pending or paid payment covers yet (only those
    /// collected at one stage with `collected`), less the dossier's exemption
    /// or reduction; the payment lists the fee lines it covers. 409
    /// `nothing_to_pay` when that is nothing (all covered, or exempt). An
    /// explicit `amount_vnd` needs its `reason` (422 `required` on `reason`).
    request_payment, operation_id = "request_payment", "/api/v1/dossiers/{code}/request-payment", RequestPaymentIn, |b, conn, current| payment_request(conn, current, b)
}

/// The hand-off a request asks for. A malformed agency code (refused at the
/// door) waits, as a refusal, for the move's own rules to be judged on a
/// stand-in: the unit handling the dossier now.
fn hand_off_of(b: &HandOffIn, current: &StoredDossier) -> (Action, Attached) {
    match parse_code("to_agency", &b.to_agency) {
        Ok(to) => (b.action(to), Attached::default()),
        Err(e) => {
            (b.action(current.state.handling_agency.clone()), Attached { refusal: Some(e), ..Attached::default() })
        }
    }
}

/// The obligation a request asks for: the fees owed, or an explicit amount with its reason.
fn payment_request(
    conn: &mut DbConnection,
    current: &StoredDossier,
    b: RequestPaymentIn,
) -> Result<(Action, Attached), ApiError> {
    let note = b.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    let description = note.clone().unwrap_or_else(|| "Nghĩa vụ tài chính".to_owned());
    let reason = b.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    let Some(amount_vnd) = b.amount_vnd else {
        let owed = crate::payments::obligation(conn, current, b.collected.map(Into::into))?;
        let refusal = (owed.amount_vnd <= 0).then(|| {
            ApiError::conflict(ErrorCode::NothingToPay, "the dossier owes nothing of its fees (all covered, or exempt)")
        });
        let lines: Vec<&str> = owed.lines.iter().map(|l| l.code.as_str()).collect();
        let mut summary = format!("fees {}", lines.join(", "));
        if owed.relief_vnd > 0 {
            summary.push_str(&format!(", less {} VND relief", owed.relief_vnd));
        }
        let op = PaymentOp::Request {
            amount_vnd: owed.amount_vnd,
            description,
            fee_lines: owed.lines,
            relief_vnd: owed.relief_vnd,
            amount_reason: None,
        };
        let note = Some(note.map_or_else(|| summary.clone(), |n| format!("{summary}: {n}")));
        let attached = Attached { payment: Some(op), refusal, ..Attached::default() };
        // A refused request still goes through the rules first (with a placeholder amount).
        return Ok((Action::RequestPayment { amount_vnd: owed.amount_vnd.max(1), note }, attached));
    };
    let slip_note = match (&reason, &note) {
        (Some(r), Some(n)) => Some(format!("{r}: {n}")),
        (Some(r), None) => Some(r.clone()),
        (None, n) => n.clone(),
    };
    let op =
        PaymentOp::Request { amount_vnd, description, fee_lines: Vec::new(), relief_vnd: 0, amount_reason: reason };
    Ok((Action::RequestPayment { amount_vnd, note: slip_note }, Attached::payment(op)))
}

action_endpoint! {
    /// Record an exemption from or a reduction of the dossier's fees (officer
    /// or approver of the agency), with its legal reason (docs/RULES.md §5).
    ///
    /// Written in the dossier's history; allowed while it is submitted,
    /// received or processing (before the payment is requested). The latest
    /// one holds. An exemption takes off all the fees, a reduction
    /// `amount_vnd` of them (422 `exceeds_fees` when it is not less than the
    /// fees: that is an exemption).
    fee_relief, operation_id = "record_fee_relief", "/api/v1/dossiers/{code}/fee-relief", FeeReliefIn, |b, conn, current| fee_relief_of(conn, current, b)
}

/// The relief a request records, checked against the pinned version's fees.
fn fee_relief_of(
    conn: &mut DbConnection,
    current: &StoredDossier,
    b: FeeReliefIn,
) -> Result<(Action, Attached), ApiError> {
    let kind: ReliefKind = b.kind.into();
    let fees = crate::payments::version_fees(conn, current)?;
    // A relief changes what is owed, not what was already asked or paid: a
    // pending obligation would still be collected in full, a paid one not
    // flagged for a refund. So it comes first, or after a cancellation.
    let open = dvc_persistence::payments::of_dossier(conn, current.code.as_str())?
        .into_iter()
        .find(|p| matches!(p.status, PaymentStatus::Pending | PaymentStatus::Paid));
    if let Some(p) = open {
        let refusal = ApiError::conflict(
            ErrorCode::PaymentsExist,
            format!(
                "payment {} of {} VND is {}: an exemption or reduction is recorded before any payment is asked \
                 for or made (an admin cancels a pending one, or refunds a paid one, first)",
                p.reference,
                p.amount_vnd,
                p.status.as_str()
            ),
        );
        let relief = FeeRelief { kind, amount_vnd: 0, legal_basis: "-".to_owned() };
        return Ok((Action::RecordFeeRelief { relief }, Attached { refusal: Some(refusal), ..Attached::default() }));
    }
    Ok(match FeeRelief::new(kind, b.amount_vnd, &b.legal_basis, fees) {
        Ok(relief) => {
            (Action::RecordFeeRelief { relief: relief.clone() }, Attached::payment(PaymentOp::Relief(relief)))
        }
        Err(e) => {
            // The rules still go first, on a placeholder.
            let relief = FeeRelief { kind, amount_vnd: 0, legal_basis: "-".to_owned() };
            let attached = Attached { refusal: Some(ApiError::from_domain_errors(vec![e], "")), ..Attached::default() };
            (Action::RecordFeeRelief { relief }, attached)
        }
    })
}

action_endpoint! {
    /// Record a cash or transfer payment (officer); resumes a dossier awaiting payment.
    ///
    /// It settles the pending obligation of that amount; with none, it is a
    /// new paid payment, which covers the fee lines it pays for when its
    /// amount is exactly what the dossier owes of its fees (all of them, or
    /// those collected at one stage), so that they are not asked for again.
    record_payment, operation_id = "record_payment", "/api/v1/dossiers/{code}/payments", PaymentIn, |b, conn, current| recorded_payment(conn, current, &b)
}

/// A payment recorded at the desk, and the fee lines it pays for.
fn recorded_payment(
    conn: &mut DbConnection,
    current: &StoredDossier,
    b: &PaymentIn,
) -> Result<(Action, Attached), ApiError> {
    let method = match b.method {
        RecordedMethod::Cash => PaymentMethod::Cash,
        RecordedMethod::Transfer => PaymentMethod::Transfer,
    };
    let reference = b.reference.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    let mut covered = None;
    for stage in [None, Some(FeeCollection::OnReceipt), Some(FeeCollection::OnResult)] {
        let owed = crate::payments::obligation(conn, current, stage)?;
        if !owed.lines.is_empty() && owed.amount_vnd == b.amount_vnd {
            covered = Some(owed);
            break;
        }
    }
    let (fee_lines, relief_vnd) = covered.map_or((Vec::new(), 0), |o| (o.lines, o.relief_vnd));
    let op = PaymentOp::Record { method, amount_vnd: b.amount_vnd, reference, fee_lines, relief_vnd };
    // A note too long was found at the door: answered with the move's own refusals.
    let note = payment_note(b).ok();
    Ok((Action::RecordPayment { amount_vnd: b.amount_vnd, note }, Attached::payment(op)))
}

action_endpoint! {
    /// Decide (approver): granted, or denied with a reason; with the result documents.
    resolve, operation_id = "resolve_dossier", "/api/v1/dossiers/{code}/resolve", ResolveIn, |b| (b.action(), Attached::documents(DocumentKind::Result, b.documents))
}

action_endpoint! {
    /// Return the result (officer), with the hand-over channel.
    return_result, operation_id = "return_result", "/api/v1/dossiers/{code}/return", ReturnIn, |b| (b.action(), Attached::default())
}

action_endpoint! {
    /// Withdraw the dossier (the applicant), at any status before it is resolved.
    withdraw, operation_id = "withdraw_dossier", "/api/v1/dossiers/{code}/withdraw", OptionalReasonIn, |b| (b.action(), Attached::default())
}

action_endpoint! {
    /// Stop handling the dossier (approver), with a reason.
    stop, operation_id = "stop_dossier", "/api/v1/dossiers/{code}/stop", StopIn, |b| (b.action(), Attached::default())
}

action_endpoint! {
    /// Apologise and promise a new date (approver), once, before the due instant.
    ///
    /// Changes the promised date, not the legal due instant.
    apologize, operation_id = "apologize_for_delay", "/api/v1/dossiers/{code}/apologize", ApologizeIn, |b| (b.action(), Attached::default())
}

/// The history note of a recorded payment: method, reference, note.
fn payment_note(b: &PaymentIn) -> Result<String, ApiError> {
    let method = match b.method {
        RecordedMethod::Cash => "cash",
        RecordedMethod::Transfer => "transfer",
    };
    let reference = b.reference.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reference.is_some_and(|r| r.chars().count() > 100) {
        return Err(ApiError::invalid_field("reference", ErrorCode::Length, "a reference is at most 100 characters"));
    }
    // The history note joins method, reference and note, and holds 2,000 characters.
    if b.note.as_deref().is_some_and(|n| n.trim().chars().count() > 1800) {
        return Err(ApiError::invalid_field("note", ErrorCode::Length, "a payment note is at most 1,800 characters"));
    }
    let mut note = method.to_owned();
    if let Some(r) = reference {
        note.push_str(&format!(", ref {r}"));
    }
    if let Some(n) = b.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        note.push_str(&format!(": {n}"));
    }
    Ok(note)
}

// ---- documents ----

/// Download a document of a dossier (whoever may read the dossier).
#[utoipa::path(operation_id = "download_document", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code"), ("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "The content as uploaded, with its media type in `Content-Type`, its SHA-256 in `X-Content-SHA256` and its file name in `Content-Disposition`", content_type = "*/*", body = crate::export::DocumentContent)))]
#[get("/api/v1/dossiers/{code}/documents/{id}")]
pub async fn download_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code, id) = path.into_inner();
    let (doc, content) = state
        .db(move |conn| {
            readable(conn, &caller.0, &code)?;
            Ok::<_, ApiError>(dossiers::document_content(conn, &code, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(doc.media_type.as_str())
        .insert_header(("X-Content-SHA256", doc.sha256.clone()))
        .insert_header(content_disposition(&doc.name))
        .body(content))
}

/// Whether an upload's `Content-Type` may be a file's: not JSON, not an
/// HTML form's encoding (those bodies describe a file, they are not one).
fn is_file_media_type(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    !(essence == "application/json"
        || essence == "text/json"
        || essence.ends_with("+json")
        || essence == "multipart/form-data"
        || essence == "application/x-www-form-urlencoded")
}

/// Whether a body is a JSON array of numbers: what a client sends when it
/// writes a file's bytes as JSON (`[37,80,68,70]`).
fn is_json_byte_array(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
        && serde_json::from_slice::<Vec<serde_json::Number>>(body).is_ok_and(|n| !n.is_empty())
}

/// `attachment` with the original file name (RFC 6266): `filename*` in
/// UTF-8 for every client that reads it, and an ASCII `filename` for the
/// rest (each other character as `_`).
fn content_disposition(name: &str) -> actix_web::http::header::ContentDisposition {
    use actix_web::http::header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The procedure component the document answers.
    pub component_code: String,
    /// The file name to show (not blank, at most 255 characters; checked
    /// with the bytes and their media type, in the handler).
    #[param(min_length = 1, max_length = 255, pattern = r"[^\s\u0085]")]
    pub name: String,
    /// Digitised from paper (số hóa).
    #[serde(default)]
    pub digitised: bool,
    /// Reused from the citizen's data store.
    #[serde(default)]
    pub reused: bool,
}

/// Upload a document for a component.
///
/// The body is the file's bytes as they are, its `Content-Type` the
/// document's media type: the usual ones are listed; any other media type is
/// taken too, except JSON (`application/json`, `*/*+json`) and HTML forms
/// (`multipart/form-data`, `application/x-www-form-urlencoded`), refused with
/// 415 `unsupported_media_type`: such a body is a description of a file, not
/// the file. A body that is a JSON array of numbers (a file's bytes written
/// as JSON) is refused with 422 whatever its `Content-Type`.
/// Stored once per SHA-256. The applicant uploads while the dossier is
/// submitted or awaiting a supplement; staff of its agencies while it is open.
/// Above `DVC_MAX_DOCUMENT_BYTES`: 413.
#[utoipa::path(
    operation_id = "upload_document",
    post,
    path = "/api/v1/dossiers/{code}/documents",
    tag = "dossiers",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code"), UploadParams),
    request_body(
        description = "The document's bytes, in its own media type",
        content(
            (crate::export::DocumentContent = "application/pdf"),
            (crate::export::DocumentContent = "image/jpeg"),
            (crate::export::DocumentContent = "image/png"),
            (crate::export::DocumentContent = "image/tiff"),
            (crate::export::DocumentContent = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (crate::export::DocumentContent = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (crate::export::DocumentContent = "application/xml"),
            (crate::export::DocumentContent = "application/octet-stream")
        )
    ),
    responses(
        (status = 201, body = DocumentOut),
        (status = 415, description = "`unsupported_media_type`: a JSON or form body instead of the file's bytes", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
pub async fn upload_document(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    code: web::Path<String>,
    params: crate::extract::Query<UploadParams>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let params = params.into_inner();
    let media_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    if !is_file_media_type(&media_type) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "a document is uploaded as the file's bytes with its own media type (application/pdf, image/jpeg, …), not as {}",
                media_type.split(';').next().unwrap_or_default().trim()
            ),
        ));
    }
    let mut invalid = Invalid::default();
    if is_json_byte_array(&body) {
        invalid.push(
            "body",
            ErrorCode::JsonByteArray,
            "the body is a JSON array of numbers: send the file's bytes as they are, not written as JSON",
        );
    }
    if !submit::valid_media_type(&media_type) {
        invalid.push("Content-Type", ErrorCode::InvalidMediaType, "a media type such as application/pdf");
    }
    if body.is_empty() {
        invalid.push("body", ErrorCode::Empty, "the document is empty");
    }
    if params.name.trim().is_empty() || params.name.chars().count() > 255 {
        invalid.push("name", ErrorCode::Length, "a document name is 1–255 characters");
    }
    invalid.finish()?;
    let actor = caller.0;
    let now = state.now();
    let row = state
        .db(move |conn| {
            let d = readable(conn, &actor, &code)?;
            let access = Access::of(conn, &actor, &d)?;
            use dvc_domain::dossier::Status::*;
            let may = if access.is_applicant {
                matches!(d.state.status, Submitted | AwaitingSupplement)
            } else if matches!(actor.role, Role::Officer | Role::Approver) && access.in_agency_scope {
                !d.state.status.is_final()
            } else {
                return Err(ApiError::forbidden(
                    "dossiers:documents",
                    "only the applicant or the agency's staff add documents",
                ));
            };
            if !may {
                return Err(ApiError::conflict(
                    ErrorCode::DocumentsClosed,
                    format!("documents cannot be added to a dossier that is {}", d.state.status.as_str()),
                ));
            }
            let pinned = dvc_persistence::procedures::version(conn, &d.procedure_code, d.procedure_version)?;
            if !pinned.version.content.components.iter().any(|c| c.code == params.component_code) {
                return Err(ApiError::invalid_field(
                    "component_code",
                    ErrorCode::UnknownComponent,
                    "not a component of the procedure version",
                ));
            }
            let mut marks = Vec::new();
            if params.digitised {
                marks.push("digitised");
            }
            if params.reused {
                marks.push("reused");
            }
            let note = format!(
                "{}: {}{}",
                params.component_code,
                params.name.trim(),
                if marks.is_empty() { String::new() } else { format!(" ({})", marks.join(", ")) }
            );
            let doc = submit::new_document(
                DocumentKind::Component,
                Some(params.component_code),
                &params.name,
                &media_type,
                body.to_vec(),
                params.digitised,
                params.reused,
                &actor,
                now,
            );
            let step = NewHistory {
                action: dvc_domain::dossier::Step::UploadDocument,
                from: Some(d.state.status),
                to: d.state.status,
                actor: actor.clone(),
                at: now,
                note: Some(note),
                step_deadline: None,
            };
            Ok(dossiers::add_document(conn, &d.code, &doc, &step)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(DocumentOut::from(row)))
}
