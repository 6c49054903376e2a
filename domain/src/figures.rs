//! The province's figures (docs/RULES.md §7): what each dossier counts towards in a
//! period, the rates the plans set targets for, and the Decision 766
//! service index. Counting and drill-down use the same function, so a
//! figure and the list behind it always agree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calendar::{classify_open, Timeliness};
use crate::dossier::{Channel, Status};

pub mod daily;

/// A half-open period `[from, to)`, and the instant the dossiers still open
/// at its end are judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Its end; the present instead when it ends later (docs/RULES.md §4.3).
    pub judged_at: DateTime<Utc>,
}

impl Period {
    /// The period `[from, to)` as it stands at `now`: its open dossiers are
    /// judged at its end, or at `now` while it has not ended.
    pub fn as_of(from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self { from, to, judged_at: to.min(now) }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// What the figures need to know of one dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierFacts {
    pub status: Status,
    pub channel: Channel,
    pub received_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was resolved, refused, withdrawn or stopped.
    pub closed_at: Option<DateTime<Utc>>,
    /// The due instant as it stood when the facts were taken: for the
    /// dossiers open at a period's end, at its `judged_at`
    /// ([`crate::dossier::DossierState::due_as_of`]), so that waiting that
    /// came later never moves it.
    pub due_at: Option<DateTime<Utc>>,
    /// early / on_time / late, once resolved.
    pub resolved_timeliness: Option<Timeliness>,
    pub paid: bool,
    pub paid_cashless: bool,
    /// Paid through the payment platform (method `online`).
    pub paid_online: bool,
    /// Exempt from its fees (docs/RULES.md §5): counted apart from the paid ones.
    pub exempt: bool,
    pub digitised: bool,
    /// With a document reused from the citizen's data store (docs/RULES.md §11).
    pub reused: bool,
    /// Every change acknowledged by the national portal.
    pub in_sync: bool,
    /// The applicant's rating: when, and whether satisfied (very satisfied or satisfied).
    pub rating: Option<(DateTime<Utc>, bool)>,
    /// The days at whose end it turned overdue or back while open
    /// ([`daily::overdue_turns`]): taken where its marks are, left empty
    /// where only its counts in one period are wanted.
    pub overdue_turns: Vec<(chrono::NaiveDate, bool)>,
}

/// Each count a report carries; every one can be drilled into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    CarriedOver,
    Received,
    ResolvedEarly,
    ResolvedOnTime,
    ResolvedLate,
    Withdrawn,
    Stopped,
    Refused,
    OpenWithinDeadline,
    OpenOverdue,
    /// Received through `online` or `national_portal`.
    ReceivedOnline,
    /// Received in the period and paid.
    Paid,
    /// … and paid cashless.
    PaidCashless,
    /// … and paid through the payment platform (`online`).
    PaidOnline,
    /// Received in the period and exempt from its fees.
    Exempt,
    /// Received in the period with a digitised document.
    Digitised,
    /// Received in the period with a document reused from the data store.
    Reused,
    /// Received in the period and fully synchronised with the national portal.
    Synced,
    /// Rated by its applicant in the period.
    Rated,
    /// … and the applicant was satisfied.
    Satisfied,
}

