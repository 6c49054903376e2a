//! The transactional outbox and change feed (docs/RULES.md §8).
//!
//! Every dossier change writes one row in the transaction that makes it,
//! with an `id` from a sequence and no place in the feed yet: writers of
//! different dossiers never wait for each other. The feed's place, `seq`, is
//! given after commit by [`sequence`], which alone locks the one-row counter
//! and numbers the committed changes that have none, in `id` order, after the
//! last place given. So `seq` has no gaps, a change that commits late gets a
//! later place (a reader that follows `seq` never skips it), and the changes
//! of one dossier keep their order: its writers hold the dossier's row, so
//! the later change takes its id after the earlier one has committed. Every
//! reader of the feed calls [`sequence`] first. Delivery to the national
//! portal is tracked on the row itself.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use diesel::prelude::*;
#[cfg(feature = "postgres")]
use diesel::sql_types::{BigInt, Timestamp};
use dvc_domain::agency::AgencyCode;
use dvc_domain::calendar::VIETNAM;
use dvc_domain::dossier::{DossierCode, Status, Step};
use dvc_domain::notify::Channels;
use serde::Serialize;

use crate::column::Checked;
use crate::connection::{write_transaction, DbConnection};
use crate::dossiers::{NewHistory, StoredDossier};
use crate::error::StoreError;
use crate::schema::{change_counter, changes};
use crate::time::{from_db, to_db};

/// A change of the feed: one history step of a dossier, with the event it
/// publishes, and where its delivery to the national portal stands.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    /// Its place in the feed.
    pub seq: i64,
    pub dossier_code: DossierCode,
    pub action: Step,
    pub status: Status,
    pub agency_code: AgencyCode,
    /// The event as JSON.
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

impl TryFrom<ChangeRow> for FeedEntry {
    type Error = StoreError;

    /// Only a change with its place is an entry of the feed.
    fn try_from(r: ChangeRow) -> Result<Self, StoreError> {
        let seq = r.seq.ok_or_else(|| StoreError::Corrupt(format!("change {} has no place in the feed", r.id)))?;
        Ok(FeedEntry {
            seq,
            dossier_code: r.dossier_code,
            action: r.action,
            status: r.status,
            agency_code: r.agency_code,
            payload: r.payload,
            created_at: from_db(r.created_at),
            delivered_at: r.delivered_at.map(from_db),
            attempts: r.attempts,
            next_attempt_at: from_db(r.next_attempt_at),
            last_error: r.last_error,
        })
    }
}

pub(crate) fn entries(rows: Vec<ChangeRow>) -> Result<Vec<FeedEntry>, StoreError> {
    rows.into_iter().map(FeedEntry::try_from).collect()
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = changes)]
pub(crate) struct ChangeRow {
    pub id: i64,
    pub seq: Option<i64>,
    #[diesel(deserialize_as = Checked<DossierCode>)]
    pub dossier_code: DossierCode,
    #[diesel(deserialize_as = Checked<Step>)]
    pub action: Step,
    #[diesel(deserialize_as = Checked<Status>)]
    pub status: Status,
    #[diesel(deserialize_as = Checked<AgencyCode>)]
    pub agency_code: AgencyCode,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
}

fn vn(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&VIETNAM)
}

/// The event every change publishes: the dossier as it stands after the
/// change, and the step that made it.
#[derive(Debug, Serialize)]
struct ChangeEvent<'a> {
    code: &'a str,
    external_code: Option<&'a str>,
    procedure_code: &'a str,
    procedure_version: i32,
    channel: &'a str,
    status: &'a str,
    status_code: u8,
    receiving_agency: String,
    handling_agency: String,
    applicant_kind: &'a str,
    applicant_id: &'a str,
    applicant_name: &'a str,
    summary: &'a str,
    submitted_at: DateTime<FixedOffset>,
    received_at: Option<DateTime<FixedOffset>>,
    due_at: Option<DateTime<FixedOffset>>,
    promised_at: Option<DateTime<FixedOffset>>,
    resolved_at: Option<DateTime<FixedOffset>>,
    returned_at: Option<DateTime<FixedOffset>>,
    outcome: Option<&'a str>,
    /// While awaiting a supplement: the applicant's reply deadline.
    reply_by: Option<DateTime<FixedOffset>>,
    step: StepEvent<'a>,
}

#[derive(Debug, Serialize)]
struct StepEvent<'a> {
    action: &'a str,
    from_status: Option<&'a str>,
    to_status: &'a str,
    actor_id: &'a str,
    actor_name: &'a str,
    actor_role: &'a str,
    actor_agency: Option<&'a str>,
    at: DateTime<FixedOffset>,
    note: Option<&'a str>,
    step_deadline: Option<DateTime<FixedOffset>>,
}

