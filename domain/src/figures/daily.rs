//! Daily sums: what each dossier adds to the Vietnam day something happened
//! to it, so that a period's figures are sums over its days (and the days
//! before it) instead of a pass over every dossier. [`tally`] turns the sums
//! back into the counts [`counts`] gives; a property test checks that the
//! two agree for any dossiers and any whole-day period.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::{counts, DossierFacts, Metric, Period, Tally};
use crate::calendar::{classify_open, Timeliness, WorkingCalendar, VIETNAM};
use crate::dossier::{due_as_of, PauseRecord, Status};

/// One thing a dossier adds to one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    Received,
    ReceivedOnline,
    /// Received that day, and paid (whenever).
    Paid,
    PaidCashless,
    /// Received that day, and exempt from its fees.
    Exempt,
    /// Received that day, with a digitised document.
    Digitised,
    ResolvedEarly,
    ResolvedOnTime,
    ResolvedLate,
    Withdrawn,
    Stopped,
    Refused,
    /// Closed that day after having been received: open-at sums subtract it.
    ClosedAfterReception,
    Rated,
    Satisfied,
    /// Received that day, and paid through the payment platform (whenever).
    PaidOnline,
    /// Received that day, with a document reused from the data store.
    Reused,
    /// Open and overdue at the end of that day, and not at the end of the
    /// day before (as it stood each time): open-at sums add it.
    BecameOverdue,
    /// Open and overdue at the end of the day before, and not at the end of
    /// that day (closed, or its deadline moved): open-at sums subtract it.
    LeftOverdue,
}

impl Mark {
    pub const COUNT: usize = 19;
    pub const ALL: [Mark; Self::COUNT] = [
        Self::Received,
        Self::ReceivedOnline,
        Self::Paid,
        Self::PaidCashless,
        Self::Exempt,
        Self::Digitised,
        Self::ResolvedEarly,
        Self::ResolvedOnTime,
        Self::ResolvedLate,
        Self::Withdrawn,
        Self::Stopped,
        Self::Refused,
        Self::ClosedAfterReception,
        Self::Rated,
        Self::Satisfied,
        Self::PaidOnline,
        Self::Reused,
        Self::BecameOverdue,
        Self::LeftOverdue,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The column that holds this mark's daily count.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::ReceivedOnline => "received_online",
            Self::Paid => "paid",
            Self::PaidCashless => "paid_cashless",
            Self::Exempt => "exempt",
            Self::Digitised => "digitised",
            Self::ResolvedEarly => "resolved_early",
            Self::ResolvedOnTime => "resolved_on_time",
            Self::ResolvedLate => "resolved_late",
            Self::Withdrawn => "withdrawn",
            Self::Stopped => "stopped",
            Self::Refused => "refused",
            Self::ClosedAfterReception => "closed_after_reception",
            Self::Rated => "rated",
            Self::Satisfied => "satisfied",
            Self::PaidOnline => "paid_online",
            Self::Reused => "reused",
            Self::BecameOverdue => "became_overdue",
            Self::LeftOverdue => "left_overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The Vietnam date of an instant: the day a period of whole days puts it in.
pub fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&VIETNAM).date_naive()
}

/// What a dossier adds to which day, in order. It depends on the dossier
/// alone, never on a period.
pub fn marks(f: &DossierFacts) -> Vec<(NaiveDate, Mark)> {
    let mut out = Vec::new();
    if let Some(received) = f.received_at {
        let day = day_of(received);
        out.push((day, Mark::Received));
        let flags = [
            (f.channel.is_online(), Mark::ReceivedOnline),
            (f.paid, Mark::Paid),
            (f.paid_cashless, Mark::PaidCashless),
            (f.paid_online, Mark::PaidOnline),
            (f.exempt, Mark::Exempt),
            (f.digitised, Mark::Digitised),
            (f.reused, Mark::Reused),
        ];
        out.extend(flags.into_iter().filter(|(on, _)| *on).map(|(_, m)| (day, m)));
        if let Some(closed) = f.closed_at {
            out.push((day_of(closed), Mark::ClosedAfterReception));
        }
    }
    if let Some(resolved) = f.resolved_at {
        let mark = match f.resolved_timeliness {
            Some(Timeliness::Early) => Some(Mark::ResolvedEarly),
            Some(Timeliness::OnTime) => Some(Mark::ResolvedOnTime),
            Some(Timeliness::Late) => Some(Mark::ResolvedLate),
            Some(Timeliness::WithinDeadline | Timeliness::Overdue) | None => None,
        };
        out.extend(mark.map(|m| (day_of(resolved), m)));
    }
    if let Some(closed) = f.closed_at {
        let mark = match f.status {
            Status::Withdrawn => Some(Mark::Withdrawn),
            Status::Stopped => Some(Mark::Stopped),
            Status::Refused => Some(Mark::Refused),
            _ => None,
        };
        out.extend(mark.map(|m| (day_of(closed), m)));
    }
    if let Some((at, satisfied)) = f.rating {
        out.push((day_of(at), Mark::Rated));
        if satisfied {
            out.push((day_of(at), Mark::Satisfied));
        }
    }
    out.extend(
        f.overdue_turns.iter().map(|(day, on)| (*day, if *on { Mark::BecameOverdue } else { Mark::LeftOverdue })),
    );
    out.sort();
    out
}

