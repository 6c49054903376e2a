//! Bearer-token authentication (docs/RULES.md §1): HS256 with a shared secret, RS256
//! with a public key, or RS256/ES256 with the key an identity provider's JWKS names
//! by the token's `kid`; `exp`, `iss` and `aud` required and checked, 30 s leeway.

use std::future::{ready, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

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
use crate::jwks::{Jwks, JwksPolicy};
use crate::state::AppState;
use dvc_domain::ErrorCode;

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

/// The key tokens are checked with.
#[derive(Clone)]
enum Verifier {
    /// One key: the shared secret's, or the configured public key.
    Fixed(DecodingKey),
    /// The identity provider's keys, by `kid`.
    Provider(Arc<Jwks>),
}

/// Why a token was refused: for a key id not known (yet), a fresh key set may help.
enum Refusal {
    UnknownKey,
    Other(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Other(e)
    }
}

/// How tokens are checked, and (with a shared secret) minted.
#[derive(Clone)]
pub struct Keys {
    verifier: Verifier,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl Keys {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let (algorithm, verifier, encoding) = match (&config.jwt_jwks_url, &config.jwt_public_key, &config.jwt_secret) {
            (Some(_), Some(_), _) => {
                return Err("set DVC_JWT_JWKS_URL or DVC_JWT_PUBLIC_KEY, not both".into());
            }
            (Some(url), None, _) => {
                let policy = JwksPolicy {
                    every: Duration::from_secs(config.jwt_jwks_refresh_secs),
                    min_interval: Duration::from_secs(config.jwt_jwks_min_interval_secs),
                    timeout: Duration::from_millis(config.jwt_jwks_timeout_ms),
                };
                // The algorithm is each key's own (see `check`).
                (Algorithm::RS256, Verifier::Provider(Arc::new(Jwks::new(url, policy)?)), None)
            }
            (None, Some(key), _) => {
                let pem = if key.trim_start().starts_with("-----BEGIN") {
                    key.clone()
                } else {
                    std::fs::read_to_string(key).map_err(|e| format!("DVC_JWT_PUBLIC_KEY: cannot read {key:?}: {e}"))?
                };
                let decoding = DecodingKey::from_rsa_pem(pem.as_bytes())
                    .map_err(|e| format!("DVC_JWT_PUBLIC_KEY is not an RSA public key in PEM: {e}"))?;
                (Algorithm::RS256, Verifier::Fixed(decoding), None)
            }
            (None, None, secret) => {
                let secret = secret.as_deref().unwrap_or(DEV_JWT_SECRET);
                if secret.len() < 16 {
                    return Err("DVC_JWT_SECRET must be at least 16 characters".into());
                }
                (
                    Algorithm::HS256,
                    Verifier::Fixed(DecodingKey::from_secret(secret.as_bytes())),
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
            verifier,
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
            .ok_or("tokens are verified with a public key (DVC_JWT_PUBLIC_KEY or DVC_JWT_JWKS_URL): they are minted by whoever holds the private key")?;
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

    /// The identity provider's key set, when tokens are checked with it.
    pub fn jwks(&self) -> Option<&Arc<Jwks>> {
        match &self.verifier {
            Verifier::Provider(j) => Some(j),
            Verifier::Fixed(_) => None,
        }
    }

    /// Checks a token with the keys known now and turns its claims into the
    /// acting user.
    pub fn verify(&self, token: &str) -> Result<Actor, ApiError> {
        self.check(token).map_err(|r| match r {
            Refusal::UnknownKey => unknown_key(),
            Refusal::Other(e) => e,
        })
    }

    /// [`Keys::verify`], but a token naming a key of the identity provider
    /// not known yet first asks for a fresh key set (at most once per the
    /// minimum interval) and waits a bounded time for it.
    pub async fn verify_fresh(&self, token: &str) -> Result<Actor, ApiError> {
        match (self.check(token), &self.verifier) {
            (Err(Refusal::UnknownKey), Verifier::Provider(jwks)) => {
                jwks.refresh().await;
                self.verify(token)
            }
            (result, _) => result.map_err(|r| match r {
                Refusal::UnknownKey => unknown_key(),
                Refusal::Other(e) => e,
            }),
        }
    }

    fn check(&self, token: &str) -> Result<Actor, Refusal> {
        let provider_key;
        let (decoding, validation) = match &self.verifier {
            Verifier::Fixed(key) => (key, std::borrow::Cow::Borrowed(&self.validation)),
            Verifier::Provider(jwks) => {
                let header = jsonwebtoken::decode_header(token)
                    .map_err(|_| ApiError::unauthorized(ErrorCode::InvalidToken, "the token is malformed"))?;
                if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
                    return Err(ApiError::unauthorized(
                        ErrorCode::InvalidToken,
                        "the token is signed with an algorithm this server does not take from its identity provider (RS256 or ES256)",
                    )
                    .into());
                }
                let kid = header.kid.filter(|k| !k.is_empty()).ok_or_else(|| {
                    ApiError::unauthorized(
                        ErrorCode::InvalidToken,
                        "the token's header names no key (kid) of the identity provider",
                    )
                })?;
                provider_key = jwks.key(&kid).ok_or(Refusal::UnknownKey)?;
                let mut validation = self.validation.clone();
                validation.algorithms = vec![provider_key.algorithm];
                (&provider_key.key, std::borrow::Cow::Owned(validation))
            }
        };
        let data = jsonwebtoken::decode::<Claims>(token, decoding, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => ApiError::unauthorized(ErrorCode::TokenExpired, "the token has expired"),
                K::ImmatureSignature => {
                    ApiError::unauthorized(ErrorCode::TokenNotYetValid, "the token is not valid yet")
                }
                K::InvalidIssuer => {
                    ApiError::unauthorized(ErrorCode::InvalidToken, "the token was issued by someone else")
                }
                K::InvalidAudience => {
                    ApiError::unauthorized(ErrorCode::InvalidToken, "the token is meant for another audience")
                }
                K::InvalidSignature => {
                    ApiError::unauthorized(ErrorCode::InvalidToken, "the token's signature does not verify")
                }
                K::InvalidAlgorithm => {
                    ApiError::unauthorized(ErrorCode::InvalidToken, "the token is signed with another algorithm")
                }
                K::MissingRequiredClaim(c) => {
                    ApiError::unauthorized(ErrorCode::InvalidToken, format!("the token has no {c} claim"))
                }
                _ => ApiError::unauthorized(ErrorCode::InvalidToken, "the token is malformed"),
            }
        })?;
        Ok(actor(data.claims)?)
    }
}

fn unknown_key() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::InvalidToken,
        "the token names a key (kid) the identity provider does not publish",
    )
}