impl Metric {
    pub const ALL: [Metric; 20] = [
        Self::CarriedOver,
        Self::Received,
        Self::ResolvedEarly,
        Self::ResolvedOnTime,
        Self::ResolvedLate,
        Self::Withdrawn,
        Self::Stopped,
        Self::Refused,
        Self::OpenWithinDeadline,
        Self::OpenOverdue,
        Self::ReceivedOnline,
        Self::Paid,
        Self::PaidCashless,
        Self::PaidOnline,
        Self::Exempt,
        Self::Digitised,
        Self::Reused,
        Self::Synced,
        Self::Rated,
        Self::Satisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CarriedOver => "carried_over",
            Self::Received => "received",
            Self::ResolvedEarly => "resolved_early",
            Self::ResolvedOnTime => "resolved_on_time",
            Self::ResolvedLate => "resolved_late",
            Self::Withdrawn => "withdrawn",
            Self::Stopped => "stopped",
            Self::Refused => "refused",
            Self::OpenWithinDeadline => "open_within_deadline",
            Self::OpenOverdue => "open_overdue",
            Self::ReceivedOnline => "received_online",
            Self::Paid => "paid",
            Self::PaidCashless => "paid_cashless",
            Self::PaidOnline => "paid_online",
            Self::Exempt => "exempt",
            Self::Digitised => "digitised",
            Self::Reused => "reused",
            Self::Synced => "synced",
            Self::Rated => "rated",
            Self::Satisfied => "satisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Does this dossier count towards `metric` in `period`?
pub fn counts(f: &DossierFacts, metric: Metric, p: &Period) -> bool {
    let received_in = f.received_at.is_some_and(|t| p.contains(t));
    let closed_in = f.closed_at.is_some_and(|t| p.contains(t));
    let open_at = |t: DateTime<Utc>| f.received_at.is_some_and(|r| r < t) && f.closed_at.is_none_or(|c| c >= t);
    let resolved_as = |x: Timeliness| f.resolved_at.is_some_and(|t| p.contains(t)) && f.resolved_timeliness == Some(x);
    match metric {
        Metric::CarriedOver => open_at(p.from),
        Metric::Received => received_in,
        Metric::ResolvedEarly => resolved_as(Timeliness::Early),
        Metric::ResolvedOnTime => resolved_as(Timeliness::OnTime),
        Metric::ResolvedLate => resolved_as(Timeliness::Late),
        Metric::Withdrawn => f.status == Status::Withdrawn && closed_in,
        Metric::Stopped => f.status == Status::Stopped && closed_in,
        Metric::Refused => f.status == Status::Refused && closed_in,
        Metric::OpenWithinDeadline => open_at(p.judged_at) && !overdue_at(f, p.judged_at),
        Metric::OpenOverdue => open_at(p.judged_at) && overdue_at(f, p.judged_at),
        Metric::ReceivedOnline => received_in && f.channel.is_online(),
        Metric::Paid => received_in && f.paid,
        Metric::PaidCashless => received_in && f.paid_cashless,
        Metric::PaidOnline => received_in && f.paid_online,
        Metric::Exempt => received_in && f.exempt,
        Metric::Digitised => received_in && f.digitised,
        Metric::Reused => received_in && f.reused,
        Metric::Synced => received_in && f.in_sync,
        Metric::Rated => f.rating.is_some_and(|(t, _)| p.contains(t)),
        Metric::Satisfied => f.rating.is_some_and(|(t, satisfied)| satisfied && p.contains(t)),
    }
}

/// Past its due instant (as it stood at `t`) at `t`.
fn overdue_at(f: &DossierFacts, t: DateTime<Utc>) -> bool {
    f.due_at.is_some_and(|due| classify_open(t, due) == Timeliness::Overdue)
}

pub fn metrics_of(f: &DossierFacts, p: &Period) -> Vec<Metric> {
    Metric::ALL.into_iter().filter(|m| counts(f, *m, p)).collect()
}

/// A ratio with its parts; `value` is None when the denominator is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
    pub value: Option<f64>,
}

impl Rate {
    pub fn of(numerator: u64, denominator: u64) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
        Self { numerator, denominator, value }
    }
}

/// Counts of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(pub BTreeMap<Metric, u64>);

impl Tally {
    pub fn add(&mut self, f: &DossierFacts, p: &Period) {
        for m in metrics_of(f, p) {
            *self.0.entry(m).or_default() += 1;
        }
    }

    pub fn get(&self, m: Metric) -> u64 {
        self.0.get(&m).copied().unwrap_or(0)
    }

    pub fn merge(&mut self, other: &Tally) {
        for (m, n) in &other.0 {
            *self.0.entry(*m).or_default() += n;
        }
    }

    pub fn resolved(&self) -> u64 {
        self.get(Metric::ResolvedEarly) + self.get(Metric::ResolvedOnTime) + self.get(Metric::ResolvedLate)
    }

    /// (early + on time) / resolved.
    pub fn on_time_rate(&self) -> Rate {
        Rate::of(self.get(Metric::ResolvedEarly) + self.get(Metric::ResolvedOnTime), self.resolved())
    }

    /// Received online (or via the national portal) / received.
    pub fn online_rate(&self) -> Rate {
        Rate::of(self.get(Metric::ReceivedOnline), self.get(Metric::Received))
    }

