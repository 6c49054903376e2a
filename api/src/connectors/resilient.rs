//! How dvc asks a national database over the network: a bounded time per
//! attempt, a few retries with backoff on answers that may change, a circuit
//! breaker per database (after repeated failures it is not asked for a
//! pause, then one trial decides), and a short cache of good answers.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dvc_domain::registry::{LookupError, Registry};
use failsafe::backoff::Constant;
use failsafe::failure_policy::ConsecutiveFailures;
use failsafe::{CircuitBreaker, StateMachine};
use mini_moka::sync::Cache;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How a connector behaves on the network.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The longest wait for one answer.
    pub timeout: Duration,
    /// Attempts after the first, on an answer that may change.
    pub retries: u32,
    /// The wait before the first retry (doubled for each further one, with jitter).
    pub retry_base: Duration,
    /// Failed requests in a row that open the breaker.
    pub breaker_failures: u32,
    /// How long an open breaker refuses before one trial.
    pub breaker_pause: Duration,
    /// How long a good answer is reused (zero: never).
    pub cache_ttl: Duration,
}

impl Policy {
    /// The longest a request can take in all: every attempt's timeout and
    /// the waits between them.
    pub fn bound(&self) -> Duration {
        let attempts = self.retries + 1;
        let waits: Duration = (0..self.retries).map(|n| self.retry_base * 2u32.saturating_pow(n) * 3 / 2).sum();
        self.timeout * attempts + waits
    }
}

/// The breaker's state, as the readiness check shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// Keeps the breaker's state where the readiness check can read it, and
/// says in the log when it changes.
#[derive(Clone)]
struct Watch {
    registry: Registry,
    state: Arc<AtomicU8>,
}

impl failsafe::Instrument for Watch {
    fn on_call_rejected(&self) {}
    fn on_open(&self) {
        self.state.store(1, Ordering::SeqCst);
        log::warn!("{} database: failing repeatedly; not asked until its pause ends", self.registry);
    }
    fn on_half_open(&self) {
        self.state.store(2, Ordering::SeqCst);
        log::info!("{} database: pause over; the next request decides", self.registry);
    }
    fn on_closed(&self) {
        if self.state.swap(0, Ordering::SeqCst) != 0 {
            log::info!("{} database: answering again", self.registry);
        }
    }
}

type Breaker = StateMachine<ConsecutiveFailures<Constant>, Watch>;

