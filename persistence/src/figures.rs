//! The facts behind the figures, and the daily sums kept from them in the
//! same transaction as every change that moves a figure (docs/RULES.md §7).
//!
//! Each dossier's marks (domain `figures::daily`) are stored with it in
//! `dossiers.counted`; [`recount`] compares them with the marks its current
//! facts give and adds the difference to `figure_days`. Reports sum those
//! days; drill-downs read the dossiers, and a property test in the domain
//! keeps the two in agreement.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::dsl::sum;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text, Timestamp};
use dvc_domain::calendar::classify_open;
use dvc_domain::calendar::Timeliness;
use dvc_domain::dossier::{Channel, PauseRecord, Status};
use dvc_domain::figures::daily::{marks, overdue_span, overdue_turns_of, DaySums, Mark, OpenAtEnd};
use dvc_domain::figures::{DossierFacts, Metric, Period};
use dvc_domain::rating::Overall;

use crate::calendars::CalendarCache;
use crate::column::{name, optional_name};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{changes, dossier_documents, dossiers, figure_days, figure_rebuild, payments, ratings};
use crate::time::{from_db, to_db};
use dvc_domain::ErrorCode;

/// The keys a dossier is grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dims {
    pub receiving_agency: String,
    pub procedure_code: String,
    pub sector_code: String,
    pub channel: String,
    pub level: String,
}

/// One dossier, its keys and its facts.
#[derive(Debug, Clone)]
pub struct FactsRow {
    pub code: String,
    pub dims: Dims,
    pub facts: DossierFacts,
}

type Raw = (
    (String, String, String, String, String, String),
    (String, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>),
    Option<String>,
    String,
);

/// The dossiers' columns a [`Raw`] row holds.
macro_rules! facts_select {
    () => {
        dossiers::table.select((
            (
                dossiers::code,
                dossiers::receiving_agency,
                dossiers::procedure_code,
                dossiers::sector_code,
                dossiers::channel,
                dossiers::level,
            ),
            (dossiers::status, dossiers::received_at, dossiers::resolved_at, dossiers::closed_at, dossiers::due_at),
            dossiers::resolved_timeliness,
            dossiers::counted,
        ))
    };
}

/// Facts of the given dossiers received by one of `agencies` (all when
/// None), in code order, each with the marks it was last counted with.
fn load_counted(
    conn: &mut DbConnection,
    codes: &[String],
    agencies: Option<&[String]>,
) -> Result<Vec<(FactsRow, String)>, StoreError> {
    let mut q = facts_select!().filter(dossiers::code.eq_any(codes.to_vec())).order(dossiers::code.asc()).into_boxed();
    if let Some(set) = agencies {
        q = q.filter(dossiers::receiving_agency.eq_any(set.to_vec()));
    }
    let rows: Vec<Raw> = q.load(conn)?;
    // Payment, digitisation, sync and rating by code (an EXISTS or a join
    // per row makes PostgreSQL hash whole tables), and only for what needs
    // them: the recount, and the metrics that count them.
    let flags = flags_of(conn, &rows.iter().map(|r| r.0 .0.clone()).collect::<Vec<_>>(), None)?;
    rows.into_iter().map(|r| facts_of(r, &flags)).collect()
}

/// Whether a metric reads a dossier's payments, relief, documents, feed or
/// rating.
fn needs_flags(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::Paid
            | Metric::PaidCashless
            | Metric::PaidOnline
            | Metric::Exempt
            | Metric::Digitised
            | Metric::Reused
            | Metric::Synced
            | Metric::Rated
            | Metric::Satisfied
    )
}

/// Gives the rows the due instant each had at `t`, not as it stands now.
fn judge_as_of(conn: &mut DbConnection, rows: &mut [FactsRow], t: DateTime<Utc>) -> Result<(), StoreError> {
    let codes: Vec<String> = rows.iter().map(|r| r.code.clone()).collect();
    let dues = crate::dossiers::dues_as_of(conn, &codes, t)?;
    for row in rows {
        row.facts.due_at = dues.get(&row.code).copied();
    }
    Ok(())
}

/// Fills in the rows' overdue turns, which their marks need.
fn with_overdue_turns(conn: &mut DbConnection, loaded: &mut [(FactsRow, String)]) -> Result<(), StoreError> {
    let codes: Vec<&str> = loaded.iter().map(|(r, _)| r.code.as_str()).collect();
    let kept: HashMap<String, (String, String)> = dossiers::table
        .filter(dossiers::code.eq_any(codes))
        .select((dossiers::code, (dossiers::calendar_id, dossiers::data)))
        .load(conn)?
        .into_iter()
        .collect();
    let mut calendars = CalendarCache::default();
    for (row, _) in loaded {
        if let Some((calendar_id, data)) = kept.get(&row.code) {
            let pauses = crate::dossiers::pauses_in(data)?;
            row.facts.overdue_turns = overdue_turns(conn, &mut calendars, &row.facts, calendar_id, &pauses)?;
        }
    }
    Ok(())
}

