//! A stand-in for the national portal: records every message it accepts,
//! and can be taken down (503) and brought back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::loopback::Loopback;
use actix_web::{web, HttpResponse};
use serde_json::Value;

#[derive(Clone, Default)]
struct Shared {
    up: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<Value>>>,
}

pub struct PortalSim {
    pub url: String,
    shared: Shared,
    /// Stops the simulator when dropped.
    _server: Loopback,
}

impl PortalSim {
    pub fn start() -> Self {
        let shared = Shared::default();
        shared.up.store(true, Ordering::SeqCst);
        let s = shared.clone();
        let server = Loopback::start(move |cfg: &mut web::ServiceConfig| {
            let s = s.clone();
            cfg.route(
                "/portal",
                web::post().to(move |body: web::Json<Value>| {
                    let s = s.clone();
                    async move {
                        if !s.up.load(Ordering::SeqCst) {
                            return HttpResponse::ServiceUnavailable().body("down for maintenance");
                        }
                        s.received.lock().expect("lock").push(body.into_inner());
                        HttpResponse::Ok().json(serde_json::json!({"error_code": 0}))
                    }
                }),
            );
        });
        let url = format!("{}/portal", server.base);
        Self { url, shared, _server: server }
    }

    pub fn set_up(&self, up: bool) {
        self.shared.up.store(up, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Value> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Waits until `done(received)` holds, or panics after `timeout`.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(start.elapsed() < timeout, "timed out; received {} messages", got.len());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
