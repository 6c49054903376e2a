//! Documents are part of the record: an upload is a
//! history row and a change of the feed, a download names the original
//! file (RFC 6266, UTF-8), and published feedback shows no personal data.

use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, Answer, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const NAME: &str = "Giấy đề nghị.pdf";

fn upload(app: &TestApp, token: &str, code: &str, query: &str) -> Answer {
    app.send(
        app.request(Method::POST, &format!("/api/v1/dossiers/{code}/documents?{query}"))
            .bearer_auth(token)
            .header("Content-Type", "application/pdf")
            .body(b"%PDF-1.4 ban scan".to_vec()),
    )
}

both_backends! {
    fn an_upload_is_a_history_row_and_a_change_of_the_feed(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        let before = app.get("/api/v1/changes?after=0", Some(&t.integrator)).expect(200).body["next_after"].as_i64().unwrap_or(0);
        app.set_now("2026-03-02T10:00:00+07:00");
        upload(app, &t.officer, &code, "component_code=TP02&name=cccd-scan.pdf&digitised=true").expect(201);
        let h = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.citizen)).expect(200).body;
        let row = h["items"].as_array().and_then(|r| r.last()).cloned().unwrap_or(Value::Null);
        assert_eq!(row["action"], "upload-document");
        assert_eq!(row["from_status"], "received");
        assert_eq!(row["to_status"], "received");
        assert_eq!(row["actor_id"], "officer.dept");
        assert_eq!(row["at"], "2026-03-02T10:00:00+07:00");
        assert_eq!(row["note"], "TP02: cccd-scan.pdf (digitised)");
        let feed = app.get(&format!("/api/v1/changes?after={before}"), Some(&t.integrator)).expect(200).body;
        let items = feed["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 1, "{feed}");
        assert_eq!(items[0]["action"], "upload-document");
        assert_eq!(items[0]["dossier_code"], code.as_str());
    }

    fn a_download_names_the_original_file_in_utf8(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let name = NAME.replace(' ', "%20");
        let doc = upload(app, &t.citizen, &code, &format!("component_code=TP01&name={name}")).expect(201).body;
        let id = doc["id"].as_str().unwrap_or_default();
        let a = app.get(&format!("/api/v1/dossiers/{code}/documents/{id}"), Some(&t.officer)).expect(200);
        assert_eq!(
            a.header("content-disposition"),
            Some("attachment; filename=\"Gi_y __ ngh_.pdf\"; filename*=UTF-8''Gi%E1%BA%A5y%20%C4%91%E1%BB%81%20ngh%E1%BB%8B.pdf")
        );
    }

    fn published_feedback_shows_no_personal_data(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        let id = app
            .post("/api/v1/feedback", Some(&t.citizen), &json!({"title": "Chậm", "content": "Hồ sơ chậm", "dossier_code": code}))
            .expect(201)
            .body["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        app.post(&format!("/api/v1/feedback/{id}/request-info"), Some(&t.officer), &json!({"text": "Số điện thoại?"})).expect(200);
        app.post(&format!("/api/v1/feedback/{id}/info"), Some(&t.citizen), &json!({"text": "0912 345 678, Nguyễn Văn An"})).expect(200);
        app.post(&format!("/api/v1/feedback/{id}/answer"), Some(&t.officer), &json!({"text": "Đã xử lý"})).expect(200);
        app.post(&format!("/api/v1/feedback/{id}/publish"), Some(&t.officer), &json!({})).expect(200);
        let listed = app.get("/api/v1/feedback/published", None).expect(200).body;
        let public = listed["items"][0].clone();
        assert_eq!(public["answer"], "Đã xử lý");
        assert_eq!(public["dossier_code"], Value::Null);
        assert_eq!(public["info_reply"], Value::Null);
        assert!(!listed.to_string().contains(&code) && !listed.to_string().contains("0912"), "{listed}");
        for token in [None, Some(t.other_citizen.as_str())] {
            let one = app.get(&format!("/api/v1/feedback/{id}"), token).expect(200).body;
            assert_eq!(one["dossier_code"], Value::Null);
            assert_eq!(one["info_reply"], Value::Null);
        }
        // Its author and the agency still read the whole item.
        let own = app.get(&format!("/api/v1/feedback/{id}"), Some(&t.citizen)).expect(200).body;
        assert_eq!(own["dossier_code"], code.as_str());
        assert_eq!(own["info_reply"], "0912 345 678, Nguyễn Văn An");
    }
}
