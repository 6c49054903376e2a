//! HTTP shapes of dossiers.

use chrono::{DateTime, FixedOffset, NaiveDate};
use dvc_domain::auth::Role;
use dvc_domain::calendar::{Timeliness, WorkingCalendar};
use dvc_domain::dossier::{
    allowed_actions, ActionKind, ApplicantKind, Channel, Outcome, PauseReason, ReturnChannel, Status,
};
use dvc_domain::notify::{Event as NotifyEvent, NotifyChannel};
use dvc_domain::registry::{CheckState, Registry};
use dvc_persistence::dossiers::{Document, History, StoredDossier};
use dvc_persistence::registry::Check;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationErrors};

use crate::agencies::types::parse_code;
use crate::check::Report;
use crate::time::vn;
use dvc_domain::ErrorCode;

crate::mirror_enum! {
    /// Dossier status; `status_code` carries the national portal's TrangThaiHoSo (1–10).
    StatusDto => Status { Submitted, Received, Refused, Processing, AwaitingSupplement, AwaitingPayment, Withdrawn, Stopped, Resolved, Returned }
}
crate::mirror_enum! {
    /// How the dossier came in.
    ChannelDto => Channel { InPerson, Online, Postal, NationalPortal }
}
crate::mirror_enum! {
    /// citizen (CCCD/CMND), business (tax code), agency (agency code) or organisation.
    ApplicantKindDto => ApplicantKind { Citizen, Business, Agency, Organisation }
}
crate::mirror_enum! {
    /// The decision.
    OutcomeDto => Outcome { Granted, Denied }
}
crate::mirror_enum! {
    /// How the result is handed over.
    ReturnChannelDto => ReturnChannel { InPerson, Postal, Online }
}
crate::mirror_enum! {
    /// Why the clock stood still.
    PauseReasonDto => PauseReason { Supplement, Payment }
}
crate::mirror_enum! {
    /// early / on_time / late once resolved; within_deadline / overdue while open.
    TimelinessDto => Timeliness { Early, OnTime, Late, WithinDeadline, Overdue }
}
crate::mirror_enum! {
    /// The caller's role (docs/RULES.md §1).
    RoleDto => Role { Citizen, Officer, Approver, AgencyAdmin, Admin, Integrator, Viewer }
}
crate::mirror_enum! {
    /// What a notification tells: `received`, `supplement_requested`, `payment_requested`,
    /// `result_ready`, `apology` or `refused` (to the applicant); `running_late` (to the handling agency).
    NotificationEventDto => NotifyEvent { Received, SupplementRequested, PaymentRequested, ResultReady, Apology, Refused, RunningLate }
}
crate::mirror_enum! {
    /// A channel the applicant is told on.
    NotifyChannelDto => NotifyChannel { Email, Sms, Zalo }
}

crate::mirror_enum! {
    /// Where a notification's delivery stands: `pending` (waiting or being
    /// retried), `sent`, or `failed` (refused for good).
    NotificationStatusDto => dvc_domain::notify::Delivery { Pending, Sent, Failed }
}

crate::mirror_enum! {
    /// A move that may be made next, named as its sub-resource's action
    /// (`record-payment` is `POST …/payments`, `record-fee-relief` is `POST …/fee-relief`).
    ActionKindDto => ActionKind, "kebab-case" {
        Receive, Refuse, RequestSupplement, Supplement, HandOff, RequestPayment, RecordPayment,
        RecordFeeRelief, Resolve, Return, Withdraw, Stop, Apologize
    }
}

crate::mirror_enum! {
    /// The step a history row (and a change of the feed) records: a move of the
    /// state machine by the name of its sub-resource (`payments` records a
    /// payment, `fee-relief` a fee relief), `submit` for the first row,
    /// `upload-document` for a document added outside a move, and
    /// `recompute-deadline` when an extended calendar recomputed a provisional
    /// due instant.
    HistoryActionDto => dvc_domain::dossier::Step, "kebab-case" {
        Submit, Receive, Refuse, RequestSupplement, Supplement, HandOff, RequestPayment, Payments, FeeRelief,
        Resolve, Return, Withdraw, Stop, Apologize, UploadDocument, RecomputeDeadline
    }
}