/// Counts of each mark over some days (or, as a delta, their changes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaySums(pub [i64; Mark::COUNT]);

impl DaySums {
    pub fn get(&self, m: Mark) -> u64 {
        u64::try_from(self.0[m.index()]).unwrap_or(0)
    }

    pub fn bump(&mut self, m: Mark, by: i64) {
        self.0[m.index()] += by;
    }

    pub fn add(&mut self, other: &DaySums) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }
}

/// The instant a Vietnam day begins.
pub fn midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.and_time(NaiveTime::MIN).and_local_timezone(VIETNAM).single().map(|t| t.to_utc())
}

/// Whether a dossier was open and overdue at the end of each Vietnam day,
/// as it stood then, told as the days at whose end that changed: `true`,
/// overdue from then on; `false`, no longer.
///
/// `due_as_of` gives its due instant as it stood at an instant. It changes
/// only at `instants` (its due instants and its pauses' bounds); in between,
/// a dossier that is not paused keeps its due instant, and a paused one
/// keeps at every midnight the standing it had when the pause began (the
/// pause holds the office time it had left, or the office time it was
/// overdue by). So it is judged only at the midnights that begin and end the
/// days of those instants, of its reception and of its closing — a property
/// test below checks this against a judgement at every midnight.
pub fn overdue_turns(
    received_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    instants: impl IntoIterator<Item = DateTime<Utc>>,
    due_as_of: impl Fn(DateTime<Utc>) -> Option<DateTime<Utc>>,
) -> Vec<(NaiveDate, bool)> {
    let Some(received) = received_at else {
        return Vec::new();
    };
    let mut days: Vec<NaiveDate> = instants
        .into_iter()
        .chain([received])
        .chain(closed_at)
        .map(day_of)
        .flat_map(|d| [Some(d), d.succ_opt()])
        .flatten()
        .collect();
    days.sort_unstable();
    days.dedup();
    let mut out = Vec::new();
    let mut was = false;
    for day in days {
        let (Some(m), Some(ended)) = (midnight(day), day.pred_opt()) else {
            continue;
        };
        let open = received < m && closed_at.is_none_or(|c| c >= m);
        let overdue = open && due_as_of(m).is_some_and(|due| classify_open(m, due) == Timeliness::Overdue);
        if overdue != was {
            out.push((ended, overdue));
            was = overdue;
        }
    }
    out
}

/// [`overdue_turns`] of a dossier from its current due instant and its
/// pause records, on its calendar.
pub fn overdue_turns_of(
    received_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    pauses: &[PauseRecord],
    calendar: &WorkingCalendar,
) -> Vec<(NaiveDate, bool)> {
    let instants = pauses.iter().flat_map(|p| [Some(p.from), p.to, p.due_before, p.due_after]).flatten();
    overdue_turns(received_at, closed_at, due_at.into_iter().chain(instants), |t| {
        due_as_of(due_at, pauses, t, calendar)
    })
}

/// The instants a dossier's [`overdue_turns`] span: the first midnight at
/// which it stood overdue, and the last at which it stopped being so (None
/// while it still is). At a midnight `m` it stands overdue only if
/// `from <= m` and `until` is None or after `m`; exactly then when it turned
/// overdue once. Stored beside the dossier, they let a drill-down find the
/// dossiers open and overdue at a period's end from an index.
pub fn overdue_span(turns: &[(NaiveDate, bool)]) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let at = |day: NaiveDate| day.succ_opt().and_then(midnight);
    let from = turns.iter().find(|(_, on)| *on).and_then(|(day, _)| at(*day));
    let until = turns.last().filter(|(_, on)| !*on).and_then(|(day, _)| at(*day));
    (from, until)
}

/// Received before `t` and not closed before it.
pub fn is_open_at(f: &DossierFacts, t: DateTime<Utc>) -> bool {
    f.received_at.is_some_and(|r| r < t) && f.closed_at.is_none_or(|c| c >= t)
}

