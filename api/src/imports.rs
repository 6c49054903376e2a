//! `POST /api/v1/imports/dossiers`: dossiers with their whole history, from
//! an older one-stop system (and for tests and benchmarks). Each history is
//! replayed through the state machine on the working calendar; the valid
//! dossiers are imported, the others reported with their reason.

use actix_web::{post, web};
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::{Actor, Role};
use dvc_domain::dossier::{replay, Action, ActionKind, DossierState, ReturnChannel, Status, SupplementItem, TimeLimit};
use dvc_domain::dossier::{DocumentKind, DossierCode};
use dvc_domain::payment::PaymentMethod;
use dvc_persistence::dossiers::{self, NewDossier, NewHistory};
use dvc_persistence::{calendars, figures, payments, procedures, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dossiers::access::transition_error;
use crate::dossiers::submit::{self, DEFAULT_CALENDAR};
use crate::dossiers::types::{ApplicantDto, ChannelDto, DocumentIn, OutcomeDto, ReturnChannelDto};
use crate::error::{ApiError, FieldError};
use crate::ratings::Overall;
use crate::state::AppState;
use crate::time::today;
use dvc_domain::ErrorCode;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import);
}

/// A recorded move, by the name of the dossier's action (`payments` is a
/// payment). `fee-relief` is listed so that its dossier is rejected with
/// `not_importable` and the way to record it: an exemption or reduction is
/// recorded on the dossier once imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportAction {
    Receive,
    Refuse,
    RequestSupplement,
    Supplement,
    HandOff,
    RequestPayment,
    #[serde(rename = "payments")]
    RecordPayment,
    #[serde(rename = "fee-relief")]
    RecordFeeRelief,
    Resolve,
    Return,
    Withdraw,
    Stop,
    Apologize,
}

impl From<ImportAction> for ActionKind {
    fn from(a: ImportAction) -> Self {
        match a {
            ImportAction::Receive => Self::Receive,
            ImportAction::Refuse => Self::Refuse,
            ImportAction::RequestSupplement => Self::RequestSupplement,
            ImportAction::Supplement => Self::Supplement,
            ImportAction::HandOff => Self::HandOff,
            ImportAction::RequestPayment => Self::RequestPayment,
            ImportAction::RecordPayment => Self::RecordPayment,
            ImportAction::RecordFeeRelief => Self::RecordFeeRelief,
            ImportAction::Resolve => Self::Resolve,
            ImportAction::Return => Self::Return,
            ImportAction::Withdraw => Self::Withdraw,
            ImportAction::Stop => Self::Stop,
            ImportAction::Apologize => Self::Apologize,
        }
    }
}

/// How a recorded payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportedMethod {
    Cash,
    Transfer,
    Online,
}

/// One recorded move.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EventIn {
    pub action: ImportAction,
    pub at: DateTime<FixedOffset>,
    #[serde(default)]
    pub actor_id: Option<String>,
    #[serde(default)]
    pub actor_name: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub outcome: Option<OutcomeDto>,
    #[serde(default)]
    pub to_agency: Option<String>,
    #[serde(default)]
    pub amount_vnd: Option<i64>,
    #[serde(default)]
    pub reply_by: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub new_date: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub channel: Option<ReturnChannelDto>,
    /// For `payments` (cash when absent).
    #[serde(default)]
    pub method: Option<ImportedMethod>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RatingImport {
    #[schema(schema_with = crate::ratings::criteria_schema)]
    pub criteria: Vec<u8>,
    pub overall: Overall,
    pub at: DateTime<FixedOffset>,
}

/// A dossier and its history.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ImportDossier {
    /// The code in the older system (kept as the external code).
    #[serde(default)]
    pub external_code: Option<String>,
    pub procedure: String,
    /// The receiving agency.
    pub agency: String,
    pub channel: ChannelDto,
    pub applicant: ApplicantDto,
    pub summary: String,
    pub submitted_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub events: Vec<EventIn>,
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
    #[serde(default)]
    pub rating: Option<RatingImport>,
}

/// A batch of at most 1,000 dossiers (more is refused whole). Each dossier
/// is judged on its own: an invalid one is rejected in the answer while the
/// others are imported.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportIn {
    /// At most 1,000 per request.
    pub dossiers: Vec<ImportDossier>,
}

