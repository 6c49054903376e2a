//! Idempotency keys for creating requests: the same key and body replay the
//! first answer; the same key with another body is refused.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use dvc_domain::DomainError;

use crate::connection::{write_transaction_as, DbConnection};
use crate::dossiers::IdempotencyClaim;
use crate::error::StoreError;
use crate::schema::idempotency_keys;
use crate::time::to_db;
use dvc_domain::ErrorCode;

/// The answer to a creating request: made now, or replayed.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Runs `create` (which answers a status and a body) once per key: in one
/// transaction with the key's record, so that a retry either replays the
/// stored answer or, if the first attempt failed, runs again.
pub fn once<E: From<StoreError>>(
    conn: &mut DbConnection,
    claim: &IdempotencyClaim,
    now: DateTime<Utc>,
    create: impl FnOnce(&mut DbConnection) -> Result<(u16, String), E>,
) -> Result<Answer, E> {
    write_transaction_as(conn, |conn| {
        let found: Option<(String, i32, String)> = idempotency_keys::table
            .find((&claim.owner, &claim.key))
            .select((idempotency_keys::request_hash, idempotency_keys::status, idempotency_keys::response))
            .first(conn)
            .optional()
            .map_err(StoreError::from)?;
        if let Some((hash, status, body)) = found {
            if hash != claim.request_hash {
                return Err(StoreError::from(
                    DomainError::invalid(
                        ErrorCode::IdempotencyKeyReused,
                        "this Idempotency-Key was used with another request body; use a new key",
                    )
                    .at("Idempotency-Key"),
                )
                .into());
            }
            return Ok(Answer { status: u16::try_from(status).unwrap_or(200), body, replayed: true });
        }
        let (status, body) = create(conn)?;
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::owner.eq(&claim.owner),
                idempotency_keys::key.eq(&claim.key),
                idempotency_keys::request_hash.eq(&claim.request_hash),
                idempotency_keys::status.eq(i32::from(status)),
                idempotency_keys::response.eq(&body),
                idempotency_keys::created_at.eq(to_db(now)),
            ))
            .execute(conn)
            .map_err(StoreError::from)?;
        Ok(Answer { status, body, replayed: false })
    })
}
