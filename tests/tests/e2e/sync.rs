//! Synchronisation with the national portal: the outbox never loses a
//! change, delivery keeps each dossier's order, several processes share the
//! work, and the change feed never skips a late commit.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use dvc_tests::fixtures::*;
use dvc_tests::portal_sim::PortalSim;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

fn with_portal(backend: dvc_tests::Backend, sim: &PortalSim) -> TestApp {
    TestApp::spawn_with(backend, &sync_args(sim))
}

fn sync_args(sim: &PortalSim) -> Vec<&str> {
    vec![
        "--national-portal-url",
        sim.url.as_str(),
        "--sync-max-backoff-secs",
        "1",
        "--sync-poll-ms",
        "50",
        "--sync-batch",
        "200",
    ]
}

/// Eight changes: submit, receive, two hand-offs, supplement request and reply, resolve, return.
fn walk(app: &TestApp, t: &Tokens) -> String {
    let code = submit(app, t);
    act(app, &t.officer, &code, "receive", json!({})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": UNIT})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    act(
        app,
        &t.officer,
        &code,
        "request-supplement",
        json!({"items": [{"component_code": "TP01", "problem": "Thiếu"}], "reply_by": "2099-01-01T00:00:00+07:00"}),
    )
    .expect(200);
    act(app, &t.citizen, &code, "supplement", json!({})).expect(200);
    act(app, &t.approver, &code, "resolve", json!({"outcome": "granted"})).expect(200);
    act(app, &t.officer, &code, "return", json!({"channel": "in_person"})).expect(200);
    code
}

/// Per dossier, the change ids in the order they first arrived.
fn arrivals(received: &[Value]) -> BTreeMap<String, Vec<i64>> {
    let mut seen = BTreeSet::new();
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for m in received {
        let seq = m["MaThayDoi"].as_i64().expect("MaThayDoi");
        if seen.insert(seq) {
            out.entry(m["MaHoSo"].as_str().expect("MaHoSo").to_owned()).or_default().push(seq);
        }
    }
    out
}

fn unique(received: &[Value]) -> usize {
    received.iter().filter_map(|m| m["MaThayDoi"].as_i64()).collect::<BTreeSet<_>>().len()
}

both_backends! {
    fn a_thousand_changes_survive_a_portal_outage_in_order(backend: Backend) {
        let sim = PortalSim::start();
        sim.set_up(false);
        let app = with_portal(backend, &sim);
        province(&app);
        let t = tokens(&app);
        let codes: Vec<String> = (0..125).map(|_| walk(&app, &t)).collect();
        // While the portal is down the first dossier shows a failing sync.
        let started = std::time::Instant::now();
        loop {
            let d = app.get(&format!("/api/v1/dossiers/{}", codes[0]), Some(&t.viewer)).expect(200).body;
            if d["sync"]["state"] == "failing" {
                assert!(d["sync"]["last_error"].as_str().is_some_and(|e| e.contains("503")), "{}", d["sync"]);
                assert_eq!(d["sync"]["pending_changes"], 8);
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "never failing: {}", d["sync"]);
            std::thread::sleep(Duration::from_millis(100));
        }
        let failing = app.get("/api/v1/sync/failing", Some(&app.token(dvc_domain::auth::Role::Admin, None))).expect(200).body;
        assert!(!failing["items"].as_array().expect("items").is_empty());
        assert!(sim.received().is_empty());
        sim.set_up(true);
        let got = sim.wait_for(Duration::from_secs(120), |r| unique(r) >= 1000);
        assert_eq!(unique(&got), 1000, "every change delivered, none missing");
        let all: BTreeSet<i64> = got.iter().filter_map(|m| m["MaThayDoi"].as_i64()).collect();
        assert_eq!(all, (1..=1000).collect::<BTreeSet<i64>>());
        let per_dossier = arrivals(&got);
        assert_eq!(per_dossier.len(), 125);
        for (code, seqs) in &per_dossier {
            assert_eq!(seqs.len(), 8, "{code}");
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{code} arrived out of order: {seqs:?}");
        }
        let last = got.iter().rev().find(|m| m["MaHoSo"] == codes[0].as_str()).expect("messages of the first dossier");
        assert_eq!(last["TrangThaiHoSo"], 10);
        let d = app.get(&format!("/api/v1/dossiers/{}", codes[0]), Some(&t.viewer)).expect(200).body;
        assert_eq!(d["sync"]["state"], "in_sync");
    }

    fn two_processes_deliver_each_change_once(backend: Backend) {
        let sim = PortalSim::start();
        let first = with_portal(backend, &sim);
        let second = first.second_instance_with(&sync_args(&sim));
        province(&first);
        let t = tokens(&first);
        for i in 0..40 {
            let server = if i % 2 == 0 { &first } else { &second };
            walk(server, &t);
        }
        let got = sim.wait_for(Duration::from_secs(60), |r| unique(r) >= 320);
        std::thread::sleep(Duration::from_millis(500));
        let got_after = sim.received();
        assert_eq!(unique(&got), 320);
        assert_eq!(got_after.len(), 320, "each change delivered exactly once in the normal case");
        for seqs in arrivals(&got_after).values() {
            assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        }
    }

}

