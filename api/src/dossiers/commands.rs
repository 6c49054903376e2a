//! The bodies of the dossier actions as the state machine's commands, and
//! their checks at the door (see `crate::check`): the fields that hold or
//! not whatever the dossier, by the domain's own `field_errors`. What needs
//! the dossier (its status, its fees, the instant) is judged under its lock.

use chrono::Utc;
use dvc_domain::agency::AgencyCode;
use dvc_domain::dossier::{field_errors, Action, ReturnChannel, SupplementItem};
use dvc_domain::fees::FeeRelief;
use validator::{Validate, ValidationErrors};

use super::submit::{document_fields, Sources};
use super::types::*;
use crate::agencies::types::parse_code;
use crate::check::Report;
use crate::error::ApiError;
use dvc_domain::ErrorCode;

/// A body that states one action of the state machine.
pub trait Command {
    fn action(&self) -> Action;
}

/// The errors of an action's own fields, at their paths in the body.
fn fields(report: &mut Report, action: &Action) {
    let errors = field_errors(action);
    if !errors.is_empty() {
        report.take(Err::<(), _>(ApiError::from_domain_errors(errors, "")));
    }
}

/// A command that files documents: its action's fields and the documents'.
fn with_documents(action: &Action, documents: &[DocumentIn]) -> Result<(), ValidationErrors> {
    let mut report = Report::default();
    fields(&mut report, action);
    report.take(document_fields(documents, "documents", Sources::Uploads));
    report.finish()
}

/// A command whose body holds nothing else is checked by its action alone.
macro_rules! checked_as_action {
    ($($body:ty),* $(,)?) => {
        $(impl Validate for $body {
            fn validate(&self) -> Result<(), ValidationErrors> {
                let mut report = Report::default();
                fields(&mut report, &self.action());
                report.finish()
            }
        })*
    };
}

checked_as_action!(NoteIn, ReasonIn, RequestSupplementIn, ReturnIn, OptionalReasonIn, StopIn, ApologizeIn);

impl Command for NoteIn {
    fn action(&self) -> Action {
        Action::Receive { note: self.note.clone() }
    }
}

impl Command for ReasonIn {
    fn action(&self) -> Action {
        Action::Refuse { reason: self.reason.clone() }
    }
}

impl Command for RequestSupplementIn {
    fn action(&self) -> Action {
        let items = self
            .items
            .iter()
            .map(|i| SupplementItem { component_code: i.component_code.clone(), problem: i.problem.clone() })
            .collect();
        Action::RequestSupplement { items, reply_by: self.reply_by.with_timezone(&Utc), note: self.note.clone() }
    }
}

impl Command for SupplementIn {
    fn action(&self) -> Action {
        Action::Supplement { note: self.note.clone() }
    }
}

impl Validate for SupplementIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        with_documents(&self.action(), &self.documents)
    }
}

impl Command for ResolveIn {
    fn action(&self) -> Action {
        Action::Resolve { outcome: self.outcome.into(), reason: self.reason.clone() }
    }
}

impl Validate for ResolveIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        with_documents(&self.action(), &self.documents)
    }
}

impl Command for ReturnIn {
    fn action(&self) -> Action {
        Action::Return { channel: ReturnChannel::from(self.channel), note: self.note.clone() }
    }
}

impl Command for OptionalReasonIn {
    fn action(&self) -> Action {
        Action::Withdraw { reason: self.reason.clone() }
    }
}

impl Command for StopIn {
    fn action(&self) -> Action {
        Action::Stop { reason: self.reason.clone(), cause: self.cause.map(Into::into) }
    }
}

impl Command for ApologizeIn {
    fn action(&self) -> Action {
        Action::Apologize { reason: self.reason.clone(), new_date: self.new_date.with_timezone(&Utc) }
    }
}

impl HandOffIn {
    /// The hand-off to `to_agency`.
    pub fn action(&self, to_agency: AgencyCode) -> Action {
        Action::HandOff {
            to_agency,
            to_officer: self.to_officer.clone(),
            step_deadline: self.step_deadline.map(|d| d.with_timezone(&Utc)),
            note: self.note.clone(),
        }
    }
}

impl Validate for HandOffIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        if let Some(to) = report.take(parse_code("to_agency", &self.to_agency)) {
            fields(&mut report, &self.action(to));
        }
        report.finish()
    }
}

impl Validate for RequestPaymentIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        let reason = self.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        match (self.amount_vnd, reason) {
            (None, Some(_)) => report.add("reason", ErrorCode::NotAllowed, "a reason goes with an explicit amount_vnd"),
            (Some(_), None) => report.add("reason", ErrorCode::Required, "an explicit amount_vnd needs its reason"),
            (Some(_), Some(r)) if r.chars().count() > 1000 => {
                report.add("reason", ErrorCode::Length, "a reason is at most 1,000 characters")
            }
            _ => {}
        }
        if self.amount_vnd.is_some() && self.collected.is_some() {
            report.add("collected", ErrorCode::NotAllowed, "a stage picks fee lines, not an explicit amount");
        }
        // Without an amount, the fees owed are asked for: only the note is the body's.
        let amount_vnd = self.amount_vnd.unwrap_or(1);
        fields(&mut report, &Action::RequestPayment { amount_vnd, note: self.note.clone() });
        report.finish()
    }
}

impl Validate for FeeReliefIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(FeeRelief::check(self.kind.into(), self.amount_vnd, &self.legal_basis).map_err(ApiError::from))
    }
}

impl Validate for PaymentIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        let note = report.take(super::payment_note(self));
        fields(&mut report, &Action::RecordPayment { amount_vnd: self.amount_vnd, note });
        report.finish()
    }
}
