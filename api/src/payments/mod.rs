//! Payments (docs/RULES.md §5): online payment through the national payment
//! platform (signed INIT, callback, QUERY), the dossier's payments, and
//! cancellation and refund by an admin.

pub mod reconcile;

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use dvc_domain::auth::{Actor, Role};
use dvc_domain::dossier::{settle_by_payment_platform, Status};
use dvc_domain::fees::{owed, FeeLine, Obligation, ReliefKind};
use dvc_domain::payment::{
    attempt_result, AttemptResult, AttemptStatus, PaymentMethod, PaymentStatus, PlatformAccount, PlatformRequest,
    PlatformResult,
};
use dvc_domain::procedure::FeeCollection;
use dvc_persistence::dossiers::{self, Change, NewHistory, StoredDossier};
use dvc_persistence::payments::{self, Attempt, Payment, Settled};
use dvc_persistence::{agencies, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::config::Config;
use crate::dossiers::access::{self, readable, Access};
use crate::error::ApiError;
use crate::pagination::PageParams;
use crate::procedures::types::FeeCollectionDto;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(pay_online)
        .service(callback)
        .service(cancel)
        .service(refund)
        .service(list_attempts)
        .service(refund_attempt);
}

/// A fee line of the procedure version that a payment covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeLineOut {
    pub code: String,
    pub description: String,
    pub amount_vnd: i64,
    pub collected: FeeCollectionDto,
}

impl From<FeeLine> for FeeLineOut {
    fn from(l: FeeLine) -> Self {
        Self { code: l.code, description: l.description, amount_vnd: l.amount_vnd, collected: l.collected.into() }
    }
}

