//! Turning a submission into a new dossier: the pinned procedure version,
//! the receiving agency, the applicant, the documents and the first history.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::Actor;
use dvc_domain::dossier::DocumentKind;
use dvc_domain::dossier::{Applicant, ApplicantKind, Channel, DossierState, Status, TimeLimit};
use dvc_domain::notify::NotifyChannel;
use dvc_domain::procedure::{ProcedureCode, ServiceLevel, SubmissionChannel};
use dvc_persistence::dossiers::{ApplicantRecord, NewDocument, NewDossier, NewHistory};
use dvc_persistence::procedures::{self, StoredVersion};
use dvc_persistence::{agencies, calendars, DbConnection, StoreError};
use sha2::{Digest, Sha256};

use super::types::{ApplicantDto, AuthorisationIn, DocumentIn, PortalDossierIn, SubmitIn, SubmitterIn};
use crate::check::Report;
use crate::connectors::check::{Checked, Fetched};
use crate::error::{ApiError, FieldError};
use crate::invalid::Invalid;
use crate::time::today;
use dvc_domain::registry::LookupError;
use dvc_domain::ErrorCode;
use validator::{Validate, ValidationErrors};

pub const DEFAULT_CALENDAR: &str = "default";

/// The applicant, validated at the door (every invalid field reported).
pub fn applicant(dto: &ApplicantDto) -> Result<ApplicantRecord, ApiError> {
    let a = Applicant::new(
        dto.kind.into(),
        &dto.id_number,
        &dto.name,
        dto.phone.as_deref(),
        dto.email.as_deref(),
        dto.address.as_deref(),
    )
    .map_err(|errors| ApiError::from_domain_errors(errors, "applicant"))?;
    if let Some(born) = dto.date_of_birth {
        if a.kind != ApplicantKind::Citizen {
            return Err(ApiError::invalid_field(
                "applicant.date_of_birth",
                ErrorCode::NotApplicable,
                "only a citizen applicant has a date of birth",
            ));
        }
        let earliest = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
        if born < earliest || born > Utc::now().date_naive() {
            return Err(ApiError::invalid_field(
                "applicant.date_of_birth",
                ErrorCode::OutOfRange,
                "a date of birth lies between 1900-01-01 and today",
            ));
        }
    }
    let notify_by = notify_by(dto.notify_by.as_deref(), a.phone.is_some(), a.email.is_some())?;
    Ok(ApplicantRecord {
        notify_by,
        kind: a.kind,
        id_number: a.id_number().to_owned(),
        name: a.name.clone(),
        phone: a.phone.clone(),
        email: a.email.clone(),
        address: a.address.clone(),
        date_of_birth: dto.date_of_birth,
    })
}

/// The channels an applicant chose to be told on (docs/RULES.md §12):
/// each known, at most once, with its contact given.
fn notify_by(chosen: Option<&[String]>, phone: bool, email: bool) -> Result<Option<Vec<NotifyChannel>>, ApiError> {
    let Some(chosen) = chosen else { return Ok(None) };
    let mut errors = Vec::new();
    let mut out: Vec<NotifyChannel> = Vec::new();
    for (i, name) in chosen.iter().enumerate() {
        let field = format!("applicant.notify_by[{i}]");
        match NotifyChannel::parse(name) {
            None => errors.push(FieldError {
                field,
                code: ErrorCode::UnknownChannel,
                message: format!("{name:?} is not a channel: email, sms or zalo"),
            }),
            Some(c) if out.contains(&c) => errors.push(FieldError {
                field,
                code: ErrorCode::Duplicate,
                message: format!("{name} is listed twice"),
            }),
            Some(c) => {
                let (has, contact) = match c {
                    NotifyChannel::Email => (email, "email"),
                    NotifyChannel::Sms | NotifyChannel::Zalo => (phone, "phone"),
                };
                if !has {
                    errors.push(FieldError {
                        field,
                        code: ErrorCode::NoContact,
                        message: format!("{name} needs the applicant's {contact}"),
                    });
                }
                out.push(c);
            }
        }
    }
    if errors.is_empty() {
        Ok(Some(out))
    } else {
        Err(ApiError::validation(errors))
    }
}