/// Writes the change for one history step, and the notifications it tells
/// the applicant on the `notify` channels (docs/RULES.md §12); call it as
/// the transaction's last write.
pub fn record(
    conn: &mut DbConnection,
    d: &StoredDossier,
    step: &NewHistory,
    now: DateTime<Utc>,
    notify: Channels,
) -> Result<i64, StoreError> {
    let s = &d.state;
    let event = ChangeEvent {
        code: d.code.as_str(),
        external_code: d.external_code.as_deref(),
        procedure_code: d.procedure_code.as_str(),
        procedure_version: d.procedure_version,
        channel: d.channel.as_str(),
        status: step.to.as_str(),
        status_code: step.to.national_code(),
        receiving_agency: s.receiving_agency.to_string(),
        handling_agency: s.handling_agency.to_string(),
        applicant_kind: d.applicant.kind.as_str(),
        applicant_id: &d.applicant.id_number,
        applicant_name: &d.applicant.name,
        summary: &d.summary,
        submitted_at: vn(d.submitted_at),
        received_at: s.received_at.map(vn),
        due_at: s.due_at.map(vn),
        promised_at: s.promised_at.map(vn),
        resolved_at: s.resolved_at.map(vn),
        returned_at: s.returned_at.map(vn),
        outcome: s.outcome.map(|o| o.as_str()),
        reply_by: s.reply_by.map(vn),
        step: StepEvent {
            action: step.action.as_str(),
            from_status: step.from.map(|f| f.as_str()),
            to_status: step.to.as_str(),
            actor_id: &step.actor.id,
            actor_name: &step.actor.name,
            actor_role: step.actor.role.as_str(),
            actor_agency: step.actor.agency.as_ref().map(|a| a.as_str()),
            at: vn(step.at),
            note: step.note.as_deref(),
            step_deadline: step.step_deadline.map(vn),
        },
    };
    let payload = serde_json::to_string(&event)?;
    let at = to_db(now);
    let id: i64 = diesel::insert_into(changes::table)
        .values((
            changes::dossier_code.eq(d.code.as_str()),
            changes::action.eq(step.action.as_str()),
            changes::status.eq(step.to.as_str()),
            changes::agency_code.eq(s.handling_agency.as_str()),
            changes::payload.eq(payload),
            changes::created_at.eq(at),
            changes::attempts.eq(0),
            changes::next_attempt_at.eq(at),
        ))
        .returning(changes::id)
        .get_result(conn)?;
    crate::notifications::enqueue(conn, d, step, id, notify, now)?;
    Ok(id)
}

/// How many changes one statement of [`sequence`] places at most.
const PLACES_PER_STATEMENT: i64 = 5_000;

/// Gives every committed change without a place in the feed its place, in
/// `id` order, after the last place given; returns the last place. Call it
/// outside any transaction, before reading the feed: what committed before
/// the call has its place when it returns. Concurrent calls wait for each
/// other on the counter's row, and only they do; when nothing waits for a
/// place it reads one indexed row and writes nothing.
pub fn sequence(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let waiting = changes::table.filter(changes::seq.is_null()).select(changes::id).first::<i64>(conn).optional()?;
    if waiting.is_none() {
        return last_placed(conn);
    }
    write_transaction(conn, |conn| {
        // The lock on the counter's row comes first: under READ COMMITTED the
        // statements after it see every change committed before it was
        // granted, the places given by the sequencer before this one included
        // (said here, whatever the server's default isolation is).
        let mut last: i64 = if conn.is_postgres() {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED").execute(conn)?;
            diesel::sql_query("SELECT last FROM change_counter WHERE id = 1 FOR UPDATE").get_result::<Last>(conn)?.last
        } else {
            last_placed(conn)?
        };
        loop {
            // `last` is a number this function read, not an input: it is
            // written into the statement so that one text serves both backends.
            let placed = diesel::sql_query(format!(
                "UPDATE changes SET seq = {last} + p.n \
                 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM changes \
                       WHERE seq IS NULL ORDER BY id LIMIT {PLACES_PER_STATEMENT}) AS p \
                 WHERE changes.id = p.id AND changes.seq IS NULL"
            ))
            .execute(conn)?;
            let placed = i64::try_from(placed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            last += placed;
            if placed < PLACES_PER_STATEMENT {
                break;
            }
        }
        diesel::update(change_counter::table.find(1)).set(change_counter::last.eq(last)).execute(conn)?;
        Ok(last)
    })
}

#[derive(QueryableByName)]
struct Last {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last: i64,
}

/// The last place given in the feed.
fn last_placed(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(change_counter::table.find(1).select(change_counter::last).first(conn)?)
}

/// Changes after the place `after`, in the feed's order; places what
/// committed first.
pub fn feed(conn: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<FeedEntry>, StoreError> {
    sequence(conn)?;
    page(conn, after, limit)
}

/// Changes after the place `after` that have their place, in the feed's
/// order; on a replica, what it has replayed of them (a prefix: places are
/// given in one transaction at a time, in order).
pub fn page(conn: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<FeedEntry>, StoreError> {
    entries(
        changes::table
            .filter(changes::seq.gt(after))
            .order(changes::seq.asc())
            .limit(limit)
            .select(ChangeRow::as_select())
            .load(conn)?,
    )
}

/// The last place in the feed, once what committed has its place.
pub fn last_seq(conn: &mut DbConnection) -> Result<i64, StoreError> {
    sequence(conn)
}

/// The synchronisation state of one dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    pub pending: i64,
    /// The oldest undelivered change: its id, attempts and last error.
    pub head: Option<(i64, i32, Option<String>)>,
}

/// The synchronisation states of several dossiers (one query); a dossier
/// absent from the map is in sync.
pub fn sync_states(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<std::collections::HashMap<String, SyncState>, StoreError> {
    let mut out: std::collections::HashMap<String, SyncState> = std::collections::HashMap::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<(String, i64, i32, Option<String>)> = changes::table
            .filter(changes::dossier_code.eq_any(chunk))
            .filter(changes::delivered_at.is_null())
            .order(changes::id.asc())
            .select((changes::dossier_code, changes::id, changes::attempts, changes::last_error))
            .load(conn)?;
        for (code, seq, attempts, error) in rows {
            let s = out.entry(code).or_insert(SyncState { pending: 0, head: None });
            s.pending += 1;
            if s.head.is_none() {
                s.head = Some((seq, attempts, error));
            }
        }
    }
    Ok(out)
}

/// Dossiers whose oldest undelivered change has failed at least once.
pub fn failing(conn: &mut DbConnection, limit: i64) -> Result<Vec<FeedEntry>, StoreError> {
    let rows: Vec<ChangeRow> = changes::table
        .filter(changes::delivered_at.is_null())
        .filter(changes::attempts.gt(0))
        .filter(changes::seq.is_not_null())
        .order(changes::seq.asc())
        .limit(limit * 4)
        .select(ChangeRow::as_select())
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|r| seen.insert(r.dossier_code.clone()))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(FeedEntry::try_from)
        .collect()
}

/// Makes every undelivered change of a dossier due now (an admin's retry).
pub fn retry_now(conn: &mut DbConnection, code: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(diesel::update(changes::table.filter(changes::dossier_code.eq(code)).filter(changes::delivered_at.is_null()))
        .set(changes::next_attempt_at.eq(to_db(now)))
        .execute(conn)?)
}

#[cfg(feature = "postgres")]
const CLAIM_PG: &str = "UPDATE changes SET next_attempt_at = $1 WHERE id IN (
    SELECT c.id FROM changes c
    WHERE c.delivered_at IS NULL AND c.next_attempt_at <= $2 AND c.seq IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM changes p WHERE p.dossier_code = c.dossier_code AND p.id < c.id AND p.delivered_at IS NULL)
    ORDER BY c.id LIMIT $3
    FOR UPDATE SKIP LOCKED)
  RETURNING *";