/// One try at the payment platform: every `INIT` has its own reference, kept forever.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    pub id: String,
    pub payment_id: String,
    pub dossier_code: String,
    /// This attempt's reference at the platform (MaThamChieu).
    pub reference: String,
    pub amount_vnd: i64,
    pub status: AttemptStatusDto,
    pub transaction_id: Option<String>,
    pub bank_code: Option<String>,
    /// Paid while its obligation was already paid (or cancelled): the money
    /// is owed back to the applicant, until `refunded_at`.
    pub refund_due: bool,
    pub refunded_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id,
            payment_id: a.payment_id,
            dossier_code: a.dossier_code.to_string(),
            reference: a.reference,
            amount_vnd: a.amount_vnd,
            status: a.status.into(),
            transaction_id: a.transaction_id,
            bank_code: a.bank_code,
            refund_due: a.refund_due,
            refunded_at: a.refunded_at.map(vn),
            created_at: vn(a.created_at),
            updated_at: vn(a.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentOut {
    pub id: String,
    pub dossier_code: String,
    /// The obligation's own reference; each online attempt has its own (see `attempts`).
    pub reference: String,
    pub method: PaymentMethodDto,
    pub status: PaymentStatusDto,
    pub amount_vnd: i64,
    pub description: String,
    pub cashless: bool,
    pub transaction_id: Option<String>,
    pub bank_code: Option<String>,
    /// The fee lines of the procedure version this payment covers (empty
    /// for an amount asked explicitly).
    pub fee_lines: Vec<FeeLineOut>,
    /// The exemption or reduction taken off those lines, in đồng.
    pub relief_vnd: i64,
    /// Why an explicit amount was asked instead of the fees.
    pub amount_reason: Option<String>,
    /// Its attempts at the payment platform, oldest first.
    pub attempts: Vec<AttemptOut>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl PaymentOut {
    fn new(p: Payment, attempts: Vec<Attempt>) -> Self {
        Self {
            cashless: p.method.is_cashless(),
            fee_lines: p.fee_lines.into_iter().map(Into::into).collect(),
            attempts: attempts.into_iter().filter(|a| a.payment_id == p.id).map(Into::into).collect(),
            id: p.id,
            dossier_code: p.dossier_code.to_string(),
            reference: p.reference,
            method: p.method.into(),
            status: p.status.into(),
            amount_vnd: p.amount_vnd,
            description: p.description,
            transaction_id: p.transaction_id,
            bank_code: p.bank_code,
            relief_vnd: p.relief_vnd,
            amount_reason: p.amount_reason,
            created_at: vn(p.created_at),
            updated_at: vn(p.updated_at),
        }
    }

    /// The payments with their attempts (one query for all the attempts).
    pub fn many(conn: &mut DbConnection, rows: Vec<Payment>) -> Result<Vec<Self>, ApiError> {
        let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
        let attempts = payments::attempts_of(conn, &ids)?;
        Ok(rows.into_iter().map(|p| Self::new(p, attempts.clone())).collect())
    }

    fn one(conn: &mut DbConnection, row: Payment) -> Result<Self, ApiError> {
        Self::many(conn, vec![row])?.pop().ok_or_else(|| ApiError::internal("no payment"))
    }
}

/// An exemption from or reduction of a dossier's fees.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeReliefOut {
    pub kind: ReliefKindDto,
    /// The reduction in đồng (the whole fees for an exemption).
    pub amount_vnd: i64,
    pub legal_basis: String,
}

crate::mirror_enum! {
    /// `online` (the national payment platform), `transfer`, `cash`, or `unspecified` while only requested.
    PaymentMethodDto => PaymentMethod { Online, Transfer, Cash, Unspecified }
}
crate::mirror_enum! {
    /// `pending`, `paid`, `failed`, `cancelled` or `refunded` (docs/RULES.md §5).
    PaymentStatusDto => PaymentStatus { Pending, Paid, Failed, Cancelled, Refunded }
}
crate::mirror_enum! {
    /// An attempt at the payment platform: `pending`, `paid` or `failed`.
    AttemptStatusDto => AttemptStatus { Pending, Paid, Failed }
}
crate::mirror_enum! {
    /// `exempt` from the fees, or `reduced` by an amount.
    ReliefKindDto => ReliefKind { Exempt, Reduced }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    pub items: Vec<PaymentOut>,
    /// The exemption or reduction that holds for the dossier, if any.
    pub fee_relief: Option<FeeReliefOut>,
}

/// A dossier's payments (whoever may read the dossier), each with its
/// attempts at the platform and the fee lines it covers.
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
    let out = state
        .db(move |conn| {
            readable(conn, &caller.0, &code)?;
            let rows = payments::of_dossier(conn, &code)?;
            let fee_relief = payments::relief_of(conn, &code)?.map(|r| FeeReliefOut {
                kind: r.kind.into(),
                amount_vnd: r.amount_vnd,
                legal_basis: r.legal_basis,
            });
            Ok::<_, ApiError>(PaymentList { items: PaymentOut::many(conn, rows)?, fee_relief })
        })
        .await?;
    Ok(web::Json(out))
}

/// What the dossier owes now under its pinned procedure version: the fee
/// lines no pending or paid payment covers (of one collection stage, when
/// given), less its exemption or reduction.
pub fn obligation(
    conn: &mut DbConnection,
    d: &StoredDossier,
    collected: Option<FeeCollection>,
) -> Result<Obligation, ApiError> {
    let version = dvc_persistence::procedures::version(conn, &d.procedure_code, d.procedure_version)?;
    let fees = payments::fee_state(conn, d.code.as_str())?;
    Ok(owed(&version.version.content.fees, collected, &fees.covered, fees.relief.as_ref(), fees.relief_used))
}

