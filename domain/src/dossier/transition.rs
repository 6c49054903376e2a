//! The dossier state machine (docs/RULES.md §4.2): an action, an actor, an instant and
//! a calendar in; the new state, or a typed refusal, out. No clock, no I/O.

use chrono::{DateTime, Utc};

use super::action::{Action, ActionKind, StopCause, SupplementItem};
use super::state::{DossierState, Outcome, PauseReason, PauseRecord};
use super::status::Status;
use crate::auth::{Actor, Role};
use crate::calendar::WorkingCalendar;
use crate::error::DomainError;
use crate::ErrorCode;

/// What the caller knows about the actor's relation to the dossier.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    pub calendar: &'a WorkingCalendar,
    /// The actor is the dossier's applicant, or the citizen who filed it for
    /// them (their representative): both read it and act as the applicant.
    pub is_applicant: bool,
    /// The actor's agency is the receiving or the handling agency, or above one of them.
    pub in_agency_scope: bool,
}

/// A move that happened: the new state and its history row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: DossierState,
    pub from: Status,
    pub to: Status,
    pub action: ActionKind,
    pub note: Option<String>,
    pub step_deadline: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// The actor may not see this dossier at all (404, so codes cannot be probed).
    NotVisible,
    /// The actor's role lacks the right (403).
    Forbidden { right: &'static str, message: String },
    /// The move is not allowed from the current status (409).
    NotAllowed { status: Status, action: ActionKind, allowed: Vec<ActionKind>, reason: String },
    /// The command itself is invalid (422).
    Invalid(DomainError),
    /// Several of its fields are (422, one entry each).
    InvalidFields(Vec<DomainError>),
}

/// Rights named in 403 answers.
pub const RIGHT_PROCESS: &str = "dossiers:process";
pub const RIGHT_DECIDE: &str = "dossiers:decide";
pub const RIGHT_APPLICANT: &str = "dossiers:applicant";

/// May `actor` read the dossier? Citizens their own, staff their agency's
/// (and sub-units'), admins, viewers and integrators all.
pub fn may_read(actor: &Actor, is_applicant: bool, in_agency_scope: bool) -> bool {
    match actor.role {
        Role::Citizen => is_applicant,
        Role::Officer | Role::Approver | Role::AgencyAdmin => in_agency_scope,
        Role::Admin | Role::Viewer | Role::Integrator => true,
    }
}

fn who_may(kind: ActionKind, ctx: &Context) -> Result<(), TransitionError> {
    let role = ctx.actor.role;
    let staff = matches!(role, Role::Officer | Role::Approver) && ctx.in_agency_scope;
    let (ok, right, who) = match kind {
        ActionKind::Resolve | ActionKind::Stop | ActionKind::Apologize => {
            (role == Role::Approver && ctx.in_agency_scope, RIGHT_DECIDE, "an approver of the handling agency")
        }
        ActionKind::Withdraw => (role == Role::Citizen && ctx.is_applicant, RIGHT_APPLICANT, "the applicant"),
        ActionKind::Supplement => (role == Role::Citizen && ctx.is_applicant, RIGHT_APPLICANT, "the applicant"),
        _ => (staff, RIGHT_PROCESS, "an officer or approver of the agency"),
    };
    if ok {
        Ok(())
    } else {
        Err(TransitionError::Forbidden { right, message: format!("only {who} may {}", kind.as_str()) })
    }
}

