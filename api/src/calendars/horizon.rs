//! How far a calendar is maintained (`valid_through`): recomputing the due
//! instants that ran past it when an admin extends it, and the readiness
//! warning when it comes near.

use chrono::{DateTime, Utc};
use dvc_domain::auth::Actor;
use dvc_domain::calendar::VIETNAM;
use dvc_persistence::calendars::StoredCalendar;
use dvc_persistence::dossiers::{self, Change, NewHistory};
use dvc_persistence::DbConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// `/health/ready` warns when a calendar's horizon is fewer days away than this.
pub const HORIZON_WARNING_DAYS: i64 = 60;

/// Whether `new` moves the horizon of `old` later: a later `valid_through`,
/// or none at all any more. A calendar that stated none had nothing provisional.
pub fn extends(old: &StoredCalendar, new: &dvc_domain::calendar::WorkingCalendar) -> bool {
    match (old.calendar.provisional_from(), new.provisional_from()) {
        (Some(before), Some(after)) => after > before,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Recomputes, on `now_calendar`, every open dossier of that calendar whose
/// due instant was provisional under `old` (due on or after the day after its
/// `valid_through`): from its reception and through its pauses, each through
/// the dossier change path, so it gets a history row and goes out to the
/// change feed and the national portal. Returns how many were recomputed.
pub fn recompute_provisional(
    conn: &mut DbConnection,
    old: &StoredCalendar,
    now_calendar: &StoredCalendar,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let Some(from) = old.calendar.provisional_from() else {
        return Ok(0);
    };
    let codes = dossiers::open_due_from(conn, &old.id, from)?;
    let horizon =
        |c: &StoredCalendar| c.calendar.valid_through().map_or_else(|| "no stated date".to_owned(), |d| d.to_string());
    for code in &codes {
        dossiers::update(conn, code, now, |_, current| {
            let state = current.state.recompute_due(&now_calendar.calendar);
            let shown = |due: Option<DateTime<Utc>>| {
                due.map_or_else(|| "none".to_owned(), |d| d.with_timezone(&VIETNAM).to_rfc3339())
            };
            let note = format!(
                "calendar {} now maintained through {} (was {}): due {} → {}",
                now_calendar.id,
                horizon(now_calendar),
                horizon(old),
                shown(current.state.due_at),
                shown(state.due_at),
            );
            let status = current.state.status;
            Ok::<_, ApiError>(Change {
                state,
                history: NewHistory {
                    action: dvc_domain::dossier::Step::RecomputeDeadline,
                    from: Some(status),
                    to: status,
                    actor: actor.clone(),
                    at: now,
                    note: Some(note),
                    step_deadline: None,
                },
                documents: Vec::new(),
                payment: None,
                // A recomputed deadline is not told (docs/RULES.md §12).
                notify: dvc_domain::notify::Channels::default(),
            })
        })?;
    }
    Ok(codes.len())
}

/// Why readiness warns about a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HorizonWarningCode {
    /// `valid_through` is fewer than 60 days away, or past.
    CalendarHorizonNear,
    /// The calendar states no `valid_through`.
    CalendarHorizonUnstated,
}

/// A calendar whose holidays are known for too short a time ahead.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"code": "calendar_horizon_near", "calendar": "default", "valid_through": "2027-01-31", "days_left": 45, "message": "calendar default is maintained through 2027-01-31, 45 days from today: enter the holidays announced for after it"}))]
pub struct HorizonWarning {
    pub code: HorizonWarningCode,
    pub calendar: String,
    #[schema(format = Date)]
    pub valid_through: Option<String>,
    /// Days from today (Vietnam date) to `valid_through`; negative once passed.
    pub days_left: Option<i64>,
    pub message: String,
}

/// The warnings for `calendars` on `now`'s Vietnam date.
pub fn warnings(calendars: &[StoredCalendar], now: DateTime<Utc>) -> Vec<HorizonWarning> {
    let today = now.with_timezone(&VIETNAM).date_naive();
    calendars
        .iter()
        .filter_map(|c| {
            let valid_through = c.calendar.valid_through();
            let (code, days_left, message) = match c.calendar.horizon_days_left(today) {
                None => (
                    HorizonWarningCode::CalendarHorizonUnstated,
                    None,
                    format!("calendar {} states no valid_through: no due instant can be marked provisional", c.id),
                ),
                Some(days) if days < HORIZON_WARNING_DAYS => (
                    HorizonWarningCode::CalendarHorizonNear,
                    Some(days),
                    format!(
                        "calendar {} is maintained through {}, {days} days from today: enter the holidays announced for after it",
                        c.id,
                        valid_through.map(|d| d.to_string()).unwrap_or_default()
                    ),
                ),
                Some(_) => return None,
            };
            Some(HorizonWarning {
                code,
                calendar: c.id.clone(),
                valid_through: valid_through.map(|d| d.to_string()),
                days_left,
                message,
            })
        })
        .collect()
}
