//! `/api/v1/webhooks`: subscriptions to dossier changes, their delivery log,
//! and redelivery (docs/RULES.md §8).

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, FixedOffset};
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::Role;
use dvc_persistence::webhooks::{self, Webhook, WebhookDelivery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationErrors};

use crate::agencies::types::parse_code;
use crate::auth::Caller;
use crate::check::Report;
use crate::dossiers::types::StatusDto;
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create).service(list).service(remove).service(deliveries).service(redeliver);
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://lgsp.example.vn/dvc-events", "secret": "a-long-shared-secret-0123", "statuses": ["received", "resolved"], "agencies": ["000.00.05.H56"]}))]
pub struct WebhookIn {
    /// Where deliveries are POSTed (http or https).
    pub url: String,
    /// Signs each delivery: `X-DVC-Signature: sha256=<hex of HMAC-SHA256(secret, body)>` (16–200 characters).
    #[schema(min_length = 16, max_length = 200)]
    pub secret: String,
    /// Only changes to these statuses (empty: all).
    #[serde(default)]
    pub statuses: Vec<StatusDto>,
    /// Only dossiers handled by these agencies or their sub-units (empty: all).
    /// A filter naming an agency that is (later) merged follows the merger:
    /// it covers the successor and everything under it, the merged agency included.
    #[serde(default)]
    pub agencies: Vec<String>,
}

impl Validate for WebhookIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        let url = self.url.trim();
        let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
        if !scheme_ok
            || url.len() > 500
            || url.chars().any(char::is_whitespace)
            || url.split("://").nth(1).is_none_or(str::is_empty)
        {
            report.add("url", ErrorCode::InvalidUrl, "an http:// or https:// address of at most 500 characters");
        }
        if !(16..=200).contains(&self.secret.chars().count()) {
            report.add("secret", ErrorCode::Length, "a secret is 16–200 characters");
        }
        for code in agency_codes(&self.agencies) {
            report.take(code);
        }
        report.finish()
    }
}

/// The filter's agency codes, each read at its place in the list.
fn agency_codes(codes: &[String]) -> impl Iterator<Item = Result<AgencyCode, ApiError>> + '_ {
    codes.iter().enumerate().map(|(i, a)| parse_code(&format!("agencies[{i}]"), a))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: String,
    pub url: String,
    /// Only changes to these statuses (empty: all); null when the stored
    /// filter cannot be read (see `filter_error`).
    pub statuses: Option<Vec<StatusDto>>,
    /// Only dossiers of these agencies and their sub-units (empty: all);
    /// null when the stored filter cannot be read.
    pub agencies: Option<Vec<String>>,
    /// The last change looked at.
    pub cursor_seq: i64,
    pub created_at: DateTime<FixedOffset>,
    /// Set when deliveries stopped because the stored filter could not be
    /// read (the subscription is then delivered nothing, never everything).
    pub filter_error: Option<String>,
}

