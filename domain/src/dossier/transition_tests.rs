//! Tests of the dossier state machine against docs/RULES.md §1 (roles), §4.2 (statuses
//! and allowed moves) and §4.3 (deadlines, pauses, timeliness).
//!
//! The expected moves are written out by hand from the rules (docs/RULES.md §4.2) ([`spec_target`]),
//! never derived from the code under test. Instants are Vietnam wall-clock
//! times (`+07:00`); the default calendar works Monday–Friday, 07:00–11:30 and
//! 13:30–17:00 (8 office hours a day).

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::{
    allowed_actions, apply, may_read, Action, ActionKind, Context, DossierState, Outcome, PauseReason, ReturnChannel,
    Status, SupplementItem, TimeLimit, Transition, TransitionError, RIGHT_APPLICANT, RIGHT_DECIDE, RIGHT_PROCESS,
};
use crate::agency::AgencyCode;
use crate::auth::{Actor, Role};
use crate::calendar::{CalendarSpec, NamedDateSpec, Pause, Timeliness, WorkingCalendar};
use crate::error::ErrorKind;
use crate::fees::{FeeRelief, ReliefKind};
use crate::time_limit::TimeUnit;

// ---------------------------------------------------------------------------
// Helpers: instants, calendars, agencies, actors
// ---------------------------------------------------------------------------

/// The receiving agency of every test dossier; staff actors belong to it.
const AGENCY: &str = "000.00.05.H56";
/// A unit the dossier is handed on to.
const OTHER_UNIT: &str = "000.17.22.H56";

/// An RFC 3339 instant (written in Vietnam time, `+07:00`) as UTC.
fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

fn agency() -> AgencyCode {
    AgencyCode::parse(AGENCY).unwrap()
}

fn other_unit() -> AgencyCode {
    AgencyCode::parse(OTHER_UNIT).unwrap()
}

fn calendar() -> WorkingCalendar {
    WorkingCalendar::default_vietnam()
}

/// The default week with the spring 2026 holidays of docs/RULES.md §4.3: the Hùng
/// Kings' day (Sun 26 Apr, observed Mon 27 Apr), 30 April and 1 May.
fn calendar_with_holidays() -> WorkingCalendar {
    WorkingCalendar::new(CalendarSpec {
        holidays: vec![
            NamedDateSpec::new("2026-04-26", "Giỗ Tổ Hùng Vương"),
            NamedDateSpec::new("2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương"),
            NamedDateSpec::new("2026-04-30", "Ngày Giải phóng miền Nam"),
            NamedDateSpec::new("2026-05-01", "Ngày Quốc tế Lao động"),
        ],
        ..CalendarSpec::default()
    })
    .unwrap()
}

/// The 5-working-day processing time every test dossier carries.
fn five_working_days() -> TimeLimit {
    TimeLimit { amount: 5, unit: TimeUnit::WorkingDays, same_day: false }
}

fn submitted() -> DossierState {
    DossierState::submitted(agency(), five_working_days())
}

/// Who acts, and how they relate to the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Party {
    role: Role,
    is_applicant: bool,
    in_scope: bool,
}

const APPLICANT: Party = Party { role: Role::Citizen, is_applicant: true, in_scope: false };
const OTHER_CITIZEN: Party = Party { role: Role::Citizen, is_applicant: false, in_scope: false };
const OFFICER: Party = Party { role: Role::Officer, is_applicant: false, in_scope: true };
const OFFICER_ELSEWHERE: Party = Party { role: Role::Officer, is_applicant: false, in_scope: false };
const APPROVER: Party = Party { role: Role::Approver, is_applicant: false, in_scope: true };
const APPROVER_ELSEWHERE: Party = Party { role: Role::Approver, is_applicant: false, in_scope: false };
const AGENCY_ADMIN: Party = Party { role: Role::AgencyAdmin, is_applicant: false, in_scope: true };
const AGENCY_ADMIN_ELSEWHERE: Party = Party { role: Role::AgencyAdmin, is_applicant: false, in_scope: false };
const ADMIN: Party = Party { role: Role::Admin, is_applicant: false, in_scope: false };
const VIEWER: Party = Party { role: Role::Viewer, is_applicant: false, in_scope: false };
const INTEGRATOR: Party = Party { role: Role::Integrator, is_applicant: false, in_scope: false };

/// Every kind of caller the property test picks from.
const PARTIES: [Party; 11] = [
    APPLICANT,
    OTHER_CITIZEN,
    OFFICER,
    OFFICER_ELSEWHERE,
    APPROVER,
    APPROVER_ELSEWHERE,
    AGENCY_ADMIN,
    AGENCY_ADMIN_ELSEWHERE,
    ADMIN,
    VIEWER,
    INTEGRATOR,
];

/// The authenticated caller for `party`: staff carry the agency code (their
/// own when in scope, a district unit elsewhere when not).
fn actor(party: Party) -> Actor {
    let agency = match (party.role.is_staff(), party.in_scope) {
        (true, true) => Some(agency()),
        (true, false) => Some(AgencyCode::parse("000.31.40.H56").unwrap()),
        (false, _) => None,
    };
    Actor {
        id: format!("{}-{}", party.role.as_str(), u8::from(party.is_applicant)),
        role: party.role,
        agency,
        name: format!("Nguyễn Văn {}", party.role.as_str()),
    }
}

