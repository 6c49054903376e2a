//! The commands that move a dossier (docs/RULES.md §4.2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::Outcome;
use crate::agency::AgencyCode;
use crate::fees::FeeRelief;

/// One missing or faulty component in a supplement request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementItem {
    pub component_code: String,
    pub problem: String,
}

/// How a result is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnChannel {
    InPerson,
    Postal,
    Online,
}

/// A stop the law names a cause for (docs/RULES.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// The applicant did not supplement by the reply deadline.
    SupplementOverdue,
}

impl StopCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SupplementOverdue => "supplement_overdue",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Receive {
        note: Option<String>,
    },
    Refuse {
        reason: String,
    },
    RequestSupplement {
        items: Vec<SupplementItem>,
        reply_by: DateTime<Utc>,
        note: Option<String>,
    },
    Supplement {
        note: Option<String>,
    },
    HandOff {
        to_agency: AgencyCode,
        to_officer: Option<String>,
        step_deadline: Option<DateTime<Utc>>,
        note: Option<String>,
    },
    RequestPayment {
        amount_vnd: i64,
        note: Option<String>,
    },
    /// A payment recorded by an officer (cash or transfer); resumes a dossier awaiting payment.
    RecordPayment {
        amount_vnd: i64,
        note: Option<String>,
    },
    /// An exemption from or reduction of the fees, with its legal reason (docs/RULES.md §5).
    RecordFeeRelief {
        relief: FeeRelief,
    },
    Resolve {
        outcome: Outcome,
        reason: Option<String>,
    },
    Return {
        channel: ReturnChannel,
        note: Option<String>,
    },
    Withdraw {
        reason: Option<String>,
    },
    Stop {
        reason: String,
        /// Why, when the law names it: the supplement's reply deadline passed.
        cause: Option<StopCause>,
    },
    Apologize {
        reason: String,
        new_date: DateTime<Utc>,
    },
}

/// The name of an action, as its sub-resource is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Receive,
    Refuse,
    RequestSupplement,
    Supplement,
    HandOff,
    RequestPayment,
    RecordPayment,
    RecordFeeRelief,
    Resolve,
    Return,
    Withdraw,
    Stop,
    Apologize,
}

impl ActionKind {
    pub const ALL: [ActionKind; 13] = [
        Self::Receive,
        Self::Refuse,
        Self::RequestSupplement,
        Self::Supplement,
        Self::HandOff,
        Self::RequestPayment,
        Self::RecordPayment,
        Self::RecordFeeRelief,
        Self::Resolve,
        Self::Return,
        Self::Withdraw,
        Self::Stop,
        Self::Apologize,
    ];

    /// The path segment: `POST /api/v1/dossiers/{code}/<segment>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receive => "receive",
            Self::Refuse => "refuse",
            Self::RequestSupplement => "request-supplement",
            Self::Supplement => "supplement",
            Self::HandOff => "hand-off",
            Self::RequestPayment => "request-payment",
            Self::RecordPayment => "payments",
            Self::RecordFeeRelief => "fee-relief",
            Self::Resolve => "resolve",
            Self::Return => "return",
            Self::Withdraw => "withdraw",
            Self::Stop => "stop",
            Self::Apologize => "apologize",
        }
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Receive { .. } => ActionKind::Receive,
            Self::Refuse { .. } => ActionKind::Refuse,
            Self::RequestSupplement { .. } => ActionKind::RequestSupplement,
            Self::Supplement { .. } => ActionKind::Supplement,
            Self::HandOff { .. } => ActionKind::HandOff,
            Self::RequestPayment { .. } => ActionKind::RequestPayment,
            Self::RecordPayment { .. } => ActionKind::RecordPayment,
            Self::RecordFeeRelief { .. } => ActionKind::RecordFeeRelief,
            Self::Resolve { .. } => ActionKind::Resolve,
            Self::Return { .. } => ActionKind::Return,
            Self::Withdraw { .. } => ActionKind::Withdraw,
            Self::Stop { .. } => ActionKind::Stop,
            Self::Apologize { .. } => ActionKind::Apologize,
        }
    }
}
