//! `/api/v1/reports`: the province's figures with drill-down, and the
//! Decision 766 service index (docs/RULES.md §7).

use std::collections::BTreeMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::{Actor, Role};
use dvc_domain::figures::daily::{self, DaySums, OpenAtEnd};
use dvc_domain::figures::{counts, index_766, Index766, Metric, Period, Rate, Tally};
use dvc_persistence::figures::{self, Days, Dims, Position};
use dvc_persistence::{agencies, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationErrors};

use crate::agencies::types::parse_code;
use crate::auth::Caller;
use crate::check::Report;
use crate::error::ApiError;
use crate::export::{self, ExportFormat, FormatParam, Value};
use crate::state::AppState;
use crate::time::vietnam;
use dvc_domain::ErrorCode;

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
    #[param(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub agency: Option<String>,
    pub group_by: Option<GroupBy>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[param(pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")]
    pub agency: Option<String>,
    /// The count to explain: `received`, `resolved_late`, `open_overdue`, `exempt`, …
    #[param(value_type = MetricDto)]
    pub metric: String,
    pub group_by: Option<GroupBy>,
    /// The group's key (an agency code, procedure code, sector code, channel or level).
    pub group: Option<String>,
    /// Go on after this dossier (the `next` of the previous page; 422
    /// `invalid_cursor` for a code of no dossier in scope, or of one the
    /// figure's instant does not apply to, such as an unresolved dossier for
    /// a count of resolved ones).
    pub after: Option<String>,
    /// At most this many codes (default 1,000, at most 10,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
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
    /// Paid cashless (`online` or `transfer`) / paid (the province's target ≥ 30%).
    pub cashless: RateOut,
    /// Paid through the payment platform (`online`) / paid: the Decision 766
    /// online payment ratio.
    pub online_payment: RateOut,
    /// With a digitised document / received.
    pub digitised: RateOut,
    /// With a document reused from the citizen's data store (fetched by dvc,
    /// docs/RULES.md §11) / received.
    pub reused: RateOut,
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
    /// Every count, by metric name (each has a drill-down): `carried_over`, `received`, `resolved_early`,
    /// `resolved_on_time`, `resolved_late`, `withdrawn`, `stopped`, `refused`, `open_within_deadline`,
    /// `open_overdue`, `received_online`, `paid`, `paid_cashless`, `paid_online` (through the payment
    /// platform), `exempt` (received in the period and exempt from their fees, docs/RULES.md §5: counted apart
    /// from `paid`), `digitised`, `reused` (with a document fetched from the data store), `synced`, `rated`,
    /// `satisfied`.
    #[schema(schema_with = counts_schema)]
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

/// Whose figures a caller asks for: the agency asked (its subtree), and for
/// staff their own agency, which must be the agency asked or above it.
#[derive(Debug, Clone)]
struct Scope {
    asked: Option<dvc_domain::agency::AgencyCode>,
    staff_of: Option<dvc_domain::agency::AgencyCode>,
}

/// Who may read reports, and for which agencies.
fn scope(actor: &Actor, agency: Option<&str>) -> Result<Scope, ApiError> {
    let asked = asked_agency(agency)?;
    match actor.role {
        Role::Admin | Role::Viewer => Ok(Scope { asked, staff_of: None }),
        Role::Officer | Role::Approver | Role::AgencyAdmin => {
            Ok(Scope { asked: asked.or_else(|| actor.agency.clone()), staff_of: actor.agency.clone() })
        }
        _ => Err(ApiError::forbidden("reports:read", "reports are for leadership, staff and the operations centre")),
    }
}

impl Validate for ReportParams {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(asked_agency(self.agency.as_deref()));
        report.take(bounds(self.from, self.to));
        report.finish()
    }
}

impl Validate for DrillParams {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(asked_agency(self.agency.as_deref()));
        report.take(bounds(self.from, self.to));
        report.take(metric_of(&self.metric));
        report.take(group_of(self.group_by, self.group.clone()));
        report.take(drill_limit(self.limit));
        report.finish()
    }
}

fn asked_agency(agency: Option<&str>) -> Result<Option<AgencyCode>, ApiError> {
    agency.map(|a| parse_code("agency", a)).transpose()
}