/// How a batch of documents may say where they come from.
#[derive(Clone, Copy)]
pub enum Sources<'a> {
    /// Uploaded only: `data_store_code` and `reused` are refused.
    Uploads,
    /// On submission: documents named by `data_store_code`, fetched before.
    Submission(&'a Fetched),
    /// An import of an earlier system's records: its `reused` marks are kept.
    Import,
}

/// The most documents one request files.
pub const MAX_DOCUMENTS: usize = 50;

/// The codes of the documents a submission reuses from the data store
/// (those sent without content).
pub fn data_store_codes(docs: &[DocumentIn]) -> Vec<String> {
    docs.iter().filter(|d| d.content_base64.is_none()).filter_map(|d| d.data_store_code.clone()).collect()
}

/// A document's code in the data store: 1–100 visible ASCII characters.
pub fn valid_data_store_code(code: &str) -> bool {
    (1..=100).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_graphic())
}

/// Who files documents, when, and the largest a document may be.
#[derive(Clone, Copy)]
pub struct Filer<'a> {
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    pub max_bytes: usize,
}

/// The checks of a list of documents that need nothing but the request:
/// how many, and each one's name, media type, source and content (see
/// `crate::check`). [`documents`] makes them again, for the imports, whose
/// documents are judged one dossier at a time.
pub fn document_fields(docs: &[DocumentIn], field: &str, sources: Sources) -> Result<(), ApiError> {
    if docs.len() > MAX_DOCUMENTS {
        return Err(ApiError::invalid_field(field, ErrorCode::TooMany, "at most 50 documents at once"));
    }
    let mut errors = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let mut fail = |f: &str, code: ErrorCode, message: &str| {
            errors.push(FieldError { field: format!("{field}[{i}].{f}"), code, message: message.into() })
        };
        // A document from the data store brings its own media type, and its
        // name unless the applicant gives one.
        let from_store = d.data_store_code.is_some() && d.content_base64.is_none();
        if (d.name.trim().is_empty() && !from_store) || d.name.chars().count() > 255 {
            fail("name", ErrorCode::Length, "a document name is 1–255 characters");
        }
        if !(from_store || valid_media_type(&d.media_type)) {
            fail("media_type", ErrorCode::InvalidMediaType, "a media type such as application/pdf");
        }
        if d.reused && d.data_store_code.is_none() && !matches!(sources, Sources::Import) {
            fail(
                "reused",
                ErrorCode::ReusedWithoutSource,
                "a document is marked reused when dvc fetches it from the data store: name it by data_store_code",
            );
        }
        if d.data_store_code.as_deref().is_some_and(|c| !valid_data_store_code(c)) {
            fail("data_store_code", ErrorCode::InvalidDataStoreCode, "1–100 visible ASCII characters");
        }
        match (&d.content_base64, &d.data_store_code, sources) {
            (Some(_), Some(_), _) => {
                fail("data_store_code", ErrorCode::Conflict, "send content_base64 or data_store_code, not both")
            }
            (None, None, _) => fail(
                "content_base64",
                ErrorCode::Required,
                "send the content, or data_store_code for a document in the data store",
            ),
            (None, Some(_), Sources::Uploads | Sources::Import) => fail(
                "data_store_code",
                ErrorCode::NotSupportedHere,
                "documents are reused from the data store on submission",
            ),
            (None, Some(_), Sources::Submission(_)) => {}
            (Some(b64), None, _) => match STANDARD.decode(b64.as_bytes()) {
                Ok(content) if content.is_empty() => fail("content_base64", ErrorCode::Empty, "the document is empty"),
                Ok(_) => {}
                Err(_) => fail("content_base64", ErrorCode::InvalidBase64, "not base64 (standard alphabet, padded)"),
            },
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Decodes the documents and makes the checks that need more than the
/// request (after [`document_fields`]): component codes must be the pinned
/// version's, documents from the data store must have been fetched, and no
/// document may be larger than the limit.
pub fn documents(
    docs: &[DocumentIn],
    field: &str,
    kind: DocumentKind,
    version: Option<&StoredVersion>,
    sources: Sources,
    by: Filer,
) -> Result<Vec<NewDocument>, ApiError> {
    let Filer { actor, now, max_bytes } = by;
    let mut errors = match document_fields(docs, field, sources) {
        Ok(()) => Vec::new(),
        Err(e) if docs.len() > MAX_DOCUMENTS => return Err(e),
        Err(e) => e.errors.clone(),
    };
    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let mut fail = |f: &str, code: ErrorCode, message: &str| {
            errors.push(FieldError { field: format!("{field}[{i}].{f}"), code, message: message.into() })
        };
        if let Some(v) = version {
            if kind == DocumentKind::Component
                && !v.version.content.components.iter().any(|c| c.code == d.component_code)
            {
                fail("component_code", ErrorCode::UnknownComponent, "not a component of the procedure version");
            }
        }
        let stored = match (&d.data_store_code, sources) {
            (Some(code), Sources::Submission(fetched)) if d.content_base64.is_none() => {
                fetched.get(code).and_then(|r| r.as_ref().ok())
            }
            _ => None,
        };
        let name = match stored {
            Some(s) if d.name.trim().is_empty() => s.name.as_str(),
            _ => d.name.as_str(),
        };
        let media_type = stored.map_or(d.media_type.as_str(), |s| s.media_type.as_str());
        if stored.is_some() {
            // What the data store gave must hold as a sent document's would.
            if name.trim().is_empty() || name.chars().count() > 255 {
                fail("name", ErrorCode::Length, "a document name is 1–255 characters");
            }
            if !valid_media_type(media_type) {
                fail("media_type", ErrorCode::InvalidMediaType, "a media type such as application/pdf");
            }
        }
        let content = match (&d.content_base64, &d.data_store_code, sources) {
            (None, Some(code), Sources::Submission(fetched)) => match fetched.get(code) {
                Some(Ok(doc)) => Some((doc.content.clone(), Some(format!("data_store:{code}")))),
                Some(Err(LookupError::NotFound)) => {
                    fail(
                        "data_store_code",
                        ErrorCode::NotInDataStore,
                        "the applicant's data store holds no document with this code",
                    );
                    None
                }
                Some(Err(LookupError::NotConfigured)) => {
                    fail("data_store_code", ErrorCode::DataStoreNotConnected, "no data store is connected");
                    None
                }
                None => {
                    fail(
                        "data_store_code",
                        ErrorCode::NotFetched,
                        "not fetched from the data store while the request has other errors to correct",
                    );
                    None
                }
                Some(Err(e)) => {
                    fail(
                        "data_store_code",
                        ErrorCode::DataStoreUnavailable,
                        &format!("the data store did not give the document ({e}); try again, or upload it"),
                    );
                    None
                }
            },
            // Refused by document_fields when it does not decode.
            (Some(b64), None, _) => STANDARD.decode(b64.as_bytes()).ok().map(|content| (content, None)),
            _ => None,
        };
        match content {
            // An empty inline document was refused by document_fields.
            None => {}
            Some((content, None)) if content.is_empty() => {}
            Some((content, Some(_))) if content.is_empty() => {
                fail("content_base64", ErrorCode::Empty, "the document is empty")
            }
            Some((content, _)) if content.len() > max_bytes => {
                fail("content_base64", ErrorCode::TooLarge, "the document is too large")
            }
            Some((content, source)) => {
                let reused = d.reused || source.is_some();
                let mut doc = new_document(
                    kind,
                    Some(d.component_code.clone()),
                    name,
                    media_type,
                    content,
                    d.digitised,
                    reused,
                    actor,
                    now,
                );
                doc.source = source;
                out.push(doc);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(errors))
    }
}

#[allow(clippy::too_many_arguments)]
pub fn new_document(
    kind: DocumentKind,
    component_code: Option<String>,
    name: &str,
    media_type: &str,
    content: Vec<u8>,
    digitised: bool,
    reused: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> NewDocument {
    let sha256 = format!("{:x}", Sha256::digest(&content));
    NewDocument {
        kind,
        component_code,
        name: name.trim().to_owned(),
        media_type: media_type.trim().to_ascii_lowercase(),
        content,
        sha256,
        digitised,
        reused,
        uploaded_by: actor.id.clone(),
        at: now,
        source: None,
    }
}

pub fn valid_media_type(m: &str) -> bool {
    let m = m.trim();
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    m.len() <= 100
        && m.split_once('/').is_some_and(|(t, s)| token(t) && token(s.split(';').next().unwrap_or_default().trim()))
}

/// The authorisation a representative files, as a stored document.
pub fn authorisation(
    a: &AuthorisationIn,
    max_bytes: usize,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<NewDocument, ApiError> {
    let mut docs = documents(
        &[a.document()],
        AUTHORISATION,
        DocumentKind::Authorisation,
        None,
        Sources::Uploads,
        Filer { actor, now, max_bytes },
    )
    .map_err(as_authorisation)?;
    docs.pop().ok_or_else(|| ApiError::internal("no authorisation document"))
}

const AUTHORISATION: &str = "representative.authorisation";

/// The errors of the one-document list at the authorisation's own path.
fn as_authorisation(mut e: ApiError) -> ApiError {
    for f in &mut e.errors {
        f.field = f.field.replacen(&format!("{AUTHORISATION}[0]"), AUTHORISATION, 1);
    }
    e
}

/// What a submission says, checked at the door (see `crate::check`): who
/// may file, the database's references and the data store come after.
impl Validate for SubmitIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(applicant(&self.applicant));
        report.take(procedure(&self.procedure));
        report.take(self.agency.as_deref().map(receiving_agency).transpose());
        report.take(summary(&self.summary));
        report.take(document_fields(&self.documents, "documents", Sources::Submission(&Fetched::new())));
        if let Some(r) = &self.representative {
            report.take(
                document_fields(&[r.authorisation.document()], AUTHORISATION, Sources::Uploads)
                    .map_err(as_authorisation),
            );
        }
        if let Some(o) = &self.check_override {
            report.take(override_reason(&o.reason));
        }
        report.finish()
    }
}

impl Validate for PortalDossierIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(external_code(&self.external_code));
        if self.received_at.is_some_and(|r| r < self.submitted_at) {
            report.add("received_at", ErrorCode::OutOfOrder, "received_at lies between submitted_at and now");
        }
        report.take(applicant(&self.applicant));
        report.take(self.submitter.as_ref().map(portal_submitter).transpose());
        report.take(procedure(&self.procedure));
        report.take(self.agency.as_deref().map(receiving_agency).transpose());
        report.take(summary(&self.summary));
        report.take(document_fields(&self.documents, "documents", Sources::Submission(&Fetched::new())));
        report.finish()
    }
}

