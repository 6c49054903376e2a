//! Whether a dossier was, or is, within its deadline (docs/RULES.md §4.3, §7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::local_time::local_date;

/// How a dossier stands against its due instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Resolved on a (Vietnam) day before the day of the due instant (trước hạn).
    Early,
    /// Resolved on the day of the due instant, not after it (đúng hạn).
    OnTime,
    /// Resolved after the due instant (quá hạn, trễ hạn).
    Late,
    /// Still open, the due instant not passed.
    WithinDeadline,
    /// Still open, the due instant passed.
    Overdue,
}

impl Timeliness {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Early => "early",
            Self::OnTime => "on_time",
            Self::Late => "late",
            Self::WithinDeadline => "within_deadline",
            Self::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Early, Self::OnTime, Self::Late, Self::WithinDeadline, Self::Overdue]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// A dossier resolved at `resolved_at` (when it first reached `resolved`) against `due`.
pub fn classify_resolved(resolved_at: DateTime<Utc>, due: DateTime<Utc>) -> Timeliness {
    if resolved_at > due {
        Timeliness::Late
    } else if local_date(resolved_at) < local_date(due) {
        Timeliness::Early
    } else {
        Timeliness::OnTime
    }
}

/// A dossier still open at `now` against `due`.
pub fn classify_open(now: DateTime<Utc>, due: DateTime<Utc>) -> Timeliness {
    if now <= due {
        Timeliness::WithinDeadline
    } else {
        Timeliness::Overdue
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::test_calendar::vn;
    use super::*;
    use chrono::TimeDelta;

    fn due() -> DateTime<Utc> {
        vn(2026, 2, 27, 16, 30)
    }

    #[test]
    fn resolved_exactly_at_the_due_instant_is_on_time() {
        assert_eq!(classify_resolved(due(), due()), Timeliness::OnTime);
    }

    #[test]
    fn resolved_one_second_after_the_due_instant_is_late() {
        assert_eq!(classify_resolved(due() + TimeDelta::seconds(1), due()), Timeliness::Late);
    }

    #[test]
    fn resolved_earlier_on_the_due_day_is_on_time() {
        assert_eq!(classify_resolved(vn(2026, 2, 27, 7, 5), due()), Timeliness::OnTime);
    }

    #[test]
    fn resolved_on_the_day_before_is_early() {
        assert_eq!(classify_resolved(vn(2026, 2, 26, 23, 59), due()), Timeliness::Early);
    }

    #[test]
    fn the_day_is_the_vietnam_day_not_the_utc_day() {
        // 00:30 on Fri 27 Feb in Vietnam is still Thu 26 Feb in UTC.
        assert_eq!(classify_resolved(vn(2026, 2, 27, 0, 30), due()), Timeliness::OnTime);
    }

    #[test]
    fn open_exactly_at_the_due_instant_is_within_deadline() {
        assert_eq!(classify_open(due(), due()), Timeliness::WithinDeadline);
    }

    #[test]
    fn open_one_second_after_the_due_instant_is_overdue() {
        assert_eq!(classify_open(due() + TimeDelta::seconds(1), due()), Timeliness::Overdue);
    }

    #[test]
    fn timeliness_serialises_in_snake_case() {
        assert_eq!(serde_json::to_string(&Timeliness::WithinDeadline).unwrap(), "\"within_deadline\"");
        assert_eq!(Timeliness::OnTime.as_str(), "on_time");
    }
}
