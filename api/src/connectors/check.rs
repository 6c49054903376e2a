//! The national databases where the law uses them (docs/RULES.md §11): the
//! applicant of a new dossier checked against the population or business
//! registration database, and documents reused from the citizen's data store.
//! Network calls run on the blocking pool, outside any database transaction,
//! each bounded by the connector's policy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};
use dvc_domain::auth::Actor;
use dvc_domain::dossier::{ApplicantKind, PersonalId, TaxCode};
use dvc_domain::registry::{
    judge_citizen, judge_enterprise, mask, CheckState, Difference, LookupError, Outcome, Registry, StoredDocument,
    Verdict,
};
use dvc_persistence::dossiers::ApplicantRecord;
use dvc_persistence::registry::{NewCheck, NewLookup};

use super::Connectors;
use crate::invalid::Invalid;
use dvc_domain::ErrorCode;

/// The first background retry of a check the database did not answer.
pub const FIRST_RETRY_SECS: i64 = 5;

/// Runs a blocking look-up on the blocking pool, and waits for it no longer
/// than `bound` (a little more than the connector's policy allows, since a
/// blocking client's read of a trickling body is not held by its timeout).
pub async fn blocking<T: Send + 'static>(
    bound: Duration,
    f: impl FnOnce() -> Result<T, LookupError> + Send + 'static,
) -> Result<T, LookupError> {
    match actix_web::rt::time::timeout(bound + Duration::from_millis(250), web::block(f)).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => Err(LookupError::Unavailable(format!("the look-up was cancelled: {e}"))),
        Err(_) => Err(LookupError::Unavailable(format!("no answer within {} ms", bound.as_millis()))),
    }
}

/// What a database said about an applicant.
pub enum Answer {
    Judged(Verdict),
    Failed(LookupError),
}

/// Asks the database that knows applicants of this kind; None when there is
/// none for the kind or it is not configured. Blocks: call it from a
/// blocking thread or a worker.
pub fn ask_now(connectors: &Connectors, applicant: &ApplicantRecord) -> Option<(Registry, Answer)> {
    match applicant.kind {
        ApplicantKind::Citizen => {
            let registry = connectors.population.as_ref()?;
            let id = PersonalId::parse(&applicant.id_number).ok()?;
            let got = registry.citizen(&id).map(|c| judge_citizen(&applicant.name, applicant.date_of_birth, &c));
            Some((Registry::Population, judge(got)))
        }
        ApplicantKind::Business => {
            let registry = connectors.business.as_ref()?;
            let code = TaxCode::parse(&applicant.id_number).ok()?;
            let got = registry.enterprise(&code).map(|e| judge_enterprise(&applicant.name, &e));
            Some((Registry::Business, judge(got)))
        }
        ApplicantKind::Agency | ApplicantKind::Organisation => None,
    }
}

/// [`ask_now`] on the blocking pool.
pub async fn ask(connectors: &Connectors, applicant: &ApplicantRecord) -> Option<(Registry, Answer)> {
    let registry = if applicant_kind_is_business(applicant) { Registry::Business } else { Registry::Population };
    let bound = connectors.bound;
    let (connectors, applicant) = (connectors.clone(), applicant.clone());
    blocking(bound, move || Ok(ask_now(&connectors, &applicant)))
        .await
        .unwrap_or_else(|e| Some((registry, Answer::Failed(e))))
}

fn applicant_kind_is_business(a: &ApplicantRecord) -> bool {
    a.kind == ApplicantKind::Business
}

fn judge(got: Result<Verdict, LookupError>) -> Answer {
    match got {
        Ok(v) => Answer::Judged(v),
        Err(e) => Answer::Failed(e),
    }
}

impl Answer {
    /// The outcome for the audit log; None when no database was asked (an
    /// open breaker refuses before asking).
    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            Self::Judged(Verdict::Verified) => Some(Outcome::Verified),
            Self::Judged(Verdict::Mismatch(_)) => Some(Outcome::Mismatch),
            Self::Failed(LookupError::CircuitOpen | LookupError::NotConfigured) => None,
            Self::Failed(e) => Some(e.outcome()),
        }
    }
}

/// A look-up for the audit log.
pub fn lookup(
    actor: &Actor,
    registry: Registry,
    subject: &str,
    purpose: &str,
    outcome: Outcome,
    at: DateTime<Utc>,
) -> NewLookup {
    NewLookup {
        at,
        actor: actor.clone(),
        registry,
        subject: subject.to_owned(),
        dossier_code: None,
        purpose: purpose.to_owned(),
        outcome,
    }
}

/// The applicant's check and its look-ups, ready to be written with the dossier.
#[derive(Default)]
pub struct Checked {
    pub check: Option<NewCheck>,
    pub lookups: Vec<NewLookup>,
}

