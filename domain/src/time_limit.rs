//! A processing time limit (thời hạn giải quyết) as a procedure states it.

use serde::{Deserialize, Serialize};

/// The unit a processing time is counted in (docs/RULES.md §3, §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Working days: N × (office hours per day) of office time.
    WorkingDays,
    /// Calendar days: the same wall-clock time N days later, moved forward to the next office instant.
    CalendarDays,
    /// Office hours counted forward.
    WorkingHours,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 3] = [Self::WorkingDays, Self::CalendarDays, Self::WorkingHours];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WorkingDays => "working_days",
            Self::CalendarDays => "calendar_days",
            Self::WorkingHours => "working_hours",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == s)
    }
}
