//! The state of a dossier that its rules depend on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::action::SupplementItem;
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
    /// While awaiting a supplement: the components the request lists as
    /// missing or faulty (shown to the applicant, docs/RULES.md §4.4).
    pub supplement_items: Vec<SupplementItem>,
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
            supplement_items: Vec::new(),
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
        self.due_as_of(now, calendar)
    }

    /// The due instant as it stood at instant `t` (docs/RULES.md §4.3): the due instant
    /// set at reception, moved in full by each pause that had ended by `t`,
    /// by a pause still running at `t` only for the office time it had held
    /// by then, and not at all by a pause that began later. Pauses that ended
    /// before reception moved nothing and are passed over.
    ///
    /// Read from the pause records: each ended pause keeps the due instant
    /// it found (`due_before`), so a past instant is judged by the calendar
    /// the deadline was computed with, whatever the calendar says today.
    pub fn due_as_of(&self, t: DateTime<Utc>, calendar: &WorkingCalendar) -> Option<DateTime<Utc>> {
        due_as_of(self.due_at, &self.pauses, t, calendar)
    }

    /// within_deadline / overdue as the dossier stood at `t`, if it was open
    /// after reception then; its status, resolution and closing are the
    /// caller's to check (the figures know when it closed).
    pub fn judged_open_at(&self, t: DateTime<Utc>, calendar: &WorkingCalendar) -> Option<Timeliness> {
        self.due_as_of(t, calendar).map(|d| classify_open(t, d))
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
        self.judged_open_at(now, calendar)
    }
}