impl validator::Validate for ImportIn {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        let mut report = crate::check::Report::default();
        if self.dossiers.len() > 1000 {
            report.add("dossiers", ErrorCode::TooMany, "at most 1,000 dossiers per request");
        }
        report.finish()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub index: usize,
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rejected {
    pub index: usize,
    /// The event at fault, if one.
    pub event: Option<usize>,
    /// The problem's code, or the first invalid field's.
    #[schema(value_type = crate::error::ErrorCodeSchema)]
    pub code: ErrorCode,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    pub imported: Vec<Imported>,
    pub rejected: Vec<Rejected>,
}

fn need<T>(v: Option<T>, field: &str) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::invalid_field(field, ErrorCode::Required, format!("{field} is required for this action")))
}

fn action_of(e: &EventIn) -> Result<(Action, Option<PaymentMethod>), ApiError> {
    let note = e.note.clone();
    Ok(match ActionKind::from(e.action) {
        ActionKind::Receive => (Action::Receive { note }, None),
        ActionKind::Refuse => (Action::Refuse { reason: need(e.reason.clone(), "reason")? }, None),
        ActionKind::RequestSupplement => (
            Action::RequestSupplement {
                items: vec![SupplementItem {
                    component_code: "*".into(),
                    problem: e.reason.clone().or(note.clone()).unwrap_or_else(|| "bổ sung".into()),
                }],
                reply_by: need(e.reply_by, "reply_by")?.to_utc(),
                note,
            },
            None,
        ),
        ActionKind::Supplement => (Action::Supplement { note }, None),
        ActionKind::HandOff => {
            let to = AgencyCode::parse(&need(e.to_agency.clone(), "to_agency")?)
                .map_err(|err| ApiError::invalid_field("to_agency", err.code, err.message))?;
            (Action::HandOff { to_agency: to, to_officer: None, step_deadline: None, note }, None)
        }
        ActionKind::RequestPayment => {
            (Action::RequestPayment { amount_vnd: need(e.amount_vnd, "amount_vnd")?, note }, None)
        }
        ActionKind::RecordPayment => {
            let method = match e.method.unwrap_or(ImportedMethod::Cash) {
                ImportedMethod::Cash => PaymentMethod::Cash,
                ImportedMethod::Transfer => PaymentMethod::Transfer,
                ImportedMethod::Online => PaymentMethod::Online,
            };
            (Action::RecordPayment { amount_vnd: need(e.amount_vnd, "amount_vnd")?, note }, Some(method))
        }
        ActionKind::RecordFeeRelief => {
            return Err(ApiError::invalid_field(
                "action",
                ErrorCode::NotImportable,
                "an exemption or reduction is recorded on the dossier (POST /api/v1/dossiers/{code}/fee-relief)",
            ))
        }
        ActionKind::Resolve => {
            (Action::Resolve { outcome: need(e.outcome, "outcome")?.into(), reason: e.reason.clone() }, None)
        }
        ActionKind::Return => {
            (Action::Return { channel: e.channel.map_or(ReturnChannel::InPerson, Into::into), note }, None)
        }
        ActionKind::Withdraw => (Action::Withdraw { reason: e.reason.clone() }, None),
        ActionKind::Stop => (Action::Stop { reason: need(e.reason.clone(), "reason")?, cause: None }, None),
        ActionKind::Apologize => (
            Action::Apologize {
                reason: need(e.reason.clone(), "reason")?,
                new_date: need(e.new_date, "new_date")?.to_utc(),
            },
            None,
        ),
    })
}

/// The past actor of an event: who the record names, as an officer of the agency.
fn actor_of(e: &EventIn, agency: &AgencyCode, importer: &Actor) -> Actor {
    Actor {
        id: e.actor_id.clone().unwrap_or_else(|| importer.id.clone()),
        role: Role::Officer,
        agency: Some(agency.clone()),
        name: e.actor_name.clone().unwrap_or_else(|| format!("imported by {}", importer.name)),
    }
}

struct Prepared {
    new: NewDossier,
    payments: Vec<(PaymentMethod, i64, DateTime<Utc>)>,
    rating: Option<([u8; 9], Overall, DateTime<Utc>)>,
}

/// What a batch looks up once rather than once per dossier: procedure
/// versions in force by day, known agencies, the calendar.
#[derive(Default)]
struct Lookups {
    versions: HashMap<(String, NaiveDate), Option<procedures::StoredVersion>>,
    agencies: HashMap<String, bool>,
    calendar: Option<std::sync::Arc<dvc_domain::calendar::WorkingCalendar>>,
}

