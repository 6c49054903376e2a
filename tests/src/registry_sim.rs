//! A stand-in for the national databases behind the province's integration
//! platform, speaking dvc's contract version 1 (docs/NATIONAL-DATABASES.md):
//! the population database, the business registration database and the
//! citizen's digital data store on one server. A test fills it with
//! records, switches it between answering, failing (503), answering garbage
//! and answering slowly, and reads how often each path was asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::loopback::Loopback;

pub const POPULATION: &str = "/v1/citizens/lookup";
pub const BUSINESS: &str = "/v1/enterprises/lookup";
pub const DATA_STORE: &str = "/v1/documents/fetch";

/// How the simulator answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// As the contract says.
    Up,
    /// 503 to everything.
    Down,
    /// 200 with a body that is not a record.
    Garbage,
    /// As the contract says, after a wait.
    Slow(Duration),
}

#[derive(Default)]
struct State {
    mode: Option<Mode>,
    citizens: HashMap<String, Value>,
    enterprises: HashMap<String, Value>,
    documents: HashMap<(String, String), Value>,
    asked: HashMap<String, usize>,
    headers: Vec<(Option<String>, Option<String>)>,
}

pub struct RegistrySim {
    pub url: String,
    state: Arc<Mutex<State>>,
    /// Stops the simulator when dropped.
    _server: Loopback,
}

async fn answer(req: HttpRequest, body: web::Bytes, state: web::Data<Arc<Mutex<State>>>) -> HttpResponse {
    let path = req.path().to_owned();
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mode = {
        let mut s = state.lock().expect("state");
        *s.asked.entry(path.clone()).or_default() += 1;
        let seen = (header("x-contract-version"), header("authorization"));
        s.headers.push(seen);
        s.mode.clone().unwrap_or(Mode::Up)
    };
    match mode {
        Mode::Down => return HttpResponse::ServiceUnavailable().body("maintenance"),
        Mode::Garbage => return HttpResponse::Ok().content_type("application/json").body("{\"ok\": tru"),
        Mode::Slow(wait) => actix_web::rt::time::sleep(wait).await,
        Mode::Up => {}
    }
    let Ok(q) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().json(json!({"error": "not JSON"}));
    };
    let text = |k: &str| q[k].as_str().unwrap_or_default().to_owned();
    let s = state.lock().expect("state");
    let found = match path.as_str() {
        POPULATION => s.citizens.get(&text("id_number")).cloned(),
        BUSINESS => s.enterprises.get(&text("code")).cloned(),
        DATA_STORE => s.documents.get(&(text("code"), text("owner_id"))).cloned(),
        _ => return HttpResponse::NotFound().json(json!({"error": "no such path"})),
    };
    match found {
        Some(record) => HttpResponse::Ok().json(record),
        None => HttpResponse::NotFound().json(json!({"error": "no such record"})),
    }
}

impl RegistrySim {
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = Loopback::start(move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(web::Data::new(shared.clone())).default_service(web::to(answer));
        });
        let url = server.base.clone();
        Self { url, state, _server: server }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().expect("state").mode = Some(mode);
    }

    /// A citizen the population database knows.
    pub fn citizen(&self, id_number: &str, full_name: &str, date_of_birth: &str, address: &str) {
        let record = json!({"id_number": id_number, "full_name": full_name, "date_of_birth": date_of_birth,
            "permanent_address": address});
        self.state.lock().expect("state").citizens.insert(id_number.into(), record);
    }

    /// Any answer for an ID number, well-formed or not.
    pub fn citizen_answer(&self, id_number: &str, record: Value) {
        self.state.lock().expect("state").citizens.insert(id_number.into(), record);
    }

    /// An enterprise the business registration database knows.
    pub fn enterprise(&self, code: &str, name: &str, representative: &str, status: &str) {
        let record = json!({"code": code, "name": name, "legal_representative": representative, "status": status});
        self.state.lock().expect("state").enterprises.insert(code.into(), record);
    }

    /// A document in a citizen's data store.
    pub fn document(&self, code: &str, owner_id: &str, name: &str, media_type: &str, content: &[u8]) {
        let record = json!({"code": code, "owner_id": owner_id, "name": name, "media_type": media_type,
            "content_base64": STANDARD.encode(content), "issued_by": "UBND phường Phú Cường"});
        self.state.lock().expect("state").documents.insert((code.into(), owner_id.into()), record);
    }

    /// How often `path` was asked.
    pub fn asked(&self, path: &str) -> usize {
        self.state.lock().expect("state").asked.get(path).copied().unwrap_or(0)
    }

    /// The contract version and authorisation headers of every request so far.
    pub fn headers(&self) -> Vec<(Option<String>, Option<String>)> {
        self.state.lock().expect("state").headers.clone()
    }
}
