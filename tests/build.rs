//! Decides, at every build, whether the PostgreSQL suite is compiled in.
//!
//! The suite needs a server at `TEST_DATABASE_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres). When none answers, the
//! PostgreSQL tests are left out of the build and cargo prints a warning
//! saying so — they are not run and not counted — except under `CI=true`,
//! where a missing server fails the build.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(dvc_postgres)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CI");
    // A path that never exists: cargo then runs this script at every build,
    // so the probe is never stale.
    println!("cargo::rerun-if-changed=.postgres-probe-always-rerun");
    let url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    match probe(&url) {
        Ok(()) => println!("cargo::rustc-cfg=dvc_postgres"),
        Err(why) if ci => panic!("CI=true requires the PostgreSQL suite, but {why}"),
        Err(why) => println!(
            "cargo::warning=PostgreSQL suite SKIPPED (not compiled, not run): {why}. Start PostgreSQL or set TEST_DATABASE_URL."
        ),
    }
}

/// host:port of a postgres:// URL, and whether something listens there.
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
