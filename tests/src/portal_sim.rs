//! A stand-in for the national portal: records every message it accepts,
//! and can be taken down (503) and brought back.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::Value;

#[derive(Clone, Default)]
struct Shared {
    up: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<Value>>>,
}

pub struct PortalSim {
    pub url: String,
    shared: Shared,
    stop: Option<actix_web::dev::ServerHandle>,
}

impl PortalSim {
    pub fn start() -> Self {
        let shared = Shared::default();
        shared.up.store(true, Ordering::SeqCst);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/portal", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        let s = shared.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let s = s.clone();
                    App::new().route(
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
                    )
                })
                .workers(2)
                .listen(listener)
                .expect("listen")
                .run();
                tx.send(server.handle()).expect("handle");
                server.await.expect("runs");
            });
        });
        let stop = rx.recv_timeout(Duration::from_secs(10)).expect("simulator started");
        Self { url, shared, stop: Some(stop) }
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

impl Drop for PortalSim {
    fn drop(&mut self) {
        if let Some(h) = self.stop.take() {
            drop(h.stop(false));
        }
    }
}