impl Lookups {
    fn version(
        &mut self,
        conn: &mut DbConnection,
        code: &dvc_domain::procedure::ProcedureCode,
        day: NaiveDate,
    ) -> Result<Option<procedures::StoredVersion>, ApiError> {
        let key = (code.to_string(), day);
        if let Some(v) = self.versions.get(&key) {
            return Ok(v.clone());
        }
        let v = procedures::in_force(conn, code, day)?;
        self.versions.insert(key, v.clone());
        Ok(v)
    }

    fn agency_exists(&mut self, conn: &mut DbConnection, agency: &AgencyCode) -> Result<bool, ApiError> {
        if let Some(known) = self.agencies.get(agency.as_str()) {
            return Ok(*known);
        }
        let known = dvc_persistence::agencies::exists(conn, agency)?;
        self.agencies.insert(agency.to_string(), known);
        Ok(known)
    }

    fn calendar(
        &mut self,
        conn: &mut DbConnection,
    ) -> Result<std::sync::Arc<dvc_domain::calendar::WorkingCalendar>, ApiError> {
        if let Some(c) = &self.calendar {
            return Ok(c.clone());
        }
        let c = calendars::working(conn, DEFAULT_CALENDAR)?;
        self.calendar = Some(c.clone());
        Ok(c)
    }
}