    /// Paid cashless (online or transfer) / paid: the province's own target.
    pub fn cashless_rate(&self) -> Rate {
        Rate::of(self.get(Metric::PaidCashless), self.get(Metric::Paid))
    }

    /// The 766 online payment ratio (docs/RULES.md §7): dossiers paid through the
    /// payment platform (`online`) / dossiers paid. This is the one place it
    /// is made; a dossier exempt from fees is to count in neither part.
    pub fn online_payment_rate(&self) -> Rate {
        Rate::of(self.get(Metric::PaidOnline), self.get(Metric::Paid))
    }

    /// With a digitised document / received.
    pub fn digitised_rate(&self) -> Rate {
        Rate::of(self.get(Metric::Digitised), self.get(Metric::Received))
    }

    /// With a document reused from the data store / received.
    pub fn reused_rate(&self) -> Rate {
        Rate::of(self.get(Metric::Reused), self.get(Metric::Received))
    }

    /// Synchronised with the national portal / received.
    pub fn synced_rate(&self) -> Rate {
        Rate::of(self.get(Metric::Synced), self.get(Metric::Received))
    }

    /// Satisfied ratings / ratings given in the period.
    pub fn satisfaction_rate(&self) -> Rate {
        Rate::of(self.get(Metric::Satisfied), self.get(Metric::Rated))
    }
}

/// Thresholds of Decision 766 (docs/RULES.md §7), in percent.
pub const COVERAGE_THRESHOLD: u32 = 80;
pub const ONLINE_SHARE_THRESHOLD: u32 = 50;
pub const SATISFACTION_THRESHOLD: u32 = 90;
pub const NO_THRESHOLD: u32 = 100;

/// A score in hundredths of a point. Scores are rounded once, to two
/// decimals half away from zero, from the exact ratio; sums of them are
/// exact, and none is ever negative zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cents(pub u64);

impl Cents {
    /// P when n/d ≥ T, else n/d × P / T, rounded half away from zero to
    /// hundredths — in integers, so a half is a half (4.125 → 4.13, where
    /// floating point gives 4.12).
    pub fn score(numerator: u64, denominator: u64, max_points: u32, threshold_percent: u32) -> Option<Self> {
        if denominator == 0 {
            return None;
        }
        let (n, d, p, t) =
            (u128::from(numerator), u128::from(denominator), u128::from(max_points), u128::from(threshold_percent));
        if n * 100 >= t * d {
            return Some(Self(u64::from(max_points) * 100));
        }
        // n/d × P / (t/100) in hundredths = n·P·10 000 / (d·t).
        let (num, den) = (n * p * 10_000, d * t);
        Some(Self(u64::try_from((2 * num + den) / (2 * den)).unwrap_or(u64::MAX)))
    }

    /// As points with two decimals (never `-0.0`).
    #[allow(clippy::cast_precision_loss)]
    pub fn points(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        Self(iter.map(|c| c.0).sum())
    }
}

/// A sub-indicator: its maximum P, threshold T, ratio r and score (P when
/// r ≥ T, else r × P / T). Unknown when the system holds no data for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubIndicator {
    pub name: &'static str,
    pub max: f64,
    /// T as a fraction (0.8 for 80%).
    pub threshold: f64,
    pub ratio: Option<f64>,
    pub numerator: Option<u64>,
    pub denominator: Option<u64>,
    /// None when the ratio is unknown (no data, or nothing the system holds).
    pub score: Option<f64>,
    pub known: bool,
    #[serde(skip)]
    cents: Option<Cents>,
}

impl SubIndicator {
    pub fn scored(name: &'static str, max_points: u32, threshold_percent: u32, rate: Rate) -> Self {
        let cents = Cents::score(rate.numerator, rate.denominator, max_points, threshold_percent);
        Self {
            name,
            max: f64::from(max_points),
            threshold: f64::from(threshold_percent) / 100.0,
            ratio: rate.value,
            numerator: Some(rate.numerator),
            denominator: Some(rate.denominator),
            score: cents.map(Cents::points),
            known: true,
            cents,
        }
    }

