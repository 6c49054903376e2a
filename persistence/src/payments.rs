//! Payments: obligations and their settlement, and the log of every
//! callback the payment platform sends (docs/RULES.md §5).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use dvc_domain::dossier::DossierCode;
use dvc_domain::fees::{FeeLine, FeeRelief, ReliefKind};
use dvc_domain::payment::{AttemptStatus, PaymentMethod, PaymentStatus};

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{fee_reliefs, payment_attempts, payment_callbacks, payments};
use crate::time::{from_db, to_db};

/// A payment obligation of a dossier, or a payment recorded for it.
#[derive(Debug, Clone)]
pub struct Payment {
    pub id: String,
    pub dossier_code: DossierCode,
    pub reference: String,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub amount_vnd: i64,
    pub description: String,
    pub transaction_id: Option<String>,
    pub bank_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The fee lines it covers (none for an amount asked explicitly).
    pub fee_lines: Vec<FeeLine>,
    pub relief_vnd: i64,
    pub amount_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = payments)]
struct PaymentRow {
    id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    dossier_code: DossierCode,
    reference: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    method: PaymentMethod,
    #[diesel(deserialize_as = String, serialize_as = String)]
    status: PaymentStatus,
    amount_vnd: i64,
    description: String,
    transaction_id: Option<String>,
    bank_code: Option<String>,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    last_queried_at: Option<NaiveDateTime>,
    /// The fee lines it covers, as JSON.
    fee_lines: String,
    relief_vnd: i64,
    amount_reason: Option<String>,
}

impl TryFrom<PaymentRow> for Payment {
    type Error = StoreError;
    fn try_from(r: PaymentRow) -> Result<Self, StoreError> {
        Ok(Payment {
            fee_lines: serde_json::from_str(&r.fee_lines)?,
            id: r.id,
            dossier_code: r.dossier_code,
            reference: r.reference,
            method: r.method,
            status: r.status,
            amount_vnd: r.amount_vnd,
            description: r.description,
            transaction_id: r.transaction_id,
            bank_code: r.bank_code,
            created_at: from_db(r.created_at),
            updated_at: from_db(r.updated_at),
            relief_vnd: r.relief_vnd,
            amount_reason: r.amount_reason,
        })
    }
}

fn payments_of(rows: Vec<PaymentRow>) -> Result<Vec<Payment>, StoreError> {
    rows.into_iter().map(Payment::try_from).collect()
}

/// A payment operation that goes with a dossier change, in its transaction.
#[derive(Debug, Clone)]
pub enum PaymentOp {
    /// A financial obligation requested by an officer: the fee lines it
    /// covers and the relief taken off them, or an explicit amount and why.
    Request {
        amount_vnd: i64,
        description: String,
        fee_lines: Vec<FeeLine>,
        relief_vnd: i64,
        amount_reason: Option<String>,
    },
    /// An exemption from or reduction of the dossier's fees.
    Relief(FeeRelief),
    /// A payment recorded by an officer: settles the pending obligation of
    /// that amount, or records a new paid one (covering `fee_lines`, less
    /// `relief_vnd`, when it pays exactly for them).
    Record {
        method: PaymentMethod,
        amount_vnd: i64,
        reference: Option<String>,
        fee_lines: Vec<FeeLine>,
        relief_vnd: i64,
    },
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
    pub fee_lines: &'a [FeeLine],
    pub relief_vnd: i64,
    pub amount_reason: Option<&'a str>,
}

/// Writes a payment; a settled one moves the dossier's figures at once.
pub fn insert(conn: &mut DbConnection, new: &NewPayment, now: DateTime<Utc>) -> Result<Payment, StoreError> {
    let row = insert_row(conn, new, now)?;
    if new.status != PaymentStatus::Pending {
        crate::figures::recount(conn, &[row.dossier_code.to_string()])?;
    }
    Ok(row)
}

/// The write alone: inside a dossier's change, which recounts once at its end.
fn insert_row(conn: &mut DbConnection, new: &NewPayment, now: DateTime<Utc>) -> Result<Payment, StoreError> {
    let NewPayment {
        dossier_code,
        method,
        status,
        amount_vnd,
        description,
        reference,
        by,
        fee_lines,
        relief_vnd,
        amount_reason,
    } = new.clone();
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
            payments::fee_lines.eq(serde_json::to_string(fee_lines)?),
            payments::relief_vnd.eq(relief_vnd),
            payments::amount_reason.eq(amount_reason),
        ))
        .execute(conn)?;
    get(conn, &id)
}

