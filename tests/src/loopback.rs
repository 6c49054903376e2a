//! The server under each simulator: actix on a random loopback port, on a
//! thread of its own, stopped when dropped.

use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

pub struct Loopback {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base: String,
    stop: Option<ServerHandle>,
}

impl Loopback {
    /// Serves the routes `configure` adds, with two workers.
    pub fn start<F>(configure: F) -> Self
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || App::new().configure(configure.clone()))
                    .workers(2)
                    .listen(listener)
                    .expect("listen")
                    .run();
                tx.send(server.handle()).expect("handle sent");
                server.await.expect("simulator runs");
            });
        });
        let stop = rx.recv_timeout(Duration::from_secs(10)).expect("simulator started");
        Self { base, stop: Some(stop) }
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(h) = self.stop.take() {
            drop(h.stop(false));
        }
    }
}
