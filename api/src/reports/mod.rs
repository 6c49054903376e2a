//! `/api/v1/reports`: the province's figures with drill-down, and the
//! Decision 766 service index (SPEC §7).

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::{NaiveDate, NaiveTime};
use dvc_domain::auth::{Actor, Role};
use dvc_domain::figures::{counts, index_766, Index766, Metric, Period, Rate, Tally};
use dvc_persistence::figures::{self, FactsRow};
use dvc_persistence::{agencies, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::agencies::types::parse_code;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::vietnam;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(summary).service(drilldown).service(index);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Agency,
    Procedure,
    Sector,
    Channel,
    Level,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day of the period (Vietnam date, inclusive).
    pub from: NaiveDate,
    /// Last day of the period (inclusive).
    pub to: NaiveDate,
    /// Agency code: it and its sub-units (default: the whole province, or a staff member's own agency).
    pub agency: Option<String>,
    pub group_by: Option<GroupBy>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agency: Option<String>,
    /// The count to explain: `received`, `resolved_late`, `open_overdue`, …
    pub metric: String,
    pub group_by: Option<GroupBy>,
    /// The group's key (an agency code, procedure code, sector code, channel or level).
    pub group: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateOut {
    pub numerator: u64,
    pub denominator: u64,
    /// numerator / denominator; absent when the denominator is 0.
    pub value: Option<f64>,
}

impl From<Rate> for RateOut {
    fn from(r: Rate) -> Self {
        Self { numerator: r.numerator, denominator: r.denominator, value: r.value }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rates {
    /// (early + on time) / resolved.
    pub on_time: RateOut,
    /// Received online or through the national portal / received (target ≥ 80%).
    pub online: RateOut,
    /// Paid cashless / paid (target ≥ 30%).
    pub cashless: RateOut,
    /// With a digitised document / received.
    pub digitised: RateOut,
    /// Synchronised with the national portal / received.
    pub synced: RateOut,
    /// Satisfied ratings / ratings given in the period.
    pub satisfaction: RateOut,
    /// Feedback refused or answered within its limit / refused or answered in the period
    /// (absent for groups other than agencies: feedback concerns an agency).
    pub feedback_on_time: Option<RateOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// The group's key; `total` for the whole scope.
    pub key: String,
    /// The agency's name, for agency groups.
    pub name: Option<String>,
    /// Every count, by metric name (each has a drill-down).
    #[schema(value_type = Object)]
    pub counts: BTreeMap<&'static str, u64>,
    pub resolved: u64,
    pub rates: Rates,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agency: Option<String>,
    pub group_by: Option<GroupBy>,
    pub total: GroupOut,
    pub groups: Vec<GroupOut>,
}

/// Who may read reports, and for which agencies.
fn scope(actor: &Actor, agency: Option<&str>) -> Result<Option<dvc_domain::agency::AgencyCode>, ApiError> {
    let asked = agency.map(|a| parse_code("agency", a)).transpose()?;
    match actor.role {
        Role::Admin | Role::Viewer => Ok(asked),
        Role::Officer | Role::Approver | Role::AgencyAdmin => Ok(asked.or_else(|| actor.agency.clone())),
        _ => Err(ApiError::forbidden("reports:read", "reports are for leadership, staff and the operations centre")),
    }
}

fn period(from: NaiveDate, to: NaiveDate) -> Result<Period, ApiError> {
    if to < from {
        return Err(ApiError::invalid_field("to", "before_from", "the period ends on or after it starts"));
    }
    if (to - from).num_days() > 3700 {
        return Err(ApiError::invalid_field("to", "too_long", "a period is at most ten years"));
    }
    let start = |d: NaiveDate| {
        d.and_time(NaiveTime::MIN)
            .and_local_timezone(vietnam())
            .single()
            .map(|t| t.to_utc())
            .ok_or_else(|| ApiError::invalid_field("from", "invalid_date", "not a date"))
    };
    let next = to.succ_opt().ok_or_else(|| ApiError::invalid_field("to", "invalid_date", "out of range"))?;
    Ok(Period { from: start(from)?, to: start(next)? })
}

/// The facts in scope, and for agency grouping the agencies with their subtrees.
struct Loaded {
    facts: Vec<FactsRow>,
    agencies: Vec<(String, String, Vec<String>)>,
    satisfaction: BTreeMap<String, Rate>,
    total_satisfaction: Rate,
    feedback: BTreeMap<String, Rate>,
    total_feedback: Rate,
}

fn load(
    conn: &mut DbConnection,
    p: &Period,
    agency: Option<&dvc_domain::agency::AgencyCode>,
    group_by: Option<GroupBy>,
) -> Result<Loaded, ApiError> {
    if let Some(a) = agency {
        if !agencies::exists(conn, a)? {
            return Err(ApiError::invalid_field("agency", "unknown_agency", format!("no agency {a}")));
        }
    }
    let all = agencies::all(conn)?;
    let set = agency.map(|a| agencies::subtree(&all, a.as_str()));
    let facts = figures::facts(conn, p, set.as_deref())?;
    let total_satisfaction = figures::satisfaction(conn, p, set.as_deref())?;
    let total_feedback = dvc_persistence::feedback::on_time_rate(conn, p, set.as_deref())?;
    let mut groups = Vec::new();
    let mut satisfaction = BTreeMap::new();
    let mut feedback = BTreeMap::new();
    if group_by == Some(GroupBy::Agency) {
        let in_scope: Vec<&(String, String, Option<String>)> =
            all.iter().filter(|(c, _, _)| set.as_ref().is_none_or(|s| s.contains(c))).collect();
        for (code, name, _) in in_scope {
            let subtree = agencies::subtree(&all, code);
            satisfaction.insert(code.clone(), figures::satisfaction(conn, p, Some(&subtree))?);
            feedback.insert(code.clone(), dvc_persistence::feedback::on_time_rate(conn, p, Some(&subtree))?);
            groups.push((code.clone(), name.clone(), subtree));
        }
    }
    Ok(Loaded { facts, agencies: groups, satisfaction, total_satisfaction, feedback, total_feedback })
}

fn key_of(f: &FactsRow, g: GroupBy) -> &str {
    match g {
        GroupBy::Agency => &f.receiving_agency,
        GroupBy::Procedure => &f.procedure_code,
        GroupBy::Sector => &f.sector_code,
        GroupBy::Channel => &f.channel,
        GroupBy::Level => &f.level,
    }
}

/// Is this dossier in the group (agency groups include sub-units)?
fn in_group(f: &FactsRow, g: GroupBy, key: &str, loaded: &Loaded) -> bool {
    match g {
        GroupBy::Agency => loaded
            .agencies
            .iter()
            .find(|(c, _, _)| c == key)
            .is_some_and(|(_, _, sub)| sub.contains(&f.receiving_agency)),
        _ => key_of(f, g) == key,
    }
}

fn group_out(key: String, name: Option<String>, t: &Tally, satisfaction: Rate, feedback: Option<Rate>) -> GroupOut {
    GroupOut {
        key,
        name,
        counts: Metric::ALL.iter().map(|m| (m.as_str(), t.get(*m))).collect(),
        resolved: t.resolved(),
        rates: Rates {
            on_time: t.on_time_rate().into(),
            online: t.online_rate().into(),
            cashless: t.cashless_rate().into(),
            digitised: t.digitised_rate().into(),
            synced: t.synced_rate().into(),
            satisfaction: satisfaction.into(),
            feedback_on_time: feedback.map(Into::into),
        },
    }
}

/// The summary of a period.
///
/// Per group: carried over, received, resolved early / on time / late,
/// withdrawn, stopped, refused, still open within the deadline / overdue at
/// the end; and the on-time, online, cashless, digitised, synced and
/// satisfaction rates with numerator and denominator. Agency groups include
/// their sub-units. Every count can be drilled into
/// (`GET /api/v1/reports/dossiers`).
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(ReportParams), responses((status = 200, body = SummaryOut)))]
#[get("/api/v1/reports/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ReportParams>,
) -> Result<web::Json<SummaryOut>, ApiError> {
    let q = params.into_inner();
    let agency = scope(&caller.0, q.agency.as_deref())?;
    let p = period(q.from, q.to)?;
    let group_by = q.group_by;
    let out = state
        .db(move |conn| {
            let loaded = load(conn, &p, agency.as_ref(), group_by)?;
            let mut total = Tally::default();
            for f in &loaded.facts {
                total.add(&f.facts, &p);
            }
            let groups = match group_by {
                None => Vec::new(),
                Some(GroupBy::Agency) => loaded
                    .agencies
                    .iter()
                    .map(|(code, name, _)| {
                        let mut t = Tally::default();
                        loaded
                            .facts
                            .iter()
                            .filter(|f| in_group(f, GroupBy::Agency, code, &loaded))
                            .for_each(|f| t.add(&f.facts, &p));
                        let sat = loaded.satisfaction.get(code).copied().unwrap_or(Rate::of(0, 0));
                        let fb = loaded.feedback.get(code).copied();
                        group_out(code.clone(), Some(name.clone()), &t, sat, fb)
                    })
                    .collect(),
                Some(g) => {
                    let mut by: BTreeMap<String, Tally> = BTreeMap::new();
                    for f in &loaded.facts {
                        by.entry(key_of(f, g).to_owned()).or_default().add(&f.facts, &p);
                    }
                    by.into_iter().map(|(k, t)| group_out(k, None, &t, Rate::of(0, 0), None)).collect()
                }
            };
            Ok::<_, ApiError>(SummaryOut {
                from: q.from,
                to: q.to,
                agency: agency.map(|a| a.to_string()),
                group_by,
                total: group_out("total".into(), None, &total, loaded.total_satisfaction, Some(loaded.total_feedback)),
                groups,
            })
        })
        .await?;
    Ok(web::Json(out))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DrillOut {
    pub metric: String,
    pub group: Option<String>,
    /// As many as the figure counts.
    pub count: usize,
    /// The dossier codes, in code order.
    pub codes: Vec<String>,
}

/// The dossiers behind a figure.
///
/// Exactly the dossiers the summary counts for that metric (and group).
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(DrillParams), responses((status = 200, body = DrillOut)))]
#[get("/api/v1/reports/dossiers")]
pub async fn drilldown(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<DrillParams>,
) -> Result<web::Json<DrillOut>, ApiError> {
    let q = params.into_inner();
    let agency = scope(&caller.0, q.agency.as_deref())?;
    let p = period(q.from, q.to)?;
    let metric = Metric::parse(&q.metric).ok_or_else(|| {
        ApiError::invalid_field(
            "metric",
            "unknown_metric",
            format!("one of {}", Metric::ALL.map(|m| m.as_str()).join(", ")),
        )
    })?;
    let group = match (q.group_by, q.group.clone()) {
        (Some(g), Some(k)) => Some((g, k)),
        (None, None) => None,
        _ => return Err(ApiError::invalid_field("group", "group_needs_group_by", "give group_by and group together")),
    };
    let out = state
        .db(move |conn| {
            let loaded = load(conn, &p, agency.as_ref(), group.as_ref().map(|(g, _)| *g))?;
            let codes: Vec<String> = loaded
                .facts
                .iter()
                .filter(|f| group.as_ref().is_none_or(|(g, k)| in_group(f, *g, k, &loaded)))
                .filter(|f| counts(&f.facts, metric, &p))
                .map(|f| f.code.clone())
                .collect();
            Ok::<_, ApiError>(DrillOut {
                metric: metric.as_str().to_owned(),
                group: group.map(|(_, k)| k),
                count: codes.len(),
                codes,
            })
        })
        .await?;
    Ok(web::Json(out))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndexOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agency: Option<String>,
    /// The six groups with their sub-indicators: score, maximum, ratio, threshold, and whether the system can know it.
    #[schema(value_type = Object)]
    pub index: Index766,
}

