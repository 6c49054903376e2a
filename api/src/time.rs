//! Instants at the HTTP edge: stored in UTC, shown in Vietnam time (+07:00).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset")
}

/// An instant as shown to clients: RFC 3339 with `+07:00`.
pub fn vn(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.with_timezone(&vietnam())
}

/// The years an instant may have, in UTC and in Vietnam time alike: RFC 3339
/// writes four-digit years only, so an instant past 9999 could not be
/// written back (chrono would print `+10013-…`).
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Whether `instant` can be written as RFC 3339 in UTC and in Vietnam time.
pub fn writable(instant: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    YEARS.contains(&instant.year()) && YEARS.contains(&vn(instant).year())
}

/// Whether `text` reads as an instant (as serde reads one) that could not be
/// written back.
pub fn unwritable_text(text: &str) -> bool {
    // No instant is longer (a document's base64 need not be tried).
    const LONGEST_INSTANT: usize = 64;
    text.len() <= LONGEST_INSTANT && text.parse::<DateTime<FixedOffset>>().is_ok_and(|t| !writable(t.to_utc()))
}

/// Today's date in Vietnam.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    vn(now).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_past_9999_in_either_zone_are_not_writable() {
        assert!(!unwritable_text("9999-12-31T16:59:59Z"));
        assert!(unwritable_text("9999-12-31T17:00:00Z"), "10000-01-01 in Vietnam");
        assert!(unwritable_text("9999-12-31T23:00:00-07:00"), "10000 in UTC");
        assert!(!unwritable_text("not an instant"));
    }
}
