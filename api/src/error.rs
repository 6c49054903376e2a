//! `ApiError`: every failure the API answers with, rendered as an RFC 9457
//! problem document (`application/problem+json`) with a stable `code`.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use dvc_domain::{DomainError, ErrorKind};
use dvc_persistence::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request (`fees[1].amount_vnd`, `query.limit`).
    #[schema(example = "fees[1].amount_vnd")]
    pub field: String,
    /// Stable machine code.
    #[schema(example = "out_of_range")]
    pub code: String,
    #[schema(example = "a fee is a whole number of đồng from 0 to 100,000,000,000")]
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:dvc:problem:validation_failed",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "the request has 1 invalid field",
    "code": "validation_failed",
    "errors": [{"field": "code", "code": "invalid_agency_code", "message": "an agency code has the shape ddd.dd.dd.Ldd (e.g. 000.17.22.H56); got \"17.22\""}]
}))]
pub struct Problem {
    /// `urn:dvc:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case machine code.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Present on internal errors: quote it when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Extra facts for this code (e.g. the missing right).
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What an `ApiError` holds (boxed: errors travel in every `Result`).
#[derive(Debug, Clone)]
pub struct ApiErrorBody {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
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

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorBody {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            extra: None,
            cause: None,
        }))
    }

    fn with_extra(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.get_or_insert_with(Default::default).insert(key.to_owned(), value);
        self
    }

    fn with_cause(mut self, cause: String) -> Self {
        self.cause = Some(cause);
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    /// 403 naming the right that was missing.
    pub fn forbidden(right: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail).with_extra("missing_right", right.into())
    }

    pub fn conflict(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        let detail = if n == 1 {
            "the request has 1 invalid field".to_owned()
        } else {
            format!("the request has {n} invalid fields")
        };
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail);
        e.errors = errors;
        e
    }

    /// One invalid field.
    pub fn invalid_field(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError { field: field.into(), code: code.into(), message: message.into() }])
    }

    /// 503: no database connection within the pool's timeout, or one lost
    /// mid-request. Answered with `Retry-After`.
    pub fn unavailable(cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; try again shortly",
        )
        .with_cause(cause.into())
    }

    /// 503: the database refuses writes (read-only file, file system or
    /// transaction) until an operator fixes it; reads still work.
    pub fn read_only(cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_read_only",
            "the database is read-only: changes are refused until an operator makes it writable; reads still work",
        )
        .with_cause(cause.into())
    }

    /// 507: the database's disk is full; reads still work.
    pub fn storage_full(cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            "the database's storage is full: changes are refused until space is freed; reads still work",
        )
        .with_cause(cause.into())
    }

    /// Seconds a client should wait before retrying, for the answers where
    /// a retry can succeed without anyone's help (a database restarting).
    /// A read-only or full database needs an operator: a longer wait.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match (self.status, self.code.as_ref()) {
            (StatusCode::SERVICE_UNAVAILABLE, "database_read_only") => Some(60),
            (StatusCode::SERVICE_UNAVAILABLE, _) => Some(5),
            (StatusCode::INSUFFICIENT_STORAGE, _) => Some(60),
            _ => None,
        }
    }

    /// The problem response, with `Retry-After` where it applies.
    pub fn response(&self, request_id: Option<String>) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type(PROBLEM_JSON);
        if let Some(secs) = self.retry_after_secs() {
            res.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        res.json(self.problem(request_id))
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error").with_cause(cause.into())
    }

    pub fn problem(&self, request_id: Option<String>) -> Problem {
        Problem {
            kind: format!("urn:dvc:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
            request_id,
            extra: self.extra.clone(),
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
                    code: e.code.to_owned(),
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
        // which also logs the cause.
        self.response(None)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e.kind {
            ErrorKind::Conflict => Self::conflict(e.code, e.message),
            ErrorKind::Invalid => Self::validation(vec![FieldError {
                field: e.field.unwrap_or_default(),
                code: e.code.to_owned(),
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
                code: "nul_character".into(),
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
                code: e.code.to_string(),
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
        assert_eq!((res.status(), e.code.as_ref()), (StatusCode::SERVICE_UNAVAILABLE, "database_read_only"));
        assert_eq!(header(&res, RETRY_AFTER).as_deref(), Some("60"));
    }

    #[test]
    fn a_full_disk_is_a_507_storage_full() {
        let e = ApiError::from(StoreError::StorageFull("database or disk is full".into()));
        let res = e.error_response();
        assert_eq!((res.status(), e.code.as_ref()), (StatusCode::INSUFFICIENT_STORAGE, "storage_full"));
        assert_eq!(e.problem(None).title, "Insufficient Storage");
    }

    #[test]
    fn other_errors_carry_no_retry_after() {
        assert_eq!(ApiError::not_found("x").retry_after_secs(), None);
        assert_eq!(ApiError::internal("x").retry_after_secs(), None);
    }
}