crate::mirror_enum! {
    /// What a document is to its dossier: a `component` of the procedure, a
    /// `result`, or a representative's `authorisation` (giấy ủy quyền).
    DocumentKindDto => dvc_domain::dossier::DocumentKind { Component, Result, Authorisation }
}

/// The applicant's field a national database holds otherwise: `name`,
/// `date_of_birth`, or `status` (an enterprise not active).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceFieldDto {
    Name,
    DateOfBirth,
    Status,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "citizen", "id_number": "001099012345", "name": "Nguyễn Văn An", "phone": "0912345678", "email": "an.nguyen@example.vn", "address": "Phường Phú Cường, Thủ Dầu Một"}))]
pub struct ApplicantDto {
    pub kind: ApplicantKindDto,
    /// CCCD (12 digits) or CMND (9) for a citizen; tax code (10 digits, or 13 as NNNNNNNNNN-NNN) for a business; agency code for an agency.
    pub id_number: String,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// A citizen's date of birth: when given, checked against the population database with the name.
    #[serde(default)]
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// The channels the applicant is told on (`email`, `sms`, `zalo`), each
    /// at most once, each with its contact given (email: `email`; sms and
    /// zalo: `phone`). Absent: every channel a contact was given for; `[]`:
    /// never told. A channel the province has not configured is skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<NotifyChannelDto>>, example = json!(["email", "sms"]))]
    pub notify_by: Option<Vec<String>>,
}

/// A document filed with the dossier: its content inline, or the code of a
/// document in the applicant's digital data store, fetched from there.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"component_code": "TP01", "name": "Giấy đề nghị.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK", "digitised": false, "reused": false}))]
pub struct DocumentIn {
    /// The procedure component it answers.
    pub component_code: String,
    /// Not blank, at most 255 characters. For a document named by
    /// `data_store_code`, the data store's name when absent.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 255, pattern = r"[^\s\u0085]")]
    pub name: String,
    /// For a document named by `data_store_code`, the data store's media
    /// type, whatever is sent.
    #[serde(default)]
    #[schema(
        example = "application/pdf",
        max_length = 100,
        pattern = r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$"
    )]
    pub media_type: String,
    /// The content, base64 (standard alphabet, padded, canonical), not
    /// empty. Absent when `data_store_code` names the document instead.
    #[serde(default)]
    #[schema(
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/]{4})$"
    )]
    pub content_base64: Option<String>,
    /// The document's code in the applicant's digital data store (kho quản
    /// lý dữ liệu điện tử): dvc fetches it from there and marks it reused.
    /// On submission only; instead of `content_base64`.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100, pattern = r"^[!-~]{1,100}$")]
    pub data_store_code: Option<String>,
    /// Digitised from paper (số hóa).
    #[serde(default)]
    pub digitised: bool,
    /// Reused from the citizen's data store: set by dvc for a document
    /// fetched by `data_store_code`; sending true otherwise is refused
    /// (`reused_without_source`), except in imports of an earlier system's records.
    #[serde(default)]
    pub reused: bool,
}

/// A representative's authorisation (giấy ủy quyền) signed by the applicant,
/// its content inline. Stored as a document of kind `authorisation`,
/// component `giay_uy_quyen`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "giay-uy-quyen.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}))]
pub struct AuthorisationIn {
    /// Not blank, at most 255 characters.
    #[schema(min_length = 1, max_length = 255, pattern = r"[^\s\u0085]")]
    pub name: String,
    #[schema(
        example = "application/pdf",
        max_length = 100,
        pattern = r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$"
    )]
    pub media_type: String,
    /// The content, base64 (standard alphabet, padded, canonical), not empty.
    #[schema(
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/]{4})$"
    )]
    pub content_base64: String,
}

impl AuthorisationIn {
    /// As a document of the authorisation component.
    pub fn document(&self) -> DocumentIn {
        DocumentIn {
            component_code: dvc_domain::dossier::AUTHORISATION_COMPONENT.to_owned(),
            name: self.name.clone(),
            media_type: self.media_type.clone(),
            content_base64: Some(self.content_base64.clone()),
            data_store_code: None,
            digitised: false,
            reused: false,
        }
    }
}

/// A citizen filing for someone else: their authorisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RepresentativeIn {
    /// The authorisation (giấy ủy quyền) the applicant signed.
    pub authorisation: AuthorisationIn,
}