/// Where `kind` leads from the current state, or why it cannot.
fn target(
    kind: ActionKind,
    state: &DossierState,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Result<Status, String> {
    use Status::*;
    let received = state.received_at.is_some();
    let s = state.status;
    let refuse = |why: &str| Err(why.to_owned());
    match kind {
        ActionKind::Receive if s == Submitted => Ok(Received),
        ActionKind::Refuse if s == Submitted => Ok(Refused),
        ActionKind::RequestSupplement if s == Submitted => Ok(AwaitingSupplement),
        ActionKind::RequestSupplement if s == Processing && state.supplement_requested_in_processing => {
            refuse("a supplement may be requested only once while processing")
        }
        ActionKind::RequestSupplement if s == Processing => Ok(AwaitingSupplement),
        ActionKind::Supplement if s == AwaitingSupplement => Ok(if received { Processing } else { Submitted }),
        ActionKind::HandOff if matches!(s, Received | Processing) => Ok(Processing),
        ActionKind::RequestPayment if s == Processing => Ok(AwaitingPayment),
        ActionKind::RecordPayment if s == AwaitingPayment => Ok(Processing),
        ActionKind::RecordPayment if matches!(s, Submitted | Received | Processing | Resolved) => Ok(s),
        ActionKind::RecordFeeRelief if matches!(s, Submitted | Received | Processing) => Ok(s),
        ActionKind::Resolve if s == Processing => Ok(Resolved),
        ActionKind::Return if s == Resolved => Ok(Returned),
        ActionKind::Withdraw
            if matches!(s, Submitted | Received | Processing | AwaitingSupplement | AwaitingPayment) =>
        {
            Ok(Withdrawn)
        }
        ActionKind::Stop if received && matches!(s, Received | Processing | AwaitingSupplement | AwaitingPayment) => {
            Ok(Stopped)
        }
        ActionKind::Apologize
            if received && matches!(s, Received | Processing | AwaitingSupplement | AwaitingPayment) =>
        {
            if state.apologized {
                refuse("the apology with a new date may be issued only once")
            } else if state.effective_due(now, calendar).is_some_and(|due| now >= due) {
                refuse("the apology must come before the due instant")
            } else {
                Ok(s)
            }
        }
        _ => refuse("not allowed from this status"),
    }
}

/// The actions allowed from the current state (whoever acts).
pub fn allowed_actions(state: &DossierState, now: DateTime<Utc>, calendar: &WorkingCalendar) -> Vec<ActionKind> {
    ActionKind::ALL.into_iter().filter(|k| target(*k, state, now, calendar).is_ok()).collect()
}

/// The fields of `action` that do not hold whatever the dossier and the
/// time: a reason that is blank or too long, a supplement request without
/// items, an amount out of range. The API runs it on a request before it
/// reaches a dossier; `apply` runs it again with the checks that need the
/// dossier and the instant.
pub fn field_errors(action: &Action) -> Vec<DomainError> {
    let mut f = Fields::default();
    match action {
        Action::Receive { note } | Action::Supplement { note } | Action::Return { note, .. } => {
            f.optional(note, "note");
        }
        Action::Refuse { reason } | Action::Stop { reason, .. } | Action::Apologize { reason, .. } => {
            f.required(reason, "reason");
        }
        Action::RequestSupplement { items, note, .. } => {
            f.check(!items.is_empty(), ErrorCode::Required, "items", "list each missing or faulty component");
            f.check(items.len() <= 100, ErrorCode::TooMany, "items", "at most 100 items");
            for (i, item) in items.iter().enumerate().take(100) {
                f.required(&item.component_code, &format!("items[{i}].component_code"));
                f.required(&item.problem, &format!("items[{i}].problem"));
            }
            f.optional(note, "note");
        }
        Action::HandOff { to_officer, note, .. } => {
            f.optional(to_officer, "to_officer");
            f.optional(note, "note");
        }
        Action::RequestPayment { amount_vnd, note } | Action::RecordPayment { amount_vnd, note } => {
            f.amount(*amount_vnd);
            f.optional(note, "note");
        }
        Action::RecordFeeRelief { relief } => {
            f.required(&relief.legal_basis, "legal_basis");
        }
        Action::Resolve { outcome: Outcome::Denied, reason } => {
            f.required(reason.as_deref().unwrap_or_default(), "reason");
        }
        Action::Resolve { outcome: Outcome::Granted, reason } | Action::Withdraw { reason } => {
            f.optional(reason, "reason");
        }
    }
    f.0
}

/// A text as kept: without its surrounding blanks (checked by [`field_errors`]).
fn trimmed(text: &str) -> String {
    text.trim().to_owned()
}

/// An optional text as kept: none when blank.
fn trimmed_optional(text: &Option<String>) -> Option<String> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The invalid fields of one command, gathered so that all are answered at once.
#[derive(Default)]
struct Fields(Vec<DomainError>);

impl Fields {
    /// A text that is not blank, at most 2,000 characters once trimmed.
    fn required(&mut self, text: &str, field: &str) {
        let t = text.trim();
        if t.is_empty() {
            self.0.push(DomainError::invalid(ErrorCode::Required, format!("{field} is required")).at(field));
        } else if t.chars().count() > 2000 {
            self.0
                .push(DomainError::invalid(ErrorCode::Length, format!("{field} is at most 2000 characters")).at(field));
        }
    }

    /// A text that may be absent or blank (none then), else as required.
    fn optional(&mut self, text: &Option<String>, field: &str) {
        if let Some(t) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            self.required(t, field);
        }
    }

    fn check(&mut self, ok: bool, code: ErrorCode, field: &str, message: &str) {
        if !ok {
            self.0.push(DomainError::invalid(code, message.to_owned()).at(field));
        }
    }

    fn amount(&mut self, amount_vnd: i64) {
        let ok = amount_vnd > 0 && amount_vnd <= crate::procedure::MAX_FEE_VND;
        self.check(ok, ErrorCode::OutOfRange, "amount_vnd", "a whole number of đồng from 1 to 100,000,000,000");
    }

    fn finish(mut self) -> Result<(), TransitionError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(TransitionError::Invalid(self.0.remove(0))),
            _ => Err(TransitionError::InvalidFields(self.0)),
        }
    }
}