both_backends! {
    fn the_feed_never_skips_a_late_commit(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let second = app.second_instance();
        let done = std::sync::atomic::AtomicBool::new(false);
        let (made, seen) = std::thread::scope(|s| {
            let writers: Vec<_> = (0..4)
                .map(|w| {
                    let server = if w % 2 == 0 { app } else { &second };
                    let t = &t;
                    s.spawn(move || {
                        let mut n = 0;
                        for i in 0..10 {
                            // Slow transactions (a submission with a large document) between fast ones.
                            let mut body = submission("Chậm");
                            if (i + w) % 3 == 0 {
                                body["documents"][0]["content_base64"] = json!(base64_of(&vec![b'x'; 400_000]));
                            }
                            let code = server.post("/api/v1/dossiers", Some(&t.citizen), &body).expect(201).body["code"].as_str().expect("code").to_owned();
                            act(server, &t.officer, &code, "receive", json!({})).expect(200);
                            n += 2;
                        }
                        n
                    })
                })
                .collect();
            let reader = s.spawn(|| {
                let mut after = 0;
                let mut seen = Vec::new();
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let page = app.get(&format!("/api/v1/changes?after={after}&limit=7"), Some(&t.integrator)).expect(200).body;
                    for c in page["items"].as_array().expect("items") {
                        seen.push(c["seq"].as_i64().expect("seq"));
                    }
                    after = page["next_after"].as_i64().expect("next_after");
                    if finished && page["items"].as_array().is_some_and(Vec::is_empty) {
                        return seen;
                    }
                }
            });
            let made: i64 = writers.into_iter().map(|w| w.join().expect("writer")).sum();
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            (made, reader.join().expect("reader"))
        });
        assert_eq!(made, 80);
        assert_eq!(seen, (1..=80).collect::<Vec<i64>>(), "every change once, in order, no gaps");
    }

    fn the_feed_is_for_integrators_and_pages_by_cursor(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        let page = app.get("/api/v1/changes?after=0&limit=1", Some(&t.integrator)).expect(200).body;
        assert_eq!(page["items"][0]["seq"], 1);
        assert_eq!(page["items"][0]["event"]["status"], "submitted");
        assert_eq!(page["next_after"], 1);
        let next = app.get("/api/v1/changes?after=1", Some(&t.integrator)).expect(200).body;
        assert_eq!(next["items"][0]["event"]["status_code"], 2);
        assert_eq!(next["items"][0]["event"]["step"]["actor_id"], "officer.dept");
        app.get("/api/v1/changes", Some(&t.citizen)).expect_problem(403, "forbidden");
        app.get("/api/v1/changes?after=-1", Some(&t.integrator)).expect_problem(422, "validation_failed");
        app.get("/api/v1/changes?limit=0", Some(&t.integrator)).expect_problem(422, "validation_failed");
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// On PostgreSQL writers no longer wait for each other: a change that
/// commits after a later-written one takes the next place in the feed when
/// it commits, and a reader in between sees only what has committed. (SQLite
/// has one writer at a time, so there no change can commit while another is
/// open.)
mod a_change_that_commits_late_takes_the_next_place {
    use super::*;
    use diesel::RunQueryDsl;

    fn run(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let first = submit(app, &t);
        let second = submit(app, &t);
        let page = app.get("/api/v1/changes?after=0", Some(&t.integrator)).expect(200).body;
        let last = page["next_after"].as_i64().expect("next_after");
        assert_eq!(last, 2);

        // A transaction writes a change of the first dossier and stays open.
        let mut open = app.db.connect();
        diesel::sql_query("BEGIN").execute(&mut open).expect("begin");
        let written = diesel::sql_query(format!(
            "INSERT INTO changes (dossier_code, action, status, agency_code, payload, created_at, attempts, next_attempt_at) \
             SELECT dossier_code, action, status, agency_code, payload, created_at, 0, next_attempt_at FROM changes \
             WHERE dossier_code = '{first}'"
        ))
        .execute(&mut open)
        .expect("a change written, not committed");
        assert_eq!(written, 1);

        // Another change, written after it, commits first and takes the next place.
        act(app, &t.officer, &second, "receive", json!({})).expect(200);
        let page = app.get(&format!("/api/v1/changes?after={last}"), Some(&t.integrator)).expect(200).body;
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "only what has committed: {page}");
        assert_eq!(items[0]["seq"], last + 1);
        assert_eq!(items[0]["event"]["code"], second.as_str());
        assert_eq!(items[0]["event"]["status"], "received");

        // The open one commits: it takes the place after, and nothing is skipped.
        diesel::sql_query("COMMIT").execute(&mut open).expect("commit");
        let page = app.get(&format!("/api/v1/changes?after={}", last + 1), Some(&t.integrator)).expect(200).body;
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{page}");
        assert_eq!(items[0]["seq"], last + 2);
        assert_eq!(items[0]["event"]["code"], first.as_str());
        let all = app.get("/api/v1/changes?after=0", Some(&t.integrator)).expect(200).body;
        let seqs: Vec<i64> =
            all["items"].as_array().expect("items").iter().map(|c| c["seq"].as_i64().expect("seq")).collect();
        assert_eq!(seqs, (1..=last + 2).collect::<Vec<_>>(), "no gaps, no repeats");
    }

    fn postgres_only() {
        run(&TestApp::spawn(dvc_tests::Backend::Postgres));
    }
    dvc_tests::register!(postgres_only, Some(dvc_tests::Backend::Postgres));
}
