//! Pauses of the clock: while a dossier awaits a supplement or a payment, the
//! due instant moves forward by the office time that passed (docs/RULES.md §4.3).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::explanation::{ExplanationStep, NoRecord, Recorder};
use super::local_time::{saturate, LocalInstant, VIETNAM};
use super::working_calendar::WorkingCalendar;

/// A pause of the clock over `[from, to)`. A pause whose `to` is not after
/// its `from` holds no time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl WorkingCalendar {
    /// Moves `due` forward by the office time that passed during the pauses.
    /// Time covered by several overlapping pauses counts once; a pause with
    /// no office time (a weekend, a night) moves nothing.
    pub fn apply_pauses(&self, due: DateTime<Utc>, pauses: &[Pause]) -> DateTime<Utc> {
        self.apply_pauses_with(due, pauses, &mut NoRecord)
    }

    pub(crate) fn apply_pauses_with<R: Recorder>(
        &self,
        due: DateTime<Utc>,
        pauses: &[Pause],
        recorder: &mut R,
    ) -> DateTime<Utc> {
        let pauses: Cow<'_, [Pause]> = if pauses.is_sorted_by_key(|pause| pause.from) {
            Cow::Borrowed(pauses)
        } else {
            let mut sorted = pauses.to_vec();
            sorted.sort_by_key(|pause| pause.from);
            Cow::Owned(sorted)
        };
        let mut due = due;
        let mut covered_until: Option<DateTime<Utc>> = None;
        for pause in pauses.iter() {
            let from = covered_until.map_or(pause.from, |covered| covered.max(pause.from));
            let seconds = self.office_seconds_between(from, pause.to);
            covered_until = Some(covered_until.map_or(pause.to, |covered| covered.max(pause.to)));
            let mark = recorder.mark();
            if seconds > 0 {
                due = self.extend(due, seconds, recorder);
            }
            recorder.record_at(mark, || ExplanationStep::PauseAdded {
                from: pause.from.with_timezone(&VIETNAM),
                to: pause.to.with_timezone(&VIETNAM),
                office_seconds: seconds,
                due_at: due.with_timezone(&VIETNAM),
            });
        }
        due
    }

    fn extend<R: Recorder>(&self, due: DateTime<Utc>, seconds: u64, recorder: &mut R) -> DateTime<Utc> {
        saturate(
            LocalInstant::from_utc_ceil(due)
                .and_then(|at| self.normalise_walk(at, recorder))
                .and_then(|(at, _, walker)| self.advance_walk(walker, at, seconds, recorder)),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::test_calendar::{calendar_2026, date, vn};
    use super::super::working_calendar::DayOffReason;
    use super::*;
    use crate::time_limit::TimeUnit;

    fn pause(from: DateTime<Utc>, to: DateTime<Utc>) -> Pause {
        Pause { from, to }
    }

    #[test]
    fn a_pause_inside_one_morning_moves_the_due_instant_by_its_length() {
        let due =
            calendar_2026().apply_pauses(vn(2026, 3, 6, 9, 0), &[pause(vn(2026, 3, 4, 9, 0), vn(2026, 3, 4, 10, 30))]);
        assert_eq!(due, vn(2026, 3, 6, 10, 30));
    }

    #[test]
    fn a_pause_over_the_midday_break_counts_only_office_time() {
        // 11:00–14:00 holds 30 + 30 minutes of office time.
        let due =
            calendar_2026().apply_pauses(vn(2026, 3, 6, 9, 0), &[pause(vn(2026, 3, 4, 11, 0), vn(2026, 3, 4, 14, 0))]);
        assert_eq!(due, vn(2026, 3, 6, 10, 0));
    }

    #[test]
    fn a_pause_across_a_weekend_counts_friday_afternoon_and_monday_morning() {
        let due =
            calendar_2026().apply_pauses(vn(2026, 3, 11, 9, 0), &[pause(vn(2026, 3, 6, 16, 0), vn(2026, 3, 9, 8, 0))]);
        assert_eq!(due, vn(2026, 3, 11, 11, 0));
    }

    #[test]
    fn a_pause_across_tet_counts_no_holiday_time() {
        // Two office hours in the pause; the due instant has 30 minutes left on its day.
        let due = calendar_2026()
            .apply_pauses(vn(2026, 2, 27, 16, 30), &[pause(vn(2026, 2, 13, 16, 0), vn(2026, 2, 23, 8, 0))]);
        assert_eq!(due, vn(2026, 3, 2, 8, 30));
    }

    #[test]
    fn a_pause_moves_the_due_instant_over_the_may_holidays() {
        let due = calendar_2026()
            .apply_pauses(vn(2026, 4, 29, 16, 0), &[pause(vn(2026, 4, 28, 8, 0), vn(2026, 4, 28, 10, 0))]);
        assert_eq!(due, vn(2026, 5, 4, 8, 0));
    }

    #[test]
    fn a_pause_over_a_weekend_only_moves_nothing() {
        let due =
            calendar_2026().apply_pauses(vn(2026, 3, 11, 17, 0), &[pause(vn(2026, 3, 7, 8, 0), vn(2026, 3, 8, 18, 0))]);
        assert_eq!(due, vn(2026, 3, 11, 17, 0));
    }

    #[test]
    fn a_due_instant_at_closing_extended_continues_the_next_morning() {
        let due =
            calendar_2026().apply_pauses(vn(2026, 3, 4, 17, 0), &[pause(vn(2026, 3, 2, 9, 0), vn(2026, 3, 2, 10, 0))]);
        assert_eq!(due, vn(2026, 3, 5, 8, 0));
    }

    #[test]
    fn overlapping_pauses_count_their_common_time_once() {
        let pauses =
            [pause(vn(2026, 3, 4, 9, 0), vn(2026, 3, 4, 10, 0)), pause(vn(2026, 3, 4, 9, 30), vn(2026, 3, 4, 10, 30))];
        assert_eq!(calendar_2026().apply_pauses(vn(2026, 3, 6, 9, 0), &pauses), vn(2026, 3, 6, 10, 30));
    }

    #[test]
    fn pauses_in_any_order_give_the_same_due_instant() {
        let first = pause(vn(2026, 3, 2, 9, 0), vn(2026, 3, 2, 10, 0));
        let second = pause(vn(2026, 3, 3, 14, 0), vn(2026, 3, 3, 16, 0));
        let calendar = calendar_2026();
        assert_eq!(
            calendar.apply_pauses(vn(2026, 3, 6, 9, 0), &[second, first]),
            calendar.apply_pauses(vn(2026, 3, 6, 9, 0), &[first, second])
        );
    }

    #[test]
    fn a_reversed_pause_moves_nothing() {
        let due =
            calendar_2026().apply_pauses(vn(2026, 3, 6, 9, 0), &[pause(vn(2026, 3, 4, 10, 0), vn(2026, 3, 4, 9, 0))]);
        assert_eq!(due, vn(2026, 3, 6, 9, 0));
    }

    #[test]
    fn explanation_lists_the_pause_and_the_days_its_extension_passed() {
        let deadline = calendar_2026().explain_deadline(
            vn(2026, 4, 28, 16, 0),
            1,
            TimeUnit::WorkingDays,
            false,
            &[pause(vn(2026, 4, 28, 16, 30), vn(2026, 4, 29, 9, 0))],
        );
        let at = |text| DateTime::parse_from_rfc3339(text).unwrap();
        let holiday = |m, d, name: &str| ExplanationStep::DaySkipped {
            date: date(2026, m, d),
            reason: DayOffReason::Holiday { name: name.to_owned() },
        };
        let weekend = |d| ExplanationStep::DaySkipped { date: date(2026, 5, d), reason: DayOffReason::Weekend };
        assert_eq!(
            deadline.steps[2..],
            [
                ExplanationStep::PauseAdded {
                    from: at("2026-04-28T16:30:00+07:00"),
                    to: at("2026-04-29T09:00:00+07:00"),
                    office_seconds: 9_000,
                    due_at: at("2026-05-04T08:30:00+07:00"),
                },
                holiday(4, 30, "Ngày Giải phóng miền Nam"),
                holiday(5, 1, "Ngày Quốc tế Lao động"),
                weekend(2),
                weekend(3),
                ExplanationStep::Due { due_at: at("2026-05-04T08:30:00+07:00") },
            ]
        );
    }
}
