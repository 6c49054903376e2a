//! The state of a dossier that its rules depend on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::Status;
use crate::agency::AgencyCode;
use crate::calendar::{classify_open, classify_resolved, Pause, Timeliness, WorkingCalendar};
use crate::time_limit::TimeUnit;

/// The processing time pinned from the procedure version at submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeLimit {
    pub amount: u32,
    pub unit: TimeUnit,
    pub same_day: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    Supplement,
    Payment,
}

/// A period the clock stood still; open while `to` is None.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseRecord {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    pub reason: PauseReason,
    /// The due instant before this pause moved it (set when the pause ends).
    pub due_before: Option<DateTime<Utc>>,
    /// The due instant after it (set when the pause ends).
    pub due_after: Option<DateTime<Utc>>,
    /// For a supplement pause: the applicant's reply deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_by: Option<DateTime<Utc>>,
}

impl PauseRecord {
    /// Moves `due` by the office time this ended pause held, noting the due
    /// instant before and after it; an open pause moves nothing.
    pub(crate) fn carry(&mut self, due: DateTime<Utc>, calendar: &WorkingCalendar) -> DateTime<Utc> {
        let Some(to) = self.to else {
            return due;
        };
        let moved = calendar.apply_pauses(due, &[Pause { from: self.from, to }]);
        self.due_before = Some(due);
        self.due_after = Some(moved);
        moved
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Granted,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Denied => "denied",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Granted, Self::Denied].into_iter().find(|o| o.as_str() == s)
    }
}

/// Everything the state machine reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierState {
    pub status: Status,
    pub receiving_agency: AgencyCode,
    /// The unit handling it now (the receiving agency until a hand-off).
    pub handling_agency: AgencyCode,
    pub limit: TimeLimit,
    pub received_at: Option<DateTime<Utc>>,
    /// The legal due instant: set at reception, moved by each ended pause.
    pub due_at: Option<DateTime<Utc>>,
    /// The date promised in an apology; the dossier is still judged by `due_at`.
    pub promised_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub pauses: Vec<PauseRecord>,
    /// A supplement was requested while processing (allowed once).
    pub supplement_requested_in_processing: bool,
    /// The apology with a new date was issued (allowed once).
    pub apologized: bool,
    /// While awaiting a supplement: the applicant's reply deadline.
    pub reply_by: Option<DateTime<Utc>>,
}

impl DossierState {
    /// A dossier as submitted (online, or pushed in before reception).
    pub fn submitted(agency: AgencyCode, limit: TimeLimit) -> Self {
        Self {
            status: Status::Submitted,
            handling_agency: agency.clone(),
            receiving_agency: agency,
            limit,
            received_at: None,
            due_at: None,
            promised_at: None,
            resolved_at: None,
            returned_at: None,
            outcome: None,
            pauses: Vec::new(),
            supplement_requested_in_processing: false,
            apologized: false,
            reply_by: None,
        }
    }

    /// Awaiting a supplement whose reply deadline has passed at `now`.
    pub fn supplement_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == Status::AwaitingSupplement && self.reply_by.is_some_and(|r| now > r)
    }

    pub fn open_pause(&self) -> Option<&PauseRecord> {
        self.pauses.last().filter(|p| p.to.is_none())
    }

    /// The state with its legal due instant computed again on `calendar`, as
    /// reception and the end of each pause computed it: from the reception
    /// instant and the pinned time limit, then moved by each ended pause in
    /// turn (their `due_before`/`due_after` recomputed too). An open pause
    /// stays open and moves nothing yet. Unchanged before reception.
    pub fn recompute_due(&self, calendar: &WorkingCalendar) -> DossierState {
        let mut next = self.clone();
        let Some(received) = self.received_at else {
            return next;
        };
        let mut due = calendar.due_instant(received, self.limit.amount, self.limit.unit, self.limit.same_day);
        for pause in next.pauses.iter_mut() {
            due = pause.carry(due, calendar);
        }
        next.due_at = Some(due);
        next
    }

    /// The due instant as it stands at `now`: an open pause extends it by the
    /// office time it has held so far.
    pub fn effective_due(&self, now: DateTime<Utc>, calendar: &WorkingCalendar) -> Option<DateTime<Utc>> {
        let due = self.due_at?;
        Some(match self.open_pause() {
            Some(p) if now > p.from => calendar.apply_pauses(due, &[Pause { from: p.from, to: now }]),
            _ => due,
        })
    }

    /// early / on_time / late once resolved; within_deadline / overdue while
    /// open after reception; none before reception or after a refusal,
    /// withdrawal or stop.
    pub fn timeliness(&self, now: DateTime<Utc>, calendar: &WorkingCalendar) -> Option<Timeliness> {
        let due = self.due_at?;
        if let Some(resolved) = self.resolved_at {
            return Some(classify_resolved(resolved, due));
        }
        if matches!(self.status, Status::Withdrawn | Status::Stopped | Status::Refused) {
            return None;
        }
        self.effective_due(now, calendar).map(|d| classify_open(now, d))
    }
}
