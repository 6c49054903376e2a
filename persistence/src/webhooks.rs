//! Webhook subscriptions and their deliveries (docs/RULES.md §8): each subscription
//! follows the change feed from where it was created, and every matching
//! change becomes a delivery, sent at least once and retried.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
#[cfg(feature = "postgres")]
use diesel::sql_types::{BigInt, Timestamp};

use crate::changes::ChangeRow;
use crate::connection::{write_transaction, DbConnection};
use crate::error::StoreError;
use crate::schema::{changes, webhook_deliveries as wd, webhooks};
use crate::time::{from_db, to_db};
use dvc_domain::agency::AgencyCode;
use dvc_domain::dossier::Status;

/// A subscription to the change feed.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub owner: String,
    pub url: String,
    pub secret: String,
    /// What it wants, or why the stored filter cannot be read (an error,
    /// never "no filter", which would widen it to everything).
    pub filter: Result<WebhookFilter, String>,
    /// The last change it was offered.
    pub cursor_seq: i64,
    pub created_at: DateTime<Utc>,
    /// Why deliveries stopped: the stored filter could not be read.
    pub filter_error: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: String,
    owner: String,
    url: String,
    secret: String,
    statuses: String,
    agencies: String,
    cursor_seq: i64,
    created_at: NaiveDateTime,
    filter_error: Option<String>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            filter: r.filter(),
            id: r.id,
            owner: r.owner,
            url: r.url,
            secret: r.secret,
            cursor_seq: r.cursor_seq,
            created_at: from_db(r.created_at),
            filter_error: r.filter_error,
        }
    }
}

/// What a subscription wants: changes to these statuses (empty: all) of
/// dossiers of these agencies and their sub-units (empty: all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookFilter {
    pub statuses: Vec<Status>,
    pub agencies: Vec<AgencyCode>,
}

