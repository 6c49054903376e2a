//! The procedure catalogue: procedures, their versions, and catalogue search.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use dvc_domain::agency::AgencyCode;
use dvc_domain::procedure::{
    AdministrativeLevel, ProcedureCode, ProcedureContent, ProcedureVersion, ServiceLevel, Validity, VersionStatus,
};
use dvc_domain::DomainError;

use crate::connection::{write_transaction, DbConnection};
use crate::error::StoreError;
use crate::schema::{procedure_versions as pv, procedures};
use crate::time::to_db;
use dvc_domain::ErrorCode;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pv)]
struct VersionRow {
    pub id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub procedure_code: ProcedureCode,
    pub version: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: VersionStatus,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    pub name: String,
    pub search_text: String,
    pub sector_code: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub level: AdministrativeLevel,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub service_level: ServiceLevel,
    pub agencies_index: String,
    pub content: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

/// A version together with its bookkeeping instants.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    pub version: ProcedureVersion,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

fn owner_row(conn: &mut DbConnection, code: &ProcedureCode) -> Result<Option<String>, StoreError> {
    Ok(procedures::table.find(code.as_str()).select(procedures::agency_code).first(conn).optional()?)
}

/// The agency that publishes `code`, or NotFound.
pub fn owner(conn: &mut DbConnection, code: &ProcedureCode) -> Result<AgencyCode, StoreError> {
    let agency = owner_row(conn, code)?.ok_or_else(|| StoreError::not_found(format!("procedure {code}")))?;
    crate::column::name(agency, "procedure's agency")
}

fn to_stored(row: VersionRow, agency: &AgencyCode) -> Result<StoredVersion, StoreError> {
    let corrupt =
        |e: DomainError| StoreError::Corrupt(format!("procedure {} v{}: {e}", row.procedure_code, row.version));
    let validity = match row.effective_from {
        Some(from) => Some(Validity::new(from, row.effective_to).map_err(corrupt)?),
        None => None,
    };
    Ok(StoredVersion {
        version: ProcedureVersion {
            code: row.procedure_code,
            agency: agency.clone(),
            version: row.version,
            status: row.status,
            validity,
            content: serde_json::from_str(&row.content)?,
        },
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
        published_at: row.published_at.map(|t| t.and_utc()),
    })
}

fn row_of(
    v: &ProcedureVersion,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
) -> Result<VersionRow, StoreError> {
    let mut index = format!("|{}|", v.agency);
    for a in &v.content.implementing_agencies {
        index.push_str(a.as_str());
        index.push('|');
    }
    Ok(VersionRow {
        id: uuid::Uuid::now_v7().to_string(),
        procedure_code: v.code.clone(),
        version: v.version,
        status: v.status,
        effective_from: v.validity.map(|x| x.from),
        effective_to: v.validity.and_then(|x| x.to),
        name: v.content.name.clone(),
        search_text: v.search_text(),
        sector_code: v.content.sector.code.clone(),
        level: v.content.level,
        service_level: v.content.service_level,
        agencies_index: index,
        content: serde_json::to_string(&v.content)?,
        created_at,
        updated_at,
        published_at: None,
    })
}

/// Every implementing agency must exist; the publishing agency must exist
/// and be active (a merged agency publishes nothing new).
fn check_agencies(conn: &mut DbConnection, agency: &AgencyCode, content: &ProcedureContent) -> Result<(), StoreError> {
    match crate::agencies::get(conn, agency) {
        Ok(a) if a.active => {}
        Ok(_) => {
            return Err(DomainError::invalid(
                ErrorCode::InactiveAgency,
                format!("agency {agency} was merged; its successor publishes now"),
            )
            .at("agency")
            .into())
        }
        Err(StoreError::NotFound { .. }) => {
            return Err(DomainError::invalid(ErrorCode::UnknownAgency, format!("no agency {agency}"))
                .at("agency")
                .into())
        }
        Err(e) => return Err(e),
    }
    for (i, code) in content.implementing_agencies.iter().enumerate() {
        if !crate::agencies::exists(conn, code)? {
            return Err(DomainError::invalid(ErrorCode::UnknownAgency, format!("no agency {code}"))
                .at(format!("content.implementing_agencies[{i}]"))
                .into());
        }
    }
    Ok(())
}

/// Creates a procedure with its first version as a draft.
pub fn create(
    conn: &mut DbConnection,
    code: &ProcedureCode,
    agency: &AgencyCode,
    content: &ProcedureContent,
    now: DateTime<Utc>,
) -> Result<StoredVersion, StoreError> {
    write_transaction(conn, |conn| {
        if owner_row(conn, code)?.is_some() {
            return Err(StoreError::Conflict {
                code: ErrorCode::ProcedureExists,
                message: format!("procedure {code} already exists; add a version to it instead"),
            });
        }
        check_agencies(conn, agency, content)?;
        let now = to_db(now);
        diesel::insert_into(procedures::table)
            .values((
                procedures::code.eq(code.as_str()),
                procedures::agency_code.eq(agency.as_str()),
                procedures::created_at.eq(now),
            ))
            .execute(conn)?;
        let draft = ProcedureVersion {
            code: code.clone(),
            agency: agency.clone(),
            version: 1,
            status: VersionStatus::Draft,
            validity: None,
            content: content.clone(),
        };
        diesel::insert_into(pv::table).values(row_of(&draft, now, now)?).execute(conn)?;
        version(conn, code, 1)
    })
}

/// Adds a new draft version after the newest one.
pub fn add_draft(
    conn: &mut DbConnection,
    code: &ProcedureCode,
    content: &ProcedureContent,
    now: DateTime<Utc>,
) -> Result<StoredVersion, StoreError> {
    write_transaction(conn, |conn| {
        let agency = lock_procedure(conn, code)?;
        check_agencies(conn, &agency, content)?;
        let newest: Option<i32> =
            pv::table.filter(pv::procedure_code.eq(code.as_str())).select(diesel::dsl::max(pv::version)).first(conn)?;
        let draft = ProcedureVersion {
            code: code.clone(),
            agency,
            version: newest.unwrap_or(0) + 1,
            status: VersionStatus::Draft,
            validity: None,
            content: content.clone(),
        };
        let now = to_db(now);
        diesel::insert_into(pv::table).values(row_of(&draft, now, now)?).execute(conn)?;
        version(conn, code, draft.version)
    })
}

/// Takes the procedure's row lock (a no-op update) so that changes to one
/// procedure's versions are serialised on every backend; returns its owner.
fn lock_procedure(conn: &mut DbConnection, code: &ProcedureCode) -> Result<AgencyCode, StoreError> {
    let touched = diesel::update(procedures::table.find(code.as_str()))
        .set(procedures::code.eq(procedures::code))
        .execute(conn)?;
    if touched == 0 {
        return Err(StoreError::not_found(format!("procedure {code}")));
    }
    owner(conn, code)
}

pub fn version(conn: &mut DbConnection, code: &ProcedureCode, number: i32) -> Result<StoredVersion, StoreError> {
    let agency = owner(conn, code)?;
    let row = pv::table
        .filter(pv::procedure_code.eq(code.as_str()))
        .filter(pv::version.eq(number))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found(format!("version {number} of procedure {code}")))?;
    to_stored(row, &agency)
}