fn metric_of(name: &str) -> Result<Metric, ApiError> {
    Metric::parse(name).ok_or_else(|| {
        ApiError::invalid_field(
            "metric",
            ErrorCode::UnknownMetric,
            format!("one of {}", Metric::ALL.map(|m| m.as_str()).join(", ")),
        )
    })
}

/// The group drilled into: `group_by` and `group` together, or neither.
fn group_of(group_by: Option<GroupBy>, group: Option<String>) -> Result<Option<(GroupBy, String)>, ApiError> {
    match (group_by, group) {
        (Some(g), Some(k)) => Ok(Some((g, k))),
        (None, None) => Ok(None),
        _ => Err(ApiError::invalid_field("group", ErrorCode::GroupNeedsGroupBy, "give group_by and group together")),
    }
}

fn drill_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", ErrorCode::OutOfRange, "between 1 and 10,000"));
    }
    Ok(limit)
}

/// The period of whole Vietnam days `from`..=`to` as it stands at `now`.
fn period(from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> Result<Period, ApiError> {
    let (start, end) = bounds(from, to)?;
    Ok(Period::as_of(start, end, now))
}

/// The first instant of `from` and the first after `to`, Vietnam time: at
/// most ten years, ending on or after it starts.
fn bounds(from: NaiveDate, to: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    if to < from {
        return Err(ApiError::invalid_field("to", ErrorCode::BeforeFrom, "the period ends on or after it starts"));
    }
    if (to - from).num_days() > 3700 {
        return Err(ApiError::invalid_field("to", ErrorCode::TooLong, "a period is at most ten years"));
    }
    let start = |d: NaiveDate| {
        d.and_time(NaiveTime::MIN)
            .and_local_timezone(vietnam())
            .single()
            .map(|t| t.to_utc())
            .ok_or_else(|| ApiError::invalid_field("from", ErrorCode::InvalidDate, "not a date"))
    };
    let next = to.succ_opt().ok_or_else(|| ApiError::invalid_field("to", ErrorCode::InvalidDate, "out of range"))?;
    Ok((start(from)?, start(next)?))
}

/// Everything a report of one scope needs: per keys (agency, procedure,
/// sector, channel, level), the daily sums before the period and within it,
/// the dossiers open at its end and how many received in it wait for the
/// national portal; the agencies with their sub-units; the feedback rates.
struct Loaded {
    /// The agencies in scope (all when None).
    scope: Option<Vec<String>>,
    cells: BTreeMap<Dims, Cell>,
    agencies: Vec<AgencyGroup>,
    feedback: BTreeMap<String, Rate>,
    total_feedback: Rate,
}

/// An agency's code, name, and its code with its sub-units' codes.
type AgencyGroup = (String, String, Vec<String>);

#[derive(Default)]
struct Cell {
    before: DaySums,
    within: DaySums,
    open: OpenAtEnd,
    unsynced: u64,
}

/// The agencies in scope (an agency with its sub-units, or all), and the
/// groups when grouping by agency.
fn agency_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    group_by: Option<GroupBy>,
) -> Result<(Option<Vec<String>>, Vec<AgencyGroup>), ApiError> {
    let agency = scope.asked.as_ref();
    if let Some(a) = agency {
        if !agencies::exists(conn, a)? {
            return Err(ApiError::invalid_field("agency", ErrorCode::UnknownAgency, format!("no agency {a}")));
        }
        if let Some(own) = &scope.staff_of {
            if !agencies::with_ancestors(conn, a)?.iter().any(|c| c == own.as_str()) {
                return Err(ApiError::forbidden(
                    "reports:read",
                    format!("staff read the figures of their own agency ({own}) and its sub-units"),
                ));
            }
        }
    }
    let all = agencies::all(conn)?;
    let set = agency.map(|a| agencies::subtree(&all, a.as_str()));
    let groups = if group_by == Some(GroupBy::Agency) {
        all.iter()
            .filter(|(c, _, _)| set.as_ref().is_none_or(|s| s.contains(c)))
            .map(|(code, name, _)| (code.clone(), name.clone(), agencies::subtree(&all, code)))
            .collect()
    } else {
        Vec::new()
    };
    Ok((set, groups))
}