/// Applies `action` as `party` at `now`.
fn act(
    state: &DossierState,
    action: &Action,
    party: Party,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Result<Transition, TransitionError> {
    let actor = actor(party);
    let ctx =
        Context { actor: &actor, now, calendar, is_applicant: party.is_applicant, in_agency_scope: party.in_scope };
    apply(state, action, &ctx)
}

/// Applies `action` as `party` at `now` on the default calendar, and expects it to succeed.
fn step(state: &DossierState, action: &Action, party: Party, now: &str) -> DossierState {
    match act(state, action, party, at(now), &calendar()) {
        Ok(t) => t.state,
        Err(e) => panic!("{:?} by {party:?} at {now} from {:?} failed: {e:?}", action.kind(), state.status),
    }
}

// ---------------------------------------------------------------------------
// Sample actions: one per kind, with valid arguments relative to `now`
// ---------------------------------------------------------------------------

fn missing_component() -> Vec<SupplementItem> {
    vec![SupplementItem {
        component_code: "TP01".to_owned(),
        problem: "bản sao chưa được chứng thực (copy not certified)".to_owned(),
    }]
}

/// A valid action of `kind` issued at `now`: reasons filled, `reply_by`,
/// `step_deadline` and the apology's `new_date` in the future.
fn sample(kind: ActionKind, now: DateTime<Utc>) -> Action {
    match kind {
        ActionKind::Receive => Action::Receive { note: Some("receipt slip issued".to_owned()) },
        ActionKind::Refuse => Action::Refuse { reason: "the procedure belongs to another agency".to_owned() },
        ActionKind::RequestSupplement => {
            Action::RequestSupplement { items: missing_component(), reply_by: now + TimeDelta::days(10), note: None }
        }
        ActionKind::Supplement => Action::Supplement { note: Some("certified copy attached".to_owned()) },
        ActionKind::HandOff => Action::HandOff {
            to_agency: other_unit(),
            to_officer: Some("chuyen.vien.a".to_owned()),
            step_deadline: Some(now + TimeDelta::days(2)),
            note: None,
        },
        ActionKind::RequestPayment => Action::RequestPayment { amount_vnd: 150_000, note: None },
        ActionKind::RecordPayment => {
            Action::RecordPayment { amount_vnd: 150_000, note: Some("cash at the desk".to_owned()) }
        }
        ActionKind::RecordFeeRelief => Action::RecordFeeRelief {
            relief: FeeRelief {
                kind: ReliefKind::Exempt,
                amount_vnd: 150_000,
                legal_basis: "Điều 5 TT 85/2019".to_owned(),
            },
        },
        ActionKind::Resolve => Action::Resolve { outcome: Outcome::Granted, reason: None },
        ActionKind::Return => Action::Return { channel: ReturnChannel::InPerson, note: None },
        ActionKind::Withdraw => Action::Withdraw { reason: Some("no longer needed".to_owned()) },
        ActionKind::Stop => Action::Stop { reason: "no supplement by the reply deadline".to_owned(), cause: None },
        ActionKind::Apologize => Action::Apologize {
            reason: "the site inspection took longer".to_owned(),
            new_date: now + TimeDelta::days(30),
        },
    }
}

/// An action of `kind` whose arguments break a rule (a missing reason, a
/// deadline not in the future, a zero amount, an over-long note).
fn invalid_sample(kind: ActionKind, now: DateTime<Utc>) -> Action {
    let long = Some("x".repeat(2001));
    match kind {
        ActionKind::Receive => Action::Receive { note: long },
        ActionKind::Refuse => Action::Refuse { reason: "   ".to_owned() },
        ActionKind::RequestSupplement => {
            Action::RequestSupplement { items: missing_component(), reply_by: now, note: None }
        }
        ActionKind::Supplement => Action::Supplement { note: long },
        ActionKind::HandOff => {
            Action::HandOff { to_agency: other_unit(), to_officer: None, step_deadline: Some(now), note: None }
        }
        ActionKind::RequestPayment => Action::RequestPayment { amount_vnd: 0, note: None },
        ActionKind::RecordPayment => Action::RecordPayment { amount_vnd: -5, note: None },
        ActionKind::RecordFeeRelief => Action::RecordFeeRelief {
            relief: FeeRelief { kind: ReliefKind::Reduced, amount_vnd: 1, legal_basis: " ".to_owned() },
        },
        ActionKind::Resolve => Action::Resolve { outcome: Outcome::Denied, reason: None },
        ActionKind::Return => Action::Return { channel: ReturnChannel::Postal, note: long },
        ActionKind::Withdraw => Action::Withdraw { reason: long },
        ActionKind::Stop => Action::Stop { reason: String::new(), cause: None },
        ActionKind::Apologize => Action::Apologize { reason: "late".to_owned(), new_date: now },
    }
}

/// The caller docs/RULES.md §1/§4.2 names for `kind`: an approver of the agency for
/// the decisions, the applicant for withdrawal and supplement, an officer of
/// the agency for the rest.
fn entitled(kind: ActionKind) -> Party {
    match kind {
        ActionKind::Resolve | ActionKind::Stop | ActionKind::Apologize => APPROVER,
        ActionKind::Withdraw | ActionKind::Supplement => APPLICANT,
        _ => OFFICER,
    }
}

/// Whether docs/RULES.md §1/§4.2 lets `party` do `kind` (written out, not taken from the code).
fn spec_entitled(kind: ActionKind, party: Party) -> bool {
    let staff_in_scope = matches!(party.role, Role::Officer | Role::Approver) && party.in_scope;
    match kind {
        ActionKind::Resolve | ActionKind::Stop | ActionKind::Apologize => {
            party.role == Role::Approver && party.in_scope
        }
        ActionKind::Withdraw | ActionKind::Supplement => party.role == Role::Citizen && party.is_applicant,
        ActionKind::Receive
        | ActionKind::Refuse
        | ActionKind::RequestSupplement
        | ActionKind::HandOff
        | ActionKind::RequestPayment
        | ActionKind::RecordPayment
        | ActionKind::RecordFeeRelief
        | ActionKind::Return => staff_in_scope,
    }
}

/// Whether docs/RULES.md §1 lets `party` see the dossier at all.
fn spec_visible(party: Party) -> bool {
    match party.role {
        Role::Citizen => party.is_applicant,
        Role::Officer | Role::Approver | Role::AgencyAdmin => party.in_scope,
        Role::Admin | Role::Viewer | Role::Integrator => true,
    }
}

// ---------------------------------------------------------------------------
// Fixtures: each status reached by real actions
// ---------------------------------------------------------------------------

/// Each status, with `awaiting_supplement` in its two flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    Submitted,
    Received,
    Processing,
    /// `awaiting_supplement` before reception (intake request; no clock).
    IntakeSupplement,
    /// `awaiting_supplement` after reception (the clock paused).
    AwaitingSupplement,
    AwaitingPayment,
    Resolved,
    Returned,
    Refused,
    Withdrawn,
    Stopped,
}

impl Fixture {
    const ALL: [Fixture; 11] = [
        Self::Submitted,
        Self::Received,
        Self::Processing,
        Self::IntakeSupplement,
        Self::AwaitingSupplement,
        Self::AwaitingPayment,
        Self::Resolved,
        Self::Returned,
        Self::Refused,
        Self::Withdrawn,
        Self::Stopped,
    ];

    fn status(self) -> Status {
        match self {
            Self::Submitted => Status::Submitted,
            Self::Received => Status::Received,
            Self::Processing => Status::Processing,
            Self::IntakeSupplement | Self::AwaitingSupplement => Status::AwaitingSupplement,
            Self::AwaitingPayment => Status::AwaitingPayment,
            Self::Resolved => Status::Resolved,
            Self::Returned => Status::Returned,
            Self::Refused => Status::Refused,
            Self::Withdrawn => Status::Withdrawn,
            Self::Stopped => Status::Stopped,
        }
    }

    /// The row of the rules' table a state is in (its status, and for
    /// `awaiting_supplement` whether the dossier was received).
    fn of(status: Status, received: bool) -> Self {
        match status {
            Status::Submitted => Self::Submitted,
            Status::Received => Self::Received,
            Status::Processing => Self::Processing,
            Status::AwaitingSupplement if received => Self::AwaitingSupplement,
            Status::AwaitingSupplement => Self::IntakeSupplement,
            Status::AwaitingPayment => Self::AwaitingPayment,
            Status::Resolved => Self::Resolved,
            Status::Returned => Self::Returned,
            Status::Refused => Self::Refused,
            Status::Withdrawn => Self::Withdrawn,
            Status::Stopped => Self::Stopped,
        }
    }
}

/// Reception: Tue 3 Mar 2026 09:00, so the 5-working-day due instant is Tue 10 Mar 09:00.
const RECEIVED_AT: &str = "2026-03-03T09:00:00+07:00";
const DUE_AT: &str = "2026-03-10T09:00:00+07:00";
/// The hand-off to the handling unit, an hour after reception.
const HANDED_OFF_AT: &str = "2026-03-03T10:00:00+07:00";
/// When the table test acts: Fri 6 Mar 10:00, before every fixture's due instant.
const TABLE_NOW: &str = "2026-03-06T10:00:00+07:00";

/// A dossier in `fixture`'s status, reached from `submitted` by real actions
/// on the default calendar (received Tue 3 Mar 09:00, due Tue 10 Mar 09:00).
fn reach(fixture: Fixture) -> DossierState {
    let s = |kind: ActionKind, now: &str| sample(kind, at(now));
    let state = match fixture {
        Fixture::Submitted => submitted(),
        Fixture::Received => step(&submitted(), &s(ActionKind::Receive, RECEIVED_AT), OFFICER, RECEIVED_AT),
        Fixture::Processing => {
            step(&reach(Fixture::Received), &s(ActionKind::HandOff, HANDED_OFF_AT), OFFICER, HANDED_OFF_AT)
        }
        Fixture::IntakeSupplement => {
            let now = "2026-03-02T10:00:00+07:00";
            step(&submitted(), &s(ActionKind::RequestSupplement, now), OFFICER, now)
        }
        Fixture::AwaitingSupplement => {
            let now = "2026-03-04T09:00:00+07:00";
            step(&reach(Fixture::Processing), &s(ActionKind::RequestSupplement, now), OFFICER, now)
        }
        Fixture::AwaitingPayment => {
            let now = "2026-03-04T09:00:00+07:00";
            step(&reach(Fixture::Processing), &s(ActionKind::RequestPayment, now), OFFICER, now)
        }
        Fixture::Resolved => {
            let now = "2026-03-05T10:00:00+07:00";
            step(&reach(Fixture::Processing), &s(ActionKind::Resolve, now), APPROVER, now)
        }
        Fixture::Returned => {
            let now = "2026-03-05T11:00:00+07:00";
            step(&reach(Fixture::Resolved), &s(ActionKind::Return, now), OFFICER, now)
        }
        Fixture::Refused => {
            let now = "2026-03-02T10:00:00+07:00";
            step(&submitted(), &s(ActionKind::Refuse, now), OFFICER, now)
        }
        Fixture::Withdrawn => {
            let now = "2026-03-03T14:00:00+07:00";
            step(&reach(Fixture::Received), &s(ActionKind::Withdraw, now), APPLICANT, now)
        }
        Fixture::Stopped => {
            let now = "2026-03-04T10:00:00+07:00";
            step(&reach(Fixture::Processing), &s(ActionKind::Stop, now), APPROVER, now)
        }
    };
    assert_eq!(state.status, fixture.status(), "{fixture:?}");
    assert_eq!(Fixture::of(state.status, state.received_at.is_some()), fixture);
    state
}

