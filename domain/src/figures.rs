//! The province's figures (SPEC §7): what each dossier counts towards in a
//! period, the rates the plans set targets for, and the Decision 766
//! service index. Counting and drill-down use the same function, so a
//! figure and the list behind it always agree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calendar::Timeliness;
use crate::dossier::{Channel, Status};

pub mod daily;

/// A half-open period `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
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
    pub due_at: Option<DateTime<Utc>>,
    /// The start of the pause it is in now, if any.
    pub paused_since: Option<DateTime<Utc>>,
    /// early / on_time / late, once resolved.
    pub resolved_timeliness: Option<Timeliness>,
    pub paid: bool,
    pub paid_cashless: bool,
    /// Exempt from its fees (SPEC §5): counted apart from the paid ones.
    pub exempt: bool,
    pub digitised: bool,
    /// Every change acknowledged by the national portal.
    pub in_sync: bool,
    /// The applicant's rating: when, and whether satisfied (very satisfied or satisfied).
    pub rating: Option<(DateTime<Utc>, bool)>,
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
    /// Received in the period and exempt from its fees.
    Exempt,
    /// Received in the period with a digitised document.
    Digitised,
    /// Received in the period and fully synchronised with the national portal.
    Synced,
    /// Rated by its applicant in the period.
    Rated,
    /// … and the applicant was satisfied.
    Satisfied,
}

impl Metric {
    pub const ALL: [Metric; 18] = [
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
        Self::Exempt,
        Self::Digitised,
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
            Self::Exempt => "exempt",
            Self::Digitised => "digitised",
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
        Metric::OpenWithinDeadline => open_at(p.to) && !overdue_at(f, p.to),
        Metric::OpenOverdue => open_at(p.to) && overdue_at(f, p.to),
        Metric::ReceivedOnline => received_in && f.channel.is_online(),
        Metric::Paid => received_in && f.paid,
        Metric::PaidCashless => received_in && f.paid_cashless,
        Metric::Exempt => received_in && f.exempt,
        Metric::Digitised => received_in && f.digitised,
        Metric::Synced => received_in && f.in_sync,
        Metric::Rated => f.rating.is_some_and(|(t, _)| p.contains(t)),
        Metric::Satisfied => f.rating.is_some_and(|(t, satisfied)| satisfied && p.contains(t)),
    }
}

