//! Bearer-token authentication (docs/RULES.md §1): HS256 with a shared secret or RS256
//! with a public key; `exp`, `iss` and `aud` required and checked, 30 s leeway.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::{Actor, Right, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{Config, DEV_JWT_SECRET};
use crate::error::ApiError;
use crate::state::AppState;

pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    pub iss: String,
    pub aud: String,
}

/// How tokens are checked, and (with a shared secret) minted.
#[derive(Clone)]
pub struct Keys {
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl Keys {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let (algorithm, decoding, encoding) = match (&config.jwt_public_key, &config.jwt_secret) {
            (Some(key), _) => {
                let pem = if key.trim_start().starts_with("-----BEGIN") {
                    key.clone()
                } else {
                    std::fs::read_to_string(key).map_err(|e| format!("DVC_JWT_PUBLIC_KEY: cannot read {key:?}: {e}"))?
                };
                let decoding = DecodingKey::from_rsa_pem(pem.as_bytes())
                    .map_err(|e| format!("DVC_JWT_PUBLIC_KEY is not an RSA public key in PEM: {e}"))?;
                (Algorithm::RS256, decoding, None)
            }
            (None, secret) => {
                let secret = secret.as_deref().unwrap_or(DEV_JWT_SECRET);
                if secret.len() < 16 {
                    return Err("DVC_JWT_SECRET must be at least 16 characters".into());
                }
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(secret.as_bytes()),
                    Some(EncodingKey::from_secret(secret.as_bytes())),
                )
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        Ok(Self {
            decoding,
            encoding,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
        })
    }

    /// Mints an HS256 token (only with a shared secret).
    pub fn mint(
        &self,
        role: Role,
        sub: &str,
        agency: Option<&AgencyCode>,
        name: Option<&str>,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<String, String> {
        let key = self
            .encoding
            .as_ref()
            .ok_or("tokens are verified with an RS256 public key: mint them with the matching private key")?;
        if role.is_staff() && agency.is_none() {
            return Err(format!("a {role} token needs --agency"));
        }
        let claims = Claims {
            sub: sub.to_owned(),
            role: role.as_str().to_owned(),
            agency: agency.map(ToString::to_string),
            name: name.map(str::to_owned),
            exp: (now + ttl).timestamp(),
            iat: Some(now.timestamp()),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, key).map_err(|e| e.to_string())
    }

    /// Checks a token and turns its claims into the acting user.
    pub fn verify(&self, token: &str) -> Result<Actor, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => ApiError::unauthorized("token_expired", "the token has expired"),
                K::ImmatureSignature => ApiError::unauthorized("token_not_yet_valid", "the token is not valid yet"),
                K::InvalidIssuer => ApiError::unauthorized("invalid_token", "the token was issued by someone else"),
                K::InvalidAudience => {
                    ApiError::unauthorized("invalid_token", "the token is meant for another audience")
                }
                K::InvalidSignature => ApiError::unauthorized("invalid_token", "the token's signature does not verify"),
                K::InvalidAlgorithm => {
                    ApiError::unauthorized("invalid_token", "the token is signed with another algorithm")
                }
                K::MissingRequiredClaim(c) => {
                    ApiError::unauthorized("invalid_token", format!("the token has no {c} claim"))
                }
                _ => ApiError::unauthorized("invalid_token", "the token is malformed"),
            }
        })?;
        let claims = data.claims;
        // jsonwebtoken checks `nbf` but not `iat`: a token that says it was
        // issued in the future (beyond the leeway) is not valid yet either.
        if claims.iat.is_some_and(|iat| iat > Utc::now().timestamp().saturating_add(LEEWAY_SECONDS as i64)) {
            return Err(ApiError::unauthorized("token_not_yet_valid", "the token says it was issued in the future"));
        }
        let role = Role::parse(&claims.role)
            .ok_or_else(|| ApiError::unauthorized("invalid_token", format!("unknown role {:?}", claims.role)))?;
        let agency = claims
            .agency
            .as_deref()
            .map(AgencyCode::parse)
            .transpose()
            .map_err(|_| ApiError::unauthorized("invalid_token", "the token's agency is not an agency code"))?;
        if role.is_staff() && agency.is_none() {
            return Err(ApiError::unauthorized("invalid_token", format!("a {role} token must name an agency")));
        }
        if claims.sub.is_empty() || claims.sub.len() > 128 {
            return Err(ApiError::unauthorized("invalid_token", "the token's subject is empty or too long"));
        }
        let name = claims.name.unwrap_or_else(|| claims.sub.clone());
        Ok(Actor { id: claims.sub, role, agency, name })
    }
}

fn bearer(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else { return Ok(None) };
    let value =
        value.to_str().map_err(|_| ApiError::unauthorized("invalid_token", "the Authorization header is not text"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::unauthorized("invalid_token", "use the Authorization: Bearer <token> scheme")),
    }
}

fn keys(req: &HttpRequest) -> Result<&Keys, ApiError> {
    req.app_data::<web::Data<AppState>>().map(|s| &s.keys).ok_or_else(|| ApiError::internal("no application state"))
}

/// An authenticated caller: a request without a valid token gets 401.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl Caller {
    /// 403 naming the right unless the caller's role holds it.
    pub fn require(&self, right: Right) -> Result<(), ApiError> {
        if self.0.role.has(right) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                right.as_str(),
                format!("the {} role does not hold the right {}", self.0.role, right.as_str()),
            ))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(verified) = req.extensions().get::<Caller>() {
            return ready(Ok(verified.clone()));
        }
        ready((|| {
            let token = bearer(req)?.ok_or_else(|| {
                ApiError::unauthorized(
                    "missing_token",
                    "this operation needs a bearer token (Authorization: Bearer <token>)",
                )
            })?;
            Ok(Caller(keys(req)?.verify(token)?))
        })())
    }
}

/// A caller who may be anonymous; a token that is present must be valid.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Actor>);

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| match bearer(req)? {
            None => Ok(MaybeCaller(None)),
            Some(token) => Ok(MaybeCaller(Some(keys(req)?.verify(token)?))),
        })())
    }
}
