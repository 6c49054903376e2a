//! A webhook subscriber: records every delivery with its headers, and can
//! be told to fail the next few.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::loopback::Loopback;
use actix_web::{web, HttpRequest, HttpResponse};

#[derive(Debug, Clone)]
pub struct Delivery {
    pub signature: String,
    pub delivery_id: String,
    pub seq: String,
    pub body: Vec<u8>,
}

#[derive(Clone, Default)]
struct Shared {
    fail_next: Arc<AtomicUsize>,
    attempts: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Delivery>>>,
}

pub struct WebhookSim {
    pub url: String,
    shared: Shared,
    /// Stops the simulator when dropped.
    _server: Loopback,
}

fn header(req: &HttpRequest, name: &str) -> String {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

impl WebhookSim {
    pub fn start() -> Self {
        let shared = Shared::default();
        let s = shared.clone();
        let server = Loopback::start(move |cfg: &mut web::ServiceConfig| {
            let s = s.clone();
            cfg.route(
                "/hook",
                web::post().to(move |req: HttpRequest, body: web::Bytes| {
                    let s = s.clone();
                    async move {
                        s.attempts.fetch_add(1, Ordering::SeqCst);
                        if s.fail_next.load(Ordering::SeqCst) > 0 {
                            s.fail_next.fetch_sub(1, Ordering::SeqCst);
                            return HttpResponse::InternalServerError().finish();
                        }
                        s.received.lock().expect("lock").push(Delivery {
                            signature: header(&req, "x-dvc-signature"),
                            delivery_id: header(&req, "x-dvc-delivery"),
                            seq: header(&req, "x-dvc-seq"),
                            body: body.to_vec(),
                        });
                        HttpResponse::NoContent().finish()
                    }
                }),
            );
        });
        let url = format!("{}/hook", server.base);
        Self { url, shared, _server: server }
    }

    pub fn fail_next(&self, n: usize) {
        self.shared.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.shared.received.lock().expect("lock").clone()
    }

    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(start.elapsed() < timeout, "timed out with {} deliveries", got.len());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