/// Ends the open pause at `now`, moving the due instant by the office time it held.
fn end_pause(state: &mut DossierState, now: DateTime<Utc>, calendar: &WorkingCalendar) {
    if let Some(p) = state.pauses.last_mut().filter(|p| p.to.is_none()) {
        p.to = Some(now);
        if let Some(due) = state.due_at {
            state.due_at = Some(p.carry(due, calendar));
        }
    }
}

fn start_pause(state: &mut DossierState, now: DateTime<Utc>, reason: PauseReason, reply_by: Option<DateTime<Utc>>) {
    state.pauses.push(PauseRecord { from: now, to: None, reason, due_before: None, due_after: None, reply_by });
}

/// Applies `action` to `state` (docs/RULES.md §4.2). Checks, in order: may the actor
/// see the dossier (else NotVisible), may their role do this (Forbidden), is
/// the move allowed from the current status (NotAllowed), is the command
/// valid (Invalid).
pub fn apply(state: &DossierState, action: &Action, ctx: &Context) -> Result<Transition, TransitionError> {
    if !may_read(ctx.actor, ctx.is_applicant, ctx.in_agency_scope) {
        return Err(TransitionError::NotVisible);
    }
    who_may(action.kind(), ctx)?;
    perform(state, action, ctx.now, ctx.calendar)
}

