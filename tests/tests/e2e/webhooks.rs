//! Webhooks: filtered, signed deliveries, retried until acknowledged, with
//! a delivery log and redelivery.

use std::time::Duration;

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::webhook_sim::WebhookSim;
use dvc_tests::{both_backends, TestApp};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "a-long-shared-secret-0123";

fn expected_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn app_with_fast_retries(backend: dvc_tests::Backend) -> TestApp {
    TestApp::spawn_with(backend, &["--sync-max-backoff-secs", "1", "--sync-poll-ms", "50"])
}

both_backends! {
    fn deliveries_are_filtered_signed_and_retried(backend: Backend) {
        let sim = WebhookSim::start();
        let app = app_with_fast_retries(backend);
        province(&app);
        let t = tokens(&app);
        let hook = app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": sim.url, "secret": SECRET, "statuses": ["received"], "agencies": [PROVINCE]})).expect(201).body;
        let id = hook["id"].as_str().expect("id").to_owned();
        assert!(hook.get("secret").is_none(), "the secret is never echoed");
        sim.fail_next(2);
        let code = submit(&app, &t);
        act(&app, &t.officer, &code, "receive", json!({})).expect(200);
        let got = sim.wait_for(1, Duration::from_secs(30));
        assert_eq!(got.len(), 1, "only the change to received matches");
        let d = &got[0];
        assert_eq!(d.signature, expected_signature(&d.body));
        let body: Value = serde_json::from_slice(&d.body).expect("json");
        assert_eq!(body["dossier_code"], code.as_str());
        assert_eq!(body["status"], "received");
        assert_eq!(body["event"]["status_code"], 2);
        assert_eq!(sim.attempts(), 3, "two failures, then delivered");
        let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&t.integrator)).expect(200).body;
        let entry = &log["items"][0];
        assert_eq!(entry["attempts"], 3);
        assert_eq!(entry["last_status"], 204);
        assert!(entry["delivered_at"].is_string());
        let delivery = entry["id"].as_str().expect("delivery id").to_owned();
        app.post(&format!("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver"), Some(&t.integrator), &json!({})).expect(200);
        let again = sim.wait_for(2, Duration::from_secs(30));
        assert_eq!(again[1].delivery_id, delivery);
        assert_eq!(again[1].body, got[0].body);
    }
}

both_backends! {
    fn subscriptions_belong_to_their_integrator(app: &TestApp) {
        let t = tokens(app);
        let other = app.token_for(Role::Integrator, "lgsp-2", None);
        let id = app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": "http://127.0.0.1:9/hook", "secret": SECRET})).expect(201).body["id"]
            .as_str().expect("id").to_owned();
        app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&other)).expect_problem(404, "not_found");
        app.delete(&format!("/api/v1/webhooks/{id}"), Some(&other)).expect_problem(404, "not_found");
        assert_eq!(app.get("/api/v1/webhooks", Some(&other)).expect(200).body["items"], json!([]));
        app.get("/api/v1/webhooks", Some(&t.citizen)).expect_problem(403, "forbidden");
        app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": "ftp://x", "secret": SECRET})).expect_problem(422, "validation_failed");
        app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": "http://x/h", "secret": "short"})).expect_problem(422, "validation_failed");
        app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": "http://x/h", "secret": SECRET, "statuses": ["lost"]})).expect_problem(422, "validation_failed");
        let admin = app.token(Role::Admin, None);
        assert_eq!(app.get("/api/v1/webhooks", Some(&admin)).expect(200).body["items"].as_array().map(Vec::len), Some(1));
        app.delete(&format!("/api/v1/webhooks/{id}"), Some(&t.integrator)).expect(204);
        assert_eq!(app.get("/api/v1/webhooks", Some(&t.integrator)).expect(200).body["items"], json!([]));
    }
}
