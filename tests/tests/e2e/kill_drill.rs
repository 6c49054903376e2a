//! Fault drill: a real server process (`dvc serve`, run by this test
//! binary, see dvc_tests::harness) is killed (SIGKILL) while it
//! delivers to the national portal, and restarted. Every change is still
//! delivered, in order per dossier; repeats are harmless (the portal keys
//! on MaThayDoi); every acknowledged dossier exists once.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dvc_tests::fixtures::*;
use dvc_tests::portal_sim::PortalSim;
use dvc_tests::{both_backends, Backend, TestApp, TestDb, TEST_SECRET};
use serde_json::json;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn serve(db_url: &str, port: u16, portal: &str) -> Child {
    // This test binary, as `dvc serve` (see dvc_tests::harness).
    let child = Command::new(std::env::current_exe().expect("the test binary"))
        .env(dvc_tests::harness::SERVE_ENV, "1")
        .env("DATABASE_URL", db_url)
        .env("DVC_BIND", format!("127.0.0.1:{port}"))
        .env("DVC_JWT_SECRET", TEST_SECRET)
        .env("DVC_DEMO", "false")
        .env("DVC_WORKERS", "2")
        .env("DVC_NATIONAL_PORTAL_URL", portal)
        .env("DVC_SYNC_MAX_BACKOFF_SECS", "1")
        .env("DVC_SYNC_POLL_MS", "50")
        .env("DVC_SYNC_LEASE_SECS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dvc starts");
    let ready = format!("http://127.0.0.1:{port}/health/ready");
    let start = Instant::now();
    while reqwest::blocking::get(&ready).map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(start.elapsed() < Duration::from_secs(30), "dvc did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn kill(mut child: Child) {
    // SIGKILL: no shutdown hook runs.
    child.kill().expect("killed");
    child.wait().expect("reaped");
}

/// Five changes: submit, receive, hand-off, resolve, return.
fn walk(app: &TestApp, t: &Tokens) -> String {
    let code = submit(app, t);
    act(app, &t.officer, &code, "receive", json!({})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    act(app, &t.approver, &code, "resolve", json!({"outcome": "granted"})).expect(200);
    act(app, &t.officer, &code, "return", json!({"channel": "in_person"})).expect(200);
    code
}

fn drill(backend: Backend) {
    let sim = PortalSim::start();
    sim.set_up(false);
    let db = TestDb::create(backend);
    let url = db.url().to_owned();
    let port = free_port();
    let first = serve(&url, port, &sim.url);
    let app = TestApp::attach(format!("http://127.0.0.1:{port}"), db);
    province(&app);
    let t = tokens(&app);
    let mut codes: Vec<String> = (0..100).map(|_| walk(&app, &t)).collect();
    // The portal comes back; while the first process is sending, it dies.
    sim.set_up(true);
    sim.wait_for(Duration::from_secs(30), |r| r.len() >= 50);
    kill(first);
    let delivered_before_kill = sim.received().len();
    assert!(delivered_before_kill < 500, "the kill came in the middle ({delivered_before_kill} of 500 delivered)");
    let second = serve(&url, port, &sim.url);
    codes.extend((0..100).map(|_| walk(&app, &t)));
    let got = sim.wait_for(Duration::from_secs(180), |r| {
        r.iter().filter_map(|m| m["MaThayDoi"].as_i64()).collect::<BTreeSet<_>>().len() >= 1000
    });
    kill(second);
    let unique: BTreeSet<i64> = got.iter().filter_map(|m| m["MaThayDoi"].as_i64()).collect();
    assert_eq!(unique, (1..=1000).collect::<BTreeSet<i64>>(), "every change delivered, none missing");
    let mut first_seen = BTreeSet::new();
    let mut per_dossier: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for m in &got {
        let seq = m["MaThayDoi"].as_i64().expect("seq");
        if first_seen.insert(seq) {
            per_dossier.entry(m["MaHoSo"].as_str().expect("code").to_owned()).or_default().push(seq);
        }
    }
    for (code, seqs) in &per_dossier {
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{code} out of order: {seqs:?}");
    }
    let acknowledged: BTreeSet<String> = codes.into_iter().collect();
    assert_eq!(acknowledged.len(), 200, "no code given twice");
    assert_eq!(
        per_dossier.keys().cloned().collect::<BTreeSet<String>>(),
        acknowledged,
        "every acknowledged dossier exists"
    );
    println!(
        "kill drill ({backend:?}): 1000 changes, {} messages ({} repeats), {delivered_before_kill} delivered before SIGKILL, all in order per dossier",
        got.len(),
        got.len() - 1000
    );
}

both_backends! {
    fn sigkill_during_delivery_loses_nothing(backend: Backend) {
        drill(backend);
    }
}
