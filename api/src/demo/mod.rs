//! The demo data set: the province's agencies and a published catalogue,
//! loaded into an empty database when `DVC_DEMO` is on.

use chrono::{DateTime, NaiveDate, Utc};
use dvc_domain::agency::{Agency, AgencyCode};
use dvc_domain::auth::Role;
use dvc_domain::procedure::{ProcedureCode, Validity};
use dvc_persistence::agencies::{self, AgencyFilter};
use dvc_persistence::{procedures, DbConnection};
use serde::Deserialize;

use crate::agencies::types::AgencyLevelDto;
use crate::procedures::types::ContentDto;

const DATA: &str = include_str!("demo.json");

#[derive(Deserialize)]
struct DemoData {
    agencies: Vec<DemoAgency>,
    procedures: Vec<DemoProcedure>,
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
    Ok(Some(Loaded { agencies: data.agencies.len(), procedures: data.procedures.len() }))
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