pub fn versions(conn: &mut DbConnection, code: &ProcedureCode) -> Result<Vec<StoredVersion>, StoreError> {
    let agency = owner(conn, code)?;
    let rows = pv::table
        .filter(pv::procedure_code.eq(code.as_str()))
        .order(pv::version.asc())
        .select(VersionRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|r| to_stored(r, &agency)).collect()
}

/// Replaces a draft's content; a published version is immutable (409).
pub fn update_draft(
    conn: &mut DbConnection,
    code: &ProcedureCode,
    number: i32,
    content: &ProcedureContent,
    now: DateTime<Utc>,
) -> Result<StoredVersion, StoreError> {
    write_transaction(conn, |conn| {
        let agency = lock_procedure(conn, code)?;
        let mut current = version(conn, code, number)?.version;
        current.ensure_draft()?;
        check_agencies(conn, &agency, content)?;
        current.content = content.clone();
        let row = row_of(&current, to_db(now), to_db(now))?;
        diesel::update(pv::table.filter(pv::procedure_code.eq(code.as_str())).filter(pv::version.eq(number)))
            .set((
                pv::name.eq(row.name),
                pv::search_text.eq(row.search_text),
                pv::sector_code.eq(row.sector_code),
                pv::level.eq(row.level.as_str()),
                pv::service_level.eq(row.service_level.as_str()),
                pv::agencies_index.eq(row.agencies_index),
                pv::content.eq(row.content),
                pv::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
        version(conn, code, number)
    })
}

/// Deletes a draft; a published version is never deleted (409).
pub fn delete_draft(conn: &mut DbConnection, code: &ProcedureCode, number: i32) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        lock_procedure(conn, code)?;
        version(conn, code, number)?.version.ensure_draft()?;
        diesel::delete(pv::table.filter(pv::procedure_code.eq(code.as_str())).filter(pv::version.eq(number)))
            .execute(conn)?;
        Ok(())
    })
}

fn published_validities(conn: &mut DbConnection, code: &ProcedureCode) -> Result<Vec<(i32, Validity)>, StoreError> {
    Ok(versions(conn, code)?
        .into_iter()
        .filter(|s| s.version.status == VersionStatus::Published)
        .filter_map(|s| s.version.validity.map(|v| (s.version.version, v)))
        .collect())
}

