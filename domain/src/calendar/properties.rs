//! Property tests of the deadline engine over random calendars and instants
//! in 2025–2027, checked against a plain day-by-day reference.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Timelike, Utc, Weekday, WeekdaySet};
use proptest::prelude::*;

use super::local_time::VIETNAM;
use super::spec::{CalendarSpec, NamedDateSpec, OfficeSpanSpec};
use super::timeliness::{classify_open, classify_resolved, Timeliness};
use super::{Pause, WorkingCalendar};
use crate::time_limit::TimeUnit;

const DAYS: u32 = 3 * 365;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

/// Office hours and a cut-off valid for them.
const PRESETS: [(&[(&str, &str)], &str); 4] = [
    (&[("07:00", "11:30"), ("13:30", "17:00")], "15:00"),
    (&[("08:00", "17:00")], "17:00"),
    (&[("06:00", "07:00"), ("07:00", "10:00"), ("14:00", "16:00"), ("20:00", "23:59:59")], "07:00"),
    (&[("00:00", "00:30"), ("12:00", "23:59:59")], "12:00"),
];

/// Seconds of the day worth hitting exactly: span ends and starts of every preset, and their neighbours.
const BOUNDARIES: [u32; 12] =
    [0, 1_800, 21_600, 25_200, 28_800, 36_000, 41_400, 43_200, 48_600, 50_400, 61_200, 86_399];

prop_compose! {
    fn calendar()(
        mask in 1u8..128,
        preset in 0usize..PRESETS.len(),
        singles in prop::collection::vec(0..DAYS, 0..25),
        run_start in 0..DAYS,
        run_len in 0u32..12,
        swaps in prop::collection::vec(0..DAYS, 0..8),
        horizon in prop::option::of(0..DAYS),
    ) -> WorkingCalendar {
        let weekdays: WeekdaySet = (0u8..7)
            .filter(|bit| mask & (1 << bit) != 0)
            .map(|bit| Weekday::try_from(bit).unwrap())
            .collect();
        let day = |offset: u32| first_day() + Days::new(u64::from(offset));
        let holidays: BTreeSet<NaiveDate> =
            singles.iter().copied().chain(run_start..run_start + run_len).map(day).collect();
        let swapped: BTreeSet<NaiveDate> = swaps
            .into_iter()
            .map(day)
            .filter(|date| !holidays.contains(date) && !weekdays.contains(date.weekday()))
            .collect();
        let (spans, cutoff) = PRESETS[preset];
        let named = |dates: BTreeSet<NaiveDate>, name: &str| {
            dates.into_iter().map(|date| NamedDateSpec::new(date.to_string(), name)).collect()
        };
        WorkingCalendar::new(CalendarSpec {
            working_weekdays: weekdays.iter(Weekday::Mon).map(|d| i64::from(d.number_from_monday())).collect(),
            office_hours: spans.iter().map(|(start, end)| OfficeSpanSpec::new(*start, *end)).collect(),
            same_day_cutoff: cutoff.to_owned(),
            holidays: named(holidays, "Nghỉ lễ"),
            swapped_working_days: named(swapped, "Làm bù"),
            valid_through: horizon.map(|offset| day(offset).to_string()),
            unannounced: Vec::new(),
        })
        .unwrap()
    }
}

prop_compose! {
    /// An instant in 2025–2027, often exactly on an office-hours boundary, sometimes with a fraction of a second.
    fn instant()(
        day in 0..DAYS,
        secs in prop_oneof![0u32..86_400, prop::sample::select(&BOUNDARIES[..])],
        nanos in prop_oneof![3 => Just(0u32), 1 => 1u32..1_000_000_000],
    ) -> DateTime<Utc> {
        let date = first_day() + Days::new(u64::from(day));
        let local = date.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::seconds(i64::from(secs)) + TimeDelta::nanoseconds(i64::from(nanos));
        local.and_local_timezone(VIETNAM).unwrap().with_timezone(&Utc)
    }
}

fn office_seconds() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..100_000, 0u64..3_000_000]
}

fn unit() -> impl Strategy<Value = TimeUnit> {
    prop::sample::select(&TimeUnit::ALL[..])
}

fn pauses() -> impl Strategy<Value = Vec<Pause>> {
    prop::collection::vec(
        (instant(), 0i64..10 * 86_400).prop_map(|(from, length)| Pause { from, to: from + TimeDelta::seconds(length) }),
        0..4,
    )
}

fn local(t: DateTime<Utc>) -> (NaiveDate, u32) {
    let t = t.with_timezone(&VIETNAM);
    (t.date_naive(), t.num_seconds_from_midnight())
}

