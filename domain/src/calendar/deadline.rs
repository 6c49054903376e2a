//! The legal due instant of a dossier (docs/RULES.md §4.3), with its explanation.

use chrono::{DateTime, Days, Utc};

use super::explanation::{ExplanationStep, NoRecord, Recorder};
use super::local_time::{saturate, LocalInstant, VIETNAM};
use super::office_time::Timing;
use super::pause::Pause;
use super::working_calendar::WorkingCalendar;
use crate::time_limit::TimeUnit;

/// A due instant and why it is what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The reception instant, as given.
    pub received_at: DateTime<Utc>,
    /// Where counting started: the normalised reception instant (the first
    /// office instant at or after it), for every unit.
    pub counted_from: DateTime<Utc>,
    /// The due instant, pauses included.
    pub due_at: DateTime<Utc>,
    /// The due instant runs past the calendar's `valid_through`: a holiday
    /// not yet announced may still move it (see [`WorkingCalendar::is_provisional`]).
    pub provisional: bool,
    /// The steps, in order; the last one is [`ExplanationStep::Due`], after
    /// [`ExplanationStep::Provisional`] when the due instant is provisional.
    pub steps: Vec<ExplanationStep>,
}

impl WorkingCalendar {
    /// The legal due instant of a dossier received at `received_at` whose
    /// processing time is `amount` `unit`s (docs/RULES.md §4.3):
    /// - `WorkingHours`: `amount` × 3 600 office seconds from the normalised reception;
    /// - `WorkingDays`: `amount` × [`Self::office_seconds_per_day`] office seconds from it;
    /// - `CalendarDays`: the same local wall-clock time `amount` days after the
    ///   normalised reception, moved forward to the next office instant if that
    ///   day is not a working day (a reception outside office time counts from
    ///   the next office instant, as for the other units);
    /// - `same_day` (overrides `amount` and `unit`): received strictly before
    ///   the cut-off on a working day → that day's closing; otherwise the next
    ///   working day's closing.
    pub fn due_instant(
        &self,
        received_at: DateTime<Utc>,
        amount: u32,
        unit: TimeUnit,
        same_day: bool,
    ) -> DateTime<Utc> {
        saturate(
            LocalInstant::from_utc_ceil(received_at)
                .and_then(|at| self.deadline_local(received_at, at, amount, unit, same_day, &mut NoRecord))
                .map(|(_, due)| due),
        )
    }

    /// [`Self::due_instant`], extended by `pauses` (see [`Self::apply_pauses`]),
    /// with every step that led to it.
    pub fn explain_deadline(
        &self,
        received_at: DateTime<Utc>,
        amount: u32,
        unit: TimeUnit,
        same_day: bool,
        pauses: &[Pause],
    ) -> Deadline {
        let mut steps = Vec::new();
        let computed = LocalInstant::from_utc_ceil(received_at)
            .and_then(|at| self.deadline_local(received_at, at, amount, unit, same_day, &mut steps));
        let (counted_from, due) = match computed {
            Some((counted_from, due)) => (counted_from.to_utc_saturating(), due.to_utc_saturating()),
            None => (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MAX_UTC),
        };
        let due_at = self.apply_pauses_with(due, pauses, &mut steps);
        let provisional = self.is_provisional(due_at);
        if let (true, Some(valid_through)) = (provisional, self.valid_through) {
            steps.push(ExplanationStep::Provisional { valid_through });
        }
        steps.push(ExplanationStep::Due { due_at: due_at.with_timezone(&VIETNAM) });
        Deadline { received_at, counted_from, due_at, provisional, steps }
    }

