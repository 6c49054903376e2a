//! Reads from a real PostgreSQL streaming replica (`--database-read-url`),
//! made for the test from the test server by `pg_basebackup -R`: lists and
//! reads go to it while it is close enough, a caller reads its own writes at
//! once, a replica that falls behind or stops leaves the reads to the
//! primary without a failed request, and one that comes back is used again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dvc_tests::fixtures::*;
use dvc_tests::replica::Replica;
use dvc_tests::{Backend, TestApp};
use serde_json::{json, Value};

const MAX_LAG_MS: u64 = 5000;

fn replica_state(app: &TestApp) -> Value {
    app.get("/health/ready", None).expect(200).body["read_replica"].clone()
}

fn wait_for_state(app: &TestApp, state: &str, within: Duration) {
    let until = Instant::now() + within;
    loop {
        let now = replica_state(app);
        if now["state"] == state {
            return;
        }
        assert!(Instant::now() < until, "the replica is not {state} after {within:?}: {now}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn listed(app: &TestApp, token: &str, code: &str) -> bool {
    let page = app.get("/api/v1/dossiers?limit=100", Some(token)).expect(200).body;
    page["items"].as_array().expect("items").iter().any(|d| d["code"] == code)
}

fn run() {
    let app = TestApp::spawn(Backend::Postgres);
    province(&app);
    let t = tokens(&app);
    let replica = Replica::start().unwrap_or_else(|e| panic!("a streaming replica of the test server: {e}"));
    let database = app.db.url().split('?').next().and_then(|u| u.rsplit('/').next()).expect("database name").to_owned();
    let read_url = replica.url(&database);
    let lag = MAX_LAG_MS.to_string();
    let server = app.second_instance_with(&["--database-read-url", &read_url, "--read-max-lag-ms", &lag]);
    wait_for_state(&server, "in_use", Duration::from_secs(30));

    // A caller reads its own write at once; the others read the replica.
    let first = submit(&server, &t);
    server.get(&format!("/api/v1/dossiers/{first}"), Some(&t.citizen)).expect(200);
    let until = Instant::now() + Duration::from_secs(10);
    while !listed(&server, &t.officer, &first) {
        assert!(Instant::now() < until, "the replica never showed {first}");
        std::thread::sleep(Duration::from_millis(50));
    }
    replica.execute("SELECT pg_wal_replay_pause()").expect("replay paused");
    let paused = Instant::now();
    let second = submit(&server, &t);
    let own = server.get(&format!("/api/v1/dossiers/{second}"), Some(&t.citizen)).expect(200).body;
    assert_eq!(own["code"], second.as_str(), "the writer reads its write from the primary");
    assert!(listed(&server, &t.citizen, &second), "and sees it in its list");
    let seen_by_officer = listed(&server, &t.officer, &second);
    assert!(paused.elapsed() < Duration::from_millis(MAX_LAG_MS), "the check ran within the allowed lag");
    assert!(!seen_by_officer, "another caller's list comes from the replica, which has not replayed the write");
    assert!(listed(&server, &t.officer, &first), "what the replica has replayed it shows");

    // Behind for longer than allowed: the primary answers, and says so.
    wait_for_state(&server, "behind", Duration::from_millis(MAX_LAG_MS + 5000));
    assert!(listed(&server, &t.officer, &second), "a replica too far behind is left for the primary");
    replica.execute("SELECT pg_wal_replay_resume()").expect("replay resumed");
    wait_for_state(&server, "in_use", Duration::from_secs(30));
    assert!(listed(&server, &t.officer, &second));

    // The change feed and the reports read the replica too: the feed's
    // places, given on the primary, show there once replayed, as a prefix.
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let feed = server.get("/api/v1/changes?after=0", Some(&t.integrator)).expect(200).body;
        let seqs: Vec<i64> =
            feed["items"].as_array().expect("items").iter().map(|c| c["seq"].as_i64().expect("seq")).collect();
        assert_eq!(seqs, (1..=i64::try_from(seqs.len()).expect("len")).collect::<Vec<_>>(), "no gaps: {feed}");
        if seqs.len() >= 2 {
            break;
        }
        assert!(Instant::now() < until, "the two submissions never showed in the feed: {feed}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let year = chrono::Utc::now().format("%Y");
    server.get(&format!("/api/v1/reports/summary?from={year}-01-01&to={year}-12-31"), Some(&t.viewer)).expect(200);
    server.get(&format!("/api/v1/reports/index-766?from={year}-01-01&to={year}-12-31"), Some(&t.viewer)).expect(200);

    // The replica stops in the middle of reading: not one read fails.
    let stop = AtomicBool::new(false);
    let answered = std::thread::scope(|s| {
        let readers: Vec<_> = [&t.officer, &t.viewer]
            .into_iter()
            .map(|token| {
                let (server, stop, first) = (&server, &stop, &first);
                s.spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        server.get("/api/v1/dossiers?limit=20", Some(token)).expect(200);
                        server.get(&format!("/api/v1/dossiers/{first}"), Some(token)).expect(200);
                        n += 2;
                    }
                    n
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        replica.stop().expect("replica stopped");
        wait_for_state(&server, "down", Duration::from_secs(10));
        // Writes and reads go on while it is down.
        let third = submit(&server, &t);
        act(&server, &t.officer, &third, "receive", json!({})).expect(200);
        assert!(listed(&server, &t.officer, &third));
        std::thread::sleep(Duration::from_millis(500));
        replica.start_again().expect("replica started again");
        wait_for_state(&server, "in_use", Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::SeqCst);
        readers.into_iter().map(|r| r.join().expect("reader")).sum::<usize>()
    });
    assert!(answered > 20, "the readers read throughout: {answered}");
}

mod reads_go_to_a_streaming_replica_and_leave_it_when_it_cannot_serve {
    use super::*;

    fn postgres_replica() {
        run();
    }
    dvc_tests::register!(postgres_replica, Some(dvc_tests::Backend::Postgres));
}