// ---------------------------------------------------------------------------
// The docs/RULES.md §4.2 table, written out by hand
// ---------------------------------------------------------------------------

/// Where `kind` leads from a dossier in `from`, per docs/RULES.md §4.2, when its
/// conditions hold (a supplement not yet requested while processing, the
/// apology not yet issued and the due instant not yet passed); `None` when
/// the rules allow no such move.
fn spec_target(from: Fixture, kind: ActionKind) -> Option<Status> {
    use ActionKind as K;
    use Fixture as F;
    match (from, kind) {
        // submitted → received / refused / awaiting_supplement (intake) / withdrawn
        (F::Submitted, K::Receive) => Some(Status::Received),
        (F::Submitted, K::Refuse) => Some(Status::Refused),
        (F::Submitted, K::RequestSupplement) => Some(Status::AwaitingSupplement),
        (F::Submitted, K::Withdraw) => Some(Status::Withdrawn),
        // awaiting_supplement (intake) → submitted on the supplement, or withdrawn
        (F::IntakeSupplement, K::Supplement) => Some(Status::Submitted),
        (F::IntakeSupplement, K::Withdraw) => Some(Status::Withdrawn),
        // received → processing (hand-off), withdrawn, stopped; apology keeps it
        (F::Received, K::HandOff) => Some(Status::Processing),
        (F::Received, K::Withdraw) => Some(Status::Withdrawn),
        (F::Received, K::Stop) => Some(Status::Stopped),
        (F::Received, K::Apologize) => Some(Status::Received),
        // processing → processing / awaiting_supplement / awaiting_payment / resolved / withdrawn / stopped
        (F::Processing, K::HandOff) => Some(Status::Processing),
        (F::Processing, K::RequestSupplement) => Some(Status::AwaitingSupplement),
        (F::Processing, K::RequestPayment) => Some(Status::AwaitingPayment),
        (F::Processing, K::Resolve) => Some(Status::Resolved),
        (F::Processing, K::Withdraw) => Some(Status::Withdrawn),
        (F::Processing, K::Stop) => Some(Status::Stopped),
        (F::Processing, K::Apologize) => Some(Status::Processing),
        // awaiting_supplement (after reception) → processing on the supplement, withdrawn, stopped
        (F::AwaitingSupplement, K::Supplement) => Some(Status::Processing),
        (F::AwaitingSupplement, K::Withdraw) => Some(Status::Withdrawn),
        (F::AwaitingSupplement, K::Stop) => Some(Status::Stopped),
        (F::AwaitingSupplement, K::Apologize) => Some(Status::AwaitingSupplement),
        // awaiting_payment → processing on payment, withdrawn, stopped
        (F::AwaitingPayment, K::RecordPayment) => Some(Status::Processing),
        (F::AwaitingPayment, K::Withdraw) => Some(Status::Withdrawn),
        (F::AwaitingPayment, K::Stop) => Some(Status::Stopped),
        (F::AwaitingPayment, K::Apologize) => Some(Status::AwaitingPayment),
        // resolved → returned
        (F::Resolved, K::Return) => Some(Status::Returned),
        // Recording a payment (a fee collected on receipt or on result) with no
        // move: accepted from these statuses, the status unchanged.
        (F::Submitted, K::RecordPayment) => Some(Status::Submitted),
        (F::Received, K::RecordPayment) => Some(Status::Received),
        (F::Processing, K::RecordPayment) => Some(Status::Processing),
        (F::Resolved, K::RecordPayment) => Some(Status::Resolved),
        // An exemption or reduction of the fees (docs/RULES.md §5), before the payment
        // is requested: no move.
        (F::Submitted, K::RecordFeeRelief) => Some(Status::Submitted),
        (F::Received, K::RecordFeeRelief) => Some(Status::Received),
        (F::Processing, K::RecordFeeRelief) => Some(Status::Processing),
        // Final statuses (refused, withdrawn, stopped, returned): nothing.
        _ => None,
    }
}

fn spec_allowed(from: Fixture) -> Vec<ActionKind> {
    ActionKind::ALL.into_iter().filter(|kind| spec_target(from, *kind).is_some()).collect()
}

fn assert_not_allowed(
    result: &Result<Transition, TransitionError>,
    state: &DossierState,
    kind: ActionKind,
) -> Vec<ActionKind> {
    match result {
        Err(TransitionError::NotAllowed { status, action, allowed, reason }) => {
            assert_eq!(*status, state.status, "the error names the current status");
            assert_eq!(*action, kind);
            assert!(!reason.trim().is_empty(), "a NotAllowed error says why");
            allowed.clone()
        }
        other => panic!("{kind:?} from {:?}: expected NotAllowed, got {other:?}", state.status),
    }
}

fn assert_invalid(result: &Result<Transition, TransitionError>, field: &str) {
    match result {
        Err(TransitionError::Invalid(e)) => {
            assert_eq!(e.kind, ErrorKind::Invalid);
            assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
        }
        other => panic!("expected Invalid on {field}, got {other:?}"),
    }
}

fn assert_forbidden(result: &Result<Transition, TransitionError>, right: &str) {
    match result {
        Err(TransitionError::Forbidden { right: r, message }) => {
            assert_eq!(*r, right, "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("expected Forbidden ({right}), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// 1. The table: every status × every action
// ---------------------------------------------------------------------------

#[test]
fn fixtures_reach_every_status_through_real_actions() {
    let statuses: Vec<Status> = Fixture::ALL.iter().map(|f| reach(*f).status).collect();
    for status in Status::ALL {
        assert!(statuses.contains(&status), "{status:?} not reached");
    }
    assert_eq!(reach(Fixture::IntakeSupplement).received_at, None);
    assert!(reach(Fixture::AwaitingSupplement).received_at.is_some());
}

#[test]
fn every_status_and_action_gives_the_spec_table_result() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let mut mismatches = Vec::new();
    for fixture in Fixture::ALL {
        let state = reach(fixture);
        let allowed_now = allowed_actions(&state, now, &cal);
        if allowed_now != spec_allowed(fixture) {
            mismatches.push(format!("{fixture:?}: allowed_actions {allowed_now:?}, rules {:?}", spec_allowed(fixture)));
        }
        for kind in ActionKind::ALL {
            let result = act(&state, &sample(kind, now), entitled(kind), now, &cal);
            match (spec_target(fixture, kind), &result) {
                (Some(to), Ok(t)) => {
                    assert_eq!(
                        (t.from, t.to, t.action, t.state.status),
                        (state.status, to, kind, to),
                        "{fixture:?} {kind:?}"
                    );
                }
                (None, Err(TransitionError::NotAllowed { .. })) => {
                    let allowed = assert_not_allowed(&result, &state, kind);
                    assert_eq!(allowed, allowed_now, "{fixture:?} {kind:?}: the error lists the allowed moves");
                }
                (expected, got) => {
                    mismatches.push(format!("{fixture:?} × {kind:?}: rules {expected:?}, got {got:?}"));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_not_allowed_error_lists_the_allowed_moves_of_the_current_state() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let state = reach(Fixture::Processing);
    let result = act(&state, &sample(ActionKind::Receive, now), OFFICER, now, &cal);
    let allowed = assert_not_allowed(&result, &state, ActionKind::Receive);
    assert_eq!(allowed, allowed_actions(&state, now, &cal));
    assert_eq!(
        allowed,
        vec![
            ActionKind::RequestSupplement,
            ActionKind::HandOff,
            ActionKind::RequestPayment,
            ActionKind::RecordPayment,
            ActionKind::RecordFeeRelief,
            ActionKind::Resolve,
            ActionKind::Withdraw,
            ActionKind::Stop,
            ActionKind::Apologize,
        ]
    );
}

#[test]
fn final_statuses_allow_no_action_at_all() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    for fixture in [Fixture::Refused, Fixture::Withdrawn, Fixture::Stopped, Fixture::Returned] {
        let state = reach(fixture);
        assert!(state.status.is_final());
        assert_eq!(allowed_actions(&state, now, &cal), Vec::<ActionKind>::new(), "{fixture:?}");
        for kind in ActionKind::ALL {
            let result = act(&state, &sample(kind, now), entitled(kind), now, &cal);
            assert_eq!(assert_not_allowed(&result, &state, kind), Vec::<ActionKind>::new());
        }
    }
}

#[test]
fn a_disallowed_move_is_a_conflict_even_with_invalid_arguments() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let state = reach(Fixture::Returned);
    let result = act(&state, &invalid_sample(ActionKind::Refuse, now), OFFICER, now, &cal);
    assert_not_allowed(&result, &state, ActionKind::Refuse);
}

#[test]
fn a_hand_off_records_the_unit_and_the_step_deadline() {
    let cal = calendar();
    let now = at(HANDED_OFF_AT);
    let action = sample(ActionKind::HandOff, now);
    let t = act(&reach(Fixture::Received), &action, OFFICER, now, &cal).unwrap();
    assert_eq!((t.from, t.to), (Status::Received, Status::Processing));
    assert_eq!(t.state.handling_agency, other_unit());
    assert_eq!(t.state.receiving_agency, agency());
    assert_eq!(t.step_deadline, Some(now + TimeDelta::days(2)));
    assert!(t.note.as_deref().unwrap().contains(OTHER_UNIT));

    let again = act(&t.state, &sample(ActionKind::HandOff, now), OFFICER, now, &cal).unwrap();
    assert_eq!((again.from, again.to), (Status::Processing, Status::Processing));
}

#[test]
fn command_arguments_that_break_a_rule_are_invalid() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let processing = reach(Fixture::Processing);
    let received = reach(Fixture::Received);
    let cases = [
        (&received, ActionKind::HandOff, "step_deadline"),
        (&processing, ActionKind::RequestSupplement, "reply_by"),
        (&processing, ActionKind::RequestPayment, "amount_vnd"),
        (&processing, ActionKind::RecordPayment, "amount_vnd"),
        (&processing, ActionKind::RecordFeeRelief, "legal_basis"),
        (&processing, ActionKind::Withdraw, "reason"),
    ];
    for (state, kind, field) in cases {
        assert_invalid(&act(state, &invalid_sample(kind, now), entitled(kind), now, &cal), field);
    }
    let no_items = Action::RequestSupplement { items: Vec::new(), reply_by: now + TimeDelta::days(3), note: None };
    assert_invalid(&act(&processing, &no_items, OFFICER, now, &cal), "items");
}

// ---------------------------------------------------------------------------
// 2. Roles (docs/RULES.md §1)
// ---------------------------------------------------------------------------

/// The right a 403 names for `kind`.
fn right_of(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Resolve | ActionKind::Stop | ActionKind::Apologize => RIGHT_DECIDE,
        ActionKind::Withdraw | ActionKind::Supplement => RIGHT_APPLICANT,
        _ => RIGHT_PROCESS,
    }
}

#[test]
fn the_applicant_is_forbidden_to_receive_or_resolve() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let receive = act(&submitted(), &sample(ActionKind::Receive, now), APPLICANT, now, &cal);
    assert_forbidden(&receive, RIGHT_PROCESS);
    let resolve = act(&reach(Fixture::Processing), &sample(ActionKind::Resolve, now), APPLICANT, now, &cal);
    assert_forbidden(&resolve, RIGHT_DECIDE);
}

#[test]
fn an_officer_is_forbidden_to_resolve_stop_or_apologize() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let processing = reach(Fixture::Processing);
    for kind in [ActionKind::Resolve, ActionKind::Stop, ActionKind::Apologize] {
        assert_forbidden(&act(&processing, &sample(kind, now), OFFICER, now, &cal), RIGHT_DECIDE);
        assert!(act(&processing, &sample(kind, now), APPROVER, now, &cal).is_ok(), "{kind:?} by the approver");
    }
}

#[test]
fn staff_are_forbidden_to_withdraw_for_the_applicant() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let processing = reach(Fixture::Processing);
    for party in [OFFICER, APPROVER] {
        assert_forbidden(&act(&processing, &sample(ActionKind::Withdraw, now), party, now, &cal), RIGHT_APPLICANT);
    }
}

