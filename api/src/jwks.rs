//! An identity provider's JSON Web Key Set (docs/RULES.md §1): the public
//! keys a national or provincial login service publishes, each named by a
//! key id (`kid`) that its tokens carry in their header.
//!
//! One background thread fetches the set: at start, on a schedule, and when
//! a token names a key not known yet — but never more than once per
//! [`JwksPolicy::min_interval`], so that tokens with made-up key ids cannot
//! make the server hammer the provider. A failed fetch keeps the keys known
//! before. Requests never fetch themselves: a request with an unknown key id
//! asks for a fetch and waits for it asynchronously (no worker thread is
//! held), at most [`JwksPolicy::timeout`] and a little more.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::workers::Shutdown;

/// The largest key set read (a real one is a few kilobytes).
const MAX_BYTES: u64 = 1 << 20;

/// When and how long the key set is fetched.
#[derive(Debug, Clone, Copy)]
pub struct JwksPolicy {
    /// Between two scheduled fetches.
    pub every: Duration,
    /// The shortest time between two fetches of any kind.
    pub min_interval: Duration,
    /// The longest one fetch may take.
    pub timeout: Duration,
}

/// One usable key of the provider: the key and the one algorithm it verifies.
#[derive(Clone)]
pub struct ProviderKey {
    pub key: DecodingKey,
    pub algorithm: Algorithm,
}

/// What a request's call for a fresh key set got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// A fetch is under way (or about to be): wait for it.
    Fetching,
    /// The key set was fetched less than the minimum interval ago: no fetch.
    TooSoon,
}

#[derive(Default)]
struct Gate {
    /// When the last fetch began.
    last_attempt: Option<Instant>,
    in_flight: bool,
    wanted: bool,
}

pub struct Jwks {
    url: String,
    policy: JwksPolicy,
    keys: RwLock<Arc<HashMap<String, ProviderKey>>>,
    gate: Mutex<Gate>,
    wake: Condvar,
    /// Counts finished fetches, good or bad; waiting requests watch it.
    done: tokio::sync::watch::Sender<u64>,
}

