//! A merged agency stops working and its successor takes over (docs/RULES.md §2):
//! from its merge date it receives no new dossier, its open dossiers are
//! read and handled by the successor's staff, its figures roll up under the
//! successor with its own history kept, and webhook filters naming it
//! follow the merger.

use std::time::Duration;

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::webhook_sim::WebhookSim;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

/// DEPT (which carries out the test procedure) merges into OTHER.
fn merge_dept_into_other(app: &TestApp) -> Value {
    let admin = app.token(Role::Admin, None);
    app.post(&format!("/api/v1/agencies/{DEPT}/merge"), Some(&admin), &json!({"successor": OTHER})).expect(200).body
}

fn received(app: &TestApp, agency: &str, token: &str) -> u64 {
    let q = format!("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&agency={agency}");
    app.get(&q, Some(token)).expect(200).body["total"]["counts"]["received"].as_u64().expect("received")
}

both_backends! {
    fn a_merged_agency_takes_no_new_dossier_and_names_its_successor(app: &TestApp) {
        province(app);
        app.set_now("2026-03-05T09:00:00+07:00");
        let t = tokens(app);
        let merged = merge_dept_into_other(app);
        let mut to_dept = submission("Nộp cho cơ quan đã sáp nhập");
        to_dept["agency"] = json!(DEPT);
        let refused = app.post("/api/v1/dossiers", Some(&t.citizen), &to_dept).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], "agency_merged", "{}", refused.text);
        assert_eq!(refused.body["errors"][0]["field"], "agency");
        assert_eq!(refused.body["successor"], OTHER);
        // The desk of the merged agency registers nothing either.
        let refused = app.post("/api/v1/dossiers", Some(&t.officer), &submission("Tại một cửa")).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], "agency_merged");
        let push = json!({"external_code": "G22-M1", "procedure": PROCEDURE, "agency": DEPT, "applicant": {"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An"}, "summary": "Từ Cổng DVCQG", "submitted_at": "2026-03-05T08:15:00+07:00"});
        let refused = app.post("/api/v1/integrations/national-portal/dossiers", Some(&t.integrator), &push).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["successor"], OTHER);
        assert_eq!(app.get("/api/v1/dossiers", Some(&t.viewer)).expect(200).body["items"], json!([]), "nothing was filed");
        // Without a named agency the procedure goes to the agency that took it over.
        let d = app.post("/api/v1/dossiers", Some(&t.citizen), &submission("Nộp trực tuyến")).expect(201).body;
        assert_eq!(d["receiving_agency"], OTHER);
        assert!(d["code"].as_str().is_some_and(|c| c.starts_with(OTHER)), "{}", d["code"]);
        assert_eq!(merged["merged_at"], "2026-03-05T09:00:00+07:00");
    }

    fn the_successors_staff_read_and_handle_the_merged_agencys_open_dossiers(app: &TestApp) {
        province(app);
        app.set_now("2026-03-05T09:00:00+07:00");
        let t = tokens(app);
        let code = submit(app, &t);
        app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.other_officer)).expect_problem(404, "not_found");
        merge_dept_into_other(app);
        app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.other_officer)).expect(200);
        let listed = app.get("/api/v1/dossiers", Some(&t.other_officer)).expect(200).body;
        assert_eq!(listed["items"][0]["code"], code.as_str());
        act(app, &t.other_officer, &code, "receive", json!({})).expect(200);
        act(app, &t.other_officer, &code, "hand-off", json!({"to_agency": OTHER})).expect(200);
        // Nothing more is handed to the merged agency.
        let refused = act(app, &t.other_officer, &code, "hand-off", json!({"to_agency": DEPT})).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], "agency_merged");
        let resolved = act(app, &t.other_approver, &code, "resolve", json!({"outcome": "granted"})).expect(200).body;
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(resolved["receiving_agency"], DEPT, "the dossier keeps its receiving agency");
    }

    fn a_merged_agencys_figures_roll_up_under_its_successor_and_keep_their_own_history(app: &TestApp) {
        province(app);
        app.set_now("2026-03-05T09:00:00+07:00");
        let t = tokens(app);
        let code = submit(app, &t);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        assert_eq!(received(app, OTHER, &t.viewer), 0);
        merge_dept_into_other(app);
        assert_eq!(received(app, OTHER, &t.viewer), 1, "rolled up under the successor");
        assert_eq!(received(app, DEPT, &t.viewer), 1, "the merged agency's own history");
        assert_eq!(received(app, PROVINCE, &t.viewer), 1, "counted once above");
        // The successor's staff read the merged agency's figures.
        assert_eq!(received(app, DEPT, &t.other_officer), 1);
        let grouped = app.get("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&group_by=agency", Some(&t.viewer)).expect(200).body;
        let group = |key: &str| grouped["groups"].as_array().expect("groups").iter().find(|g| g["key"] == key).map(|g| g["counts"]["received"].clone());
        assert_eq!(group(OTHER), Some(json!(1)));
        assert_eq!(group(DEPT), Some(json!(1)));
    }
}

both_backends! {
    fn a_webhook_filter_naming_a_merged_agency_follows_the_merger(backend: Backend) {
        let sim = WebhookSim::start();
        let app = TestApp::spawn_with(backend, &["--sync-max-backoff-secs", "1", "--sync-poll-ms", "50"]);
        province(&app);
        publish_procedure(&app, "1.000656", OTHER, 5);
        let t = tokens(&app);
        app.post("/api/v1/webhooks", Some(&t.integrator), &json!({"url": sim.url, "secret": "a-long-shared-secret-0123", "statuses": ["received"], "agencies": [DEPT]})).expect(201);
        merge_dept_into_other(&app);
        let mut at_other = submission("Nộp cho cơ quan tiếp nhận");
        at_other["procedure"] = json!("1.000656");
        at_other["agency"] = json!(OTHER);
        let code = app.post("/api/v1/dossiers", Some(&t.citizen), &at_other).expect(201).body["code"].as_str().expect("code").to_owned();
        act(&app, &t.other_officer, &code, "receive", json!({})).expect(200);
        let got = sim.wait_for(1, Duration::from_secs(15));
        let body: Value = serde_json::from_slice(&got[0].body).expect("json");
        assert_eq!(body["dossier_code"], code.as_str());
        assert_eq!(body["status"], "received");
    }
}
