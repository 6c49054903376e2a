//! HTTP shapes of the procedure catalogue.

use chrono::{DateTime, NaiveDate};
use dvc_domain::agency::AgencyCode;
use dvc_domain::procedure::{
    AdministrativeLevel, Component, Fee, FeeCollection, ProcedureContent, ProcessingTime, Sector, ServiceLevel,
    SubmissionChannel, VersionStatus,
};
use dvc_domain::time_limit::TimeUnit;
use dvc_persistence::procedures::StoredVersion;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationErrors};

use crate::agencies::types::{parse_code, parse_optional};
use crate::check::Report;
use crate::error::{ApiError, FieldError};
use crate::time::vn;
use dvc_domain::procedure::{ProcedureCode, Validity};
use dvc_domain::text;
use dvc_domain::ErrorCode;

crate::mirror_enum! {
    /// The administrative level a procedure is settled at.
    AdministrativeLevelDto => AdministrativeLevel { Province, District, Commune }
}
crate::mirror_enum! {
    /// Online service level under Decree 42/2022: `information` (old level 2), `partial` (3), `full` (4).
    ServiceLevelDto => ServiceLevel { Information, Partial, Full }
}
crate::mirror_enum! {
    /// A channel through which dossiers may be submitted.
    SubmissionChannelDto => SubmissionChannel { InPerson, Online, Postal }
}
crate::mirror_enum! {
    /// When a fee is collected.
    FeeCollectionDto => FeeCollection { OnReceipt, OnResult }
}
crate::mirror_enum! {
    /// The unit a processing time is counted in.
    TimeUnitDto => TimeUnit { WorkingDays, CalendarDays, WorkingHours }
}
crate::mirror_enum! {
    /// `draft` until published; a published version is immutable.
    VersionStatusDto => VersionStatus { Draft, Published }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
pub struct SectorDto {
    #[validate(length(min = 1, max = 50))]
    #[schema(example = "DKKD", min_length = 1, max_length = 50)]
    pub code: String,
    #[validate(length(min = 1, max = 300))]
    #[schema(example = "Thành lập và hoạt động doanh nghiệp", min_length = 1, max_length = 300)]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
pub struct ProcessingTimeDto {
    /// How many units (1–3650); ignored for `same_day` procedures.
    #[validate(range(min = 0, max = 3650))]
    #[schema(example = 3, minimum = 0, maximum = 3650)]
    pub amount: u32,
    pub unit: TimeUnitDto,
    /// A shorter time for online submission, in the same unit.
    #[serde(default)]
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub online_amount: Option<u32>,
    /// Settled within the day: received before the cut-off (15:00), due at closing.
    #[serde(default)]
    pub same_day: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
pub struct FeeDto {
    #[validate(length(min = 1, max = 50))]
    #[schema(example = "LP01", min_length = 1, max_length = 50)]
    pub code: String,
    #[validate(length(max = 1000))]
    #[schema(example = "Lệ phí đăng ký doanh nghiệp", max_length = 1000)]
    pub description: String,
    /// Whole đồng.
    #[validate(range(min = 0, max = 100_000_000_000i64))]
    #[schema(example = 50000, minimum = 0, maximum = 100_000_000_000i64)]
    pub amount_vnd: i64,
    pub collected: FeeCollectionDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
pub struct ComponentDto {
    /// The case (trường hợp) this component belongs to.
    #[validate(length(max = 500))]
    #[schema(example = "Trường hợp chung", max_length = 500)]
    pub case: String,
    #[validate(length(min = 1, max = 50))]
    #[schema(example = "TP01", min_length = 1, max_length = 50)]
    pub code: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(example = "Giấy đề nghị đăng ký doanh nghiệp", min_length = 1, max_length = 1000)]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub form_template: Option<String>,
    #[validate(range(max = 100))]
    #[schema(maximum = 100)]
    pub originals: u32,
    #[validate(range(max = 100))]
    #[schema(maximum = 100)]
    pub copies: u32,
}

/// The versioned content of a procedure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
pub struct ContentDto {
    #[validate(length(min = 1, max = 1000))]
    #[schema(example = "Đăng ký thành lập doanh nghiệp tư nhân", min_length = 1, max_length = 1000)]
    pub name: String,
    #[validate(nested)]
    pub sector: SectorDto,
    /// Agency codes that carry out the procedure.
    #[validate(length(min = 1, max = 500))]
    #[schema(example = json!(["000.17.22.H56"]), min_items = 1, max_items = 500)]
    pub implementing_agencies: Vec<String>,
    pub level: AdministrativeLevelDto,
    pub service_level: ServiceLevelDto,
    #[validate(nested)]
    pub processing_time: ProcessingTimeDto,
    #[serde(default)]
    #[validate(nested, length(max = 100))]
    #[schema(max_items = 100)]
    pub fees: Vec<FeeDto>,
    #[serde(default)]
    #[validate(nested, length(max = 200))]
    #[schema(max_items = 200)]
    pub components: Vec<ComponentDto>,
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub results: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub legal_bases: Vec<String>,
    #[validate(length(min = 1, max = 3))]
    #[schema(min_items = 1, max_items = 3)]
    pub channels: Vec<SubmissionChannelDto>,
}

impl ContentDto {
    /// Validates the shape and the domain rules, and reports every breach
    /// of either, with its field path, in one answer (a field the shape
    /// check already refused is not reported again by the domain rules).
    pub fn into_domain(self, prefix: &str) -> Result<ProcedureContent, ApiError> {
        let mut field_errors = Vec::new();
        if let Err(errors) = self.validate() {
            let e = ApiError::from(errors);
            field_errors.extend(e.errors.iter().cloned().map(|mut f| {
                f.field = join(prefix, &f.field);
                f
            }));
        }
        let mut implementing = Vec::new();
        for (i, code) in self.implementing_agencies.iter().enumerate() {
            match AgencyCode::parse(code) {
                Ok(c) => implementing.push(c),
                Err(e) => field_errors.push(FieldError {
                    field: join(prefix, &format!("implementing_agencies[{i}]")),
                    code: e.code,
                    message: e.message,
                }),
            }
        }
        let too_long = |list: &[String]| list.iter().any(|s| s.is_empty() || s.chars().count() > 1000);
        if too_long(&self.results) {
            field_errors.push(FieldError {
                field: join(prefix, "results"),
                code: ErrorCode::Length,
                message: "each result is 1–1000 characters".into(),
            });
        }
        if too_long(&self.legal_bases) {
            field_errors.push(FieldError {
                field: join(prefix, "legal_bases"),
                code: ErrorCode::Length,
                message: "each legal basis is 1–1000 characters".into(),
            });
        }
        let content = ProcedureContent {
            name: self.name.trim().to_owned(),
            sector: Sector { code: self.sector.code.trim().to_owned(), name: self.sector.name.trim().to_owned() },
            implementing_agencies: implementing,
            level: self.level.into(),
            service_level: self.service_level.into(),
            processing_time: ProcessingTime {
                amount: self.processing_time.amount,
                unit: self.processing_time.unit.into(),
                online_amount: self.processing_time.online_amount,
                same_day: self.processing_time.same_day,
            },
            fees: self
                .fees
                .into_iter()
                .map(|f| Fee {
                    code: f.code,
                    description: f.description,
                    amount_vnd: f.amount_vnd,
                    collected: f.collected.into(),
                })
                .collect(),
            components: self
                .components
                .into_iter()
                .map(|c| Component {
                    case: c.case,
                    code: c.code,
                    name: c.name,
                    form_template: c.form_template,
                    originals: c.originals,
                    copies: c.copies,
                })
                .collect(),
            results: self.results,
            legal_bases: self.legal_bases,
            channels: self.channels.into_iter().map(Into::into).collect(),
        };
        if let Err(errors) = content.validate() {
            for f in ApiError::from_domain_errors(errors, prefix).errors.iter() {
                if !field_errors.iter().any(|g| g.field == f.field) {
                    field_errors.push(f.clone());
                }
            }
        }
        if field_errors.is_empty() {
            Ok(content)
        } else {
            Err(ApiError::validation(field_errors))
        }
    }

    pub fn from_domain(c: ProcedureContent) -> Self {
        Self {
            name: c.name,
            sector: SectorDto { code: c.sector.code, name: c.sector.name },
            implementing_agencies: c.implementing_agencies.into_iter().map(|a| a.to_string()).collect(),
            level: c.level.into(),
            service_level: c.service_level.into(),
            processing_time: ProcessingTimeDto {
                amount: c.processing_time.amount,
                unit: c.processing_time.unit.into(),
                online_amount: c.processing_time.online_amount,
                same_day: c.processing_time.same_day,
            },
            fees: c
                .fees
                .into_iter()
                .map(|f| FeeDto {
                    code: f.code,
                    description: f.description,
                    amount_vnd: f.amount_vnd,
                    collected: f.collected.into(),
                })
                .collect(),
            components: c
                .components
                .into_iter()
                .map(|x| ComponentDto {
                    case: x.case,
                    code: x.code,
                    name: x.name,
                    form_template: x.form_template,
                    originals: x.originals,
                    copies: x.copies,
                })
                .collect(),
            results: c.results,
            legal_bases: c.legal_bases,
            channels: c.channels.into_iter().map(Into::into).collect(),
        }
    }
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// A new procedure: its code, publishing agency and first draft.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "code": "2.001610",
    "agency": "000.17.22.H56",
    "content": {
        "name": "Đăng ký thành lập doanh nghiệp tư nhân",
        "sector": {"code": "DKKD", "name": "Thành lập và hoạt động doanh nghiệp"},
        "implementing_agencies": ["000.17.22.H56"],
        "level": "province",
        "service_level": "full",
        "processing_time": {"amount": 3, "unit": "working_days", "online_amount": null, "same_day": false},
        "fees": [{"code": "LP01", "description": "Lệ phí đăng ký doanh nghiệp", "amount_vnd": 50000, "collected": "on_receipt"}],
        "components": [{"case": "Trường hợp chung", "code": "TP01", "name": "Giấy đề nghị đăng ký doanh nghiệp", "form_template": "Phụ lục I-1", "originals": 1, "copies": 0}],
        "results": ["Giấy chứng nhận đăng ký doanh nghiệp"],
        "legal_bases": ["Luật Doanh nghiệp số 59/2020/QH14"],
        "channels": ["in_person", "online", "postal"]
    }
}))]
pub struct NewProcedure {
    /// National code: one digit, a dot, six digits.
    #[schema(example = "2.001610", pattern = r"^[0-9]\.[0-9]{6}$")]
    pub code: String,
    /// The publishing agency, which keeps the procedure.
    #[schema(example = "000.17.22.H56", pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub agency: String,
    pub content: ContentDto,
}