impl Jwks {
    /// Checks the address; fetches nothing yet (see [`Jwks::spawn`]).
    pub fn new(url: &str, policy: JwksPolicy) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("DVC_JWT_JWKS_URL {url:?} is not a URL: {e}"))?;
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let loopback =
            host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        match parsed.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(
                    "DVC_JWT_JWKS_URL must be an https URL (plain http only on loopback): keys fetched over plain \
                     http could be replaced on the way"
                        .into(),
                )
            }
        }
        let policy = JwksPolicy {
            min_interval: policy.min_interval.max(Duration::from_secs(1)),
            every: policy.every.max(policy.min_interval).max(Duration::from_secs(1)),
            timeout: policy.timeout.max(Duration::from_millis(100)),
        };
        Ok(Self {
            url: url.to_owned(),
            policy,
            keys: RwLock::new(Arc::new(HashMap::new())),
            gate: Mutex::new(Gate::default()),
            wake: Condvar::new(),
            done: tokio::sync::watch::Sender::new(0),
        })
    }

    pub fn policy(&self) -> JwksPolicy {
        self.policy
    }

    /// The known key named `kid`.
    pub fn key(&self, kid: &str) -> Option<ProviderKey> {
        self.keys.read().ok().and_then(|k| k.get(kid).cloned())
    }

    /// How many keys are known.
    pub fn known(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    /// Asks the fetching thread for a fresh key set, unless one was fetched
    /// less than the minimum interval ago.
    pub fn ask(&self) -> Asked {
        let Ok(mut gate) = self.gate.lock() else { return Asked::TooSoon };
        if gate.in_flight || gate.wanted {
            return Asked::Fetching;
        }
        if gate.last_attempt.is_some_and(|t| t.elapsed() < self.policy.min_interval) {
            return Asked::TooSoon;
        }
        gate.wanted = true;
        self.wake.notify_all();
        Asked::Fetching
    }

    /// Asks for a fresh key set and waits (without holding a thread) until
    /// the fetch has ended, or the fetch's timeout and a second more.
    pub async fn refresh(&self) {
        let mut finished = self.done.subscribe();
        if self.ask() == Asked::TooSoon {
            return;
        }
        let bound = self.policy.timeout + Duration::from_secs(1);
        let _ = actix_web::rt::time::timeout(bound, finished.changed()).await;
    }

    /// Starts the fetching thread: a first fetch now, then every
    /// [`JwksPolicy::every`] (sooner when asked, and again after the
    /// minimum interval when a fetch failed), until `shutdown`.
    pub fn spawn(self: Arc<Self>, shutdown: Shutdown) -> std::io::Result<JoinHandle<()>> {
        std::thread::Builder::new().name("dvc-jwks".into()).spawn(move || self.run(&shutdown))
    }

    fn run(&self, shutdown: &Shutdown) {
        let client = match reqwest::blocking::Client::builder()
            .timeout(self.policy.timeout)
            .connect_timeout(self.policy.timeout)
            .build()
        {
            Ok(c) => c,
            Err(e) => return log::error!("JWKS: no HTTP client ({e}); tokens cannot be verified"),
        };
        let mut due = Instant::now();
        loop {
            {
                let Ok(mut gate) = self.gate.lock() else { return };
                loop {
                    if shutdown.is_stopped() {
                        return;
                    }
                    let now = Instant::now();
                    if gate.wanted || now >= due {
                        break;
                    }
                    // Wakes at least every 200 ms to notice the shutdown.
                    let wait = (due - now).min(Duration::from_millis(200));
                    gate = match self.wake.wait_timeout(gate, wait) {
                        Ok((g, _)) => g,
                        Err(_) => return,
                    };
                }
                gate.wanted = false;
                gate.in_flight = true;
                gate.last_attempt = Some(Instant::now());
            }
            let started = Instant::now();
            match self.fetch(&client) {
                Ok(keys) => {
                    let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
                    kids.sort_unstable();
                    log::info!("JWKS: {} usable keys ({})", keys.len(), kids.join(", "));
                    if let Ok(mut known) = self.keys.write() {
                        *known = Arc::new(keys);
                    }
                    due = started + self.policy.every;
                }
                Err(e) => {
                    log::warn!(
                        "JWKS: fetch failed ({e}); keeping the {} keys known; next try in {} s",
                        self.known(),
                        self.policy.min_interval.as_secs()
                    );
                    due = started + self.policy.min_interval;
                }
            }
            if let Ok(mut gate) = self.gate.lock() {
                gate.in_flight = false;
            }
            self.done.send_modify(|n| *n += 1);
        }
    }

    fn fetch(&self, client: &reqwest::blocking::Client) -> Result<HashMap<String, ProviderKey>, String> {
        let res = client.get(&self.url).header("Accept", "application/json").send().map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {} ms", self.policy.timeout.as_millis())
            } else {
                format!("cannot reach the identity provider ({})", e.without_url())
            }
        })?;
        let status = res.status();
        if !status.is_success() {
            return Err(format!("the identity provider answered {status}"));
        }
        let mut body = Vec::new();
        res.take(MAX_BYTES + 1).read_to_end(&mut body).map_err(|e| format!("the answer was cut off: {e}"))?;
        if body.len() as u64 > MAX_BYTES {
            return Err(format!("the key set is larger than {MAX_BYTES} bytes"));
        }
        parse(&body)
    }
}

/// The usable signing keys of a key set. Keys this server does not take
/// (other types or curves, encryption keys, symmetric keys, keys without a
/// `kid`) are left out; a set with no usable key at all is an error (and
/// the keys known before are kept).
pub fn parse(body: &[u8]) -> Result<HashMap<String, ProviderKey>, String> {
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_slice(body).map_err(|e| format!("not a JSON Web Key Set: {e}"))?;
    let total = set.keys.len();
    let mut usable = HashMap::new();
    for raw in set.keys {
        // Each key on its own: one key of a type we do not know does not
        // spoil the others.
        let Ok(jwk) = serde_json::from_value::<Jwk>(raw) else { continue };
        if let Some((kid, key)) = usable_key(&jwk) {
            usable.insert(kid, key);
        }
    }
    if usable.is_empty() {
        return Err(format!("none of its {total} keys is an RS256 or ES256 signing key with a kid"));
    }
    Ok(usable)
}

