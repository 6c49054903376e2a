//! `GET /api/v1/integrity/history`: walks the tamper-evident chain of every
//! dossier's history (each row hashes its content and the row before) and
//! reports the first broken link — a past rewritten in the database behind
//! the API's back. `dvc verify` does the same from the command line.

use actix_web::{get, web};
use dvc_domain::auth::Role;
use dvc_persistence::integrity::{self, Report};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(history);
}

/// The first broken link of a chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreakOut {
    pub dossier_code: String,
    /// The history row (seq) where the chain stops holding.
    pub seq: i32,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrityOut {
    /// True when every chain holds.
    pub intact: bool,
    /// Dossiers and history rows checked (up to the first break).
    pub dossiers: u64,
    pub rows: u64,
    pub first_break: Option<BreakOut>,
}

impl From<Report> for IntegrityOut {
    fn from(r: Report) -> Self {
        Self {
            intact: r.first_break.is_none(),
            dossiers: r.dossiers,
            rows: r.rows,
            first_break: r.first_break.map(|b| BreakOut {
                dossier_code: b.dossier_code,
                seq: b.seq,
                reason: b.reason.to_owned(),
            }),
        }
    }
}

/// Verify the dossiers' histories (admin).
///
/// Every row of a dossier's history carries a SHA-256 over its content and
/// the previous row's hash; this walks every chain, in dossier-code order,
/// and names the first row that no longer holds (rewritten, inserted, or
/// after a removed one). Removing a dossier's last rows is not detected by
/// the chain alone.
#[utoipa::path(operation_id = "verify_histories", tag = "dossiers", security(("bearer" = [])), responses((status = 200, body = IntegrityOut)))]
#[get("/api/v1/integrity/history")]
pub async fn history(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<IntegrityOut>, ApiError> {
    if caller.0.role != Role::Admin {
        return Err(ApiError::forbidden("integrity:verify", "only an admin verifies the histories"));
    }
    let report = state.db(integrity::verify).await?;
    Ok(web::Json(report.into()))
}