/// Past its due instant at `t`; a paused dossier is overdue only if it was
/// already overdue when the clock stopped.
fn overdue_at(f: &DossierFacts, t: DateTime<Utc>) -> bool {
    match (f.due_at, f.paused_since) {
        (Some(due), Some(paused)) if paused <= t => paused > due,
        (Some(due), _) => due < t,
        (None, _) => false,
    }
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

    /// Paid cashless / paid.
    pub fn cashless_rate(&self) -> Rate {
        Rate::of(self.get(Metric::PaidCashless), self.get(Metric::Paid))
    }

    /// With a digitised document / received.
    pub fn digitised_rate(&self) -> Rate {
        Rate::of(self.get(Metric::Digitised), self.get(Metric::Received))
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

/// Thresholds of Decision 766 (SPEC §7).
pub const COVERAGE_THRESHOLD: f64 = 0.8;
pub const ONLINE_SHARE_THRESHOLD: f64 = 0.5;
pub const SATISFACTION_THRESHOLD: f64 = 0.9;
pub const NO_THRESHOLD: f64 = 1.0;

/// A sub-indicator: its maximum P, threshold T, ratio r and score (P when
/// r ≥ T, else r × P / T). Unknown when the system holds no data for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubIndicator {
    pub name: &'static str,
    pub max: f64,
    pub threshold: f64,
    pub ratio: Option<f64>,
    pub numerator: Option<u64>,
    pub denominator: Option<u64>,
    /// None when the ratio is unknown (no data, or nothing the system holds).
    pub score: Option<f64>,
    pub known: bool,
}

impl SubIndicator {
    pub fn scored(name: &'static str, max: f64, threshold: f64, rate: Rate) -> Self {
        let score = rate.value.map(|r| if r >= threshold { max } else { round2(r * max / threshold) });
        Self {
            name,
            max,
            threshold,
            ratio: rate.value,
            numerator: Some(rate.numerator),
            denominator: Some(rate.denominator),
            score,
            known: true,
        }
    }

    pub fn unknown(name: &'static str, max: f64) -> Self {
        Self {
            name,
            max,
            threshold: NO_THRESHOLD,
            ratio: None,
            numerator: None,
            denominator: None,
            score: None,
            known: false,
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: &'static str,
    pub max: f64,
    pub score: f64,
    pub sub_indicators: Vec<SubIndicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index766 {
    pub groups: Vec<Group>,
    /// Sum of the scores the system can compute.
    pub score: f64,
    /// Sum of the maxima of what it can compute.
    pub known_max: f64,
    pub max: f64,
}

/// The parts of the Decision 766 index the system holds data for, from a
/// unit's tally; the rest marked unknown.
pub fn index_766(t: &Tally) -> Index766 {
    let group = |name: &'static str, max: f64, subs: Vec<SubIndicator>| Group {
        name,
        max,
        score: round2(subs.iter().filter_map(|s| s.score).sum()),
        sub_indicators: subs,
    };
    let groups = vec![
        group(
            "publicity_and_transparency",
            18.0,
            vec![
                SubIndicator::scored("dossiers_synced_to_national_portal", 6.0, COVERAGE_THRESHOLD, t.synced_rate()),
                SubIndicator::unknown("publication_of_procedures_and_results", 12.0),
            ],
        ),
        group(
            "processing_progress",
            20.0,
            vec![SubIndicator::scored("on_time_rate", 20.0, NO_THRESHOLD, t.on_time_rate())],
        ),
        group(
            "online_services",
            12.0,
            vec![SubIndicator::scored("share_of_dossiers_online", 12.0, ONLINE_SHARE_THRESHOLD, t.online_rate())],
        ),
        group(
            "online_payment",
            10.0,
            vec![SubIndicator::scored("cashless_payments", 10.0, COVERAGE_THRESHOLD, t.cashless_rate())],
        ),
        group(
            "digitisation",
            22.0,
            vec![SubIndicator::scored("digitised_dossiers", 22.0, COVERAGE_THRESHOLD, t.digitised_rate())],
        ),
        group(
            "satisfaction",
            18.0,
            vec![SubIndicator::scored("satisfied_ratings", 18.0, SATISFACTION_THRESHOLD, t.satisfaction_rate())],
        ),
    ];
    let score = round2(groups.iter().map(|g| g.score).sum());
    let known_max = groups.iter().flat_map(|g| &g.sub_indicators).filter(|s| s.known).map(|s| s.max).sum();
    Index766 { groups, score, known_max, max: 100.0 }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn period() -> Period {
        Period { from: t("2026-03-01T00:00:00+07:00"), to: t("2026-04-01T00:00:00+07:00") }
    }

    fn facts() -> DossierFacts {
        DossierFacts {
            status: Status::Processing,
            channel: Channel::Online,
            received_at: Some(t("2026-03-02T09:00:00+07:00")),
            resolved_at: None,
            closed_at: None,
            due_at: Some(t("2026-03-09T09:00:00+07:00")),
            paused_since: None,
            resolved_timeliness: None,
            paid: false,
            paid_cashless: false,
            exempt: false,
            digitised: false,
            in_sync: false,
            rating: None,
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
    fn a_paused_dossier_is_overdue_only_if_it_was_when_paused() {
        let mut f = facts();
        f.paused_since = Some(t("2026-03-05T09:00:00+07:00"));
        assert!(counts(&f, Metric::OpenWithinDeadline, &period()));
        f.paused_since = Some(t("2026-03-10T09:00:00+07:00"));
        assert!(counts(&f, Metric::OpenOverdue, &period()));
    }

    #[test]
    fn a_sub_indicator_scores_full_at_its_threshold_and_pro_rata_below() {
        assert_eq!(SubIndicator::scored("x", 10.0, 0.8, Rate::of(8, 10)).score, Some(10.0));
        assert_eq!(SubIndicator::scored("x", 10.0, 0.8, Rate::of(4, 10)).score, Some(5.0));
        assert_eq!(SubIndicator::scored("x", 10.0, 0.8, Rate::of(0, 0)).score, None);
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