/// A dossier's overdue turns (domain `figures::daily::overdue_turns`) from
/// its facts as stored, its calendar and its pause records (as its `data`
/// column holds them).
pub(crate) fn overdue_turns(
    conn: &mut DbConnection,
    calendars: &mut CalendarCache,
    facts: &DossierFacts,
    calendar_id: &str,
    pauses: &[PauseRecord],
) -> Result<Vec<(NaiveDate, bool)>, StoreError> {
    if facts.received_at.is_none() {
        return Ok(Vec::new());
    }
    let calendar = calendars.get(conn, calendar_id)?;
    Ok(overdue_turns_of(facts.received_at, facts.closed_at, facts.due_at, pauses, calendar))
}

/// What a settled payment by this method (`payments.method`) says of its
/// dossier: (paid cashless, paid through the payment platform).
fn paid_by(method: &str) -> (bool, bool) {
    (method == "online" || method == "transfer", method == "online")
}

#[derive(Default)]
struct Flags {
    paid: HashSet<String>,
    cashless: HashSet<String>,
    /// Paid through the payment platform.
    online: HashSet<String>,
    exempt: HashSet<String>,
    digitised: HashSet<String>,
    /// With a document reused from the data store.
    reused: HashSet<String>,
    unsynced: HashSet<String>,
    /// When rated, and whether satisfied.
    ratings: HashMap<String, (NaiveDateTime, bool)>,
}

/// Reads the flags of `codes`: all of them, or when `only` names a metric,
/// only those it counts by (a drill-down page of paid cashless dossiers
/// reads their payments, not their documents, feed and ratings).
fn flags_of(conn: &mut DbConnection, codes: &[String], only: Option<Metric>) -> Result<Flags, StoreError> {
    use Metric as M;
    let wants = |metrics: &[Metric]| only.is_none_or(|m| metrics.contains(&m));
    let mut f = Flags::default();
    for chunk in codes.chunks(500) {
        if wants(&[M::Paid, M::PaidCashless, M::PaidOnline]) {
            let paid: Vec<(String, String)> = payments::table
                .filter(payments::dossier_code.eq_any(chunk))
                .filter(payments::status.eq_any(["paid", "refunded"]))
                .select((payments::dossier_code, payments::method))
                .load(conn)?;
            for (code, method) in paid {
                let (cashless, online) = paid_by(&method);
                if online {
                    f.online.insert(code.clone());
                }
                if cashless {
                    f.cashless.insert(code.clone());
                }
                f.paid.insert(code);
            }
        }
        if wants(&[M::Exempt]) {
            f.exempt.extend(crate::payments::exempt_of(conn, chunk)?);
        }
        if wants(&[M::Digitised, M::Reused]) {
            let documents: Vec<(String, bool, bool)> = dossier_documents::table
                .filter(dossier_documents::dossier_code.eq_any(chunk))
                .filter(dossier_documents::digitised.eq(true).or(dossier_documents::reused.eq(true)))
                .select((dossier_documents::dossier_code, dossier_documents::digitised, dossier_documents::reused))
                .distinct()
                .load(conn)?;
            for (code, digitised, reused) in documents {
                if digitised {
                    f.digitised.insert(code.clone());
                }
                if reused {
                    f.reused.insert(code);
                }
            }
        }
        if wants(&[M::Synced]) {
            let pending: Vec<String> = changes::table
                .filter(changes::dossier_code.eq_any(chunk))
                .filter(changes::delivered_at.is_null())
                .select(changes::dossier_code)
                .distinct()
                .load(conn)?;
            f.unsynced.extend(pending);
        }
        if wants(&[M::Rated, M::Satisfied]) {
            let rated: Vec<(String, NaiveDateTime, String)> = ratings::table
                .filter(ratings::dossier_code.eq_any(chunk))
                .select((ratings::dossier_code, ratings::rated_at, ratings::overall))
                .load(conn)?;
            for (code, at, overall) in rated {
                let overall: Overall = name(overall, "rating")?;
                f.ratings.insert(code, (at, overall.is_satisfied()));
            }
        }
    }
    Ok(f)
}

fn facts_of(r: Raw, flags: &Flags) -> Result<(FactsRow, String), StoreError> {
    let ((code, receiving_agency, procedure_code, sector_code, channel, level), a, b, counted) = r;
    let (status, received_at, resolved_at, closed_at, due_at) = a;
    let resolved_timeliness = b;
    let facts = DossierFacts {
        status: name::<Status>(status, "dossier status")?,
        channel: name::<Channel>(channel.clone(), "dossier channel")?,
        received_at: received_at.map(from_db),
        resolved_at: resolved_at.map(from_db),
        closed_at: closed_at.map(from_db),
        due_at: due_at.map(from_db),
        resolved_timeliness: optional_name::<Timeliness>(resolved_timeliness, "timeliness")?,
        paid: flags.paid.contains(&code),
        paid_cashless: flags.cashless.contains(&code),
        paid_online: flags.online.contains(&code),
        exempt: flags.exempt.contains(&code),
        digitised: flags.digitised.contains(&code),
        reused: flags.reused.contains(&code),
        in_sync: !flags.unsynced.contains(&code),
        rating: flags.ratings.get(&code).map(|(at, satisfied)| (from_db(*at), *satisfied)),
        overdue_turns: turns_in(&counted)?,
    };
    let dims = Dims { receiving_agency, procedure_code, sector_code, channel, level };
    Ok((FactsRow { code, dims, facts }, counted))
}

