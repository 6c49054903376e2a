//! Feedback and petitions (phản ánh, kiến nghị, docs/RULES.md §6): what an agency
//! must do and by when — refuse within 2 working days, or ask for more
//! information within 5, or answer within 15; publish an answer within 2
//! working days of answering.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkingCalendar;
use crate::error::DomainError;
use crate::time_limit::TimeUnit;
use crate::ErrorCode;

pub const REFUSE_WITHIN_DAYS: u32 = 2;
pub const ASK_INFO_WITHIN_DAYS: u32 = 5;
pub const ANSWER_WITHIN_DAYS: u32 = 15;
pub const PUBLISH_WITHIN_DAYS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    /// Filed (or its extra information given); the agency must respond.
    Open,
    Refused,
    InfoRequested,
    Answered,
    Published,
}

impl FeedbackStatus {
    pub const ALL: [Self; 5] = [Self::Open, Self::Refused, Self::InfoRequested, Self::Answered, Self::Published];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Refused => "refused",
            Self::InfoRequested => "info_requested",
            Self::Answered => "answered",
            Self::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The deadlines of an item filed at `filed_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedbackDeadlines {
    pub refuse_by: DateTime<Utc>,
    pub ask_info_by: DateTime<Utc>,
    pub answer_by: DateTime<Utc>,
}

pub fn deadlines(filed_at: DateTime<Utc>, calendar: &WorkingCalendar) -> FeedbackDeadlines {
    let by = |n| calendar.due_instant(filed_at, n, TimeUnit::WorkingDays, false);
    FeedbackDeadlines {
        refuse_by: by(REFUSE_WITHIN_DAYS),
        ask_info_by: by(ASK_INFO_WITHIN_DAYS),
        answer_by: by(ANSWER_WITHIN_DAYS),
    }
}

pub fn publish_by(answered_at: DateTime<Utc>, calendar: &WorkingCalendar) -> DateTime<Utc> {
    calendar.due_instant(answered_at, PUBLISH_WITHIN_DAYS, TimeUnit::WorkingDays, false)
}

/// A response an agency gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    Refuse,
    RequestInfo,
    Answer,
    Publish,
}

/// The status after `response`, or why it cannot be given now.
pub fn respond(status: FeedbackStatus, response: Response) -> Result<FeedbackStatus, DomainError> {
    use FeedbackStatus::*;
    match (status, response) {
        (Open, Response::Refuse) => Ok(Refused),
        (Open, Response::RequestInfo) => Ok(InfoRequested),
        (Open, Response::Answer) => Ok(Answered),
        (Answered, Response::Publish) => Ok(Published),
        _ => Err(DomainError::conflict(
            ErrorCode::FeedbackResponseNotAllowed,
            format!("feedback that is {} cannot take this response", status.as_str()),
        )),
    }
}

/// Was the response given within its limit?
pub fn on_time(
    response: Response,
    at: DateTime<Utc>,
    d: &FeedbackDeadlines,
    answered_at: Option<DateTime<Utc>>,
    calendar: &WorkingCalendar,
) -> bool {
    match response {
        Response::Refuse => at <= d.refuse_by,
        Response::RequestInfo => at <= d.ask_info_by,
        Response::Answer => at <= d.answer_by,
        Response::Publish => answered_at.is_some_and(|a| at <= publish_by(a, calendar)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn limits_count_working_days() {
        let cal = WorkingCalendar::default_vietnam();
        let d = deadlines(t("2026-03-06T10:00:00+07:00"), &cal);
        assert_eq!(d.refuse_by, t("2026-03-10T10:00:00+07:00"));
        assert_eq!(d.ask_info_by, t("2026-03-13T10:00:00+07:00"));
        assert_eq!(d.answer_by, t("2026-03-27T10:00:00+07:00"));
    }

    #[test]
    fn only_an_answer_is_published_and_nothing_follows_a_refusal() {
        assert_eq!(respond(FeedbackStatus::Answered, Response::Publish).unwrap(), FeedbackStatus::Published);
        assert!(respond(FeedbackStatus::Open, Response::Publish).is_err());
        assert!(respond(FeedbackStatus::Refused, Response::Answer).is_err());
    }
}
