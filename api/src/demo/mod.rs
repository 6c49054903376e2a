//! The demo data set: the province's agencies and a published catalogue,
//! loaded into an empty database when `DVC_DEMO` is on.

use chrono::{DateTime, NaiveDate, Utc};
use dvc_domain::agency::{Agency, AgencyCode};
use dvc_domain::auth::Role;
use dvc_domain::calendar::{CalendarSpec, NamedDateSpec, WorkingCalendar};
use dvc_domain::procedure::{ProcedureCode, Validity};
use dvc_persistence::agencies::{self, AgencyFilter};
use dvc_persistence::{calendars, procedures, DbConnection};
use serde::Deserialize;

use crate::agencies::types::AgencyLevelDto;
use crate::procedures::types::ContentDto;

const DATA: &str = include_str!("demo.json");

#[derive(Deserialize)]
struct DemoData {
    agencies: Vec<DemoAgency>,
    procedures: Vec<DemoProcedure>,
    holidays: Vec<DemoDate>,
    swapped_working_days: Vec<DemoDate>,
    /// The last date the holidays are known for (see `valid_through_note` in the file).
    valid_through: String,
    /// What the calendar does not hold yet because it is not announced.
    unannounced: Vec<String>,
}

/// A holiday or swapped working day with whether it was checked against the
/// government's notice; unchecked ones stay out of the calendar.
#[derive(Deserialize)]
struct DemoDate {
    date: String,
    name: String,
    verified: bool,
}

#[derive(Deserialize)]
struct DemoAgency {
    code: String,
    name: String,
    level: AgencyLevelDto,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct DemoProcedure {
    code: String,
    agency: String,
    effective_from: NaiveDate,
    #[serde(flatten)]
    content: ContentDto,
}

/// What the demo loaded.
pub struct Loaded {
    pub agencies: usize,
    pub procedures: usize,
    pub holidays: usize,
    /// Dates left out of the calendar because they could not be verified.
    pub unverified: Vec<String>,
}

/// The province's `default` calendar with the 2025–2026 holidays and swapped
/// working days as announced (only those verified), the fixed-date holidays
/// of 2027, its horizon and what is not announced yet.
fn demo_calendar(data: &DemoData) -> Result<(WorkingCalendar, usize, Vec<String>), String> {
    let mut spec = CalendarSpec {
        valid_through: Some(data.valid_through.clone()),
        unannounced: data.unannounced.clone(),
        ..CalendarSpec::default()
    };
    let mut unverified = Vec::new();
    for (list, target) in
        [(&data.holidays, &mut spec.holidays), (&data.swapped_working_days, &mut spec.swapped_working_days)]
    {
        for d in list {
            if d.verified {
                target.push(NamedDateSpec::new(d.date.clone(), d.name.clone()));
            } else {
                unverified.push(format!("{} {}", d.date, d.name));
            }
        }
    }
    let count = spec.holidays.len();
    let calendar = WorkingCalendar::new(spec)
        .map_err(|e| format!("demo calendar: {}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")))?;
    Ok((calendar, count, unverified))
}

/// Loads the demo data unless the database already holds agencies.
pub fn load_if_empty(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Option<Loaded>, String> {
    let any = agencies::list(conn, &AgencyFilter { limit: 1, ..Default::default() }).map_err(|e| e.to_string())?;
    if !any.is_empty() {
        return Ok(None);
    }
    let data: DemoData = serde_json::from_str(DATA).map_err(|e| format!("demo.json: {e}"))?;
    for a in &data.agencies {
        let agency = Agency {
            code: AgencyCode::parse(&a.code).map_err(|e| e.to_string())?,
            name: a.name.clone(),
            level: a.level.into(),
            parent: a.parent.as_deref().map(AgencyCode::parse).transpose().map_err(|e| e.to_string())?,
            active: true,
            successor: None,
            merged_at: None,
            notify_email: None,
        };
        agencies::insert(conn, &agency, now).map_err(|e| format!("demo agency {}: {e}", a.code))?;
    }
    for p in data.procedures.iter() {
        let code = ProcedureCode::parse(&p.code).map_err(|e| e.to_string())?;
        let agency = AgencyCode::parse(&p.agency).map_err(|e| e.to_string())?;
        let content = p.content.clone().into_domain("").map_err(|e| format!("demo procedure {}: {e:?}", p.code))?;
        procedures::create(conn, &code, &agency, &content, now)
            .map_err(|e| format!("demo procedure {}: {e}", p.code))?;
        let validity = Validity::new(p.effective_from, None).map_err(|e| e.to_string())?;
        procedures::publish(conn, &code, 1, validity, now).map_err(|e| format!("demo procedure {}: {e}", p.code))?;
    }
    let (calendar, holidays, unverified) = demo_calendar(&data)?;
    calendars::put(conn, "default", &calendar, "demo", now).map_err(|e| format!("demo calendar: {e}"))?;
    Ok(Some(Loaded { agencies: data.agencies.len(), procedures: data.procedures.len(), holidays, unverified }))
}

/// The demo users, one per role: (role, subject, agency, display name).
pub const USERS: &[(Role, &str, Option<&str>, &str)] = &[
    (Role::Citizen, "001099012345", None, "Nguyễn Văn An"),
    (Role::Officer, "officer.khdt", Some("000.00.05.H56"), "Trần Thị Bình"),
    (Role::Approver, "approver.khdt", Some("000.00.05.H56"), "Lê Văn Cường"),
    (Role::AgencyAdmin, "catalogue.khdt", Some("000.00.05.H56"), "Phạm Thị Dung"),
    (Role::Admin, "admin", None, "Quản trị hệ thống"),
    (Role::Integrator, "dvcqg", None, "Cổng Dịch vụ công quốc gia"),
    (Role::Viewer, "ioc", None, "Trung tâm điều hành"),
];
