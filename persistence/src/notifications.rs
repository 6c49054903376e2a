//! The notification outbox (docs/RULES.md §12): one row per event and
//! channel, written in the transaction of the change that causes it (so a
//! change is never told without being made, nor made without being told),
//! rendered then, and delivered by the notification worker. Each row's
//! `idempotency_key` (`<change id>-<channel>`) is unique here and is sent to
//! the gateway, which drops a repeat after a lease ran out mid-send.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
#[cfg(feature = "postgres")]
use diesel::sql_types::{BigInt, Text, Timestamp};
use dvc_domain::agency::AgencyCode;
use dvc_domain::dossier::{DossierCode, Outcome, Status};
use dvc_domain::notify::{self, Channels, Delivery, Event, Facts, NotifyChannel};

use crate::column::Checked;
use crate::connection::DbConnection;
use crate::dossiers::{NewHistory, StoredDossier};
use crate::error::StoreError;
use crate::schema::notifications;
use crate::time::{from_db, to_db};

pub const PENDING: &str = Delivery::Pending.as_str();
pub const SENT: &str = Delivery::Sent.as_str();
pub const FAILED: &str = Delivery::Failed.as_str();

/// A message to an applicant (or, running late, to the handling agency),
/// and where its delivery stands.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Sent with the message, so that a gateway can drop a repeat.
    pub idempotency_key: String,
    pub change_id: i64,
    pub dossier_code: DossierCode,
    pub event: Event,
    pub channel: NotifyChannel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: Delivery,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        Notification {
            idempotency_key: r.idempotency_key,
            change_id: r.change_id,
            dossier_code: r.dossier_code,
            event: r.event,
            channel: r.channel,
            recipient: r.recipient,
            subject: r.subject,
            body: r.body,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: from_db(r.next_attempt_at),
            last_error: r.last_error,
            created_at: from_db(r.created_at),
            sent_at: r.sent_at.map(from_db),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = notifications)]
