//! Payments (SPEC §5): online payment through the national payment
//! platform (signed INIT, callback, QUERY), the dossier's payments, and
//! cancellation and refund by an admin.

pub mod reconcile;

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use dvc_domain::auth::{Actor, Role};
use dvc_domain::dossier::{settle_by_payment_platform, Status};
use dvc_domain::payment::{PaymentMethod, PaymentStatus, PlatformAccount, PlatformRequest, PlatformResult};
use dvc_persistence::dossiers::{self, Change, NewHistory};
use dvc_persistence::payments::{self, PaymentRow};
use dvc_persistence::DbConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::config::Config;
use crate::dossiers::access::{self, readable, Access};
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::vn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(pay_online).service(callback).service(cancel).service(refund);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentOut {
    pub id: String,
    pub dossier_code: String,
    /// Our reference at the platform (MaThamChieu).
    pub reference: String,
    /// `online`, `transfer`, `cash`, or `unspecified` while only requested.
    pub method: String,
    /// `pending`, `paid`, `failed`, `cancelled` or `refunded`.
    pub status: String,
    pub amount_vnd: i64,
    pub description: String,
    pub cashless: bool,
    pub transaction_id: Option<String>,
    pub bank_code: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<PaymentRow> for PaymentOut {
    fn from(p: PaymentRow) -> Self {
        Self {
            cashless: p.method().is_some_and(PaymentMethod::is_cashless),
            id: p.id,
            dossier_code: p.dossier_code,
            reference: p.reference,
            method: p.method,
            status: p.status,
            amount_vnd: p.amount_vnd,
            description: p.description,
            transaction_id: p.transaction_id,
            bank_code: p.bank_code,
            created_at: vn(p.created_at.and_utc()),
            updated_at: vn(p.updated_at.and_utc()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    pub items: Vec<PaymentOut>,
}

/// A dossier's payments (whoever may read the dossier).
#[utoipa::path(operation_id = "list_payments", tag = "payments", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    responses((status = 200, body = PaymentList)))]
#[get("/api/v1/dossiers/{code}/payments")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<web::Json<PaymentList>, ApiError> {
    let code = code.into_inner();
    let rows = state
        .db(move |conn| {
            readable(conn, &caller.0, &code)?;
            Ok::<_, ApiError>(payments::of_dossier(conn, &code)?)
        })
        .await?;
    Ok(web::Json(PaymentList { items: rows.into_iter().map(Into::into).collect() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnlinePaymentOut {
    pub payment: PaymentOut,
    /// The signed INIT message for the national payment platform.
    #[schema(value_type = Object)]
    pub init_message: PlatformRequest,
    /// Where to send the applicant (absent when no platform is configured).
    pub redirect_url: Option<String>,
}

/// Pay online (the applicant).
///
/// Takes the dossier's pending obligation (or, with none, the fees of its
/// procedure version) and answers the signed `INIT` message for the national
/// payment platform and the address to send the applicant to.
#[utoipa::path(tag = "payments", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    responses((status = 201, body = OnlinePaymentOut)))]
#[post("/api/v1/dossiers/{code}/payments/online")]
pub async fn pay_online(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let now = state.now();
    let config = state.config.clone();
    let actor = caller.0;
    let row = state
        .db(move |conn| {
            let d = readable(conn, &actor, &code)?;
            if !Access::of(conn, &actor, &d)?.is_applicant {
                return Err(ApiError::forbidden("dossiers:applicant", "only the applicant pays online"));
            }
            if d.state.status.is_final() {
                return Err(ApiError::conflict(
                    "payment_closed",
                    format!("the dossier is {}", d.state.status.as_str()),
                ));
            }
            dvc_persistence::write_transaction_as(conn, |conn| {
                let pending = payments::pending_of(conn, &code)?;
                let row = match pending {
                    Some(p) => payments::start_online(conn, &p.id, now)?,
                    None => {
                        let version = dvc_persistence::procedures::version(
                            conn,
                            &dvc_domain::procedure::ProcedureCode::parse(&d.procedure_code)
                                .map_err(|e| ApiError::internal(e.to_string()))?,
                            d.procedure_version,
                        )?;
                        let paid: i64 = payments::of_dossier(conn, &code)?
                            .iter()
                            .filter(|p| p.status() == Some(PaymentStatus::Paid))
                            .map(|p| p.amount_vnd)
                            .sum();
                        let owed: i64 = version.version.content.fees.iter().map(|f| f.amount_vnd).sum::<i64>() - paid;
                        if owed <= 0 {
                            return Err(ApiError::conflict("nothing_to_pay", "the dossier owes nothing"));
                        }
                        {
                            let new = payments::NewPayment {
                                dossier_code: &code,
                                method: PaymentMethod::Online,
                                status: PaymentStatus::Pending,
                                amount_vnd: owed,
                                description: "Phí, lệ phí",
                                reference: None,
                                by: &actor.id,
                            };
                            payments::insert(conn, &new, now)?
                        }
                    }
                };
                Ok::<_, ApiError>(row)
            })
        })
        .await?;
    let init = init_message(&config, &row, now);
    let redirect_url =
        config.payment_platform_url.as_ref().map(|u| format!("{}/pay?ref={}", u.trim_end_matches('/'), row.reference));
    Ok(HttpResponse::Created().json(OnlinePaymentOut { payment: row.into(), init_message: init, redirect_url }))
}

pub fn init_message(config: &Config, p: &PaymentRow, now: DateTime<Utc>) -> PlatformRequest {
    let receipt = format!("Hồ sơ {}", p.dossier_code);
    PlatformRequest::signed("INIT", account(config), &p.reference, p.amount_vnd, now, &p.description, &receipt)
}

pub fn account(config: &Config) -> PlatformAccount<'_> {
    PlatformAccount { partner: &config.payment_partner_code, secret: &config.payment_secret }
}

/// The platform's signed result message (a callback), as sent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"LoaiBanTin": "RESULT", "MaLoi": "00", "MaDoiTac": "DVC-DEMO", "MaThamChieu": "DVC1230010a1b2c3d4e5f6", "SoTien": "50000", "MaTienTe": "VND", "MaGiaoDich": "GD0001", "MaNganHang": "VCB", "ThoiGianGD": "20260305090000", "ThongTinGiaoDich": "Phí, lệ phí", "MaXacThuc": "…sha256 hex…"}))]
pub struct CallbackIn {
    #[serde(rename = "LoaiBanTin")]
    pub kind: String,
    #[serde(rename = "MaLoi")]
    pub error_code: String,
    #[serde(rename = "MaDoiTac")]
    pub partner: String,
    #[serde(rename = "MaThamChieu")]
    pub reference: String,
    #[serde(rename = "SoTien")]
    pub amount: String,
    #[serde(rename = "MaTienTe")]
    pub currency: String,
    #[serde(rename = "MaGiaoDich")]
    pub transaction_id: String,
    #[serde(rename = "MaNganHang")]
    pub bank_code: String,
    #[serde(rename = "ThoiGianGD")]
    pub time: String,
    #[serde(rename = "ThongTinGiaoDich")]
    pub description: String,
    #[serde(rename = "MaXacThuc")]
    pub checksum: String,
}

impl From<CallbackIn> for PlatformResult {
    fn from(c: CallbackIn) -> Self {
        PlatformResult {
            kind: c.kind,
            error_code: c.error_code,
            partner: c.partner,
            reference: c.reference,
            amount: c.amount,
            currency: c.currency,
            transaction_id: c.transaction_id,
            bank_code: c.bank_code,
            time: c.time,
            description: c.description,
            checksum: c.checksum,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackAck {
    /// `00`: accepted (also for a repeat of an accepted callback).
    #[serde(rename = "MaLoi")]
    pub code: String,
    #[serde(rename = "MoTa")]
    pub description: String,
}

/// The actor that the platform's confirmations are recorded under.
pub fn platform_actor() -> Actor {
    Actor {
        id: "payment-platform".into(),
        role: Role::Integrator,
        agency: None,
        name: "Nền tảng thanh toán quốc gia".into(),
    }
}

/// What became of a result message.
pub enum Outcome {
    Paid,
    Failed,
    AlreadyProcessed,
}

/// Verifies and applies a result message (callback or QUERY answer); every
/// message is logged with its outcome, and a refused one changes nothing else.
pub fn process_result(
    conn: &mut DbConnection,
    config: &Config,
    r: &PlatformResult,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    let raw = serde_json::to_string(r).unwrap_or_default();
    let refuse = |conn: &mut DbConnection, outcome: &str, err: ApiError| -> Result<Outcome, ApiError> {
        log::warn!("payment callback refused ({outcome}): reference {:?}", r.reference);
        payments::log_callback(conn, Some(&r.reference), outcome, &raw, now)?;
        Err(err)
    };
    if !r.verify(&config.payment_secret) {
        return refuse(
            conn,
            "bad_signature",
            ApiError::bad_request("invalid_signature", "the message's MaXacThuc does not verify"),
        );
    }
    if r.partner != config.payment_partner_code || r.currency != "VND" {
        return refuse(
            conn,
            "wrong_partner",
            ApiError::invalid_field("MaDoiTac", "wrong_partner", "not our partner code or currency"),
        );
    }
    let Some(p) = payments::by_reference(conn, &r.reference)? else {
        return refuse(
            conn,
            "unknown_reference",
            ApiError::invalid_field("MaThamChieu", "unknown_reference", "no payment has this reference"),
        );
    };
    if r.amount_vnd() != Some(p.amount_vnd) {
        return refuse(
            conn,
            "amount_mismatch",
            ApiError::invalid_field("SoTien", "amount_mismatch", format!("the payment is {} VND", p.amount_vnd)),
        );
    }
    match p.status() {
        Some(PaymentStatus::Pending) => {}
        Some(PaymentStatus::Paid)
            if r.succeeded() && p.transaction_id.as_deref() == Some(r.transaction_id.as_str()) =>
        {
            payments::log_callback(conn, Some(&r.reference), "duplicate", &raw, now)?;
            return Ok(Outcome::AlreadyProcessed);
        }
        Some(PaymentStatus::Failed) if !r.succeeded() => {
            payments::log_callback(conn, Some(&r.reference), "duplicate", &raw, now)?;
            return Ok(Outcome::AlreadyProcessed);
        }
        _ => {
            return refuse(
                conn,
                "not_pending",
                ApiError::conflict("payment_not_pending", format!("the payment is {}", p.status)),
            );
        }
    }
    if !r.succeeded() {
        payments::transition(
            conn,
            &p.id,
            PaymentStatus::Pending,
            PaymentStatus::Failed,
            None,
            Some(&r.transaction_id),
            Some(&r.bank_code),
            now,
        )?;
        payments::log_callback(conn, Some(&r.reference), "failed", &raw, now)?;
        return Ok(Outcome::Failed);
    }
    let dossier = dossiers::get(conn, &p.dossier_code)?;
    let paid = |conn: &mut DbConnection| -> Result<(), ApiError> {
        payments::transition(
            conn,
            &p.id,
            PaymentStatus::Pending,
            PaymentStatus::Paid,
            Some(PaymentMethod::Online),
            Some(&r.transaction_id),
            Some(&r.bank_code),
            now,
        )?;
        payments::log_callback(conn, Some(&r.reference), "paid", &raw, now)?;
        Ok(())
    };
    if dossier.state.status == Status::AwaitingPayment {
        dossiers::update(conn, &p.dossier_code, now, |conn, current| {
            let calendar = access::calendar_of(conn, current)?;
            let note = Some(format!("online, ref {}, transaction {} ({})", p.reference, r.transaction_id, r.bank_code));
            let t = settle_by_payment_platform(&current.state, p.amount_vnd, note, now, &calendar)
                .map_err(|e| access::transition_error(&current.code, e))?;
            paid(conn)?;
            Ok::<_, ApiError>(Change {
                history: NewHistory {
                    action: t.action.as_str().to_owned(),
                    from: Some(t.from),
                    to: t.to,
                    actor: platform_actor(),
                    at: now,
                    note: t.note,
                    step_deadline: None,
                },
                state: t.state,
                documents: Vec::new(),
                payment: None,
            })
        })?;
    } else {
        dvc_persistence::write_transaction_as(conn, paid)?;
    }
    Ok(Outcome::Paid)
}

/// The payment platform's callback.
///
/// Authenticated by its signature, not a token. A bad signature, an unknown
/// reference or another amount changes nothing (and is logged); the same
/// callback twice changes nothing the second time. A paid dossier awaiting
/// payment resumes.
#[utoipa::path(tag = "payments", security(()), request_body = CallbackIn,
    responses((status = 200, body = CallbackAck)))]
#[post("/api/v1/payments/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    body: web::Json<CallbackIn>,
) -> Result<web::Json<CallbackAck>, ApiError> {
    let result: PlatformResult = body.into_inner().into();
    let config = state.config.clone();
    let now = state.now();
    let outcome = state.db(move |conn| process_result(conn, &config, &result, now)).await?;
    let description = match outcome {
        Outcome::Paid => "paid",
        Outcome::Failed => "failure recorded",
        Outcome::AlreadyProcessed => "already processed",
    };
    Ok(web::Json(CallbackAck { code: "00".into(), description: description.into() }))
}

fn admin_move(caller: &Caller) -> Result<(), ApiError> {
    if caller.0.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("payments:manage", "only an admin cancels or refunds payments"))
    }
}

async fn admin_transition(
    state: web::Data<AppState>,
    id: String,
    from: PaymentStatus,
    to: PaymentStatus,
) -> Result<web::Json<PaymentOut>, ApiError> {
    let now = state.now();
    let row = state
        .db(move |conn| {
            let p = payments::get(conn, &id)?;
            if !payments::transition(conn, &id, from, to, None, None, None, now)? {
                return Err(ApiError::conflict(
                    "payment_not_allowed",
                    format!("a {} payment cannot become {}", p.status, to.as_str()),
                ));
            }
            Ok(payments::get(conn, &id)?)
        })
        .await?;
    Ok(web::Json(row.into()))
}

/// Cancel a pending payment (admin). Payments are never deleted.
#[utoipa::path(tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment id")), responses((status = 200, body = PaymentOut)))]
#[post("/api/v1/payments/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<PaymentOut>, ApiError> {
    admin_move(&caller)?;
    admin_transition(state, id.into_inner(), PaymentStatus::Pending, PaymentStatus::Cancelled).await
}

/// Refund a paid payment (admin). Payments are never deleted.
#[utoipa::path(tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment id")), responses((status = 200, body = PaymentOut)))]
#[post("/api/v1/payments/{id}/refund")]
pub async fn refund(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<PaymentOut>, ApiError> {
    admin_move(&caller)?;
    admin_transition(state, id.into_inner(), PaymentStatus::Paid, PaymentStatus::Refunded).await
}