/// The acting user a verified token's claims name.
fn actor(claims: Claims) -> Result<Actor, ApiError> {
    // jsonwebtoken checks `nbf` but not `iat`: a token that says it was
    // issued in the future (beyond the leeway) is not valid yet either.
    if claims.iat.is_some_and(|iat| iat > Utc::now().timestamp().saturating_add(LEEWAY_SECONDS as i64)) {
        return Err(ApiError::unauthorized(ErrorCode::TokenNotYetValid, "the token says it was issued in the future"));
    }
    let role = Role::parse(&claims.role)
        .ok_or_else(|| ApiError::unauthorized(ErrorCode::InvalidToken, format!("unknown role {:?}", claims.role)))?;
    let agency = claims
        .agency
        .as_deref()
        .map(AgencyCode::parse)
        .transpose()
        .map_err(|_| ApiError::unauthorized(ErrorCode::InvalidToken, "the token's agency is not an agency code"))?;
    if role.is_staff() && agency.is_none() {
        return Err(ApiError::unauthorized(ErrorCode::InvalidToken, format!("a {role} token must name an agency")));
    }
    if claims.sub.is_empty() || claims.sub.len() > 128 {
        return Err(ApiError::unauthorized(ErrorCode::InvalidToken, "the token's subject is empty or too long"));
    }
    let name = claims.name.unwrap_or_else(|| claims.sub.clone());
    Ok(Actor { id: claims.sub, role, agency, name })
}

fn bearer(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else { return Ok(None) };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized(ErrorCode::InvalidToken, "the Authorization header is not text"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::unauthorized(ErrorCode::InvalidToken, "use the Authorization: Bearer <token> scheme")),
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| ApiError::internal("no application state"))
}

type Verified<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// Verifies `token`: at once with the keys known, else (an identity
/// provider's key not known yet) after waiting for a fresh key set.
fn verify_token(req: &HttpRequest, token: &str) -> Verified<Actor> {
    let state = match state(req) {
        Ok(s) => s,
        Err(e) => return Box::pin(ready(Err(e))),
    };
    if state.keys.jwks().is_none() {
        return Box::pin(ready(state.keys.verify(token)));
    }
    let token = token.to_owned();
    Box::pin(async move { state.keys.verify_fresh(&token).await })
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
    type Future = Verified<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(verified) = req.extensions().get::<Caller>() {
            return Box::pin(ready(Ok(verified.clone())));
        }
        let token = match bearer(req) {
            Ok(Some(token)) => token,
            Ok(None) => {
                return Box::pin(ready(Err(ApiError::unauthorized(
                    ErrorCode::MissingToken,
                    "this operation needs a bearer token (Authorization: Bearer <token>)",
                ))))
            }
            Err(e) => return Box::pin(ready(Err(e))),
        };
        let verified = verify_token(req, token);
        Box::pin(async move { verified.await.map(Caller) })
    }
}

/// A caller who may be anonymous; a token that is present must be valid.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Actor>);

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Verified<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        match bearer(req) {
            Ok(None) => Box::pin(ready(Ok(MaybeCaller(None)))),
            Ok(Some(token)) => {
                let verified = verify_token(req, token);
                Box::pin(async move { verified.await.map(|a| MaybeCaller(Some(a))) })
            }
            Err(e) => Box::pin(ready(Err(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::Cli;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["dvc"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("parses").config
    }

    #[test]
    fn a_jwks_url_replaces_the_secret_and_cannot_mint() {
        let c = config(&["--jwt-secret", "a-secret-of-enough-length", "--jwt-jwks-url", "https://id.example.vn/jwks"]);
        assert!(!c.uses_dev_secret());
        let keys = Keys::from_config(&c).expect("keys");
        assert!(keys.jwks().is_some());
        let minted = keys.mint(Role::Admin, "admin", None, None, Utc::now(), chrono::Duration::hours(1));
        assert!(minted.is_err(), "the provider holds the private keys");
        // A token the shared secret signed is not taken.
        let hs = Keys::from_config(&config(&["--jwt-secret", "a-secret-of-enough-length"]))
            .expect("keys")
            .mint(Role::Admin, "admin", None, None, Utc::now(), chrono::Duration::hours(1))
            .expect("token");
        assert!(keys.verify(&hs).is_err());
    }

    #[test]
    fn a_jwks_url_and_a_public_key_together_are_refused() {
        let c = config(&["--jwt-jwks-url", "https://id.example.vn/jwks", "--jwt-public-key", "/nowhere.pem"]);
        assert!(Keys::from_config(&c).is_err());
        assert!(Keys::from_config(&config(&["--jwt-jwks-url", "http://id.example.vn/jwks"])).is_err());
    }
}