/// [`DossierState::due_as_of`] from what it reads: the current due instant
/// and the pause records.
pub fn due_as_of(
    due_at: Option<DateTime<Utc>>,
    pauses: &[PauseRecord],
    t: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Option<DateTime<Utc>> {
    let current = due_at?;
    let pending =
        pauses.iter().filter(|p| p.to.is_none() || p.due_before.is_some()).find(|p| p.to.is_none_or(|to| to > t));
    let Some(pause) = pending else {
        return Some(current);
    };
    // A pause still open has not moved the due instant yet.
    let before = pause.due_before.unwrap_or(current);
    Some(if pause.from < t { calendar.apply_pauses(before, &[Pause { from: pause.from, to: t }]) } else { before })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::default_vietnam()
    }

    /// Received Mon 2 Mar 2026 09:00, due Mon 9 Mar 09:00; waited for a
    /// supplement from Wed 11 Mar 09:00 (already overdue) until `until`.
    fn paused_after_its_due(until: Option<&str>) -> DossierState {
        let limit = TimeLimit { amount: 5, unit: TimeUnit::WorkingDays, same_day: false };
        let mut s = DossierState::submitted(AgencyCode::parse("000.00.05.H56").unwrap(), limit);
        s.status = Status::AwaitingSupplement;
        s.received_at = Some(at("2026-03-02T09:00:00+07:00"));
        let due = at("2026-03-09T09:00:00+07:00");
        s.due_at = Some(due);
        let from = at("2026-03-11T09:00:00+07:00");
        s.pauses.push(PauseRecord {
            from,
            to: None,
            reason: PauseReason::Supplement,
            due_before: None,
            due_after: None,
            reply_by: None,
        });
        if let Some(until) = until.map(at) {
            let moved = calendar().apply_pauses(due, &[Pause { from, to: until }]);
            let p = &mut s.pauses[0];
            (p.to, p.due_before, p.due_after) = (Some(until), Some(due), Some(moved));
            s.status = Status::Processing;
            s.due_at = Some(moved);
        }
        s
    }

    #[test]
    fn a_pause_that_began_later_moves_nothing_at_an_earlier_instant() {
        let s = paused_after_its_due(Some("2026-04-15T09:00:00+07:00"));
        let t = at("2026-03-10T10:00:00+07:00");
        assert_eq!(s.due_as_of(t, &calendar()), Some(at("2026-03-09T09:00:00+07:00")));
        assert_eq!(s.judged_open_at(t, &calendar()), Some(Timeliness::Overdue));
        assert_eq!(s.judged_open_at(at("2026-03-09T09:00:00+07:00"), &calendar()), Some(Timeliness::WithinDeadline));
    }

    #[test]
    fn a_pause_running_at_the_instant_adds_only_the_office_time_it_had_held() {
        // 1 Apr 00:00: paused since Wed 11 Mar 09:00 = 6 + 16 + 40 + 40 + 16 = 118 office hours;
        // Mon 9 Mar 09:00 + 118 h = Mon 6 + Tue–Fri 32 + 40 + 40 = Fri 27 Mar 17:00.
        let end_of_march = at("2026-04-01T00:00:00+07:00");
        let expected = Some(at("2026-03-27T17:00:00+07:00"));
        let ended_later = paused_after_its_due(Some("2026-04-15T09:00:00+07:00"));
        assert_eq!(ended_later.due_as_of(end_of_march, &calendar()), expected);
        assert_eq!(ended_later.judged_open_at(end_of_march, &calendar()), Some(Timeliness::Overdue));
        let still_waiting = paused_after_its_due(None);
        assert_eq!(still_waiting.due_as_of(end_of_march, &calendar()), expected);
        assert_eq!(still_waiting.effective_due(end_of_march, &calendar()), expected);
    }

    #[test]
    fn a_pause_ended_by_the_instant_adds_in_full() {
        let s = paused_after_its_due(Some("2026-04-15T09:00:00+07:00"));
        let t = at("2026-04-20T09:00:00+07:00");
        assert_eq!(s.due_as_of(t, &calendar()), s.due_at);
        assert_eq!(s.due_as_of(at("2026-04-15T09:00:00+07:00"), &calendar()), s.due_at, "ended exactly then");
        // Overdue by two working days when it paused, it still is after the pause.
        assert_eq!(s.judged_open_at(t, &calendar()), Some(Timeliness::Overdue));
    }

    #[test]
    fn a_pause_before_reception_is_passed_over() {
        let mut s = paused_after_its_due(Some("2026-04-15T09:00:00+07:00"));
        let early = PauseRecord {
            from: at("2026-02-25T09:00:00+07:00"),
            to: Some(at("2026-02-26T09:00:00+07:00")),
            reason: PauseReason::Payment,
            due_before: None,
            due_after: None,
            reply_by: None,
        };
        s.pauses.insert(0, early);
        assert_eq!(s.due_as_of(at("2026-03-10T10:00:00+07:00"), &calendar()), Some(at("2026-03-09T09:00:00+07:00")));
    }

    /// Received Mon 2 Mar 2026 09:00 with the given pauses (start, length
    /// in minutes, from reception on), each ended as the state machine ends
    /// it; the last one left open when `open_last`.
    fn with_pauses(gaps: &[(i64, i64)], open_last: bool) -> DossierState {
        let mut s = paused_after_its_due(None);
        s.pauses.clear();
        s.status = Status::Processing;
        let mut at = s.received_at.unwrap();
        for (i, (gap, length)) in gaps.iter().enumerate() {
            let from = at + chrono::Duration::minutes(*gap);
            let to = from + chrono::Duration::minutes(*length);
            let due = s.due_at.unwrap();
            if open_last && i + 1 == gaps.len() {
                s.pauses.push(PauseRecord {
                    from,
                    to: None,
                    reason: PauseReason::Payment,
                    due_before: None,
                    due_after: None,
                    reply_by: None,
                });
                break;
            }
            let moved = calendar().apply_pauses(due, &[Pause { from, to }]);
            s.pauses.push(PauseRecord {
                from,
                to: Some(to),
                reason: PauseReason::Supplement,
                due_before: Some(due),
                due_after: Some(moved),
                reply_by: None,
            });
            s.due_at = Some(moved);
            at = to;
        }
        s
    }

    proptest::proptest! {
        #[test]
        fn judging_later_never_moves_a_due_instant_backwards(
            gaps in proptest::collection::vec((0i64..6000, 0i64..6000), 0..5),
            open_last in proptest::bool::ANY,
            steps in proptest::collection::vec(0i64..3000, 1..30),
        ) {
            let s = with_pauses(&gaps, open_last);
            let at_reception = Some(at("2026-03-09T09:00:00+07:00"));
            let first_pause = s.pauses.first().map(|p| p.from);
            let mut t = s.received_at.unwrap();
            let mut last = s.due_as_of(t, &calendar());
            for step in steps {
                t += chrono::Duration::minutes(step);
                let due = s.due_as_of(t, &calendar());
                proptest::prop_assert!(due >= last, "{due:?} before {last:?} at {t}");
                // Before any pause began, no waiting has moved it yet.
                if first_pause.is_none_or(|from| t <= from) {
                    proptest::prop_assert_eq!(due, at_reception);
                }
                last = due;
            }
            // Past every ended pause, it is the due instant the state keeps.
            if !open_last {
                let after_all = s.pauses.last().and_then(|p| p.to).unwrap_or(t).max(t);
                proptest::prop_assert_eq!(s.due_as_of(after_all, &calendar()), s.due_at);
            }
        }
    }

    #[test]
    fn before_reception_there_is_no_due_instant() {
        let limit = TimeLimit { amount: 5, unit: TimeUnit::WorkingDays, same_day: false };
        let s = DossierState::submitted(AgencyCode::parse("000.00.05.H56").unwrap(), limit);
        assert_eq!(s.due_as_of(at("2026-03-10T10:00:00+07:00"), &calendar()), None);
    }
}