/// The person who filed a dossier on the national portal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id_number": "079088001234", "name": "Trần Thị Bình"}))]
pub struct SubmitterIn {
    /// Their personal identification number: CCCD (12 digits) or CMND (9).
    #[schema(pattern = r"^([0-9]{9}|[0-9]{12})$")]
    pub id_number: String,
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
}

/// Who filed a dossier, apart from its applicant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id_number": "079088001234", "name": "Trần Thị Bình", "representative": true}))]
pub struct SubmitterOut {
    /// The citizen's identification number (their token's subject).
    pub id_number: String,
    pub name: String,
    /// True when they filed for someone else (with an authorisation).
    pub representative: bool,
}

/// A submission: online by a citizen, or registered at the desk by an officer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "procedure": "2.001610",
    "agency": "000.00.05.H56",
    "channel": "online",
    "applicant": {"kind": "citizen", "id_number": "001099012345", "name": "Nguyễn Văn An", "phone": "0912345678"},
    "summary": "Đăng ký thành lập doanh nghiệp tư nhân An Phát",
    "documents": [{"component_code": "TP01", "name": "Giấy đề nghị.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}]
}))]
pub struct SubmitIn {
    /// National procedure code, or its local form; the version in force today is pinned.
    #[schema(example = "2.001610")]
    #[schema(pattern = r"^[0-9]\.[0-9]{6}(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})?$")]
    pub procedure: String,
    /// The receiving agency: one of the procedure's implementing agencies (default: the first; for staff, their own).
    #[serde(default)]
    pub agency: Option<String>,
    /// `online` for a citizen (the default); `in_person` or `postal` for staff (default `in_person`).
    #[serde(default)]
    pub channel: Option<ChannelDto>,
    /// For a citizen: the applicant's number must be their own (the token's
    /// subject), unless they file as the applicant's representative.
    pub applicant: ApplicantDto,
    pub summary: String,
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
    /// A citizen filing for another applicant (a person or a business):
    /// the authorisation they act under. Both the applicant and the
    /// representative then read the dossier and act on it as the applicant.
    /// At the desk, staff may attach an authorisation too.
    #[serde(default)]
    pub representative: Option<RepresentativeIn>,
    /// Staff only: register the dossier although the national database
    /// disagrees with the applicant (or does not know them), for this
    /// reason, recorded with the check.
    #[serde(default)]
    pub check_override: Option<CheckOverrideIn>,
}

