//! HTTP shapes of agencies.

use chrono::{DateTime, FixedOffset};
use dvc_domain::agency::{Agency, AgencyCode, AgencyLevel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::check;
use crate::error::ApiError;
use dvc_domain::ErrorCode;

crate::mirror_enum! {
    /// The administrative level of an agency.
    AgencyLevelDto => AgencyLevel { Province, Department, District, Commune }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "000.17.22.H56", "name": "Sở Kế hoạch và Đầu tư", "level": "department", "parent": "000.00.00.H56", "active": true, "successor": null, "merged_at": null, "notify_email": null}))]
pub struct AgencyOut {
    pub code: String,
    pub name: String,
    pub level: AgencyLevelDto,
    pub parent: Option<String>,
    /// False once merged into a successor.
    pub active: bool,
    /// After an administrative merger, the agency that took over.
    pub successor: Option<String>,
    /// The merge date: from then on the agency takes no new dossier.
    pub merged_at: Option<DateTime<FixedOffset>>,
    /// Where the agency is told of its dossiers about to run late.
    pub notify_email: Option<String>,
}

impl From<Agency> for AgencyOut {
    fn from(a: Agency) -> Self {
        Self {
            code: a.code.to_string(),
            name: a.name,
            level: a.level.into(),
            parent: a.parent.map(|p| p.to_string()),
            active: a.active,
            successor: a.successor.map(|s| s.to_string()),
            merged_at: a.merged_at.map(crate::time::vn),
            notify_email: a.notify_email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyList {
    pub items: Vec<AgencyOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"code": "000.17.30.H56", "name": "Sở Tài chính", "level": "department", "parent": "000.00.00.H56"}))]
pub struct NewAgency {
    /// `ddd.dd.dd.Ldd`.
    #[validate(custom(function = "check::agency_code"))]
    #[schema(example = "000.17.30.H56", pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub code: String,
    #[validate(length(min = 1, max = 300), custom(function = "check::not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    pub level: AgencyLevelDto,
    #[validate(custom(function = "check::agency_code"))]
    #[schema(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub parent: Option<String>,
    /// Where the agency is told of its dossiers about to run late
    /// (docs/RULES.md §12); absent: it is not told.
    #[serde(default)]
    #[validate(custom(function = "warning_address"))]
    #[schema(max_length = 254, example = "motcua@sokhdt.binhduong.gov.vn")]
    pub notify_email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "Sở Tài chính tỉnh Bình Dương", "level": "department", "parent": "000.00.00.H56", "active": true}))]
pub struct AgencyUpdate {
    #[validate(length(min = 1, max = 300), custom(function = "check::not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    pub level: AgencyLevelDto,
    #[validate(custom(function = "check::agency_code"))]
    #[schema(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub parent: Option<String>,
    pub active: bool,
    /// Where the agency is told of its dossiers about to run late; absent:
    /// it is not told (a PUT replaces it too).
    #[serde(default)]
    #[validate(custom(function = "warning_address"))]
    #[schema(max_length = 254, example = "motcua@sokhdt.binhduong.gov.vn")]
    pub notify_email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"successor": "000.00.00.H56", "merged_at": "2025-07-01T00:00:00+07:00"}))]
pub struct MergeRequest {
    /// The agency that takes over.
    #[validate(custom(function = "check::agency_code"))]
    #[schema(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub successor: String,
    /// The merge date (default: now); not in the future.
    #[serde(default)]
    pub merged_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AgencyQuery {
    pub level: Option<AgencyLevelDto>,
    /// Only the direct sub-units of this agency.
    #[validate(custom(function = "check::agency_code"))]
    #[param(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub parent: Option<String>,
    pub active: Option<bool>,
    /// Words to find in the code or name, ignoring diacritics and case.
    pub q: Option<String>,
}

/// `custom` check: an address for the agency's warnings, one mailbox as
/// SMTP takes it.
fn warning_address(value: &str) -> Result<(), validator::ValidationError> {
    let v = value.trim();
    if v.len() > 254 || v.parse::<lettre::Address>().is_err() {
        return Err(check::error(ErrorCode::InvalidEmail, "an email address such as motcua@sokhdt.binhduong.gov.vn"));
    }
    Ok(())
}

pub fn parse_code(field: &str, code: &str) -> Result<AgencyCode, ApiError> {
    AgencyCode::parse(code).map_err(|e| ApiError::invalid_field(field, e.code, e.message))
}

pub fn parse_optional(field: &str, code: Option<&str>) -> Result<Option<AgencyCode>, ApiError> {
    code.map(|c| parse_code(field, c)).transpose()
}

/// A malformed code in a path names no resource: 404.
pub fn path_code(code: &str) -> Result<AgencyCode, ApiError> {
    AgencyCode::parse(code).map_err(|_| ApiError::not_found(format!("agency {code} not found")))
}
