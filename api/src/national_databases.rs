//! The national databases over the API (docs/RULES.md §11): staff look up a
//! citizen or an enterprise to pre-fill a desk registration; an admin reads
//! the audit log of every look-up and verifies its chain. Every look-up is
//! logged (who, when, whose number, which database, for which dossier, why);
//! the log has no operation that edits it.

use actix_web::{get, post, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use dvc_domain::auth::{Actor, Role};
use dvc_domain::dossier::{DossierCode, PersonalId, TaxCode};
use dvc_domain::registry::{mask, LookupError, Outcome, Registry};
use dvc_persistence::registry::{self as store, Lookup, LookupFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::check::Report;
use crate::connectors::check::lookup;
use crate::dossiers::types::{RegistryDto, RoleDto};
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;
use validator::{Validate, ValidationErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(lookup_citizen).service(lookup_enterprise).service(list_lookups).service(verify_lookups);
}

/// A look-up by staff: whose number, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id_number": "079203001234", "purpose": "Điền sẵn hồ sơ tiếp nhận trực tiếp", "dossier_code": null}))]
pub struct CitizenLookupIn {
    /// The citizen's personal identification number: CCCD (12 digits) or CMND (9).
    #[schema(pattern = r"^([0-9]{9}|[0-9]{12})$")]
    pub id_number: String,
    /// Why the data is needed (recorded in the audit log): 1–300 characters.
    #[schema(min_length = 1, max_length = 300)]
    pub purpose: String,
    /// The dossier it is for, when there is one already.
    #[serde(default)]
    pub dossier_code: Option<String>,
}

/// A citizen as the population database knows them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id_number": "079203001234", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-05-17", "permanent_address": "Phường Phú Cường, Thủ Dầu Một"}))]
pub struct CitizenOut {
    pub id_number: String,
    pub full_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub permanent_address: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "0100109106", "purpose": "Điền sẵn hồ sơ tiếp nhận trực tiếp", "dossier_code": null}))]
pub struct EnterpriseLookupIn {
    /// The tax or enterprise code: 10 digits, or 13 as NNNNNNNNNN-NNN.
    #[schema(pattern = r"^[0-9]{10}(-[0-9]{3})?$")]
    pub code: String,
    /// Why the data is needed (recorded in the audit log): 1–300 characters.
    #[schema(min_length = 1, max_length = 300)]
    pub purpose: String,
    #[serde(default)]
    pub dossier_code: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseStatusDto {
    Active,
    Suspended,
    Dissolved,
}

/// An enterprise as the business registration database knows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "0100109106", "name": "Công ty TNHH An Phát", "legal_representative": "Trần Thị Bình", "status": "active"}))]
pub struct EnterpriseOut {
    pub code: String,
    pub name: String,
    pub legal_representative: String,
    pub status: EnterpriseStatusDto,
}

impl Validate for CitizenLookupIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(personal_id(&self.id_number));
        report.take(purpose_of(&self.purpose, self.dossier_code.as_deref()));
        report.finish()
    }
}

impl Validate for EnterpriseLookupIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(tax_code(&self.code));
        report.take(purpose_of(&self.purpose, self.dossier_code.as_deref()));
        report.finish()
    }
}

fn personal_id(id_number: &str) -> Result<PersonalId, ApiError> {
    PersonalId::parse(id_number).map_err(|e| ApiError::invalid_field("id_number", e.code, e.message))
}

fn tax_code(code: &str) -> Result<TaxCode, ApiError> {
    TaxCode::parse(code).map_err(|e| ApiError::invalid_field("code", e.code, e.message))
}

fn purpose_of(purpose: &str, dossier: Option<&str>) -> Result<(String, Option<DossierCode>), ApiError> {
    let mut errors = crate::invalid::Invalid::default();
    let p = purpose.trim();
    if p.is_empty() || p.chars().count() > 300 {
        errors.push("purpose", ErrorCode::Length, "say why the data is needed, in 1–300 characters");
    }
    let dossier = match dossier.map(str::trim).filter(|d| !d.is_empty()).map(DossierCode::parse) {
        Some(Ok(code)) => Some(code),
        Some(Err(_)) => {
            errors.push("dossier_code", ErrorCode::InvalidDossierCode, "not a dossier code");
            None
        }
        None => None,
    };
    errors.finish()?;
    Ok((p.to_owned(), dossier))
}

/// The problem for a look-up that got no record.
fn refusal(registry: Registry, e: &LookupError) -> ApiError {
    match e {
        LookupError::NotFound => {
            ApiError::new(ErrorCode::NotInRegistry, format!("the {registry} database holds no such record"))
        }
        LookupError::NotConfigured => ApiError::new(
            ErrorCode::RegistryNotConnected,
            format!("dvc is not connected to the {registry} database (see the README's configuration)"),
        ),
        e => ApiError::new(
            ErrorCode::RegistryUnavailable,
            format!("the {registry} database gave no answer; try again shortly ({e})"),
        ),
    }
}