impl From<Webhook> for WebhookOut {
    fn from(w: Webhook) -> Self {
        let (filter, unreadable) = match w.filter {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            statuses: filter.as_ref().map(|f| f.statuses.iter().map(|s| (*s).into()).collect()),
            agencies: filter.as_ref().map(|f| f.agencies.iter().map(ToString::to_string).collect()),
            filter_error: w.filter_error.or(unreadable),
            id: w.id,
            url: w.url,
            cursor_seq: w.cursor_seq,
            created_at: vn(w.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    pub seq: i64,
    pub attempts: i32,
    pub delivered_at: Option<DateTime<FixedOffset>>,
    pub next_attempt_at: DateTime<FixedOffset>,
    /// The subscriber's last HTTP status.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

impl From<WebhookDelivery> for DeliveryOut {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            id: d.id,
            seq: d.seq,
            attempts: d.attempts,
            delivered_at: d.delivered_at.map(vn),
            next_attempt_at: vn(d.next_attempt_at),
            last_status: d.last_status,
            last_error: d.last_error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryOut>,
}

fn owner_of(caller: &Caller) -> Result<Option<String>, ApiError> {
    match caller.0.role {
        Role::Admin => Ok(None),
        Role::Integrator => Ok(Some(caller.0.id.clone())),
        _ => Err(ApiError::forbidden("webhooks:manage", "webhooks are for integrators and admins")),
    }
}

/// The subscription, if the caller may manage it (404 otherwise).
fn owned(
    conn: &mut dvc_persistence::DbConnection,
    caller_owner: &Option<String>,
    id: &str,
) -> Result<Webhook, ApiError> {
    let hook = webhooks::get(conn, id)?;
    match caller_owner {
        Some(o) if &hook.owner != o => Err(ApiError::not_found(format!("webhook {id} not found"))),
        _ => Ok(hook),
    }
}

/// Subscribe a webhook (integrator, admin).
///
/// Deliveries start with the next change. Each is signed, sent at least
/// once, and retried with backoff until the subscriber answers 2xx.
#[utoipa::path(operation_id = "create_webhook", tag = "webhooks", security(("bearer" = [])), request_body = WebhookIn, responses((status = 201, body = WebhookOut)))]
#[post("/api/v1/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<WebhookIn>,
) -> Result<HttpResponse, ApiError> {
    owner_of(&caller)?;
    let b = body.into_inner();
    let url = b.url.trim().to_owned();
    let agencies = agency_codes(&b.agencies).collect::<Result<Vec<_>, _>>()?;
    let statuses = b.statuses.into_iter().map(dvc_domain::dossier::Status::from).collect();
    let filter = webhooks::WebhookFilter { statuses, agencies };
    let owner = caller.0.id.clone();
    let now = state.now();
    let hook = state.db(move |conn| webhooks::create(conn, &owner, &url, &b.secret, &filter, now)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/webhooks/{}", hook.id)))
        .json(WebhookOut::from(hook)))
}

/// List webhooks: an integrator's own, or all for an admin.
#[utoipa::path(operation_id = "list_webhooks", tag = "webhooks", security(("bearer" = [])), responses((status = 200, body = WebhookList)))]
#[get("/api/v1/webhooks")]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<WebhookList>, ApiError> {
    let owner = owner_of(&caller)?;
    let rows = state.db(move |conn| webhooks::list(conn, owner.as_deref())).await?;
    Ok(web::Json(WebhookList { items: rows.into_iter().map(Into::into).collect() }))
}

/// Unsubscribe (the delivery log stays).
#[utoipa::path(operation_id = "delete_webhook", tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path, description = "Webhook id")),
    responses((status = 204, description = "Unsubscribed")))]
#[delete("/api/v1/webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let owner = owner_of(&caller)?;
    let id = id.into_inner();
    state
        .db(move |conn| {
            owned(conn, &owner, &id)?;
            Ok::<_, ApiError>(webhooks::deactivate(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log, newest first.
#[utoipa::path(operation_id = "list_webhook_deliveries", tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path, description = "Webhook id")),
    responses((status = 200, body = DeliveryList)))]
#[get("/api/v1/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<DeliveryList>, ApiError> {
    let owner = owner_of(&caller)?;
    let id = id.into_inner();
    let rows = state
        .db(move |conn| {
            owned(conn, &owner, &id)?;
            Ok::<_, ApiError>(webhooks::deliveries(conn, &id, 500)?)
        })
        .await?;
    Ok(web::Json(DeliveryList { items: rows.into_iter().map(Into::into).collect() }))
}

/// Send a delivery again.
#[utoipa::path(operation_id = "redeliver_webhook_delivery", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id"), ("delivery" = String, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryOut)))]
#[post("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<web::Json<DeliveryOut>, ApiError> {
    let owner = owner_of(&caller)?;
    let (id, delivery) = path.into_inner();
    let now = chrono::Utc::now();
    let row = state
        .db(move |conn| {
            owned(conn, &owner, &id)?;
            Ok::<_, ApiError>(webhooks::redeliver(conn, &id, &delivery, now)?)
        })
        .await?;
    Ok(web::Json(row.into()))
}