struct NotificationRow {
    pub idempotency_key: String,
    pub change_id: i64,
    #[diesel(deserialize_as = Checked<DossierCode>)]
    pub dossier_code: DossierCode,
    #[diesel(deserialize_as = Checked<Event>)]
    pub event: Event,
    #[diesel(deserialize_as = Checked<NotifyChannel>)]
    pub channel: NotifyChannel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    #[diesel(deserialize_as = Checked<Delivery>)]
    pub status: Delivery,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// The amount a payment request asks for, from the step's note, which the
/// domain writes as `<amount> VND due[: note]`.
fn requested_amount(note: Option<&str>) -> Option<i64> {
    let note = note?;
    let (amount, rest) = note.split_once(' ')?;
    rest.starts_with("VND due").then(|| amount.parse().ok()).flatten()
}

/// The reason in a step's note: a refusal's note is its reason; a denial's
/// is `denied: <reason>`.
fn reason(step: &NewHistory) -> Option<String> {
    let note = step.note.as_deref()?;
    Some(note.strip_prefix(&format!("{}: ", Outcome::Denied.as_str())).unwrap_or(note).to_owned())
}

/// Writes the notifications a change tells the applicant, one per channel
/// (none when the step tells nothing, or no channel reaches them); call it
/// inside the change's transaction, after its `changes` row.
pub fn enqueue(
    conn: &mut DbConnection,
    d: &StoredDossier,
    step: &NewHistory,
    change_id: i64,
    configured: Channels,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if !configured.any() {
        return Ok(0);
    }
    let s = &d.state;
    let Some(event) = Event::of_action(step.action, s.outcome == Some(Outcome::Denied)) else {
        return Ok(0);
    };
    let a = &d.applicant;
    let to = notify::recipients(a.notify_by.as_deref(), a.phone.as_deref(), a.email.as_deref(), configured);
    if to.is_empty() {
        return Ok(0);
    }
    let agency_name = agency_name(conn, &s.receiving_agency)?;
    let facts = Facts {
        code: d.code.to_string(),
        applicant_name: a.name.clone(),
        summary: d.summary.clone(),
        agency_name,
        due_at: s.due_at,
        reply_by: s.reply_by,
        items: s.supplement_items.clone(),
        amount_vnd: requested_amount(step.note.as_deref()),
        new_date: s.promised_at,
        reason: match event {
            Event::Refused | Event::Apology => reason(step),
            _ => None,
        },
    };
    let at = to_db(now);
    for (channel, recipient) in &to {
        let message = notify::render(event, *channel, &facts).map_err(StoreError::Corrupt)?;
        let key = format!("{change_id}-{}", channel.as_str());
        insert_pending(conn, &key, change_id, d.code.as_str(), event, *channel, recipient, &message, at)?;
    }
    Ok(to.len())
}

/// Writes one notification, due at once.
#[allow(clippy::too_many_arguments)]
fn insert_pending(
    conn: &mut DbConnection,
    key: &str,
    change_id: i64,
    code: &str,
    event: Event,
    channel: NotifyChannel,
    recipient: &str,
    message: &notify::Message,
    at: NaiveDateTime,
) -> Result<usize, diesel::result::Error> {
    diesel::insert_into(notifications::table)
        .values((
            notifications::idempotency_key.eq(key),
            notifications::change_id.eq(change_id),
            notifications::dossier_code.eq(code),
            notifications::event.eq(event.as_str()),
            notifications::channel.eq(channel.as_str()),
            notifications::recipient.eq(recipient),
            notifications::subject.eq(&message.subject),
            notifications::body.eq(&message.body),
            notifications::status.eq(PENDING),
            notifications::attempts.eq(0),
            notifications::next_attempt_at.eq(at),
            notifications::last_error.eq(None::<String>),
            notifications::created_at.eq(at),
            notifications::sent_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

fn agency_name(conn: &mut DbConnection, code: &AgencyCode) -> Result<String, StoreError> {
    Ok(crate::schema::agencies::table
        .find(code.as_str())
        .select(crate::schema::agencies::name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| code.to_string()))
}

/// A dossier's notifications, oldest first.
pub fn of_dossier(conn: &mut DbConnection, code: &str) -> Result<Vec<Notification>, StoreError> {
    let rows: Vec<NotificationRow> = notifications::table
        .filter(notifications::dossier_code.eq(code))
        .order((notifications::change_id.asc(), notifications::channel.asc()))
        .select(NotificationRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Notification::from).collect())
}

#[cfg(feature = "postgres")]
const CLAIM_PG: &str = "UPDATE notifications SET next_attempt_at = $1 WHERE idempotency_key IN (
    SELECT n.idempotency_key FROM notifications n
    WHERE n.status = 'pending' AND n.next_attempt_at <= $2 AND n.channel = ANY(string_to_array($3, ','))
    ORDER BY n.next_attempt_at, n.change_id LIMIT $4
    FOR UPDATE SKIP LOCKED)
  RETURNING *";

/// Claims up to `batch` due notifications on the `channels` given, leased
/// until `lease_until` so that no other process sends them meanwhile (on
/// PostgreSQL several processes share the work with `FOR UPDATE SKIP
/// LOCKED`; SQLite runs a single writer). A process that dies mid-send
/// leaves a lease that runs out, and the row is sent again with its key.
pub fn claim(
    conn: &mut DbConnection,
    channels: &[NotifyChannel],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    batch: i64,
) -> Result<Vec<Notification>, StoreError> {
    let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    let mut rows: Vec<NotificationRow> = match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(pg) => diesel::sql_query(CLAIM_PG)
            .bind::<Timestamp, _>(to_db(lease_until))
            .bind::<Timestamp, _>(to_db(now))
            .bind::<Text, _>(names.join(","))
            .bind::<BigInt, _>(batch)
            .load(pg)?,
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => crate::connection::write_transaction(conn, |conn| {
            let due: Vec<NotificationRow> = notifications::table
                .filter(notifications::status.eq(PENDING))
                .filter(notifications::next_attempt_at.le(to_db(now)))
                .filter(notifications::channel.eq_any(&names))
                .order((notifications::next_attempt_at.asc(), notifications::change_id.asc()))
                .limit(batch)
                .select(NotificationRow::as_select())
                .load(conn)?;
            let keys: Vec<&str> = due.iter().map(|r| r.idempotency_key.as_str()).collect();
            diesel::update(notifications::table.filter(notifications::idempotency_key.eq_any(&keys)))
                .set(notifications::next_attempt_at.eq(to_db(lease_until)))
                .execute(conn)?;
            Ok::<_, StoreError>(due)
        })?,
    };
    rows.sort_by_key(|r| (r.change_id, r.channel));
    Ok(rows.into_iter().map(Notification::from).collect())
}

pub fn mark_sent(conn: &mut DbConnection, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::update(notifications::table.find(key))
        .set((
            notifications::status.eq(SENT),
            notifications::sent_at.eq(Some(to_db(now))),
            notifications::attempts.eq(notifications::attempts + 1),
            notifications::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: to be tried again at `retry_at`, or (None)
/// failed for good.
pub fn mark_failed(
    conn: &mut DbConnection,
    key: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    let status = if retry_at.is_some() { PENDING } else { FAILED };
    diesel::update(notifications::table.find(key))
        .set((
            notifications::status.eq(status),
            notifications::attempts.eq(notifications::attempts + 1),
            notifications::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    if let Some(at) = retry_at {
        diesel::update(notifications::table.find(key))
            .set(notifications::next_attempt_at.eq(to_db(at)))
            .execute(conn)?;
    }
    Ok(())
}

/// Warns the handling agency of each dossier whose clock runs (received or
/// processing) and whose due instant falls within `horizon` of `now`, once
/// per due instant: an email to the agency's `notify_email`, through the
/// same outbox (docs/RULES.md §12). An agency without an address is not
/// told. The key `late-<code>-<due instant>` makes a second pass write
/// nothing, and a due instant moved later (after a pause) warn again.
/// Returns how many warnings were written.
pub fn warn_running_late(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    horizon: chrono::Duration,
) -> Result<usize, StoreError> {
    use crate::schema::{agencies, changes, dossiers};
    let due_soon: Vec<(String, NaiveDateTime)> = dossiers::table
        .filter(dossiers::status.eq_any([Status::Received.as_str(), Status::Processing.as_str()]))
        .filter(dossiers::due_at.ge(to_db(now)))
        .filter(dossiers::due_at.le(to_db(now + horizon)))
        .select((dossiers::code, dossiers::due_at.assume_not_null()))
        .order(dossiers::due_at.asc())
        .limit(500)
        .load(conn)?;
    let mut written = 0;
    for (code, due) in due_soon {
        let key = format!("late-{code}-{}", due.and_utc().timestamp());
        let exists = notifications::table.find(&key).count().get_result::<i64>(conn)? > 0;
        if exists {
            continue;
        }
        let d = crate::dossiers::get(conn, &code)?;
        let agency = d.state.handling_agency.to_string();
        let Some((name, Some(to))) = agencies::table
            .find(&agency)
            .select((agencies::name, agencies::notify_email))
            .first::<(String, Option<String>)>(conn)
            .optional()?
        else {
            continue;
        };
        let change_id: Option<i64> =
            changes::table.filter(changes::dossier_code.eq(&code)).select(diesel::dsl::max(changes::id)).first(conn)?;
        let Some(change_id) = change_id else { continue };
        let facts = Facts {
            code: d.code.to_string(),
            applicant_name: d.applicant.name.clone(),
            summary: d.summary.clone(),
            agency_name: name,
            due_at: d.state.due_at,
            ..Facts::default()
        };
        let message = notify::render(Event::RunningLate, NotifyChannel::Email, &facts).map_err(StoreError::Corrupt)?;
        let at = to_db(now);
        let to = to.as_str();
        let event = Event::RunningLate;
        written +=
            insert_pending(conn, &key, change_id, d.code.as_str(), event, NotifyChannel::Email, to, &message, at)
                .or_else(|e| match e {
                    // Another process wrote it first.
                    diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                        Ok(0)
                    }
                    e => Err(e),
                })?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::requested_amount;

    #[test]
    fn reads_the_amount_of_a_payment_request() {
        assert_eq!(requested_amount(Some("150000 VND due")), Some(150_000));
        assert_eq!(requested_amount(Some("150000 VND due: lệ phí")), Some(150_000));
        assert_eq!(requested_amount(Some("150000 VND paid")), None);
        assert_eq!(requested_amount(None), None);
    }
}
