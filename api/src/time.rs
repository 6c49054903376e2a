//! Instants at the HTTP edge: stored in UTC, shown in Vietnam time (+07:00).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset")
}

/// An instant as shown to clients: RFC 3339 with `+07:00`.
pub fn vn(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.with_timezone(&vietnam())
}

/// Today's date in Vietnam.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    vn(now).date_naive()
}