/// The national portal's code of a dossier: 1–64 visible ASCII characters.
pub fn external_code(code: &str) -> Result<String, ApiError> {
    let external = code.trim();
    if external.is_empty() || external.len() > 64 || !external.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid_field(
            "external_code",
            ErrorCode::InvalidExternalCode,
            "1–64 visible ASCII characters",
        ));
    }
    Ok(external.to_owned())
}

/// Why staff accept an applicant the national database disagrees with: 1–500 characters.
pub fn override_reason(reason: &str) -> Result<String, ApiError> {
    let r = reason.trim();
    if r.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid_field(
            "check_override.reason",
            ErrorCode::Length,
            "a reason is 1–500 characters",
        ));
    }
    Ok(r.to_owned())
}

fn procedure(code: &str) -> Result<ProcedureCode, ApiError> {
    ProcedureCode::parse_any(code).map_err(|e| ApiError::invalid_field("procedure", e.code, e.message))
}

fn receiving_agency(code: &str) -> Result<AgencyCode, ApiError> {
    AgencyCode::parse(code).map_err(|e| ApiError::invalid_field("agency", e.code, e.message))
}

fn summary(text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() || text.chars().count() > 2000 {
        return Err(ApiError::invalid_field("summary", ErrorCode::Length, "a summary is 1–2000 characters"));
    }
    Ok(())
}