/// The overdue turns a dossier was last counted with (its `counted`).
fn turns_in(counted: &str) -> Result<Vec<(NaiveDate, bool)>, StoreError> {
    if !counted.contains("_overdue") {
        return Ok(Vec::new());
    }
    let mut turns = Vec::new();
    for (day, mark) in decode(counted)?.1 {
        let on = match mark {
            Mark::BecameOverdue => true,
            Mark::LeftOverdue => false,
            _ => continue,
        };
        let day = day.parse().map_err(|_| StoreError::Corrupt(format!("a counted day {day}")))?;
        turns.push((day, on));
    }
    Ok(turns)
}

/// The first instant a database column can hold at or after `t` (columns
/// keep microseconds): `x < t` exactly when `x < db_ceil(t)`, and `x >= t`
/// exactly when `x >= db_ceil(t)`, for any stored `x`.
fn db_ceil(t: DateTime<Utc>) -> NaiveDateTime {
    let cut = to_db(t);
    if from_db(cut) < t {
        cut + chrono::Duration::microseconds(1)
    } else {
        cut
    }
}

/// The filter "open at `t`" (received before it, not closed before it) as
/// two b-tree ranges, answered one at a time (an OR would not use the
/// indexes). Only a period not yet ended is judged in the database, at the
/// present: the first range is the open dossiers' own index, the second
/// (closed after now) is empty.
fn open_filters(
    t: NaiveDateTime,
) -> Vec<Box<dyn BoxableExpression<dossiers::table, crate::connection::MultiBackend, SqlType = Nullable<Bool>>>> {
    vec![
        Box::new(dossiers::closed_at.is_null().and(dossiers::received_at.lt(t))),
        Box::new(dossiers::closed_at.ge(t).and(dossiers::received_at.lt(t))),
    ]
}

/// Paused at `t` or since: the dossiers whose due instant as it stood at
/// `t` may differ from the stored one (a pause running at `t` had not moved
/// it yet; one that ended after `t` moved it further than by then).
pub(crate) fn paused_at_or_since(
    t: NaiveDateTime,
) -> Box<dyn BoxableExpression<dossiers::table, crate::connection::MultiBackend, SqlType = Nullable<Bool>>> {
    Box::new(dossiers::paused_since.is_not_null().or(dossiers::last_resumed_at.ge(t)))
}

/// A dossier's keys as a select reads them (see [`Dims`]).
type Keys = (String, String, String, String, String);

/// How many of the dossiers received by one of `agencies` (all when None)
/// were open at `t`, and how many of those were overdue then, per keys.
///
/// A dossier's due instant as it stood at `t` is its stored one unless a
/// pause was running at `t` or ended after it: a pause that ended later
/// moved the stored one further than it had moved by `t`, and a pause still
/// running has not moved the stored one yet, though by `t` it had held the
/// clock for a while. So the database counts every open dossier by its
/// stored due instant, and only those that were paused at `t` or since
/// (`paused_since`, `last_resumed_at`) are read whole, judged as they stood
/// (`dues_as_of`) and moved to the other count where the stored instant
/// misjudged them: a report at ten million dossiers does not read the
/// hundred thousand open at its end one by one.
pub fn open_at(
    conn: &mut DbConnection,
    t: DateTime<Utc>,
    agencies: Option<&[String]>,
) -> Result<BTreeMap<Dims, OpenAtEnd>, StoreError> {
    use diesel::dsl::{case_when, count_star};
    let at = db_ceil(t);
    let dims = (
        dossiers::receiving_agency,
        dossiers::procedure_code,
        dossiers::sector_code,
        dossiers::channel,
        dossiers::level,
    );
    let mut out: BTreeMap<Dims, OpenAtEnd> = BTreeMap::new();
    let dims_of = |(receiving_agency, procedure_code, sector_code, channel, level): Keys| Dims {
        receiving_agency,
        procedure_code,
        sector_code,
        channel,
        level,
    };
    let mut unsure: Vec<(Keys, String, Option<NaiveDateTime>)> = Vec::new();
    for open in open_filters(at) {
        let passed = case_when(dossiers::due_at.lt(at), 1.into_sql::<Integer>()).otherwise(0.into_sql::<Integer>());
        let mut q = dossiers::table.group_by(dims).select((dims, count_star(), sum(passed))).filter(open).into_boxed();
        if let Some(set) = agencies {
            q = q.filter(dossiers::receiving_agency.eq_any(set.to_vec()));
        }
        let rows: Vec<(Keys, i64, Option<i64>)> = q.load(conn)?;
        for (keys, n, passed) in rows {
            let count = |x: i64| u64::try_from(x).map_err(|_| StoreError::Corrupt("a negative count".into()));
            let (n, passed) = (count(n)?, count(passed.unwrap_or(0))?);
            let e = out.entry(dims_of(keys)).or_default();
            e.overdue += passed;
            e.within_deadline += n - passed.min(n);
        }
    }
    // Paused at `t` or since: judged as they stood, and moved to the other
    // count where their stored due instant said otherwise.
    for open in open_filters(at) {
        let mut q = dossiers::table
            .select((dims, dossiers::code, dossiers::due_at))
            .filter(open)
            .filter(paused_at_or_since(at))
            .into_boxed();
        if let Some(set) = agencies {
            q = q.filter(dossiers::receiving_agency.eq_any(set.to_vec()));
        }
        unsure.extend(q.load::<(Keys, String, Option<NaiveDateTime>)>(conn)?);
    }
    let codes: Vec<String> = unsure.iter().map(|(_, c, _)| c.clone()).collect();
    let dues = crate::dossiers::dues_as_of(conn, &codes, t)?;
    for (keys, code, stored) in unsure {
        let counted_overdue = stored.is_some_and(|due| due < at);
        let overdue = dues.get(&code).is_some_and(|due| classify_open(t, *due) == Timeliness::Overdue);
        if overdue != counted_overdue {
            let e = out.entry(dims_of(keys)).or_default();
            if overdue {
                e.overdue += 1;
                e.within_deadline = e.within_deadline.saturating_sub(1);
            } else {
                e.within_deadline += 1;
                e.overdue = e.overdue.saturating_sub(1);
            }
        }
    }
    Ok(out)
}