/// What a submission does when the database disagrees with its applicant.
#[derive(Debug, Clone, Copy)]
pub enum OnDisagreement<'a> {
    /// Refuse with field errors; `reveal`: whether they may say what the
    /// database holds (staff, whose look-ups are theirs to make).
    Refuse { reveal: bool },
    /// Staff accept it, with this reason.
    Accept(&'a str),
    /// Take the dossier and show the disagreement on it, for staff to settle
    /// (a national-portal push: the citizen has already submitted there).
    Record,
}

/// Checks a new dossier's applicant. A mismatch or an unknown person is
/// handled as `on` says; a database that does not answer leaves the check
/// pending, to be retried in the background.
pub async fn check_applicant(
    connectors: &Connectors,
    actor: &Actor,
    applicant: &ApplicantRecord,
    on: OnDisagreement<'_>,
    now: DateTime<Utc>,
    invalid: &mut Invalid,
) -> Checked {
    let Some((registry, answer)) = ask(connectors, applicant).await else { return Checked::default() };
    let purpose = "check the applicant of a new dossier";
    let lookups: Vec<NewLookup> =
        answer.outcome().map(|o| lookup(actor, registry, &applicant.id_number, purpose, o, now)).into_iter().collect();
    let base = NewCheck {
        registry,
        state: CheckState::Verified,
        differences: Vec::new(),
        reason: None,
        decided_by: None,
        last_error: None,
        checked_at: Some(now),
        next_attempt_at: None,
    };
    let keep = |differences: Vec<Difference>, state: CheckState| match on {
        OnDisagreement::Accept(reason) => Some(NewCheck {
            state,
            differences,
            reason: Some(reason.to_owned()),
            decided_by: Some(actor.id.clone()),
            ..base.clone()
        }),
        OnDisagreement::Record => Some(NewCheck {
            state: if state == CheckState::Overridden { CheckState::Mismatch } else { state },
            differences,
            ..base.clone()
        }),
        OnDisagreement::Refuse { .. } => None,
    };
    // Stored on the dossier, which its applicant reads: without the record.
    let kept = |differences: Vec<Difference>, state: CheckState| {
        let differences: Vec<Difference> = differences.iter().map(|d| d.neutral(registry)).collect();
        keep(differences, state)
    };
    let reveal = matches!(on, OnDisagreement::Refuse { reveal: true });
    let check = match answer {
        Answer::Judged(Verdict::Verified) => base,
        Answer::Judged(Verdict::Mismatch(differences)) => {
            if let Some(check) = kept(differences.clone(), CheckState::Overridden) {
                check
            } else {
                for d in &differences {
                    let message = if reveal { d.message.clone() } else { d.neutral(registry).message };
                    invalid.push(&format!("applicant.{}", d.field), ErrorCode::ApplicantMismatch, message);
                }
                return Checked { check: None, lookups };
            }
        }
        Answer::Failed(LookupError::NotFound) => {
            if let Some(check) = kept(Vec::new(), CheckState::NotFound) {
                check
            } else {
                invalid.push(
                    "applicant.id_number",
                    ErrorCode::ApplicantNotFound,
                    format!("the {registry} database holds no record of this number"),
                );
                return Checked { check: None, lookups };
            }
        }
        Answer::Failed(e) => {
            log::warn!(
                "{registry} database: applicant {} not checked at submission, retried in the background: {e}",
                mask(&applicant.id_number)
            );
            NewCheck {
                state: CheckState::Pending,
                checked_at: None,
                last_error: Some(e.to_string()),
                next_attempt_at: Some(now + chrono::Duration::seconds(FIRST_RETRY_SECS)),
                ..base
            }
        }
    };
    Checked { check: Some(check), lookups }
}

/// Documents fetched from the data store, by their code there.
pub type Fetched = HashMap<String, Result<Arc<StoredDocument>, LookupError>>;

/// Fetches every document a submission reuses from the citizen's data store
/// (owned by the applicant), with its look-ups for the audit log.
pub async fn fetch_documents(
    connectors: &Connectors,
    actor: &Actor,
    owner_id: &str,
    codes: Vec<String>,
    now: DateTime<Utc>,
) -> (Fetched, Vec<NewLookup>) {
    let mut fetched = Fetched::new();
    let mut lookups = Vec::new();
    for code in codes {
        if fetched.contains_key(&code) {
            continue;
        }
        let got = match connectors.data_store.clone() {
            None => Err(LookupError::NotConfigured),
            Some(store) => {
                let (c, o) = (code.clone(), owner_id.to_owned());
                blocking(connectors.bound, move || store.document(&c, &o)).await
            }
        };
        let outcome = match &got {
            Ok(_) => Some(Outcome::Found),
            Err(LookupError::CircuitOpen | LookupError::NotConfigured) => None,
            Err(e) => Some(e.outcome()),
        };
        if let Some(o) = outcome {
            let purpose = format!("reuse document {code} from the applicant's data store in a new dossier");
            lookups.push(lookup(actor, Registry::DataStore, owner_id, &purpose, o, now));
        }
        fetched.insert(code, got.map(Arc::new));
    }
    (fetched, lookups)
}