/// Whether `t` lies in a span on a working day: `[start, end)`, or `(start, end]` when `end_inclusive`.
fn in_office(calendar: &WorkingCalendar, t: DateTime<Utc>, end_inclusive: bool) -> bool {
    let (date, secs) = local(t);
    calendar.is_working_day(date)
        && calendar.office_hours().iter().any(|span| {
            let (start, end) = (span.start.num_seconds_from_midnight(), span.end.num_seconds_from_midnight());
            if end_inclusive {
                start < secs && secs <= end
            } else {
                start <= secs && secs < end
            }
        })
}

fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let whole = t.with_nanosecond(0).unwrap();
    if whole == t {
        t
    } else {
        whole + TimeDelta::seconds(1)
    }
}

/// Adds office time the slow, obvious way: span by span, day by day.
fn reference_add(calendar: &WorkingCalendar, start: DateTime<Utc>, seconds: u64) -> DateTime<Utc> {
    let (mut date, mut from) = local(ceil_second(start));
    let mut remaining = seconds;
    loop {
        if calendar.is_working_day(date) {
            for span in calendar.office_hours() {
                let (start, end) = (span.start.num_seconds_from_midnight(), span.end.num_seconds_from_midnight());
                let begin = start.max(from);
                if begin >= end {
                    continue;
                }
                let available = u64::from(end - begin);
                if remaining == 0 || remaining <= available {
                    let secs = begin + u32::try_from(remaining).unwrap();
                    let local = date.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::seconds(i64::from(secs));
                    return local.and_local_timezone(VIETNAM).unwrap().with_timezone(&Utc);
                }
                remaining -= available;
            }
        }
        date = date.succ_opt().unwrap();
        from = 0;
    }
}