    /// Returns (where counting started, due instant) in local time.
    fn deadline_local<R: Recorder>(
        &self,
        received_at: DateTime<Utc>,
        at: LocalInstant,
        amount: u32,
        unit: TimeUnit,
        same_day: bool,
        recorder: &mut R,
    ) -> Option<(LocalInstant, LocalInstant)> {
        let received = |counted_from: LocalInstant, timing: Timing<'_>| ExplanationStep::Received {
            received_at: received_at.with_timezone(&VIETNAM),
            counted_from: counted_from.to_vietnam(),
            timing: timing.to_owned(),
        };
        if same_day {
            let (counted_from, timing) = self.normalise_local(at, &mut NoRecord)?;
            let mark = recorder.mark();
            let mut walker = super::day_walker::DayWalker::new(self, at.date);
            let kind = walker.kind();
            let before_cutoff = kind.is_working() && at.secs < self.cutoff_secs();
            let date = if before_cutoff {
                recorder.day(at.date, kind);
                at.date
            } else {
                self.next_working_day(&mut walker, recorder)?
            };
            let due = LocalInstant::new(date, self.closing_secs());
            recorder.record_at(mark, || received(counted_from, timing));
            recorder.record_at(mark + 1, || ExplanationStep::SameDay {
                cutoff: self.same_day_cutoff,
                before_cutoff_on_working_day: before_cutoff,
                due_at: due.to_vietnam(),
            });
            return Some((counted_from, due));
        }
        let seconds = match unit {
            TimeUnit::WorkingHours => u64::from(amount) * 3_600,
            TimeUnit::WorkingDays => u64::from(amount) * self.office_seconds_per_day(),
            TimeUnit::CalendarDays => {
                let mark = recorder.mark();
                let (counted_from, timing) = self.normalise_local(at, recorder)?;
                recorder.record_at(mark, || received(counted_from, timing));
                let lands = LocalInstant::new(
                    counted_from.date.checked_add_days(Days::new(u64::from(amount)))?,
                    counted_from.secs,
                );
                let mark = recorder.mark();
                let (due, timing) = self.normalise_local(lands, recorder)?;
                recorder
                    .record_at(mark, || ExplanationStep::CalendarDaysCounted { amount, lands_at: lands.to_vietnam() });
                if timing != Timing::InOfficeHours {
                    recorder.record_at(mark + 1, || ExplanationStep::MovedToOfficeHours {
                        from: lands.to_vietnam(),
                        to: due.to_vietnam(),
                        timing: timing.to_owned(),
                    });
                }
                return Some((counted_from, due));
            }
        };
        let mark = recorder.mark();
        let (counted_from, timing, walker) = self.normalise_walk(at, recorder)?;
        recorder.record_at(mark, || received(counted_from, timing));
        let mark = recorder.mark();
        let due = self.advance_walk(walker, counted_from, seconds, recorder)?;
        recorder.record_at(mark, || ExplanationStep::LimitCounted {
            amount,
            unit,
            office_seconds: seconds,
            ends_at: due.to_vietnam(),
        });
        Some((counted_from, due))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::explanation::OfficeTiming;
    use super::super::spec::{CalendarSpec, NamedDateSpec};
    use super::super::test_calendar::{calendar_2026, date, vn};
    use super::super::working_calendar::DayOffReason;
    use super::*;
    use chrono::NaiveTime;
    use TimeUnit::{CalendarDays, WorkingDays, WorkingHours};

    fn due(received_at: DateTime<Utc>, amount: u32, unit: TimeUnit) -> DateTime<Utc> {
        calendar_2026().due_instant(received_at, amount, unit, false)
    }

    fn same_day(received_at: DateTime<Utc>) -> DateTime<Utc> {
        calendar_2026().due_instant(received_at, 0, WorkingDays, true)
    }

    // Reception instants, one working day.

    #[test]
    fn received_at_0630_one_working_day_is_due_at_closing_the_same_day() {
        assert_eq!(due(vn(2026, 3, 4, 6, 30), 1, WorkingDays), vn(2026, 3, 4, 17, 0));
    }

    #[test]
    fn received_at_1145_one_working_day_is_due_at_1130_the_next_day() {
        assert_eq!(due(vn(2026, 3, 4, 11, 45), 1, WorkingDays), vn(2026, 3, 5, 11, 30));
    }

    #[test]
    fn received_at_1659_one_working_day_is_due_at_1659_the_next_day() {
        assert_eq!(due(vn(2026, 3, 4, 16, 59), 1, WorkingDays), vn(2026, 3, 5, 16, 59));
    }

    #[test]
    fn received_at_1701_one_working_day_is_due_at_closing_the_next_day() {
        assert_eq!(due(vn(2026, 3, 4, 17, 1), 1, WorkingDays), vn(2026, 3, 5, 17, 0));
    }

    #[test]
    fn received_at_0900_one_working_day_is_due_at_0900_the_next_working_day() {
        assert_eq!(due(vn(2026, 3, 4, 9, 0), 1, WorkingDays), vn(2026, 3, 5, 9, 0));
    }

