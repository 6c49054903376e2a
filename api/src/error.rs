//! `ApiError`: every failure the API answers with, rendered as an RFC 9457
//! problem document (`application/problem+json`) with a stable `code` of
//! [`ErrorCode`], in English or Vietnamese (`Accept-Language`).

use std::fmt;

use actix_web::http::header::{HeaderValue, CONTENT_LANGUAGE};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use dvc_domain::{DomainError, ErrorKind};
pub use dvc_domain::{ErrorCode, Lang};
use dvc_persistence::StoreError;
use serde::Serialize;
use utoipa::openapi::schema::{Object, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request (`fees[1].amount_vnd`, `query.limit`).
    #[schema(example = "fees[1].amount_vnd")]
    pub field: String,
    #[schema(value_type = ErrorCodeSchema, example = "out_of_range")]
    pub code: ErrorCode,
    /// What is wrong, for a person: a sentence with the values in English,
    /// the code's message in Vietnamese.
    #[schema(example = "a fee is a whole number of đồng from 0 to 100,000,000,000")]
    pub message: String,
}

/// The OpenAPI schema `ErrorCode`: every code of [`ErrorCode::ALL`] (the
/// domain crate has no OpenAPI dependency, so the schema is written here).
pub struct ErrorCodeSchema;

impl PartialSchema for ErrorCodeSchema {
    fn schema() -> RefOr<Schema> {
        Object::builder()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(
                "Stable snake_case machine code: of a problem (its `code`) or of one invalid field (`errors[].code`). \
                 docs/ERRORS.md lists each with its HTTP status and its English and Vietnamese messages.",
            ))
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

impl ToSchema for ErrorCodeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }
}

/// Facts some codes add to their problem, each under its own key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    /// `forbidden`: the right the caller's role lacks.
    pub missing_right: Option<String>,
    /// `transition_not_allowed`: the dossier's status.
    pub current_status: Option<crate::dossiers::types::StatusDto>,
    /// `transition_not_allowed`: the actions its status allows.
    pub allowed_actions: Option<Vec<crate::dossiers::types::ActionKindDto>>,
    /// `agency_merged`: the agency that took over a merged one.
    pub successor: Option<String>,
    /// `form_not_applicable`: the dossier's code.
    pub dossier: Option<String>,
}

impl Extra {
    /// Takes every fact `other` has.
    pub fn merge(&mut self, other: Extra) {
        let Extra { missing_right, current_status, allowed_actions, successor, dossier } = other;
        self.missing_right = missing_right.or(self.missing_right.take());
        self.current_status = current_status.or(self.current_status.take());
        self.allowed_actions = allowed_actions.or(self.allowed_actions.take());
        self.successor = successor.or(self.successor.take());
        self.dossier = dossier.or(self.dossier.take());
    }
}

/// An RFC 9457 problem document. `title` and `detail` are in the language
/// `Accept-Language` asks for (English or Vietnamese; `Content-Language`
/// says which).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:dvc:problem:validation_failed",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "the request has 1 invalid field",
    "code": "validation_failed",
    "errors": [{"field": "code", "code": "invalid_agency_code", "message": "an agency code has the shape ddd.dd.dd.Ldd (e.g. 000.17.22.H56); got \"17.22\""}]
}))]
pub struct Problem {
    /// `urn:dvc:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status in words.
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[schema(value_type = ErrorCodeSchema)]
    pub code: ErrorCode,
    /// `validation_failed`: one entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Present on internal errors: quote it when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub request_id: Option<String>,
    /// `forbidden`: the right the caller's role lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub missing_right: Option<String>,
    /// `transition_not_allowed`: the dossier's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub current_status: Option<crate::dossiers::types::StatusDto>,
    /// `transition_not_allowed`: the actions the dossier's status allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub allowed_actions: Option<Vec<crate::dossiers::types::ActionKindDto>>,
    /// `agency_merged` (in `errors`): the agency that took over the merged one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub successor: Option<String>,
    /// `form_not_applicable`: the dossier's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub dossier: Option<String>,
}