/// Runs a staff look-up on the blocking pool and writes it to the audit log.
async fn staff_lookup<T: Send + 'static>(
    state: &AppState,
    actor: Actor,
    registry: Registry,
    subject: String,
    purpose: String,
    dossier: Option<DossierCode>,
    ask: impl FnOnce() -> Result<T, LookupError> + Send + 'static,
) -> Result<T, ApiError> {
    let now = state.now();
    let got = crate::connectors::check::blocking(state.connectors.bound, ask).await;
    let outcome = match &got {
        Ok(_) => Some(Outcome::Found),
        Err(LookupError::CircuitOpen | LookupError::NotConfigured) => None,
        Err(e) => Some(e.outcome()),
    };
    if let Some(outcome) = outcome {
        log::info!("{registry} database: {} looked up {} ({})", actor.id, mask(&subject), outcome.as_str());
        let mut row = lookup(&actor, registry, &subject, &purpose, outcome, now);
        row.dossier_code = dossier;
        state.db(move |conn| store::record(conn, &[row])).await?;
    }
    got.map_err(|e| refusal(registry, &e))
}

fn staff_only(caller: &Caller) -> Result<(), ApiError> {
    if matches!(caller.0.role, Role::Officer | Role::Approver) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "national_databases:lookup",
            format!("the {} role does not look up the national databases; officers and approvers do", caller.0.role),
        ))
    }
}

/// Look up a citizen in the population database (officer, approver).
///
/// To pre-fill an in-person registration: the name, date of birth and
/// permanent address the population database holds for the ID number. The
/// look-up is written to the audit log with its purpose. 404
/// `not_in_registry` when the database holds no such person; 503
/// `registry_unavailable` (with `Retry-After`) when it does not answer in
/// time; 409
/// `registry_not_connected` when dvc is not connected to it.
#[utoipa::path(
    operation_id = "lookup_citizen",
    tag = "national databases",
    security(("bearer" = [])),
    request_body = CitizenLookupIn,
    responses((status = 200, body = CitizenOut))
)]
#[post("/api/v1/national-databases/population/lookups")]
pub async fn lookup_citizen(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CitizenLookupIn>,
) -> Result<web::Json<CitizenOut>, ApiError> {
    staff_only(&caller)?;
    let body = body.into_inner();
    let id = personal_id(&body.id_number)?;
    let (purpose, dossier) = purpose_of(&body.purpose, body.dossier_code.as_deref())?;
    let registry = state.connectors.population.clone();
    let subject = id.as_str().to_owned();
    let c = staff_lookup(&state, caller.0, Registry::Population, subject, purpose, dossier, move || {
        registry.ok_or(LookupError::NotConfigured)?.citizen(&id)
    })
    .await?;
    Ok(web::Json(CitizenOut {
        id_number: c.id_number,
        full_name: c.full_name,
        date_of_birth: c.date_of_birth,
        permanent_address: c.permanent_address,
    }))
}

/// Look up an enterprise in the business registration database (officer, approver).
///
/// Its registered name, legal representative and status (active,
/// suspended, dissolved). Logged and refused as the citizen look-up is.
#[utoipa::path(
    operation_id = "lookup_enterprise",
    tag = "national databases",
    security(("bearer" = [])),
    request_body = EnterpriseLookupIn,
    responses((status = 200, body = EnterpriseOut))
)]
#[post("/api/v1/national-databases/business/lookups")]
pub async fn lookup_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<EnterpriseLookupIn>,
) -> Result<web::Json<EnterpriseOut>, ApiError> {
    staff_only(&caller)?;
    let body = body.into_inner();
    let code = tax_code(&body.code)?;
    let (purpose, dossier) = purpose_of(&body.purpose, body.dossier_code.as_deref())?;
    let registry = state.connectors.business.clone();
    let subject = code.as_str().to_owned();
    let e = staff_lookup(&state, caller.0, Registry::Business, subject, purpose, dossier, move || {
        registry.ok_or(LookupError::NotConfigured)?.enterprise(&code)
    })
    .await?;
    use dvc_domain::registry::EnterpriseStatus as S;
    Ok(web::Json(EnterpriseOut {
        code: e.code,
        name: e.name,
        legal_representative: e.legal_representative,
        status: match e.status {
            S::Active => EnterpriseStatusDto::Active,
            S::Suspended => EnterpriseStatusDto::Suspended,
            S::Dissolved => EnterpriseStatusDto::Dissolved,
        },
    }))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LookupOutcomeDto {
    Found,
    Verified,
    Mismatch,
    NotFound,
    Unavailable,
    Malformed,
}

/// One look-up in a national database.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRowOut {
    /// Its place in the log (and in the chain).
    pub seq: i64,
    pub at: DateTime<FixedOffset>,
    pub actor_id: String,
    pub actor_role: RoleDto,
    pub actor_agency: Option<String>,
    pub registry: RegistryDto,
    /// Whose record: the ID number or tax code asked about.
    pub subject: String,
    pub dossier_code: Option<String>,
    pub purpose: String,
    pub outcome: LookupOutcomeDto,
    /// SHA-256 over the row's content and the previous row's hash.
    pub hash: String,
}

