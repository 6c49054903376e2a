//! Agencies: rows and queries.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use dvc_domain::agency::{Agency, AgencyCode, AgencyLevel};
use dvc_domain::text;
use dvc_domain::DomainError;

use crate::column::OptionalName;
use crate::connection::{write_transaction, DbConnection};
use crate::error::StoreError;
use crate::schema::agencies;
use crate::time::to_db;
use dvc_domain::ErrorCode;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = agencies)]
#[diesel(treat_none_as_null = true)]
struct AgencyRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub code: AgencyCode,
    pub name: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub level: AgencyLevel,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    pub parent_code: Option<AgencyCode>,
    pub active: bool,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    pub successor_code: Option<AgencyCode>,
    pub search_text: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub merged_at: Option<NaiveDateTime>,
    pub notify_email: Option<String>,
}

impl From<AgencyRow> for Agency {
    fn from(row: AgencyRow) -> Self {
        Agency {
            code: row.code,
            name: row.name,
            level: row.level,
            parent: row.parent_code,
            active: row.active,
            successor: row.successor_code,
            merged_at: row.merged_at.map(crate::time::from_db),
            notify_email: row.notify_email,
        }
    }
}

fn row_of(agency: &Agency, created_at: NaiveDateTime, now: NaiveDateTime) -> AgencyRow {
    AgencyRow {
        code: agency.code.clone(),
        name: agency.name.clone(),
        level: agency.level,
        parent_code: agency.parent.clone(),
        active: agency.active,
        successor_code: agency.successor.clone(),
        search_text: text::fold(&format!("{} {}", agency.code, agency.name)),
        created_at,
        updated_at: now,
        merged_at: agency.merged_at.map(to_db),
        notify_email: agency.notify_email.clone(),
    }
}

fn find_row(conn: &mut DbConnection, code: &AgencyCode) -> Result<Option<AgencyRow>, StoreError> {
    Ok(agencies::table.find(code.as_str()).select(AgencyRow::as_select()).first(conn).optional()?)
}

pub fn get(conn: &mut DbConnection, code: &AgencyCode) -> Result<Agency, StoreError> {
    find_row(conn, code)?.map(Agency::from).ok_or_else(|| StoreError::not_found(format!("agency {code}")))
}

pub fn exists(conn: &mut DbConnection, code: &AgencyCode) -> Result<bool, StoreError> {
    Ok(find_row(conn, code)?.is_some())
}

