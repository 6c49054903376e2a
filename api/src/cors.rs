//! Calls from browsers on other origins (the agencies' front-ends): CORS for
//! the origins of `DVC_CORS_ORIGINS` only, through actix-cors, each
//! preflight answered with what its route takes.
//!
//! - No origin configured: no CORS header at all (a preflight is an
//!   `OPTIONS` like any other: 405).
//! - An allowed origin: its preflight is answered 200 with the methods of
//!   the route (as `Allow` lists them) and the request headers the route
//!   reads ([`REQUEST_HEADERS`], plus the header parameters its operations
//!   document: `Idempotency-Key`, `If-Match`); its answers carry
//!   `Access-Control-Allow-Origin` and expose [`EXPOSED`] to scripts.
//!   Credentials are bearer tokens in `Authorization`, never cookies: no
//!   `Access-Control-Allow-Credentials`.
//! - Another origin: its requests are served as without CORS (the browser
//!   keeps the answer from the page); its preflight gets 403
//!   `origin_not_allowed` without any CORS header. A preflight of an allowed
//!   origin asking for a method or a header the route does not take gets 403
//!   `cors_method_not_allowed` or `cors_header_not_allowed`, naming what the
//!   route takes.

use actix_cors::{Cors, CorsError};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest};

use crate::error::ApiError;

/// The request headers every route reads: the token, the body's type, the
/// format asked (exports), the caller's request id; `Accept-Language` so that
/// a client library that sends it is not refused (the API answers in one
/// language).
pub const REQUEST_HEADERS: &[&str] = &["Authorization", "Content-Type", "Accept", "Accept-Language", "X-Request-Id"];

/// The answer headers a script on an allowed origin may read, beyond those
/// every script may (`Content-Type`, `Cache-Control`, ...).
pub const EXPOSED: &[&str] =
    &["ETag", "Location", "Retry-After", "X-Request-Id", "Content-Disposition", "X-Content-SHA256"];

/// How long a browser may reuse a preflight's answer, in seconds.
pub const MAX_AGE_SECS: usize = 3600;

/// The CORS layer for `origins` (already checked by
/// [`crate::config::parse_origin`]); the app wraps it only when there are some.
pub fn layer(origins: &[String]) -> Cors {
    let (methods, headers) = crate::routes::all_methods_and_headers();
    let cors = Cors::default()
        .allowed_methods(methods)
        .allowed_headers(REQUEST_HEADERS.iter().copied().chain(headers))
        .expose_headers(EXPOSED.iter().copied())
        .max_age(MAX_AGE_SECS);
    origins.iter().fold(cors, |cors, origin| cors.allowed_origin(origin))
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// Around the CORS layer: a refused preflight becomes a problem document,
/// an accepted one is narrowed to what its route takes, and an answer to
/// no allowed origin carries no CORS header.
pub async fn preflight(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !is_preflight(&req) {
        let mut res = next.call(req).await?.map_into_boxed_body();
        // actix-cors exposes the headers on every answer; only those to an
        // allowed origin need it.
        if !res.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN) {
            res.headers_mut().remove(ACCESS_CONTROL_EXPOSE_HEADERS);
        }
        return Ok(res);
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    let path = res.request().path().to_owned();
    let takes = Takes::of(&path);
    if let Some(refusal) = res.response().error().and_then(|e| e.as_error::<CorsError>()) {
        let error = match refusal {
            CorsError::OriginNotAllowed => {
                let origin = res.request().headers().get(ORIGIN).map(|v| String::from_utf8_lossy(v.as_bytes()));
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "origin_not_allowed",
                    format!("pages of {} may not call this API from a browser", origin.unwrap_or_default()),
                )
            }
            CorsError::MethodNotAllowed | CorsError::HeadersNotAllowed => {
                takes.refusal(res.request()).unwrap_or_else(|| {
                    ApiError::new(
                        StatusCode::FORBIDDEN,
                        "cors_header_not_allowed",
                        "a method or a header asked for is not taken",
                    )
                })
            }
            other => ApiError::bad_request("invalid_preflight", format!("not a valid CORS preflight: {other}")),
        };
        return Ok(refusal_answer(error, &res));
    }
    if res.status() != StatusCode::OK || !res.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN) {
        return Ok(res);
    }
    if let Some(error) = takes.refusal(res.request()) {
        return Ok(refusal_answer(error, &res));
    }
    let lists = [
        (ACCESS_CONTROL_ALLOW_METHODS, takes.methods.join(", ")),
        (ACCESS_CONTROL_ALLOW_HEADERS, takes.headers.join(", ")),
    ];
    for (name, list) in lists {
        if let Ok(value) = HeaderValue::from_str(&list) {
            res.headers_mut().insert(name, value);
        }
    }
    Ok(res)
}

/// A refused preflight's answer: the problem document, without CORS headers
/// but with the CORS layer's `Vary`.
fn refusal_answer(error: ApiError, res: &ServiceResponse) -> ServiceResponse {
    let mut refused = ServiceResponse::from_err(error, res.request().clone());
    if let Some(vary) = res.headers().get(VARY) {
        refused.headers_mut().insert(VARY, vary.clone());
    }
    refused
}

/// What a path takes: its methods, and the request headers it reads.
struct Takes<'a> {
    path: &'a str,
    methods: &'static [&'static str],
    headers: Vec<&'static str>,
}

impl<'a> Takes<'a> {
    fn of(path: &'a str) -> Self {
        let mut headers = REQUEST_HEADERS.to_vec();
        headers.extend(crate::routes::header_parameters(path).iter().map(String::as_str));
        Self { path, methods: crate::routes::methods(path), headers }
    }

    /// 403 for a preflight that asks for a method or a header the route does not take.
    fn refusal(&self, req: &HttpRequest) -> Option<ApiError> {
        let asked = |name| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let method = asked(ACCESS_CONTROL_REQUEST_METHOD);
        if !self.methods.contains(&method) {
            return Some(ApiError::new(
                StatusCode::FORBIDDEN,
                "cors_method_not_allowed",
                format!("{} does not take {method}; it takes {}", self.path, self.methods.join(", ")),
            ));
        }
        let unknown = asked(ACCESS_CONTROL_REQUEST_HEADERS)
            .split(',')
            .map(str::trim)
            .find(|h| !h.is_empty() && !self.headers.iter().any(|known| known.eq_ignore_ascii_case(h)))?;
        Some(ApiError::new(
            StatusCode::FORBIDDEN,
            "cors_header_not_allowed",
            format!("{method} {} does not read the header {unknown}; it reads {}", self.path, self.headers.join(", ")),
        ))
    }
}
