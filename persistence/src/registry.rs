//! The national databases' side of the store (docs/RULES.md §11): the
//! append-only, chained audit log of look-ups, and each dossier's applicant
//! check with the outbox of checks still to make.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::{Actor, Role};
use dvc_domain::dossier::DossierCode;
use dvc_domain::registry::{AuditLink, CheckState, Difference, Outcome, Registry};

use crate::column::OptionalName;
use crate::connection::{write_transaction, DbConnection};
use crate::error::StoreError;
use crate::schema::{applicant_checks, registry_lookups};
use crate::time::{from_db, to_db};

/// A look-up to write to the audit log.
#[derive(Debug, Clone)]
pub struct NewLookup {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub registry: Registry,
    /// Whose record: the ID number, tax code or document code asked about.
    pub subject: String,
    /// Filled in when the dossier is created in the same transaction.
    pub dossier_code: Option<DossierCode>,
    pub purpose: String,
    pub outcome: Outcome,
}

/// An entry of the audit log of look-ups.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: Role,
    pub actor_agency: Option<AgencyCode>,
    pub registry: Registry,
    pub subject: String,
    pub dossier_code: Option<DossierCode>,
    pub purpose: String,
    pub outcome: Outcome,
    pub hash: String,
}

impl From<LookupRow> for Lookup {
    fn from(r: LookupRow) -> Self {
        Lookup {
            seq: r.seq,
            at: from_db(r.at),
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            actor_agency: r.actor_agency,
            registry: r.registry,
            subject: r.subject,
            dossier_code: r.dossier_code,
            purpose: r.purpose,
            outcome: r.outcome,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = registry_lookups)]
pub(crate) struct LookupRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub actor_role: Role,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    pub actor_agency: Option<AgencyCode>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub registry: Registry,
    pub subject: String,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    pub dossier_code: Option<DossierCode>,
    pub purpose: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub outcome: Outcome,
    pub hash: String,
}

impl LookupRow {
    fn link(&self) -> (AuditLink<'_>, String) {
        let at = self.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
        (
            AuditLink {
                seq: self.seq,
                at: "",
                actor_id: &self.actor_id,
                actor_role: self.actor_role.as_str(),
                actor_agency: self.actor_agency.as_ref().map(AgencyCode::as_str),
                registry: self.registry.as_str(),
                subject: &self.subject,
                dossier_code: self.dossier_code.as_ref().map(DossierCode::as_str),
                purpose: &self.purpose,
                outcome: self.outcome.as_str(),
            },
            at,
        )
    }

    /// The hash of this row's content chained to `previous`.
    pub fn link_hash(&self, previous: Option<&str>) -> String {
        let (link, at) = self.link();
        AuditLink { at: &at, ..link }.hash(previous)
    }
}

/// Appends look-ups to the audit log, each chained to the one before,
/// inside the caller's transaction. Appends are serialised (an advisory
/// lock on PostgreSQL, the single writer on SQLite) so that the chain never
/// forks.
pub fn append(
    conn: &mut DbConnection,
    lookups: &[NewLookup],
    dossier_code: Option<&DossierCode>,
) -> Result<(), StoreError> {
    if lookups.is_empty() {
        return Ok(());
    }
    if conn.is_postgres() {
        // 0x6476632d6c6f67 is "dvc-log".
        diesel::sql_query("SELECT pg_advisory_xact_lock(28263722720765799)").execute(conn)?;
    }
    let last: Option<(i64, String)> = registry_lookups::table
        .order(registry_lookups::seq.desc())
        .select((registry_lookups::seq, registry_lookups::hash))
        .first(conn)
        .optional()?;
    let (mut seq, mut previous) = match last {
        Some((s, h)) => (s, Some(h)),
        None => (0, None),
    };
    let mut rows = Vec::with_capacity(lookups.len());
    for l in lookups {
        seq += 1;
        let mut row = LookupRow {
            seq,
            at: to_db(l.at),
            actor_id: l.actor.id.clone(),
            actor_role: l.actor.role,
            actor_agency: l.actor.agency.clone(),
            registry: l.registry,
            subject: l.subject.clone(),
            dossier_code: dossier_code.cloned().or_else(|| l.dossier_code.clone()),
            purpose: l.purpose.clone(),
            outcome: l.outcome,
            hash: String::new(),
        };
        row.hash = row.link_hash(previous.as_deref());
        previous = Some(row.hash.clone());
        rows.push(row);
    }
    crate::insert_many!(conn, registry_lookups::table, rows)?;
    Ok(())
}

/// Appends look-ups in a transaction of their own.
pub fn record(conn: &mut DbConnection, lookups: &[NewLookup]) -> Result<(), StoreError> {
    write_transaction(conn, |conn| append(conn, lookups, None))
}

/// Which look-ups to list.
#[derive(Debug, Clone, Default)]
pub struct LookupFilter {
    pub registry: Option<String>,
    pub subject: Option<String>,
    pub dossier_code: Option<String>,
    pub actor_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Rows before this seq (the next page of a newest-first list).
    pub before: Option<i64>,
}