/// The parent must exist, and following parents from it must never come back
/// to the agency itself.
fn check_parent(conn: &mut DbConnection, agency: &Agency) -> Result<(), StoreError> {
    let mut next = agency.parent.clone();
    let mut hops = 0;
    while let Some(code) = next {
        if code == agency.code {
            return Err(DomainError::invalid(ErrorCode::ParentCycle, "an agency cannot be its own ancestor")
                .at("parent")
                .into());
        }
        let Some(row) = find_row(conn, &code)? else {
            return Err(DomainError::invalid(ErrorCode::UnknownAgency, format!("no agency {code}"))
                .at("parent")
                .into());
        };
        hops += 1;
        if hops > 64 {
            return Err(StoreError::Corrupt(format!("agency hierarchy above {} is too deep", agency.code)));
        }
        next = row.parent_code;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConnection, agency: &Agency, now: DateTime<Utc>) -> Result<Agency, StoreError> {
    write_transaction(conn, |conn| {
        if find_row(conn, &agency.code)?.is_some() {
            return Err(StoreError::Conflict {
                code: ErrorCode::AgencyExists,
                message: format!("agency {} already exists", agency.code),
            });
        }
        check_parent(conn, agency)?;
        let now = to_db(now);
        diesel::insert_into(agencies::table).values(row_of(agency, now, now)).execute(conn)?;
        crate::cache::changed(conn)?;
        get(conn, &agency.code)
    })
}

/// Replaces an agency's name, level, parent and active flag.
pub fn update(conn: &mut DbConnection, agency: &Agency, now: DateTime<Utc>) -> Result<Agency, StoreError> {
    write_transaction(conn, |conn| {
        let current =
            find_row(conn, &agency.code)?.ok_or_else(|| StoreError::not_found(format!("agency {}", agency.code)))?;
        check_parent(conn, agency)?;
        let row = row_of(agency, current.created_at, to_db(now));
        diesel::update(agencies::table.find(agency.code.as_str())).set(row).execute(conn)?;
        crate::cache::changed(conn)?;
        get(conn, &agency.code)
    })
}

/// Marks `code` merged into `successor` (which must exist and be active)
/// from `merged_at`, its merge date.
pub fn merge(
    conn: &mut DbConnection,
    code: &AgencyCode,
    successor: &AgencyCode,
    merged_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Agency, StoreError> {
    write_transaction(conn, |conn| {
        let mut agency = get(conn, code)?;
        let target = get(conn, successor).map_err(|e| match e {
            StoreError::NotFound { .. } => {
                DomainError::invalid(ErrorCode::UnknownAgency, format!("no agency {successor}")).at("successor").into()
            }
            other => other,
        })?;
        if !target.active {
            return Err(DomainError::invalid(
                ErrorCode::InactiveSuccessor,
                format!("agency {successor} is itself merged; name its successor"),
            )
            .at("successor")
            .into());
        }
        if with_descendants(conn, code)?.iter().skip(1).any(|c| c == successor.as_str()) {
            return Err(DomainError::invalid(
                ErrorCode::MergeIntoDescendant,
                format!("agency {successor} stands below {code}; give it another parent before the merger"),
            )
            .at("successor")
            .into());
        }
        agency.merge_into(successor.clone(), merged_at)?;
        let row = row_of(&agency, to_db(now), to_db(now));
        diesel::update(agencies::table.find(code.as_str()))
            .set((
                agencies::active.eq(row.active),
                agencies::successor_code.eq(row.successor_code.as_ref().map(AgencyCode::as_str)),
                agencies::merged_at.eq(row.merged_at),
                agencies::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
        crate::cache::changed(conn)?;
        get(conn, code)
    })
}

/// The agency that now does `code`'s work: `code` itself, or the last of
/// its successors.
pub fn current(conn: &mut DbConnection, code: &AgencyCode) -> Result<AgencyCode, StoreError> {
    let mut at = code.clone();
    for _ in 0..64 {
        match agencies::table
            .find(at.as_str())
            .select(agencies::successor_code)
            .first::<Option<String>>(conn)
            .optional()?
        {
            Some(Some(next)) => at = crate::column::name(next, "successor agency")?,
            _ => return Ok(at),
        }
    }
    Err(StoreError::Corrupt(format!("the successors of agency {code} go round in a circle")))
}

#[derive(Debug, Clone, Default)]
pub struct AgencyFilter {
    pub level: Option<AgencyLevel>,
    pub parent: Option<AgencyCode>,
    pub active: Option<bool>,
    /// Folded words, each of which must occur in the code or name.
    pub words: Vec<String>,
    /// Only agencies whose code sorts after this one.
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, filter: &AgencyFilter) -> Result<Vec<Agency>, StoreError> {
    let mut query = agencies::table.select(AgencyRow::as_select()).into_boxed();
    if let Some(level) = filter.level {
        query = query.filter(agencies::level.eq(level.as_str()));
    }
    if let Some(parent) = &filter.parent {
        query = query.filter(agencies::parent_code.eq(parent.as_str().to_owned()));
    }
    if let Some(active) = filter.active {
        query = query.filter(agencies::active.eq(active));
    }
    for word in &filter.words {
        query = query.filter(agencies::search_text.like(crate::like_pattern(word)).escape('\\'));
    }
    if let Some(after) = &filter.after {
        query = query.filter(agencies::code.gt(after.clone()));
    }
    let rows = query.order(agencies::code.asc()).limit(filter.limit).load(conn)?;
    Ok(rows.into_iter().map(Agency::from).collect())
}

/// Every agency with the one it stands under (its successor once merged,
/// else its parent): read once per change of an agency (`crate::cache`).
pub struct AgencyTree {
    /// (code, name, the agency it stands under), by code.
    rows: Vec<(String, String, Option<String>)>,
    above: HashMap<String, Option<String>>,
}

impl AgencyTree {
    fn new(rows: Vec<(String, String, Option<String>)>) -> Self {
        let above = rows.iter().map(|(code, _, up)| (code.clone(), up.clone())).collect();
        Self { rows, above }
    }

    /// (code, name, the agency it stands under), by code.
    pub fn rows(&self) -> &[(String, String, Option<String>)] {
        &self.rows
    }

    /// `code` and every agency above it.
    pub fn ancestors(&self, code: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut next = Some(code.to_owned());
        while let Some(c) = next {
            if out.contains(&c) || out.len() > 64 {
                break;
            }
            next = self.above.get(&c).cloned().flatten();
            out.push(c);
        }
        out
    }
}

/// The agency tree, through the server's cache.
pub fn tree(conn: &mut DbConnection) -> Result<Arc<AgencyTree>, StoreError> {
    crate::cache::agencies(conn, |conn| Ok(AgencyTree::new(load_all(conn)?)))
}

/// The agency and every agency below it, at any depth; a merged agency
/// stands below its successor.
pub fn with_descendants(conn: &mut DbConnection, code: &AgencyCode) -> Result<Vec<String>, StoreError> {
    Ok(subtree(tree(conn)?.rows(), code.as_str()))
}

/// `root` and every agency below it, from a list of (code, name, parent).
pub fn subtree(all: &[(String, String, Option<String>)], root: &str) -> Vec<String> {
    let mut out = vec![root.to_owned()];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].clone();
        let below: Vec<String> = all
            .iter()
            .filter(|(c, _, p)| p.as_deref() == Some(parent.as_str()) && !out.contains(c))
            .map(|(c, _, _)| c.clone())
            .collect();
        out.extend(below);
        i += 1;
    }
    out
}

/// The agency and every agency above it (above a merged agency: its
/// successor and the agencies above that).
pub fn with_ancestors(conn: &mut DbConnection, code: &AgencyCode) -> Result<Vec<String>, StoreError> {
    Ok(tree(conn)?.ancestors(code.as_str()))
}

/// Every agency: (code, name, the agency it stands under — its successor
/// once merged, else its parent).
pub fn all(conn: &mut DbConnection) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    Ok(tree(conn)?.rows().to_vec())
}

fn load_all(conn: &mut DbConnection) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    let rows: Vec<(String, String, Option<String>, Option<String>)> = agencies::table
        .select((agencies::code, agencies::name, agencies::parent_code, agencies::successor_code))
        .order(agencies::code.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(|(code, name, parent, successor)| (code, name, successor.or(parent))).collect())
}