#[test]
fn an_approver_may_do_every_officer_move() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let cases = [
        (Fixture::Submitted, ActionKind::Receive),
        (Fixture::Submitted, ActionKind::Refuse),
        (Fixture::Submitted, ActionKind::RequestSupplement),
        (Fixture::Received, ActionKind::HandOff),
        (Fixture::Processing, ActionKind::RequestSupplement),
        (Fixture::Processing, ActionKind::RequestPayment),
        (Fixture::AwaitingPayment, ActionKind::RecordPayment),
        (Fixture::Resolved, ActionKind::Return),
    ];
    for (fixture, kind) in cases {
        let t = act(&reach(fixture), &sample(kind, now), APPROVER, now, &cal);
        assert_eq!(t.map(|t| t.to).ok(), spec_target(fixture, kind), "{fixture:?} {kind:?}");
    }
}

#[test]
fn callers_who_may_not_see_the_dossier_get_not_visible_for_every_action() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    for party in [OTHER_CITIZEN, OFFICER_ELSEWHERE, APPROVER_ELSEWHERE, AGENCY_ADMIN_ELSEWHERE] {
        assert!(!may_read(&actor(party), party.is_applicant, party.in_scope), "{party:?}");
        for fixture in Fixture::ALL {
            let state = reach(fixture);
            for kind in ActionKind::ALL {
                let result = act(&state, &sample(kind, now), party, now, &cal);
                assert_eq!(result, Err(TransitionError::NotVisible), "{party:?} {fixture:?} {kind:?}");
            }
        }
    }
}

#[test]
fn viewers_admins_integrators_and_agency_admins_see_but_may_not_act() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    for party in [VIEWER, ADMIN, INTEGRATOR, AGENCY_ADMIN] {
        assert!(may_read(&actor(party), party.is_applicant, party.in_scope), "{party:?}");
        for fixture in Fixture::ALL {
            let state = reach(fixture);
            for kind in ActionKind::ALL {
                let result = act(&state, &sample(kind, now), party, now, &cal);
                assert_forbidden(&result, right_of(kind));
            }
        }
    }
}

#[test]
fn staff_see_only_their_agency_and_citizens_only_their_own_dossiers() {
    assert!(may_read(&actor(APPLICANT), true, false));
    assert!(!may_read(&actor(OTHER_CITIZEN), false, false));
    assert!(may_read(&actor(OFFICER), false, true));
    assert!(may_read(&actor(APPROVER), false, true));
    assert!(!may_read(&actor(OFFICER_ELSEWHERE), false, false));
}

/// docs/RULES.md §4.2: the supplement resumes the dossier "by the applicant"; §1 lists
/// supplementing among the citizen's rights and not the officer's. The code
/// lets staff of the agency supplement "on the applicant's behalf".
#[test]
fn only_the_applicant_may_supplement() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    let waiting = reach(Fixture::AwaitingSupplement);
    for party in [OFFICER, APPROVER] {
        assert_forbidden(&act(&waiting, &sample(ActionKind::Supplement, now), party, now, &cal), RIGHT_APPLICANT);
    }
}

// ---------------------------------------------------------------------------
// 3. Deadlines (docs/RULES.md §4.3)
// ---------------------------------------------------------------------------

#[test]
fn reception_starts_the_clock_at_that_instant() {
    let received = reach(Fixture::Received);
    assert_eq!(received.received_at, Some(at(RECEIVED_AT)));
    // Tue 09:00 + 5 × 8 office hours = Tue of the next week, 09:00.
    assert_eq!(received.due_at, Some(at(DUE_AT)));
    assert_eq!(received.promised_at, None);
    assert_eq!(submitted().due_at, None);
    assert_eq!(submitted().timeliness(at(RECEIVED_AT), &calendar()), None);
}

#[test]
fn reception_before_public_holidays_skips_them() {
    // Wed 29 Apr 2026 09:00: Wed has 6 h left; Thu 30 Apr and Fri 1 May are
    // holidays, then the weekend; Mon 4 (14 h), Tue 5 (22 h), Wed 6 (30 h),
    // Thu 7 (38 h), Fri 8 May 07:00 + 2 h = 09:00.
    let cal = calendar_with_holidays();
    let now = at("2026-04-29T09:00:00+07:00");
    let t = act(&submitted(), &sample(ActionKind::Receive, now), OFFICER, now, &cal).unwrap();
    assert_eq!(t.state.due_at, Some(at("2026-05-08T09:00:00+07:00")));
    // The same reception on a calendar without these holidays: Wed 6 May 09:00.
    let plain = act(&submitted(), &sample(ActionKind::Receive, now), OFFICER, now, &calendar()).unwrap();
    assert_eq!(plain.state.due_at, Some(at("2026-05-06T09:00:00+07:00")));
}