impl Validate for NewProcedure {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(procedure_code(&self.code));
        report.take(parse_code("agency", &self.agency));
        report.take(self.content.clone().into_domain("content"));
        report.finish()
    }
}

/// A procedure's national code, at `code`.
pub fn procedure_code(code: &str) -> Result<ProcedureCode, ApiError> {
    ProcedureCode::parse(code).map_err(|e| ApiError::invalid_field("code", e.code, e.message))
}

/// A new draft version's content.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DraftIn {
    pub content: ContentDto,
}

impl Validate for DraftIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(self.content.clone().into_domain("content"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"effective_from": "2026-01-01", "effective_to": null}))]
pub struct PublishIn {
    /// First day in force (Vietnam date).
    pub effective_from: NaiveDate,
    /// First day no longer in force; absent: until retired.
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
}

impl Validate for PublishIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(Validity::new(self.effective_from, self.effective_to).map_err(ApiError::from))
    }
}

/// The day a version leaves force; whether it may is the version's rule.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"effective_to": "2026-07-01"}))]
pub struct RetireIn {
    /// First day no longer in force.
    pub effective_to: NaiveDate,
}

/// One version of a procedure.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    #[schema(example = "2.001610")]
    pub code: String,
    /// The code with the publishing agency appended.
    #[schema(example = "2.001610.000.17.22.H56")]
    pub local_code: String,
    pub agency: String,
    pub version: i32,
    pub status: VersionStatusDto,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    /// The pre-2022 numbering of the online service level (2, 3 or 4).
    #[schema(example = 4)]
    pub legacy_service_level: u8,
    pub content: ContentDto,
    pub created_at: DateTime<chrono::FixedOffset>,
    pub updated_at: DateTime<chrono::FixedOffset>,
    pub published_at: Option<DateTime<chrono::FixedOffset>>,
}