/// The dossiers open at a period's `judged_at`, within their deadline or
/// overdue as each stood then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenAtEnd {
    pub within_deadline: u64,
    pub overdue: u64,
}

impl OpenAtEnd {
    /// Counts the dossiers open at `p.judged_at` among `all` (each with its
    /// due instant as it stood then).
    pub fn of<'a>(all: impl IntoIterator<Item = &'a DossierFacts>, p: &Period) -> Self {
        let mut n = Self::default();
        for f in all {
            n.within_deadline += u64::from(counts(f, Metric::OpenWithinDeadline, p));
            n.overdue += u64::from(counts(f, Metric::OpenOverdue, p));
        }
        n
    }

    pub fn add(&mut self, o: Self) {
        self.within_deadline += o.within_deadline;
        self.overdue += o.overdue;
    }

    /// The dossiers open at the end of a period of whole days, from the
    /// sums of the days before it and of its own days: those received and
    /// not closed, and of them those that turned overdue and did not turn
    /// back. Only for a period judged at its end.
    pub fn of_sums(before: &DaySums, within: &DaySums) -> Self {
        let mut all = *before;
        all.add(within);
        let open = all.get(Mark::Received).saturating_sub(all.get(Mark::ClosedAfterReception));
        let overdue = all.get(Mark::BecameOverdue).saturating_sub(all.get(Mark::LeftOverdue));
        Self { within_deadline: open.saturating_sub(overdue), overdue }
    }
}

