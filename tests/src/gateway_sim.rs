//! A stand-in for an SMS or Zalo ZNS gateway: takes `POST /send` with JSON
//! `{to, text, ...}` and `Idempotency-Key`, keeps each message, counts the
//! requests and the successes per key, and can answer 503 (an outage) or
//! 400 (a refusal) until told otherwise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::loopback::Loopback;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Up,
    /// 503 to everything.
    Down,
    /// 400 to everything.
    Refuse,
}

#[derive(Default)]
struct State {
    down: Option<Mode>,
    requests: HashMap<String, usize>,
    accepted: HashMap<String, usize>,
    messages: Vec<(String, Value, Option<String>)>,
}

pub struct GatewaySim {
    /// The URL to configure (`.../send`).
    pub url: String,
    state: Arc<Mutex<State>>,
    _server: Loopback,
}

async fn send(req: HttpRequest, body: web::Bytes, state: web::Data<Arc<Mutex<State>>>) -> HttpResponse {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut s = state.lock().expect("state");
    *s.requests.entry(key.clone()).or_default() += 1;
    match s.down.unwrap_or(Mode::Up) {
        Mode::Down => return HttpResponse::ServiceUnavailable().body("maintenance"),
        Mode::Refuse => return HttpResponse::BadRequest().body("invalid number"),
        Mode::Up => {}
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().body("not JSON");
    };
    // A repeat of a key already accepted is acknowledged, not sent again.
    let n = s.accepted.entry(key.clone()).or_default();
    *n += 1;
    if *n == 1 {
        s.messages.push((key, json, auth));
    }
    HttpResponse::Ok().json(serde_json::json!({"status": "queued"}))
}

impl GatewaySim {
    pub fn start() -> Self {
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        let server = Loopback::start(move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(web::Data::new(shared.clone())).route("/send", web::post().to(send));
        });
        Self { url: format!("{}/send", server.base), state, _server: server }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().expect("state").down = Some(mode);
    }

    /// The messages accepted, once per key: (key, body, Authorization).
    pub fn messages(&self) -> Vec<(String, Value, Option<String>)> {
        self.state.lock().expect("state").messages.clone()
    }

    /// Requests seen with this key, whatever the answer.
    pub fn requests(&self, key: &str) -> usize {
        self.state.lock().expect("state").requests.get(key).copied().unwrap_or(0)
    }

    pub fn total_requests(&self) -> usize {
        self.state.lock().expect("state").requests.values().sum()
    }

    /// How many times each key was accepted (2xx).
    pub fn accepted(&self) -> HashMap<String, usize> {
        self.state.lock().expect("state").accepted.clone()
    }
}