/// Why staff accept an applicant the national database disagrees with.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "Tên trên CCCD đã đổi theo quyết định 12/QĐ-UBND; bản sao quyết định kèm hồ sơ"}))]
pub struct CheckOverrideIn {
    /// 1–500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A dossier submitted on the national portal, pushed in by an integrator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "external_code": "G22.99-260305-000123",
    "procedure": "2.001610",
    "agency": "000.00.05.H56",
    "applicant": {"kind": "citizen", "id_number": "001099012345", "name": "Nguyễn Văn An"},
    "summary": "Đăng ký thành lập doanh nghiệp tư nhân",
    "submitted_at": "2026-03-05T08:15:00+07:00",
    "received_at": null,
    "documents": []
}))]
pub struct PortalDossierIn {
    /// The national portal's dossier code (1–64 visible ASCII characters); a repeat push returns the existing dossier.
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub external_code: String,
    /// National procedure code, or its local form.
    #[schema(pattern = r"^[0-9]\.[0-9]{6}(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})?$")]
    pub procedure: String,
    #[serde(default)]
    pub agency: Option<String>,
    pub applicant: ApplicantDto,
    pub summary: String,
    pub submitted_at: DateTime<FixedOffset>,
    /// When the portal already received it: the clock starts then.
    #[serde(default)]
    pub received_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
    /// The person who filed it on the portal, when not the applicant
    /// themself: recorded as its submitter, who may then read it and act as
    /// the applicant.
    #[serde(default)]
    pub submitter: Option<SubmitterIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureRef {
    pub code: String,
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PauseOut {
    pub reason: PauseReasonDto,
    pub from: DateTime<FixedOffset>,
    /// Absent while the clock still stands.
    pub to: Option<DateTime<FixedOffset>>,
    pub due_before: Option<DateTime<FixedOffset>>,
    pub due_after: Option<DateTime<FixedOffset>>,
    /// For a supplement pause: the applicant's reply deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_by: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: String,
    pub kind: DocumentKindDto,
    pub component_code: Option<String>,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub digitised: bool,
    pub reused: bool,
    /// Where it came from when not uploaded: `data_store:<code>` for a
    /// document fetched from the applicant's data store.
    pub source: Option<String>,
    pub uploaded_at: DateTime<FixedOffset>,
}

impl From<Document> for DocumentOut {
    fn from(d: Document) -> Self {
        Self {
            id: d.id,
            kind: d.kind.into(),
            component_code: d.component_code,
            name: d.name,
            media_type: d.media_type,
            size: d.size,
            sha256: d.sha256,
            digitised: d.digitised,
            reused: d.reused,
            source: d.source,
            uploaded_at: vn(d.uploaded_at),
        }
    }
}

/// A dossier as its readers see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "code": "000.00.05.H56-260305-0007", "external_code": null, "status": "processing", "status_code": 4, "channel": "online",
    "procedure": {"code": "2.001610", "version": 1}, "sector": "DN",
    "applicant": {"kind": "citizen", "id_number": "001099012345", "name": "Nguyễn Văn An", "phone": "0912345678", "email": "an.nguyen@example.vn", "address": "Phường Phú Cường, Thủ Dầu Một", "date_of_birth": null},
    "applicant_check": null,
    "submitted_by": {"id_number": "001099012345", "name": "Nguyễn Văn An", "representative": false},
    "receiving_agency": "000.00.05.H56", "handling_agency": "000.00.05.H56",
    "summary": "Đăng ký thành lập doanh nghiệp tư nhân An Phát",
    "submitted_at": "2026-03-05T08:15:00+07:00", "received_at": "2026-03-05T09:00:00+07:00", "due_at": "2026-03-10T09:00:00+07:00",
    "due_provisional": false, "calendar_valid_through": "2027-01-31",
    "promised_at": null, "resolved_at": null, "returned_at": null, "pauses": [], "reply_by": null, "supplement_overdue": false,
    "timeliness": "within_deadline", "outcome": null,
    "documents": [{"id": "01a24903-4360-71f6-a86b-341b9d809dcc", "kind": "component", "component_code": "TP01", "name": "Giấy đề nghị.pdf", "media_type": "application/pdf", "size": 9, "sha256": "e5c62df5dab5c87b6a015ef3d43597074d1eec433b15f51aec63b8582d0e4ab4", "digitised": false, "reused": false, "source": null, "uploaded_at": "2026-03-05T08:15:00+07:00"}],
    "allowed_actions": ["request-supplement", "hand-off", "request-payment", "record-payment", "record-fee-relief", "resolve", "withdraw", "stop", "apologize"],
    "sync": {"state": "pending", "pending_changes": 3, "attempts": 0, "last_error": null},
    "version": 3
}))]
pub struct DossierOut {
    /// `<agency>-<YYMMDD>-<NNNN>`.
    #[schema(example = "000.00.05.H56-260305-0007")]
    pub code: String,
    pub external_code: Option<String>,
    pub status: StatusDto,
    /// The national portal's TrangThaiHoSo (1–10).
    #[schema(example = 4, minimum = 1, maximum = 10)]
    pub status_code: u8,
    pub channel: ChannelDto,
    pub procedure: ProcedureRef,
    pub sector: String,
    pub applicant: ApplicantDto,
    /// The applicant checked against a national database (the population
    /// database for a citizen, the business registration database for a
    /// business); absent when none was asked.
    pub applicant_check: Option<ApplicantCheckOut>,
    /// Who filed it, when a citizen did (online or through the national
    /// portal); absent for a desk registration.
    pub submitted_by: Option<SubmitterOut>,
    pub receiving_agency: String,
    pub handling_agency: String,
    pub summary: String,
    pub submitted_at: DateTime<FixedOffset>,
    pub received_at: Option<DateTime<FixedOffset>>,
    /// The legal due instant (moved by pauses).
    pub due_at: Option<DateTime<FixedOffset>>,
    /// While the dossier is open: its due instant (with an open pause's time
    /// so far) runs past `calendar_valid_through`, so a holiday not yet
    /// announced may still move it. It is recomputed, with a
    /// `recompute-deadline` history row, when an admin extends the calendar.
    pub due_provisional: bool,
    /// The last date the dossier's calendar knows its holidays for; absent: not stated.
    pub calendar_valid_through: Option<NaiveDate>,
    /// The date promised in an apology; the dossier is still judged by `due_at`.
    pub promised_at: Option<DateTime<FixedOffset>>,
    pub resolved_at: Option<DateTime<FixedOffset>>,
    pub returned_at: Option<DateTime<FixedOffset>>,
    pub pauses: Vec<PauseOut>,
    /// While awaiting a supplement: the applicant's reply deadline.
    pub reply_by: Option<DateTime<FixedOffset>>,
    /// Awaiting a supplement whose reply deadline has passed. After
    /// reception the approver may stop it with the cause
    /// `supplement_overdue`; an intake supplement (before reception) has no
    /// clock and no stop: it waits for the applicant, who may withdraw.
    /// Nothing stops a dossier by itself.
    pub supplement_overdue: bool,
    pub timeliness: Option<TimelinessDto>,
    pub outcome: Option<OutcomeDto>,
    pub documents: Vec<DocumentOut>,
    /// What may be done next (by someone with the right role).
    pub allowed_actions: Vec<ActionKindDto>,
    /// Synchronisation with the national portal.
    pub sync: SyncOut,
    /// Increases with every change; the `ETag`.
    pub version: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStateDto {
    InSync,
    Pending,
    Failing,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncOut {
    pub state: SyncStateDto,
    /// Changes not yet acknowledged by the portal.
    pub pending_changes: i64,
    /// Attempts at the oldest undelivered change.
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl From<dvc_persistence::changes::SyncState> for SyncOut {
    fn from(s: dvc_persistence::changes::SyncState) -> Self {
        match s.head {
            None => Self { state: SyncStateDto::InSync, pending_changes: 0, attempts: 0, last_error: None },
            Some((_, attempts, last_error)) => Self {
                state: if attempts > 0 { SyncStateDto::Failing } else { SyncStateDto::Pending },
                pending_changes: s.pending,
                attempts,
                last_error,
            },
        }
    }
}

/// Where the applicant's check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStateDto {
    /// The database confirmed the applicant.
    Verified,
    /// The database disagreed (or did not know them) and staff accepted the dossier with a reason.
    Overridden,
    /// The database did not answer at submission: asked again in the background.
    Pending,
    /// A later answer disagreed with the applicant: staff must look.
    Mismatch,
    /// The database holds no such person or enterprise.
    NotFound,
}

impl From<CheckState> for CheckStateDto {
    fn from(s: CheckState) -> Self {
        match s {
            CheckState::Verified => Self::Verified,
            CheckState::Overridden => Self::Overridden,
            CheckState::Pending => Self::Pending,
            CheckState::Mismatch => Self::Mismatch,
            CheckState::NotFound => Self::NotFound,
        }
    }
}

/// Which national database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistryDto {
    Population,
    Business,
    DataStore,
}

impl From<Registry> for RegistryDto {
    fn from(r: Registry) -> Self {
        match r {
            Registry::Population => Self::Population,
            Registry::Business => Self::Business,
            Registry::DataStore => Self::DataStore,
        }
    }
}

impl From<RegistryDto> for Registry {
    fn from(r: RegistryDto) -> Self {
        match r {
            RegistryDto::Population => Self::Population,
            RegistryDto::Business => Self::Business,
            RegistryDto::DataStore => Self::DataStore,
        }
    }
}

/// One thing the applicant said that the database holds otherwise.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DifferenceOut {
    pub field: DifferenceFieldDto,
    pub message: String,
}