#[test]
fn a_supplement_request_while_processing_pauses_the_clock_until_the_supplement() {
    let cal = calendar();
    let requested_at = at("2026-03-04T09:00:00+07:00");
    let waiting = reach(Fixture::AwaitingSupplement);
    assert_eq!(waiting.status, Status::AwaitingSupplement);
    assert!(waiting.supplement_requested_in_processing);
    assert_eq!(waiting.pauses.len(), 1);
    let pause = waiting.open_pause().unwrap();
    assert_eq!((pause.from, pause.to, pause.reason), (requested_at, None, PauseReason::Supplement));
    assert_eq!(waiting.due_at, Some(at(DUE_AT)), "the stored due instant moves when the pause ends");

    // Paused Wed 4 Mar 09:00 → Thu 5 Mar 09:00: 6 h on Wed + 2 h on Thu = 8
    // office hours, so the due instant moves one working day, Tue → Wed 11 Mar 09:00.
    let supplied_at = at("2026-03-05T09:00:00+07:00");
    let t = act(&waiting, &sample(ActionKind::Supplement, supplied_at), APPLICANT, supplied_at, &cal).unwrap();
    assert_eq!((t.from, t.to), (Status::AwaitingSupplement, Status::Processing));
    let after = t.state;
    assert_eq!(after.open_pause(), None);
    assert_eq!(after.pauses.len(), 1);
    let closed = &after.pauses[0];
    assert_eq!(closed.to, Some(supplied_at));
    assert_eq!(closed.due_before, Some(at(DUE_AT)));
    assert_eq!(closed.due_after, Some(at("2026-03-11T09:00:00+07:00")));
    assert_eq!(after.due_at, Some(at("2026-03-11T09:00:00+07:00")));
}

#[test]
fn an_open_supplement_pause_extends_the_effective_due_instant() {
    let cal = calendar();
    let waiting = reach(Fixture::AwaitingSupplement);
    // Paused since Wed 4 Mar 09:00; at Fri 6 Mar 10:00 it has held 6 + 8 + 3 = 17 h:
    // Tue 10 Mar 09:00 + 17 h = Tue 6 h, Wed 8 h, Thu 07:00 + 3 h = Thu 12 Mar 10:00.
    let now = at(TABLE_NOW);
    assert_eq!(waiting.effective_due(now, &cal), Some(at("2026-03-12T10:00:00+07:00")));
    // While paused past the stored due instant, the dossier is still within its deadline.
    let later = at("2026-03-10T10:00:00+07:00");
    assert_eq!(waiting.timeliness(later, &cal), Some(Timeliness::WithinDeadline));
}

#[test]
fn an_intake_supplement_request_does_not_pause_and_the_supplement_returns_to_submitted() {
    let cal = calendar();
    let waiting = reach(Fixture::IntakeSupplement);
    assert_eq!(waiting.status, Status::AwaitingSupplement);
    assert!(waiting.pauses.is_empty());
    assert_eq!((waiting.received_at, waiting.due_at), (None, None));
    assert!(!waiting.supplement_requested_in_processing);

    let now = at("2026-03-03T08:00:00+07:00");
    let t = act(&waiting, &sample(ActionKind::Supplement, now), APPLICANT, now, &cal).unwrap();
    assert_eq!((t.from, t.to), (Status::AwaitingSupplement, Status::Submitted));
    assert!(t.state.pauses.is_empty());
    assert_eq!(t.state.due_at, None);

    // Intake requests are not limited; reception then starts the clock as usual.
    let again = act(&t.state, &sample(ActionKind::RequestSupplement, now), OFFICER, now, &cal).unwrap();
    assert_eq!(again.to, Status::AwaitingSupplement);
    let received_at = at(RECEIVED_AT);
    let received = act(&t.state, &sample(ActionKind::Receive, received_at), OFFICER, received_at, &cal).unwrap();
    assert_eq!(received.state.due_at, Some(at(DUE_AT)));
}

#[test]
fn a_second_supplement_request_while_processing_is_not_allowed() {
    let cal = calendar();
    let supplied_at = "2026-03-05T09:00:00+07:00";
    let resumed = step(
        &reach(Fixture::AwaitingSupplement),
        &sample(ActionKind::Supplement, at(supplied_at)),
        APPLICANT,
        supplied_at,
    );
    let now = at("2026-03-05T10:00:00+07:00");
    let result = act(&resumed, &sample(ActionKind::RequestSupplement, now), OFFICER, now, &cal);
    let allowed = assert_not_allowed(&result, &resumed, ActionKind::RequestSupplement);
    assert!(!allowed.contains(&ActionKind::RequestSupplement));
    assert_eq!(allowed, allowed_actions(&resumed, now, &cal));
    // Also after a further hand-off to another unit.
    let handed = act(&resumed, &sample(ActionKind::HandOff, now), OFFICER, now, &cal).unwrap().state;
    let again = act(&handed, &sample(ActionKind::RequestSupplement, now), OFFICER, now, &cal);
    assert_not_allowed(&again, &handed, ActionKind::RequestSupplement);
}

#[test]
fn a_payment_request_pauses_the_clock_until_the_payment_is_recorded() {
    let cal = calendar();
    let processing = reach(Fixture::Processing);
    let requested = "2026-03-06T15:00:00+07:00";
    let waiting = step(&processing, &sample(ActionKind::RequestPayment, at(requested)), OFFICER, requested);
    assert_eq!(waiting.status, Status::AwaitingPayment);
    let pause = waiting.open_pause().unwrap();
    assert_eq!((pause.from, pause.reason), (at(requested), PauseReason::Payment));

    // Fri 15:00–17:00 (2 h) + Mon 07:00–08:00 (1 h) = 3 office hours:
    // Tue 10 Mar 09:00 + 3 h = 11:30 after 2.5 h, then 13:30 + 0.5 h = 14:00.
    let paid = at("2026-03-09T08:00:00+07:00");
    let t = act(&waiting, &sample(ActionKind::RecordPayment, paid), OFFICER, paid, &cal).unwrap();
    assert_eq!((t.from, t.to), (Status::AwaitingPayment, Status::Processing));
    assert_eq!(t.state.open_pause(), None);
    assert_eq!(t.state.pauses[0].to, Some(paid));
    assert_eq!(t.state.due_at, Some(at("2026-03-10T14:00:00+07:00")));
}

#[test]
fn a_payment_pause_with_no_office_time_leaves_the_due_instant() {
    let cal = calendar();
    let requested = "2026-03-06T17:00:00+07:00"; // Friday closing
    let waiting =
        step(&reach(Fixture::Processing), &sample(ActionKind::RequestPayment, at(requested)), OFFICER, requested);
    let paid = at("2026-03-09T07:00:00+07:00"); // Monday opening
    let t = act(&waiting, &sample(ActionKind::RecordPayment, paid), OFFICER, paid, &cal).unwrap();
    assert_eq!(t.state.due_at, Some(at(DUE_AT)));
}

#[test]
fn recording_a_payment_outside_awaiting_payment_keeps_the_status_and_the_clock() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    for fixture in [Fixture::Submitted, Fixture::Received, Fixture::Processing, Fixture::Resolved] {
        let state = reach(fixture);
        let t = act(&state, &sample(ActionKind::RecordPayment, now), OFFICER, now, &cal).unwrap();
        assert_eq!((t.from, t.to), (state.status, state.status));
        assert_eq!(t.state.due_at, state.due_at);
        assert_eq!(t.state.pauses, state.pauses);
    }
}

#[test]
fn the_apology_changes_the_promised_date_but_not_the_due_instant() {
    let cal = calendar();
    let processing = reach(Fixture::Processing);
    let now = at("2026-03-09T10:00:00+07:00");
    let new_date = at("2026-03-13T16:00:00+07:00");
    let action = Action::Apologize { reason: "awaiting another agency's opinion".to_owned(), new_date };
    let t = act(&processing, &action, APPROVER, now, &cal).unwrap();
    assert_eq!((t.from, t.to), (Status::Processing, Status::Processing));
    assert_eq!(t.state.promised_at, Some(new_date));
    assert_eq!(t.state.due_at, Some(at(DUE_AT)));
    assert!(t.state.apologized);

    // Still judged against the legal due instant.
    let resolve_at = at("2026-03-12T10:00:00+07:00");
    let resolved = act(&t.state, &sample(ActionKind::Resolve, resolve_at), APPROVER, resolve_at, &cal).unwrap();
    assert_eq!(resolved.state.timeliness(resolve_at, &cal), Some(Timeliness::Late));
}