/// The sum of the pinned version's fees.
pub fn version_fees(conn: &mut DbConnection, d: &StoredDossier) -> Result<i64, ApiError> {
    let version = dvc_persistence::procedures::version(conn, &d.procedure_code, d.procedure_version)?;
    Ok(dvc_domain::fees::total(&version.version.content.fees))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnlinePaymentOut {
    pub payment: PaymentOut,
    /// The attempt this `INIT` starts, with its own reference.
    pub attempt: AttemptOut,
    pub init_message: InitMessage,
    /// Where to send the applicant (absent when no platform is configured).
    pub redirect_url: Option<String>,
}

/// The signed `INIT` message for the national payment platform (docs/RULES.md §5).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"LoaiBanTin": "INIT", "MaDoiTac": "DVC-DEMO", "MaThamChieu": "DVC10006053e181100e6d", "SoTien": "150000", "MaTienTe": "VND", "ThoiGianGD": "20261206084147", "ThongTinGiaoDich": "Nghĩa vụ tài chính", "ThongTinBienLai": "Hồ sơ 000.00.05.H56-261206-0001", "MaXacThuc": "bb5c678a94755053c23f3ee6bb08fdd0cdc2b58cb13deca1c585576d96312444"}))]
pub struct InitMessage {
    /// The message type: `INIT`.
    #[schema(pattern = "^INIT$")]
    #[serde(rename = "LoaiBanTin")]
    pub kind: String,
    /// Our partner code at the platform.
    #[serde(rename = "MaDoiTac")]
    pub partner: String,
    /// The attempt's reference: `DVC`, the dossier code's last six digits
    /// reversed, and twelve hexadecimal digits of the attempt's id.
    #[serde(rename = "MaThamChieu")]
    pub reference: String,
    /// The amount in VND, as digits.
    #[serde(rename = "SoTien")]
    #[schema(pattern = "^[0-9]+$")]
    pub amount: String,
    #[serde(rename = "MaTienTe")]
    #[schema(example = "VND")]
    pub currency: String,
    /// `yyyyMMddHHmmss`, Vietnam time.
    #[serde(rename = "ThoiGianGD")]
    #[schema(pattern = "^[0-9]{14}$")]
    pub time: String,
    #[serde(rename = "ThongTinGiaoDich")]
    pub description: String,
    #[serde(rename = "ThongTinBienLai")]
    pub receipt: String,
    /// SHA-256 hex over the fields joined by `|`, the shared secret last.
    #[serde(rename = "MaXacThuc")]
    pub checksum: String,
}

impl From<PlatformRequest> for InitMessage {
    fn from(r: PlatformRequest) -> Self {
        Self {
            kind: r.kind,
            partner: r.partner,
            reference: r.reference,
            amount: r.amount,
            currency: r.currency,
            time: r.time,
            description: r.description,
            receipt: r.receipt,
            checksum: r.checksum,
        }
    }
}

/// Pay online (the applicant).
///
/// Takes the dossier's pending obligation (or, with none, what it owes of
/// the fees of its procedure version, less any exemption or reduction) and
/// starts a new attempt at the platform with its own reference
/// (`MaThamChieu`): earlier attempts keep theirs, and a success for any of
/// them is taken. Answers the signed `INIT` message and the address to send
/// the applicant to. 409 `nothing_to_pay` when the dossier owes nothing,
/// `payment_closed` when it is closed.
#[utoipa::path(operation_id = "start_online_payment", tag = "payments", security(("bearer" = [])),
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
    let (payment, attempt) = state
        .db(move |conn| {
            let d = readable(conn, &actor, &code)?;
            if !Access::of(conn, &actor, &d)?.is_applicant {
                return Err(ApiError::forbidden("dossiers:applicant", "only the applicant pays online"));
            }
            if d.state.status.is_final() {
                return Err(ApiError::conflict(
                    ErrorCode::PaymentClosed,
                    format!("the dossier is {}", d.state.status.as_str()),
                ));
            }
            dvc_persistence::write_transaction_as(conn, |conn| {
                // Under the dossier's lock: two starts at once (a double
                // click) make one obligation, never two for the same fees.
                dossiers::lock(conn, &code)?;
                let payment_id = match payments::pending_of(conn, &code)? {
                    Some(p) => p.id,
                    None => {
                        let owed = obligation(conn, &d, None)?;
                        if owed.amount_vnd <= 0 {
                            return Err(ApiError::conflict(ErrorCode::NothingToPay, "the dossier owes nothing"));
                        }
                        let new = payments::NewPayment {
                            dossier_code: &code,
                            method: PaymentMethod::Online,
                            status: PaymentStatus::Pending,
                            amount_vnd: owed.amount_vnd,
                            description: "Phí, lệ phí",
                            reference: None,
                            by: &actor.id,
                            fee_lines: &owed.lines,
                            relief_vnd: owed.relief_vnd,
                            amount_reason: None,
                        };
                        payments::insert(conn, &new, now)?.id
                    }
                };
                let (payment, attempt) = payments::start_online(conn, &payment_id, &actor.id, now)?;
                Ok::<_, ApiError>((PaymentOut::one(conn, payment)?, attempt))
            })
        })
        .await?;
    let receipt = format!("Hồ sơ {}", payment.dossier_code);
    let init = PlatformRequest::signed(
        "INIT",
        account(&config),
        &attempt.reference,
        attempt.amount_vnd,
        now,
        &payment.description,
        &receipt,
    );
    let redirect_url = config
        .payment_platform_url
        .as_ref()
        .map(|u| format!("{}/pay?ref={}", u.trim_end_matches('/'), attempt.reference));
    Ok(HttpResponse::Created().json(OnlinePaymentOut {
        payment,
        attempt: attempt.into(),
        init_message: init.into(),
        redirect_url,
    }))
}

