//! The facts behind the figures: for a period, every dossier that any
//! count could include, with its payment, digitisation and sync flags; and
//! the satisfaction ratings.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use dvc_domain::calendar::Timeliness;
use dvc_domain::dossier::{Channel, Status};
use dvc_domain::figures::{DossierFacts, Period, Rate};

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{changes, dossier_documents, dossiers, payments, ratings};
use crate::time::{from_db, to_db};

/// One dossier, the keys it is grouped by, and its facts.
#[derive(Debug, Clone)]
pub struct FactsRow {
    pub code: String,
    pub receiving_agency: String,
    pub procedure_code: String,
    pub sector_code: String,
    pub channel: String,
    pub level: String,
    pub facts: DossierFacts,
}

type Raw = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);

fn timeliness(s: &str) -> Option<Timeliness> {
    match s {
        "early" => Some(Timeliness::Early),
        "on_time" => Some(Timeliness::OnTime),
        "late" => Some(Timeliness::Late),
        _ => None,
    }
}

/// Dossiers open at some instant of the period or closed in it, received by
/// one of `agencies` (all when None).
pub fn facts(conn: &mut DbConnection, p: &Period, agencies: Option<&[String]>) -> Result<Vec<FactsRow>, StoreError> {
    let (from, to) = (to_db(p.from), to_db(p.to));
    let mut q = dossiers::table
        .filter(
            dossiers::received_at
                .lt(to)
                .and(dossiers::closed_at.is_null().or(dossiers::closed_at.ge(from)))
                .or(dossiers::closed_at.ge(from).and(dossiers::closed_at.lt(to))),
        )
        .select((
            dossiers::code,
            dossiers::receiving_agency,
            dossiers::procedure_code,
            dossiers::sector_code,
            dossiers::channel,
            dossiers::level,
            dossiers::status,
            dossiers::received_at,
            dossiers::resolved_at,
            dossiers::closed_at,
            dossiers::due_at,
            dossiers::paused_since,
            dossiers::resolved_timeliness,
        ))
        .into_boxed();
    if let Some(set) = agencies {
        q = q.filter(dossiers::receiving_agency.eq_any(set.to_vec()));
    }
    let rows: Vec<Raw> = q.order(dossiers::code.asc()).load(conn)?;
    let codes: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut paid = HashSet::new();
    let mut cashless = HashSet::new();
    let mut digitised = HashSet::new();
    let mut unsynced = HashSet::new();
    for chunk in codes.chunks(500) {
        let paid_rows: Vec<(String, String)> = payments::table
            .filter(payments::dossier_code.eq_any(chunk))
            .filter(payments::status.eq_any(["paid", "refunded"]))
            .select((payments::dossier_code, payments::method))
            .load(conn)?;
        for (code, method) in paid_rows {
            if method == "online" || method == "transfer" {
                cashless.insert(code.clone());
            }
            paid.insert(code);
        }
        let docs: Vec<String> = dossier_documents::table
            .filter(dossier_documents::dossier_code.eq_any(chunk))
            .filter(dossier_documents::digitised.eq(true))
            .select(dossier_documents::dossier_code)
            .distinct()
            .load(conn)?;
        digitised.extend(docs);
        let pending: Vec<String> = changes::table
            .filter(changes::dossier_code.eq_any(chunk))
            .filter(changes::delivered_at.is_null())
            .select(changes::dossier_code)
            .distinct()
            .load(conn)?;
        unsynced.extend(pending);
    }
    rows.into_iter()
        .map(|r| {
            let corrupt = |what: &str| StoreError::Corrupt(format!("dossier {}: {what}", r.0));
            let facts = DossierFacts {
                status: Status::parse(&r.6).ok_or_else(|| corrupt("status"))?,
                channel: Channel::parse(&r.4).ok_or_else(|| corrupt("channel"))?,
                received_at: r.7.map(from_db),
                resolved_at: r.8.map(from_db),
                closed_at: r.9.map(from_db),
                due_at: r.10.map(from_db),
                paused_since: r.11.map(from_db),
                resolved_timeliness: r.12.as_deref().and_then(timeliness),
                paid: paid.contains(&r.0),
                paid_cashless: cashless.contains(&r.0),
                digitised: digitised.contains(&r.0),
                in_sync: !unsynced.contains(&r.0),
            };
            Ok(FactsRow {
                code: r.0,
                receiving_agency: r.1,
                procedure_code: r.2,
                sector_code: r.3,
                channel: r.4,
                level: r.5,
                facts,
            })
        })
        .collect()
}

/// Ratings given in the period to dossiers received by `agencies`:
/// satisfied (very satisfied or satisfied) / all.
pub fn satisfaction(conn: &mut DbConnection, p: &Period, agencies: Option<&[String]>) -> Result<Rate, StoreError> {
    let mut q = ratings::table
        .inner_join(dossiers::table)
        .filter(ratings::rated_at.ge(to_db(p.from)))
        .filter(ratings::rated_at.lt(to_db(p.to)))
        .select(ratings::overall)
        .into_boxed();
    if let Some(set) = agencies {
        q = q.filter(dossiers::receiving_agency.eq_any(set.to_vec()));
    }
    let overall: Vec<String> = q.load(conn)?;
    let satisfied = overall.iter().filter(|o| *o == "very_satisfied" || *o == "satisfied").count();
    Ok(Rate::of(u64::try_from(satisfied).unwrap_or(0), u64::try_from(overall.len()).unwrap_or(0)))
}

/// A satisfaction rating (SPEC §6): nine criteria 0–2 and the overall answer.
pub fn rate(
    conn: &mut DbConnection,
    code: &str,
    criteria: &[u8; 9],
    overall: &str,
    comment: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let exists: Option<String> = ratings::table.find(code).select(ratings::dossier_code).first(conn).optional()?;
    if exists.is_some() {
        return Err(StoreError::Conflict {
            code: "already_rated",
            message: format!("dossier {code} was rated already; a rating is given once"),
        });
    }
    diesel::insert_into(ratings::table)
        .values((
            ratings::dossier_code.eq(code),
            ratings::criteria.eq(serde_json::to_string(criteria)?),
            ratings::total.eq(criteria.iter().map(|c| i32::from(*c)).sum::<i32>()),
            ratings::overall.eq(overall),
            ratings::comment.eq(comment),
            ratings::rated_by.eq(by),
            ratings::rated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored rating.
#[derive(Debug, Clone)]
pub struct Rating {
    pub criteria: Vec<u8>,
    pub total: i32,
    pub overall: String,
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
}

/// The rating of a dossier, if it was rated.
pub fn rating(conn: &mut DbConnection, code: &str) -> Result<Option<Rating>, StoreError> {
    let row: Option<(String, i32, String, Option<String>, NaiveDateTime)> = ratings::table
        .find(code)
        .select((ratings::criteria, ratings::total, ratings::overall, ratings::comment, ratings::rated_at))
        .first(conn)
        .optional()?;
    row.map(|(c, total, overall, comment, at)| {
        Ok(Rating { criteria: serde_json::from_str(&c)?, total, overall, comment, rated_at: from_db(at) })
    })
    .transpose()
}