fn load(
    conn: &mut DbConnection,
    p: &Period,
    days: (NaiveDate, NaiveDate),
    scope: &Scope,
    group_by: Option<GroupBy>,
) -> Result<Loaded, ApiError> {
    let (in_scope, groups) = agency_scope(conn, scope, group_by)?;
    let set = in_scope.as_deref();
    let mut cells: BTreeMap<Dims, Cell> = BTreeMap::new();
    for (dims, sums) in figures::day_sums(conn, Days::Before(days.0), set)? {
        cells.entry(dims).or_default().before = sums;
    }
    for (dims, sums) in figures::day_sums(conn, Days::Between(days.0, days.1), set)? {
        cells.entry(dims).or_default().within = sums;
    }
    if p.judged_at == p.to {
        // Judged at its end: the sums tell which were open, and overdue.
        for cell in cells.values_mut() {
            cell.open = OpenAtEnd::of_sums(&cell.before, &cell.within);
        }
    } else {
        // Judged now, within a day: as each stands now.
        for (dims, open) in figures::open_at(conn, p.judged_at, set)? {
            cells.entry(dims).or_default().open = open;
        }
    }
    for dims in figures::unsynced_received(conn, p, set)? {
        cells.entry(dims).or_default().unsynced += 1;
    }
    use dvc_persistence::feedback::{on_time_rate, responses};
    let responded = responses(conn, p, set)?;
    let total_feedback = on_time_rate(responded.iter());
    let feedback = groups
        .iter()
        .map(|(code, _, subtree)| (code.clone(), on_time_rate(responded.iter().filter(|(a, _)| subtree.contains(a)))))
        .collect();
    Ok(Loaded { scope: in_scope, cells, agencies: groups, feedback, total_feedback })
}

/// The tally of some cells.
fn tally_of<'a>(cells: impl Iterator<Item = &'a Cell>) -> Tally {
    let (mut before, mut within, mut unsynced) = (DaySums::default(), DaySums::default(), 0);
    let mut open = OpenAtEnd::default();
    for c in cells {
        before.add(&c.before);
        within.add(&c.within);
        unsynced += c.unsynced;
        open.add(c.open);
    }
    daily::tally(&before, &within, open, unsynced)
}

fn key_of(d: &Dims, g: GroupBy) -> &str {
    match g {
        GroupBy::Agency => &d.receiving_agency,
        GroupBy::Procedure => &d.procedure_code,
        GroupBy::Sector => &d.sector_code,
        GroupBy::Channel => &d.channel,
        GroupBy::Level => &d.level,
    }
}

/// Is a dossier with these keys in the group (agency groups include sub-units)?
fn in_group(d: &Dims, g: GroupBy, key: &str, agencies: &[AgencyGroup]) -> bool {
    match g {
        GroupBy::Agency => {
            agencies.iter().find(|(c, _, _)| c == key).is_some_and(|(_, _, sub)| sub.contains(&d.receiving_agency))
        }
        _ => key_of(d, g) == key,
    }
}

fn group_out(key: String, name: Option<String>, t: &Tally, feedback: Option<Rate>) -> GroupOut {
    GroupOut {
        key,
        name,
        counts: Metric::ALL.iter().map(|m| (m.as_str(), t.get(*m))).collect(),
        resolved: t.resolved(),
        rates: Rates {
            on_time: t.on_time_rate().into(),
            online: t.online_rate().into(),
            cashless: t.cashless_rate().into(),
            online_payment: t.online_payment_rate().into(),
            digitised: t.digitised_rate().into(),
            reused: t.reused_rate().into(),
            synced: t.synced_rate().into(),
            satisfaction: t.satisfaction_rate().into(),
            feedback_on_time: feedback.map(Into::into),
        },
    }
}

/// The summary of a period.
///
/// Per group: carried over, received, resolved early / on time / late,
/// withdrawn, stopped, refused, still open within the deadline / overdue at
/// the end; and the on-time, online, cashless, online payment, digitised,
/// synced and satisfaction rates with numerator and denominator. Agency
/// groups include their sub-units. Every count can be drilled into
/// (`GET /api/v1/reports/dossiers`).
///
/// A dossier still open at the end is judged against its due instant as it
/// stood then: moved by the pause time that had passed by the end, never by
/// later waiting, so a period's figures do not change once it has ended. A
/// period that has not ended yet judges its open dossiers now.
#[utoipa::path(operation_id = "read_report_summary", tag = "reports", security(("bearer" = [])), params(ReportParams, FormatParam),
    responses((status = 200, description = "The summary (JSON), or one row per group and the total with every count and rate (CSV, XLSX)",
        content(
            (SummaryOut = "application/json"),
            (crate::export::CsvFile = "text/csv"),
            (crate::export::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        headers(("Content-Disposition" = String, description = "CSV and XLSX: `attachment; filename=\"…\"`")))))]