pub fn account(config: &Config) -> PlatformAccount<'_> {
    PlatformAccount { partner: &config.payment_partner_code, secret: &config.payment_secret }
}

/// The platform's signed result message (a callback), as sent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"LoaiBanTin": "RESULT", "MaLoi": "00", "MaDoiTac": "DVC-DEMO", "MaThamChieu": "DVC10006053e181100e6d", "SoTien": "150000", "MaTienTe": "VND", "MaGiaoDich": "GD0001", "MaNganHang": "VCB", "ThoiGianGD": "20260305090000", "ThongTinGiaoDich": "Phí, lệ phí", "MaXacThuc": "…sha256 hex…"}))]
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
    /// Paid for an obligation already settled: recorded and flagged for a refund.
    RefundDue,
    Failed,
    AlreadyProcessed,
}

/// Verifies and applies a result message (callback or QUERY answer) to the
/// attempt it names; every message is logged with its outcome, and a
/// refused one changes nothing else.
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
            ApiError::bad_request(ErrorCode::InvalidSignature, "the message's MaXacThuc does not verify"),
        );
    }
    if r.partner != config.payment_partner_code || r.currency != "VND" {
        return refuse(
            conn,
            "wrong_partner",
            ApiError::invalid_field("MaDoiTac", ErrorCode::WrongPartner, "not our partner code or currency"),
        );
    }
    let Some(a) = payments::attempt_by_reference(conn, &r.reference)? else {
        return refuse(
            conn,
            "unknown_reference",
            ApiError::invalid_field(
                "MaThamChieu",
                ErrorCode::UnknownReference,
                "no payment attempt has this reference",
            ),
        );
    };
    if r.amount_vnd() != Some(a.amount_vnd) {
        return refuse(
            conn,
            "amount_mismatch",
            ApiError::invalid_field(
                "SoTien",
                ErrorCode::AmountMismatch,
                format!("the payment is {} VND", a.amount_vnd),
            ),
        );
    }
    let status = a.status;
    let same_transaction = a.transaction_id.as_deref() == Some(r.transaction_id.as_str());
    match attempt_result(status, r.succeeded(), same_transaction) {
        AttemptResult::Repeat => {
            payments::log_callback(conn, Some(&r.reference), "duplicate", &raw, now)?;
            Ok(Outcome::AlreadyProcessed)
        }
        AttemptResult::Refused => refuse(
            conn,
            "not_pending",
            ApiError::conflict(ErrorCode::PaymentNotPending, format!("the attempt is {}", a.status.as_str())),
        ),
        AttemptResult::SecondDebit => dvc_persistence::write_transaction_as(conn, |conn| {
            let new = payments::record_second_debit(conn, &a, &r.transaction_id, &r.bank_code, now)?;
            if new {
                log::warn!(
                    "payment attempt {}: a second transaction {} was paid: refund due",
                    a.reference,
                    r.transaction_id
                );
            }
            payments::log_callback(conn, Some(&r.reference), if new { "refund_due" } else { "duplicate" }, &raw, now)?;
            Ok::<_, ApiError>(if new { Outcome::RefundDue } else { Outcome::AlreadyProcessed })
        }),
        AttemptResult::Failed => dvc_persistence::write_transaction_as(conn, |conn| {
            let moved = payments::fail_attempt(conn, &a, &r.transaction_id, &r.bank_code, now)?;
            payments::log_callback(conn, Some(&r.reference), if moved { "failed" } else { "duplicate" }, &raw, now)?;
            Ok(if moved { Outcome::Failed } else { Outcome::AlreadyProcessed })
        }),
        AttemptResult::Paid => settle(conn, r, &a, status == AttemptStatus::Failed, &raw, now),
    }
}

