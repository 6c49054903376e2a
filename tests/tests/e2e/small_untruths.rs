//! Small untruths: instants past the year 9999 are
//! refused rather than written as `+10000-…`, and a webhook filter that
//! cannot be read stops that subscription's deliveries instead of widening
//! them to every agency.

use std::time::{Duration, Instant};

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::webhook_sim::WebhookSim;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

const SECRET: &str = "a-long-shared-secret-0123";

fn error_fields(a: &dvc_tests::Answer) -> Vec<String> {
    a.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

both_backends! {
    fn instants_past_the_year_9999_are_refused_not_written(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // 23:00 at UTC−7 on 31 Dec 9999 is 10000-01-01 in UTC and in Vietnam.
        let preview = |start: &str| json!({"start": start, "amount": 1, "unit": "working_days"});
        let a = app.post("/api/v1/deadlines/preview", Some(&t.officer), &preview("9999-12-31T23:00:00-07:00")).expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&a), ["start"]);
        assert_eq!(a.body["errors"][0]["code"], "out_of_range");
        // A start that is itself writable but whose due instant would not be.
        let a = app.post("/api/v1/deadlines/preview", Some(&t.officer), &preview("9999-12-31T16:00:00+07:00")).expect_problem(422, "validation_failed");
        assert_eq!(a.body["errors"][0]["code"], "out_of_range");
        assert!(!a.text.contains("+10000"), "{}", a.text);
        // In a query string too.
        let a = app.get("/api/v1/dossiers?received_from=9999-12-31T20:00:00Z", Some(&t.viewer)).expect_problem(422, "validation_failed");
        assert_eq!(error_fields(&a), ["query.received_from"]);
        // And nothing was stored: an apology dated past 9999 is refused.
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        act(app, &t.approver, &code, "apologize", json!({"reason": "Quá tải", "new_date": "9999-12-31T23:30:00-07:00"}))
            .expect_problem(422, "validation_failed");
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body;
        assert_eq!(d["promised_at"], Value::Null);
    }
}

both_backends! {
    fn an_unreadable_webhook_filter_stops_delivery_instead_of_widening_it(backend: Backend) {
        let sim = WebhookSim::start();
        let app = TestApp::spawn_with(backend, &["--sync-max-backoff-secs", "1", "--sync-poll-ms", "50"]);
        province(&app);
        let t = tokens(&app);
        let admin = app.token(Role::Admin, None);
        // Subscribed to OTHER's dossiers only; the stored filter is then spoiled.
        let spoiled = app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": sim.url, "secret": SECRET, "agencies": [OTHER]})).expect(201).body;
        let spoiled = spoiled["id"].as_str().unwrap_or_default().to_owned();
        let mut conn = app.db.connect();
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("UPDATE webhooks SET agencies = '[\"000.00.07' WHERE id = '{spoiled}'")),
            &mut conn,
        )
        .expect("spoil");
        // A healthy subscription to DEPT shows that deliveries are being made.
        app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": sim.url, "secret": SECRET, "agencies": [DEPT], "statuses": ["submitted"]})).expect(201);
        let code = submit(&app, &t);
        let started = Instant::now();
        while sim.received().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(30), "the healthy subscription got nothing");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(1000));
        let got = sim.received();
        assert_eq!(got.len(), 1, "only the healthy subscription delivers DEPT's dossier");
        assert!(String::from_utf8_lossy(&got[0].body).contains(&code));
        let log = app.get(&format!("/api/v1/webhooks/{spoiled}/deliveries"), Some(&admin)).expect(200).body;
        assert_eq!(log["items"], json!([]));
        let hooks = app.get("/api/v1/webhooks", Some(&t.integrator)).expect(200).body;
        let hook = hooks["items"].as_array().and_then(|h| h.iter().find(|h| h["id"] == spoiled.as_str()).cloned()).unwrap_or(Value::Null);
        assert!(hook["filter_error"].as_str().is_some_and(|e| e.contains("agency filter")), "{hook}");
    }
}