#[test]
fn a_second_apology_is_not_allowed() {
    let cal = calendar();
    let first = "2026-03-09T10:00:00+07:00";
    let apologized = step(&reach(Fixture::Processing), &sample(ActionKind::Apologize, at(first)), APPROVER, first);
    let now = at("2026-03-09T11:00:00+07:00");
    let result = act(&apologized, &sample(ActionKind::Apologize, now), APPROVER, now, &cal);
    let allowed = assert_not_allowed(&result, &apologized, ActionKind::Apologize);
    assert!(!allowed.contains(&ActionKind::Apologize));
}

#[test]
fn an_apology_at_or_after_the_due_instant_is_not_allowed() {
    let cal = calendar();
    let processing = reach(Fixture::Processing);
    for now in [at(DUE_AT), at(DUE_AT) + TimeDelta::seconds(1), at("2026-03-12T10:00:00+07:00")] {
        let result = act(&processing, &sample(ActionKind::Apologize, now), APPROVER, now, &cal);
        let allowed = assert_not_allowed(&result, &processing, ActionKind::Apologize);
        assert!(!allowed.contains(&ActionKind::Apologize));
    }
    let just_before = at(DUE_AT) - TimeDelta::seconds(1);
    assert!(act(&processing, &sample(ActionKind::Apologize, just_before), APPROVER, just_before, &cal).is_ok());
}

#[test]
fn an_apology_needs_a_new_date_after_the_due_instant_and_a_reason() {
    let cal = calendar();
    let processing = reach(Fixture::Processing);
    let now = at("2026-03-09T10:00:00+07:00");
    for new_date in [at(DUE_AT), at(DUE_AT) - TimeDelta::hours(1), now] {
        let action = Action::Apologize { reason: "late".to_owned(), new_date };
        assert_invalid(&act(&processing, &action, APPROVER, now, &cal), "new_date");
    }
    let no_reason = Action::Apologize { reason: " ".to_owned(), new_date: at("2026-03-20T10:00:00+07:00") };
    assert_invalid(&act(&processing, &no_reason, APPROVER, now, &cal), "reason");
    let one_second_after =
        Action::Apologize { reason: "late".to_owned(), new_date: at(DUE_AT) + TimeDelta::seconds(1) };
    assert!(act(&processing, &one_second_after, APPROVER, now, &cal).is_ok());
}

#[test]
fn while_paused_the_apology_deadline_is_the_extended_due_instant() {
    let cal = calendar();
    let waiting = reach(Fixture::AwaitingSupplement);
    // Paused since Wed 4 Mar 09:00; at Tue 10 Mar 10:00 the pause has held
    // 6 + 8 + 8 + 8 + 3 = 33 h, so the due instant stands at Tue 10 Mar 09:00
    // + 33 h = Tue 6 h, Wed 8 h, Thu 8 h, Fri 8 h, Mon 16 Mar 07:00 + 3 h = 10:00.
    let now = at("2026-03-10T10:00:00+07:00");
    let extended = at("2026-03-16T10:00:00+07:00");
    assert_eq!(waiting.effective_due(now, &cal), Some(extended));
    let too_early = Action::Apologize { reason: "late".to_owned(), new_date: extended };
    assert_invalid(&act(&waiting, &too_early, APPROVER, now, &cal), "new_date");
    let fine = Action::Apologize { reason: "late".to_owned(), new_date: at("2026-03-18T17:00:00+07:00") };
    let t = act(&waiting, &fine, APPROVER, now, &cal).unwrap();
    assert_eq!(t.to, Status::AwaitingSupplement);
    assert_eq!(t.state.due_at, Some(at(DUE_AT)));
}

fn resolve_at(now: DateTime<Utc>) -> DossierState {
    act(&reach(Fixture::Processing), &sample(ActionKind::Resolve, now), APPROVER, now, &calendar()).unwrap().state
}

#[test]
fn resolved_exactly_at_the_due_instant_is_on_time() {
    let now = at(DUE_AT);
    let resolved = resolve_at(now);
    assert_eq!(resolved.resolved_at, Some(now));
    assert_eq!(resolved.outcome, Some(Outcome::Granted));
    assert_eq!(resolved.timeliness(now + TimeDelta::days(3), &calendar()), Some(Timeliness::OnTime));
}

#[test]
fn resolved_one_second_after_the_due_instant_is_late() {
    let now = at(DUE_AT) + TimeDelta::seconds(1);
    assert_eq!(resolve_at(now).timeliness(now, &calendar()), Some(Timeliness::Late));
}

#[test]
fn resolved_a_day_before_the_due_day_is_early() {
    let now = at("2026-03-09T09:00:00+07:00");
    assert_eq!(resolve_at(now).timeliness(now, &calendar()), Some(Timeliness::Early));
}

#[test]
fn resolved_earlier_on_the_due_day_is_on_time() {
    let now = at("2026-03-10T07:30:00+07:00");
    assert_eq!(resolve_at(now).timeliness(now, &calendar()), Some(Timeliness::OnTime));
}

#[test]
fn the_return_keeps_the_resolution_and_its_timeliness() {
    let cal = calendar();
    let resolved_at = at(DUE_AT) + TimeDelta::seconds(1);
    let resolved = resolve_at(resolved_at);
    let now = at("2026-03-11T08:00:00+07:00");
    let returned = act(&resolved, &sample(ActionKind::Return, now), OFFICER, now, &cal).unwrap().state;
    assert_eq!(returned.status, Status::Returned);
    assert_eq!(returned.resolved_at, Some(resolved_at));
    assert_eq!(returned.returned_at, Some(now));
    assert_eq!(returned.timeliness(now, &cal), Some(Timeliness::Late));
}

#[test]
fn an_open_dossier_is_within_deadline_until_the_due_instant_then_overdue() {
    let cal = calendar();
    let processing = reach(Fixture::Processing);
    assert_eq!(processing.timeliness(at(DUE_AT), &cal), Some(Timeliness::WithinDeadline));
    assert_eq!(processing.timeliness(at(DUE_AT) + TimeDelta::seconds(1), &cal), Some(Timeliness::Overdue));
}

#[test]
fn a_denial_needs_a_reason() {
    let cal = calendar();
    let processing = reach(Fixture::Processing);
    let now = at(TABLE_NOW);
    for reason in [None, Some(String::new()), Some("   ".to_owned())] {
        let action = Action::Resolve { outcome: Outcome::Denied, reason };
        assert_invalid(&act(&processing, &action, APPROVER, now, &cal), "reason");
    }
    let denied = Action::Resolve { outcome: Outcome::Denied, reason: Some("the land is under dispute".to_owned()) };
    let t = act(&processing, &denied, APPROVER, now, &cal).unwrap();
    assert_eq!((t.to, t.state.outcome), (Status::Resolved, Some(Outcome::Denied)));
    assert!(t.note.unwrap().contains("the land is under dispute"));
}

#[test]
fn a_refusal_and_a_stop_need_a_reason() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    for reason in ["", "  \t "] {
        let refuse = Action::Refuse { reason: reason.to_owned() };
        assert_invalid(&act(&submitted(), &refuse, OFFICER, now, &cal), "reason");
        let stop = Action::Stop { reason: reason.to_owned(), cause: None };
        assert_invalid(&act(&reach(Fixture::Processing), &stop, APPROVER, now, &cal), "reason");
    }
}

#[test]
fn stopping_or_withdrawing_a_paused_dossier_closes_its_pause() {
    let cal = calendar();
    let now = at(TABLE_NOW);
    for fixture in [Fixture::AwaitingSupplement, Fixture::AwaitingPayment] {
        for kind in [ActionKind::Stop, ActionKind::Withdraw] {
            let t = act(&reach(fixture), &sample(kind, now), entitled(kind), now, &cal).unwrap();
            assert_eq!(t.state.open_pause(), None, "{fixture:?} {kind:?}");
            assert!(t.state.pauses.iter().all(|p| p.to.is_some()));
            assert_eq!(t.state.timeliness(now, &cal), None);
        }
    }
}

// ---------------------------------------------------------------------------
// 4. Property: random walks from `submitted`
// ---------------------------------------------------------------------------

/// One random step of a walk.
#[derive(Debug, Clone)]
struct Step {
    /// Picks the action kind (among all, or among the allowed ones when `steer`).
    pick: u8,
    /// Pick among the currently allowed moves, to reach deep states more often.
    steer: bool,
    /// Picks the caller when not `entitled`.
    party: u8,
    /// Act as the caller the rules name for the action.
    entitled: bool,
    advance_minutes: i64,
    /// Valid arguments (else ones that break a rule).
    valid: bool,
}