/// The applicant's check against a national database (docs/RULES.md §11).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"registry": "population", "state": "verified", "differences": [], "reason": null, "decided_by": null, "attempts": 1, "checked_at": "2026-03-05T08:15:02+07:00", "next_attempt_at": null, "last_error": null}))]
pub struct ApplicantCheckOut {
    pub registry: RegistryDto,
    pub state: CheckStateDto,
    pub differences: Vec<DifferenceOut>,
    /// Why staff accepted a mismatch.
    pub reason: Option<String>,
    /// Who accepted it.
    pub decided_by: Option<String>,
    pub attempts: i32,
    /// When the database last answered.
    pub checked_at: Option<DateTime<FixedOffset>>,
    /// While pending: when it is asked again.
    pub next_attempt_at: Option<DateTime<FixedOffset>>,
    /// While pending: why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<Check> for ApplicantCheckOut {
    fn from(c: Check) -> Self {
        let state = c.state;
        Self {
            registry: c.registry.into(),
            state: state.into(),
            differences: c
                .differences
                .into_iter()
                .map(|d| DifferenceOut {
                    field: crate::mirror::stored(&d.field, "difference field", DifferenceFieldDto::Name),
                    message: d.message,
                })
                .collect(),
            next_attempt_at: if state == CheckState::Pending { c.next_attempt_at.map(vn) } else { None },
            checked_at: c.checked_at.map(vn),
            reason: c.reason,
            decided_by: c.decided_by,
            attempts: c.attempts,
            last_error: c.last_error,
        }
    }
}