/// What an `ApiError` holds (boxed: errors travel in every `Result`).
#[derive(Debug, Clone)]
pub struct ApiErrorBody {
    pub status: StatusCode,
    pub code: ErrorCode,
    /// A sentence in English, with the values of this case.
    pub detail: String,
    /// The same in Vietnamese, where the place that raises the error gives
    /// one; else the Vietnamese answer says the code's message.
    pub detail_vi: Option<String>,
    pub errors: Vec<FieldError>,
    pub extra: Extra,
    /// Logged, never shown: the cause of an internal error.
    pub cause: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError(Box<ApiErrorBody>);

impl std::ops::Deref for ApiError {
    type Target = ApiErrorBody;
    fn deref(&self) -> &ApiErrorBody {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorBody {
        &mut self.0
    }
}

/// The status a code decides, else `otherwise`.
fn status_of(code: ErrorCode, otherwise: StatusCode) -> StatusCode {
    code.status().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(otherwise)
}

/// The title of a problem: its HTTP status in words.
pub fn title(status: StatusCode, lang: Lang) -> &'static str {
    match lang {
        Lang::En => status.canonical_reason().unwrap_or("Error"),
        Lang::Vi => match status.as_u16() {
            400 => "Yêu cầu không hợp lệ",
            401 => "Chưa xác thực",
            403 => "Không có quyền truy cập",
            404 => "Không tìm thấy",
            405 => "Phương thức không được phép",
            406 => "Không có định dạng phù hợp",
            409 => "Xung đột với dữ liệu hiện có",
            412 => "Dữ liệu đã thay đổi",
            413 => "Nội dung quá lớn",
            415 => "Kiểu nội dung không được hỗ trợ",
            422 => "Dữ liệu không hợp lệ",
            429 => "Quá nhiều yêu cầu",
            502 => "Lỗi kết nối hệ thống bên ngoài",
            503 => "Dịch vụ tạm thời không khả dụng",
            504 => "Hết thời gian chờ",
            507 => "Không đủ dung lượng lưu trữ",
            s if s >= 500 => "Lỗi hệ thống",
            _ => "Yêu cầu không hợp lệ",
        },
    }
}

impl ApiError {
    /// A problem with the status its code decides.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::with_status(status_of(code, StatusCode::BAD_REQUEST), code, detail)
    }

    /// A problem whose status is not its code's (a generic `bad_request`
    /// for another 4xx).
    pub fn with_status(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorBody {
            status,
            code,
            detail: detail.into(),
            detail_vi: None,
            errors: Vec::new(),
            extra: Extra::default(),
            cause: None,
        }))
    }

    /// The detail in Vietnamese, with the values of this case.
    pub fn vi(mut self, detail: impl Into<String>) -> Self {
        self.detail_vi = Some(detail.into());
        self
    }

    fn with_cause(mut self, cause: String) -> Self {
        self.cause = Some(cause);
        self
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::with_status(status_of(code, StatusCode::BAD_REQUEST), code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, detail)
    }

    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::with_status(status_of(code, StatusCode::UNAUTHORIZED), code, detail)
    }

    /// 403 naming the right that was missing.
    pub fn forbidden(right: &str, detail: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorCode::Forbidden, detail)
            .vi(format!("Vai trò của bạn không có quyền {right} cần cho thao tác này"));
        e.extra.missing_right = Some(right.to_owned());
        e
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::with_status(status_of(code, StatusCode::CONFLICT), code, detail)
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        let detail = if n == 1 {
            "the request has 1 invalid field".to_owned()
        } else {
            format!("the request has {n} invalid fields")
        };
        let mut e =
            Self::new(ErrorCode::ValidationFailed, detail).vi(format!("Yêu cầu có {n} trường dữ liệu không hợp lệ"));
        e.errors = errors;
        e
    }

    /// One invalid field.
    pub fn invalid_field(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError { field: field.into(), code, message: message.into() }])
    }

    /// 503: no database connection within the pool's timeout, or one lost
    /// mid-request. Answered with `Retry-After`.
    pub fn unavailable(cause: impl Into<String>) -> Self {
        Self::new(ErrorCode::DatabaseUnavailable, "the database is unavailable; try again shortly")
            .with_cause(cause.into())
    }

    /// 503: the database refuses writes (read-only file, file system or
    /// transaction) until an operator fixes it; reads still work.
    pub fn read_only(cause: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::DatabaseReadOnly,
            "the database is read-only: changes are refused until an operator makes it writable; reads still work",
        )
        .vi("Cơ sở dữ liệu đang ở chế độ chỉ đọc: chưa thể ghi thay đổi cho đến khi người quản trị khắc phục; vẫn có thể đọc dữ liệu")
        .with_cause(cause.into())
    }

    /// 507: the database's disk is full; reads still work.
    pub fn storage_full(cause: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::StorageFull,
            "the database's storage is full: changes are refused until space is freed; reads still work",
        )
        .vi("Bộ nhớ lưu trữ của cơ sở dữ liệu đã đầy: chưa thể ghi thay đổi cho đến khi được giải phóng; vẫn có thể đọc dữ liệu")
        .with_cause(cause.into())
    }

    /// Seconds a client should wait before retrying, for the answers where
    /// a retry can succeed without anyone's help (a database restarting).
    /// A read-only or full database needs an operator: a longer wait.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match (self.status, self.code) {
            (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DatabaseReadOnly) => Some(60),
            (StatusCode::SERVICE_UNAVAILABLE, _) => Some(5),
            (StatusCode::INSUFFICIENT_STORAGE, _) => Some(60),
            _ => None,
        }
    }

    /// The problem response in `lang`, with `Content-Language`, and
    /// `Retry-After` where it applies.
    pub fn response(&self, request_id: Option<String>, lang: Lang) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type(PROBLEM_JSON);
        res.insert_header((CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag())));
        if let Some(secs) = self.retry_after_secs() {
            res.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        res.json(self.problem(request_id, lang))
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, "internal error").with_cause(cause.into())
    }

    /// The detail in `lang`.
    pub fn detail_in(&self, lang: Lang) -> String {
        match (lang, &self.detail_vi) {
            (Lang::En, _) => self.detail.clone(),
            (Lang::Vi, Some(vi)) => vi.clone(),
            (Lang::Vi, None) => self.code.message(Lang::Vi).to_owned(),
        }
    }

    pub fn problem(&self, request_id: Option<String>, lang: Lang) -> Problem {
        let Extra { missing_right, current_status, allowed_actions, successor, dossier } = self.extra.clone();
        Problem {
            kind: format!("urn:dvc:problem:{}", self.code),
            title: title(self.status, lang).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail_in(lang),
            code: self.code,
            errors: self
                .errors
                .iter()
                .map(|f| match lang {
                    Lang::En => f.clone(),
                    Lang::Vi => FieldError { message: f.code.message(Lang::Vi).to_owned(), ..f.clone() },
                })
                .collect(),
            request_id,
            missing_right,
            current_status,
            allowed_actions,
            successor,
            dossier,
        }
    }

    /// Domain errors that name a field become per-field validation errors.
    pub fn from_domain_errors(errors: Vec<DomainError>, prefix: &str) -> Self {
        if let [single] = errors.as_slice() {
            if single.kind == ErrorKind::Conflict {
                return Self::from(single.clone());
            }
        }
        Self::validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: join_path(prefix, e.field.as_deref().unwrap_or_default()),
                    code: e.code,
                    message: e.message,
                })
                .collect(),
        )
    }
}