/// Facts of the given dossiers received by one of `agencies` (all when None), in code order.
pub fn facts(
    conn: &mut DbConnection,
    codes: &[String],
    agencies: Option<&[String]>,
) -> Result<Vec<FactsRow>, StoreError> {
    Ok(load_counted(conn, codes, agencies)?.into_iter().map(|(row, _)| row).collect())
}

/// Where a drill-down stands: the instant its metric counts the last
/// dossier read at, and that dossier's code.
pub type Position = (DateTime<Utc>, String);

/// Whether a drill-down of `metric` over `p` reads the dossiers open and
/// overdue at the period's end by the span of their overdue turns: for a
/// period judged at its end, a midnight, where the turns tell.
fn by_overdue_span(metric: Metric, p: &Period) -> bool {
    metric == Metric::OpenOverdue && p.judged_at == p.to
}

/// The instant `metric` counts a dossier at in `p`, by which a drill-down
/// orders its dossiers (newest first): its reception for the counts of
/// received and of open dossiers, its resolution, its closing, or its
/// rating; for the dossiers open and overdue at an ended period's end, the
/// first midnight at which it stood overdue.
pub fn instant_of(metric: Metric, p: &Period, f: &DossierFacts) -> Option<DateTime<Utc>> {
    if by_overdue_span(metric, p) {
        return overdue_span(&f.overdue_turns).0;
    }
    match metric {
        Metric::ResolvedEarly | Metric::ResolvedOnTime | Metric::ResolvedLate => f.resolved_at,
        Metric::Withdrawn | Metric::Stopped | Metric::Refused => f.closed_at,
        Metric::Rated | Metric::Satisfied => f.rating.map(|(at, _)| at),
        Metric::CarriedOver
        | Metric::OpenWithinDeadline
        | Metric::OpenOverdue
        | Metric::Received
        | Metric::ReceivedOnline
        | Metric::Paid
        | Metric::PaidCashless
        | Metric::PaidOnline
        | Metric::Exempt
        | Metric::Digitised
        | Metric::Reused
        | Metric::Synced => f.received_at,
    }
}