    pub fn unknown(name: &'static str, max_points: u32) -> Self {
        Self {
            name,
            max: f64::from(max_points),
            threshold: f64::from(NO_THRESHOLD) / 100.0,
            ratio: None,
            numerator: None,
            denominator: None,
            score: None,
            known: false,
            cents: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: &'static str,
    pub max: f64,
    /// The sum of its sub-indicators' rounded scores.
    pub score: f64,
    pub sub_indicators: Vec<SubIndicator>,
    #[serde(skip)]
    cents: Cents,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index766 {
    pub groups: Vec<Group>,
    /// Sum of the groups' scores: what the system can compute.
    pub score: f64,
    /// Sum of the maxima of what it can compute.
    pub known_max: f64,
    pub max: f64,
    /// Paid cashless (online or transfer) / paid: the province's own target,
    /// reported beside the online payment group, which counts the payment
    /// platform only.
    pub cashless_rate: Rate,
}

/// The parts of the Decision 766 index the system holds data for, from a
/// unit's tally; the rest marked unknown.
pub fn index_766(t: &Tally) -> Index766 {
    let group = |name: &'static str, max: u32, sub_indicators: Vec<SubIndicator>| {
        let cents = sub_indicators.iter().filter_map(|s| s.cents).sum();
        Group { name, max: f64::from(max), score: Cents::points(cents), sub_indicators, cents }
    };
    let groups = vec![
        group(
            "publicity_and_transparency",
            18,
            vec![
                SubIndicator::scored("dossiers_synced_to_national_portal", 6, COVERAGE_THRESHOLD, t.synced_rate()),
                SubIndicator::unknown("publication_of_procedures_and_results", 12),
            ],
        ),
        group(
            "processing_progress",
            20,
            vec![SubIndicator::scored("on_time_rate", 20, NO_THRESHOLD, t.on_time_rate())],
        ),
        group(
            "online_services",
            12,
            vec![SubIndicator::scored("share_of_dossiers_online", 12, ONLINE_SHARE_THRESHOLD, t.online_rate())],
        ),
        group(
            "online_payment",
            10,
            vec![SubIndicator::scored(
                "payments_through_payment_platform",
                10,
                COVERAGE_THRESHOLD,
                t.online_payment_rate(),
            )],
        ),
        group(
            "digitisation",
            22,
            vec![SubIndicator::scored("digitised_dossiers", 22, COVERAGE_THRESHOLD, t.digitised_rate())],
        ),
        group(
            "satisfaction",
            18,
            vec![SubIndicator::scored("satisfied_ratings", 18, SATISFACTION_THRESHOLD, t.satisfaction_rate())],
        ),
    ];
    let score = Cents::points(groups.iter().map(|g| g.cents).sum());
    // Whole points, summed from +0.0 (an f64 `sum` starts from -0.0).
    let known_max = groups.iter().flat_map(|g| &g.sub_indicators).filter(|s| s.known).fold(0.0, |a, s| a + s.max);
    Index766 { groups, score, known_max, max: 100.0, cashless_rate: t.cashless_rate() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn period() -> Period {
        let end = t("2026-04-01T00:00:00+07:00");
        Period::as_of(t("2026-03-01T00:00:00+07:00"), end, end + chrono::Duration::days(60))
    }

    fn facts() -> DossierFacts {
        DossierFacts {
            status: Status::Processing,
            channel: Channel::Online,
            received_at: Some(t("2026-03-02T09:00:00+07:00")),
            resolved_at: None,
            closed_at: None,
            due_at: Some(t("2026-03-09T09:00:00+07:00")),
            resolved_timeliness: None,
            paid: false,
            paid_cashless: false,
            paid_online: false,
            exempt: false,
            digitised: false,
            reused: false,
            in_sync: false,
            rating: None,
            overdue_turns: Vec::new(),
        }
    }

    #[test]
    fn an_open_dossier_past_its_due_at_the_end_is_overdue() {
        assert_eq!(
            metrics_of(&facts(), &period()),
            vec![Metric::Received, Metric::OpenOverdue, Metric::ReceivedOnline]
        );
    }

    #[test]
    fn a_dossier_received_before_and_still_open_is_carried_over() {
        let mut f = facts();
        f.received_at = Some(t("2026-02-27T09:00:00+07:00"));
        f.due_at = Some(t("2026-05-01T09:00:00+07:00"));
        assert_eq!(metrics_of(&f, &period()), vec![Metric::CarriedOver, Metric::OpenWithinDeadline]);
    }

    #[test]
    fn a_period_that_has_not_ended_judges_its_open_dossiers_now() {
        let (from, to) = (t("2026-03-01T00:00:00+07:00"), t("2026-04-01T00:00:00+07:00"));
        let now = t("2026-03-04T09:00:00+07:00");
        let p = Period::as_of(from, to, now);
        assert_eq!(p.judged_at, now);
        assert!(counts(&facts(), Metric::OpenWithinDeadline, &p), "due 9 Mar, judged on 4 Mar");
        assert_eq!(Period::as_of(from, to, to + chrono::Duration::days(1)).judged_at, to);
    }

    #[test]
    fn an_open_dossier_due_exactly_at_the_judging_instant_is_within_its_deadline() {
        let mut f = facts();
        f.due_at = Some(t("2026-03-31T23:59:59+07:00"));
        assert!(counts(&f, Metric::OpenOverdue, &period()));
        f.due_at = Some(t("2026-04-01T00:00:00+07:00"));
        assert!(counts(&f, Metric::OpenWithinDeadline, &period()), "due exactly at the end");
    }

    #[test]
    fn a_sub_indicator_scores_full_at_its_threshold_and_pro_rata_below() {
        assert_eq!(SubIndicator::scored("x", 10, 80, Rate::of(8, 10)).score, Some(10.0));
        assert_eq!(SubIndicator::scored("x", 10, 80, Rate::of(4, 10)).score, Some(5.0));
        assert_eq!(SubIndicator::scored("x", 10, 80, Rate::of(0, 0)).score, None);
    }

    #[test]
    fn scores_round_half_away_from_zero_on_the_exact_ratio() {
        // 3/20 × 22 / 0.8 = 4.125 exactly; in floating point 4.1249999…
        assert_eq!(SubIndicator::scored("x", 22, 80, Rate::of(3, 20)).score, Some(4.13));
        // 3/20 × 6 / 0.8 = 1.125.
        assert_eq!(Cents::score(3, 20, 6, 80), Some(Cents(113)));
        assert_eq!(Cents::score(1, 6, 22, 80), Some(Cents(458)), "4.5833… rounds down");
        assert_eq!(Cents::score(2, 6, 12, 50), Some(Cents(800)));
    }

    #[test]
    fn groups_and_the_total_sum_the_rounded_scores() {
        let mut tally = Tally::default();
        tally.0.insert(Metric::Received, 20);
        tally.0.insert(Metric::Digitised, 3);
        tally.0.insert(Metric::Synced, 3);
        let idx = index_766(&tally);
        assert_eq!(idx.groups[0].score, 1.13, "1.125 → 1.13");
        assert_eq!(idx.groups[4].score, 4.13, "4.125 → 4.13");
        assert_eq!(idx.groups[2].score, 0.0, "online 0/20");
        assert_eq!(idx.score, 5.26, "1.13 + 0 + 4.13");
    }

    #[test]
    fn no_score_is_negative_zero() {
        let idx = index_766(&Tally::default());
        let json = serde_json::to_string(&idx).unwrap();
        assert!(!json.contains("-0.0"), "{json}");
        assert!(idx.groups.iter().all(|g| g.score.is_sign_positive()));
        assert!(idx.score.is_sign_positive());
    }

    #[test]
    fn online_payment_counts_the_platform_only_and_cashless_stands_beside_it() {
        let mut tally = Tally::default();
        tally.0.insert(Metric::Paid, 2);
        tally.0.insert(Metric::PaidCashless, 2);
        tally.0.insert(Metric::PaidOnline, 1);
        let idx = index_766(&tally);
        let sub = &idx.groups[3].sub_indicators[0];
        assert_eq!((sub.numerator, sub.denominator, sub.score), (Some(1), Some(2), Some(6.25)));
        assert_eq!(idx.cashless_rate, Rate::of(2, 2));
    }

    #[test]
    fn the_index_marks_what_it_cannot_know() {
        let idx = index_766(&Tally::default());
        assert_eq!(idx.max, 100.0);
        assert_eq!(idx.known_max, 88.0);
        assert_eq!(idx.score, 0.0);
        assert!(idx.groups[0].sub_indicators.iter().any(|s| !s.known));
    }
}