fn walk() -> impl Strategy<Value = (i64, Vec<Step>)> {
    let step = (
        any::<u8>(),
        prop::bool::weighted(0.6),
        any::<u8>(),
        prop::bool::weighted(0.8),
        prop_oneof![Just(0i64), 1i64..=90, 91i64..=600, 601i64..=4320],
        prop::bool::weighted(0.9),
    )
        .prop_map(|(pick, steer, party, entitled, advance_minutes, valid)| Step {
            pick,
            steer,
            party,
            entitled,
            advance_minutes,
            valid,
        });
    // Starts anywhere in 20 days from Mon 20 Apr 2026, across the Hùng Kings'
    // day, 30 April and 1 May.
    (0i64..20 * 24 * 60, prop::collection::vec(step, 1..=30))
}

/// What the walk knows independently of the code under test.
struct Model {
    /// The legal due instant: the calendar's due instant at reception, moved by each ended pause.
    due: Option<DateTime<Utc>>,
    /// The start of the open pause, if the dossier waits after reception.
    pause_from: Option<DateTime<Utc>>,
    supplement_requests_in_processing: u32,
    apologies: u32,
    /// The final status, once reached.
    final_status: Option<Status>,
}

impl Model {
    fn effective_due(&self, now: DateTime<Utc>, cal: &WorkingCalendar) -> Option<DateTime<Utc>> {
        let due = self.due?;
        Some(match self.pause_from {
            Some(from) if now > from => cal.apply_pauses(due, &[Pause { from, to: now }]),
            _ => due,
        })
    }

    /// The conditions of docs/RULES.md §4.2 beyond the status: a supplement is
    /// requested at most once while processing; the apology is issued once,
    /// before the due instant.
    fn conditions_hold(&self, from: Fixture, kind: ActionKind, now: DateTime<Utc>, cal: &WorkingCalendar) -> bool {
        match (from, kind) {
            (Fixture::Processing, ActionKind::RequestSupplement) => self.supplement_requests_in_processing == 0,
            (_, ActionKind::Apologize) => self.apologies == 0 && self.effective_due(now, cal).is_some_and(|d| now < d),
            _ => true,
        }
    }

    /// Follows a successful move.
    fn follow(&mut self, from: Fixture, kind: ActionKind, to: Status, now: DateTime<Utc>, cal: &WorkingCalendar) {
        if kind == ActionKind::Receive {
            self.due = Some(cal.due_instant(now, 5, TimeUnit::WorkingDays, false));
        }
        let paused_before = matches!(from, Fixture::AwaitingSupplement | Fixture::AwaitingPayment);
        let paused_after = to == Status::AwaitingPayment || (to == Status::AwaitingSupplement && self.due.is_some());
        if paused_before && !paused_after {
            if let (Some(due), Some(pause_from)) = (self.due, self.pause_from.take()) {
                self.due = Some(cal.apply_pauses(due, &[Pause { from: pause_from, to: now }]));
            }
        }
        if !paused_before && paused_after {
            self.pause_from = Some(now);
        }
        if from == Fixture::Processing && kind == ActionKind::RequestSupplement {
            self.supplement_requests_in_processing += 1;
        }
        if kind == ActionKind::Apologize {
            self.apologies += 1;
        }
        if to.is_final() {
            self.final_status = Some(to);
        }
    }
}

fn choose_kind(step: &Step, state: &DossierState, now: DateTime<Utc>, cal: &WorkingCalendar) -> ActionKind {
    let any = ActionKind::ALL[usize::from(step.pick) % ActionKind::ALL.len()];
    if !step.steer {
        return any;
    }
    // Moves into a final status are picked less often, so that walks go deep.
    let ending = |k: &ActionKind| matches!(k, ActionKind::Withdraw | ActionKind::Stop | ActionKind::Refuse);
    let allowed = allowed_actions(state, now, cal);
    let preferred: Vec<ActionKind> =
        if step.pick < 32 { allowed.clone() } else { allowed.iter().copied().filter(|k| !ending(k)).collect() };
    let pool = if preferred.is_empty() { allowed } else { preferred };
    pool.get(usize::from(step.pick) % pool.len().max(1)).copied().unwrap_or(any)
}

fn choose_party(step: &Step, kind: ActionKind) -> Party {
    if !step.entitled {
        return PARTIES[usize::from(step.party) % PARTIES.len()];
    }
    match entitled(kind) {
        OFFICER if step.party % 2 == 1 => APPROVER,
        party => party,
    }
}

fn choose_action(step: &Step, kind: ActionKind, now: DateTime<Utc>, model: &Model, cal: &WorkingCalendar) -> Action {
    if !step.valid {
        return invalid_sample(kind, now);
    }
    match sample(kind, now) {
        Action::Apologize { reason, .. } => {
            let due = model.effective_due(now, cal).unwrap_or(now).max(now);
            Action::Apologize { reason, new_date: due + TimeDelta::days(1) }
        }
        action => action,
    }
}

fn describe(result: &Result<Transition, TransitionError>) -> String {
    match result {
        Ok(t) => format!("ok {:?} → {:?}", t.from, t.to),
        Err(TransitionError::NotAllowed { reason, .. }) => format!("not allowed: {reason}"),
        Err(e) => format!("{e:?}"),
    }
}

fn check_walk(start_offset_minutes: i64, steps: &[Step]) -> Result<(), TestCaseError> {
    let cal = calendar_with_holidays();
    let mut now = at("2026-04-20T06:00:00+07:00") + TimeDelta::minutes(start_offset_minutes);
    let mut state = submitted();
    let mut model =
        Model { due: None, pause_from: None, supplement_requests_in_processing: 0, apologies: 0, final_status: None };
    let mut trail: Vec<String> = Vec::new();
    for step in steps {
        now += TimeDelta::minutes(step.advance_minutes);
        let kind = choose_kind(step, &state, now, &cal);
        let party = choose_party(step, kind);
        let action = choose_action(step, kind, now, &model, &cal);
        let from = Fixture::of(state.status, state.received_at.is_some());
        let result = act(&state, &action, party, now, &cal);
        trail.push(format!(
            "{} {kind:?} by {party:?} from {from:?}: {}",
            now.with_timezone(&crate::calendar::VIETNAM),
            describe(&result)
        ));
        let trail_text = trail.join("\n");

        let visible = spec_visible(party);
        let permitted = spec_entitled(kind, party);
        let target = spec_target(from, kind);
        let conditions = model.conditions_hold(from, kind, now, &cal);
        match &result {
            Ok(t) => {
                prop_assert!(visible && permitted, "a caller without the right moved the dossier\n{}", trail_text);
                // (a) every move is in the rules' table, its conditions held
                prop_assert_eq!(Some(t.to), target, "move not in the rules' table\n{}", trail_text);
                prop_assert!(conditions, "a once-only or before-due condition was broken\n{}", trail_text);
                prop_assert!(step.valid, "invalid arguments were accepted\n{}", trail_text);
                // (b) no move leaves a final status
                prop_assert!(!state.status.is_final(), "left a final status\n{}", trail_text);
                prop_assert_eq!((t.from, t.action, t.state.status), (state.status, kind, t.to));
                let previous_due = state.due_at;
                model.follow(from, kind, t.to, now, &cal);
                state = t.state.clone();
                // (c) the due instant, once set, never moves backwards
                if let Some(before) = previous_due {
                    prop_assert!(state.due_at.is_some_and(|d| d >= before), "due moved back\n{}", trail_text);
                }
            }
            Err(TransitionError::NotVisible) => {
                prop_assert!(!visible, "a caller who may see the dossier got NotVisible\n{}", trail_text);
            }
            Err(TransitionError::Forbidden { right, .. }) => {
                prop_assert!(visible && !permitted, "an entitled caller was forbidden\n{}", trail_text);
                prop_assert_eq!(*right, right_of(kind));
            }
            Err(TransitionError::NotAllowed { status, action: refused, allowed, .. }) => {
                prop_assert!(visible && permitted);
                prop_assert!(target.is_none() || !conditions, "a move the rules allow was refused\n{}", trail_text);
                prop_assert_eq!((*status, *refused), (state.status, kind));
                prop_assert_eq!(allowed, &allowed_actions(&state, now, &cal));
            }
            Err(TransitionError::Invalid(e)) => {
                prop_assert!(visible && permitted && target.is_some() && conditions);
                prop_assert!(!step.valid, "valid arguments were rejected: {:?}\n{}", e, trail_text);
            }
            Err(TransitionError::InvalidFields(errors)) => {
                prop_assert!(visible && permitted && target.is_some() && conditions);
                prop_assert!(!step.valid, "valid arguments were rejected: {:?}\n{}", errors, trail_text);
                prop_assert!(errors.len() > 1, "several fields, or Invalid");
            }
        }

        // The legal due instant matches the calendar's, moved by each ended pause.
        prop_assert_eq!(state.due_at, model.due, "due instant differs from the model\n{}", trail_text);
        // (b) a final status is kept
        if let Some(final_status) = model.final_status {
            prop_assert_eq!(state.status, final_status);
        }
        // (d) at most one supplement request while processing, one apology ever
        prop_assert!(model.supplement_requests_in_processing <= 1 && model.apologies <= 1);
        prop_assert_eq!(state.supplement_requested_in_processing, model.supplement_requests_in_processing == 1);
        prop_assert_eq!(state.apologized, model.apologies == 1);
        // (e) resolved_at is set iff resolved or returned
        prop_assert_eq!(
            state.resolved_at.is_some(),
            matches!(state.status, Status::Resolved | Status::Returned),
            "resolved_at vs status\n{}",
            trail_text
        );
        // (f) at most one open pause, and one exists iff the dossier waits after reception
        let open: Vec<_> = state.pauses.iter().filter(|p| p.to.is_none()).collect();
        prop_assert!(open.len() <= 1, "several open pauses\n{}", trail_text);
        let waits = state.status == Status::AwaitingPayment
            || (state.status == Status::AwaitingSupplement && state.received_at.is_some());
        prop_assert_eq!(!open.is_empty(), waits, "open pause vs status\n{}", trail_text);
        prop_assert_eq!(state.open_pause().map(|p| p.from), model.pause_from, "pause start vs model\n{}", trail_text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(1000) })]

    #[test]
    fn random_walks_keep_to_the_spec_table_and_the_deadline_rules((start, steps) in walk()) {
        check_walk(start, &steps)?;
    }
}