impl WebhookRow {
    /// The stored filter, read strictly: a filter that cannot be read is an
    /// error, never "no filter" (which would widen it to everything).
    fn filter(&self) -> Result<WebhookFilter, String> {
        let statuses: Vec<String> = serde_json::from_str(&self.statuses)
            .map_err(|e| format!("the status filter {:?} cannot be read: {e}", self.statuses))?;
        let agencies: Vec<String> = serde_json::from_str(&self.agencies)
            .map_err(|e| format!("the agency filter {:?} cannot be read: {e}", self.agencies))?;
        Ok(WebhookFilter {
            statuses: statuses
                .iter()
                .map(|s| Status::parse(s).ok_or_else(|| format!("{s:?} in the status filter is not a status")))
                .collect::<Result<_, _>>()?,
            agencies: agencies
                .iter()
                .map(|a| AgencyCode::parse(a).map_err(|_| format!("{a:?} in the agency filter is not an agency code")))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Stops making deliveries for a subscription whose filter cannot be read.
pub fn stop_for_filter(conn: &mut DbConnection, id: &str, error: &str) -> Result<(), StoreError> {
    diesel::update(webhooks::table.find(id)).set(webhooks::filter_error.eq(error)).execute(conn)?;
    Ok(())
}

/// A change offered to a subscription, and where its delivery stands.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub id: String,
    pub webhook_id: String,
    pub seq: i64,
    pub attempts: i32,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    /// The subscriber's last HTTP status.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = wd)]
struct DeliveryRow {
    id: String,
    webhook_id: String,
    seq: i64,
    attempts: i32,
    delivered_at: Option<NaiveDateTime>,
    next_attempt_at: NaiveDateTime,
    last_status: Option<i32>,
    last_error: Option<String>,
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(r: DeliveryRow) -> Self {
        WebhookDelivery {
            id: r.id,
            webhook_id: r.webhook_id,
            seq: r.seq,
            attempts: r.attempts,
            delivered_at: r.delivered_at.map(from_db),
            next_attempt_at: from_db(r.next_attempt_at),
            last_status: r.last_status,
            last_error: r.last_error,
        }
    }
}

/// Subscribes from now on: the first delivery is the next change.
pub fn create(
    conn: &mut DbConnection,
    owner: &str,
    url: &str,
    secret: &str,
    filter: &WebhookFilter,
    now: DateTime<Utc>,
) -> Result<Webhook, StoreError> {
    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
    let agencies: Vec<&str> = filter.agencies.iter().map(AgencyCode::as_str).collect();
    let id = uuid::Uuid::now_v7().to_string();
    let from = crate::changes::last_seq(conn)?;
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(&id),
            webhooks::owner.eq(owner),
            webhooks::url.eq(url),
            webhooks::secret.eq(secret),
            webhooks::statuses.eq(serde_json::to_string(&statuses)?),
            webhooks::agencies.eq(serde_json::to_string(&agencies)?),
            webhooks::active.eq(true),
            webhooks::cursor_seq.eq(from),
            webhooks::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    get(conn, &id)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Webhook, StoreError> {
    webhooks::table
        .find(id)
        .filter(webhooks::active.eq(true))
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?
        .map(Webhook::from)
        .ok_or_else(|| StoreError::not_found(format!("webhook {id}")))
}

/// Active subscriptions, of one owner or (None) all.
pub fn list(conn: &mut DbConnection, owner: Option<&str>) -> Result<Vec<Webhook>, StoreError> {
    let mut q = webhooks::table.filter(webhooks::active.eq(true)).select(WebhookRow::as_select()).into_boxed();
    if let Some(o) = owner {
        q = q.filter(webhooks::owner.eq(o.to_owned()));
    }
    let rows: Vec<WebhookRow> = q.order(webhooks::created_at.asc()).load(conn)?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

/// Ends a subscription; its delivery log stays.
pub fn deactivate(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    diesel::update(webhooks::table.find(id)).set(webhooks::active.eq(false)).execute(conn)?;
    Ok(())
}

/// Turns the changes after each subscription's cursor into deliveries (those
/// that match its filters) and moves the cursor; `agency_sets` gives, per
/// subscription, the agencies its filter covers (with sub-units). Reads the
/// changes that have their place: the caller gives places first, once a
/// round ([`crate::changes::sequence`]).
pub fn fan_out(
    conn: &mut DbConnection,
    hook: &Webhook,
    statuses: &[Status],
    agency_set: &[String],
    now: DateTime<Utc>,
    batch: i64,
) -> Result<usize, StoreError> {
    write_transaction(conn, |conn| {
        let cursor: i64 = webhooks::table.find(&hook.id).select(webhooks::cursor_seq).first(conn)?;
        let rows = crate::changes::entries(
            changes::table
                .filter(changes::seq.gt(cursor))
                .order(changes::seq.asc())
                .limit(batch)
                .select(ChangeRow::as_select())
                .load(conn)?,
        )?;
        let mut made = 0;
        for r in &rows {
            let wanted = (statuses.is_empty() || statuses.contains(&r.status))
                && (agency_set.is_empty() || agency_set.iter().any(|a| a == r.agency_code.as_str()));
            if wanted {
                diesel::insert_into(wd::table)
                    .values((
                        wd::id.eq(uuid::Uuid::now_v7().to_string()),
                        wd::webhook_id.eq(&hook.id),
                        wd::seq.eq(r.seq),
                        wd::attempts.eq(0),
                        wd::next_attempt_at.eq(to_db(now)),
                        wd::created_at.eq(to_db(now)),
                        // The month it is kept in on PostgreSQL: its change's.
                        wd::change_at.eq(to_db(r.created_at)),
                    ))
                    .execute(conn)?;
                made += 1;
            }
        }
        if let Some(last) = rows.last() {
            diesel::update(webhooks::table.find(&hook.id)).set(webhooks::cursor_seq.eq(last.seq)).execute(conn)?;
        }
        Ok(made)
    })
}

#[cfg(feature = "postgres")]
const CLAIM_PG: &str = "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN (
    SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.delivered_at IS NULL AND d.next_attempt_at <= $2 AND w.active AND w.filter_error IS NULL
    ORDER BY d.next_attempt_at, d.seq LIMIT $3
    FOR UPDATE OF d SKIP LOCKED)
  RETURNING *";

/// Claims due deliveries and leases them until `lease_until`.
pub fn claim(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    batch: i64,
) -> Result<Vec<WebhookDelivery>, StoreError> {
    let rows: Vec<DeliveryRow> = match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(pg) => diesel::sql_query(CLAIM_PG)
            .bind::<Timestamp, _>(to_db(lease_until))
            .bind::<Timestamp, _>(to_db(now))
            .bind::<BigInt, _>(batch)
            .load(pg)?,
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => write_transaction(conn, |conn| {
            let due: Vec<DeliveryRow> = wd::table
                .inner_join(webhooks::table)
                .filter(wd::delivered_at.is_null())
                .filter(wd::next_attempt_at.le(to_db(now)))
                .filter(webhooks::active.eq(true))
                .filter(webhooks::filter_error.is_null())
                .order((wd::next_attempt_at.asc(), wd::seq.asc()))
                .limit(batch)
                .select(DeliveryRow::as_select())
                .load(conn)?;
            let ids: Vec<&String> = due.iter().map(|d| &d.id).collect();
            diesel::update(wd::table.filter(wd::id.eq_any(ids)))
                .set(wd::next_attempt_at.eq(to_db(lease_until)))
                .execute(conn)?;
            Ok::<_, StoreError>(due)
        })?,
    };
    Ok(rows.into_iter().map(WebhookDelivery::from).collect())
}

pub fn mark(
    conn: &mut DbConnection,
    id: &str,
    status: Option<i32>,
    error: Option<&str>,
    delivered: Option<DateTime<Utc>>,
    retry_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(wd::table.find(id))
        .set((
            wd::attempts.eq(wd::attempts + 1),
            wd::last_status.eq(status),
            wd::last_error.eq(error.map(|e| e.chars().take(500).collect::<String>())),
            wd::delivered_at.eq(delivered.map(to_db)),
            wd::next_attempt_at.eq(to_db(retry_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn deliveries(conn: &mut DbConnection, webhook_id: &str, limit: i64) -> Result<Vec<WebhookDelivery>, StoreError> {
    let rows: Vec<DeliveryRow> = wd::table
        .filter(wd::webhook_id.eq(webhook_id))
        .order(wd::seq.desc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(WebhookDelivery::from).collect())
}

/// Sends a delivery again, now.
pub fn redeliver(
    conn: &mut DbConnection,
    webhook_id: &str,
    delivery_id: &str,
    now: DateTime<Utc>,
) -> Result<WebhookDelivery, StoreError> {
    let n = diesel::update(wd::table.filter(wd::id.eq(delivery_id)).filter(wd::webhook_id.eq(webhook_id)))
        .set((wd::delivered_at.eq(None::<NaiveDateTime>), wd::next_attempt_at.eq(to_db(now))))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::not_found(format!("delivery {delivery_id}")));
    }
    Ok(wd::table.find(delivery_id).select(DeliveryRow::as_select()).first::<DeliveryRow>(conn)?.into())
}

pub fn change(conn: &mut DbConnection, seq: i64) -> Result<crate::changes::FeedEntry, StoreError> {
    changes::table.filter(changes::seq.eq(seq)).select(ChangeRow::as_select()).first::<ChangeRow>(conn)?.try_into()
}
