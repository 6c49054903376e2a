//! Who may see and act on a dossier, and the view that goes back.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dvc_domain::auth::{Actor, Role};
use dvc_domain::calendar::WorkingCalendar;
use dvc_domain::dossier::{may_read, TransitionError};
use dvc_persistence::dossiers::{self, StoredDossier};
use dvc_persistence::{agencies, calendars, DbConnection};

use super::types::DossierOut;
use crate::error::ApiError;
use dvc_domain::ErrorCode;

/// The actor's relation to a dossier.
pub struct Access {
    pub is_applicant: bool,
    pub in_agency_scope: bool,
}

impl Access {
    pub fn of(conn: &mut DbConnection, actor: &Actor, d: &StoredDossier) -> Result<Self, ApiError> {
        let is_applicant = actor.role == Role::Citizen
            && (d.owner_sub.as_deref() == Some(actor.id.as_str()) || d.applicant.id_number == actor.id);
        let in_agency_scope = match &actor.agency {
            Some(agency) if actor.role.is_staff() => {
                let mut above = agencies::with_ancestors(conn, &d.state.receiving_agency)?;
                if d.state.handling_agency != d.state.receiving_agency {
                    above.extend(agencies::with_ancestors(conn, &d.state.handling_agency)?);
                }
                above.iter().any(|a| a == agency.as_str())
            }
            _ => false,
        };
        Ok(Self { is_applicant, in_agency_scope })
    }

    pub fn may_read(&self, actor: &Actor) -> bool {
        may_read(actor, self.is_applicant, self.in_agency_scope)
    }
}

pub fn not_found(code: &str) -> ApiError {
    ApiError::not_found(format!("dossier {code} not found"))
}

/// The dossier as `actor` may read it, or 404.
pub fn readable(conn: &mut DbConnection, actor: &Actor, code: &str) -> Result<StoredDossier, ApiError> {
    let d = dossiers::find(conn, code)?.ok_or_else(|| not_found(code))?;
    if Access::of(conn, actor, &d)?.may_read(actor) {
        Ok(d)
    } else {
        Err(not_found(code))
    }
}

pub fn calendar_of(conn: &mut DbConnection, d: &StoredDossier) -> Result<Arc<WorkingCalendar>, ApiError> {
    Ok(calendars::working(conn, &d.calendar_id)?)
}

/// The full representation (documents, timeliness, allowed actions).
pub fn view(conn: &mut DbConnection, d: StoredDossier, now: DateTime<Utc>) -> Result<DossierOut, ApiError> {
    view_many(conn, vec![d], now)?.pop().ok_or_else(|| ApiError::internal("no view of the dossier"))
}

/// The representations of many dossiers, with three queries in all
/// (calendars, documents, sync states) instead of three per dossier.
pub fn view_many(
    conn: &mut DbConnection,
    ds: Vec<StoredDossier>,
    now: DateTime<Utc>,
) -> Result<Vec<DossierOut>, ApiError> {
    let codes: Vec<String> = ds.iter().map(|d| d.code.to_string()).collect();
    let mut docs = dossiers::documents_of(conn, &codes)?;
    let mut syncs = dvc_persistence::changes::sync_states(conn, &codes)?;
    let mut checks: std::collections::HashMap<String, dvc_persistence::registry::Check> =
        dvc_persistence::registry::checks_of(conn, &codes)?
            .into_iter()
            .map(|c| (c.dossier_code.to_string(), c))
            .collect();
    let mut calendars_by_id: std::collections::HashMap<String, Arc<WorkingCalendar>> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(ds.len());
    for d in ds {
        if !calendars_by_id.contains_key(&d.calendar_id) {
            let c = calendar_of(conn, &d)?;
            calendars_by_id.insert(d.calendar_id.clone(), c);
        }
        let calendar = calendars_by_id.get(&d.calendar_id).ok_or_else(|| ApiError::internal("calendar cache"))?;
        let sync =
            syncs.remove(d.code.as_str()).unwrap_or(dvc_persistence::changes::SyncState { pending: 0, head: None });
        let documents = docs.remove(d.code.as_str()).unwrap_or_default();
        let check = checks.remove(d.code.as_str());
        out.push(DossierOut::new(d, documents, check, sync.into(), calendar, now));
    }
    Ok(out)
}

pub fn transition_error(code: &str, e: TransitionError) -> ApiError {
    match e {
        TransitionError::NotVisible => not_found(code),
        TransitionError::Forbidden { right, message } => ApiError::forbidden(right, message),
        TransitionError::NotAllowed { status, action, allowed, reason } => {
            let mut err = ApiError::conflict(
                ErrorCode::TransitionNotAllowed,
                format!("cannot {} a dossier that is {}: {reason}", action.as_str(), status.as_str()),
            )
            .vi(format!(
                "Không thể thực hiện thao tác {} với hồ sơ đang ở trạng thái {}",
                action.as_str(),
                status.as_str()
            ));
            err.extra.current_status = Some(status.into());
            err.extra.allowed_actions = Some(allowed.iter().copied().map(Into::into).collect());
            err
        }
        TransitionError::Invalid(d) => d.into(),
        TransitionError::InvalidFields(errors) => ApiError::from_domain_errors(errors, ""),
    }
}