impl From<Lookup> for AuditRowOut {
    fn from(r: Lookup) -> Self {
        let outcome = match r.outcome {
            Outcome::Found => LookupOutcomeDto::Found,
            Outcome::Verified => LookupOutcomeDto::Verified,
            Outcome::Mismatch => LookupOutcomeDto::Mismatch,
            Outcome::NotFound => LookupOutcomeDto::NotFound,
            Outcome::Unavailable => LookupOutcomeDto::Unavailable,
            Outcome::Malformed => LookupOutcomeDto::Malformed,
        };
        Self {
            seq: r.seq,
            at: vn(r.at),
            registry: r.registry.into(),
            actor_id: r.actor_id,
            actor_role: r.actor_role.into(),
            actor_agency: r.actor_agency.map(|a| a.to_string()),
            subject: r.subject,
            dossier_code: r.dossier_code.map(|c| c.to_string()),
            purpose: r.purpose,
            outcome,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LookupList {
    pub items: Vec<AuditRowOut>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Only this database.
    pub registry: Option<RegistryDto>,
    /// Only look-ups about this ID number or tax code.
    #[param(max_length = 100)]
    pub subject: Option<String>,
    /// Only look-ups for this dossier.
    #[param(max_length = 40)]
    pub dossier_code: Option<String>,
    /// Only look-ups by this user (token subject).
    #[param(max_length = 128)]
    pub actor: Option<String>,
    /// At or after this instant.
    pub from: Option<DateTime<FixedOffset>>,
    /// Before this instant.
    pub to: Option<DateTime<FixedOffset>>,
    /// Look-ups older than this `seq` (the `next_before` of the page before).
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl Validate for LookupQuery {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        if !(1..=200).contains(&self.limit.unwrap_or(50)) {
            report.add("limit", ErrorCode::OutOfRange, "limit is 1–200");
        }
        if self.before.is_some_and(|b| b < 1) {
            report.add("before", ErrorCode::OutOfRange, "before is a seq, 1 or more");
        }
        for (field, value, max) in
            [("subject", &self.subject, 100), ("dossier_code", &self.dossier_code, 40), ("actor", &self.actor, 128)]
        {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                report.add(field, ErrorCode::TooLong, format!("at most {max} characters"));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if to <= from {
                report.add("to", ErrorCode::BeforeFrom, "to lies after from");
            }
        }
        report.finish()
    }
}

/// The audit log of national-database look-ups (admin).
///
/// Newest first, filtered by database, subject, dossier, user and period.
/// Append only: no operation edits or removes a row.
#[utoipa::path(
    operation_id = "list_lookups",
    tag = "national databases",
    security(("bearer" = [])),
    params(LookupQuery),
    responses((status = 200, body = LookupList))
)]
#[get("/api/v1/national-databases/lookups")]
pub async fn list_lookups(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::extract::Query<LookupQuery>,
) -> Result<web::Json<LookupList>, ApiError> {
    if caller.0.role != Role::Admin {
        return Err(ApiError::forbidden("audit:read", "only an admin reads the audit log of look-ups"));
    }
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    let filter = LookupFilter {
        registry: q.registry.map(|r| Registry::from(r).as_str().to_owned()),
        subject: q.subject,
        dossier_code: q.dossier_code,
        actor_id: q.actor,
        from: q.from.map(|f| f.to_utc()),
        to: q.to.map(|t| t.to_utc()),
        before: q.before,
    };
    let rows = state.db(move |conn| store::list(conn, &filter, limit + 1)).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<AuditRowOut> = rows.into_iter().take(limit as usize).map(Into::into).collect();
    let next_before = if more { items.last().map(|l| l.seq) } else { None };
    Ok(web::Json(LookupList { items, next_before }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogBreakOut {
    /// The row where the chain stops holding.
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogIntegrityOut {
    /// True when the chain holds.
    pub intact: bool,
    /// Rows checked (up to the first break).
    pub rows: u64,
    pub first_break: Option<LogBreakOut>,
}

/// Verify the audit log of look-ups (admin).
///
/// Walks the chain of the log from its first row and names the first row
/// that no longer holds (rewritten, or after a removed one).
#[utoipa::path(
    operation_id = "verify_lookups",
    tag = "national databases",
    security(("bearer" = [])),
    responses((status = 200, body = LogIntegrityOut))
)]
#[get("/api/v1/integrity/lookups")]
pub async fn verify_lookups(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<LogIntegrityOut>, ApiError> {
    if caller.0.role != Role::Admin {
        return Err(ApiError::forbidden("integrity:verify", "only an admin verifies the audit log"));
    }
    let r = state.db(store::verify).await?;
    Ok(web::Json(LogIntegrityOut {
        intact: r.first_break.is_none(),
        rows: r.rows,
        first_break: r.first_break.map(|(seq, reason)| LogBreakOut { seq, reason: reason.to_owned() }),
    }))
}