/// Publishes a draft with its validity; refuses one that overlaps another
/// published version (409).
pub fn publish(
    conn: &mut DbConnection,
    code: &ProcedureCode,
    number: i32,
    validity: Validity,
    now: DateTime<Utc>,
) -> Result<StoredVersion, StoreError> {
    write_transaction(conn, |conn| {
        lock_procedure(conn, code)?;
        version(conn, code, number)?.version.ensure_draft()?;
        validity.check_publishable(&published_validities(conn, code)?)?;
        let now = to_db(now);
        diesel::update(pv::table.filter(pv::procedure_code.eq(code.as_str())).filter(pv::version.eq(number)))
            .set((
                pv::status.eq(VersionStatus::Published.as_str()),
                pv::effective_from.eq(Some(validity.from)),
                pv::effective_to.eq(validity.to),
                pv::published_at.eq(Some(now)),
                pv::updated_at.eq(now),
            ))
            .execute(conn)?;
        version(conn, code, number)
    })
}

/// Retires a published version from `to` (its validity ends there).
pub fn retire(
    conn: &mut DbConnection,
    code: &ProcedureCode,
    number: i32,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<StoredVersion, StoreError> {
    write_transaction(conn, |conn| {
        lock_procedure(conn, code)?;
        let current = version(conn, code, number)?.version;
        let validity = match (current.status, current.validity) {
            (VersionStatus::Published, Some(v)) => v,
            _ => {
                return Err(DomainError::conflict(
                    ErrorCode::NotPublished,
                    format!("version {number} of {code} is a draft; delete it instead of retiring it"),
                )
                .into())
            }
        };
        let retired = validity.retire(to)?;
        diesel::update(pv::table.filter(pv::procedure_code.eq(code.as_str())).filter(pv::version.eq(number)))
            .set((pv::effective_to.eq(retired.to), pv::updated_at.eq(to_db(now))))
            .execute(conn)?;
        version(conn, code, number)
    })
}

/// The published version of `code` in force on `date`, if any.
pub fn in_force(
    conn: &mut DbConnection,
    code: &ProcedureCode,
    date: NaiveDate,
) -> Result<Option<StoredVersion>, StoreError> {
    owner(conn, code)?;
    let rows = in_force_query(date)
        .filter(pv::procedure_code.eq(code.as_str()))
        .select((VersionRow::as_select(), procedures::agency_code))
        .limit(1)
        .load(conn)?;
    with_owners(rows).map(|mut v| v.pop())
}

type InForce<'a> =
    diesel::dsl::IntoBoxed<'a, diesel::dsl::InnerJoin<pv::table, procedures::table>, crate::connection::MultiBackend>;

/// Published versions in force on `date`, joined to their procedure.
fn in_force_query<'a>(date: NaiveDate) -> InForce<'a> {
    pv::table
        .inner_join(procedures::table)
        .filter(pv::status.eq(VersionStatus::Published.as_str()))
        .filter(pv::effective_from.le(date))
        .filter(pv::effective_to.is_null().or(pv::effective_to.gt(date)))
        .into_boxed()
}

#[derive(Debug, Clone)]
pub struct CatalogueQuery {
    pub at: NaiveDate,
    /// Folded words, each of which must occur in the code, name or sector.
    pub words: Vec<String>,
    pub sector: Option<String>,
    pub agency: Option<AgencyCode>,
    pub level: Option<AdministrativeLevel>,
    pub service_level: Option<ServiceLevel>,
    /// Only procedures whose code sorts after this one.
    pub after: Option<String>,
    pub limit: i64,
}

/// The versions in force at `query.at` that match every filter, by code.
pub fn search(conn: &mut DbConnection, query: &CatalogueQuery) -> Result<Vec<StoredVersion>, StoreError> {
    let mut q = in_force_query(query.at);
    for word in &query.words {
        q = q.filter(pv::search_text.like(crate::like_pattern(word)).escape('\\'));
    }
    if let Some(sector) = &query.sector {
        q = q.filter(pv::sector_code.eq(sector.clone()));
    }
    if let Some(agency) = &query.agency {
        q = q.filter(pv::agencies_index.like(crate::like_pattern(&format!("|{agency}|"))).escape('\\'));
    }
    if let Some(level) = query.level {
        q = q.filter(pv::level.eq(level.as_str()));
    }
    if let Some(level) = query.service_level {
        q = q.filter(pv::service_level.eq(level.as_str()));
    }
    if let Some(after) = &query.after {
        q = q.filter(pv::procedure_code.gt(after.clone()));
    }
    let rows = q
        .select((VersionRow::as_select(), procedures::agency_code))
        .order(pv::procedure_code.asc())
        .limit(query.limit)
        .load(conn)?;
    with_owners(rows)
}

fn with_owners(rows: Vec<(VersionRow, String)>) -> Result<Vec<StoredVersion>, StoreError> {
    rows.into_iter().map(|(row, agency)| to_stored(row, &crate::column::name(agency, "procedure's agency")?)).collect()
}
