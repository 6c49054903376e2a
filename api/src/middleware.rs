//! The request-id middleware: every response carries `X-Request-Id` and
//! the security headers ([`security_headers`]), every error response is a
//! problem document, and internal errors are logged with their cause and the
//! request id; a 405 says what is allowed.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, ALLOW, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::error::{ApiError, PROBLEM_JSON};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The policy of every answer but Swagger UI's pages: an answer is data,
/// never a page that loads anything (a document uploaded as HTML or SVG and
/// read back runs no script), nor one another site may frame.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy of Swagger UI (`/swagger-ui/`): its scripts and styles are
/// files of its own (no inline script), its icons `data:` images, and it
/// reads the document and tries operations on this origin only. The one
/// inline style it has, the colours of its logo (an SVG with a `<style>`:
/// `.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}`),
/// is allowed by its hash; `.ci/browser` checks that the page renders without
/// a policy violation (a new Swagger UI with other inline styles would show one).
pub const SWAGGER_UI_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// On every answer: no content sniffing (a JSON answer or a document is
/// never run as a script or a page), the content security policy, no
/// `Referer` sent from our pages, and no framing (`X-Frame-Options` for
/// browsers that predate `frame-ancestors`).
pub fn security_headers(path: &str, headers: &mut HeaderMap) {
    let policy = if path.starts_with("/swagger-ui/") { SWAGGER_UI_POLICY } else { API_POLICY };
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// The request id of the request being served (in its extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accepts a caller's request id when it is short and plain, else makes one.
fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id_of(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    if has_nul(&req) {
        // PostgreSQL text cannot hold NUL (it answered 500), SQLite stores it
        // and a search for it matched everything: refuse it at the door.
        let error =
            ApiError::bad_request("invalid_characters", "a NUL character (%00) is not allowed in a path or a query");
        let body = error.response(None);
        let mut res = req.into_response(body);
        let path = res.request().path().to_owned();
        security_headers(&path, res.headers_mut());
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(REQUEST_ID, value);
        }
        return Ok(res);
    }
    let mut res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            // An error that escaped the handlers: render it like any other.
            return Err(e);
        }
    };
    let status = res.status();
    if status.is_server_error() || (status.is_client_error() && !is_problem(&res)) {
        let api_error = res.response().error().and_then(|e| e.as_error::<ApiError>()).cloned();
        let error = match api_error {
            Some(e) => e,
            None if status.is_server_error() => {
                let cause = res.response().error().map(ToString::to_string).unwrap_or_else(|| "no cause".into());
                ApiError::internal(cause)
            }
            None => generic(status, &res),
        };
        if status.is_server_error() {
            log::error!("request {id} failed: {error}");
        }
        let shown_id = status.is_server_error().then(|| id.clone());
        let body = error.response(shown_id);
        res = res.into_response(body);
    }
    if status == StatusCode::METHOD_NOT_ALLOWED && !res.headers().contains_key(ALLOW) {
        let allow = crate::routes::allow(res.request().path());
        if let Ok(value) = HeaderValue::from_str(&allow) {
            res.headers_mut().insert(ALLOW, value);
        }
    }
    let path = res.request().path().to_owned();
    security_headers(&path, res.headers_mut());
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

/// Whether the path or the query holds a percent-encoded NUL.
fn has_nul(req: &ServiceRequest) -> bool {
    let uri = req.uri();
    let nul = |s: &str| s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0');
    nul(uri.path()) || uri.query().is_some_and(nul)
}

fn is_problem<B>(res: &ServiceResponse<B>) -> bool {
    res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

/// A problem document for a 4xx that did not come from our handlers (an
/// unknown route, a method the route does not take, an extractor's refusal).
fn generic<B>(status: StatusCode, res: &ServiceResponse<B>) -> ApiError {
    let reason = res.response().error().map(ToString::to_string);
    match status {
        StatusCode::NOT_FOUND => ApiError::new(status, "not_found", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(status, "method_not_allowed", format!("{} is not allowed here", res.request().method()))
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "payload_too_large", "the request body is too large"),
        _ => ApiError::new(
            status,
            "bad_request",
            reason.unwrap_or_else(|| status.canonical_reason().unwrap_or("bad request").to_owned()),
        ),
    }
}
