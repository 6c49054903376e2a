//! `POST /api/v1/public/dossier-lookups`: anyone may ask where a dossier
//! stands, without a token, with its code and a second factor only its
//! applicant holds (docs/RULES.md §4.4). The answer says the status, the
//! received and due instants, what a supplement request asks for and what is
//! owed — nothing that names or identifies anyone.
//!
//! A wrong second factor is answered exactly as an unknown code (the same
//! 404 problem document), the factor is compared in constant time over
//! SHA-256 digests, and both paths do the same database work (one read of the
//! dossier by its code), so the answer does not tell which codes exist. The
//! look-ups of one client address are rate-limited ([`rate_limit`]).

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CACHE_CONTROL, RETRY_AFTER};
use actix_web::middleware::{from_fn, Next};
use actix_web::{post, web, Error, HttpResponse};
use chrono::{DateTime, FixedOffset};
use dvc_domain::dossier::{normalise_phone, DossierCode, Status};
use dvc_persistence::dossiers::StoredDossier;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use utoipa::ToSchema;
use validator::{Validate, ValidationErrors};

use crate::check::Report;
use crate::config::Config;
use crate::dossiers::types::StatusDto;
use crate::error::ApiError;
use crate::extract::Json;
use crate::invalid::Invalid;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;

/// How many trailing digits of the applicant's identification number the
/// second factor takes (docs/RULES.md §4.4).
pub const LAST_DIGITS: usize = 6;

/// The one answer for an unknown code and for a wrong second factor.
const NOT_FOUND: &str = "no dossier has this code with this second factor";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(lookup);
}

/// A look-up: the dossier's code and exactly one second factor.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"code": "000.00.05.H56-260305-0001", "id_number_last_digits": "012345"}))]
pub struct LookupIn {
    /// The dossier code on the receipt (`ddd.dd.dd.Ldd-YYMMDD-NNNN`).
    #[schema(
        example = "000.00.05.H56-260305-0001",
        pattern = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4}$"
    )]
    pub code: String,
    /// The last six digits of the applicant's identification number (CCCD,
    /// CMND, tax code; any dash or dot in it skipped). Give this or `phone`.
    #[serde(default)]
    #[schema(example = "012345", pattern = r"^[0-9]{6}$")]
    pub id_number_last_digits: Option<String>,
    /// The phone number given at submission, in any usual form
    /// (`0912345678`, `+84912345678`, `0912 345 678`). Give this or
    /// `id_number_last_digits`.
    #[serde(default)]
    #[schema(example = "0912345678", max_length = 24)]
    pub phone: Option<String>,
}

/// What the supplement request asks for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingOut {
    pub component_code: String,
    pub problem: String,
}

/// While the dossier awaits a supplement: what to bring, and by when.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplementOut {
    pub items: Vec<MissingOut>,
    pub reply_by: Option<DateTime<FixedOffset>>,
}

/// Where the dossier stands, and nothing else.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "awaiting_supplement", "status_code": 5, "received_at": "2026-03-05T09:00:00+07:00", "due_at": "2026-03-12T09:00:00+07:00", "supplement": {"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": "2026-03-20T17:00:00+07:00"}, "fee_owed": false, "amount_owed_vnd": 0}))]
pub struct LookupOut {
    pub status: StatusDto,
    /// The national portal's TrangThaiHoSo (1–10), as the dossier API gives it.
    pub status_code: u8,
    pub received_at: Option<DateTime<FixedOffset>>,
    /// The legal due instant (moved by pauses).
    pub due_at: Option<DateTime<FixedOffset>>,
    /// Present while the dossier awaits a supplement.
    pub supplement: Option<SupplementOut>,
    /// Whether a requested fee or charge is still unpaid.
    pub fee_owed: bool,
    /// How much is owed, in đồng (0 when nothing is).
    pub amount_owed_vnd: i64,
}

impl LookupOut {
    fn new(d: &StoredDossier, owed: i64) -> Self {
        let s = &d.state;
        let supplement = (s.status == Status::AwaitingSupplement).then(|| SupplementOut {
            items: s
                .supplement_items
                .iter()
                .map(|i| MissingOut { component_code: i.component_code.clone(), problem: i.problem.clone() })
                .collect(),
            reply_by: s.reply_by.map(vn),
        });
        Self {
            status: s.status.into(),
            status_code: s.status.national_code(),
            received_at: s.received_at.map(vn),
            due_at: s.due_at.map(vn),
            supplement,
            fee_owed: owed > 0,
            amount_owed_vnd: owed.max(0),
        }
    }
}