fn join_path(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{field}"),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        // Internal errors get their request id from the request-id middleware,
        // which also logs the cause, and answers in the request's language.
        self.response(None, Lang::En)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e.kind {
            ErrorKind::Conflict => Self::conflict(e.code, e.message),
            ErrorKind::Invalid => Self::validation(vec![FieldError {
                field: e.field.unwrap_or_default(),
                code: e.code,
                message: e.message,
            }]),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => Self::not_found(format!("{what} not found")),
            StoreError::Conflict { code, message } => Self::conflict(code, message),
            StoreError::Domain(d) => d.into(),
            StoreError::Unavailable(cause) => Self::unavailable(cause),
            StoreError::ReadOnly(cause) => Self::read_only(cause),
            StoreError::StorageFull(cause) => Self::storage_full(cause),
            StoreError::Corrupt(cause) => Self::internal(format!("corrupt data: {cause}")),
            // PostgreSQL refuses NUL in text ("invalid byte sequence for
            // encoding UTF8: 0x00"): the request's fault, and nothing was written.
            StoreError::Database(other) if other.to_string().contains("0x00") => Self::validation(vec![FieldError {
                field: "body".into(),
                code: ErrorCode::NulCharacter,
                message: "text may not contain a NUL character (\\u0000)".into(),
            }]),
            StoreError::Database(other) => Self::internal(format!("database: {other}")),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        flatten_validation("", &errors, &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        Self::validation(out)
    }
}

fn flatten_validation(prefix: &str, errors: &validator::ValidationErrors, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind as K;
    for (field, kind) in errors.errors() {
        let path = join_path(prefix, field);
        match kind {
            K::Field(list) => out.extend(list.iter().map(|e| FieldError {
                field: path.clone(),
                code: validator_code(&e.code),
                message:
                    e.message.as_ref().map_or_else(|| format!("{path} is invalid ({})", e.code), ToString::to_string),
            })),
            K::Struct(inner) => flatten_validation(&path, inner, out),
            K::List(items) => {
                for (i, inner) in items {
                    flatten_validation(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

/// The code of a `validator` check: its name when that is a code
/// (`length`, `range`), else `invalid_value`.
fn validator_code(name: &str) -> ErrorCode {
    ErrorCode::parse(name).unwrap_or(ErrorCode::InvalidValue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{CONTENT_TYPE, RETRY_AFTER};

    fn header(res: &HttpResponse, name: actix_web::http::header::HeaderName) -> Option<String> {
        res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    #[test]
    fn a_pool_timeout_is_a_503_problem_with_retry_after() {
        let e = ApiError::from(StoreError::Unavailable("timed out waiting for connection".into()));
        let res = e.error_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code, "database_unavailable");
        assert_eq!(header(&res, CONTENT_TYPE).as_deref(), Some(PROBLEM_JSON));
        assert_eq!(header(&res, RETRY_AFTER).as_deref(), Some("5"));
    }

    #[test]
    fn a_read_only_database_is_a_503_database_read_only() {
        let e = ApiError::from(StoreError::ReadOnly("attempt to write a readonly database".into()));
        let res = e.error_response();
        assert_eq!((res.status(), e.code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "database_read_only"));
        assert_eq!(header(&res, RETRY_AFTER).as_deref(), Some("60"));
    }

    #[test]
    fn a_full_disk_is_a_507_storage_full() {
        let e = ApiError::from(StoreError::StorageFull("database or disk is full".into()));
        let res = e.error_response();
        assert_eq!((res.status(), e.code.as_str()), (StatusCode::INSUFFICIENT_STORAGE, "storage_full"));
        assert_eq!(e.problem(None, Lang::En).title, "Insufficient Storage");
    }

    #[test]
    fn other_errors_carry_no_retry_after() {
        assert_eq!(ApiError::not_found("x").retry_after_secs(), None);
        assert_eq!(ApiError::internal("x").retry_after_secs(), None);
    }

    #[test]
    fn a_vietnamese_problem_translates_title_detail_and_field_messages_and_keeps_the_rest() {
        let e = ApiError::invalid_field("limit", ErrorCode::OutOfRange, "limit is between 1 and 500");
        let en = serde_json::to_value(e.problem(None, Lang::En)).unwrap_or_default();
        let vi = serde_json::to_value(e.problem(None, Lang::Vi)).unwrap_or_default();
        assert_eq!(en["title"], "Unprocessable Entity");
        assert_eq!(en["errors"][0]["message"], "limit is between 1 and 500");
        assert_eq!(vi["title"], "Dữ liệu không hợp lệ");
        assert_eq!(vi["detail"], "Yêu cầu có 1 trường dữ liệu không hợp lệ");
        assert_eq!(vi["errors"][0]["message"], "Giá trị nằm ngoài phạm vi cho phép");
        for key in ["type", "status", "code"] {
            assert_eq!(en[key], vi[key], "{key}");
        }
        assert_eq!(vi["errors"][0]["code"], "out_of_range");
        let not_found = ApiError::not_found("dossier X not found").problem(None, Lang::Vi);
        assert_eq!((not_found.title.as_str(), not_found.detail.as_str()), ("Không tìm thấy", "Không tìm thấy"));
    }

    #[test]
    fn a_problem_says_its_language() {
        for lang in Lang::ALL {
            let res = ApiError::not_found("x").response(None, lang);
            assert_eq!(header(&res, CONTENT_LANGUAGE).as_deref(), Some(lang.tag()));
        }
    }

    #[test]
    fn extra_facts_are_flat_keys_of_the_problem() {
        let p = serde_json::to_value(ApiError::forbidden("dossier.receive", "no").problem(None, Lang::En))
            .unwrap_or_default();
        assert_eq!(p["missing_right"], "dossier.receive");
        assert!(p.get("successor").is_none() && p.get("request_id").is_none() && p.get("errors").is_none());
    }

    #[test]
    fn the_schema_of_codes_lists_every_code() {
        let schema = serde_json::to_value(ErrorCodeSchema::schema()).unwrap_or_default();
        let listed: Vec<&str> = schema["enum"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, all);
    }

    #[test]
    fn validator_checks_keep_their_codes() {
        assert_eq!(validator_code("length"), ErrorCode::Length);
        assert_eq!(validator_code("range"), ErrorCode::Range);
        assert_eq!(validator_code("something_else"), ErrorCode::InvalidValue);
    }
}