    #[test]
    fn received_on_a_saturday_one_working_day_is_due_monday_at_closing() {
        assert_eq!(due(vn(2026, 3, 7, 10, 0), 1, WorkingDays), vn(2026, 3, 9, 17, 0));
    }

    #[test]
    fn received_on_a_holiday_one_working_day_is_due_at_closing_of_the_next_working_day() {
        // Thu 30 Apr and Fri 1 May are holidays, then a weekend.
        assert_eq!(due(vn(2026, 4, 30, 9, 0), 1, WorkingDays), vn(2026, 5, 4, 17, 0));
    }

    #[test]
    fn received_on_a_swapped_saturday_counts_from_that_saturday() {
        assert_eq!(due(vn(2026, 1, 10, 9, 0), 1, WorkingDays), vn(2026, 1, 12, 9, 0));
    }

    // Working days across weekends, holidays and swapped days.

    #[test]
    fn one_working_day_from_friday_is_due_monday() {
        assert_eq!(due(vn(2026, 3, 6, 9, 0), 1, WorkingDays), vn(2026, 3, 9, 9, 0));
    }

    #[test]
    fn five_working_days_from_wednesday_are_due_the_next_wednesday() {
        assert_eq!(due(vn(2026, 3, 4, 9, 0), 5, WorkingDays), vn(2026, 3, 11, 9, 0));
    }

    #[test]
    fn fifteen_working_days_are_three_weeks_without_holidays() {
        assert_eq!(due(vn(2026, 3, 4, 9, 0), 15, WorkingDays), vn(2026, 3, 25, 9, 0));
    }

    #[test]
    fn five_working_days_from_the_friday_before_tet_are_due_the_friday_after() {
        assert_eq!(due(vn(2026, 2, 13, 16, 30), 5, WorkingDays), vn(2026, 2, 27, 16, 30));
    }

    #[test]
    fn fifteen_working_days_across_tet() {
        // 10–13 Feb (4), Tết 16–20 off, 23–27 Feb (9), 2–6 Mar (14), 9 Mar (15).
        assert_eq!(due(vn(2026, 2, 9, 9, 0), 15, WorkingDays), vn(2026, 3, 9, 9, 0));
    }

    #[test]
    fn fifteen_working_days_across_hung_kings_and_may_day() {
        // From Fri 17 Apr: 20–24 (5), 27 off, 28–29 (7), 30 Apr–1 May off, 4–8 May (12), 11–13 May (15).
        assert_eq!(due(vn(2026, 4, 17, 9, 0), 15, WorkingDays), vn(2026, 5, 13, 9, 0));
    }

    #[test]
    fn five_working_days_count_the_swapped_saturday() {
        // Thu 8, Fri 9, Sat 10 (swapped), Mon 12, Tue 13 Jan.
        assert_eq!(due(vn(2026, 1, 7, 9, 0), 5, WorkingDays), vn(2026, 1, 13, 9, 0));
    }

    #[test]
    fn six_working_days_from_new_years_eve_land_on_the_swapped_saturday() {
        // 1–2 Jan holidays, 3–4 weekend, 5–9 Jan (5), Sat 10 (6).
        assert_eq!(due(vn(2025, 12, 31, 9, 0), 6, WorkingDays), vn(2026, 1, 10, 9, 0));
    }

    // Working hours.

    #[test]
    fn three_working_hours_from_1000_cross_the_midday_break_to_1500() {
        // 10:00–11:30 is 1.5 h, then 13:30 + 1.5 h.
        assert_eq!(due(vn(2026, 3, 4, 10, 0), 3, WorkingHours), vn(2026, 3, 4, 15, 0));
    }

    #[test]
    fn two_working_hours_from_friday_1600_are_due_monday_0800() {
        assert_eq!(due(vn(2026, 3, 6, 16, 0), 2, WorkingHours), vn(2026, 3, 9, 8, 0));
    }

    // Calendar days.

    #[test]
    fn calendar_days_landing_in_office_hours_keep_the_wall_clock_time() {
        assert_eq!(due(vn(2026, 3, 4, 10, 0), 2, CalendarDays), vn(2026, 3, 6, 10, 0));
    }

    #[test]
    fn calendar_days_landing_on_a_sunday_move_to_monday_opening() {
        assert_eq!(due(vn(2026, 3, 4, 10, 0), 4, CalendarDays), vn(2026, 3, 9, 7, 0));
    }

