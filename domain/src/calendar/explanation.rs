//! The steps that explain a due instant, and the recorder that collects them
//! only when an explanation is asked for.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::Serialize;

use super::day_walker::DayKind;
use super::working_calendar::DayOffReason;
use crate::time_limit::TimeUnit;

/// Where an instant falls relative to office hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OfficeTiming {
    /// Inside an office span: nothing moves.
    InOfficeHours,
    /// Before the day's opening: moves to the opening.
    BeforeOpening,
    /// Between two spans, or exactly at the end of a span that is not the last: moves to the next span.
    MiddayBreak,
    /// At or after the day's closing: moves to the next working day's opening.
    AfterClosing,
    /// On a day off: moves to the next working day's opening.
    DayOff { reason: DayOffReason },
}

/// One step of the explanation of a due instant, in the order they apply.
/// Instants are shown in Vietnam time (`2026-02-13T16:30:00+07:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ExplanationStep {
    /// The reception instant, where it fell, and where counting starts.
    Received { received_at: DateTime<FixedOffset>, counted_from: DateTime<FixedOffset>, timing: OfficeTiming },
    /// A day passed over because it is not a working day.
    DaySkipped { date: NaiveDate, reason: DayOffReason },
    /// A weekend date that is a working day in exchange for a bridged holiday.
    SwappedWorkingDay { date: NaiveDate, name: String },
    /// A working-hours or working-days limit counted as office time.
    LimitCounted { amount: u32, unit: TimeUnit, office_seconds: u64, ends_at: DateTime<FixedOffset> },
    /// A calendar-days limit: the same wall-clock time `amount` days after the counting start.
    CalendarDaysCounted { amount: u32, lands_at: DateTime<FixedOffset> },
    /// A calendar-days landing on a day off, moved to the next office instant.
    MovedToOfficeHours { from: DateTime<FixedOffset>, to: DateTime<FixedOffset>, timing: OfficeTiming },
    /// A same-day procedure: due at the closing of the reception day if
    /// received before the cut-off on a working day, else of the next working day.
    SameDay { cutoff: NaiveTime, before_cutoff_on_working_day: bool, due_at: DateTime<FixedOffset> },
    /// A pause: the office time that passed during it (not counted again when
    /// it overlaps an earlier pause) moves the due instant forward.
    PauseAdded {
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
        office_seconds: u64,
        due_at: DateTime<FixedOffset>,
    },
    /// The due instant runs past `valid_through`, the last date the
    /// calendar's holidays are known for: it is provisional, and is
    /// recomputed when an admin extends the calendar.
    Provisional { valid_through: NaiveDate },
    /// The due instant.
    Due { due_at: DateTime<FixedOffset> },
}

/// Collects explanation steps, or nothing at all: the engine is written once,
/// generic over its recorder, and the plain path records into [`NoRecord`],
/// which the compiler removes entirely.
pub(crate) trait Recorder {
    /// Whether steps are kept; lets callers skip work done only for explanations.
    const ENABLED: bool;
    /// Position of the next step.
    fn mark(&self) -> usize;
    /// Adds a step at the end.
    fn record(&mut self, step: impl FnOnce() -> ExplanationStep);
    /// Adds a step at `at` (a former [`Recorder::mark`]): a phase's summary
    /// goes before the days it walked over.
    fn record_at(&mut self, at: usize, step: impl FnOnce() -> ExplanationStep);

    /// Notes a day the walk passed over or used, once per date.
    fn day(&mut self, date: NaiveDate, kind: DayKind<'_>) {
        if !Self::ENABLED {
            return;
        }
        match kind {
            DayKind::Working => {}
            DayKind::Swapped(name) => {
                self.record(|| ExplanationStep::SwappedWorkingDay { date, name: name.to_owned() })
            }
            DayKind::Weekend | DayKind::Holiday(_) => self.record(|| ExplanationStep::DaySkipped {
                date,
                reason: kind.off_reason().unwrap_or(DayOffReason::Weekend),
            }),
        }
    }
}

/// Records nothing.
pub(crate) struct NoRecord;

impl Recorder for NoRecord {
    const ENABLED: bool = false;

    #[inline(always)]
    fn mark(&self) -> usize {
        0
    }

    #[inline(always)]
    fn record(&mut self, _step: impl FnOnce() -> ExplanationStep) {}

    #[inline(always)]
    fn record_at(&mut self, _at: usize, _step: impl FnOnce() -> ExplanationStep) {}
}

impl Recorder for Vec<ExplanationStep> {
    const ENABLED: bool = true;

    fn mark(&self) -> usize {
        self.len()
    }

    fn record(&mut self, step: impl FnOnce() -> ExplanationStep) {
        let step = step();
        // A day can be reached twice (the last day of a count is where a pause
        // extension starts): say it once.
        let seen = match &step {
            ExplanationStep::SwappedWorkingDay { date, .. } | ExplanationStep::DaySkipped { date, .. } => {
                self.iter().any(|earlier| match earlier {
                    ExplanationStep::SwappedWorkingDay { date: seen, .. }
                    | ExplanationStep::DaySkipped { date: seen, .. } => seen == date,
                    _ => false,
                })
            }
            _ => false,
        };
        if !seen {
            Vec::push(self, step);
        }
    }

    fn record_at(&mut self, at: usize, step: impl FnOnce() -> ExplanationStep) {
        Vec::insert(self, at.min(self.len()), step());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn vn(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn steps_serialise_with_a_step_tag_and_vietnam_offsets() {
        let step = ExplanationStep::Received {
            received_at: vn("2026-02-13T16:30:00+07:00"),
            counted_from: vn("2026-02-13T16:30:00+07:00"),
            timing: OfficeTiming::InOfficeHours,
        };
        assert_eq!(
            serde_json::to_string(&step).unwrap(),
            r#"{"step":"received","received_at":"2026-02-13T16:30:00+07:00","counted_from":"2026-02-13T16:30:00+07:00","timing":{"kind":"in_office_hours"}}"#
        );
    }

    #[test]
    fn a_skipped_holiday_serialises_with_its_name() {
        let step = ExplanationStep::DaySkipped {
            date: NaiveDate::from_ymd_opt(2026, 2, 16).unwrap(),
            reason: DayOffReason::Holiday { name: "Tết Nguyên đán".to_owned() },
        };
        assert_eq!(
            serde_json::to_string(&step).unwrap(),
            r#"{"step":"day_skipped","date":"2026-02-16","reason":{"kind":"holiday","name":"Tết Nguyên đán"}}"#
        );
    }

    #[test]
    fn a_day_is_recorded_once() {
        let mut steps: Vec<ExplanationStep> = Vec::new();
        let date = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        steps.day(date, DayKind::Swapped("Làm bù"));
        steps.day(date, DayKind::Swapped("Làm bù"));
        assert_eq!(steps.len(), 1);
    }

    #[test]
    fn no_record_keeps_nothing_and_never_builds_a_step() {
        let mut recorder = NoRecord;
        recorder.record(|| unreachable!("a step built on the plain path"));
        assert_eq!(recorder.mark(), 0);
    }
}