/// Look-ups, newest first.
pub fn list(conn: &mut DbConnection, f: &LookupFilter, limit: i64) -> Result<Vec<Lookup>, StoreError> {
    let mut q = registry_lookups::table.into_boxed();
    if let Some(r) = &f.registry {
        q = q.filter(registry_lookups::registry.eq(r));
    }
    if let Some(s) = &f.subject {
        q = q.filter(registry_lookups::subject.eq(s));
    }
    if let Some(d) = &f.dossier_code {
        q = q.filter(registry_lookups::dossier_code.eq(d));
    }
    if let Some(a) = &f.actor_id {
        q = q.filter(registry_lookups::actor_id.eq(a));
    }
    if let Some(from) = f.from {
        q = q.filter(registry_lookups::at.ge(to_db(from)));
    }
    if let Some(to) = f.to {
        q = q.filter(registry_lookups::at.lt(to_db(to)));
    }
    if let Some(before) = f.before {
        q = q.filter(registry_lookups::seq.lt(before));
    }
    let rows: Vec<LookupRow> =
        q.order(registry_lookups::seq.desc()).limit(limit).select(LookupRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(Lookup::from).collect())
}

/// A look-up as stored, every column as its text: the chain hashes the
/// stored text, and a walk must report a row rewritten to a value outside
/// its set as a broken link, not fail to read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = registry_lookups)]
struct StoredLookup {
    seq: i64,
    at: NaiveDateTime,
    actor_id: String,
    actor_role: String,
    actor_agency: Option<String>,
    registry: String,
    subject: String,
    dossier_code: Option<String>,
    purpose: String,
    outcome: String,
    hash: String,
}

impl StoredLookup {
    fn link_hash(&self, previous: Option<&str>) -> String {
        let at = crate::dossiers::stored_instant(self.at);
        AuditLink {
            seq: self.seq,
            at: &at,
            actor_id: &self.actor_id,
            actor_role: &self.actor_role,
            actor_agency: self.actor_agency.as_deref(),
            registry: &self.registry,
            subject: &self.subject,
            dossier_code: self.dossier_code.as_deref(),
            purpose: &self.purpose,
            outcome: &self.outcome,
        }
        .hash(previous)
    }
}

/// What a walk of the audit log's chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    pub rows: u64,
    /// The first row that no longer holds, and why.
    pub first_break: Option<(i64, &'static str)>,
}

/// Walks the audit log's chain from its first row.
pub fn verify(conn: &mut DbConnection) -> Result<LogReport, StoreError> {
    const CHUNK: i64 = 2000;
    let mut report = LogReport { rows: 0, first_break: None };
    let mut previous: Option<String> = None;
    let mut expected = 1;
    loop {
        let rows: Vec<StoredLookup> = registry_lookups::table
            .filter(registry_lookups::seq.ge(expected))
            .order(registry_lookups::seq.asc())
            .limit(CHUNK)
            .select(StoredLookup::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(report);
        }
        for row in rows {
            if row.seq != expected {
                report.first_break = Some((row.seq, "a row is missing before this one"));
                return Ok(report);
            }
            let hash = row.link_hash(previous.as_deref());
            if hash != row.hash {
                report.first_break = Some((row.seq, "the row's content or its place in the chain changed"));
                return Ok(report);
            }
            report.rows += 1;
            previous = Some(hash);
            expected += 1;
        }
    }
}