/// A page of a drill-down: the facts of at most `limit` of the dossiers
/// that `metric` may count in the period, received by one of `agencies`
/// (all when None), newest first by [`instant_of`] then by code, after
/// `after`; and where the next page starts, None when there are no more.
/// The caller keeps those `counts` says it counts. Each page reads its rows
/// from the index of that instant and stops when it is full, so a page of a
/// dense figure costs what it holds, not what the period holds; a sparse
/// one reads on until it has found enough, and the last page of the
/// carried-over and open-within-deadline counts (or of the open-overdue
/// count of a period not yet ended) walks back to the first reception.
pub fn drill_page(
    conn: &mut DbConnection,
    p: &Period,
    metric: Metric,
    agencies: Option<&[String]>,
    after: Option<&Position>,
    limit: i64,
) -> Result<(Vec<FactsRow>, Option<Position>), StoreError> {
    let (from, to) = (to_db(p.from), to_db(p.to));
    let after = after.map(|(t, code)| (to_db(*t), code.clone()));
    let rows: Vec<FactsRow> = match metric {
        Metric::Rated | Metric::Satisfied => {
            let mut q = ratings::table
                .filter(ratings::rated_at.ge(from).and(ratings::rated_at.lt(to)))
                .select((ratings::dossier_code, ratings::rated_at))
                .order((ratings::rated_at.desc(), ratings::dossier_code.desc()))
                .limit(limit)
                .into_boxed();
            if let Some(set) = agencies {
                let theirs =
                    dossiers::table.filter(dossiers::receiving_agency.eq_any(set.to_vec())).select(dossiers::code);
                q = q.filter(ratings::dossier_code.eq_any(theirs));
            }
            if let Some((t, code)) = after {
                q = q
                    .filter(ratings::rated_at.le(t))
                    .filter(ratings::rated_at.lt(t).or(ratings::rated_at.eq(t).and(ratings::dossier_code.lt(code))));
            }
            let read: Vec<(String, NaiveDateTime)> = q.load(conn)?;
            let codes: Vec<String> = read.iter().map(|(code, _)| code.clone()).collect();
            let mut rows = facts(conn, &codes, agencies)?;
            let order: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
            rows.sort_by_key(|r| order.get(r.code.as_str()).copied());
            let full = i64::try_from(read.len()).unwrap_or(i64::MAX) == limit;
            let last = read.last().filter(|_| full).map(|(code, at)| (from_db(*at), code.clone()));
            return Ok((rows, last));
        }
        _ => {
            macro_rules! newest_first {
                ($col:expr, $before:expr) => {{
                    let mut q = facts_select!()
                        .filter($col.lt($before))
                        .order(($col.desc(), dossiers::code.desc()))
                        .limit(limit)
                        .into_boxed();
                    if let Some((t, code)) = &after {
                        q = q
                            .filter($col.le(*t))
                            .filter($col.lt(*t).or($col.eq(*t).and(dossiers::code.lt(code.clone()))));
                    }
                    q
                }};
            }
            let mut q = match metric {
                Metric::ResolvedEarly | Metric::ResolvedOnTime | Metric::ResolvedLate => {
                    let timeliness = match metric {
                        Metric::ResolvedEarly => Timeliness::Early,
                        Metric::ResolvedOnTime => Timeliness::OnTime,
                        _ => Timeliness::Late,
                    };
                    newest_first!(dossiers::resolved_at, to)
                        .filter(dossiers::resolved_at.ge(from))
                        .filter(dossiers::resolved_timeliness.eq(timeliness.as_str()))
                }
                Metric::Withdrawn | Metric::Stopped | Metric::Refused => {
                    let status = match metric {
                        Metric::Withdrawn => Status::Withdrawn,
                        Metric::Stopped => Status::Stopped,
                        _ => Status::Refused,
                    };
                    newest_first!(dossiers::closed_at, to)
                        .filter(dossiers::closed_at.ge(from))
                        .filter(dossiers::status.eq(status.as_str()))
                }
                Metric::OpenOverdue if by_overdue_span(metric, p) => {
                    // Open and overdue at the period's end, a midnight: within
                    // the span of its turns (exactly, unless it turned overdue
                    // more than once; the caller judges each as it stood).
                    let m = to_db(p.judged_at);
                    newest_first!(dossiers::overdue_from, m + chrono::Duration::microseconds(1))
                        .filter(dossiers::overdue_until.is_null().or(dossiers::overdue_until.gt(m)))
                }
                Metric::CarriedOver | Metric::OpenWithinDeadline | Metric::OpenOverdue => {
                    // Open at an instant: received before it, newest first
                    // (the open ones are mostly recent), not closed before it.
                    let t = db_ceil(if metric == Metric::CarriedOver { p.from } else { p.judged_at });
                    let q = newest_first!(dossiers::received_at, t)
                        .filter(dossiers::closed_at.is_null().or(dossiers::closed_at.ge(t)));
                    // A dossier not paused at `t` nor since stood at `t` by
                    // its stored due instant; the others are judged by the
                    // caller, as they stood.
                    let unsure = paused_at_or_since(t);
                    match metric {
                        Metric::OpenOverdue => q.filter(dossiers::due_at.lt(t).or(unsure)),
                        Metric::OpenWithinDeadline => {
                            q.filter(dossiers::due_at.is_null().or(dossiers::due_at.ge(t)).or(unsure))
                        }
                        _ => q,
                    }
                }
                _ => newest_first!(dossiers::received_at, to).filter(dossiers::received_at.ge(from)),
            };
            if let Some(set) = agencies {
                q = q.filter(dossiers::receiving_agency.eq_any(set.to_vec()));
            }
            let raw: Vec<Raw> = q.load(conn)?;
            let flags = if needs_flags(metric) {
                flags_of(conn, &raw.iter().map(|r| r.0 .0.clone()).collect::<Vec<_>>(), Some(metric))?
            } else {
                Flags::default()
            };
            let mut rows: Vec<FactsRow> =
                raw.into_iter().map(|r| facts_of(r, &flags).map(|(row, _)| row)).collect::<Result<_, _>>()?;
            if matches!(metric, Metric::OpenWithinDeadline | Metric::OpenOverdue) {
                judge_as_of(conn, &mut rows, p.judged_at)?;
            }
            rows
        }
    };
    let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == limit;
    let last = rows.last().filter(|_| full).and_then(|r| instant_of(metric, p, &r.facts).map(|t| (t, r.code.clone())));
    Ok((rows, last))
}

/// The daily cells a dossier's marks add to: (day, keys) → sums.
type Cells = BTreeMap<(String, Dims), DaySums>;

/// What `counted` holds: the keys and the marks a dossier was counted with.
fn encode(row: &FactsRow) -> Result<String, StoreError> {
    let d = &row.dims;
    let keys = [&d.receiving_agency, &d.procedure_code, &d.sector_code, &d.channel, &d.level];
    let marks: Vec<(String, &str)> =
        marks(&row.facts).into_iter().map(|(day, m)| (day.to_string(), m.as_str())).collect();
    Ok(serde_json::to_string(&(keys, marks))?)
}