// ---------------------------------------------------------------------------
// Recomputing a due instant on a changed calendar (a horizon extended)
// ---------------------------------------------------------------------------

/// The default week with Mon 9 Mar 2026 as a holiday, as if announced later.
fn calendar_with_9_march_off() -> WorkingCalendar {
    WorkingCalendar::new(CalendarSpec {
        holidays: vec![NamedDateSpec::new("2026-03-09", "Nghỉ (thông báo sau)")],
        ..CalendarSpec::default()
    })
    .unwrap()
}

/// Received Tue 3 Mar 09:00 (due Tue 10 Mar 09:00), paused Wed 4 → Thu 5 Mar 09:00 (8 office hours).
fn supplemented() -> DossierState {
    let supplied_at = at("2026-03-05T09:00:00+07:00");
    act(
        &reach(Fixture::AwaitingSupplement),
        &sample(ActionKind::Supplement, supplied_at),
        APPLICANT,
        supplied_at,
        &calendar(),
    )
    .unwrap()
    .state
}

#[test]
fn recomputing_on_the_same_calendar_changes_nothing() {
    let state = supplemented();
    assert_eq!(state.recompute_due(&calendar()), state);
}

#[test]
fn recomputing_on_a_calendar_with_a_new_holiday_counts_from_the_reception_and_through_each_pause() {
    let state = supplemented().recompute_due(&calendar_with_9_march_off());
    // 5 working days from Tue 3 Mar skip Mon 9: Wed 11 Mar 09:00; the pause's 8 hours: Thu 12 Mar 09:00.
    assert_eq!(state.pauses[0].due_before, Some(at("2026-03-11T09:00:00+07:00")));
    assert_eq!(state.pauses[0].due_after, Some(at("2026-03-12T09:00:00+07:00")));
    assert_eq!(state.due_at, Some(at("2026-03-12T09:00:00+07:00")));
}

#[test]
fn recomputing_leaves_an_open_pause_open() {
    let waiting = reach(Fixture::AwaitingSupplement);
    let state = waiting.recompute_due(&calendar_with_9_march_off());
    assert_eq!(state.due_at, Some(at("2026-03-11T09:00:00+07:00")));
    assert_eq!(state.pauses, waiting.pauses);
}

#[test]
fn recomputing_before_reception_changes_nothing() {
    assert_eq!(submitted().recompute_due(&calendar_with_9_march_off()), submitted());
}

#[test]
fn every_invalid_field_of_a_command_is_answered_at_once() {
    let now = at("2026-03-04T10:00:00+07:00");
    let action = Action::RequestSupplement { items: Vec::new(), reply_by: now, note: Some("x".repeat(2001)) };
    match act(&submitted(), &action, OFFICER, now, &calendar()) {
        Err(TransitionError::InvalidFields(errors)) => {
            let fields: Vec<Option<&str>> = errors.iter().map(|e| e.field.as_deref()).collect();
            // The command's own fields first, then what the instant decides.
            assert_eq!(fields, [Some("items"), Some("note"), Some("reply_by")]);
        }
        other => panic!("expected every invalid field, got {other:?}"),
    }
}

#[test]
fn a_supplement_request_keeps_its_items_until_the_dossier_leaves_awaiting_supplement() {
    for fixture in [Fixture::IntakeSupplement, Fixture::AwaitingSupplement] {
        let waiting = reach(fixture);
        assert_eq!(waiting.supplement_items, missing_component(), "{fixture:?}");
    }
    assert!(supplemented().supplement_items.is_empty());
    assert!(supplemented().reply_by.is_none());
    let now = at("2026-03-05T09:00:00+07:00");
    let withdrawn =
        act(&reach(Fixture::IntakeSupplement), &sample(ActionKind::Withdraw, now), APPLICANT, now, &calendar());
    assert!(withdrawn.unwrap().state.supplement_items.is_empty());
}

// ---------------------------------------------------------------------------
// The command's own fields, checked apart from any dossier
// ---------------------------------------------------------------------------

fn fields_of(action: &Action) -> Vec<(String, &'static str)> {
    super::field_errors(action).into_iter().map(|e| (e.field.unwrap_or_default(), e.code.as_str())).collect()
}

#[test]
fn field_errors_name_every_bad_field_and_nothing_else() {
    let long = "x".repeat(2001);
    assert_eq!(fields_of(&Action::Refuse { reason: " \t".into() }), [("reason".to_owned(), "required")]);
    assert_eq!(fields_of(&Action::Receive { note: Some(long.clone()) }), [("note".to_owned(), "length")]);
    assert!(fields_of(&Action::Receive { note: Some("   ".into()) }).is_empty(), "a blank note is no note");
    let items = vec![SupplementItem { component_code: "TP01".into(), problem: String::new() }];
    let request = Action::RequestSupplement { items, reply_by: at("2000-01-01T00:00:00+07:00"), note: None };
    // The reply deadline in the past is the state machine's to judge, with the instant.
    assert_eq!(fields_of(&request), [("items[0].problem".to_owned(), "required")]);
    assert_eq!(
        fields_of(&Action::RecordPayment { amount_vnd: 0, note: Some(long) }),
        [("amount_vnd".to_owned(), "out_of_range"), ("note".to_owned(), "length")]
    );
    assert_eq!(
        fields_of(&Action::Resolve { outcome: Outcome::Denied, reason: None }),
        [("reason".to_owned(), "required")]
    );
    assert!(fields_of(&Action::Resolve { outcome: Outcome::Granted, reason: None }).is_empty());
}

#[test]
fn apply_refuses_what_field_errors_finds() {
    let action = Action::Refuse { reason: String::new() };
    assert!(!super::field_errors(&action).is_empty());
    let refused = act(&submitted(), &action, OFFICER, at("2026-03-02T09:00:00+07:00"), &calendar());
    assert_invalid(&refused, "reason");
}

#[test]
fn a_relief_is_checked_without_the_fees_as_with_them() {
    assert!(FeeRelief::check(ReliefKind::Exempt, None, "Điều 5").is_ok());
    assert!(FeeRelief::check(ReliefKind::Exempt, Some(1), "Điều 5").is_err());
    assert!(FeeRelief::check(ReliefKind::Reduced, None, "Điều 5").is_err());
    assert!(FeeRelief::check(ReliefKind::Reduced, Some(0), "Điều 5").is_err());
    assert!(FeeRelief::check(ReliefKind::Reduced, Some(crate::procedure::MAX_FEE_VND), "Điều 5").is_ok());
    assert!(FeeRelief::check(ReliefKind::Reduced, Some(10), " ").is_err());
    // What the fees decide is left to FeeRelief::new.
    assert!(FeeRelief::new(ReliefKind::Reduced, Some(10), "Điều 5", 10).is_err());
}
