//! The rows of a dossier export (the list, a figure's drill-down): the
//! dossier as it stands now, one row each (docs/RULES.md §7).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dvc_persistence::dossiers::StoredDossier;
use dvc_persistence::{agencies, DbConnection};
use serde::Serialize;

use super::access::view_many;
use super::types::DossierOut;
use crate::error::ApiError;
use crate::export::{Sheet, Value};

/// Agency names by code.
pub type Names = HashMap<String, String>;

pub fn agency_names(conn: &mut DbConnection) -> Result<Names, ApiError> {
    Ok(agencies::all(conn)?.into_iter().map(|(code, name, _)| (code, name)).collect())
}

/// Whether the rows name the applicant: the list does (as its JSON does);
/// a figure's drill-down is about the service, not the people, and does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicant {
    Named,
    Omitted,
}

pub fn header(sheet: &mut dyn Sheet, applicant: Applicant) -> Result<(), ApiError> {
    let mut cols = vec![
        "code",
        "external_code",
        "status",
        "status_code",
        "channel",
        "procedure",
        "procedure_version",
        "sector",
        "receiving_agency",
        "receiving_agency_name",
        "handling_agency",
        "handling_agency_name",
    ];
    if applicant == Applicant::Named {
        cols.extend(["applicant_kind", "applicant_id_number", "applicant_name"]);
    }
    cols.extend([
        "submitted_at",
        "received_at",
        "due_at",
        "resolved_at",
        "returned_at",
        "timeliness",
        "outcome",
        "supplement_overdue",
        "sync_state",
    ]);
    let cells: Vec<Value> = cols.into_iter().map(Value::from).collect();
    sheet.row(&cells)
}

/// An enum's JSON word.
fn word(v: impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn row<'a>(d: &'a DossierOut, names: &'a Names, applicant: Applicant) -> Vec<Value<'a>> {
    let name = |code: &str| Value::from(names.get(code).map(String::as_str).unwrap_or_default());
    let at = |t: Option<chrono::DateTime<chrono::FixedOffset>>| Value::Instant(t.map(|t| t.to_utc()));
    let mut cells = vec![
        Value::from(d.code.as_str()),
        Value::from(d.external_code.as_deref().unwrap_or_default()),
        Value::from(word(d.status)),
        Value::Count(u64::from(d.status_code)),
        Value::from(word(d.channel)),
        Value::from(d.procedure.code.as_str()),
        Value::Count(u64::try_from(d.procedure.version).unwrap_or_default()),
        Value::from(d.sector.as_str()),
        Value::from(d.receiving_agency.as_str()),
        name(&d.receiving_agency),
        Value::from(d.handling_agency.as_str()),
        name(&d.handling_agency),
    ];
    if applicant == Applicant::Named {
        cells.extend([
            Value::from(word(d.applicant.kind)),
            Value::from(d.applicant.id_number.as_str()),
            Value::from(d.applicant.name.as_str()),
        ]);
    }
    cells.extend([
        at(Some(d.submitted_at)),
        at(d.received_at),
        at(d.due_at),
        at(d.resolved_at),
        at(d.returned_at),
        Value::from(d.timeliness.as_ref().map(word).unwrap_or_default()),
        Value::from(d.outcome.as_ref().map(word).unwrap_or_default()),
        Value::from(if d.supplement_overdue { "true" } else { "false" }),
        Value::from(word(d.sync.state)),
    ]);
    cells
}

/// Writes one page of dossiers, in the order given.
pub fn rows(
    conn: &mut DbConnection,
    sheet: &mut dyn Sheet,
    page: Vec<StoredDossier>,
    names: &Names,
    applicant: Applicant,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    for d in view_many(conn, page, now)? {
        sheet.row(&row(&d, names, applicant))?;
    }
    Ok(())
}