/// What `counted` holds, read back: the keys, and each mark with its day.
type Decoded = ([String; 5], Vec<(String, Mark)>);

/// What [`encode`] wrote.
fn decode(counted: &str) -> Result<Decoded, StoreError> {
    let (keys, marks): ([String; 5], Vec<(String, String)>) = serde_json::from_str(counted)?;
    let marks = marks
        .into_iter()
        .map(|(day, mark)| {
            let m = Mark::parse(&mark).ok_or_else(|| StoreError::Corrupt(format!("unknown mark {mark}")))?;
            Ok((day, m))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((keys, marks))
}

fn add_encoded(cells: &mut Cells, counted: &str, by: i64) -> Result<(), StoreError> {
    let (keys, marks) = decode(counted)?;
    let [receiving_agency, procedure_code, sector_code, channel, level] = keys;
    let dims = Dims { receiving_agency, procedure_code, sector_code, channel, level };
    for (day, mark) in marks {
        cells.entry((day, dims.clone())).or_default().bump(mark, by);
    }
    Ok(())
}

/// What the figures read of a dossier besides its own row (its payments,
/// rating, relief, documents and feed), for a dossier written whole at once
/// (an import): it is counted as it is written, with no read back.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The methods of its settled payments (their `payments.method`).
    pub paid_by: Vec<String>,
    /// When it was rated, and whether satisfied.
    pub rating: Option<(DateTime<Utc>, bool)>,
}

/// The daily sums of dossiers written whole, gathered to be added at once.
#[derive(Default)]
pub(crate) struct Tally(Cells);

impl Tally {
    /// What a dossier written whole is counted with, as [`recount`] would
    /// find it once it is stored: `counted` for its row. Such a dossier has
    /// no fee relief and nothing waiting in the change feed; its documents
    /// say whether it is digitised or reuses the data store.
    pub(crate) fn count(
        &mut self,
        dims: Dims,
        mut facts: DossierFacts,
        known: &Known,
        documents: &[crate::dossiers::NewDocument],
    ) -> Result<String, StoreError> {
        facts.paid = !known.paid_by.is_empty();
        facts.paid_cashless = known.paid_by.iter().any(|m| paid_by(m).0);
        facts.paid_online = known.paid_by.iter().any(|m| paid_by(m).1);
        facts.exempt = false;
        facts.digitised = documents.iter().any(|d| d.digitised);
        facts.reused = documents.iter().any(|d| d.reused);
        facts.in_sync = true;
        facts.rating = known.rating.map(|(at, satisfied)| (from_db(to_db(at)), satisfied));
        let counted = encode(&FactsRow { code: String::new(), dims, facts })?;
        add_encoded(&mut self.0, &counted, 1)?;
        Ok(counted)
    }

    /// Adds what was gathered to `figure_days`.
    pub(crate) fn add(self, conn: &mut DbConnection) -> Result<(), StoreError> {
        add_to_days(conn, &self.0)
    }
}

/// Brings the daily sums up to date with the dossiers' current facts:
/// subtracts what each was counted with, adds what it counts now. Runs
/// inside the caller's transaction; a dossier that counts as before costs
/// one read.
pub fn recount(conn: &mut DbConnection, codes: &[String]) -> Result<(), StoreError> {
    for chunk in codes.chunks(500) {
        let mut cells = Cells::new();
        let mut changed = Vec::new();
        let mut loaded = load_counted(conn, chunk, None)?;
        with_overdue_turns(conn, &mut loaded)?;
        for (row, counted) in loaded {
            let now = encode(&row)?;
            if now == counted {
                continue;
            }
            if !counted.is_empty() {
                add_encoded(&mut cells, &counted, -1)?;
            }
            add_encoded(&mut cells, &now, 1)?;
            let (from, until) = overdue_span(&row.facts.overdue_turns);
            changed.push(Counted { code: row.code, counted: now, from: from.map(to_db), until: until.map(to_db) });
        }
        cells.retain(|_, sums| !sums.is_zero());
        add_to_days(conn, &cells)?;
        store_counted(conn, &changed)?;
    }
    Ok(())
}

/// The `n`th bound parameter of a statement written by hand: `$n` on
/// PostgreSQL, `?` on SQLite. SQLite looks every numbered parameter up in a
/// list, so that a statement of n of them takes n² to prepare (a thousand
/// daily cells, 26,000 parameters, held the demo's import at ~110 dossiers a
/// second); a plain `?` is numbered in order, as bound.
fn placeholder(pg: bool, n: usize) -> String {
    if pg {
        format!("${n}")
    } else {
        "?".to_owned()
    }
}

/// Adds the cells to `figure_days`, in key order (so concurrent
/// transactions lock rows in the same order).
fn add_to_days(conn: &mut DbConnection, cells: &Cells) -> Result<(), StoreError> {
    const KEYS: &str = "day, receiving_agency, procedure_code, sector_code, channel, level";
    let columns: Vec<&str> = Mark::ALL.iter().map(|m| m.as_str()).collect();
    let updates: Vec<String> = columns.iter().map(|c| format!("{c} = figure_days.{c} + excluded.{c}")).collect();
    let width = 6 + Mark::COUNT;
    let cells: Vec<_> = cells.iter().collect();
    let pg = conn.is_postgres();
    for chunk in cells.chunks(1000) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let params: Vec<String> = (1..=width).map(|i| placeholder(pg, r * width + i)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO figure_days ({KEYS}, {}) VALUES {} ON CONFLICT ({KEYS}) DO UPDATE SET {}",
            columns.join(", "),
            rows.join(", "),
            updates.join(", ")
        );
        let mut q = diesel::sql_query(sql).into_boxed();
        for ((day, d), sums) in chunk {
            q = q
                .bind::<Text, _>(day.clone())
                .bind::<Text, _>(d.receiving_agency.clone())
                .bind::<Text, _>(d.procedure_code.clone())
                .bind::<Text, _>(d.sector_code.clone())
                .bind::<Text, _>(d.channel.clone())
                .bind::<Text, _>(d.level.clone());
            for n in sums.0 {
                let n = i32::try_from(n).map_err(|_| StoreError::Corrupt("a daily count out of range".into()))?;
                q = q.bind::<Integer, _>(n);
            }
        }
        q.execute(conn)?;
    }
    Ok(())
}

