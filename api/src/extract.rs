//! How actix's extractors answer bad input: every refusal is a problem
//! document through `ApiError`. And [`Json`], the JSON body extractor of
//! the handlers, which reads whole numbers as JSON Schema does.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

use crate::error::{ApiError, FieldError};
use dvc_domain::ErrorCode;

/// A JSON request body, read like `web::Json` (same limits, media type and
/// problem documents), except that a whole number written with a fraction
/// or an exponent (`17.0`, `1e3`) is taken for an integer field: JSON Schema
/// counts it as an integer, so the document's `"type": "integer"` allows it.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let mut value = value.await?.into_inner();
            if has_nul(&value) {
                // PostgreSQL text cannot hold NUL; refused alike on both backends.
                return Err(ApiError::invalid_field(
                    "body",
                    ErrorCode::NulCharacter,
                    "a NUL character (\\u0000) is not allowed in a text",
                )
                .into());
            }
            whole_numbers_as_integers(&mut value);
            strict(value).map(Json).map_err(Into::into)
        })
    }
}

/// Reads `value` as a `T`, refusing every field `T` does not know (each
/// named by its JSON path, `applicant.chanel`) together with the first value
/// that does not fit (its path and serde's reason), in one answer.
fn strict<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    let mut errors = Vec::new();
    unwritable_instants(&value, "", &mut errors);
    let read: Result<T, _> = {
        let mut unknown = |path: serde_ignored::Path| {
            let field = ignored_path(&path);
            errors.push(FieldError {
                message: format!("unknown field {:?}: this operation does not take it", last_segment(&field)),
                field,
                code: ErrorCode::UnknownField,
            });
        };
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut unknown))
    };
    match read {
        Ok(value) if errors.is_empty() => Ok(value),
        Ok(_) => Err(ApiError::validation(errors)),
        Err(e) => {
            let message = e.inner().to_string();
            let at = e.path().to_string();
            let field = match (at.as_str(), missing_field(&message)) {
                (".", Some(f)) | ("", Some(f)) => f.to_owned(),
                (at, Some(f)) => format!("{at}.{f}"),
                (".", None) | ("", None) => "body".to_owned(),
                (at, None) => at.to_owned(),
            };
            errors.push(FieldError { field, code: ErrorCode::InvalidValue, message });
            Err(ApiError::validation(errors))
        }
    }
}

pub const OUT_OF_RANGE: &str = "an instant lies in the years 0001–9999, in UTC and in Vietnam time";

/// Every RFC 3339 instant in `value` that could not be written back (a
/// year past 9999 in UTC or in Vietnam time), as a field error at its path.
fn unwritable_instants(value: &Value, path: &str, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(s) => {
            if crate::time::unwritable_text(s) {
                errors.push(FieldError {
                    field: if path.is_empty() { "body".into() } else { path.to_owned() },
                    code: ErrorCode::OutOfRange,
                    message: OUT_OF_RANGE.into(),
                });
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                unwritable_instants(item, &format!("{path}[{i}]"), errors);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                unwritable_instants(item, &at, errors);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `documents[0].name` for the path serde_ignored reports.
fn ignored_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        P::Map { parent, key } => {
            let parent = ignored_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => ignored_path(parent),
    }
}

fn last_segment(field: &str) -> &str {
    field.rsplit('.').next().unwrap_or(field)
}

/// The field serde names in "missing field `name`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// The largest magnitude up to which every whole `f64` is exact (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// Rewrites every whole floating-point number that an `i64` holds exactly as
/// that integer (a float field still reads it).
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() <= EXACT) {
                #[allow(clippy::cast_possible_truncation)] // whole and within ±2^53: exact
                let whole = f as i64;
                *n = Number::from(whole);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// Whether a string (or a key) anywhere in the value holds a NUL character.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _req| json_error(err, limit).into())
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(ErrorCode::PayloadTooLarge, format!("the JSON body is larger than {limit} bytes"))
                .vi(format!("Nội dung JSON vượt quá {limit} byte"))
        }
        JsonPayloadError::ContentType => {
            ApiError::new(ErrorCode::UnsupportedMediaType, "send the body as application/json")
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::invalid_field(data_error_field(&e.to_string()), ErrorCode::InvalidValue, e.to_string())
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request(ErrorCode::MalformedJson, format!("the body is not valid JSON: {e}"))
        }
        other => ApiError::bad_request(ErrorCode::MalformedBody, other.to_string()),
    }
}

/// serde names the offending field in messages such as "missing field `name`"
/// or "unknown variant `x`, expected ..."; take it when it is there.
fn data_error_field(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field `") {
        return rest.split('`').next().unwrap_or_default().to_owned();
    }
    "body".to_owned()
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        ApiError::bad_request(ErrorCode::InvalidQuery, format!("the query string is invalid: {err}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
        ApiError::new(ErrorCode::NotFound, format!("no such resource: {err}")).into()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::whole_numbers_as_integers;

    #[test]
    fn whole_floats_become_integers_and_fractions_stay() {
        let mut v = json!({"a": 17.0, "b": [1e3, -2.0, 2.5], "c": "17.0", "d": 1e300});
        whole_numbers_as_integers(&mut v);
        assert_eq!(v, json!({"a": 17, "b": [1000, -2, 2.5], "c": "17.0", "d": 1e300}));
        assert!(v["a"].is_i64());
    }
}