impl DossierOut {
    pub fn new(
        d: StoredDossier,
        documents: Vec<Document>,
        check: Option<Check>,
        sync: SyncOut,
        calendar: &WorkingCalendar,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let s = &d.state;
        Self {
            status: s.status.into(),
            status_code: s.status.national_code(),
            channel: d.channel.into(),
            procedure: ProcedureRef { code: d.procedure_code.to_string(), version: d.procedure_version },
            sector: d.sector_code.clone(),
            applicant: ApplicantDto {
                kind: d.applicant.kind.into(),
                id_number: d.applicant.id_number.clone(),
                name: d.applicant.name.clone(),
                phone: d.applicant.phone.clone(),
                email: d.applicant.email.clone(),
                address: d.applicant.address.clone(),
                date_of_birth: d.applicant.date_of_birth,
                notify_by: d.applicant.notify_by.as_ref().map(|c| c.iter().map(|c| c.as_str().to_owned()).collect()),
            },
            applicant_check: check.map(Into::into),
            submitted_by: d.owner_sub.as_ref().map(|id| SubmitterOut {
                representative: *id != d.applicant.id_number,
                id_number: id.clone(),
                name: d.submitter_name.clone().unwrap_or_default(),
            }),
            receiving_agency: s.receiving_agency.to_string(),
            handling_agency: s.handling_agency.to_string(),
            summary: d.summary.clone(),
            submitted_at: vn(d.submitted_at),
            received_at: s.received_at.map(vn),
            due_at: s.due_at.map(vn),
            due_provisional: d.closed_at.is_none()
                && s.effective_due(now, calendar).is_some_and(|due| calendar.is_provisional(due)),
            calendar_valid_through: calendar.valid_through(),
            promised_at: s.promised_at.map(vn),
            resolved_at: s.resolved_at.map(vn),
            returned_at: s.returned_at.map(vn),
            pauses: s
                .pauses
                .iter()
                .map(|p| PauseOut {
                    reason: p.reason.into(),
                    from: vn(p.from),
                    to: p.to.map(vn),
                    due_before: p.due_before.map(vn),
                    due_after: p.due_after.map(vn),
                    reply_by: p.reply_by.map(vn),
                })
                .collect(),
            reply_by: s.reply_by.map(vn),
            supplement_overdue: s.supplement_overdue(now),
            timeliness: s.timeliness(now, calendar).map(Into::into),
            outcome: s.outcome.map(Into::into),
            documents: documents.into_iter().map(Into::into).collect(),
            allowed_actions: allowed_actions(s, now, calendar).into_iter().map(Into::into).collect(),
            sync,
            version: d.version,
            code: d.code.to_string(),
            external_code: d.external_code,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DossierList {
    pub items: Vec<DossierOut>,
    pub next_cursor: Option<String>,
}

/// A row of the process control slip (phiếu kiểm soát quá trình giải quyết hồ sơ).
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub seq: i32,
    pub action: HistoryActionDto,
    pub from_status: Option<StatusDto>,
    pub to_status: StatusDto,
    pub actor_id: String,
    pub actor_role: RoleDto,
    pub actor_name: String,
    pub actor_agency: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub note: Option<String>,
    /// The deadline this step set for the next (a hand-off's step deadline).
    pub step_deadline: Option<DateTime<FixedOffset>>,
    /// Whether the next step came early, on time or late against `step_deadline`
    /// (`within_deadline`/`overdue` while it has not come yet).
    pub step_timeliness: Option<TimelinessDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryList {
    pub code: String,
    pub items: Vec<HistoryOut>,
}

pub fn history_out(rows: Vec<History>, now: chrono::DateTime<chrono::Utc>) -> Vec<HistoryOut> {
    let next_at: Vec<Option<chrono::DateTime<chrono::Utc>>> =
        (0..rows.len()).map(|i| rows.get(i + 1).map(|r| r.at)).collect();
    rows.into_iter()
        .zip(next_at)
        .map(|(r, next)| {
            let deadline = r.step_deadline;
            let step_timeliness = deadline.map(|d| match next {
                Some(done) => dvc_domain::calendar::classify_resolved(done, d),
                None => dvc_domain::calendar::classify_open(now, d),
            });
            HistoryOut {
                seq: r.seq,
                action: r.action.into(),
                from_status: r.from_status.map(Into::into),
                to_status: r.to_status.into(),
                actor_id: r.actor_id,
                actor_role: r.actor_role.into(),
                actor_name: r.actor_name,
                actor_agency: r.actor_agency.map(|a| a.to_string()),
                at: vn(r.at),
                note: r.note,
                step_deadline: deadline.map(vn),
                step_timeliness: step_timeliness.map(Into::into),
            }
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DossierQuery {
    pub status: Option<StatusDto>,
    /// Agency code: dossiers received or handled by it or its sub-units.
    pub agency: Option<String>,
    /// National procedure code.
    pub procedure: Option<String>,
    /// Sector code.
    pub sector: Option<String>,
    pub channel: Option<ChannelDto>,
    /// The applicant's CCCD/CMND/tax code.
    pub applicant_id: Option<String>,
    pub received_from: Option<DateTime<FixedOffset>>,
    pub received_to: Option<DateTime<FixedOffset>>,
    pub resolved_from: Option<DateTime<FixedOffset>>,
    pub resolved_to: Option<DateTime<FixedOffset>>,
    /// Only dossiers with this `timeliness`; `within_deadline` and `overdue` are
    /// judged now exactly as each dossier's own `timeliness` (a paused dossier's
    /// due instant moved by the office time its pause has held so far).
    pub timeliness: Option<TimelinessDto>,
    /// Only dossiers overdue now (as `timeliness=overdue`).
    pub overdue: Option<bool>,
    /// `true`: dossiers awaiting a supplement whose reply deadline has
    /// passed; `false`: awaiting a supplement, still within its reply deadline.
    pub supplement_overdue: Option<bool>,
}

impl Validate for DossierQuery {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        if let Some(agency) = &self.agency {
            report.take(parse_code("agency", agency));
        }
        if self.timeliness.is_some() && self.overdue == Some(true) {
            report.add("overdue", ErrorCode::ConflictingFilters, "use either timeliness or overdue");
        }
        report.finish()
    }
}

// ---- action bodies ----

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct NoteIn {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "Hồ sơ không thuộc thẩm quyền giải quyết"}))]
pub struct ReasonIn {
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^\s\u0085]")]
    pub reason: String,
}

/// A stop (approver), with its reason; `cause` names a stop the law foresees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "Công dân không bổ sung hồ sơ đúng hạn", "cause": "supplement_overdue"}))]
pub struct StopIn {
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^\s\u0085]")]
    pub reason: String,
    /// `supplement_overdue`: the applicant did not supplement by the reply
    /// deadline (409 unless the dossier awaits a supplement past it).
    #[serde(default)]
    pub cause: Option<StopCauseDto>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StopCauseDto {
    SupplementOverdue,
}

impl From<StopCauseDto> for dvc_domain::dossier::StopCause {
    fn from(c: StopCauseDto) -> Self {
        match c {
            StopCauseDto::SupplementOverdue => Self::SupplementOverdue,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OptionalReasonIn {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupplementItemDto {
    pub component_code: String,
    /// What is missing or faulty.
    pub problem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"items": [{"component_code": "TP02", "problem": "Bản sao chưa chứng thực"}], "reply_by": "2036-03-20T17:00:00+07:00", "note": null}))]
pub struct RequestSupplementIn {
    pub items: Vec<SupplementItemDto>,
    /// The applicant's reply deadline.
    pub reply_by: DateTime<FixedOffset>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SupplementIn {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The added or corrected documents.
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"to_agency": "000.00.05.H56", "to_officer": "chuyenvien.dkkd", "step_deadline": "2026-03-09T17:00:00+07:00", "note": "Chuyển phòng Đăng ký kinh doanh"}))]
pub struct HandOffIn {
    /// The unit that handles the dossier next.
    #[schema(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub to_agency: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub to_officer: Option<String>,
    /// When this unit's step is due.
    #[serde(default)]
    pub step_deadline: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"note": "Lệ phí đăng ký"}))]
