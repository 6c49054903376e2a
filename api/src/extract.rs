//! How actix's extractors answer bad input: every refusal is a problem
//! document through `ApiError`.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};

use crate::error::ApiError;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _req| json_error(err, limit).into())
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the JSON body is larger than {limit} bytes"),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::invalid_field(data_error_field(&e.to_string()), "invalid_value", e.to_string())
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
        other => ApiError::bad_request("malformed_body", other.to_string()),
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
        ApiError::bad_request("invalid_query", format!("the query string is invalid: {err}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no such resource: {err}")).into()
    })
}
