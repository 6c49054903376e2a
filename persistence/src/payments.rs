//! Payments: obligations and their settlement, and the log of every
//! callback the payment platform sends (SPEC §5).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use dvc_domain::payment::{PaymentMethod, PaymentStatus};

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{payment_callbacks, payments};
use crate::time::to_db;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: String,
    pub dossier_code: String,
    pub reference: String,
    pub method: String,
    pub status: String,
    pub amount_vnd: i64,
    pub description: String,
    pub transaction_id: Option<String>,
    pub bank_code: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_queried_at: Option<NaiveDateTime>,
}

impl PaymentRow {
    pub fn status(&self) -> Option<PaymentStatus> {
        PaymentStatus::parse(&self.status)
    }
    pub fn method(&self) -> Option<PaymentMethod> {
        PaymentMethod::parse(&self.method)
    }
}

/// A payment operation that goes with a dossier change, in its transaction.
#[derive(Debug, Clone)]
pub enum PaymentOp {
    /// A financial obligation requested by an officer.
    Request { amount_vnd: i64, description: String },
    /// A payment recorded by an officer: settles the pending obligation of
    /// that amount, or records a new paid one.
    Record { method: PaymentMethod, amount_vnd: i64, reference: Option<String> },
}

fn new_reference(code: &str) -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("DVC{}{}", code.chars().filter(char::is_ascii_digit).rev().take(6).collect::<String>(), &id[20..])
}

/// A payment to write.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub dossier_code: &'a str,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub amount_vnd: i64,
    pub description: &'a str,
    /// Made up when absent.
    pub reference: Option<&'a str>,
    pub by: &'a str,
}

/// Writes a payment; a settled one moves the dossier's figures at once.
pub fn insert(conn: &mut DbConnection, new: &NewPayment, now: DateTime<Utc>) -> Result<PaymentRow, StoreError> {
    let row = insert_row(conn, new, now)?;
    if new.status != PaymentStatus::Pending {
        crate::figures::recount(conn, std::slice::from_ref(&row.dossier_code))?;
    }
    Ok(row)
}

/// The write alone: inside a dossier's change, which recounts once at its end.
fn insert_row(conn: &mut DbConnection, new: &NewPayment, now: DateTime<Utc>) -> Result<PaymentRow, StoreError> {
    let NewPayment { dossier_code, method, status, amount_vnd, description, reference, by } = new.clone();
    let id = uuid::Uuid::now_v7().to_string();
    let reference = reference.map_or_else(|| new_reference(dossier_code), str::to_owned);
    let now = to_db(now);
    diesel::insert_into(payments::table)
        .values((
            payments::id.eq(&id),
            payments::dossier_code.eq(dossier_code),
            payments::reference.eq(&reference),
            payments::method.eq(method.as_str()),
            payments::status.eq(status.as_str()),
            payments::amount_vnd.eq(amount_vnd),
            payments::description.eq(description),
            payments::created_by.eq(by),
            payments::created_at.eq(now),
            payments::updated_at.eq(now),
        ))
        .execute(conn)?;
    get(conn, &id)
}