/// The second factor, checked and normalised.
#[derive(Debug, Clone)]
enum Factor {
    LastDigits(String),
    Phone(String),
}

impl Factor {
    /// What the dossier holds for this factor (None: it has none, so
    /// nothing matches).
    fn expected(&self, d: &StoredDossier) -> Option<String> {
        match self {
            Self::LastDigits(_) => last_digits(&d.applicant.id_number),
            Self::Phone(_) => d.applicant.phone.as_deref().map(|p| normalise_phone(p).unwrap_or_else(|_| p.to_owned())),
        }
    }

    fn given(&self) -> &str {
        match self {
            Self::LastDigits(v) | Self::Phone(v) => v,
        }
    }
}

/// The last [`LAST_DIGITS`] digits of an identification number, other
/// characters skipped (`0100109106-001` → `106001`); None with fewer digits.
fn last_digits(id_number: &str) -> Option<String> {
    let digits: Vec<char> = id_number.chars().filter(char::is_ascii_digit).collect();
    digits.len().checked_sub(LAST_DIGITS).map(|from| digits[from..].iter().collect())
}

/// Whether `given` equals `expected`, compared in constant time over their
/// SHA-256 digests (fixed length: the time says nothing of where they
/// differ, nor of their lengths). With nothing expected, a digest is still
/// made and compared, and the answer is no.
fn factor_matches(expected: Option<&str>, given: &str) -> bool {
    let given = Sha256::digest(given.as_bytes());
    let present = Choice::from(u8::from(expected.is_some()));
    let expected = Sha256::digest(expected.unwrap_or("\u{0}no factor").as_bytes());
    bool::from(given.ct_eq(&expected) & present)
}

impl Validate for LookupIn {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Report::of(checked(self))
    }
}

/// The body's code and factor: one 422 naming every invalid field.
fn checked(body: &LookupIn) -> Result<(DossierCode, Factor), ApiError> {
    let mut invalid = Invalid::default();
    let code = invalid.take(DossierCode::parse(body.code.trim()).map_err(|e| ApiError::from(e.at("code"))))?;
    let digits = body.id_number_last_digits.as_deref().map(str::trim);
    let phone = body.phone.as_deref().map(str::trim);
    let factor = match (digits, phone) {
        (Some(_), Some(_)) => {
            for field in ["id_number_last_digits", "phone"] {
                invalid.push(field, ErrorCode::OneFactorOnly, "give id_number_last_digits or phone, not both");
            }
            None
        }
        (None, None) => {
            for field in ["id_number_last_digits", "phone"] {
                invalid.push(field, ErrorCode::FactorRequired, "give id_number_last_digits or phone");
            }
            None
        }
        (Some(d), None) => {
            if d.len() == LAST_DIGITS && d.bytes().all(|b| b.is_ascii_digit()) {
                Some(Factor::LastDigits(d.to_owned()))
            } else {
                invalid.push(
                    "id_number_last_digits",
                    ErrorCode::InvalidLastDigits,
                    format!("the last {LAST_DIGITS} digits of the applicant's identification number; got {d:?}"),
                );
                None
            }
        }
        (None, Some(p)) => {
            invalid.take(normalise_phone(p).map_err(|e| ApiError::from(e.at("phone"))))?.map(Factor::Phone)
        }
    };
    invalid.finish()?;
    match (code, factor) {
        (Some(code), Some(factor)) => Ok((code, factor)),
        _ => Err(ApiError::internal("a look-up passed its checks without a code or a factor")),
    }
}

/// Look up a dossier's status (public, no token).
///
/// With the dossier's code and exactly one second factor: the last six
/// digits of the applicant's identification number, or the phone number
/// given at submission (`+84…`, spaces, dots and dashes are fine). Answers
/// the status, the received and due instants, what a supplement request asks
/// for and by when, and whether a fee is owed — nothing that identifies
/// anyone. An unknown code and a wrong factor get the same 404. Each client
/// address may make a few look-ups a minute (`DVC_LOOKUP_PER_MINUTE`, a burst
/// of `DVC_LOOKUP_BURST`); above, 429 `rate_limited` with `Retry-After`.
/// A POST, so that the factor never appears in a URL or an access log.
#[utoipa::path(
    tag = "public look-up",
    operation_id = "lookup_dossier",
    security(()),
    request_body = LookupIn,
    responses(
        (status = 200, description = "Where the dossier stands", body = LookupOut, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 404, description = "No dossier has this code with this second factor (an unknown code and a wrong factor are answered alike)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many look-ups from this client address: wait `Retry-After` seconds", body = crate::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait before the next look-up")))
    )
)]
#[post("/api/v1/public/dossier-lookups", wrap = "from_fn(rate_limit)")]
pub async fn lookup(state: web::Data<AppState>, body: Json<LookupIn>) -> Result<HttpResponse, ApiError> {
    let (code, factor) = checked(&body)?;
    let found = state
        .db(move |conn| {
            // One read by code on every path: an unknown code and a wrong
            // factor cost the same.
            let dossier = dvc_persistence::dossiers::find(conn, code.as_str())?;
            let expected = dossier.as_ref().and_then(|d| factor.expected(d));
            let matches = factor_matches(expected.as_deref(), factor.given());
            match dossier {
                Some(d) if matches => {
                    let owed = dvc_persistence::payments::owed_of(conn, d.code.as_str())?;
                    Ok::<_, ApiError>(Some(LookupOut::new(&d, owed)))
                }
                _ => Ok(None),
            }
        })
        .await?;
    match found {
        Some(out) => Ok(HttpResponse::Ok().json(out)),
        None => Err(ApiError::not_found(NOT_FOUND)),
    }
}