#[get("/api/v1/reports/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    params: crate::extract::Query<ReportParams>,
    format: crate::extract::Query<FormatParam>,
) -> Result<HttpResponse, ApiError> {
    let format = format.choose(&req);
    let q = params.into_inner();
    let scope = scope(&caller.0, q.agency.as_deref())?;
    let agency = scope.asked.clone();
    let p = period(q.from, q.to, state.now())?;
    let group_by = q.group_by;
    let days = (q.from, q.to);
    let out = state
        .read(move |conn| {
            let loaded = load(conn, &p, days, &scope, group_by)?;
            let total = tally_of(loaded.cells.values());
            let groups = match group_by {
                None => Vec::new(),
                Some(GroupBy::Agency) => loaded
                    .agencies
                    .iter()
                    .map(|(code, name, subtree)| {
                        let cells = loaded.cells.iter().filter(|(d, _)| subtree.contains(&d.receiving_agency));
                        let t = tally_of(cells.map(|(_, c)| c));
                        group_out(code.clone(), Some(name.clone()), &t, loaded.feedback.get(code).copied())
                    })
                    .collect(),
                Some(g) => {
                    let mut by: BTreeMap<&str, Vec<&Cell>> = BTreeMap::new();
                    for (d, c) in &loaded.cells {
                        by.entry(key_of(d, g)).or_default().push(c);
                    }
                    by.into_iter()
                        .map(|(k, cells)| group_out(k.to_owned(), None, &tally_of(cells.into_iter()), None))
                        .collect()
                }
            };
            Ok::<_, ApiError>(SummaryOut {
                from: q.from,
                to: q.to,
                agency: agency.as_ref().map(ToString::to_string),
                group_by,
                total: group_out("total".into(), None, &total, Some(loaded.total_feedback)),
                groups,
            })
        })
        .await?;
    match format {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(out)),
        f => {
            let name = format!("summary-{}-{}", out.from, out.to);
            Ok(export::table(&state, f, &name, summary_rows(&out)))
        }
    }
}

/// The rates of a group, by name, in the order of the JSON answer.
fn rates_of(r: &Rates) -> [(&'static str, Option<&RateOut>); 9] {
    [
        ("on_time", Some(&r.on_time)),
        ("online", Some(&r.online)),
        ("cashless", Some(&r.cashless)),
        ("online_payment", Some(&r.online_payment)),
        ("digitised", Some(&r.digitised)),
        ("reused", Some(&r.reused)),
        ("synced", Some(&r.synced)),
        ("satisfaction", Some(&r.satisfaction)),
        ("feedback_on_time", r.feedback_on_time.as_ref()),
    ]
}

/// The summary as a table: a header, one row per group, then the total
/// (key `total`); each row every count, `resolved`, and each rate as
/// `<rate>_numerator`, `<rate>_denominator` and `<rate>_rate` (its value; blank
/// when it has none: no denominator, or feedback for a group other than an
/// agency).
fn summary_rows(s: &SummaryOut) -> Vec<Vec<Value<'static>>> {
    let mut header: Vec<Value> = vec!["group_by".into(), "key".into(), "name".into()];
    header.extend(Metric::ALL.iter().map(|m| Value::from(m.as_str())));
    header.push("resolved".into());
    for (name, _) in rates_of(&s.total.rates) {
        header.extend([
            Value::from(format!("{name}_numerator")),
            Value::from(format!("{name}_denominator")),
            Value::from(format!("{name}_rate")),
        ]);
    }
    let group_by = s.group_by.map(|g| match g {
        GroupBy::Agency => "agency",
        GroupBy::Procedure => "procedure",
        GroupBy::Sector => "sector",
        GroupBy::Channel => "channel",
        GroupBy::Level => "level",
    });
    let row = |g: &GroupOut, by: Option<&'static str>| {
        let mut r: Vec<Value<'static>> =
            vec![Value::from(by.unwrap_or_default()), Value::from(g.key.clone()), Value::from(g.name.clone())];
        r.extend(Metric::ALL.iter().map(|m| Value::Count(g.counts.get(m.as_str()).copied().unwrap_or_default())));
        r.push(Value::Count(g.resolved));
        for (_, rate) in rates_of(&g.rates) {
            match rate {
                Some(x) => r.extend([Value::Count(x.numerator), Value::Count(x.denominator), Value::Ratio(x.value)]),
                None => r.extend([Value::from(""), Value::from(""), Value::Ratio(None)]),
            }
        }
        r
    };
    let mut rows = vec![header];
    rows.extend(s.groups.iter().map(|g| row(g, group_by)));
    rows.push(row(&s.total, None));
    rows
}

