//! Working calendars and the deadline engine (docs/RULES.md §4.3).
//!
//! A [`WorkingCalendar`] says which dates are working days (weekly rule,
//! holidays, swapped working days) and which hours of a working day are office
//! hours. The engine counts office time on it to compute legal due instants,
//! extends them by pauses and classifies resolutions against them.
//!
//! # Conventions
//! - Instants enter and leave as UTC; every rule is applied in Vietnam time
//!   (UTC+07:00, no daylight saving, [`VIETNAM`]).
//! - The engine works at one-second resolution: an instant with a fraction of
//!   a second is first moved up to the next whole second, so a computed
//!   instant is never earlier than the exact one.
//! - Office spans are half-open, `[start, end)`: an instant exactly at a span
//!   end (11:30:00, 17:00:00) has no office time left in that span, so
//!   [`WorkingCalendar::normalise`] moves it to the next span start (13:30, or
//!   the next working day's opening).
//! - Counting office time forward *finishes* inside `(start, end]` of a span:
//!   a count that uses up a span exactly ends at that span's end (17:00 the
//!   same day), never at the next opening. A count of zero returns the
//!   normalised start. With these two rules, for every `a` and every `b > 0`,
//!   `add(add(t, a), b) == add(t, a + b)`.
//! - The same-day cut-off is valid when it lies within a span, ends included
//!   (`start <= cutoff <= end`); a reception strictly before the cut-off on a
//!   working day is settled that day.
//! - Instants beyond chrono's range saturate at `DateTime::<Utc>::MAX_UTC`.

mod day_walker;
mod deadline;
mod error;
mod explanation;
mod local_time;
mod office_span;
mod office_time;
mod pause;
mod spec;
mod timeliness;
mod validation;
mod working_calendar;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod properties;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod test_calendar;

pub use deadline::Deadline;
pub use error::CalendarError;
pub use explanation::{ExplanationStep, OfficeTiming};
pub use local_time::VIETNAM;
pub use office_span::OfficeSpan;
pub use pause::Pause;
pub use spec::{CalendarSpec, NamedDateSpec, OfficeSpanSpec};
pub use timeliness::{classify_open, classify_resolved, Timeliness};
pub use working_calendar::{DayOffReason, WorkingCalendar};
