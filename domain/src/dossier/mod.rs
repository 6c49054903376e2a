//! Dossiers (hồ sơ): identity, statuses, the state machine, deadlines (docs/RULES.md §4).

mod action;
mod applicant;
pub mod chain;
mod code;
mod filing;
mod state;
mod status;
mod step;
mod transition;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod transition_tests;

pub use action::{Action, ActionKind, ReturnChannel, StopCause, SupplementItem};
pub use applicant::*;
pub use code::DossierCode;
pub use filing::{DocumentKind, Filing, AUTHORISATION_COMPONENT};
pub use state::{due_as_of, DossierState, Outcome, PauseReason, PauseRecord, TimeLimit};
pub use status::{Channel, Status};
pub use step::Step;
pub use transition::{
    allowed_actions, apply, field_errors, may_read, replay, settle_by_payment_platform, Context, Transition,
    TransitionError, RIGHT_APPLICANT, RIGHT_DECIDE, RIGHT_PROCESS,
};