/// Claims up to `batch` due changes for delivery, at most one per dossier
/// (the oldest undelivered one, so each dossier's changes go in order), and
/// leases them until `lease_until` so that no other process sends them
/// meanwhile. On PostgreSQL several processes share the work (`FOR UPDATE
/// SKIP LOCKED`); SQLite runs a single worker. Places what committed first:
/// a dossier's changes with a place always come before those without.
pub fn claim(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    batch: i64,
) -> Result<Vec<FeedEntry>, StoreError> {
    sequence(conn)?;
    let mut rows: Vec<ChangeRow> = match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(pg) => diesel::sql_query(CLAIM_PG)
            .bind::<Timestamp, _>(to_db(lease_until))
            .bind::<Timestamp, _>(to_db(now))
            .bind::<BigInt, _>(batch)
            .load(pg)?,
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => write_transaction(conn, |conn| {
            let due: Vec<ChangeRow> = changes::table
                .filter(changes::delivered_at.is_null())
                .filter(changes::seq.is_not_null())
                .order(changes::seq.asc())
                .select(ChangeRow::as_select())
                .limit(batch * 20)
                .load(conn)?;
            let mut heads = std::collections::HashSet::new();
            let picked: Vec<ChangeRow> = due
                .into_iter()
                .filter(|r| heads.insert(r.dossier_code.clone()))
                .filter(|r| r.next_attempt_at <= to_db(now))
                .take(usize::try_from(batch).unwrap_or(0))
                .collect();
            let ids: Vec<i64> = picked.iter().map(|r| r.id).collect();
            diesel::update(changes::table.filter(changes::id.eq_any(&ids)))
                .set(changes::next_attempt_at.eq(to_db(lease_until)))
                .execute(conn)?;
            Ok::<_, StoreError>(picked)
        })?,
    };
    rows.sort_by_key(|r| r.id);
    entries(rows)
}

pub fn mark_delivered(conn: &mut DbConnection, seq: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::update(changes::table.filter(changes::seq.eq(seq)))
        .set((
            changes::delivered_at.eq(Some(to_db(now))),
            changes::attempts.eq(changes::attempts + 1),
            changes::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_failed(conn: &mut DbConnection, seq: i64, error: &str, retry_at: DateTime<Utc>) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    diesel::update(changes::table.filter(changes::seq.eq(seq)))
        .set((
            changes::attempts.eq(changes::attempts + 1),
            changes::last_error.eq(Some(error)),
            changes::next_attempt_at.eq(to_db(retry_at)),
        ))
        .execute(conn)?;
    Ok(())
}