/// The tally of a period of whole Vietnam days from the sums of the days
/// before it (`before`) and of its own days (`within`), the dossiers open
/// at the instant it is judged at (`Period::judged_at`), and how many dossiers received in it still wait for the
/// national portal.
pub fn tally(before: &DaySums, within: &DaySums, open_at_end: OpenAtEnd, unsynced: u64) -> Tally {
    let mut t = Tally::default();
    let mut set = |m: Metric, n: u64| {
        if n > 0 {
            t.0.insert(m, n);
        }
    };
    set(Metric::CarriedOver, before.get(Mark::Received).saturating_sub(before.get(Mark::ClosedAfterReception)));
    let direct = [
        (Metric::Received, Mark::Received),
        (Metric::ResolvedEarly, Mark::ResolvedEarly),
        (Metric::ResolvedOnTime, Mark::ResolvedOnTime),
        (Metric::ResolvedLate, Mark::ResolvedLate),
        (Metric::Withdrawn, Mark::Withdrawn),
        (Metric::Stopped, Mark::Stopped),
        (Metric::Refused, Mark::Refused),
        (Metric::ReceivedOnline, Mark::ReceivedOnline),
        (Metric::Paid, Mark::Paid),
        (Metric::PaidCashless, Mark::PaidCashless),
        (Metric::PaidOnline, Mark::PaidOnline),
        (Metric::Exempt, Mark::Exempt),
        (Metric::Digitised, Mark::Digitised),
        (Metric::Reused, Mark::Reused),
        (Metric::Rated, Mark::Rated),
        (Metric::Satisfied, Mark::Satisfied),
    ];
    for (metric, mark) in direct {
        set(metric, within.get(mark));
    }
    set(Metric::Synced, within.get(Mark::Received).saturating_sub(unsynced));
    set(Metric::OpenWithinDeadline, open_at_end.within_deadline);
    set(Metric::OpenOverdue, open_at_end.overdue);
    t
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{Duration, NaiveTime};
    use proptest::prelude::*;

    use super::*;
    use crate::dossier::Channel;

    fn midnight(d: NaiveDate) -> DateTime<Utc> {
        d.and_time(NaiveTime::MIN).and_local_timezone(VIETNAM).single().unwrap().to_utc()
    }

    fn base() -> DateTime<Utc> {
        midnight(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
    }

    /// A dossier whose instants keep their order: submitted → received →
    /// resolved → closed, rated after closing; all within about 60 days.
    fn any_facts() -> impl Strategy<Value = DossierFacts> {
        (
            (0..6usize, 0..4usize, proptest::option::weighted(0.9, 0i64..60 * 86_400)),
            (proptest::option::of(0i64..20 * 86_400), proptest::option::of(0i64..5 * 86_400), 0..3usize),
            0i64..30 * 86_400,
            (any::<[bool; 7]>(), proptest::option::of((0i64..5 * 86_400, any::<bool>()))),
        )
            .prop_map(|((status, channel, received), (resolved, closed, timeliness), due, (flags, rating))| {
                let statuses = [
                    Status::Processing,
                    Status::Returned,
                    Status::Withdrawn,
                    Status::Stopped,
                    Status::Refused,
                    Status::AwaitingSupplement,
                ];
                let channels = [Channel::Online, Channel::NationalPortal, Channel::InPerson, Channel::Postal];
                let status = statuses[status];
                let received_at = received.map(|s| base() + Duration::seconds(s));
                let closes = !matches!(status, Status::Processing | Status::AwaitingSupplement);
                let resolved_at = match (status, received_at, resolved) {
                    (Status::Returned, Some(r), Some(after)) => Some(r + Duration::seconds(after)),
                    _ => None,
                };
                let closed_at = match (closes, resolved_at, received_at) {
                    (false, _, _) => None,
                    (true, Some(r), _) => Some(r),
                    (true, None, Some(r)) => Some(r + Duration::seconds(closed.unwrap_or(0))),
                    (true, None, None) => Some(base() + Duration::seconds(closed.unwrap_or(0))),
                };
                let due_at = received_at.map(|r| r + Duration::seconds(due));
                DossierFacts {
                    status,
                    channel: channels[channel],
                    received_at,
                    resolved_at,
                    closed_at,
                    due_at,
                    resolved_timeliness: resolved_at
                        .map(|_| [Timeliness::Early, Timeliness::OnTime, Timeliness::Late][timeliness]),
                    paid: flags[0] || flags[1] || flags[4],
                    paid_cashless: flags[1] || flags[4],
                    paid_online: flags[4],
                    exempt: flags[5],
                    digitised: flags[2],
                    reused: flags[6],
                    in_sync: flags[3],
                    rating: match (status, closed_at, rating) {
                        (Status::Returned, Some(c), Some((after, satisfied))) => {
                            Some((c + Duration::seconds(after), satisfied))
                        }
                        _ => None,
                    },
                    overdue_turns: overdue_turns(received_at, closed_at, due_at, |_| due_at),
                }
            })
    }

    fn by_marks(all: &[DossierFacts], p: &Period) -> Tally {
        let (mut before, mut within) = (DaySums::default(), DaySums::default());
        let (first, end) = (day_of(p.from), day_of(p.to));
        for (day, mark) in all.iter().flat_map(marks) {
            if day < first {
                before.bump(mark, 1);
            } else if day < end {
                within.bump(mark, 1);
            }
        }
        // As the reports do: from the sums when judged at the period's end.
        let open = if p.judged_at == p.to {
            OpenAtEnd::of_sums(&before, &within)
        } else {
            OpenAtEnd::of(all.iter().filter(|f| is_open_at(f, p.judged_at)), p)
        };
        let unsynced = all.iter().filter(|f| counts(f, Metric::Received, p) && !f.in_sync).count() as u64;
        tally(&before, &within, open, unsynced)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn sums_over_days_give_the_counts_of_every_metric(
            all in proptest::collection::vec(any_facts(), 0..40),
            start in 0i64..70,
            days in 1i64..40,
            now in 0i64..110 * 86_400,
        ) {
            let first = day_of(base()) + Duration::days(start);
            let p = Period::as_of(midnight(first), midnight(first + Duration::days(days)), base() + Duration::seconds(now));
            let mut direct = Tally::default();
            all.iter().for_each(|f| direct.add(f, &p));
            prop_assert_eq!(by_marks(&all, &p), direct);
        }
    }

    #[test]
    fn a_dossier_received_late_in_the_evening_counts_on_that_vietnam_day() {
        let f = DossierFacts {
            status: Status::Processing,
            channel: Channel::Online,
            received_at: Some(base() + Duration::hours(23)),
            resolved_at: None,
            closed_at: None,
            due_at: None,
            resolved_timeliness: None,
            paid: false,
            paid_cashless: false,
            paid_online: false,
            exempt: false,
            digitised: false,
            reused: false,
            in_sync: true,
            rating: None,
            overdue_turns: Vec::new(),
        };
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(marks(&f), vec![(day, Mark::Received), (day, Mark::ReceivedOnline)]);
    }

    /// A dossier received at `received` (minutes after `base()`, in
    /// half-hour steps so that office bounds and midnights are hit), due
    /// after `limit` working hours, that waited from each `(from, to)`
    /// (minutes after the previous bound; the last one maybe still open),
    /// and maybe closed after: its due instant and pause records as the
    /// dossier's transitions keep them.
    fn paused_dossier(
        received: i64,
        limit: u32,
        waits: &[(i64, Option<i64>)],
        closed: Option<i64>,
        calendar: &WorkingCalendar,
    ) -> (DateTime<Utc>, DateTime<Utc>, Vec<PauseRecord>, Option<DateTime<Utc>>) {
        use crate::calendar::Pause;
        use crate::dossier::PauseReason;
        let step = |t: DateTime<Utc>, minutes: i64| t + Duration::minutes(minutes * 30);
        let received = step(base(), received);
        let mut due = calendar.due_instant(received, limit, crate::time_limit::TimeUnit::WorkingHours, false);
        let (mut pauses, mut last) = (Vec::new(), received);
        for (from, to) in waits {
            let from = step(last, *from);
            let to = to.map(|to| step(from, to));
            let mut p = PauseRecord {
                from,
                to,
                reason: PauseReason::Supplement,
                due_before: None,
                due_after: None,
                reply_by: None,
            };
            if let Some(to) = to {
                let moved = calendar.apply_pauses(due, &[Pause { from, to }]);
                (p.due_before, p.due_after, due) = (Some(due), Some(moved), moved);
                last = to;
            } else {
                last = from;
            }
            pauses.push(p);
            if to.is_none() {
                break;
            }
        }
        (received, due, pauses, closed.map(|c| step(last, c)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// The turns give, at the end of every day, what judging the
        /// dossier there (open, and past its due instant as it stood) gives.
        #[test]
        fn the_overdue_turns_agree_with_a_judgement_at_every_midnight(
            received in 0i64..600,
            limit in 1u32..60,
            waits in proptest::collection::vec((0i64..400, proptest::option::weighted(0.8, 0i64..400)), 0..4),
            closed in proptest::option::of(0i64..600),
        ) {
            let calendar = WorkingCalendar::default_vietnam();
            let (received, due, pauses, closed) = paused_dossier(received, limit, &waits, closed, &calendar);
            let turns = overdue_turns_of(Some(received), closed, Some(due), &pauses, &calendar);
            let first = day_of(base()) - Duration::days(1);
            for n in 0..120 {
                let day = first + Duration::days(n);
                let m = midnight(day + Duration::days(1));
                let open = received < m && closed.is_none_or(|c| c >= m);
                let judged = open
                    && due_as_of(Some(due), &pauses, m, &calendar)
                        .is_some_and(|d| classify_open(m, d) == Timeliness::Overdue);
                let summed = turns.iter().filter(|(d, _)| *d <= day).map(|(_, on)| if *on { 1 } else { -1 }).sum::<i32>();
                prop_assert_eq!(summed, i32::from(judged), "at the end of {}: {:?}", day, turns);
                let (from, until) = overdue_span(&turns);
                let spanned = from.is_some_and(|f| f <= m) && until.is_none_or(|u| u > m);
                prop_assert!(spanned || !judged, "overdue at {} outside its span {:?}: {:?}", m, (from, until), turns);
                if turns.len() <= 2 {
                    prop_assert_eq!(spanned, judged, "a single turn to overdue spans it exactly: {:?}", turns);
                }
            }
        }
    }

    #[test]
    fn a_dossier_paused_before_its_due_is_not_overdue_until_its_moved_due_passes() {
        let calendar = WorkingCalendar::default_vietnam();
        // Received Thu 1 Jan 2026 00:00 (a holiday in real life, not in
        // this calendar): 8 working hours → due Thu 17:00; paused Thu 12:00
        // (3.5 office hours left) until Mon 5 Jan 07:00; due again Mon 10:30.
        let (received, due, pauses, _) = paused_dossier(0, 8, &[(24, Some(2 * 24 * 4 - 24 + 14))], None, &calendar);
        assert_eq!(received, base());
        let turns = overdue_turns_of(Some(received), None, Some(due), &pauses, &calendar);
        let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
        assert_eq!(turns, vec![(day(5), true)], "overdue from the end of Mon 5 Jan, not Thu 1 Jan");
    }

    #[test]
    fn the_overdue_span_runs_from_the_first_turn_to_the_last_way_back() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        assert_eq!(overdue_span(&[]), (None, None));
        assert_eq!(overdue_span(&[(day(9), true)]), (Some(midnight(day(10))), None));
        assert_eq!(
            overdue_span(&[(day(9), true), (day(12), false)]),
            (Some(midnight(day(10))), Some(midnight(day(13))))
        );
        // Overdue again after a gap: the span holds the gap, still open-ended.
        let twice = [(day(9), true), (day(12), false), (day(20), true)];
        assert_eq!(overdue_span(&twice), (Some(midnight(day(10))), None));
    }

    #[test]
    fn marks_name_their_columns_one_to_one() {
        for (i, m) in Mark::ALL.into_iter().enumerate() {
            assert_eq!(m.index(), i);
            assert_eq!(Mark::parse(m.as_str()), Some(m));
        }
    }
}