/// Refuses a merged agency as the receiver of a new dossier or a hand-off,
/// naming (in `successor`) the agency that does its work now.
pub fn check_takes_dossiers(
    conn: &mut DbConnection,
    code: &AgencyCode,
    field: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let agency = match agencies::get(conn, code) {
        Ok(a) => a,
        Err(StoreError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if let Err(refused) = agency.check_takes_dossiers(at) {
        let now = agencies::current(conn, code)?;
        let mut e = ApiError::from(refused.at(field));
        for f in &mut e.errors {
            f.message = format!("{}; it takes no new dossier: send it to {now}", f.message);
        }
        e.extra.successor = Some(now.as_str().to_owned());
        return Err(e);
    }
    Ok(())
}

/// Who filed a dossier, apart from its applicant.
pub struct Submitter {
    pub id: String,
    pub name: String,
}

/// The submitter a national-portal push names: a person, checked as one.
pub fn portal_submitter(s: &SubmitterIn) -> Result<Submitter, ApiError> {
    let person = Applicant::new(ApplicantKind::Citizen, &s.id_number, &s.name, None, None, None)
        .map_err(|errors| ApiError::from_domain_errors(errors, "submitter"))?;
    Ok(Submitter { id: person.id_number().to_owned(), name: person.name })
}

/// What a submission says, whoever sends it.
pub struct Submission<'a> {
    pub procedure: &'a str,
    pub agency: Option<&'a str>,
    pub channel: Channel,
    /// None when the applicant was invalid (its errors are in `invalid`).
    pub applicant: Option<ApplicantRecord>,
    pub summary: &'a str,
    pub documents: &'a [DocumentIn],
    /// A representative's authorisation, already checked.
    pub authorisation: Option<NewDocument>,
    /// The citizen who filed it (none for a desk registration).
    pub submitter: Option<Submitter>,
    pub external_code: Option<String>,
    pub submitted_at: DateTime<Utc>,
    /// Received at once (desk registration, or a portal dossier already received).
    pub received_at: Option<DateTime<Utc>>,
    /// What the checks before this one found wrong: answered together with
    /// what this one finds.
    pub invalid: Invalid,
    /// Documents fetched from the applicant's data store.
    pub fetched: Fetched,
    /// The applicant's check against a national database, and the look-ups.
    pub checked: Checked,
}

/// Builds the new dossier inside the database closure: pins the procedure
/// version in force on the submission date, checks the agency, computes the
/// due instant when already received. Every invalid field, of this stage
/// and of those before it, is answered in one 422.
pub fn prepare(
    conn: &mut DbConnection,
    actor: &Actor,
    s: Submission,
    max_document_bytes: usize,
    now: DateTime<Utc>,
) -> Result<NewDossier, ApiError> {
    let mut invalid = s.invalid;
    let code = invalid.take(procedure(s.procedure))?;
    let on = today(s.submitted_at);
    let version = match &code {
        None => None,
        Some(code) => match procedures::in_force(conn, code, on) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                invalid.push(
                    "procedure",
                    ErrorCode::ProcedureNotInForce,
                    format!("procedure {code} has no version in force on {on} (retired or not yet published)"),
                );
                None
            }
            Err(StoreError::NotFound { .. }) => {
                invalid.push("procedure", ErrorCode::UnknownProcedure, format!("no procedure {code}"));
                None
            }
            Err(e) => return Err(e.into()),
        },
    };
    let content = version.as_ref().map(|v| &v.version.content);
    if let (Some(content), Some(code)) = (content, &code) {
        if s.channel.is_online()
            && (content.service_level == ServiceLevel::Information
                || !content.channels.contains(&SubmissionChannel::Online))
        {
            invalid.push(
                "procedure",
                ErrorCode::ProcedureNotOnline,
                format!("procedure {code} is not offered online; submit it at the desk"),
            );
        }
    }
    let agency = match s.agency {
        Some(a) => invalid.take(receiving_agency(a))?,
        None => match (&actor.agency, actor.role.is_staff()) {
            (Some(own), true) => Some(own.clone()),
            // The first implementing agency, or the agency that took it over.
            _ => match content.map(|c| c.implementing_agencies.first()) {
                Some(Some(first)) => Some(agencies::current(conn, first)?),
                Some(None) => {
                    invalid.push("agency", ErrorCode::Required, "name the receiving agency");
                    None
                }
                None => None,
            },
        },
    };
    if let Some(agency) = &agency {
        // Judged now: from its merge date a merged agency receives nothing, even
        // a national-portal dossier submitted to it before.
        let open = invalid.take(check_takes_dossiers(conn, agency, "agency", now))?.is_some();
        if let (true, Some(content), Some(code)) = (open, content, &code) {
            // An implementing agency that was merged is carried on by its successor.
            let mut implementing = content.implementing_agencies.contains(agency);
            for a in &content.implementing_agencies {
                if implementing {
                    break;
                }
                implementing = agencies::current(conn, a)? == *agency;
            }
            if !implementing {
                invalid.push(
                    "agency",
                    ErrorCode::NotImplementingAgency,
                    format!("agency {agency} does not carry out procedure {code}"),
                );
            }
        }
    }
    invalid.take(summary(s.summary))?;
    let docs = invalid.take(documents(
        s.documents,
        "documents",
        DocumentKind::Component,
        version.as_ref(),
        Sources::Submission(&s.fetched),
        Filer { actor, now, max_bytes: max_document_bytes },
    ))?;
    invalid.finish()?;
    let (Some(code), Some(version), Some(agency), Some(applicant), Some(mut docs)) =
        (code, version, agency, s.applicant, docs)
    else {
        return Err(ApiError::internal("a submission without errors lacks a part"));
    };
    let content = &version.version.content;
    docs.extend(s.authorisation);
    let time = &content.processing_time;
    let amount = match (s.channel.is_online(), time.online_amount) {
        (true, Some(online)) => online,
        _ => time.amount,
    };
    let limit = TimeLimit { amount, unit: time.unit, same_day: time.same_day };
    let mut state = DossierState::submitted(agency, limit);
    let mut history = vec![NewHistory {
        action: dvc_domain::dossier::Step::Submit,
        from: None,
        to: Status::Submitted,
        actor: actor.clone(),
        at: s.submitted_at,
        note: Some(format!("{} via {}", s.summary.trim(), s.channel.as_str())),
        step_deadline: None,
    }];
    if let Some(received) = s.received_at {
        let calendar = calendars::working(conn, DEFAULT_CALENDAR)?;
        state.status = Status::Received;
        state.received_at = Some(received);
        state.due_at = Some(calendar.due_instant(received, limit.amount, limit.unit, limit.same_day));
        history.push(NewHistory {
            action: dvc_domain::dossier::Step::Receive,
            from: Some(Status::Submitted),
            to: Status::Received,
            actor: actor.clone(),
            at: received,
            note: None,
            step_deadline: None,
        });
    }
    Ok(NewDossier {
        external_code: s.external_code,
        channel: s.channel,
        procedure_code: code.clone(),
        procedure_version: version.version.version,
        sector_code: content.sector.code.clone(),
        owner_sub: s.submitter.as_ref().map(|p| p.id.clone()),
        submitter_name: s.submitter.map(|p| p.name),
        applicant,
        summary: s.summary.trim().to_owned(),
        calendar_id: DEFAULT_CALENDAR.to_owned(),
        state,
        submitted_at: s.submitted_at,
        code_date: today(s.received_at.unwrap_or(s.submitted_at)),
        history,
        documents: docs,
        now,
        level: content.level,
        closed_at: None,
        publish: true,
        // Set by the caller from the deployment's gateways.
        notify: dvc_domain::notify::Channels::default(),
        count: true,
        check: s.checked.check,
        lookups: s.checked.lookups,
        known: None,
    })
}