/// Payments settled in the past, written at once (imports): no recount,
/// the caller recounts its batch.
pub fn insert_settled(
    conn: &mut DbConnection,
    settled: &[(String, PaymentMethod, i64, DateTime<Utc>)],
    by: &str,
) -> Result<(), StoreError> {
    let rows: Vec<PaymentRow> = settled
        .iter()
        .map(|(code, method, amount, at)| PaymentRow {
            id: uuid::Uuid::now_v7().to_string(),
            dossier_code: code.clone(),
            reference: new_reference(code),
            method: method.as_str().to_owned(),
            status: PaymentStatus::Paid.as_str().to_owned(),
            amount_vnd: *amount,
            description: "imported".to_owned(),
            transaction_id: None,
            bank_code: None,
            created_by: by.to_owned(),
            created_at: to_db(*at),
            updated_at: to_db(*at),
            last_queried_at: None,
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::insert_many!(conn, payments::table, chunk)?;
    }
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<PaymentRow, StoreError> {
    payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found(format!("payment {id}")))
}

pub fn by_reference(conn: &mut DbConnection, reference: &str) -> Result<Option<PaymentRow>, StoreError> {
    Ok(payments::table
        .filter(payments::reference.eq(reference))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_dossier(conn: &mut DbConnection, code: &str) -> Result<Vec<PaymentRow>, StoreError> {
    Ok(payments::table
        .filter(payments::dossier_code.eq(code))
        .order(payments::created_at.asc())
        .select(PaymentRow::as_select())
        .load(conn)?)
}

/// The pending obligation of a dossier, oldest first.
pub fn pending_of(conn: &mut DbConnection, code: &str) -> Result<Option<PaymentRow>, StoreError> {
    Ok(payments::table
        .filter(payments::dossier_code.eq(code))
        .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
        .order(payments::created_at.asc())
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

/// Moves a payment from `from` to `to` only if it is still `from`; returns
/// whether it moved (so a repeat changes nothing).
#[allow(clippy::too_many_arguments)]
pub fn transition(
    conn: &mut DbConnection,
    id: &str,
    from: PaymentStatus,
    to: PaymentStatus,
    method: Option<PaymentMethod>,
    transaction_id: Option<&str>,
    bank_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let moved = transition_row(conn, id, from, to, method, transaction_id, bank_code, now)?;
    if let Some(code) = &moved {
        crate::figures::recount(conn, std::slice::from_ref(code))?;
    }
    Ok(moved.is_some())
}

/// The move alone (see [`insert_row`]); the dossier's code when it moved.
#[allow(clippy::too_many_arguments)]
fn transition_row(
    conn: &mut DbConnection,
    id: &str,
    from: PaymentStatus,
    to: PaymentStatus,
    method: Option<PaymentMethod>,
    transaction_id: Option<&str>,
    bank_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    if !from.may_become(to) {
        return Ok(None);
    }
    let current = get(conn, id)?;
    let method = method.map_or(current.method.clone(), |m| m.as_str().to_owned());
    let n = diesel::update(payments::table.find(id).filter(payments::status.eq(from.as_str())))
        .set((
            payments::status.eq(to.as_str()),
            payments::method.eq(method),
            payments::transaction_id.eq(transaction_id.map(str::to_owned).or(current.transaction_id)),
            payments::bank_code.eq(bank_code.map(str::to_owned).or(current.bank_code)),
            payments::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok((n == 1).then_some(current.dossier_code))
}

/// Applies an officer's payment operation (inside the dossier's transaction,
/// whose change recounts the figures once at its end).
pub fn apply_op(
    conn: &mut DbConnection,
    code: &str,
    op: &PaymentOp,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match op {
        PaymentOp::Request { amount_vnd, description } => {
            let new = NewPayment {
                dossier_code: code,
                method: PaymentMethod::Unspecified,
                status: PaymentStatus::Pending,
                amount_vnd: *amount_vnd,
                description,
                reference: None,
                by,
            };
            insert_row(conn, &new, now)?;
        }
        PaymentOp::Record { method, amount_vnd, reference } => {
            let pending = payments::table
                .filter(payments::dossier_code.eq(code))
                .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
                .filter(payments::amount_vnd.eq(*amount_vnd))
                .order(payments::created_at.asc())
                .select(PaymentRow::as_select())
                .first(conn)
                .optional()?;
            match pending {
                Some(p) => {
                    transition_row(
                        conn,
                        &p.id,
                        PaymentStatus::Pending,
                        PaymentStatus::Paid,
                        Some(*method),
                        reference.as_deref(),
                        None,
                        now,
                    )?;
                }
                None => {
                    let desc = format!("{} recorded at the desk", method.as_str());
                    let new = NewPayment {
                        dossier_code: code,
                        method: *method,
                        status: PaymentStatus::Paid,
                        amount_vnd: *amount_vnd,
                        description: &desc,
                        reference: None,
                        by,
                    };
                    let p = insert_row(conn, &new, now)?;
                    if let Some(r) = reference {
                        diesel::update(payments::table.find(&p.id))
                            .set(payments::transaction_id.eq(r))
                            .execute(conn)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Online payments still pending, created before `created_before` and not
/// queried since `queried_before`.
pub fn stale_online(
    conn: &mut DbConnection,
    created_before: DateTime<Utc>,
    queried_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PaymentRow>, StoreError> {
    Ok(payments::table
        .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
        .filter(payments::method.eq(PaymentMethod::Online.as_str()))
        .filter(payments::created_at.lt(to_db(created_before)))
        .filter(payments::last_queried_at.is_null().or(payments::last_queried_at.lt(to_db(queried_before))))
        .order(payments::created_at.asc())
        .limit(limit)
        .select(PaymentRow::as_select())
        .load(conn)?)
}

pub fn mark_queried(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::update(payments::table.find(id)).set(payments::last_queried_at.eq(Some(to_db(now)))).execute(conn)?;
    Ok(())
}

/// Switches a pending obligation to the online method (and a fresh reference
/// for this attempt at the platform).
pub fn start_online(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> Result<PaymentRow, StoreError> {
    let current = get(conn, id)?;
    diesel::update(payments::table.find(id).filter(payments::status.eq(PaymentStatus::Pending.as_str())))
        .set((
            payments::method.eq(PaymentMethod::Online.as_str()),
            payments::reference.eq(new_reference(&current.dossier_code)),
            payments::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    get(conn, id)
}

/// Logs a callback, whatever came of it.
pub fn log_callback(
    conn: &mut DbConnection,
    reference: Option<&str>,
    outcome: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(payment_callbacks::table)
        .values((
            payment_callbacks::id.eq(uuid::Uuid::now_v7().to_string()),
            payment_callbacks::reference.eq(reference),
            payment_callbacks::outcome.eq(outcome),
            payment_callbacks::body.eq(body.chars().take(10_000).collect::<String>()),
            payment_callbacks::received_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The outcomes of logged callbacks for a reference, oldest first.
pub fn callback_outcomes(conn: &mut DbConnection, reference: &str) -> Result<Vec<String>, StoreError> {
    Ok(payment_callbacks::table
        .filter(payment_callbacks::reference.eq(reference))
        .order(payment_callbacks::id.asc())
        .select(payment_callbacks::outcome)
        .load(conn)?)
}