pub struct RequestPaymentIn {
    /// An explicit amount instead of the fees owed, in whole đồng from 1 to
    /// 100,000,000,000; needs `reason`. Absent: the pinned procedure
    /// version's fee lines not yet covered, less any exemption or reduction.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000_000_000i64)]
    pub amount_vnd: Option<i64>,
    /// Why an explicit amount is asked (required with `amount_vnd`, refused without it).
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
    /// Only the fee lines collected at this stage (`on_receipt`, `on_result`); not with `amount_vnd`.
    #[serde(default)]
    pub collected: Option<crate::procedures::types::FeeCollectionDto>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "exempt", "legal_basis": "Điểm a khoản 2 Điều 5 Thông tư 85/2019/TT-BTC: hộ nghèo"}))]
pub struct FeeReliefIn {
    pub kind: crate::payments::ReliefKindDto,
    /// The reduction in whole đồng (only for `reduced`; less than the fees).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000_000_000i64)]
    pub amount_vnd: Option<i64>,
    /// The legal reason: the document and article that grant it.
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^\s\u0085]")]
    pub legal_basis: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordedMethod {
    Cash,
    Transfer,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"method": "cash", "amount_vnd": 50000, "reference": "BL-000123", "note": null}))]
pub struct PaymentIn {
    pub method: RecordedMethod,
    /// Whole đồng, from 1 to 100,000,000,000.
    #[schema(minimum = 1, maximum = 100_000_000_000i64)]
    pub amount_vnd: i64,
    /// Receipt or transfer reference.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub reference: Option<String>,
    #[serde(default)]
    /// At most 1,800 characters (with the method and reference, the history note stays within 2,000).
    #[schema(max_length = 1800)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"outcome": "granted", "reason": null, "documents": []}))]
pub struct ResolveIn {
    pub outcome: OutcomeDto,
    /// Required for a denial.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// The result documents.
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"channel": "in_person", "note": null}))]
pub struct ReturnIn {
    pub channel: ReturnChannelDto,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "Cần xin ý kiến liên ngành", "new_date": "2036-03-20T17:00:00+07:00"}))]
