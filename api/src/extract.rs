//! How actix's extractors answer bad input: every refusal is a problem
//! document through `ApiError`. And the extractors of the handlers: [`Json`]
//! (which reads whole numbers as JSON Schema does) and [`Query`], both of
//! which run the request type's `Validate` before the handler
//! (`crate::check`).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::invalid::Invalid;
use dvc_domain::ErrorCode;

/// A JSON request body, read like `web::Json` (same limits, media type and
/// problem documents), except that a whole number written with a fraction
/// or an exponent (`17.0`, `1e3`) is taken for an integer field: JSON Schema
/// counts it as an integer, so the document's `"type": "integer"` allows it.
/// The body's own check (its `Validate`) has passed when a handler gets it.
pub struct Json<T>(pub T);

/// `into_inner` and `Deref` for an extractor that holds a checked value.
macro_rules! holds_checked {
    ($extractor:ident) => {
        impl<T> $extractor<T> {
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> std::ops::Deref for $extractor<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }
    };
}

holds_checked!(Json);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = Gathered::<T>::from_request(req, payload);
        Box::pin(async move {
            let (value, invalid) = read.await?.into_parts();
            invalid.finish()?;
            Ok(Json(value))
        })
    }
}

/// A JSON body read like [`Json`], whose check's errors are not answered at
/// once but handed to the handler with the body: a handler whose later
/// checks (the caller, the clock, the database) can find more answers them
/// all in one 422. The body is reached only through [`Gathered::into_parts`].
pub struct Gathered<T> {
    value: T,
    invalid: Invalid,
}

impl<T> Gathered<T> {
    /// The body, and its check's errors (to answer with the handler's own).
    pub fn into_parts(self) -> (T, Invalid) {
        (self.value, self.invalid)
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Gathered<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_body::<T>(req, payload);
        Box::pin(async move {
            let (value, invalid) = read.await?;
            Ok(Gathered { value, invalid })
        })
    }
}

/// Reads the body as a `T` and runs its check; a body that is not a `T`
/// (malformed, a field it does not know, a value of the wrong type) is
/// refused at once.
fn read_body<T: DeserializeOwned + Validate + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<(T, Invalid), actix_web::Error>> {
    let value = web::Json::<Value>::from_request(req, payload);
    async move {
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
        let (value, mut refused_now): (T, _) = strict(value)?;
        let checked = value.validate().map_err(ApiError::from);
        if !refused_now.is_empty() {
            // A field the operation does not take, or an instant it could not
            // write back, is refused at once, with the check's errors.
            if let Err(e) = &checked {
                refused_now.extend(e.errors.iter().cloned());
            }
            return Err(ApiError::validation(refused_now).into());
        }
        let mut invalid = Invalid::default();
        invalid.take(checked)?;
        Ok((value, invalid))
    }
}

/// Reads `value` as a `T`, and names every field `T` does not know (each by
/// its JSON path, `applicant.chanel`); a value that does not fit is refused
/// with those fields, and its path and serde's reason, in one answer.
fn strict<T: DeserializeOwned>(value: Value) -> Result<(T, Vec<FieldError>), ApiError> {
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
        Ok(value) => Ok((value, errors)),
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

/// A query string, read like `web::Query` (same problem documents), whose
/// own check (its `Validate`) has passed when a handler gets it.
pub struct Query<T>(pub T);

holds_checked!(Query);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let read = web::Query::<T>::from_query(req.query_string()).map_err(|e| query_error(e).into());
        std::future::ready(read.and_then(|query| {
            let query = query.into_inner();
            query.validate().map_err(|e| ApiError::from(e).into()).map(|()| Query(query))
        }))
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
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| query_error(err).into())
}

fn query_error(err: QueryPayloadError) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidQuery, format!("the query string is invalid: {err}"))
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