fn usable_key(jwk: &Jwk) -> Option<(String, ProviderKey)> {
    let kid = jwk.common.key_id.clone().filter(|k| !k.is_empty())?;
    if jwk.common.public_key_use.as_ref().is_some_and(|u| *u != PublicKeyUse::Signature) {
        return None;
    }
    let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256)) if p.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, ProviderKey { key, algorithm }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = r#"{"kty":"RSA","kid":"r1","use":"sig","alg":"RS256","n":"pGUn9orrcD-Kwrv9-6stGO0MmAylo7Trc6hu0WHOo1N0CXtgBDRQe20sUrNIxbYLLGLixAV0WsBhTLZioB1302bKOVph7RSODRAE81TLzo0wcrx1hQurPm3qJkqcHMS0VZ07J7NicDdwc8gEb43iBubsWceXY6liPW8EnqDdgZPbFYdBFHcTOld4vEymB_j2M1RTmPCm8VlYcwB9W6k26pfWMRkY0oi4vx9x0gTk8am2rjybyleS88B_GyUDm6YfEx39zrnNo9oTqMF7o1Ijs4PECZvSRXvLZ_4mO5uDw9KFhvrkNvGD-5PqGoEqNSchq1fmTCVbk8dFhyfGbCWEiw","e":"AQAB"}"#;
    const EC: &str = r#"{"kty":"EC","kid":"e1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    #[test]
    fn takes_rs256_and_es256_signing_keys_with_a_kid_and_nothing_else() {
        let body = format!(
            r#"{{"keys":[{RSA},{EC},
              {{"kty":"oct","kid":"h1","k":"c2VjcmV0"}},
              {{"kty":"RSA","kid":"enc","use":"enc","n":"sXch","e":"AQAB"}},
              {{"kty":"RSA","kid":"ps","alg":"PS256","n":"sXch","e":"AQAB"}},
              {{"kty":"RSA","n":"sXch","e":"AQAB"}},
              {{"kty":"XYZ","kid":"odd"}}]}}"#
        );
        let keys = parse(body.as_bytes()).expect("usable keys");
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        assert_eq!(kids, ["e1", "r1"]);
        assert_eq!(keys["r1"].algorithm, Algorithm::RS256);
        assert_eq!(keys["e1"].algorithm, Algorithm::ES256);
    }

    #[test]
    fn refuses_garbage_and_sets_without_usable_keys() {
        for body in
            ["", "<html>", "{}", r#"{"keys":{}}"#, r#"{"keys":[]}"#, r#"{"keys":[{"kty":"oct","kid":"h","k":"AA"}]}"#]
        {
            assert!(parse(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn wants_https_except_on_loopback() {
        let policy =
            JwksPolicy { every: Duration::from_secs(60), min_interval: Duration::ZERO, timeout: Duration::ZERO };
        assert!(Jwks::new("https://id.example.vn/.well-known/jwks.json", policy).is_ok());
        assert!(Jwks::new("http://127.0.0.1:9000/jwks", policy).is_ok());
        assert!(Jwks::new("http://localhost/jwks", policy).is_ok());
        assert!(Jwks::new("http://id.example.vn/jwks", policy).is_err());
        assert!(Jwks::new("ftp://127.0.0.1/jwks", policy).is_err());
        assert!(Jwks::new("not a url", policy).is_err());
        let j = Jwks::new("http://[::1]/jwks", policy).expect("loopback v6");
        assert_eq!(j.policy().min_interval, Duration::from_secs(1));
    }

    #[test]
    fn asks_once_per_interval() {
        let policy = JwksPolicy {
            every: Duration::from_secs(60),
            min_interval: Duration::from_secs(30),
            timeout: Duration::ZERO,
        };
        let j = Jwks::new("http://127.0.0.1/jwks", policy).expect("jwks");
        assert_eq!(j.ask(), Asked::Fetching);
        assert_eq!(j.ask(), Asked::Fetching, "still wanted: the same fetch");
        {
            let mut g = j.gate.lock().expect("gate");
            g.wanted = false;
            g.last_attempt = Some(Instant::now());
        }
        assert_eq!(j.ask(), Asked::TooSoon);
    }
}