/// A verified success: under the dossier's lock, the attempt is paid; it
/// settles its obligation if that is still pending (and resumes a dossier
/// awaiting payment), or else is flagged for a refund. Never dropped.
fn settle(
    conn: &mut DbConnection,
    r: &PlatformResult,
    a: &Attempt,
    after_failure: bool,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    dvc_persistence::write_transaction_as(conn, |conn| {
        dossiers::lock(conn, a.dossier_code.as_str())?;
        let log = |conn: &mut DbConnection, outcome: &str| {
            payments::log_callback(conn, Some(&r.reference), outcome, raw, now)
        };
        if after_failure {
            log::info!("payment attempt {}: success after a failure, accepted", a.reference);
        }
        let status = dossiers::get(conn, a.dossier_code.as_str())?.state.status;
        let open = !matches!(status, Status::Withdrawn | Status::Stopped | Status::Refused);
        match payments::settle_attempt(conn, a, &r.transaction_id, &r.bank_code, open, now)? {
            Settled::Repeat => {
                log(conn, "duplicate")?;
                Ok(Outcome::AlreadyProcessed)
            }
            Settled::RefundDue => {
                log::warn!("payment attempt {} paid for a settled obligation: refund due", a.reference);
                log(conn, "refund_due")?;
                Ok(Outcome::RefundDue)
            }
            Settled::Paid(p) => {
                log(conn, if after_failure { "paid_after_failure" } else { "paid" })?;
                let dossier = dossiers::get(conn, p.dossier_code.as_str())?;
                if dossier.state.status == Status::AwaitingPayment {
                    dossiers::update(conn, p.dossier_code.as_str(), now, |conn, current| {
                        let calendar = access::calendar_of(conn, current)?;
                        let note = Some(format!(
                            "online, ref {}, transaction {} ({})",
                            a.reference, r.transaction_id, r.bank_code
                        ));
                        let t = settle_by_payment_platform(&current.state, p.amount_vnd, note, now, &calendar)
                            .map_err(|e| access::transition_error(current.code.as_str(), e))?;
                        Ok::<_, ApiError>(Change {
                            history: NewHistory {
                                action: t.action.into(),
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
                            // A recorded payment is not told (docs/RULES.md §12).
                            notify: dvc_domain::notify::Channels::default(),
                        })
                    })?;
                } else {
                    dvc_persistence::figures::recount(conn, &[p.dossier_code.to_string()])?;
                }
                Ok(Outcome::Paid)
            }
        }
    })
}

/// The payment platform's callback.
///
/// Authenticated by its signature, not a token. The reference
/// (`MaThamChieu`) names one attempt: every attempt of a payment is
/// honoured, the first success settles the payment (and resumes a dossier
/// awaiting payment), a success for another attempt of an already-paid
/// obligation is recorded and flagged `refund_due` (listed by
/// `GET /api/v1/payment-attempts?refund_due=true`), a second transaction
/// for an already-paid reference (a double debit) is recorded as an attempt
/// of its own (`<reference>/<transaction>`) flagged `refund_due`, and a
/// success after a failure for the same reference is accepted. A bad signature
/// (400 `invalid_signature`), an unknown reference (422 `unknown_reference`)
/// or another amount (422 `amount_mismatch`) changes nothing and is logged;
/// the same callback twice changes nothing the second time; a failure
/// after a success is refused (409 `payment_not_pending`).
#[utoipa::path(operation_id = "receive_payment_callback", tag = "payments", security(()), request_body = CallbackIn,
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
        Outcome::RefundDue => "paid; the fee was already settled: refund due",
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
                    ErrorCode::PaymentNotAllowed,
                    format!("a {} payment cannot become {}", p.status.as_str(), to.as_str()),
                ));
            }
            let row = payments::get(conn, &id)?;
            PaymentOut::one(conn, row)
        })
        .await?;
    Ok(web::Json(row))
}