impl From<StoredVersion> for VersionOut {
    fn from(s: StoredVersion) -> Self {
        let v = s.version;
        Self {
            local_code: v.code.local(&v.agency),
            code: v.code.to_string(),
            agency: v.agency.to_string(),
            version: v.version,
            status: v.status.into(),
            effective_from: v.validity.map(|x| x.from),
            effective_to: v.validity.and_then(|x| x.to),
            legacy_service_level: v.content.service_level.legacy_level(),
            content: ContentDto::from_domain(v.content),
            created_at: vn(s.created_at),
            updated_at: vn(s.updated_at),
            published_at: s.published_at.map(vn),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogueParams {
    /// Words to find in the code, name or sector, ignoring diacritics and
    /// case (at most 200 characters).
    #[param(example = "dang ky kinh doanh")]
    pub q: Option<String>,
    /// Sector code.
    pub sector: Option<String>,
    /// Agency code: procedures it publishes or carries out.
    pub agency: Option<String>,
    pub level: Option<AdministrativeLevelDto>,
    pub service_level: Option<ServiceLevelDto>,
    /// The date the versions must be in force (default: today, Vietnam time).
    pub at: Option<NaiveDate>,
}

impl Validate for CatalogueParams {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(search_words(self.q.as_deref()));
        report.take(parse_optional("agency", self.agency.as_deref()));
        report.finish()
    }
}

/// The words of a catalogue search, folded (no diacritics, lower case).
pub fn search_words(q: Option<&str>) -> Result<Vec<String>, ApiError> {
    let words = q.map(text::fold).unwrap_or_default();
    if words.chars().count() > 200 {
        return Err(ApiError::invalid_field("q", ErrorCode::Length, "search text is at most 200 characters"));
    }
    Ok(words.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect())
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AtParams {
    /// The date the version must be in force (default: today, Vietnam time).
    pub at: Option<NaiveDate>,
}
