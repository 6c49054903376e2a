//! The monthly partitions on PostgreSQL of the tables that grow without
//! bound (migrations `history_by_month` and `feed_by_month`): created ahead
//! of the months written to, so that a month's rows land in a table of their
//! own. A row of a month without its partition is not lost: it goes to the
//! table's default partition (`<table>_default`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::connection::DbConnection;
use crate::error::StoreError;

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The first day of the month of `t` (UTC, as the history's instants are
/// stored), and of the month after it.
fn month_of(t: DateTime<Utc>) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1)?;
    Some((first, first.checked_add_months(chrono::Months::new(1))?))
}

/// A table partitioned by month on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monthly {
    /// The dossiers' history, by the instant of each step.
    History,
    /// The change feed, by the instant of each change.
    Changes,
    /// The webhooks' deliveries, by the instant of their change.
    Deliveries,
}

impl Monthly {
    /// Every table partitioned by month.
    pub const ALL: [Monthly; 3] = [Monthly::History, Monthly::Changes, Monthly::Deliveries];

    pub fn table(self) -> &'static str {
        match self {
            Monthly::History => "dossier_history",
            Monthly::Changes => "changes",
            Monthly::Deliveries => "webhook_deliveries",
        }
    }
}

/// Makes sure the month of each of these instants (from 2000 to a year
/// ahead) has its partition in each of these tables; outside any
/// transaction. A month that cannot be created now (writers hold the table
/// for more than half a second) or
/// whose rows already went to the default partition (it cannot be created
/// over them) is logged, not an error: its rows go to the default
/// partition, where nothing is lost. Does nothing on SQLite. Returns the
/// partitions it created.
pub fn ensure_months(
    conn: &mut DbConnection,
    tables: &[Monthly],
    instants: impl IntoIterator<Item = DateTime<Utc>>,
) -> Result<Vec<String>, StoreError> {
    let mut created = Vec::new();
    if !conn.is_postgres() {
        return Ok(created);
    }
    // Only plausible months: an import's dates are checked after this (a
    // dossier of 1999 or of next year is refused), and a month outside
    // these lands in the default partition anyway.
    let (earliest, latest) = (DateTime::<Utc>::from_timestamp(946_684_800, 0), months_ahead(Utc::now(), 13).pop());
    let months: std::collections::BTreeSet<(NaiveDate, NaiveDate)> = instants
        .into_iter()
        .filter(|t| earliest.is_some_and(|e| *t >= e) && latest.is_some_and(|l| *t <= l))
        .filter_map(month_of)
        .collect();
    for (table, (first, next)) in tables.iter().flat_map(|t| months.iter().map(move |m| (t.table(), *m))) {
        let name = format!("{table}_{:04}_{:02}", first.year(), first.month());
        let found: Found = diesel::sql_query("SELECT count(*) AS n FROM pg_class WHERE relname = $1")
            .bind::<Text, _>(&name)
            .get_result(conn)?;
        if found.n > 0 {
            continue;
        }
        let create =
            format!("CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} FOR VALUES FROM ('{first}') TO ('{next}')");
        // Creating a partition locks its table (and checks the keys it
        // refers to): it waits for writers in flight at most half a second, and
        // gives way to them rather than make them wait or deadlock.
        diesel::sql_query("SET lock_timeout = '500ms'").execute(conn)?;
        let done = diesel::sql_query(create).execute(conn);
        diesel::sql_query("RESET lock_timeout").execute(conn)?;
        match done {
            Ok(_) => created.push(name),
            Err(e) => {
                log::warn!("partition {name} not created now (its rows go to the default partition): {e}")
            }
        }
    }
    Ok(created)
}

/// The instants of the next `months` months from `t`, one in each.
pub fn months_ahead(t: DateTime<Utc>, months: u32) -> Vec<DateTime<Utc>> {
    (0..=months).filter_map(|m| t.checked_add_months(chrono::Months::new(m))).collect()
}
