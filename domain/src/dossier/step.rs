//! The step a history row records (and a change of the feed publishes).

use serde::{Deserialize, Serialize};

use super::ActionKind;

/// A step of a dossier's history: its submission, a move of the state
/// machine (by its sub-resource's name: `payments` records a payment,
/// `fee-relief` a fee relief), a document added outside a move, or a due
/// instant recomputed when an extended calendar reached it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Submit,
    Receive,
    Refuse,
    RequestSupplement,
    Supplement,
    HandOff,
    RequestPayment,
    Payments,
    FeeRelief,
    Resolve,
    Return,
    Withdraw,
    Stop,
    Apologize,
    UploadDocument,
    RecomputeDeadline,
}

impl Step {
    pub const ALL: [Step; 16] = [
        Self::Submit,
        Self::Receive,
        Self::Refuse,
        Self::RequestSupplement,
        Self::Supplement,
        Self::HandOff,
        Self::RequestPayment,
        Self::Payments,
        Self::FeeRelief,
        Self::Resolve,
        Self::Return,
        Self::Withdraw,
        Self::Stop,
        Self::Apologize,
        Self::UploadDocument,
        Self::RecomputeDeadline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::UploadDocument => "upload-document",
            Self::RecomputeDeadline => "recompute-deadline",
            other => other.action().map_or("", ActionKind::as_str),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The move it records, if it is one.
    pub fn action(self) -> Option<ActionKind> {
        Some(match self {
            Self::Receive => ActionKind::Receive,
            Self::Refuse => ActionKind::Refuse,
            Self::RequestSupplement => ActionKind::RequestSupplement,
            Self::Supplement => ActionKind::Supplement,
            Self::HandOff => ActionKind::HandOff,
            Self::RequestPayment => ActionKind::RequestPayment,
            Self::Payments => ActionKind::RecordPayment,
            Self::FeeRelief => ActionKind::RecordFeeRelief,
            Self::Resolve => ActionKind::Resolve,
            Self::Return => ActionKind::Return,
            Self::Withdraw => ActionKind::Withdraw,
            Self::Stop => ActionKind::Stop,
            Self::Apologize => ActionKind::Apologize,
            Self::Submit | Self::UploadDocument | Self::RecomputeDeadline => return None,
        })
    }
}

impl From<ActionKind> for Step {
    fn from(k: ActionKind) -> Self {
        Self::ALL.into_iter().find(|s| s.action() == Some(k)).unwrap_or(Self::Submit)
    }
}

#[cfg(test)]
mod tests {
    use super::{ActionKind, Step};

    #[test]
    fn every_move_is_a_step_of_the_same_name() {
        for k in ActionKind::ALL {
            let s = Step::from(k);
            assert_eq!(s.action(), Some(k));
            assert_eq!(s.as_str(), k.as_str());
        }
    }

    #[test]
    fn names_round_trip_and_are_distinct() {
        for s in Step::ALL {
            assert!(!s.as_str().is_empty(), "{s:?}");
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
        assert_eq!(Step::parse("approve"), None);
    }
}
