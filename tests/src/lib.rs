//! The end-to-end harness: a real server (`build_app` behind actix's HTTP
//! server on a random port) on a fresh database per test — an SQLite file,
//! or a PostgreSQL database copied from a migrated template and dropped
//! afterwards — spoken to over HTTP.

pub mod db;
pub mod fixtures;
pub mod gateway_sim;
pub mod harness;
pub mod jwks_sim;
pub mod loopback;
pub mod payment_sim;
pub mod portal_sim;
pub mod registry_sim;
pub mod replica;
pub mod smtp_sim;
pub mod webhook_sim;

use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use dvc_api::config::Cli;
use dvc_api::server;
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::Role;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

pub use db::{Backend, TestDb};

pub const TEST_SECRET: &str = "dvc-test-secret-0123456789abcdef";

pub use harness::E2eTest;
#[doc(hidden)]
pub use inventory;

/// Declares end-to-end tests that each run on SQLite and on PostgreSQL
/// (`name::sqlite`, `name::postgres`); the harness decides when the tests
/// run whether the PostgreSQL half can (see [`harness`]).
#[macro_export]
macro_rules! both_backends {
    ($($(#[$meta:meta])* fn $name:ident($app:ident: &TestApp) $body:block)*) => {
        $crate::both_backends!(spawn = spawn; $($(#[$meta])* fn $name($app: &TestApp) $body)*);
    };
    // Bodies that start their own servers: they get the backend only.
    ($($(#[$meta:meta])* fn $name:ident($backend:ident: Backend) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($backend: $crate::Backend) $body
            fn sqlite() {
                run($crate::Backend::Sqlite);
            }
            fn postgres() {
                run($crate::Backend::Postgres);
            }
            $crate::register!(sqlite, Some($crate::Backend::Sqlite));
            $crate::register!(postgres, Some($crate::Backend::Postgres));
        }
    )*};
    (spawn = $spawn:ident; $($(#[$meta:meta])* fn $name:ident($app:ident: &TestApp) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($app: &$crate::TestApp) $body
            fn sqlite() {
                run(&$crate::TestApp::$spawn($crate::Backend::Sqlite));
            }
            fn postgres() {
                run(&$crate::TestApp::$spawn($crate::Backend::Postgres));
            }
            $crate::register!(sqlite, Some($crate::Backend::Sqlite));
            $crate::register!(postgres, Some($crate::Backend::Postgres));
        }
    )*};
}

/// Registers a test that needs no database from the harness, written as a
/// plain function beside it: `e2e_test!(name); fn name() { … }`.
#[macro_export]
macro_rules! e2e_test {
    ($f:ident) => {
        $crate::register!($f, None);
    };
}

/// Registers a test function with the harness.
#[doc(hidden)]
#[macro_export]
macro_rules! register {
    ($f:ident, $backend:expr) => {
        $crate::inventory::submit! {
            $crate::E2eTest { module: module_path!(), name: stringify!($f), backend: $backend, run: $f }
        }
    };
}

/// An answer: status, headers, and the body as JSON (Null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every code of a problem document (its own and its fields') is one of
    /// `ErrorCode`: checked on every answer of every test.
    #[track_caller]
    pub fn assert_known_problem_codes(&self) {
        if self.header("content-type") != Some("application/problem+json") {
            return;
        }
        let fields = self.body["errors"].as_array().into_iter().flatten().map(|e| &e["code"]);
        for code in std::iter::once(&self.body["code"]).chain(fields) {
            let known = code.as_str().and_then(dvc_domain::ErrorCode::parse);
            assert!(known.is_some(), "problem code {code} is not an ErrorCode; body: {}", self.text);
        }
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self
    }

    /// Asserts a problem document with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "not a problem document: {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "unexpected problem code; body: {}", self.text);
        assert_eq!(self.body["status"], status, "problem status field; body: {}", self.text);
        self
    }
}

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub db: TestDb,
    /// The server's clock: starts at the real time; tests set it.
    pub clock: dvc_api::state::Clock,
    shutdown: dvc_api::workers::Shutdown,
    client: Client,
    stop: Option<actix_web::dev::ServerHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    /// A server on an empty, migrated database.
    pub fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, &[])
    }

    /// A server on a database with the demo data set.
    pub fn spawn_demo(backend: Backend) -> Self {
        Self::spawn_with(backend, &["--demo", "true"])
    }

    pub fn spawn_with(backend: Backend, extra: &[&str]) -> Self {
        Self::start(TestDb::create(backend), extra)
    }

    /// Another server on the same database (as a second API process would be).
    pub fn second_instance(&self) -> Self {
        self.second_instance_with(&[])
    }

    pub fn second_instance_with(&self, extra: &[&str]) -> Self {
        let app = Self::start(TestDb::borrow(self.backend, self.db.url()), extra);
        app.clock.set(self.clock.now());
        app
    }

    /// Stops this server and its workers, and starts another on the same
    /// database with `extra` arguments (a restart), its clock where this one's was.
    pub fn restart_with(mut self, extra: &[&str]) -> Self {
        let borrowed = TestDb::borrow(self.backend, self.db.url());
        let db = std::mem::replace(&mut self.db, borrowed);
        let now = self.clock.now();
        drop(self);
        let app = Self::start(db, extra);
        app.clock.set(now);
        app
    }

    /// Sets the servers' clock (an RFC 3339 instant).
    pub fn set_now(&self, at: &str) {
        let at = chrono::DateTime::parse_from_rfc3339(at).expect("RFC 3339 instant").to_utc();
        self.clock.set(at);
    }

    /// A client of a server started elsewhere (the real binary) on `db`.
    pub fn attach(base: String, db: TestDb) -> Self {
        let backend = db.backend();
        let client = Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        Self {
            base,
            backend,
            db,
            clock: dvc_api::state::Clock::system(),
            shutdown: dvc_api::workers::Shutdown::default(),
            client,
            stop: None,
            thread: None,
        }
    }

    fn start(db: TestDb, extra: &[&str]) -> Self {
        let backend = db.backend();
        let mut args = vec![
            "dvc",
            "--database-url",
            db.url(),
            "--bind",
            "127.0.0.1:0",
            "--jwt-secret",
            TEST_SECRET,
            "--workers",
            "2",
            "--pool-size",
            "4",
        ];
        if !extra.contains(&"--demo") {
            args.extend(["--demo", "false"]);
        }
        // The demo's catalogue without its year of dossiers, unless a test asks for them.
        if !extra.contains(&"--demo-dossiers") {
            args.extend(["--demo-dossiers", "0"]);
        }
        // Every request of a test comes from 127.0.0.1: the public look-up's
        // rate limit is out of the way unless a test sets it.
        if !extra.contains(&"--lookup-per-minute") {
            args.extend(["--lookup-per-minute", "1000000"]);
        }
        if !extra.contains(&"--lookup-burst") {
            args.extend(["--lookup-burst", "1000000"]);
        }
        args.extend_from_slice(extra);
        let config = Cli::try_parse_from(args).expect("test configuration parses").config;
        let mut state = server::prepare(config).expect("server state");
        let clock = dvc_api::state::Clock::fixed(Utc::now());
        state.clock = clock.clone();
        let shutdown = state.shutdown.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = server::start(state, vec![listener]).expect("server starts");
                tx.send(server.handle()).expect("handle sent");
                server.await.expect("server runs");
            });
        });
        let stop = rx.recv_timeout(Duration::from_secs(30)).expect("server started");
        let client = Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        Self { base, backend, db, clock, shutdown, client, stop: Some(stop), thread: Some(thread) }
    }

    /// A token for `role` (and agency, for staff) signed with the test secret.
    pub fn token(&self, role: Role, agency: Option<&str>) -> String {
        self.token_for(role, role.as_str(), agency)
    }

    pub fn token_for(&self, role: Role, sub: &str, agency: Option<&str>) -> String {
        let config = Cli::try_parse_from(["dvc", "--jwt-secret", TEST_SECRET]).expect("config").config;
        let keys = dvc_api::auth::Keys::from_config(&config).expect("keys");
        let agency = agency.map(|a| AgencyCode::parse(a).expect("agency code"));
        keys.mint(role, sub, agency.as_ref(), Some("Người kiểm thử"), Utc::now(), chrono::Duration::hours(1))
            .expect("token")
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub fn send(&self, builder: RequestBuilder) -> Answer {
        let res = builder.send().expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let answer = Answer { status, headers, body, text };
        answer.assert_known_problem_codes();
        answer
    }

    fn with_token(builder: RequestBuilder, token: Option<&str>) -> RequestBuilder {
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Self::with_token(self.request(Method::GET, path), token))
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.send(Self::with_token(self.request(Method::POST, path), token).json(body))
    }

    pub fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.send(Self::with_token(self.request(Method::PUT, path), token).json(body))
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Self::with_token(self.request(Method::DELETE, path), token))
    }

    /// Posts a raw body with a content type.
    pub fn post_raw(&self, path: &str, token: Option<&str>, content_type: &str, body: Vec<u8>) -> Answer {
        self.send(
            Self::with_token(self.request(Method::POST, path), token).header("content-type", content_type).body(body),
        )
    }
}

impl Drop for TestApp {
    /// Stops the server and its workers and waits for their threads, so that
    /// nothing is mid-query (over TLS, with OpenSSL) when the test process
    /// exits and runs its exit handlers.
    fn drop(&mut self) {
        self.shutdown.stop_and_join();
        if let Some(handle) = self.stop.take() {
            // The stop command is sent at once; the server thread then ends.
            drop(handle.stop(false));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