/// The Decision 766 service index of a unit.
///
/// Scores out of 100 in six groups; a sub-indicator with maximum P and
/// threshold T scores P when its ratio r ≥ T, else r × P / T. Parts the
/// system holds no data for are marked `known: false`.
#[utoipa::path(tag = "reports", security(("bearer" = [])),
    params(("from" = NaiveDate, Query, description = "First day"), ("to" = NaiveDate, Query, description = "Last day"), ("agency" = Option<String>, Query, description = "Agency code (with sub-units)")),
    responses((status = 200, body = IndexOut)))]
#[get("/api/v1/reports/index-766")]
pub async fn index(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ReportParams>,
) -> Result<web::Json<IndexOut>, ApiError> {
    let q = params.into_inner();
    let agency = scope(&caller.0, q.agency.as_deref())?;
    let p = period(q.from, q.to)?;
    let out = state
        .db(move |conn| {
            let loaded = load(conn, &p, agency.as_ref(), None)?;
            let mut t = Tally::default();
            loaded.facts.iter().for_each(|f| t.add(&f.facts, &p));
            Ok::<_, ApiError>(IndexOut {
                from: q.from,
                to: q.to,
                agency: agency.map(|a| a.to_string()),
                index: index_766(&t, loaded.total_satisfaction),
            })
        })
        .await?;
    Ok(web::Json(out))
}
