//! A supplement request keeps its reply deadline: on the
//! pause, in the history row, on the dossier, in the change feed and the
//! portal's message; an overdue supplement is listable and may be stopped
//! with that cause — never silently.

use std::time::Duration;

use dvc_tests::fixtures::*;
use dvc_tests::portal_sim::PortalSim;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

const REPLY_BY: &str = "2026-03-13T17:00:00+07:00";

/// Received Monday 2 March 09:00, handed on, then a supplement is requested
/// on Wednesday 4 March 10:00 with a reply deadline of Friday 13 March 17:00.
fn awaiting_supplement(app: &TestApp, t: &Tokens) -> String {
    app.set_now("2026-03-02T09:00:00+07:00");
    let code = submit(app, t);
    act(app, &t.officer, &code, "receive", json!({})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    app.set_now("2026-03-04T10:00:00+07:00");
    act(
        app,
        &t.officer,
        &code,
        "request-supplement",
        json!({"items": [{"component_code": "TP02", "problem": "Bản sao chưa chứng thực"}], "reply_by": REPLY_BY}),
    )
    .expect(200);
    code
}

fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    app.get(&format!("/api/v1/dossiers?{query}"), Some(token)).expect(200).body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|d| d["code"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

both_backends! {
    fn the_reply_deadline_is_kept_on_the_pause_the_dossier_and_the_history(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_supplement(app, &t);
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200).body;
        assert_eq!(d["reply_by"], REPLY_BY);
        assert_eq!(d["pauses"][0]["reply_by"], REPLY_BY);
        assert_eq!(d["supplement_overdue"], false);
        let h = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.officer)).expect(200).body;
        let row = h["items"].as_array().and_then(|rows| rows.last()).cloned().unwrap_or(Value::Null);
        assert_eq!(row["action"], "request-supplement");
        assert_eq!(row["step_deadline"], REPLY_BY);
        let feed = app.get("/api/v1/changes?after=0", Some(&t.integrator)).expect(200).body;
        let last = feed["items"].as_array().and_then(|items| items.last()).cloned().unwrap_or(Value::Null);
        assert_eq!(last["event"]["reply_by"], REPLY_BY);
        assert_eq!(last["event"]["step"]["step_deadline"], REPLY_BY);
        // Once supplemented, no reply deadline is pending; the pause keeps it.
        app.set_now("2026-03-05T09:00:00+07:00");
        act(app, &t.citizen, &code, "supplement", json!({})).expect(200);
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200).body;
        assert_eq!(d["reply_by"], Value::Null);
        assert_eq!(d["pauses"][0]["reply_by"], REPLY_BY);
    }

    fn an_intake_supplement_request_keeps_its_deadline_too(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.officer, &code, "request-supplement",
            json!({"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": REPLY_BY})).expect(200);
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200).body;
        assert_eq!(d["reply_by"], REPLY_BY);
        assert_eq!(d["pauses"], json!([]), "the clock had not started: no pause");
    }

    fn an_overdue_supplement_is_listed_and_may_be_stopped_with_that_cause(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_supplement(app, &t);
        let within = awaiting_supplement(app, &t);
        // Before the deadline: within, not overdue; stopping for that cause is refused.
        app.set_now("2026-03-13T16:59:59+07:00");
        assert!(listed(app, &t.officer, "supplement_overdue=true").is_empty());
        assert_eq!(listed(app, &t.officer, "supplement_overdue=false").len(), 2);
        let stop = json!({"reason": "Không bổ sung đúng hạn", "cause": "supplement_overdue"});
        act(app, &t.approver, &code, "stop", stop.clone()).expect_problem(409, "transition_not_allowed");
        // After it: listed, flagged, still awaiting (nothing stopped it by itself).
        app.set_now("2026-03-16T08:00:00+07:00");
        act(app, &t.citizen, &within, "supplement", json!({})).expect(200);
        assert_eq!(listed(app, &t.officer, "supplement_overdue=true"), std::slice::from_ref(&code));
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body;
        assert_eq!(d["status"], "awaiting_supplement");
        assert_eq!(d["supplement_overdue"], true);
        let d = act(app, &t.approver, &code, "stop", stop).expect(200).body;
        assert_eq!(d["status"], "stopped");
        let h = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.officer)).expect(200).body;
        let note = h["items"].as_array().and_then(|rows| rows.last()).map(|r| r["note"].clone()).unwrap_or(Value::Null);
        assert_eq!(note, "supplement_overdue: Không bổ sung đúng hạn");
        assert!(listed(app, &t.officer, "supplement_overdue=true").is_empty());
    }
}

both_backends! {
    fn the_portal_is_sent_the_reply_deadline(backend: Backend) {
        let sim = PortalSim::start();
        let app = TestApp::spawn_with(backend, &["--national-portal-url", sim.url.as_str(), "--sync-poll-ms", "50"]);
        province(&app);
        let t = tokens(&app);
        awaiting_supplement(&app, &t);
        let got = sim.wait_for(Duration::from_secs(30), |r| r.iter().any(|m| m["QuaTrinhXuLy"][0]["BuocXuLy"] == "request-supplement"));
        let m = got.iter().find(|m| m["QuaTrinhXuLy"][0]["BuocXuLy"] == "request-supplement").cloned().unwrap_or(Value::Null);
        assert_eq!(m["HanBoSungHoSo"], "20260313170000");
        assert_eq!(m["QuaTrinhXuLy"][0]["HanXuLy"], "20260313170000");
    }
}
