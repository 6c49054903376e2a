//! The dossier lifecycle end to end, with the server's clock set so that
//! every instant can be checked exactly.

use dvc_tests::both_backends;
use dvc_tests::fixtures::*;
use serde_json::{json, Value};

fn statuses(history: &Value) -> Vec<(String, Option<String>, String)> {
    history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default().to_owned(),
                r["from_status"].as_str().map(str::to_owned),
                r["to_status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn row(action: &str, from: Option<&str>, to: &str) -> (String, Option<String>, String) {
    (action.to_owned(), from.map(str::to_owned), to.to_owned())
}

both_backends! {
    fn an_online_dossier_walks_from_submission_to_return(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T08:00:00+07:00");
        let code = submit(app, &t);
        assert_eq!(code, "000.00.05.H56-260302-0001");
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200);
        assert_eq!(d.body["status"], "submitted");
        assert_eq!(d.body["status_code"], 1);
        assert_eq!(d.body["channel"], "online");
        assert_eq!(d.body["procedure"], json!({"code": PROCEDURE, "version": 1}));
        assert_eq!(d.body["applicant"]["phone"], "0912345678");
        assert_eq!(d.body["documents"].as_array().map(Vec::len), Some(2));
        assert!(d.body["due_at"].is_null());
        assert!(d.body["timeliness"].is_null());
        assert_eq!(d.header("etag"), Some("\"1\""));

        app.set_now("2026-03-02T09:00:00+07:00");
        let intake = act(app, &t.officer, &code, "request-supplement", json!({"items": [{"component_code": "TP02", "problem": "Ảnh mờ"}], "reply_by": "2026-03-06T17:00:00+07:00"})).expect(200).body;
        assert_eq!(intake["status"], "awaiting_supplement");
        assert_eq!(intake["pauses"], json!([]), "the clock has not started: no pause");
        app.set_now("2026-03-02T10:00:00+07:00");
        let back = act(app, &t.citizen, &code, "supplement", json!({"documents": [{"component_code": "TP02", "name": "cccd-ro.jpg", "media_type": "image/jpeg", "content_base64": "/9j/4AAQSkZJRgABAgA="}]})).expect(200).body;
        assert_eq!(back["status"], "submitted");
        assert_eq!(back["documents"].as_array().map(Vec::len), Some(3));

        app.set_now("2026-03-02T14:00:00+07:00");
        let received = act(app, &t.officer, &code, "receive", json!({})).expect(200).body;
        assert_eq!(received["received_at"], "2026-03-02T14:00:00+07:00");
        assert_eq!(received["due_at"], "2026-03-09T14:00:00+07:00");
        assert_eq!(received["timeliness"], "within_deadline");

        app.set_now("2026-03-03T08:00:00+07:00");
        let handed = act(app, &t.officer, &code, "hand-off", json!({"to_agency": UNIT, "to_officer": "chuyenvien.a", "step_deadline": "2026-03-04T17:00:00+07:00"})).expect(200).body;
        assert_eq!(handed["status"], "processing");
        assert_eq!(handed["handling_agency"], UNIT);

        app.set_now("2026-03-04T09:00:00+07:00");
        let paused = act(app, &t.unit_officer, &code, "request-supplement", json!({"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": "2026-03-11T17:00:00+07:00"})).expect(200).body;
        assert_eq!(paused["status"], "awaiting_supplement");
        assert_eq!(paused["pauses"][0]["from"], "2026-03-04T09:00:00+07:00");
        assert!(paused["pauses"][0]["to"].is_null());
        assert_eq!(paused["due_at"], "2026-03-09T14:00:00+07:00", "the due instant moves when the pause ends");

        app.set_now("2026-03-05T09:00:00+07:00");
        let resumed = act(app, &t.citizen, &code, "supplement", json!({})).expect(200).body;
        assert_eq!(resumed["status"], "processing");
        assert_eq!(resumed["pauses"][0]["to"], "2026-03-05T09:00:00+07:00");
        assert_eq!(resumed["due_at"], "2026-03-10T14:00:00+07:00", "8 office hours paused move it one working day");

        app.set_now("2026-03-06T10:00:00+07:00");
        let resolved = act(app, &t.approver, &code, "resolve", json!({"outcome": "granted", "documents": [{"component_code": "KQ", "name": "giay-chung-nhan.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQKa3E="}]})).expect(200).body;
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(resolved["outcome"], "granted");
        assert_eq!(resolved["resolved_at"], "2026-03-06T10:00:00+07:00");
        assert_eq!(resolved["timeliness"], "early");

        app.set_now("2026-03-06T11:00:00+07:00");
        let returned = act(app, &t.officer, &code, "return", json!({"channel": "in_person"})).expect(200).body;
        assert_eq!(returned["status"], "returned");
        assert_eq!(returned["status_code"], 10);
        assert_eq!(returned["returned_at"], "2026-03-06T11:00:00+07:00");
        assert_eq!(returned["timeliness"], "early");
        assert_eq!(returned["allowed_actions"], json!([]));

        let slip = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.viewer)).expect(200).body;
        assert_eq!(statuses(&slip), vec![
            row("submit", None, "submitted"),
            row("request-supplement", Some("submitted"), "awaiting_supplement"),
            row("supplement", Some("awaiting_supplement"), "submitted"),
            row("receive", Some("submitted"), "received"),
            row("hand-off", Some("received"), "processing"),
            row("request-supplement", Some("processing"), "awaiting_supplement"),
            row("supplement", Some("awaiting_supplement"), "processing"),
            row("resolve", Some("processing"), "resolved"),
            row("return", Some("resolved"), "returned"),
        ]);
        let hand_off = &slip["items"][4];
        assert_eq!(hand_off["actor_id"], "officer.dept");
        assert_eq!(hand_off["actor_role"], "officer");
        assert_eq!(hand_off["actor_agency"], DEPT);
        assert_eq!(hand_off["at"], "2026-03-03T08:00:00+07:00");
        assert_eq!(hand_off["step_deadline"], "2026-03-04T17:00:00+07:00");
        assert_eq!(hand_off["step_timeliness"], "on_time", "the next step came on the deadline's day, before it");
        assert_eq!(slip["items"][5]["note"], "TP01: Thiếu chữ ký");
    }

    fn an_in_person_dossier_is_received_at_once_and_denied(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-03T16:30:00+07:00");
        let mut body = submission("Hồ sơ nộp trực tiếp");
        body["channel"] = json!("in_person");
        let d = app.post("/api/v1/dossiers", Some(&t.officer), &body).expect(201).body;
        let code = d["code"].as_str().expect("code").to_owned();
        assert_eq!(d["status"], "received");
        assert_eq!(d["channel"], "in_person");
        assert_eq!(d["received_at"], "2026-03-03T16:30:00+07:00");
        assert_eq!(d["due_at"], "2026-03-10T16:30:00+07:00");
        app.set_now("2026-03-04T08:00:00+07:00");
        act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
        act(app, &t.approver, &code, "resolve", json!({"outcome": "denied"})).expect_problem(422, "validation_failed");
        let denied = act(app, &t.approver, &code, "resolve", json!({"outcome": "denied", "reason": "Tên doanh nghiệp trùng"})).expect(200).body;
        assert_eq!(denied["outcome"], "denied");
        assert_eq!(denied["timeliness"], "early");
        act(app, &t.officer, &code, "return", json!({"channel": "postal"})).expect(200);
        let slip = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.officer)).expect(200).body;
        assert_eq!(statuses(&slip), vec![
            row("submit", None, "submitted"),
            row("receive", Some("submitted"), "received"),
            row("hand-off", Some("received"), "processing"),
            row("resolve", Some("processing"), "resolved"),
            row("return", Some("resolved"), "returned"),
        ]);
        assert_eq!(slip["items"][3]["note"], "denied: Tên doanh nghiệp trùng");
    }

    fn the_applicant_withdraws_and_nothing_moves_after(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T08:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        let w = act(app, &t.citizen, &code, "withdraw", json!({"reason": "Nộp nhầm"})).expect(200).body;
        assert_eq!(w["status"], "withdrawn");
        assert_eq!(w["status_code"], 7);
        let refused = act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect_problem(409, "transition_not_allowed");
        assert_eq!(refused.body["current_status"], "withdrawn");
        assert_eq!(refused.body["allowed_actions"], json!([]));
        act(app, &t.officer, &code, "withdraw", json!({})).expect_problem(403, "forbidden");
    }

    fn an_approver_stops_a_dossier_with_a_reason(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T08:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.approver, &code, "stop", json!({"reason": "x"})).expect_problem(409, "transition_not_allowed");
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        act(app, &t.officer, &code, "stop", json!({"reason": "Quá hạn bổ sung"})).expect_problem(403, "forbidden");
        act(app, &t.approver, &code, "stop", json!({"reason": "  "})).expect_problem(422, "validation_failed");
        let stopped = act(app, &t.approver, &code, "stop", json!({"reason": "Quá hạn bổ sung"})).expect(200).body;
        assert_eq!(stopped["status"], "stopped");
        assert_eq!(stopped["status_code"], 8);
        assert!(stopped["timeliness"].is_null());
    }

    fn an_apology_promises_a_new_date_but_the_legal_deadline_judges(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T08:00:00+07:00");
        let code = submit(app, &t);
        app.set_now("2026-03-02T14:00:00+07:00");
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
        app.set_now("2026-03-06T10:00:00+07:00");
        act(app, &t.approver, &code, "apologize", json!({"reason": "Cần xác minh", "new_date": "2026-03-09T10:00:00+07:00"}))
            .expect_problem(422, "validation_failed");
        let sorry = act(app, &t.approver, &code, "apologize", json!({"reason": "Cần xác minh", "new_date": "2026-03-13T17:00:00+07:00"})).expect(200).body;
        assert_eq!(sorry["promised_at"], "2026-03-13T17:00:00+07:00");
        assert_eq!(sorry["due_at"], "2026-03-09T14:00:00+07:00");
        act(app, &t.approver, &code, "apologize", json!({"reason": "Lần hai", "new_date": "2026-03-20T17:00:00+07:00"}))
            .expect_problem(409, "transition_not_allowed");
        app.set_now("2026-03-12T09:00:00+07:00");
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body;
        assert_eq!(d["timeliness"], "overdue");
        let resolved = act(app, &t.approver, &code, "resolve", json!({"outcome": "granted"})).expect(200).body;
        assert_eq!(resolved["timeliness"], "late", "judged by the legal due instant, not the promised date");
    }

    fn payment_pauses_the_clock_until_recorded(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
        app.set_now("2026-03-03T09:00:00+07:00");
        let waiting = act(app, &t.officer, &code, "request-payment", json!({})).expect(200).body;
        assert_eq!(waiting["status"], "awaiting_payment");
        assert_eq!(waiting["status_code"], 6);
        app.set_now("2026-03-03T13:30:00+07:00");
        act(app, &t.officer, &code, "payments", json!({"method": "cash", "amount_vnd": 0})).expect_problem(422, "validation_failed");
        let paid = act(app, &t.officer, &code, "payments", json!({"method": "cash", "amount_vnd": 50000, "reference": "BL-01"})).expect(200).body;
        assert_eq!(paid["status"], "processing");
        assert_eq!(paid["due_at"], "2026-03-09T11:30:00+07:00", "09:00→13:30 held 2.5 office hours: due 09:00 + 2.5 h ends at the span end");
    }
}