/// Office seconds in `[a, b)`, the slow way.
fn reference_between(calendar: &WorkingCalendar, a: DateTime<Utc>, b: DateTime<Utc>) -> u64 {
    let (a, b) = (ceil_second(a), ceil_second(b));
    if b <= a {
        return 0;
    }
    let ((mut date, mut from), (last, to)) = (local(a), local(b));
    let mut total = 0;
    loop {
        let until = if date == last { to } else { 86_400 };
        if calendar.is_working_day(date) {
            for span in calendar.office_hours() {
                let start = span.start.num_seconds_from_midnight().max(from);
                let end = span.end.num_seconds_from_midnight().min(until);
                total += u64::from(end.saturating_sub(start));
            }
        }
        if date == last {
            return total;
        }
        date = date.succ_opt().unwrap();
        from = 0;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn normalising_gives_the_first_office_instant_at_or_after(calendar in calendar(), t in instant()) {
        let normalised = calendar.normalise(t);
        prop_assert!(normalised >= t);
        prop_assert!(in_office(&calendar, normalised, false));
        prop_assert_eq!(calendar.office_seconds_between(t, normalised), 0);
        prop_assert_eq!(calendar.normalise(normalised), normalised);
    }

    #[test]
    fn added_office_time_ends_in_office_hours_on_a_working_day(
        calendar in calendar(), t in instant(), seconds in office_seconds(),
    ) {
        let end = calendar.add_office_time(t, seconds);
        prop_assert!(end >= t);
        prop_assert!(in_office(&calendar, end, seconds > 0), "{} + {}s = {}", t, seconds, end);
    }

    #[test]
    fn added_office_time_matches_the_day_by_day_reference(
        calendar in calendar(), t in instant(), seconds in office_seconds(),
    ) {
        prop_assert_eq!(calendar.add_office_time(t, seconds), reference_add(&calendar, t, seconds));
    }

    #[test]
    fn office_time_between_matches_the_day_by_day_reference(
        calendar in calendar(), a in instant(), b in instant(),
    ) {
        prop_assert_eq!(calendar.office_seconds_between(a, b), reference_between(&calendar, a, b));
    }

    #[test]
    fn office_time_between_a_start_and_its_sum_is_what_was_added(
        calendar in calendar(), t in instant(), seconds in office_seconds(),
    ) {
        let end = calendar.add_office_time(t, seconds);
        prop_assert_eq!(calendar.office_seconds_between(t, end), seconds);
    }

    #[test]
    fn adding_a_then_b_equals_adding_a_plus_b(
        calendar in calendar(), t in instant(), a in office_seconds(), b in 1u64..1_000_000,
    ) {
        let stepwise = calendar.add_office_time(calendar.add_office_time(t, a), b);
        prop_assert_eq!(stepwise, calendar.add_office_time(t, a + b));
    }

    #[test]
    fn a_pause_never_moves_a_due_instant_backwards(
        calendar in calendar(), due in instant(), pauses in pauses(),
    ) {
        prop_assert!(calendar.apply_pauses(due, &pauses) >= due);
    }

    #[test]
    fn pauses_move_the_due_instant_by_their_office_time(
        calendar in calendar(), received in instant(), amount in 1u32..30, pause_from in instant(), length in 0i64..864_000,
    ) {
        let due = calendar.due_instant(received, amount, TimeUnit::WorkingDays, false);
        let pause = Pause { from: pause_from, to: pause_from + TimeDelta::seconds(length) };
        let paused = calendar.office_seconds_between(pause.from, pause.to);
        let expected = if paused == 0 { due } else { calendar.add_office_time(due, paused) };
        prop_assert_eq!(calendar.apply_pauses(due, &[pause]), expected);
    }

    #[test]
    fn a_longer_limit_never_gives_an_earlier_due_instant(
        calendar in calendar(), received in instant(), unit in unit(), amount in 0u32..40, more in 1u32..20,
    ) {
        let shorter = calendar.due_instant(received, amount, unit, false);
        let longer = calendar.due_instant(received, amount + more, unit, false);
        prop_assert!(longer >= shorter, "{} {:?}: {} then {}", amount, unit, shorter, longer);
    }

    #[test]
    fn due_instants_fall_in_office_hours_on_a_working_day(
        calendar in calendar(), received in instant(), unit in unit(), amount in 1u32..40, same_day in any::<bool>(),
    ) {
        let due = calendar.due_instant(received, amount, unit, same_day);
        let end_inclusive = same_day || unit != TimeUnit::CalendarDays;
        prop_assert!(due >= received);
        prop_assert!(in_office(&calendar, due, end_inclusive), "{} → {}", received, due);
    }

    #[test]
    fn calendar_days_count_from_the_normalised_reception(
        calendar in calendar(), received in instant(), amount in 0u32..40,
    ) {
        // The same wall-clock time `amount` days after the first office instant
        // at or after the reception, then the first office instant at or after that.
        let (date, secs) = local(calendar.normalise(received));
        let lands = (date + Days::new(u64::from(amount))).and_hms_opt(0, 0, 0).unwrap() + TimeDelta::seconds(i64::from(secs));
        let lands = lands.and_local_timezone(VIETNAM).unwrap().with_timezone(&Utc);
        prop_assert_eq!(calendar.due_instant(received, amount, TimeUnit::CalendarDays, false), calendar.normalise(lands));
    }

    #[test]
    fn the_explained_deadline_is_the_plain_one(
        calendar in calendar(), received in instant(), unit in unit(), amount in 0u32..40,
        same_day in any::<bool>(), pauses in pauses(),
    ) {
        let plain = calendar.apply_pauses(calendar.due_instant(received, amount, unit, same_day), &pauses);
        let explained = calendar.explain_deadline(received, amount, unit, same_day, &pauses);
        prop_assert_eq!(explained.due_at, plain);
        prop_assert_eq!(explained.steps.last(), Some(&super::ExplanationStep::Due { due_at: plain.with_timezone(&VIETNAM) }));
        let past_horizon = calendar.valid_through().is_some_and(|last| local(plain).0 > last);
        prop_assert_eq!(explained.provisional, past_horizon);
        let said = explained.steps.iter().rev().nth(1)
            .is_some_and(|step| matches!(step, super::ExplanationStep::Provisional { .. }));
        prop_assert_eq!(said, past_horizon);
    }

    #[test]
    fn classification_agrees_with_the_definitions(
        due in instant(), offset in prop_oneof![-3i64..=3, -200_000i64..200_000],
    ) {
        let t = due + TimeDelta::seconds(offset);
        let vietnam_day = |t: DateTime<Utc>| (t.timestamp() + 7 * 3600).div_euclid(86_400);
        let resolved = match classify_resolved(t, due) {
            Timeliness::Early => t <= due && vietnam_day(t) < vietnam_day(due),
            Timeliness::OnTime => t <= due && vietnam_day(t) == vietnam_day(due),
            Timeliness::Late => t > due,
            _ => false,
        };
        prop_assert!(resolved);
        let open = match classify_open(t, due) {
            Timeliness::WithinDeadline => t <= due,
            Timeliness::Overdue => t > due,
            _ => false,
        };
        prop_assert!(open);
    }

    #[test]
    fn a_calendar_survives_its_spec_and_json(calendar in calendar()) {
        let json = serde_json::to_string(&calendar.to_spec()).unwrap();
        let spec: CalendarSpec = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(WorkingCalendar::new(spec), Ok(calendar));
    }
}