    #[test]
    fn calendar_days_landing_on_a_holiday_move_past_the_holidays_and_weekend() {
        // Thu 30 Apr is a holiday, Fri 1 May too, then the weekend.
        assert_eq!(due(vn(2026, 4, 23, 10, 0), 7, CalendarDays), vn(2026, 5, 4, 7, 0));
    }

    // Calendar days count from the next office instant, as every unit does.

    #[test]
    fn calendar_days_from_a_saturday_count_from_monday_opening() {
        // Not Tuesday 13:30 (the raw Saturday instant plus three days).
        assert_eq!(due(vn(2026, 3, 7, 13, 30), 3, CalendarDays), vn(2026, 3, 12, 7, 0));
    }

    #[test]
    fn calendar_days_from_after_friday_closing_count_from_monday_opening() {
        assert_eq!(due(vn(2026, 3, 6, 18, 0), 1, CalendarDays), vn(2026, 3, 10, 7, 0));
    }

    #[test]
    fn calendar_days_from_a_holiday_count_from_the_next_working_day() {
        // Thu 30 Apr and Fri 1 May are holidays, then the weekend: counted from Mon 4 May.
        assert_eq!(due(vn(2026, 4, 30, 10, 0), 2, CalendarDays), vn(2026, 5, 6, 7, 0));
    }

    #[test]
    fn calendar_days_from_before_opening_count_from_the_opening() {
        assert_eq!(due(vn(2026, 3, 4, 6, 0), 1, CalendarDays), vn(2026, 3, 5, 7, 0));
    }

    #[test]
    fn calendar_days_from_the_midday_break_count_from_the_afternoon_opening() {
        assert_eq!(due(vn(2026, 3, 4, 12, 15), 1, CalendarDays), vn(2026, 3, 5, 13, 30));
    }

    // Same day.

    #[test]
    fn same_day_received_before_the_cutoff_is_due_at_closing() {
        assert_eq!(same_day(vn(2026, 3, 4, 14, 59)), vn(2026, 3, 4, 17, 0));
    }

    #[test]
    fn same_day_received_before_opening_is_due_at_closing() {
        assert_eq!(same_day(vn(2026, 3, 4, 6, 0)), vn(2026, 3, 4, 17, 0));
    }

    #[test]
    fn same_day_received_exactly_at_the_cutoff_is_due_the_next_day() {
        assert_eq!(same_day(vn(2026, 3, 4, 15, 0)), vn(2026, 3, 5, 17, 0));
    }

    #[test]
    fn same_day_received_after_the_cutoff_is_due_at_next_day_closing() {
        assert_eq!(same_day(vn(2026, 3, 4, 15, 30)), vn(2026, 3, 5, 17, 0));
    }

    #[test]
    fn same_day_received_friday_after_the_cutoff_is_due_monday_closing() {
        assert_eq!(same_day(vn(2026, 3, 6, 15, 30)), vn(2026, 3, 9, 17, 0));
    }

    #[test]
    fn same_day_received_on_a_saturday_is_due_monday_closing() {
        assert_eq!(same_day(vn(2026, 3, 7, 10, 0)), vn(2026, 3, 9, 17, 0));
    }

    #[test]
    fn same_day_received_on_a_swapped_saturday_morning_is_due_that_saturday() {
        assert_eq!(same_day(vn(2026, 1, 10, 10, 0)), vn(2026, 1, 10, 17, 0));
    }

    // Explanations.