crate::mirror_enum! {
    /// A count of the figures (docs/RULES.md §7); each has a drill-down.
    MetricDto => Metric {
        CarriedOver, Received, ResolvedEarly, ResolvedOnTime, ResolvedLate, Withdrawn, Stopped, Refused,
        OpenWithinDeadline, OpenOverdue, ReceivedOnline, Paid, PaidCashless, PaidOnline, Exempt, Digitised,
        Reused, Synced, Rated, Satisfied
    }
}

/// The schema of a group's `counts`: one whole number per metric, each named.
fn counts_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
    let mut counts = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(
            "Every count, by metric name (each has a drill-down, `GET /api/v1/reports/dossiers?metric=`): \
             `paid_online` is paid through the payment platform; `exempt` is received in the period and exempt \
             from its fees (docs/RULES.md §5: counted apart from `paid`); `reused` is with a document fetched \
             from the data store.",
        ));
    for metric in Metric::ALL {
        counts = counts
            .property(
                metric.as_str(),
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Integer))
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
                    .minimum(Some(0)),
            )
            .required(metric.as_str());
    }
    counts.build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DrillOut {
    pub metric: MetricDto,
    pub group: Option<String>,
    /// As many as the figure counts.
    pub count: u64,
    /// A page of the dossier codes, newest first by the instant the figure
    /// counts each at (its reception, for the counts of received and of
    /// open dossiers; its resolution; its closing; its rating; for the
    /// dossiers open and overdue at the end of a period that has ended, the
    /// first midnight at which each stood open and overdue), then by code.
    pub codes: Vec<String>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// The dossiers behind a figure.
///
/// Exactly the dossiers the summary counts for that metric (and group).
#[utoipa::path(operation_id = "list_report_dossiers", tag = "reports", security(("bearer" = [])), params(DrillParams, FormatParam),
    responses((status = 200, description = "A page of the codes (JSON), or every dossier behind the figure, one row each (CSV, XLSX)",
        content(
            (DrillOut = "application/json"),
            (crate::export::CsvFile = "text/csv"),
            (crate::export::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        headers(("Content-Disposition" = String, description = "CSV and XLSX: `attachment; filename=\"…\"`")))))]
#[get("/api/v1/reports/dossiers")]
pub async fn drilldown(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    params: crate::extract::Query<DrillParams>,
    format: crate::extract::Query<FormatParam>,
) -> Result<HttpResponse, ApiError> {
    let format = format.choose(&req);
    let q = params.into_inner();
    let scope = scope(&caller.0, q.agency.as_deref())?;
    let now = state.now();
    let p = period(q.from, q.to, now)?;
    let metric = metric_of(&q.metric)?;
    let group = group_of(q.group_by, q.group.clone())?;
    if format != ExportFormat::Json {
        let limit = q.limit.map(|_| "limit");
        let after = q.after.as_ref().map(|_| "after");
        crate::dossiers::refuse_pages(&limit, &after)?;
        let name = format!("dossiers-{}-{}-{}", metric.as_str(), q.from, q.to);
        // Refused (unknown agency, another agency's staff) before the first byte.
        let ((set, agencies), group) = state
            .db(move |conn| agency_scope(conn, &scope, group.as_ref().map(|(g, _)| *g)).map(|s| (s, group)))
            .await?;
        let set = narrowed(set, group.as_ref(), &agencies);
        return Ok(export::stream(
            &state,
            format,
            &name,
            Box::new(move |conn, sheet| {
                use crate::dossiers::export::{agency_names, header, rows, Applicant};
                let names = agency_names(conn)?;
                header(sheet, Applicant::Omitted)?;
                let want = usize::try_from(export::PAGE).unwrap_or(1000);
                let walk = Walk { p: &p, metric, set: set.as_deref(), group: group.as_ref(), groups: &agencies };
                let mut at: Option<Position> = None;
                loop {
                    let (codes, next) = walk.codes(conn, at.take(), want)?;
                    // In the walk's order.
                    let place: BTreeMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
                    let mut found = dvc_persistence::dossiers::find_many(conn, &codes)?;
                    found.sort_by_key(|d| place.get(d.code.as_str()).copied());
                    rows(conn, sheet, found, &names, Applicant::Omitted, now)?;
                    match next {
                        Some(n) => at = Some(n),
                        None => return Ok(()),
                    }
                }
            }),
        ));
    }
    let limit = drill_limit(q.limit)?;
    let after = q.after.clone();
    let days = (q.from, q.to);
    let out = state
        // The count and the page from one state of the database.
        .read(move |conn| {
            dvc_persistence::connection::read_snapshot(conn, |conn| {
                // The count, as the summary gives it.
                let loaded = load(conn, &p, days, &scope, group.as_ref().map(|(g, _)| *g))?;
                let groups = loaded.agencies;
                let cells = loaded
                    .cells
                    .iter()
                    .filter(|(d, _)| group.as_ref().is_none_or(|(g, k)| in_group(d, *g, k, &groups)));
                let count = tally_of(cells.map(|(_, c)| c)).get(metric);
                // The page, newest first from where the last one ended.
                let set = narrowed(loaded.scope, group.as_ref(), &groups);
                let at = match &after {
                    None => None,
                    Some(code) => {
                        let found = figures::facts(conn, std::slice::from_ref(code), set.as_deref())?;
                        let at =
                            found.first().and_then(|f| figures::instant_of(metric, &p, &f.facts)).ok_or_else(|| {
                                ApiError::invalid_field(
                            "after",
                            ErrorCode::InvalidCursor,
                            format!("{code} is no place in this figure's pages: pass the `next` of the previous page"),
                        )
                            })?;
                        Some((at, code.clone()))
                    }
                };
                let walk = Walk { p: &p, metric, set: set.as_deref(), group: group.as_ref(), groups: &groups };
                let (mut page, _) = walk.codes(conn, at, limit + 1)?;
                let next = (page.len() > limit).then(|| {
                    page.truncate(limit);
                    page.last().cloned().unwrap_or_default()
                });
                Ok::<_, ApiError>(DrillOut {
                    metric: metric.into(),
                    group: group.as_ref().map(|(_, k)| k.clone()),
                    count,
                    codes: page,
                    next,
                })
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The agencies a drill-down reads: those in scope, narrowed to an agency
/// group's own subtree.
fn narrowed(
    set: Option<Vec<String>>,
    group: Option<&(GroupBy, String)>,
    groups: &[AgencyGroup],
) -> Option<Vec<String>> {
    match group {
        Some((GroupBy::Agency, k)) => {
            let subtree = groups.iter().find(|(c, _, _)| c == k).map(|(_, _, sub)| sub.clone()).unwrap_or_default();
            Some(subtree.into_iter().filter(|c| set.as_ref().is_none_or(|s| s.contains(c))).collect())
        }
        _ => set,
    }
}

/// A walk through the dossiers behind a figure, newest first
/// ([`figures::drill_page`]).
struct Walk<'a> {
    p: &'a Period,
    metric: Metric,
    set: Option<&'a [String]>,
    group: Option<&'a (GroupBy, String)>,
    groups: &'a [AgencyGroup],
}

impl Walk<'_> {
    /// Up to `want` codes of the dossiers the figure counts, from `at` on
    /// (the start when None), and where to go on from (None: no more).
    fn codes(
        &self,
        conn: &mut DbConnection,
        mut at: Option<Position>,
        want: usize,
    ) -> Result<(Vec<String>, Option<Position>), ApiError> {
        let batch = i64::try_from(want).unwrap_or(i64::MAX).max(200);
        let mut codes = Vec::new();
        loop {
            let (rows, next) = figures::drill_page(conn, self.p, self.metric, self.set, at.as_ref(), batch)?;
            for f in rows {
                let in_it = self.group.is_none_or(|(g, k)| in_group(&f.dims, *g, k, self.groups));
                if in_it && counts(&f.facts, self.metric, self.p) {
                    codes.push(f.code.clone());
                    if codes.len() == want {
                        let here = figures::instant_of(self.metric, self.p, &f.facts).map(|t| (t, f.code));
                        return Ok((codes, here));
                    }
                }
            }
            match next {
                Some(n) => at = Some(n),
                None => return Ok((codes, None)),
            }
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndexOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agency: Option<String>,
    pub index: Index766Out,
}

/// The Decision 766 index: six groups with their sub-indicators. Scores are
/// rounded to two decimals half away from zero; a group's score and the
/// total are sums of the rounded scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct Index766Out {
    /// `publicity_and_transparency`, `processing_progress`, `online_services`,
    /// `online_payment`, `digitisation`, `satisfaction`, in this order.
    pub groups: Vec<Group766Out>,
    /// The groups' scores summed: what the system can compute.
    pub score: f64,
    /// The sum of the maxima of the sub-indicators the system can compute.
    pub known_max: f64,
    /// 100.
    pub max: f64,
    /// Paid `online` or by `transfer` / paid: the province's own target,
    /// reported beside the online payment group, whose sub-indicator
    /// `payments_through_payment_platform` counts `online` payments only.
    pub cashless_rate: RateOut,
}

/// A group of the index: its maximum, its score (the sum of its
/// sub-indicators' rounded scores) and its sub-indicators.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group766Out {
    #[schema(example = "processing_progress")]
    pub name: String,
    pub max: f64,
    pub score: f64,
    pub sub_indicators: Vec<SubIndicatorOut>,
}

/// A sub-indicator with maximum P and threshold T: P when its ratio r ≥ T,
/// else r × P / T; unknown (`known: false`, no ratio nor score) when the
/// system holds no data for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubIndicatorOut {
    #[schema(example = "on_time_rate")]
    pub name: String,
    pub max: f64,
    /// T as a fraction (0.8 for 80%).
    pub threshold: f64,
    pub ratio: Option<f64>,
    pub numerator: Option<u64>,
    pub denominator: Option<u64>,
    pub score: Option<f64>,
    pub known: bool,
}

impl From<Index766> for Index766Out {
    fn from(i: Index766) -> Self {
        Self {
            groups: i
                .groups
                .into_iter()
                .map(|g| Group766Out {
                    name: g.name.to_owned(),
                    max: g.max,
                    score: g.score,
                    sub_indicators: g
                        .sub_indicators
                        .into_iter()
                        .map(|s| SubIndicatorOut {
                            name: s.name.to_owned(),
                            max: s.max,
                            threshold: s.threshold,
                            ratio: s.ratio,
                            numerator: s.numerator,
                            denominator: s.denominator,
                            score: s.score,
                            known: s.known,
                        })
                        .collect(),
                })
                .collect(),
            score: i.score,
            known_max: i.known_max,
            max: i.max,
            cashless_rate: i.cashless_rate.into(),
        }
    }
}

/// The Decision 766 service index of a unit.
///
/// Scores out of 100 in six groups; a sub-indicator with maximum P and
/// threshold T scores P when its ratio r ≥ T, else r × P / T. Parts the
/// system holds no data for are marked `known: false`.
#[utoipa::path(operation_id = "read_index_766", tag = "reports", security(("bearer" = [])),
    params(("from" = NaiveDate, Query, description = "First day"), ("to" = NaiveDate, Query, description = "Last day"), ("agency" = Option<String>, Query, description = "Agency code (with sub-units)", pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")),
    responses((status = 200, body = IndexOut)))]
#[get("/api/v1/reports/index-766")]
pub async fn index(
    state: web::Data<AppState>,
    caller: Caller,
    params: crate::extract::Query<ReportParams>,
) -> Result<web::Json<IndexOut>, ApiError> {
    let q = params.into_inner();
    let scope = scope(&caller.0, q.agency.as_deref())?;
    let agency = scope.asked.clone();
    let p = period(q.from, q.to, state.now())?;
    let out = state
        .read(move |conn| {
            let loaded = load(conn, &p, (q.from, q.to), &scope, None)?;
            let t = tally_of(loaded.cells.values());
            Ok::<_, ApiError>(IndexOut {
                from: q.from,
                to: q.to,
                agency: agency.as_ref().map(ToString::to_string),
                index: index_766(&t).into(),
            })
        })
        .await?;
    Ok(web::Json(out))
}