/// What a dossier is counted with now: its marks, and the span of its
/// overdue turns.
struct Counted {
    code: String,
    counted: String,
    from: Option<NaiveDateTime>,
    until: Option<NaiveDateTime>,
}

/// Stores what each dossier is counted with now, in one statement per 500.
fn store_counted(conn: &mut DbConnection, changed: &[Counted]) -> Result<(), StoreError> {
    let pg = conn.is_postgres();
    for chunk in changed.chunks(500) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let params: Vec<String> = (1..=4).map(|i| placeholder(pg, 4 * r + i)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "UPDATE dossiers SET counted = v.column2, overdue_from = v.column3, overdue_until = v.column4 \
             FROM (VALUES {}) AS v WHERE dossiers.code = v.column1",
            rows.join(", ")
        );
        let mut q = diesel::sql_query(sql).into_boxed();
        for c in chunk {
            q = q
                .bind::<Text, _>(c.code.clone())
                .bind::<Text, _>(c.counted.clone())
                .bind::<Nullable<Timestamp>, _>(c.from)
                .bind::<Nullable<Timestamp>, _>(c.until);
        }
        q.execute(conn)?;
    }
    Ok(())
}

/// Refreshes the planner's statistics (after a bulk import).
pub fn analyze(conn: &mut DbConnection) -> Result<(), StoreError> {
    diesel::sql_query("ANALYZE").execute(conn)?;
    Ok(())
}

/// Builds the daily sums from every dossier when a migration asked for it
/// (the first start after the sums were introduced). Returns how many
/// dossiers were counted.
pub fn rebuild_if_needed(conn: &mut DbConnection) -> Result<Option<usize>, StoreError> {
    // A plain read first: a server on a read-only database must still start.
    let needed: Option<bool> = figure_rebuild::table.find(1).select(figure_rebuild::needed).first(conn).optional()?;
    if needed != Some(true) {
        return Ok(None);
    }
    crate::connection::write_transaction(conn, |conn| {
        let needed: Option<bool> =
            figure_rebuild::table.find(1).select(figure_rebuild::needed).first(conn).optional()?;
        if needed != Some(true) {
            return Ok(None);
        }
        diesel::delete(figure_days::table).execute(conn)?;
        diesel::update(dossiers::table).set(dossiers::counted.eq("")).execute(conn)?;
        let codes: Vec<String> = dossiers::table.select(dossiers::code).order(dossiers::code.asc()).load(conn)?;
        recount(conn, &codes)?;
        diesel::update(figure_rebuild::table.find(1)).set(figure_rebuild::needed.eq(false)).execute(conn)?;
        Ok(Some(codes.len()))
    })
}

/// Which days to sum.
#[derive(Debug, Clone, Copy)]
pub enum Days {
    Before(NaiveDate),
    /// Both inclusive.
    Between(NaiveDate, NaiveDate),
}

type SumRow = (
    (String, String, String, String, String),
    (Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>),
    (Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>),
    (Option<i64>, Option<i64>, Option<i64>, Option<i64>),
);

