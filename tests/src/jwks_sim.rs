//! A stand-in for an identity provider (a national or provincial login
//! service): serves its JSON Web Key Set at `/jwks`, signs tokens with the
//! matching private keys, and can rotate its keys, fail (500), answer
//! garbage, or answer slowly. Counts the requests for the key set.
//!
//! The keys are fixed test keys in `tests/keys/` (made once with openssl);
//! their public halves are turned into JWKs by jsonwebtoken itself.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::loopback::Loopback;
use actix_web::{web, HttpResponse};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// A provider's signing key (a private key in PEM and its algorithm).
#[derive(Clone, Copy)]
pub struct TestKey {
    pub pem: &'static str,
    pub algorithm: Algorithm,
}

/// The first RSA key (also the key of the RS256 tests in attacks.rs).
pub const RSA_A: TestKey = TestKey { pem: include_str!("../keys/test-rs256-private.pem"), algorithm: Algorithm::RS256 };
/// A second RSA key: the one the provider rotates to.
pub const RSA_B: TestKey =
    TestKey { pem: include_str!("../keys/test-rs256-second-private.pem"), algorithm: Algorithm::RS256 };
/// A P-256 key.
pub const EC_P256: TestKey =
    TestKey { pem: include_str!("../keys/test-es256-private.pem"), algorithm: Algorithm::ES256 };

impl TestKey {
    fn encoding(&self) -> EncodingKey {
        match self.algorithm {
            Algorithm::ES256 => EncodingKey::from_ec_pem(self.pem.as_bytes()).expect("EC private key"),
            _ => EncodingKey::from_rsa_pem(self.pem.as_bytes()).expect("RSA private key"),
        }
    }

    /// The public half as a JWK named `kid`, as a provider publishes it.
    pub fn jwk(&self, kid: &str) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.encoding(), self.algorithm).expect("JWK");
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        serde_json::to_value(jwk).expect("JWK as JSON")
    }

    /// A token with `claims`, signed with this key, naming `kid` (or no kid).
    pub fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding()).expect("sign")
    }
}

/// How the provider answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// 200 with the current key set.
    Serve,
    /// 500.
    Fail,
    /// 200 with this body (not a key set).
    Garbage(String),
    /// The key set, after this long.
    Slow(Duration),
}

#[derive(Clone)]
struct Shared {
    keys: Arc<Mutex<Vec<Value>>>,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<AtomicUsize>,
}

pub struct JwksSim {
    /// The key set's address.
    pub url: String,
    shared: Shared,
    /// Stops the simulator when dropped.
    _server: Loopback,
}

impl JwksSim {
    /// A provider publishing `keys` (JWKs, see [`TestKey::jwk`]).
    pub fn start(keys: Vec<Value>) -> Self {
        let shared = Shared {
            keys: Arc::new(Mutex::new(keys)),
            mode: Arc::new(Mutex::new(Mode::Serve)),
            requests: Arc::new(AtomicUsize::new(0)),
        };
        let s = shared.clone();
        let server = Loopback::start(move |cfg: &mut web::ServiceConfig| {
            let s = s.clone();
            cfg.route(
                "/jwks",
                web::get().to(move || {
                    let s = s.clone();
                    async move {
                        s.requests.fetch_add(1, Ordering::SeqCst);
                        let mode = s.mode.lock().expect("lock").clone();
                        match mode {
                            Mode::Fail => return HttpResponse::InternalServerError().body("internal error"),
                            Mode::Garbage(body) => {
                                return HttpResponse::Ok().content_type("application/json").body(body)
                            }
                            Mode::Slow(d) => actix_web::rt::time::sleep(d).await,
                            Mode::Serve => {}
                        }
                        let keys = s.keys.lock().expect("lock").clone();
                        HttpResponse::Ok().json(json!({ "keys": keys }))
                    }
                }),
            );
        });
        let url = format!("{}/jwks", server.base);
        Self { url, shared, _server: server }
    }

    /// Replaces the published key set (a key rotation).
    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.shared.keys.lock().expect("lock") = keys;
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().expect("lock") = mode;
    }

    /// How many times the key set was asked for.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Waits until the key set was asked for at least `n` times, or panics after `timeout`.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) {
        let start = Instant::now();
        while self.requests() < n {
            assert!(start.elapsed() < timeout, "the key set was asked for {} times, not {n}", self.requests());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