/// Payments settled in the past, written at once (imports): no recount,
/// the caller recounts its batch.
pub fn insert_settled(
    conn: &mut DbConnection,
    settled: &[(DossierCode, PaymentMethod, i64, DateTime<Utc>)],
    by: &str,
) -> Result<(), StoreError> {
    let rows: Vec<PaymentRow> = settled
        .iter()
        .map(|(code, method, amount, at)| PaymentRow {
            id: uuid::Uuid::now_v7().to_string(),
            dossier_code: code.clone(),
            reference: new_reference(code.as_str()),
            method: *method,
            status: PaymentStatus::Paid,
            amount_vnd: *amount,
            description: "imported".to_owned(),
            transaction_id: None,
            bank_code: None,
            created_by: by.to_owned(),
            created_at: to_db(*at),
            updated_at: to_db(*at),
            last_queried_at: None,
            fee_lines: "[]".to_owned(),
            relief_vnd: 0,
            amount_reason: None,
        })
        .collect();
    crate::copy_many!(conn, payments::table, rows)?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Payment, StoreError> {
    payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found(format!("payment {id}")))?
        .try_into()
}

pub fn by_reference(conn: &mut DbConnection, reference: &str) -> Result<Option<Payment>, StoreError> {
    payments::table
        .filter(payments::reference.eq(reference))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .map(Payment::try_from)
        .transpose()
}

pub fn of_dossier(conn: &mut DbConnection, code: &str) -> Result<Vec<Payment>, StoreError> {
    payments_of(
        payments::table
            .filter(payments::dossier_code.eq(code))
            .order(payments::created_at.asc())
            .select(PaymentRow::as_select())
            .load(conn)?,
    )
}

/// The pending obligation of a dossier, oldest first.
pub fn pending_of(conn: &mut DbConnection, code: &str) -> Result<Option<Payment>, StoreError> {
    payments::table
        .filter(payments::dossier_code.eq(code))
        .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
        .order(payments::created_at.asc())
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .map(Payment::try_from)
        .transpose()
}