/// The sums of the chosen days per keys, for dossiers received by one of
/// `agencies` (all when None).
pub fn day_sums(
    conn: &mut DbConnection,
    days: Days,
    agencies: Option<&[String]>,
) -> Result<Vec<(Dims, DaySums)>, StoreError> {
    use figure_days as f;
    let mut q = f::table
        .group_by((f::receiving_agency, f::procedure_code, f::sector_code, f::channel, f::level))
        .select((
            (f::receiving_agency, f::procedure_code, f::sector_code, f::channel, f::level),
            (
                sum(f::received),
                sum(f::received_online),
                sum(f::paid),
                sum(f::paid_cashless),
                sum(f::digitised),
                sum(f::resolved_early),
                sum(f::resolved_on_time),
            ),
            (
                sum(f::resolved_late),
                sum(f::withdrawn),
                sum(f::stopped),
                sum(f::refused),
                sum(f::closed_after_reception),
                sum(f::rated),
                sum(f::satisfied),
                sum(f::paid_online),
            ),
            (sum(f::exempt), sum(f::reused), sum(f::became_overdue), sum(f::left_overdue)),
        ))
        .into_boxed();
    q = match days {
        Days::Before(d) => q.filter(f::day.lt(d.to_string())),
        Days::Between(a, b) => q.filter(f::day.ge(a.to_string())).filter(f::day.le(b.to_string())),
    };
    if let Some(set) = agencies {
        q = q.filter(f::receiving_agency.eq_any(set.to_vec()));
    }
    let rows: Vec<SumRow> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|((receiving_agency, procedure_code, sector_code, channel, level), a, b, c)| {
            let (exempt, reused, became_overdue, left_overdue) = c;
            let n = |x: Option<i64>| x.unwrap_or(0);
            let sums = DaySums([
                n(a.0),
                n(a.1),
                n(a.2),
                n(a.3),
                n(exempt),
                n(a.4),
                n(a.5),
                n(a.6),
                n(b.0),
                n(b.1),
                n(b.2),
                n(b.3),
                n(b.4),
                n(b.5),
                n(b.6),
                n(b.7),
                n(reused),
                n(became_overdue),
                n(left_overdue),
            ]);
            (Dims { receiving_agency, procedure_code, sector_code, channel, level }, sums)
        })
        .collect())
}

/// The keys of each dossier received in the period with a change the
/// national portal has not acknowledged yet (one entry per dossier).
pub fn unsynced_received(
    conn: &mut DbConnection,
    p: &Period,
    agencies: Option<&[String]>,
) -> Result<Vec<Dims>, StoreError> {
    let pending = changes::table.filter(changes::delivered_at.is_null()).select(changes::dossier_code);
    let mut q = dossiers::table
        .filter(dossiers::code.eq_any(pending))
        .filter(dossiers::received_at.ge(to_db(p.from)))
        .filter(dossiers::received_at.lt(to_db(p.to)))
        .select((
            dossiers::receiving_agency,
            dossiers::procedure_code,
            dossiers::sector_code,
            dossiers::channel,
            dossiers::level,
        ))
        .into_boxed();
    if let Some(set) = agencies {
        q = q.filter(dossiers::receiving_agency.eq_any(set.to_vec()));
    }
    let rows: Vec<(String, String, String, String, String)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(receiving_agency, procedure_code, sector_code, channel, level)| Dims {
            receiving_agency,
            procedure_code,
            sector_code,
            channel,
            level,
        })
        .collect())
}

/// A satisfaction rating (docs/RULES.md §6): nine criteria 0–2 and the overall answer.
pub fn rate(
    conn: &mut DbConnection,
    code: &str,
    criteria: &[u8; 9],
    overall: Overall,
    comment: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let exists: Option<String> = ratings::table.find(code).select(ratings::dossier_code).first(conn).optional()?;
    if exists.is_some() {
        return Err(StoreError::Conflict {
            code: ErrorCode::AlreadyRated,
            message: format!("dossier {code} was rated already; a rating is given once"),
        });
    }
    insert_ratings(conn, &[(code.to_owned(), *criteria, overall, now)], comment, by)?;
    recount(conn, &[code.to_owned()])
}

/// Writes ratings (no recount: `rate` recounts, an import recounts its batch).
pub fn insert_ratings(
    conn: &mut DbConnection,
    given: &[(String, [u8; 9], Overall, DateTime<Utc>)],
    comment: Option<&str>,
    by: &str,
) -> Result<(), StoreError> {
    let rows = given
        .iter()
        .map(|(code, criteria, overall, at)| {
            Ok((
                ratings::dossier_code.eq(code.clone()),
                ratings::criteria.eq(serde_json::to_string(criteria)?),
                ratings::total.eq(criteria.iter().map(|c| i32::from(*c)).sum::<i32>()),
                ratings::overall.eq(overall.as_str()),
                ratings::comment.eq(comment.map(str::to_owned)),
                ratings::rated_by.eq(by.to_owned()),
                ratings::rated_at.eq(to_db(*at)),
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    crate::copy_many!(conn, ratings::table, rows)?;
    Ok(())
}

/// A stored rating.
#[derive(Debug, Clone)]
pub struct Rating {
    pub criteria: Vec<u8>,
    pub total: i32,
    pub overall: Overall,
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
        let overall = name(overall, "rating")?;
        Ok(Rating { criteria: serde_json::from_str(&c)?, total, overall, comment, rated_at: from_db(at) })
    })
    .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn a_stored_instant_is_before_t_exactly_when_it_is_before_its_ceiling() {
        let whole = Utc.with_ymd_and_hms(2025, 12, 31, 17, 0, 0).unwrap();
        for t in [
            whole,
            whole + Duration::nanoseconds(1),
            whole + Duration::nanoseconds(999),
            whole + Duration::microseconds(1),
        ] {
            let ceil = db_ceil(t);
            for x in [to_db(t) - Duration::microseconds(1), to_db(t), to_db(t) + Duration::microseconds(1)] {
                assert_eq!(from_db(x) < t, x < ceil, "{x} < {t}");
                assert_eq!(from_db(x) >= t, x >= ceil, "{x} >= {t}");
            }
        }
    }
}