/// One national database's endpoint, asked with the [`Policy`].
pub struct Endpoint {
    pub registry: Registry,
    url: String,
    token: Option<String>,
    policy: Policy,
    breaker: Breaker,
    state: Arc<AtomicU8>,
    cache: Cache<String, Arc<serde_json::Value>>,
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl Endpoint {
    pub fn new(registry: Registry, url: &str, token: Option<String>, policy: Policy) -> Self {
        let state = Arc::new(AtomicU8::new(0));
        let breaker = failsafe::Config::new()
            .failure_policy(failsafe::failure_policy::consecutive_failures(
                policy.breaker_failures.max(1),
                failsafe::backoff::constant(policy.breaker_pause),
            ))
            .instrument(Watch { registry, state: state.clone() })
            .build();
        let cache =
            Cache::builder().max_capacity(10_000).time_to_live(policy.cache_ttl.max(Duration::from_millis(1))).build();
        Self {
            registry,
            url: url.trim_end_matches('/').to_owned(),
            token,
            policy,
            breaker,
            state,
            cache,
            client: OnceLock::new(),
        }
    }

    pub fn breaker_state(&self) -> BreakerState {
        match self.state.load(Ordering::SeqCst) {
            1 => BreakerState::Open,
            2 => BreakerState::HalfOpen,
            _ => BreakerState::Closed,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The HTTP client, made on first use (on a blocking thread: a blocking
    /// client may not be made inside the server's async runtime).
    fn client(&self) -> Result<&reqwest::blocking::Client, LookupError> {
        self.client
            .get_or_init(|| {
                reqwest::blocking::Client::builder()
                    .timeout(self.policy.timeout)
                    .connect_timeout(self.policy.timeout)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| LookupError::Unavailable(format!("no HTTP client: {e}")))
    }

    /// Posts `body` to `path` and reads the answer as `T`: from the cache
    /// (key `key`) when a good answer is fresh, else through the breaker,
    /// with retries on answers that may change. Blocks: call it from a
    /// blocking thread.
    pub fn ask<B: Serialize, T: DeserializeOwned>(&self, path: &str, key: &str, body: &B) -> Result<T, LookupError> {
        let cache_on = !self.policy.cache_ttl.is_zero();
        let key = format!("{path} {key}");
        let value = match self.cache.get(&key).filter(|_| cache_on) {
            Some(hit) => hit,
            None => {
                let fresh = self
                    .breaker
                    .call_with(|e: &LookupError| e.is_transient(), || self.with_retries(path, body))
                    .map_err(|e| match e {
                        failsafe::Error::Rejected => LookupError::CircuitOpen,
                        failsafe::Error::Inner(e) => e,
                    })?;
                let fresh = Arc::new(fresh);
                if cache_on {
                    self.cache.insert(key, fresh.clone());
                }
                fresh
            }
        };
        // Not serde's message: it may quote a value of the answer (a name, a number).
        serde_json::from_value(Value::clone(&value)).map_err(|_| {
            LookupError::Malformed("the answer lacks a field of the contract, or has one of another type".into())
        })
    }

    fn with_retries<B: Serialize>(&self, path: &str, body: &B) -> Result<Value, LookupError> {
        let mut attempt = 0;
        loop {
            match self.once(path, body) {
                Err(e) if e.is_transient() && attempt < self.policy.retries => {
                    let jitter = rand::rng().random_range(0.5..1.5);
                    std::thread::sleep((self.policy.retry_base * 2u32.saturating_pow(attempt)).mul_f64(jitter));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn once<B: Serialize>(&self, path: &str, body: &B) -> Result<Value, LookupError> {
        let mut req = self
            .client()?
            .post(format!("{}{path}", self.url))
            .header("X-Contract-Version", "1")
            .header("X-Request-Id", uuid::Uuid::now_v7().to_string())
            .json(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().map_err(|e| {
            LookupError::Unavailable(if e.is_timeout() {
                format!("no answer within {} ms", self.policy.timeout.as_millis())
            } else {
                // Without the URL: it may carry credentials.
                format!("cannot reach the database ({})", e.without_url())
            })
        })?;
        let status = res.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(LookupError::NotFound);
        }
        if !status.is_success() {
            return Err(LookupError::Unavailable(format!("the database answered {status}")));
        }
        let text = res.text().map_err(|e| LookupError::Unavailable(format!("the answer was cut off: {e}")))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| LookupError::Malformed(format!("not JSON: {e}")))?;
        if !value.is_object() {
            return Err(LookupError::Malformed("the answer is not a JSON object".into()));
        }
        Ok(value)
    }
}

use serde_json::Value;

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            timeout: Duration::from_millis(200),
            retries: 2,
            retry_base: Duration::from_millis(10),
            breaker_failures: 2,
            breaker_pause: Duration::from_secs(60),
            cache_ttl: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_bound_counts_every_attempt_and_wait() {
        // 3 attempts of 200 ms, waits of at most 15 and 30 ms.
        assert_eq!(policy().bound(), Duration::from_millis(645));
    }

    #[test]
    fn an_unreachable_database_opens_the_breaker_and_is_then_not_asked() {
        // Port 9 on loopback: nothing listens there.
        let e = Endpoint::new(Registry::Population, "http://127.0.0.1:9", None, Policy { retries: 0, ..policy() });
        let body = serde_json::json!({});
        for _ in 0..2 {
            let got: Result<Value, _> = e.ask("/v1/citizens/lookup", "x", &body);
            assert!(matches!(got, Err(LookupError::Unavailable(_))), "{got:?}");
        }
        assert_eq!(e.breaker_state(), BreakerState::Open);
        let got: Result<Value, _> = e.ask("/v1/citizens/lookup", "x", &body);
        assert_eq!(got, Err(LookupError::CircuitOpen));
    }
}
