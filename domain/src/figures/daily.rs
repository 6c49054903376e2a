//! Daily sums: what each dossier adds to the Vietnam day something happened
//! to it, so that a period's figures are sums over its days (and the days
//! before it) instead of a pass over every dossier. [`tally`] turns the sums
//! back into the counts [`counts`] gives; a property test checks that the
//! two agree for any dossiers and any whole-day period.

use chrono::{DateTime, NaiveDate, Utc};

use super::{counts, DossierFacts, Metric, Period, Tally};
use crate::calendar::{Timeliness, VIETNAM};
use crate::dossier::Status;

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
}

impl Mark {
    pub const COUNT: usize = 17;
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
                DossierFacts {
                    status,
                    channel: channels[channel],
                    received_at,
                    resolved_at,
                    closed_at,
                    due_at: received_at.map(|r| r + Duration::seconds(due)),
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
        let open = OpenAtEnd::of(all.iter().filter(|f| is_open_at(f, p.judged_at)), p);
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
        };
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(marks(&f), vec![(day, Mark::Received), (day, Mark::ReceivedOnline)]);
    }

    #[test]
    fn marks_name_their_columns_one_to_one() {
        for (i, m) in Mark::ALL.into_iter().enumerate() {
            assert_eq!(m.index(), i);
            assert_eq!(Mark::parse(m.as_str()), Some(m));
        }
    }
}