/// The look-up's rate limit: one GCRA bucket per client address.
pub struct LookupLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    trust_forwarded_for: bool,
}

/// Buckets kept before the full ones are dropped.
const MAX_BUCKETS: usize = 100_000;

impl LookupLimiter {
    pub fn from_config(config: &Config) -> Self {
        let per_minute = NonZeroU32::new(config.lookup_per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.lookup_burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            trust_forwarded_for: config.trust_forwarded_for.unwrap_or(false),
        }
    }

    /// Takes one look-up for `address`, or says how many seconds to wait.
    fn check(&self, address: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > MAX_BUCKETS {
            // Buckets back to full say nothing: drop them.
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&bucket_of(address)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// The client's address: the peer's, or, behind a trusted proxy, the
    /// last address of `X-Forwarded-For` (the one that proxy appended; any
    /// earlier ones are the client's say and are not believed).
    fn client_address(&self, req: &ServiceRequest) -> IpAddr {
        let forwarded = || {
            let header = req.headers().get_all("x-forwarded-for").last()?.to_str().ok()?;
            header.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        };
        self.trust_forwarded_for
            .then(forwarded)
            .flatten()
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

/// The bucket an address spends from: itself for IPv4; for IPv6 its /64,
/// which one subscriber holds whole and can rotate through at will.
fn bucket_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// The middleware of the look-up: 429 `rate_limited` with `Retry-After`
/// once a client address has spent its look-ups; and `Cache-Control:
/// no-store` on every answer (a status is personal, and changes).
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limited = req.app_data::<web::Data<AppState>>().and_then(|state| {
        let limiter = &state.lookup_limiter;
        limiter.check(limiter.client_address(&req)).err()
    });
    let mut res = match limited {
        Some(wait) => {
            let error = ApiError::new(
                ErrorCode::RateLimited,
                format!("too many look-ups from this address: try again in {wait} s"),
            )
            .vi(format!("Quá nhiều lượt tra cứu từ địa chỉ này: vui lòng thử lại sau {wait} giây"));
            // Rendered in the request's language by the request-id middleware:
            // the response keeps its error (`into_response` would drop it).
            let mut body = HttpResponse::from_error(error);
            body.headers_mut().insert(RETRY_AFTER, HeaderValue::from(wait));
            ServiceResponse::new(req.into_parts().0, body)
        }
        None => next.call(req).await?.map_into_boxed_body(),
    };
    res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_subscriber_spends_from_one_bucket_for_its_whole_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(bucket_of(a), bucket_of(b));
        assert_ne!(bucket_of(a), bucket_of(other));
        let v4: IpAddr = "203.0.113.7".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(bucket_of(v4), v4);
        assert_eq!(bucket_of(mapped), v4);
        // A limiter of one look-up: the second address of the /64 is refused.
        let limiter = LookupLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN)),
            trust_forwarded_for: false,
        };
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(b).is_err());
        assert!(limiter.check(other).is_ok());
    }

    #[test]
    fn the_last_digits_skip_punctuation_and_need_six() {
        assert_eq!(last_digits("001099012345").as_deref(), Some("012345"));
        assert_eq!(last_digits("0100109106-001").as_deref(), Some("106001"));
        assert_eq!(last_digits("AB-123"), None);
    }

    #[test]
    fn a_factor_matches_only_its_own_value() {
        assert!(factor_matches(Some("0912345678"), "0912345678"));
        assert!(!factor_matches(Some("0912345678"), "0912345679"));
        assert!(!factor_matches(Some("0912345678"), "091234567"));
        assert!(!factor_matches(None, "\u{0}no factor"));
    }
}
