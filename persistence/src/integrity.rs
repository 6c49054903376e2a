//! The tamper-evident chains of the dossiers' histories: chaining the rows
//! written before the chain existed, and walking every chain to find the
//! first broken link (`dvc verify`, `GET /api/v1/integrity/history`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use dvc_domain::dossier::chain::{first_break, Chained, Link};

use crate::connection::{write_transaction, DbConnection};
use crate::error::StoreError;
use crate::schema::{dossier_history, dossiers};

/// A history row as stored, every column as its text: the chain hashes the
/// stored text, and a walk must report a row rewritten to a value outside
/// its set (a status no dossier can have) as a broken link, not fail to
/// read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_history)]
struct StoredRow {
    id: String,
    dossier_code: String,
    seq: i32,
    action: String,
    from_status: Option<String>,
    to_status: String,
    actor_id: String,
    actor_role: String,
    actor_name: String,
    actor_agency: Option<String>,
    at: NaiveDateTime,
    note: Option<String>,
    step_deadline: Option<NaiveDateTime>,
    hash: Option<String>,
}

impl Chained for &StoredRow {
    fn seq(&self) -> i32 {
        self.seq
    }
    fn stored_hash(&self) -> Option<&str> {
        self.hash.as_deref()
    }
    fn link_hash(&self, previous: Option<&str>) -> String {
        let at = crate::dossiers::stored_instant(self.at);
        let step = self.step_deadline.map(crate::dossiers::stored_instant);
        Link {
            dossier_code: &self.dossier_code,
            seq: self.seq,
            action: &self.action,
            from_status: self.from_status.as_deref(),
            to_status: &self.to_status,
            actor_id: &self.actor_id,
            actor_role: &self.actor_role,
            actor_name: &self.actor_name,
            actor_agency: self.actor_agency.as_deref(),
            at: &at,
            note: self.note.as_deref(),
            step_deadline: step.as_deref(),
        }
        .hash(previous)
    }
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub dossier_code: String,
    pub seq: i32,
    pub reason: &'static str,
}

/// What a walk of the chains found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub dossiers: u64,
    pub rows: u64,
    /// The first broken link, in dossier-code order; None when all hold.
    pub first_break: Option<Break>,
}

/// Dossiers read per round of a walk.
const CHUNK: i64 = 500;

fn rows_of(conn: &mut DbConnection, codes: &[String]) -> Result<Vec<StoredRow>, StoreError> {
    Ok(dossier_history::table
        .filter(dossier_history::dossier_code.eq_any(codes))
        .order((dossier_history::dossier_code.asc(), dossier_history::seq.asc()))
        .select(StoredRow::as_select())
        .load(conn)?)
}

/// Walks every dossier's chain, in dossier-code order, and stops at the
/// first broken link.
pub fn verify(conn: &mut DbConnection) -> Result<Report, StoreError> {
    let mut report = Report { dossiers: 0, rows: 0, first_break: None };
    let mut after = String::new();
    loop {
        let codes: Vec<String> = dossier_history::table
            .filter(dossier_history::dossier_code.gt(&after))
            .select(dossier_history::dossier_code)
            .distinct()
            .order(dossier_history::dossier_code.asc())
            .limit(CHUNK)
            .load(conn)?;
        let Some(last) = codes.last().cloned() else { return Ok(report) };
        let rows = rows_of(conn, &codes)?;
        // On PostgreSQL no foreign key ties the history to its dossier (each
        // row would cost the import a look-up): a history whose dossier is
        // not there is found here.
        let known: std::collections::HashSet<String> = dossiers::table
            .filter(dossiers::code.eq_any(&codes))
            .select(dossiers::code)
            .load(conn)?
            .into_iter()
            .collect();
        for code in &codes {
            let chain: Vec<&StoredRow> = rows.iter().filter(|r| &r.dossier_code == code).collect();
            report.dossiers += 1;
            report.rows += chain.len() as u64;
            let orphan = chain.first().filter(|_| !known.contains(code)).map(|r| (r.seq, "no dossier has this code"));
            let found = orphan.or_else(|| first_break(chain));
            if let Some((seq, reason)) = found {
                report.first_break = Some(Break { dossier_code: code.clone(), seq, reason });
                return Ok(report);
            }
        }
        after = last;
    }
}

/// Chains the rows written before the chain existed (no hash yet), per
/// dossier from its first row. Reads first, and writes only when there is
/// something to chain (a read-only database still starts). How many rows
/// it chained.
pub fn chain_unhashed(conn: &mut DbConnection) -> Result<usize, StoreError> {
    // One row is enough to know (an index holds only the unchained rows).
    let any: Option<String> = dossier_history::table
        .filter(dossier_history::hash.is_null())
        .select(dossier_history::dossier_code)
        .first(conn)
        .optional()?;
    if any.is_none() {
        return Ok(0);
    }
    let codes: Vec<String> = dossier_history::table
        .filter(dossier_history::hash.is_null())
        .select(dossier_history::dossier_code)
        .distinct()
        .load(conn)?;
    write_transaction(conn, |conn| {
        let mut chained = 0;
        for chunk in codes.chunks(CHUNK as usize) {
            let rows = rows_of(conn, chunk)?;
            let mut previous: Option<(String, String)> = None;
            for row in rows {
                let prev = previous.as_ref().filter(|(code, _)| *code == row.dossier_code).map(|(_, h)| h.as_str());
                let hash = match &row.hash {
                    Some(h) => h.clone(),
                    None => {
                        let h = (&row).link_hash(prev);
                        diesel::update(dossier_history::table.find(&row.id))
                            .set(dossier_history::hash.eq(&h))
                            .execute(conn)?;
                        chained += 1;
                        h
                    }
                };
                previous = Some((row.dossier_code, hash));
            }
        }
        Ok(chained)
    })
}