    fn at(text: &str) -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn explanation_of_five_working_days_across_tet() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 2, 13, 16, 30), 5, WorkingDays, false, &[]);
        let weekend = |d| ExplanationStep::DaySkipped { date: date(2026, 2, d), reason: DayOffReason::Weekend };
        let tet = |d| ExplanationStep::DaySkipped {
            date: date(2026, 2, d),
            reason: DayOffReason::Holiday { name: "Tết Nguyên đán".to_owned() },
        };
        assert_eq!(
            deadline.steps,
            vec![
                ExplanationStep::Received {
                    received_at: at("2026-02-13T16:30:00+07:00"),
                    counted_from: at("2026-02-13T16:30:00+07:00"),
                    timing: OfficeTiming::InOfficeHours,
                },
                ExplanationStep::LimitCounted {
                    amount: 5,
                    unit: WorkingDays,
                    office_seconds: 144_000,
                    ends_at: at("2026-02-27T16:30:00+07:00"),
                },
                weekend(14),
                weekend(15),
                tet(16),
                tet(17),
                tet(18),
                tet(19),
                tet(20),
                weekend(21),
                weekend(22),
                ExplanationStep::Due { due_at: at("2026-02-27T16:30:00+07:00") },
            ]
        );
    }

    #[test]
    fn explanation_carries_reception_and_counting_start() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 3, 7, 10, 0), 1, WorkingDays, false, &[]);
        assert_eq!(
            (deadline.received_at, deadline.counted_from, deadline.due_at),
            (vn(2026, 3, 7, 10, 0), vn(2026, 3, 9, 7, 0), vn(2026, 3, 9, 17, 0))
        );
    }

    #[test]
    fn explanation_of_a_saturday_reception_says_why_the_start_moved() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 3, 7, 10, 0), 1, WorkingDays, false, &[]);
        assert_eq!(
            deadline.steps[..2],
            [
                ExplanationStep::Received {
                    received_at: at("2026-03-07T10:00:00+07:00"),
                    counted_from: at("2026-03-09T07:00:00+07:00"),
                    timing: OfficeTiming::DayOff { reason: DayOffReason::Weekend },
                },
                ExplanationStep::DaySkipped { date: date(2026, 3, 8), reason: DayOffReason::Weekend },
            ]
        );
    }

    #[test]
    fn explanation_names_the_swapped_working_day_counted() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 1, 9, 9, 0), 2, WorkingDays, false, &[]);
        assert_eq!(
            deadline.steps[1..],
            [
                ExplanationStep::LimitCounted {
                    amount: 2,
                    unit: WorkingDays,
                    office_seconds: 57_600,
                    ends_at: at("2026-01-12T09:00:00+07:00"),
                },
                ExplanationStep::SwappedWorkingDay { date: date(2026, 1, 10), name: "Làm bù ngày 02/01".to_owned() },
                ExplanationStep::DaySkipped { date: date(2026, 1, 11), reason: DayOffReason::Weekend },
                ExplanationStep::Due { due_at: at("2026-01-12T09:00:00+07:00") },
            ]
        );
    }

    #[test]
    fn explanation_of_calendar_days_landing_on_a_sunday() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 3, 4, 10, 0), 4, CalendarDays, false, &[]);
        assert_eq!(
            deadline.steps,
            vec![
                ExplanationStep::Received {
                    received_at: at("2026-03-04T10:00:00+07:00"),
                    counted_from: at("2026-03-04T10:00:00+07:00"),
                    timing: OfficeTiming::InOfficeHours,
                },
                ExplanationStep::CalendarDaysCounted { amount: 4, lands_at: at("2026-03-08T10:00:00+07:00") },
                ExplanationStep::MovedToOfficeHours {
                    from: at("2026-03-08T10:00:00+07:00"),
                    to: at("2026-03-09T07:00:00+07:00"),
                    timing: OfficeTiming::DayOff { reason: DayOffReason::Weekend },
                },
                ExplanationStep::Due { due_at: at("2026-03-09T07:00:00+07:00") },
            ]
        );
    }

    #[test]
    fn explanation_of_calendar_days_from_a_saturday_shows_the_start_moved() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 3, 7, 13, 30), 3, CalendarDays, false, &[]);
        assert_eq!(
            deadline.steps,
            vec![
                ExplanationStep::Received {
                    received_at: at("2026-03-07T13:30:00+07:00"),
                    counted_from: at("2026-03-09T07:00:00+07:00"),
                    timing: OfficeTiming::DayOff { reason: DayOffReason::Weekend },
                },
                ExplanationStep::DaySkipped { date: date(2026, 3, 8), reason: DayOffReason::Weekend },
                ExplanationStep::CalendarDaysCounted { amount: 3, lands_at: at("2026-03-12T07:00:00+07:00") },
                ExplanationStep::Due { due_at: at("2026-03-12T07:00:00+07:00") },
            ]
        );
    }

    #[test]
    fn one_working_day_from_new_years_eve_2026_skips_new_years_day_2027() {
        let calendar = WorkingCalendar::new(CalendarSpec {
            holidays: vec![NamedDateSpec::new("2027-01-01", "Tết Dương lịch")],
            ..CalendarSpec::default()
        })
        .unwrap();
        // Thu 31 Dec 2026, then Fri 1 Jan 2027 (holiday) and the weekend.
        assert_eq!(calendar.due_instant(vn(2026, 12, 31, 9, 0), 1, WorkingDays, false), vn(2027, 1, 4, 9, 0));
    }

    fn through_january_2027() -> WorkingCalendar {
        WorkingCalendar::new(CalendarSpec { valid_through: Some("2027-01-31".to_owned()), ..CalendarSpec::default() })
            .unwrap()
    }

    #[test]
    fn a_due_instant_past_the_horizon_is_explained_as_provisional() {
        // Fri 29 Jan 2027 + 1 working day = Mon 1 Feb, past 31 Jan.
        let deadline = through_january_2027().explain_deadline(vn(2027, 1, 29, 9, 0), 1, WorkingDays, false, &[]);
        assert!(deadline.provisional);
        assert_eq!(
            deadline.steps[deadline.steps.len() - 2..],
            [
                ExplanationStep::Provisional { valid_through: date(2027, 1, 31) },
                ExplanationStep::Due { due_at: at("2027-02-01T09:00:00+07:00") },
            ]
        );
    }

    #[test]
    fn a_due_instant_within_the_horizon_is_not_provisional() {
        let deadline = through_january_2027().explain_deadline(vn(2027, 1, 28, 9, 0), 1, WorkingDays, false, &[]);
        assert!(!deadline.provisional);
        assert!(!deadline.steps.iter().any(|step| matches!(step, ExplanationStep::Provisional { .. })));
    }

    #[test]
    fn a_pause_can_carry_a_due_instant_past_the_horizon() {
        let pause = Pause { from: vn(2027, 1, 25, 9, 0), to: vn(2027, 1, 27, 9, 0) };
        let deadline = through_january_2027().explain_deadline(vn(2027, 1, 25, 9, 0), 3, WorkingDays, false, &[pause]);
        assert_eq!((deadline.due_at, deadline.provisional), (vn(2027, 2, 1, 9, 0), true));
    }

    #[test]
    fn explanation_of_same_day_after_the_cutoff_on_friday() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 3, 6, 15, 30), 0, WorkingDays, true, &[]);
        assert_eq!(
            deadline.steps,
            vec![
                ExplanationStep::Received {
                    received_at: at("2026-03-06T15:30:00+07:00"),
                    counted_from: at("2026-03-06T15:30:00+07:00"),
                    timing: OfficeTiming::InOfficeHours,
                },
                ExplanationStep::SameDay {
                    cutoff: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
                    before_cutoff_on_working_day: false,
                    due_at: at("2026-03-09T17:00:00+07:00"),
                },
                ExplanationStep::DaySkipped { date: date(2026, 3, 7), reason: DayOffReason::Weekend },
                ExplanationStep::DaySkipped { date: date(2026, 3, 8), reason: DayOffReason::Weekend },
                ExplanationStep::Due { due_at: at("2026-03-09T17:00:00+07:00") },
            ]
        );
    }

    #[test]
    fn explanation_lists_weekends_of_weeks_jumped_over() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 6, 1, 9, 0), 15, WorkingDays, false, &[]);
        let skipped = deadline.steps.iter().filter(|s| matches!(s, ExplanationStep::DaySkipped { .. })).count();
        assert_eq!((skipped, deadline.due_at), (6, vn(2026, 6, 22, 9, 0)));
    }

    #[test]
    fn explanation_serialises_to_json_with_vietnam_offsets() {
        let deadline = calendar_2026().explain_deadline(vn(2026, 3, 4, 10, 0), 3, WorkingHours, false, &[]);
        assert_eq!(
            serde_json::to_string(&deadline.steps).unwrap(),
            concat!(
                r#"[{"step":"received","received_at":"2026-03-04T10:00:00+07:00","counted_from":"2026-03-04T10:00:00+07:00","timing":{"kind":"in_office_hours"}},"#,
                r#"{"step":"limit_counted","amount":3,"unit":"working_hours","office_seconds":10800,"ends_at":"2026-03-04T15:00:00+07:00"},"#,
                r#"{"step":"due","due_at":"2026-03-04T15:00:00+07:00"}]"#
            )
        );
    }
}