/// A payment confirmed by the national payment platform (a verified signed
/// callback or query answer): recorded as the platform's, without a user.
pub fn settle_by_payment_platform(
    state: &DossierState,
    amount_vnd: i64,
    note: Option<String>,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Result<Transition, TransitionError> {
    perform(state, &Action::RecordPayment { amount_vnd, note }, now, calendar)
}

/// Replays a recorded move of a dossier's past (a history import): the
/// status rules, guards and deadlines apply; who acted is the record's.
pub fn replay(
    state: &DossierState,
    action: &Action,
    at: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Result<Transition, TransitionError> {
    perform(state, action, at, calendar)
}

/// The move itself, once the actor is known to be entitled.
fn perform(
    state: &DossierState,
    action: &Action,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Result<Transition, TransitionError> {
    let kind = action.kind();
    let to = target(kind, state, now, calendar).map_err(|reason| TransitionError::NotAllowed {
        status: state.status,
        action: kind,
        allowed: allowed_actions(state, now, calendar),
        reason,
    })?;
    let mut next = state.clone();
    let mut step_deadline = None;
    // Every invalid field of the command is gathered, then answered at once.
    let mut f = Fields(field_errors(action));
    let note = match action {
        Action::Receive { note } => {
            let n = trimmed_optional(note);
            next.received_at = Some(now);
            next.due_at = Some(calendar.due_instant(now, state.limit.amount, state.limit.unit, state.limit.same_day));
            n
        }
        Action::Refuse { reason } => Some(trimmed(reason)),
        Action::RequestSupplement { items, reply_by, note } => {
            f.check(*reply_by > now, ErrorCode::InThePast, "reply_by", "the reply deadline is after now");
            let n = trimmed_optional(note);
            if state.status == Status::Processing {
                next.supplement_requested_in_processing = true;
                start_pause(&mut next, now, PauseReason::Supplement, Some(*reply_by));
            }
            next.reply_by = Some(*reply_by);
            next.supplement_items = items
                .iter()
                .map(|i| SupplementItem {
                    component_code: i.component_code.trim().to_owned(),
                    problem: i.problem.trim().to_owned(),
                })
                .collect();
            step_deadline = Some(*reply_by);
            let listed: Vec<String> =
                items.iter().map(|i| format!("{}: {}", i.component_code.trim(), i.problem.trim())).collect();
            Some(n.map_or_else(|| listed.join("; "), |n| format!("{n} — {}", listed.join("; "))))
        }
        Action::Supplement { note } => {
            let n = trimmed_optional(note);
            end_pause(&mut next, now, calendar);
            n
        }
        Action::HandOff { to_agency, to_officer, step_deadline: deadline, note } => {
            if let Some(d) = deadline {
                f.check(*d > now, ErrorCode::InThePast, "step_deadline", "the step deadline is after now");
            }
            let officer = trimmed_optional(to_officer);
            let n = trimmed_optional(note);
            next.handling_agency = to_agency.clone();
            step_deadline = *deadline;
            let who = officer.map_or_else(|| to_agency.to_string(), |o| format!("{to_agency} ({o})"));
            Some(n.map_or_else(|| format!("handed to {who}"), |n| format!("handed to {who}: {n}")))
        }
        Action::RequestPayment { amount_vnd, note } => {
            let n = trimmed_optional(note);
            start_pause(&mut next, now, PauseReason::Payment, None);
            Some(n.map_or_else(|| format!("{amount_vnd} VND due"), |n| format!("{amount_vnd} VND due: {n}")))
        }
        Action::RecordPayment { amount_vnd, note } => {
            let n = trimmed_optional(note);
            if state.status == Status::AwaitingPayment {
                end_pause(&mut next, now, calendar);
            }
            Some(n.map_or_else(|| format!("{amount_vnd} VND paid"), |n| format!("{amount_vnd} VND paid: {n}")))
        }
        Action::RecordFeeRelief { relief } => Some(relief.note()),
        Action::Resolve { outcome, reason } => {
            let r = trimmed_optional(reason);
            next.outcome = Some(*outcome);
            next.resolved_at = Some(now);
            Some(r.map_or_else(|| outcome.as_str().to_owned(), |r| format!("{}: {r}", outcome.as_str())))
        }
        Action::Return { channel, note } => {
            let n = trimmed_optional(note);
            next.returned_at = Some(now);
            let how = describe_channel(*channel);
            Some(n.map_or_else(|| format!("returned {how}"), |n| format!("returned {how}: {n}")))
        }
        Action::Withdraw { reason } => {
            let r = trimmed_optional(reason);
            end_pause(&mut next, now, calendar);
            r
        }
        Action::Stop { reason, cause } => {
            let r = trimmed(reason);
            if *cause == Some(StopCause::SupplementOverdue) && !state.supplement_overdue(now) {
                return Err(TransitionError::NotAllowed {
                    status: state.status,
                    action: kind,
                    allowed: allowed_actions(state, now, calendar),
                    reason: match state.reply_by {
                        Some(r) if state.status == Status::AwaitingSupplement => {
                            format!("the supplement's reply deadline ({r}) has not passed")
                        }
                        _ => "no supplement is awaited".to_owned(),
                    },
                });
            }
            end_pause(&mut next, now, calendar);
            Some(match cause {
                Some(c) => format!("{}: {r}", c.as_str()),
                None => r,
            })
        }
        Action::Apologize { reason, new_date } => {
            let r = trimmed(reason);
            let due = state.effective_due(now, calendar).unwrap_or(now);
            f.check(
                *new_date > due,
                ErrorCode::NotAfterDue,
                "new_date",
                "the new promised date is after the due instant",
            );
            next.apologized = true;
            next.promised_at = Some(*new_date);
            Some(r)
        }
    };
    f.finish()?;
    next.status = to;
    if to != Status::AwaitingSupplement {
        next.reply_by = None;
        next.supplement_items.clear();
    }
    Ok(Transition { state: next, from: state.status, to, action: kind, note, step_deadline })
}

fn describe_channel(channel: super::action::ReturnChannel) -> &'static str {
    match channel {
        super::action::ReturnChannel::InPerson => "in person",
        super::action::ReturnChannel::Postal => "by post",
        super::action::ReturnChannel::Online => "online",
    }
}
