//! Feedback and petitions: working-day limits, the agency's responses,
//! publication, who reads what, and the feedback-on-time rate.

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, TestApp};
use serde_json::json;

fn file(app: &TestApp, t: &Tokens, title: &str) -> String {
    let f = app
        .post(
            "/api/v1/feedback",
            Some(&t.citizen),
            &json!({"title": title, "content": "Nội dung phản ánh", "agency": DEPT}),
        )
        .expect(201)
        .body;
    f["id"].as_str().expect("id").to_owned()
}

both_backends! {
    fn feedback_is_answered_within_its_limits_and_published(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-06T10:00:00+07:00");
        let id = file(app, &t, "Chậm trả kết quả");
        let f = app.get(&format!("/api/v1/feedback/{id}"), Some(&t.citizen)).expect(200).body;
        assert_eq!(f["refuse_by"], "2026-03-10T10:00:00+07:00");
        assert_eq!(f["ask_info_by"], "2026-03-13T10:00:00+07:00");
        assert_eq!(f["answer_by"], "2026-03-27T10:00:00+07:00");
        assert_eq!(f["timeliness"], "within_deadline");
        app.get(&format!("/api/v1/feedback/{id}"), None).expect_problem(404, "not_found");
        app.get(&format!("/api/v1/feedback/{id}"), Some(&t.other_citizen)).expect_problem(404, "not_found");
        app.post(&format!("/api/v1/feedback/{id}/publish"), Some(&t.officer), &json!({})).expect_problem(409, "feedback_response_not_allowed");
        app.post(&format!("/api/v1/feedback/{id}/answer"), Some(&t.other_officer), &json!({"text": "x"})).expect_problem(404, "not_found");
        app.set_now("2026-03-20T09:00:00+07:00");
        let answered = app.post(&format!("/api/v1/feedback/{id}/answer"), Some(&t.officer), &json!({"text": "Đã xử lý, xin lỗi ông/bà."})).expect(200).body;
        assert_eq!(answered["status"], "answered");
        assert_eq!(answered["timeliness"], "on_time");
        app.set_now("2026-03-23T09:00:00+07:00");
        app.post(&format!("/api/v1/feedback/{id}/publish"), Some(&t.approver), &json!({})).expect(200);
        let public = app.get(&format!("/api/v1/feedback/{id}"), None).expect(200).body;
        assert_eq!(public["answer"], "Đã xử lý, xin lỗi ông/bà.");
        let listed = app.get("/api/v1/feedback/published", None).expect(200).body;
        assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
        app.post(&format!("/api/v1/feedback/{id}/answer"), Some(&t.officer), &json!({"text": "lần hai"})).expect_problem(409, "feedback_response_not_allowed");
    }

    fn a_late_refusal_and_an_information_request_count_in_the_rate(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-06T10:00:00+07:00");
        let late = file(app, &t, "Ngoài thẩm quyền");
        let asked = file(app, &t, "Thiếu thông tin");
        let answered = file(app, &t, "Đúng hạn");
        app.set_now("2026-03-12T09:00:00+07:00");
        let refused = app.post(&format!("/api/v1/feedback/{late}/refuse"), Some(&t.officer), &json!({"text": "Không thuộc thẩm quyền"})).expect(200).body;
        assert_eq!(refused["timeliness"], "late", "refused after the 2 working days");
        app.post(&format!("/api/v1/feedback/{asked}/request-info"), Some(&t.officer), &json!({"text": "Số hồ sơ là gì?"})).expect(200);
        app.post(&format!("/api/v1/feedback/{asked}/info"), Some(&t.other_citizen), &json!({"text": "x"})).expect_problem(404, "not_found");
        let back = app.post(&format!("/api/v1/feedback/{asked}/info"), Some(&t.citizen), &json!({"text": "000.00.05.H56-260302-0001"})).expect(200).body;
        assert_eq!(back["status"], "open");
        app.post(&format!("/api/v1/feedback/{asked}/answer"), Some(&t.officer), &json!({"text": "Đã kiểm tra"})).expect(200);
        app.post(&format!("/api/v1/feedback/{answered}/answer"), Some(&t.officer), &json!({"text": "Đã xử lý"})).expect(200);
        app.post("/api/v1/feedback", Some(&t.citizen), &json!({"title": "x", "content": "y"})).expect_problem(422, "validation_failed");
        app.post("/api/v1/feedback", Some(&t.officer), &json!({"title": "x", "content": "y", "agency": DEPT})).expect_problem(403, "forbidden");
        let viewer = app.token(Role::Viewer, None);
        let s = app.get(&format!("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&group_by=agency&agency={PROVINCE}"), Some(&viewer)).expect(200).body;
        assert_eq!(s["total"]["rates"]["feedback_on_time"]["numerator"], 2);
        assert_eq!(s["total"]["rates"]["feedback_on_time"]["denominator"], 3);
        let other = s["groups"].as_array().expect("groups").iter().find(|g| g["key"] == OTHER).expect("other").clone();
        assert_eq!(other["rates"]["feedback_on_time"]["denominator"], 0);
        assert_eq!(app.get("/api/v1/feedback", Some(&t.other_officer)).expect(200).body["items"], json!([]));
        assert_eq!(app.get("/api/v1/feedback", Some(&t.officer)).expect(200).body["items"].as_array().map(Vec::len), Some(3));
    }
}
