//! Instants as the database keeps them: naive UTC, truncated to microseconds
//! (PostgreSQL keeps no more; SQLite would keep whatever it is given).

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

pub fn to_db(instant: DateTime<Utc>) -> NaiveDateTime {
    instant.naive_utc().trunc_subsecs(6)
}

pub fn from_db(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}
