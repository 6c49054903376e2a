//! `Idempotency-Key` on creating POSTs (CONVENTIONS): the same key and body
//! replay the first answer; the same key with another body is 422.

use actix_web::{HttpRequest, HttpResponse};
use dvc_domain::auth::Actor;
use dvc_persistence::idempotency::IdempotencyClaim;
use dvc_persistence::{idempotency, DbConnection};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;
use dvc_domain::ErrorCode;

/// The claim of a request that carries an `Idempotency-Key`: the key, whose
/// it is, and a digest of what was asked (path and canonical body).
pub fn claim(
    req: &HttpRequest,
    actor: &Actor,
    body: &impl serde::Serialize,
    path: &str,
) -> Result<Option<IdempotencyClaim>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else { return Ok(None) };
    let key =
        value.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()));
    let key = key.ok_or_else(|| {
        ApiError::bad_request(ErrorCode::InvalidIdempotencyKey, "an Idempotency-Key is 1–128 visible ASCII characters")
    })?;
    let canonical = serde_json::to_vec(body).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(&canonical);
    Ok(Some(IdempotencyClaim {
        owner: format!("{}:{}", actor.role.as_str(), actor.id),
        key: key.to_owned(),
        request_hash: format!("{:x}", hasher.finalize()),
    }))
}

/// Runs a creation that answers 201 with a JSON body, once per key; a
/// replay answers the stored body. `location` names the created resource.
pub async fn created<T, F>(
    state: &AppState,
    claim: Option<IdempotencyClaim>,
    location: fn(&T) -> String,
    create: F,
) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    let now = state.now();
    let (body, place) = state
        .db(move |conn| {
            let mut place = None;
            let run = |conn: &mut DbConnection| -> Result<(u16, String), ApiError> {
                let made = create(conn)?;
                place = Some(location(&made));
                Ok((201, serde_json::to_string(&made).map_err(|e| ApiError::internal(e.to_string()))?))
            };
            let body = match claim {
                Some(c) => idempotency::once(conn, &c, now, run)?.body,
                None => run(conn)?.1,
            };
            Ok::<_, ApiError>((body, place))
        })
        .await?;
    let mut res = HttpResponse::Created();
    res.content_type("application/json");
    if let Some(l) = place {
        res.insert_header(("Location", l));
    }
    Ok(res.body(body))
}