fn prepare(
    conn: &mut DbConnection,
    lookups: &mut Lookups,
    d: &ImportDossier,
    importer: &Actor,
    max_doc: usize,
    now: DateTime<Utc>,
) -> Result<Prepared, (Option<usize>, ApiError)> {
    let whole = |e: ApiError| (None, e);
    let code = dvc_domain::procedure::ProcedureCode::parse_any(&d.procedure)
        .map_err(|e| whole(ApiError::invalid_field("procedure", e.code, e.message)))?;
    let submitted = d.submitted_at.to_utc();
    if submitted > now {
        return Err(whole(ApiError::invalid_field(
            "submitted_at",
            ErrorCode::InTheFuture,
            "an imported dossier was submitted already",
        )));
    }
    if !DossierCode::YEARS.contains(&chrono::Datelike::year(&today(submitted))) {
        return Err(whole(ApiError::invalid_field(
            "submitted_at",
            ErrorCode::OutOfRange,
            "a dossier code holds the years 2000–2099: a dossier submitted before 2000 is not imported",
        )));
    }
    let version = lookups.version(conn, &code, today(submitted)).map_err(whole)?.ok_or_else(|| {
        whole(ApiError::invalid_field(
            "procedure",
            ErrorCode::ProcedureNotInForce,
            format!("no version of {code} in force on {}", today(submitted)),
        ))
    })?;
    let agency =
        AgencyCode::parse(&d.agency).map_err(|e| whole(ApiError::invalid_field("agency", e.code, e.message)))?;
    if !lookups.agency_exists(conn, &agency).map_err(whole)? {
        return Err(whole(ApiError::invalid_field("agency", ErrorCode::UnknownAgency, format!("no agency {agency}"))));
    }
    let applicant = submit::applicant(&d.applicant).map_err(whole)?;
    let docs = submit::documents(
        &d.documents,
        "documents",
        DocumentKind::Component,
        Some(&version),
        submit::Sources::Import,
        submit::Filer { actor: importer, now: submitted, max_bytes: max_doc },
    )
    .map_err(whole)?;
    let calendar = lookups.calendar(conn).map_err(whole)?;
    let content = &version.version.content;
    let channel: dvc_domain::dossier::Channel = d.channel.into();
    let amount = match (channel.is_online(), content.processing_time.online_amount) {
        (true, Some(a)) => a,
        _ => content.processing_time.amount,
    };
    let limit = TimeLimit { amount, unit: content.processing_time.unit, same_day: content.processing_time.same_day };
    let mut state = DossierState::submitted(agency.clone(), limit);
    let mut history = vec![NewHistory {
        action: dvc_domain::dossier::Step::Submit,
        from: None,
        to: Status::Submitted,
        actor: Actor { id: importer.id.clone(), role: importer.role, agency: None, name: importer.name.clone() },
        at: submitted,
        note: Some(format!("imported: {}", d.summary.trim())),
        step_deadline: None,
    }];
    let mut last = submitted;
    let mut closed_at = None;
    let mut paid = Vec::new();
    for (i, e) in d.events.iter().enumerate() {
        let at = e.at.to_utc();
        let fail = |err: ApiError| (Some(i), err);
        if at < last {
            return Err(fail(ApiError::invalid_field(
                "at",
                ErrorCode::OutOfOrder,
                "events are in time order, after the submission",
            )));
        }
        if at > now {
            return Err(fail(ApiError::invalid_field("at", ErrorCode::InTheFuture, "an imported event has happened")));
        }
        last = at;
        let (action, method) = action_of(e).map_err(fail)?;
        let t =
            replay(&state, &action, at, &calendar).map_err(|err| fail(transition_error("imported dossier", err)))?;
        if let (Some(m), Action::RecordPayment { amount_vnd, .. }) = (method, &action) {
            paid.push((m, *amount_vnd, at));
        }
        if closed_at.is_none() && t.to.closes() {
            closed_at = Some(at);
        }
        history.push(NewHistory {
            action: t.action.into(),
            from: Some(t.from),
            to: t.to,
            actor: actor_of(e, &agency, importer),
            at,
            note: t.note,
            step_deadline: t.step_deadline,
        });
        state = t.state;
    }
    let rating = match &d.rating {
        None => None,
        Some(r) => {
            let criteria: [u8; 9] = r.criteria.clone().try_into().map_err(|_| {
                whole(ApiError::invalid_field("rating.criteria", ErrorCode::NineCriteria, "nine criteria"))
            })?;
            if criteria.iter().any(|c| *c > 2) || state.status != Status::Returned {
                return Err(whole(ApiError::invalid_field(
                    "rating",
                    ErrorCode::InvalidRating,
                    "criteria are 0–2, and only a returned dossier is rated",
                )));
            }
            Some((criteria, r.overall, r.at.to_utc()))
        }
    };
    let received = state.received_at;
    let known = dvc_persistence::figures::Known {
        paid_by: paid.iter().map(|(m, _, _)| m.as_str().to_owned()).collect(),
        rating: rating.map(|(_, overall, at)| (at, dvc_domain::rating::Overall::from(overall).is_satisfied())),
    };
    Ok(Prepared {
        new: NewDossier {
            external_code: d.external_code.clone(),
            channel,
            procedure_code: code.clone(),
            procedure_version: version.version.version,
            sector_code: content.sector.code.clone(),
            applicant,
            owner_sub: None,
            submitter_name: None,
            summary: d.summary.trim().to_owned(),
            calendar_id: DEFAULT_CALENDAR.to_owned(),
            state,
            submitted_at: submitted,
            code_date: today(received.unwrap_or(submitted)),
            history,
            documents: docs,
            now,
            level: content.level,
            closed_at,
            publish: false,
            // An import of earlier records tells nobody.
            notify: dvc_domain::notify::Channels::default(),
            check: None,
            lookups: Vec::new(),
            count: false,
            // Counted as it is written, with its payments and rating.
            known: Some(known),
        },
        payments: paid,
        rating,
    })
}