/// What a dossier owes now: the sum of its pending obligations, in đồng.
pub fn owed_of(conn: &mut DbConnection, code: &str) -> Result<i64, StoreError> {
    let amounts: Vec<i64> = payments::table
        .filter(payments::dossier_code.eq(code))
        .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
        .select(payments::amount_vnd)
        .load(conn)?;
    Ok(amounts.iter().sum())
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
    let method = method.unwrap_or(current.method);
    let n = diesel::update(payments::table.find(id).filter(payments::status.eq(from.as_str())))
        .set((
            payments::status.eq(to.as_str()),
            payments::method.eq(method.as_str()),
            payments::transaction_id.eq(transaction_id.map(str::to_owned).or(current.transaction_id)),
            payments::bank_code.eq(bank_code.map(str::to_owned).or(current.bank_code)),
            payments::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok((n == 1).then(|| current.dossier_code.to_string()))
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
        PaymentOp::Request { amount_vnd, description, fee_lines, relief_vnd, amount_reason } => {
            let new = NewPayment {
                dossier_code: code,
                method: PaymentMethod::Unspecified,
                status: PaymentStatus::Pending,
                amount_vnd: *amount_vnd,
                description,
                reference: None,
                by,
                fee_lines,
                relief_vnd: *relief_vnd,
                amount_reason: amount_reason.as_deref(),
            };
            insert_row(conn, &new, now)?;
        }
        PaymentOp::Relief(relief) => {
            diesel::insert_into(fee_reliefs::table)
                .values((
                    fee_reliefs::id.eq(uuid::Uuid::now_v7().to_string()),
                    fee_reliefs::dossier_code.eq(code),
                    fee_reliefs::kind.eq(relief.kind.as_str()),
                    fee_reliefs::amount_vnd.eq(relief.amount_vnd),
                    fee_reliefs::legal_basis.eq(&relief.legal_basis),
                    fee_reliefs::created_by.eq(by),
                    fee_reliefs::created_at.eq(to_db(now)),
                ))
                .execute(conn)?;
        }
        PaymentOp::Record { method, amount_vnd, reference, fee_lines, relief_vnd } => {
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
                        fee_lines,
                        relief_vnd: *relief_vnd,
                        amount_reason: None,
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

/// One try at the payment platform (docs/RULES.md §5): its own reference, kept forever.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: String,
    pub payment_id: String,
    pub dossier_code: DossierCode,
    pub reference: String,
    pub amount_vnd: i64,
    pub status: AttemptStatus,
    pub transaction_id: Option<String>,
    pub bank_code: Option<String>,
    /// Paid while its obligation was no longer pending: the money is owed back.
    pub refund_due: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub refunded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payment_attempts)]
struct AttemptRow {
    id: String,
    payment_id: String,
    #[diesel(deserialize_as = String)]
    dossier_code: DossierCode,
    reference: String,
    amount_vnd: i64,
    #[diesel(deserialize_as = String)]
    status: AttemptStatus,
    transaction_id: Option<String>,
    bank_code: Option<String>,
    refund_due: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    refunded_at: Option<NaiveDateTime>,
}

impl From<AttemptRow> for Attempt {
    fn from(r: AttemptRow) -> Self {
        Attempt {
            id: r.id,
            payment_id: r.payment_id,
            dossier_code: r.dossier_code,
            reference: r.reference,
            amount_vnd: r.amount_vnd,
            status: r.status,
            transaction_id: r.transaction_id,
            bank_code: r.bank_code,
            refund_due: r.refund_due,
            created_at: from_db(r.created_at),
            updated_at: from_db(r.updated_at),
            refunded_at: r.refunded_at.map(from_db),
        }
    }
}

/// Starts an attempt at the platform on a pending obligation: the
/// obligation turns to the online method, and the attempt gets a fresh
/// reference of its own. Earlier attempts stay as they are.
pub fn start_online(
    conn: &mut DbConnection,
    payment_id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(Payment, Attempt), StoreError> {
    let current = get(conn, payment_id)?;
    diesel::update(payments::table.find(payment_id).filter(payments::status.eq(PaymentStatus::Pending.as_str())))
        .set((payments::method.eq(PaymentMethod::Online.as_str()), payments::updated_at.eq(to_db(now))))
        .execute(conn)?;
    let id = insert_attempt(
        conn,
        NewAttempt {
            payment_id,
            dossier_code: current.dossier_code.as_str(),
            reference: &new_reference(current.dossier_code.as_str()),
            amount_vnd: current.amount_vnd,
            paid: None,
            by,
        },
        now,
    )?;
    Ok((get(conn, payment_id)?, attempt(conn, &id)?))
}

/// An attempt to write: pending, or already paid (with its transaction and
/// bank) and then owed back.
struct NewAttempt<'a> {
    payment_id: &'a str,
    dossier_code: &'a str,
    reference: &'a str,
    amount_vnd: i64,
    paid: Option<(&'a str, &'a str)>,
    by: &'a str,
}

/// Writes an attempt; its id.
fn insert_attempt(conn: &mut DbConnection, a: NewAttempt, now: DateTime<Utc>) -> Result<String, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let status = if a.paid.is_some() { AttemptStatus::Paid } else { AttemptStatus::Pending };
    diesel::insert_into(payment_attempts::table)
        .values((
            payment_attempts::id.eq(&id),
            payment_attempts::payment_id.eq(a.payment_id),
            payment_attempts::dossier_code.eq(a.dossier_code),
            payment_attempts::reference.eq(a.reference),
            payment_attempts::amount_vnd.eq(a.amount_vnd),
            payment_attempts::status.eq(status.as_str()),
            payment_attempts::transaction_id.eq(a.paid.map(|(t, _)| t)),
            payment_attempts::bank_code.eq(a.paid.map(|(_, b)| b)),
            payment_attempts::refund_due.eq(a.paid.is_some()),
            payment_attempts::created_by.eq(a.by),
            payment_attempts::created_at.eq(to_db(now)),
            payment_attempts::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Records a second successful transaction for a paid attempt (a double
/// debit) as an attempt of its own, paid and owed back; once per
/// transaction. Whether it was new.
pub fn record_second_debit(
    conn: &mut DbConnection,
    a: &Attempt,
    transaction_id: &str,
    bank_code: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let reference = format!("{}/{}", a.reference, transaction_id);
    if attempt_by_reference(conn, &reference)?.is_some() {
        return Ok(false);
    }
    let second = NewAttempt {
        payment_id: &a.payment_id,
        dossier_code: a.dossier_code.as_str(),
        reference: &reference,
        amount_vnd: a.amount_vnd,
        paid: Some((transaction_id, bank_code)),
        by: "payment-platform",
    };
    insert_attempt(conn, second, now)?;
    Ok(true)
}

pub fn attempt(conn: &mut DbConnection, id: &str) -> Result<Attempt, StoreError> {
    payment_attempts::table
        .find(id)
        .select(AttemptRow::as_select())
        .first(conn)
        .optional()?
        .map(Attempt::from)
        .ok_or_else(|| StoreError::not_found(format!("payment attempt {id}")))
}

pub fn attempt_by_reference(conn: &mut DbConnection, reference: &str) -> Result<Option<Attempt>, StoreError> {
    Ok(payment_attempts::table
        .filter(payment_attempts::reference.eq(reference))
        .select(AttemptRow::as_select())
        .first(conn)
        .optional()?
        .map(Attempt::from))
}

fn attempts(rows: Vec<AttemptRow>) -> Vec<Attempt> {
    rows.into_iter().map(Attempt::from).collect()
}

/// The attempts of these payments, oldest first.
pub fn attempts_of(conn: &mut DbConnection, payment_ids: &[String]) -> Result<Vec<Attempt>, StoreError> {
    Ok(attempts(
        payment_attempts::table
            .filter(payment_attempts::payment_id.eq_any(payment_ids))
            .order((payment_attempts::created_at.asc(), payment_attempts::id.asc()))
            .select(AttemptRow::as_select())
            .load(conn)?,
    ))
}

/// Attempts still pending, created before `created_before` and not queried
/// since `queried_before`: every one of them, whatever became of its
/// obligation, since its money may still come.
pub fn stale_attempts(
    conn: &mut DbConnection,
    created_before: DateTime<Utc>,
    queried_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Attempt>, StoreError> {
    Ok(attempts(
        payment_attempts::table
            .filter(payment_attempts::status.eq(AttemptStatus::Pending.as_str()))
            .filter(payment_attempts::created_at.lt(to_db(created_before)))
            .filter(
                payment_attempts::last_queried_at
                    .is_null()
                    .or(payment_attempts::last_queried_at.lt(to_db(queried_before))),
            )
            .order(payment_attempts::created_at.asc())
            .limit(limit)
            .select(AttemptRow::as_select())
            .load(conn)?,
    ))
}

pub fn mark_queried(conn: &mut DbConnection, attempt_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::update(payment_attempts::table.find(attempt_id))
        .set(payment_attempts::last_queried_at.eq(Some(to_db(now))))
        .execute(conn)?;
    Ok(())
}

/// What a success on an attempt did.
#[derive(Debug, Clone)]
pub enum Settled {
    /// It settled its obligation (the payment as it is now).
    Paid(Box<Payment>),
    /// Its obligation was already paid, cancelled or refunded: the attempt
    /// is paid and flagged for a refund.
    RefundDue,
    /// Another message got there first: nothing changed.
    Repeat,
}

/// Records a success on an attempt that was pending or failed. Call it
/// inside a transaction that holds the dossier's lock; it does not recount
/// the figures (the caller's dossier change does, or the caller).
pub fn settle_attempt(
    conn: &mut DbConnection,
    a: &Attempt,
    transaction_id: &str,
    bank_code: &str,
    dossier_open: bool,
    now: DateTime<Utc>,
) -> Result<Settled, StoreError> {
    let moved =
        diesel::update(payment_attempts::table.find(&a.id).filter(
            payment_attempts::status.eq_any([AttemptStatus::Pending.as_str(), AttemptStatus::Failed.as_str()]),
        ))
        .set((
            payment_attempts::status.eq(AttemptStatus::Paid.as_str()),
            payment_attempts::transaction_id.eq(transaction_id),
            payment_attempts::bank_code.eq(bank_code),
            payment_attempts::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    if moved == 0 {
        return Ok(Settled::Repeat);
    }
    // A dossier withdrawn, stopped or refused no longer owes its fees: the
    // money is kept on record and owed back.
    let settled = if !dossier_open {
        None
    } else {
        transition_row(
            conn,
            &a.payment_id,
            PaymentStatus::Pending,
            PaymentStatus::Paid,
            Some(PaymentMethod::Online),
            Some(transaction_id),
            Some(bank_code),
            now,
        )?
    };
    if settled.is_some() {
        return Ok(Settled::Paid(Box::new(get(conn, &a.payment_id)?)));
    }
    diesel::update(payment_attempts::table.find(&a.id)).set(payment_attempts::refund_due.eq(true)).execute(conn)?;
    Ok(Settled::RefundDue)
}

/// Records a failure on a pending attempt; whether it moved.
pub fn fail_attempt(
    conn: &mut DbConnection,
    a: &Attempt,
    transaction_id: &str,
    bank_code: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let moved = diesel::update(
        payment_attempts::table.find(&a.id).filter(payment_attempts::status.eq(AttemptStatus::Pending.as_str())),
    )
    .set((
        payment_attempts::status.eq(AttemptStatus::Failed.as_str()),
        payment_attempts::transaction_id.eq(transaction_id),
        payment_attempts::bank_code.eq(bank_code),
        payment_attempts::updated_at.eq(to_db(now)),
    ))
    .execute(conn)?;
    Ok(moved == 1)
}

/// Attempts oldest first (by id, a UUIDv7), after the attempt id `after`;
/// with `refund_due`, only those owed back and not yet refunded (`true`) or
/// only the others (`false`); of dossiers received or handled by one of
/// `agencies` when given.
pub fn list_attempts(
    conn: &mut DbConnection,
    agencies: Option<&[String]>,
    refund_due: Option<bool>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Attempt>, StoreError> {
    use crate::schema::dossiers;
    let mut q = payment_attempts::table.into_boxed();
    let owed = payment_attempts::refund_due.eq(true).and(payment_attempts::refunded_at.is_null());
    match refund_due {
        Some(true) => q = q.filter(owed),
        Some(false) => q = q.filter(diesel::dsl::not(owed)),
        None => {}
    }
    if let Some(agencies) = agencies {
        let in_scope = dossiers::table
            .filter(dossiers::receiving_agency.eq_any(agencies).or(dossiers::handling_agency.eq_any(agencies)))
            .select(dossiers::code);
        q = q.filter(payment_attempts::dossier_code.eq_any(in_scope));
    }
    if let Some(after) = after {
        q = q.filter(payment_attempts::id.gt(after));
    }
    Ok(attempts(q.order(payment_attempts::id.asc()).limit(limit).select(AttemptRow::as_select()).load(conn)?))
}

/// Records that a refund-flagged attempt was given back; whether it was
/// still owed.
pub fn refund_attempt(conn: &mut DbConnection, id: &str, by: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let n = diesel::update(
        payment_attempts::table
            .find(id)
            .filter(payment_attempts::refund_due.eq(true))
            .filter(payment_attempts::refunded_at.is_null()),
    )
    .set((payment_attempts::refunded_at.eq(Some(to_db(now))), payment_attempts::refunded_by.eq(Some(by))))
    .execute(conn)?;
    Ok(n == 1)
}

/// What the fees of a dossier stand at: the fee lines pending or paid
/// payments cover, its relief, and how much of a reduction they took.
#[derive(Debug, Clone, Default)]
pub struct FeeState {
    pub covered: Vec<String>,
    pub relief: Option<FeeRelief>,
    pub relief_used: i64,
}

pub fn fee_state(conn: &mut DbConnection, code: &str) -> Result<FeeState, StoreError> {
    let mut state = FeeState { relief: relief_of(conn, code)?, ..FeeState::default() };
    for p in of_dossier(conn, code)? {
        if matches!(p.status, PaymentStatus::Pending | PaymentStatus::Paid) {
            state.covered.extend(p.fee_lines.into_iter().map(|l| l.code));
            state.relief_used += p.relief_vnd;
        }
    }
    Ok(state)
}

/// Which of these dossiers are exempt from their fees (their latest relief is an exemption).
pub fn exempt_of(conn: &mut DbConnection, codes: &[String]) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String, String)> = fee_reliefs::table
        .filter(fee_reliefs::dossier_code.eq_any(codes))
        .order((fee_reliefs::dossier_code.asc(), fee_reliefs::created_at.asc(), fee_reliefs::id.asc()))
        .select((fee_reliefs::dossier_code, fee_reliefs::kind))
        .load(conn)?;
    let latest: std::collections::BTreeMap<String, String> = rows.into_iter().collect();
    Ok(latest.into_iter().filter(|(_, kind)| kind == ReliefKind::Exempt.as_str()).map(|(code, _)| code).collect())
}

/// The relief that holds for a dossier: the latest recorded.
pub fn relief_of(conn: &mut DbConnection, code: &str) -> Result<Option<FeeRelief>, StoreError> {
    let row: Option<(String, i64, String)> = fee_reliefs::table
        .filter(fee_reliefs::dossier_code.eq(code))
        .order((fee_reliefs::created_at.desc(), fee_reliefs::id.desc()))
        .select((fee_reliefs::kind, fee_reliefs::amount_vnd, fee_reliefs::legal_basis))
        .first(conn)
        .optional()?;
    row.map(|(kind, amount_vnd, legal_basis)| {
        let kind = ReliefKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("fee relief kind {kind:?}")))?;
        Ok(FeeRelief { kind, amount_vnd, legal_basis })
    })
    .transpose()
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