/// Cancel a pending payment (admin). Payments are never deleted.
#[utoipa::path(operation_id = "cancel_payment", tag = "payments", security(("bearer" = [])),
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
#[utoipa::path(operation_id = "refund_payment", tag = "payments", security(("bearer" = [])),
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

#[derive(Debug, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct AttemptFilter {
    /// `true`: only attempts paid for an already-settled obligation and not
    /// yet refunded; `false`: only the others.
    pub refund_due: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptList {
    pub items: Vec<AttemptOut>,
    pub next_cursor: Option<String>,
}

/// The agencies whose dossiers' attempts the caller may list: all for an
/// admin, their agency and its sub-units for an officer or approver.
fn attempt_scope(conn: &mut DbConnection, actor: &Actor) -> Result<Option<Vec<String>>, ApiError> {
    match (actor.role, &actor.agency) {
        (Role::Admin, _) => Ok(None),
        (Role::Officer | Role::Approver, Some(agency)) => Ok(Some(agencies::with_descendants(conn, agency)?)),
        _ => Err(ApiError::forbidden(
            "payments:read",
            "only an officer or approver of the agency, or an admin, lists payment attempts",
        )),
    }
}

/// Payment attempts (officers and approvers of the agency, admins), oldest
/// first; `refund_due=true` lists the money owed back: successes for an
/// obligation that another attempt (or the desk) had already settled.
#[utoipa::path(operation_id = "list_payment_attempts", tag = "payments", security(("bearer" = [])), params(AttemptFilter, PageParams),
    responses((status = 200, body = AttemptList)))]
#[get("/api/v1/payment-attempts")]
pub async fn list_attempts(
    state: web::Data<AppState>,
    caller: Caller,
    filter: crate::extract::Query<AttemptFilter>,
    page: crate::extract::Query<PageParams>,
) -> Result<web::Json<AttemptList>, ApiError> {
    let page = page.page()?;
    let fetch = page.fetch();
    let after = page.after.clone();
    let refund_due = filter.refund_due;
    let rows = state
        .db(move |conn| {
            let scope = attempt_scope(conn, &caller.0)?;
            Ok::<_, ApiError>(payments::list_attempts(conn, scope.as_deref(), refund_due, after.as_deref(), fetch)?)
        })
        .await?;
    let (items, next_cursor) = page.finish(rows, |a| a.id.clone());
    Ok(web::Json(AttemptList { items: items.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Record that the money of a refund-due attempt was given back (admin).
/// 409 `refund_not_due` when the attempt is not flagged or already refunded.
#[utoipa::path(operation_id = "refund_payment_attempt", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment attempt id")), responses((status = 200, body = AttemptOut)))]
#[post("/api/v1/payment-attempts/{id}/refund")]
pub async fn refund_attempt(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<AttemptOut>, ApiError> {
    admin_move(&caller)?;
    let id = id.into_inner();
    let now = state.now();
    let by = caller.0.id.clone();
    let row = state
        .db(move |conn| {
            payments::attempt(conn, &id)?;
            if !payments::refund_attempt(conn, &id, &by, now)? {
                return Err(ApiError::conflict(ErrorCode::RefundNotDue, "this attempt is not owed back"));
            }
            Ok(payments::attempt(conn, &id)?)
        })
        .await?;
    Ok(web::Json(row.into()))
}
