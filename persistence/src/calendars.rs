//! Working calendars, stored as their validated spec (JSON text).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use dvc_domain::calendar::{CalendarSpec, WorkingCalendar};

use crate::connection::{write_transaction, DbConnection};
use crate::error::StoreError;
use crate::schema::calendars;
use crate::time::to_db;

/// A stored calendar: its id, the calendar, and its revision.
#[derive(Debug, Clone)]
pub struct StoredCalendar {
    pub id: String,
    pub calendar: WorkingCalendar,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = calendars)]
struct CalendarRow {
    id: String,
    spec: String,
    version: i32,
    updated_at: chrono::NaiveDateTime,
    updated_by: Option<String>,
}

impl TryFrom<CalendarRow> for StoredCalendar {
    type Error = StoreError;
    fn try_from(row: CalendarRow) -> Result<Self, StoreError> {
        let spec: CalendarSpec = serde_json::from_str(&row.spec)?;
        let calendar = WorkingCalendar::new(spec).map_err(|errors| {
            StoreError::Corrupt(format!(
                "calendar {}: {}",
                row.id,
                errors.first().map(|e| e.message.as_str()).unwrap_or("")
            ))
        })?;
        Ok(StoredCalendar {
            id: row.id,
            calendar,
            version: row.version,
            updated_at: row.updated_at.and_utc(),
            updated_by: row.updated_by,
        })
    }
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<StoredCalendar, StoreError> {
    calendars::table
        .find(id)
        .select(CalendarRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found(format!("calendar {id}")))?
        .try_into()
}

/// The working calendar `id`, through the server's cache (`crate::cache`):
/// parsed once per change of a calendar.
pub fn working(conn: &mut DbConnection, id: &str) -> Result<Arc<WorkingCalendar>, StoreError> {
    crate::cache::calendar(conn, id, |conn| Ok(get(conn, id)?.calendar))
}

/// Calendars read once each, for judging many dossiers.
#[derive(Default)]
pub struct CalendarCache(std::collections::HashMap<String, Arc<WorkingCalendar>>);

impl CalendarCache {
    pub fn get(&mut self, conn: &mut DbConnection, id: &str) -> Result<&WorkingCalendar, StoreError> {
        if !self.0.contains_key(id) {
            let calendar = working(conn, id)?;
            self.0.insert(id.to_owned(), calendar);
        }
        self.0.get(id).map(|c| &**c).ok_or_else(|| StoreError::not_found(format!("calendar {id}")))
    }
}

/// Every calendar, by id.
pub fn all(conn: &mut DbConnection) -> Result<Vec<StoredCalendar>, StoreError> {
    calendars::table
        .order(calendars::id.asc())
        .select(CalendarRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredCalendar::try_from)
        .collect()
}

/// Creates or replaces a calendar; due instants already computed do not move.
pub fn put(
    conn: &mut DbConnection,
    id: &str,
    calendar: &WorkingCalendar,
    by: &str,
    now: DateTime<Utc>,
) -> Result<StoredCalendar, StoreError> {
    let spec = serde_json::to_string(&calendar.to_spec())?;
    write_transaction(conn, |conn| {
        let current: Option<i32> = calendars::table.find(id).select(calendars::version).first(conn).optional()?;
        match current {
            Some(version) => {
                diesel::update(calendars::table.find(id))
                    .set((
                        calendars::spec.eq(&spec),
                        calendars::version.eq(version + 1),
                        calendars::updated_at.eq(to_db(now)),
                        calendars::updated_by.eq(Some(by)),
                    ))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(calendars::table)
                    .values((
                        calendars::id.eq(id),
                        calendars::spec.eq(&spec),
                        calendars::version.eq(1),
                        calendars::updated_at.eq(to_db(now)),
                        calendars::updated_by.eq(Some(by)),
                    ))
                    .execute(conn)?;
            }
        }
        crate::cache::changed(conn)?;
        get(conn, id)
    })
}