/// An applicant check to write with a new dossier.
#[derive(Debug, Clone)]
pub struct NewCheck {
    pub registry: Registry,
    pub state: CheckState,
    pub differences: Vec<Difference>,
    /// Why staff accepted a mismatch.
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub last_error: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// For a pending check: when to ask again.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A dossier's applicant check against a national database.
#[derive(Debug, Clone)]
pub struct Check {
    pub dossier_code: DossierCode,
    pub registry: Registry,
    pub state: CheckState,
    pub differences: Vec<Difference>,
    /// Why staff accepted a mismatch.
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub attempts: i32,
    /// While pending: when it is asked again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = applicant_checks)]
struct CheckRow {
    #[diesel(deserialize_as = String)]
    dossier_code: DossierCode,
    #[diesel(deserialize_as = String)]
    registry: Registry,
    #[diesel(deserialize_as = String)]
    state: CheckState,
    differences: Option<String>,
    reason: Option<String>,
    decided_by: Option<String>,
    attempts: i32,
    next_attempt_at: Option<NaiveDateTime>,
    last_error: Option<String>,
    checked_at: Option<NaiveDateTime>,
}

impl TryFrom<CheckRow> for Check {
    type Error = StoreError;
    fn try_from(r: CheckRow) -> Result<Self, StoreError> {
        Ok(Check {
            differences: r.differences.as_deref().map(serde_json::from_str).transpose()?.unwrap_or_default(),
            dossier_code: r.dossier_code,
            registry: r.registry,
            state: r.state,
            reason: r.reason,
            decided_by: r.decided_by,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.map(from_db),
            last_error: r.last_error,
            checked_at: r.checked_at.map(from_db),
        })
    }
}

/// Writes a new dossier's check, inside the creating transaction.
pub fn insert_check(conn: &mut DbConnection, code: &str, c: &NewCheck, now: DateTime<Utc>) -> Result<(), StoreError> {
    let differences = if c.differences.is_empty() { None } else { Some(serde_json::to_string(&c.differences)?) };
    diesel::insert_into(applicant_checks::table)
        .values((
            applicant_checks::dossier_code.eq(code),
            applicant_checks::registry.eq(c.registry.as_str()),
            applicant_checks::state.eq(c.state.as_str()),
            applicant_checks::differences.eq(differences),
            applicant_checks::reason.eq(&c.reason),
            applicant_checks::decided_by.eq(&c.decided_by),
            applicant_checks::attempts.eq(i32::from(c.checked_at.is_some() || c.last_error.is_some())),
            applicant_checks::next_attempt_at.eq(c.next_attempt_at.map(to_db)),
            applicant_checks::last_error.eq(&c.last_error),
            applicant_checks::checked_at.eq(c.checked_at.map(to_db)),
            applicant_checks::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The checks of several dossiers, by dossier code.
pub fn checks_of(conn: &mut DbConnection, codes: &[String]) -> Result<Vec<Check>, StoreError> {
    let rows: Vec<CheckRow> = applicant_checks::table
        .filter(applicant_checks::dossier_code.eq_any(codes))
        .select(CheckRow::as_select())
        .load(conn)?;
    rows.into_iter().map(Check::try_from).collect()
}

/// The pending checks, as the partial index of them says it.
const PENDING: &str = "applicant_checks.state = 'pending'";

/// Claims up to `batch` pending checks that are due, leasing them until
/// `lease_until` (they are due again then, should this process die).
pub fn claim_checks(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    batch: i64,
) -> Result<Vec<Check>, StoreError> {
    write_transaction(conn, |conn| {
        macro_rules! due {
            () => {
                // The state is written into the SQL, not bound: only a
                // literal matches the partial index of the pending checks
                // (`WHERE state = 'pending'`) when the plan may not depend
                // on bound values (SQLite's QPSG, .cargo/config.toml).
                applicant_checks::table
                    .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(PENDING))
                    .filter(applicant_checks::next_attempt_at.le(to_db(now)))
                    .order(applicant_checks::next_attempt_at.asc())
                    .limit(batch)
                    .select(CheckRow::as_select())
            };
        }
        let rows: Vec<CheckRow> = match conn {
            #[cfg(feature = "postgres")]
            DbConnection::Pg(pg) => due!().for_update().skip_locked().load(pg)?,
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(c) => due!().load(c)?,
        };
        let codes: Vec<&str> = rows.iter().map(|r| r.dossier_code.as_str()).collect();
        diesel::update(applicant_checks::table.filter(applicant_checks::dossier_code.eq_any(&codes)))
            .set(applicant_checks::next_attempt_at.eq(to_db(lease_until)))
            .execute(conn)?;
        rows.into_iter().map(Check::try_from).collect()
    })
}

/// Records an answer to a pending check, with its look-up in the audit log.
pub fn settle_check(
    conn: &mut DbConnection,
    code: &DossierCode,
    state: CheckState,
    differences: &[Difference],
    lookup: &NewLookup,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let differences = if differences.is_empty() { None } else { Some(serde_json::to_string(differences)?) };
    write_transaction(conn, |conn| {
        let n = diesel::update(
            applicant_checks::table
                .find(code.as_str())
                .filter(applicant_checks::state.eq(CheckState::Pending.as_str())),
        )
        .set((
            applicant_checks::state.eq(state.as_str()),
            applicant_checks::differences.eq(&differences),
            applicant_checks::attempts.eq(applicant_checks::attempts + 1),
            applicant_checks::next_attempt_at.eq(None::<NaiveDateTime>),
            applicant_checks::last_error.eq(None::<String>),
            applicant_checks::checked_at.eq(Some(to_db(now))),
        ))
        .execute(conn)?;
        if n == 1 {
            append(conn, std::slice::from_ref(lookup), Some(code))?;
        }
        Ok(())
    })
}

/// Records a failed attempt at a pending check (and its look-up).
pub fn retry_check(
    conn: &mut DbConnection,
    code: &DossierCode,
    error: &str,
    retry_at: DateTime<Utc>,
    lookup: Option<&NewLookup>,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    write_transaction(conn, |conn| {
        // Still pending: another process may have settled it meanwhile.
        diesel::update(
            applicant_checks::table
                .find(code.as_str())
                .filter(applicant_checks::state.eq(CheckState::Pending.as_str())),
        )
        .set((
            applicant_checks::attempts.eq(applicant_checks::attempts + 1),
            applicant_checks::last_error.eq(Some(&error)),
            applicant_checks::next_attempt_at.eq(Some(to_db(retry_at))),
        ))
        .execute(conn)?;
        // The look-up was made either way: it is logged.
        match lookup {
            Some(l) => append(conn, std::slice::from_ref(l), Some(code)),
            None => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pending_literal_names_the_pending_state() {
        assert_eq!(PENDING, format!("applicant_checks.state = '{}'", CheckState::Pending.as_str()));
    }
}