/// Import dossiers with their history (admin, integrator).
///
/// Each history is checked against the state machine and the calendar
/// (reception, deadlines, pauses, one supplement request while processing,
/// one apology); valid dossiers are imported, invalid ones reported with the
/// event at fault and the reason. Imported history is not sent to the
/// national portal.
#[utoipa::path(operation_id = "import_dossiers", tag = "imports", security(("bearer" = [])), request_body = ImportIn, responses((status = 200, body = ImportOut)))]
#[post("/api/v1/imports/dossiers")]
pub async fn import(
    state: web::Data<AppState>,
    caller: crate::auth::Caller,
    body: crate::extract::Json<ImportIn>,
) -> Result<web::Json<ImportOut>, ApiError> {
    if !matches!(caller.0.role, Role::Admin | Role::Integrator) {
        return Err(ApiError::forbidden("imports:write", "imports are for admins and integrators"));
    }
    let batch = body.into_inner().dossiers;
    // What the document says of a body is refused as a whole (422), like any
    // other operation's; the batch's own rules reject one dossier at a time.
    let now = state.now();
    let max_doc = state.config.max_document_bytes;
    let importer = caller.0;
    let mut shapeless: Vec<FieldError> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((i, d.rating.as_ref()?)))
        .filter(|(_, r)| r.criteria.len() != 9 || r.criteria.iter().any(|c| *c > 2))
        .map(|(i, _)| FieldError {
            field: format!("dossiers[{i}].rating.criteria"),
            code: ErrorCode::NineCriteria,
            message: "nine criteria, each 0, 1 or 2".into(),
        })
        .collect();
    // The applicant's channels are of the document's closed set.
    for (i, d) in batch.iter().enumerate() {
        for (j, c) in d.applicant.notify_by.iter().flatten().enumerate() {
            if dvc_domain::notify::NotifyChannel::parse(c).is_none() {
                shapeless.push(FieldError {
                    field: format!("dossiers[{i}].applicant.notify_by[{j}]"),
                    code: ErrorCode::UnknownChannel,
                    message: "a channel is email, sms or zalo".into(),
                });
            }
        }
    }
    // The documents' own shape (name, media type, content, no data-store
    // code), before any history is replayed; their components are checked
    // against the procedure's version with the dossier.
    let filer = submit::Filer { actor: &importer, now, max_bytes: max_doc };
    for (i, d) in batch.iter().enumerate() {
        let field = format!("dossiers[{i}].documents");
        match submit::documents(&d.documents, &field, DocumentKind::Component, None, submit::Sources::Import, filer) {
            Err(e) if e.errors.is_empty() => return Err(e),
            Err(e) => shapeless.extend(e.errors.iter().cloned()),
            Ok(_) => {}
        }
    }
    if !shapeless.is_empty() {
        return Err(ApiError::validation(shapeless));
    }
    let out = state.db(move |conn| import_batch(conn, &batch, &importer, max_doc, now)).await?;
    Ok(web::Json(out))
}

/// Imports a batch: each valid dossier with its history, payments and
/// rating; each invalid one reported. Shared by the endpoint and `dvc seed`.
pub fn import_batch(
    conn: &mut DbConnection,
    batch: &[ImportDossier],
    importer: &Actor,
    max_doc: usize,
    now: DateTime<Utc>,
) -> Result<ImportOut, ApiError> {
    // The history's months it brings, each with its partition (PostgreSQL),
    // created before the batch's transaction.
    let instants = batch.iter().flat_map(|d| std::iter::once(d.submitted_at).chain(d.events.iter().map(|e| e.at)));
    dvc_persistence::history::ensure_months(
        conn,
        &[dvc_persistence::history::Monthly::History],
        instants.map(|t| t.to_utc()),
    )?;
    // One transaction for the batch (each dossier a savepoint inside it):
    // one commit instead of one per dossier.
    dvc_persistence::write_transaction_as(conn, |conn| import_in_transaction(conn, batch, importer, max_doc, now))
}

fn import_in_transaction(
    conn: &mut DbConnection,
    batch: &[ImportDossier],
    importer: &Actor,
    max_doc: usize,
    now: DateTime<Utc>,
) -> Result<ImportOut, ApiError> {
    let mut lookups = Lookups::default();
    let mut rejected = Vec::new();
    let mut valid = Vec::new();
    for (index, d) in batch.iter().enumerate() {
        match prepare(conn, &mut lookups, d, importer, max_doc, now) {
            Ok(p) => valid.push((index, p)),
            Err((event, e)) => {
                let reason = match e.errors.first() {
                    Some(f) => format!("{}: {}", f.field, f.message),
                    None => e.detail.clone(),
                };
                let code = e.errors.first().map_or(e.code, |f| f.code);
                rejected.push(Rejected { index, event, code, reason });
            }
        }
    }
    let news: Vec<NewDossier> = valid.iter().map(|(_, p)| p.new.clone()).collect();
    let created = dossiers::create_batch(conn, &news)?;
    let mut imported = Vec::new();
    let mut settled = Vec::new();
    let mut ratings = Vec::new();
    for ((index, p), (code, new)) in valid.into_iter().zip(created) {
        // A dossier imported before (same external code) keeps what it has.
        if new {
            settled.extend(p.payments.iter().map(|(method, amount, at)| (code.clone(), *method, *amount, *at)));
            if let Some((criteria, overall, at)) = p.rating {
                ratings.push((code.to_string(), criteria, overall.into(), at));
            }
        }
        imported.push(Imported { index, code: code.to_string() });
    }
    payments::insert_settled(conn, &settled, &importer.id)?;
    figures::insert_ratings(conn, &ratings, None, &importer.id)?;
    Ok(ImportOut { imported, rejected })
}
