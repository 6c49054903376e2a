//! The runner of the end-to-end tests: one test binary (`tests/tests/e2e`)
//! whose tests register themselves ([`both_backends!`](crate::both_backends),
//! [`e2e_test!`](crate::e2e_test)) and run under libtest-mimic, with
//! libtest's command line (`cargo test -- name_filter`, `--test-threads`,
//! `--list`) and output.
//!
//! Whether the PostgreSQL half runs is decided here, when the tests run:
//! a server at `TEST_DATABASE_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres) is asked once. When none
//! answers, the PostgreSQL tests are reported as ignored — not run, not
//! counted as passed — and the runner says so before and after; under
//! `CI=true` a missing server fails the run instead.
//!
//! The binary is also the server of the tests that need a separate process
//! (killed by SIGKILL, restarted): with [`SERVE_ENV`] set it runs `dvc serve`
//! from the environment instead of the tests.

use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use libtest_mimic::{Arguments, Trial};

use crate::db::admin_url;
use crate::Backend;

/// One registered test.
pub struct E2eTest {
    /// `module_path!()` where it was declared (`e2e::agencies::one_test`).
    pub module: &'static str,
    /// The last part of its name (`sqlite`, `postgres`, or the function's).
    pub name: &'static str,
    /// The backend it runs on, if it needs one from the harness.
    pub backend: Option<Backend>,
    pub run: fn(),
}

inventory::collect!(E2eTest);

impl E2eTest {
    /// The name libtest would give it: the module path without the crate.
    pub fn full_name(&self) -> String {
        let module = self.module.split_once("::").map_or("", |(_, rest)| rest);
        if module.is_empty() {
            self.name.to_owned()
        } else {
            format!("{module}::{}", self.name)
        }
    }
}

/// The name a test on a streaming replica registers under (with the
/// PostgreSQL backend): it runs only where the server takes replication
/// connections, and is required under `CI=true`.
pub const REPLICA_TEST: &str = "postgres_replica";

/// Set (to anything) in a child process: it runs `dvc serve` instead.
pub const SERVE_ENV: &str = "DVC_E2E_SERVE";

/// The end-to-end binary's `main`.
pub fn main() -> ExitCode {
    if std::env::var_os(SERVE_ENV).is_some() {
        return serve();
    }
    let (args, filters) = arguments();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let postgres = probe(&admin_url());
    if let Err(why) = &postgres {
        if ci {
            eprintln!("CI=true requires the PostgreSQL suite, but {why}");
            return ExitCode::FAILURE;
        }
        eprintln!("PostgreSQL suite SKIPPED (reported as ignored, not run): {why}. Start PostgreSQL or set TEST_DATABASE_URL.");
    }
    let mut tests: Vec<&'static E2eTest> = inventory::iter::<E2eTest>.into_iter().collect();
    tests.sort_by_cached_key(|t| t.full_name());
    tests.retain(|t| filters.is_empty() || filters.iter().any(|f| matches(&t.full_name(), f, args.exact)));
    let skipped = postgres.is_err();
    // The tests of a streaming replica make one from the PostgreSQL server,
    // which must take replication connections.
    let replica = if !tests.iter().any(|t| t.name == REPLICA_TEST) {
        Ok(())
    } else if skipped {
        Err("the PostgreSQL suite is skipped".to_owned())
    } else {
        crate::replica::probe()
    };
    if let (Err(why), false) = (&replica, skipped) {
        if ci {
            eprintln!("CI=true requires the streaming replica tests, but {why}");
            return ExitCode::FAILURE;
        }
        eprintln!("Streaming replica tests SKIPPED (reported as ignored, not run): {why}.");
    }
    let trials = tests
        .into_iter()
        .map(|t| {
            let run = t.run;
            Trial::test(t.full_name(), move || {
                run();
                Ok(())
            })
            .with_ignored_flag(
                (skipped && t.backend == Some(Backend::Postgres)) || (t.name == REPLICA_TEST && replica.is_err()),
            )
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if let Err(why) = &postgres {
        eprintln!("PostgreSQL suite SKIPPED: its tests were not run ({why}).");
    } else if let Err(why) = &replica {
        eprintln!("Streaming replica tests SKIPPED: not run ({why}).");
    }
    conclusion.exit_code()
}

/// libtest's arguments; like libtest (not libtest-mimic) it takes several
/// name filters (`cargo test -- agencies:: payments::`), any of which selects
/// a test. They are taken out here and applied before the run.
fn arguments() -> (Arguments, Vec<String>) {
    /// Options of libtest that take a value in the next argument.
    const WITH_VALUE: &[&str] = &["--test-threads", "--logfile", "--skip", "--color", "--format", "-Z"];
    let mut rest = Vec::new();
    let mut filters = Vec::new();
    let mut raw = std::env::args();
    rest.extend(raw.next());
    while let Some(arg) = raw.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            rest.push(arg);
            rest.extend(raw.next());
        } else if arg.starts_with('-') {
            rest.push(arg);
        } else {
            filters.push(arg);
        }
    }
    (Arguments::from_iter(rest), filters)
}

fn matches(name: &str, filter: &str, exact: bool) -> bool {
    if exact {
        name == filter
    } else {
        name.contains(filter)
    }
}

/// `dvc serve`, configured by the environment (DATABASE_URL, DVC_BIND, …).
fn serve() -> ExitCode {
    let cli = dvc_api::config::Cli::parse_from(["dvc", "serve"]);
    match actix_web::rt::System::new().block_on(dvc_api::server::run(cli.config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dvc: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether something listens at the host and port of a postgres:// URL.
fn probe(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or_else(|| format!("TEST_DATABASE_URL {url:?} is not a postgres:// URL"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    let addrs: Vec<_> = host_port.to_socket_addrs().map_err(|e| format!("cannot resolve {host_port}: {e}"))?.collect();
    for addr in addrs {
        if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok() {
            return Ok(());
        }
    }
    Err(format!("no PostgreSQL server answers at {host_port}"))
}