pub struct ApologizeIn {
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^\s\u0085]")]
    pub reason: String,
    /// The new promised date.
    pub new_date: DateTime<FixedOffset>,
}

/// The notifications of one dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub code: String,
    pub items: Vec<NotificationOut>,
}

/// One notification to the applicant and where its delivery stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationOut {
    #[schema(example = "received")]
    pub event: NotificationEventDto,
    #[schema(example = "sms")]
    pub channel: NotifyChannelDto,
    /// Masked: `a***@example.vn`, `091****678`.
    #[schema(example = "091****678")]
    pub recipient: String,
    #[schema(example = "sent")]
    pub status: NotificationStatusDto,
    pub attempts: i32,
    /// The last failed attempt's error, while pending or failed.
    pub last_error: Option<String>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub sent_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl From<dvc_persistence::notifications::Notification> for NotificationOut {
    fn from(r: dvc_persistence::notifications::Notification) -> Self {
        let pending = r.status == dvc_domain::notify::Delivery::Pending;
        Self {
            event: r.event.into(),
            channel: r.channel.into(),
            recipient: dvc_domain::notify::mask_recipient(&r.recipient),
            status: r.status.into(),
            attempts: r.attempts,
            last_error: r.last_error,
            next_attempt_at: pending.then(|| vn(r.next_attempt_at)),
            created_at: vn(r.created_at),
            sent_at: r.sent_at.map(vn),
        }
    }
}
