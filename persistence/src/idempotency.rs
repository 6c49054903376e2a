//! Idempotency keys for creating requests: the same key and body replay the
//! first answer; the same key with another body is refused. Every creating
//! request goes through here: [`once`] for a creation that is one
//! transaction of the caller's, [`replay`] and [`record`] for the dossier
//! creation, which looks the key up and stores its answer inside its own
//! transaction (it retries on a lost race for a code).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use dvc_domain::DomainError;

use crate::connection::{write_transaction_as, DbConnection};
use crate::error::StoreError;
use crate::schema::idempotency_keys;
use crate::time::to_db;
use dvc_domain::ErrorCode;

/// An idempotency key claimed by a creating request: whose it is, the key,
/// and a digest of what was asked.
#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    pub owner: String,
    pub key: String,
    pub request_hash: String,
}

/// The answer to a creating request: made now, or replayed.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// The stored answer of an earlier request with this key and body (status,
/// body); none when the key is new. The key with another body is refused
/// (422 `idempotency_key_reused` at `Idempotency-Key`).
pub fn replay(conn: &mut DbConnection, claim: &IdempotencyClaim) -> Result<Option<(u16, String)>, StoreError> {
    let found: Option<(String, i32, String)> = idempotency_keys::table
        .find((&claim.owner, &claim.key))
        .select((idempotency_keys::request_hash, idempotency_keys::status, idempotency_keys::response))
        .first(conn)
        .optional()?;
    match found {
        Some((hash, status, body)) if hash == claim.request_hash => {
            Ok(Some((u16::try_from(status).unwrap_or(200), body)))
        }
        Some(_) => Err(DomainError::invalid(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with another request body; use a new key",
        )
        .at("Idempotency-Key")
        .into()),
        None => Ok(None),
    }
}

/// Stores the answer given to the key's first request (in the transaction
/// that made what it answers).
pub fn record(
    conn: &mut DbConnection,
    claim: &IdempotencyClaim,
    status: u16,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::owner.eq(&claim.owner),
            idempotency_keys::key.eq(&claim.key),
            idempotency_keys::request_hash.eq(&claim.request_hash),
            idempotency_keys::status.eq(i32::from(status)),
            idempotency_keys::response.eq(body),
            idempotency_keys::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
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
        if let Some((status, body)) = replay(conn, claim)? {
            return Ok(Answer { status, body, replayed: true });
        }
        let (status, body) = create(conn)?;
        record(conn, claim, status, &body, now)?;
        Ok(Answer { status, body, replayed: false })
    })
}
