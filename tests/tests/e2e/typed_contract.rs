//! What the OpenAPI document promises a generated client, and what the
//! server does when a client follows a weaker promise: a document is
//! uploaded as its bytes, never as JSON; the document types every object
//! and every closed set of values.

use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, Answer, TestApp};
use reqwest::Method;
use serde_json::Value;

fn committed() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json"))
        .expect("openapi.json at the top level");
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

fn upload(app: &TestApp, token: &str, code: &str, content_type: &str, body: &[u8]) -> Answer {
    app.send(
        app.request(Method::POST, &format!("/api/v1/dossiers/{code}/documents?component_code=TP01&name=scan.pdf"))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(body.to_vec()),
    )
}

fn documents_and_history(app: &TestApp, token: &str, code: &str) -> (usize, usize) {
    let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(token)).expect(200).body;
    let h = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(token)).expect(200).body;
    (d["documents"].as_array().map_or(0, Vec::len), h["items"].as_array().map_or(0, Vec::len))
}

both_backends! {
    fn a_file_written_as_json_is_refused_and_nothing_is_stored(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let before = documents_and_history(app, &t.citizen, &code);
        // What a client typed from `Vec<u8>` as an array of integers sends.
        let array = b"[37,80,68,70,45,49,46,52]";
        let refused = upload(app, &t.citizen, &code, "application/json", array).expect_problem(415, "unsupported_media_type");
        assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("application/json")), "{}", refused.text);
        upload(app, &t.citizen, &code, "application/json; charset=utf-8", b"{\"0\":37}").expect_problem(415, "unsupported_media_type");
        upload(app, &t.citizen, &code, "application/vnd.api+json", b"{}").expect_problem(415, "unsupported_media_type");
        upload(app, &t.citizen, &code, "multipart/form-data; boundary=x", b"--x--").expect_problem(415, "unsupported_media_type");
        upload(app, &t.citizen, &code, "application/x-www-form-urlencoded", b"file=%25PDF").expect_problem(415, "unsupported_media_type");
        // The same array under a file's media type: 422 naming the body.
        let p = upload(app, &t.citizen, &code, "application/octet-stream", b" [37, 80, 68, 70]\n").expect_problem(422, "validation_failed");
        assert_eq!(p.body["errors"][0]["field"], "body", "{}", p.text);
        assert_eq!(p.body["errors"][0]["code"], "json_byte_array", "{}", p.text);
        upload(app, &t.citizen, &code, "application/pdf", array).expect_problem(422, "validation_failed");
        assert_eq!(documents_and_history(app, &t.citizen, &code), before, "nothing was stored");

        // The file's own bytes are taken, and come back as they went.
        let pdf = b"%PDF-1.4\n% dvc\n";
        let doc = upload(app, &t.citizen, &code, "application/pdf", pdf).expect(201).body;
        let id = doc["id"].as_str().unwrap_or_default();
        let got = app.request(Method::GET, &format!("/api/v1/dossiers/{code}/documents/{id}")).bearer_auth(&t.citizen).send().expect("sent");
        assert_eq!(got.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
        assert_eq!(got.bytes().expect("body").as_ref(), pdf);
        // A text that merely starts with a bracket is a file like any other.
        upload(app, &t.citizen, &code, "text/plain", b"[Ghi chu] ho so").expect(201);
    }
}

dvc_tests::e2e_test!(uploads_and_downloads_are_binary_in_the_document);
/// The upload's request body and the download's answer are bytes, in the
/// media types a file has; no JSON among them.
fn uploads_and_downloads_are_binary_in_the_document() {
    let doc = committed();
    let binary = &doc["components"]["schemas"]["DocumentContent"];
    assert_eq!(binary["type"], "string");
    assert_eq!(binary["format"], "binary");
    assert!(binary["contentMediaType"].is_string());
    let body = &doc["paths"]["/api/v1/dossiers/{code}/documents"]["post"]["requestBody"]["content"];
    let types: Vec<&String> = body.as_object().expect("upload content types").keys().collect();
    assert!(types.iter().any(|t| *t == "application/pdf"), "{types:?}");
    for (media_type, content) in body.as_object().expect("upload content types") {
        assert!(!media_type.contains("json") && !media_type.contains("form-"), "{media_type}");
        assert_eq!(content["schema"]["$ref"], "#/components/schemas/DocumentContent", "{media_type}");
    }
    let download = &doc["paths"]["/api/v1/dossiers/{code}/documents/{id}"]["get"]["responses"]["200"]["content"];
    assert_eq!(download["*/*"]["schema"]["$ref"], "#/components/schemas/DocumentContent");
}

dvc_tests::e2e_test!(every_object_has_its_properties);
/// Every object in the document names its properties (or is a union of
/// objects that do, or a map whose values are typed): a generated client
/// gets no `Record<string, never>` or `{ [key: string]: unknown }`.
fn every_object_has_its_properties() {
    fn walk(at: &str, schema: &Value, bad: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                let is_object = map
                    .get("type")
                    .is_some_and(|t| t == "object" || t.as_array().is_some_and(|a| a.contains(&Value::from("object"))));
                let typed_values =
                    map.get("additionalProperties").is_some_and(|a| a.as_object().is_some_and(|o| !o.is_empty()));
                if is_object
                    && !map.contains_key("properties")
                    && !typed_values
                    && !map.contains_key("oneOf")
                    && !map.contains_key("allOf")
                {
                    bad.push(at.to_owned());
                }
                for (k, v) in map {
                    walk(&format!("{at}/{k}"), v, bad);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&format!("{at}[{i}]"), v, bad);
                }
            }
            _ => {}
        }
    }
    let doc = committed();
    let mut bad = Vec::new();
    walk("#/components/schemas", &doc["components"]["schemas"], &mut bad);
    walk("#/paths", &doc["paths"], &mut bad);
    // The problem document's extension members are open by RFC 9457.
    bad.retain(|at| !at.starts_with("#/components/schemas/Problem"));
    assert!(bad.is_empty(), "objects without properties: {bad:#?}");
}

/// The schema of `schema.properties.field` (through a `$ref`, an array's
/// items, or a nullable `oneOf`), resolved in the components.
fn property<'a>(doc: &'a Value, schema: &str, field: &str) -> &'a Value {
    fn resolve<'a>(doc: &'a Value, mut s: &'a Value) -> &'a Value {
        loop {
            if let Some(r) = s["$ref"].as_str() {
                s = &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")];
            } else if s["type"] == "array" || s["type"].as_array().is_some_and(|t| t.contains(&Value::from("array"))) {
                s = &s["items"];
            } else if let Some(one) =
                s["oneOf"].as_array().filter(|o| o.len() == 2 && o.iter().any(|v| v["type"] == "null"))
            {
                s = one.iter().find(|v| v["type"] != "null").unwrap_or(&Value::Null);
            } else {
                return s;
            }
        }
    }
    let s = &doc["components"]["schemas"][schema]["properties"][field];
    assert!(!s.is_null(), "{schema}.{field} is in the document");
    resolve(doc, s)
}

dvc_tests::e2e_test!(closed_sets_are_enums);
/// Each closed set of values is an enum in the document, one schema for
/// input and output alike.
fn closed_sets_are_enums() {
    let doc = committed();
    let fields = [
        ("ChangeOut", "action"),
        ("ChangeOut", "status"),
        ("HistoryOut", "action"),
        ("HistoryOut", "actor_role"),
        ("DocumentOut", "kind"),
        ("PaymentOut", "method"),
        ("PaymentOut", "status"),
        ("AttemptOut", "status"),
        ("FeedbackOut", "status"),
        ("FeedbackOut", "timeliness"),
        ("DossierOut", "allowed_actions"),
        ("RatingOut", "overall"),
        ("WebhookOut", "statuses"),
        ("NotificationOut", "event"),
        ("NotificationOut", "channel"),
        ("NotificationOut", "status"),
        ("AuditRowOut", "actor_role"),
        ("DifferenceOut", "field"),
        ("ApplicantDto", "notify_by"),
        ("DrillOut", "metric"),
        ("Health", "database"),
    ];
    let mut not_enums = Vec::new();
    for (schema, field) in fields {
        if !property(&doc, schema, field)["enum"].is_array() {
            not_enums.push(format!("{schema}.{field}"));
        }
    }
    assert!(not_enums.is_empty(), "plain strings: {not_enums:?}");
    // The same set in and out is the same schema.
    for (a, b) in [
        (("RatingIn", "overall"), ("RatingOut", "overall")),
        (("WebhookIn", "statuses"), ("WebhookOut", "statuses")),
        (("ChangeOut", "status"), ("DossierOut", "status")),
        (("HistoryOut", "action"), ("ChangeOut", "action")),
        (("HistoryOut", "actor_role"), ("AuditRowOut", "actor_role")),
    ] {
        let (x, y) = (property(&doc, a.0, a.1), property(&doc, b.0, b.1));
        assert_eq!(x, y, "{a:?} and {b:?}");
    }
}

fn example(doc: &Value, schema: &str) -> Value {
    let e = doc["components"]["schemas"][schema]["example"].clone();
    assert!(!e.is_null(), "{schema} has an example");
    e
}

both_backends! {
    spawn = spawn_demo;

    /// The examples of the answers are answers: a dossier walked as the
    /// DossierOut example says (submitted online on 5 March 2026 at 08:15,
    /// received at 09:00, handed on) reads as the example, and the preview
    /// of the PreviewIn example answers the PreviewOut example.
    fn examples_are_what_the_server_answers(app: &TestApp) {
        use dvc_domain::auth::Role;
        let doc = committed();
        let citizen = app.token_for(Role::Citizen, "001099012345", None);
        let officer = app.token_for(Role::Officer, "officer.dkkd", Some("000.00.05.H56"));
        let mut want = example(&doc, "DossierOut");
        app.set_now(want["submitted_at"].as_str().unwrap_or_default());
        let mut submission = example(&doc, "SubmitIn");
        submission["applicant"] = want["applicant"].clone();
        submission["summary"] = want["summary"].clone();
        submission["documents"][0]["name"] = want["documents"][0]["name"].clone();
        let d = app.post("/api/v1/dossiers", Some(&citizen), &submission).expect(201).body;
        assert_eq!((d["status"].as_str(), d["status_code"].as_u64()), (Some("submitted"), Some(1)));
        let code = d["code"].as_str().unwrap_or_default().to_owned();
        app.set_now(want["received_at"].as_str().unwrap_or_default());
        let received = act(app, &officer, &code, "receive", serde_json::json!({})).expect(200).body;
        assert_eq!((received["status"].as_str(), received["status_code"].as_u64()), (Some("received"), Some(2)));
        let mut got = act(app, &officer, &code, "hand-off", example(&doc, "HandOffIn")).expect(200).body;
        // What differs from one server to the next: the counter, ids, the
        // signed-in name, the portal's queue.
        got["code"] = want["code"].clone();
        got["documents"][0]["id"] = want["documents"][0]["id"].clone();
        got["submitted_by"]["name"] = want["submitted_by"]["name"].clone();
        want["sync"] = got["sync"].clone();
        assert_eq!(got, want);
        let field = &doc["components"]["schemas"]["DossierOut"]["properties"]["status_code"]["example"];
        assert_eq!(field, &want["status_code"], "the field's example is the example's");

        let preview = app.post("/api/v1/deadlines/preview", Some(&officer), &example(&doc, "PreviewIn")).expect(200).body;
        assert_eq!(preview, example(&doc, "PreviewOut"));

        // The public look-up's example: awaiting a supplement is code 5.
        let lookup = example(&doc, "LookupOut");
        assert_eq!(lookup["status_code"], 5);
        assert_eq!(lookup["status"], "awaiting_supplement");
    }
}

both_backends! {
    /// An import whose applicant names a channel outside the document's set
    /// is refused whole (422), as the document's enum says, not answered 200.
    fn an_import_with_an_unknown_channel_is_refused_whole(app: &TestApp) {
        let admin = app.token(dvc_domain::auth::Role::Admin, None);
        let body = serde_json::json!({"dossiers": [{"agency": "", "applicant": {"id_number": "", "kind": "agency", "name": "", "notify_by": ["email", "AAA"]}, "channel": "online", "documents": [], "events": [], "procedure": "", "submitted_at": "2000-01-01T00:00:00Z", "summary": ""}]});
        let p = app.post("/api/v1/imports/dossiers", Some(&admin), &body).expect_problem(422, "validation_failed");
        assert_eq!(p.body["errors"][0]["field"], "dossiers[0].applicant.notify_by[1]", "{}", p.text);
        assert_eq!(p.body["errors"][0]["code"], "unknown_channel", "{}", p.text);
    }
}

both_backends! {
    /// An imported event whose action or payment method is outside the
    /// document's enum refuses the whole request (422) and imports nothing,
    /// where it used to answer 200 with the dossier in `rejected`.
    fn an_import_with_an_unknown_action_or_method_is_refused_whole(app: &TestApp) {
        dvc_tests::fixtures::province(app);
        let admin = app.token(dvc_domain::auth::Role::Admin, None);
        let dossier = |event: serde_json::Value| {
            serde_json::json!({"dossiers": [{
                "procedure": dvc_tests::fixtures::PROCEDURE, "agency": dvc_tests::fixtures::DEPT, "channel": "in_person",
                "applicant": {"kind": "citizen", "id_number": dvc_tests::fixtures::CITIZEN, "name": "Nguyễn Văn An"},
                "summary": "Hồ sơ cũ", "submitted_at": "2025-11-03T08:30:00+07:00", "events": [event]}]})
        };
        for (event, field) in [
            (serde_json::json!({"action": "approve", "at": "2025-11-03T09:00:00+07:00"}), "dossiers[0].events[0].action"),
            (
                serde_json::json!({"action": "payments", "at": "2025-11-03T09:00:00+07:00", "amount_vnd": 50000, "method": "cheque"}),
                "dossiers[0].events[0].method",
            ),
        ] {
            let p = app.post("/api/v1/imports/dossiers", Some(&admin), &dossier(event)).expect_problem(422, "validation_failed");
            assert_eq!(p.body["errors"][0]["field"], field, "{}", p.text);
        }
        let list = app.get("/api/v1/dossiers", Some(&admin)).expect(200).body;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "nothing imported: {list}");
        // A valid one goes in, with its payment's method.
        let ok = dossier(serde_json::json!({"action": "receive", "at": "2025-11-03T09:00:00+07:00"}));
        let answer = app.post("/api/v1/imports/dossiers", Some(&admin), &ok).expect(200).body;
        assert_eq!(answer["imported"].as_array().map(Vec::len), Some(1), "{answer}");
    }
}

both_backends! {
    /// A refused move names the moves allowed instead by the same names as
    /// the dossier's own `allowed_actions` (`record-payment`, not the path
    /// segment `payments`), and the status by the status enum.
    fn a_refused_move_names_the_allowed_ones_as_the_dossier_does(app: &TestApp) {
        use dvc_tests::fixtures::{act, province, submit, tokens};
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let received = act(app, &t.officer, &code, "receive", serde_json::json!({})).expect(200).body;
        let refused = act(app, &t.officer, &code, "receive", serde_json::json!({}))
            .expect_problem(409, "transition_not_allowed");
        assert_eq!(refused.body["current_status"], "received", "{}", refused.text);
        assert_eq!(refused.body["allowed_actions"], received["allowed_actions"], "{}", refused.text);
        let names = refused.body["allowed_actions"].as_array().cloned().unwrap_or_default();
        assert!(names.contains(&serde_json::json!("record-payment")), "{}", refused.text);
    }
}

both_backends! {
    /// An imported dossier submitted in the future, or before the years a
    /// dossier code can hold (2000–2099), is rejected on its own with its
    /// reason; the others of the batch are imported.
    fn an_import_rejects_a_submission_date_no_code_can_hold_one_dossier_at_a_time(app: &TestApp) {
        dvc_tests::fixtures::province(app);
        let admin = app.token(dvc_domain::auth::Role::Admin, None);
        let dossier = |at: &str| {
            serde_json::json!({
                "procedure": dvc_tests::fixtures::PROCEDURE, "agency": dvc_tests::fixtures::DEPT, "channel": "in_person",
                "applicant": {"kind": "citizen", "id_number": dvc_tests::fixtures::CITIZEN, "name": "Nguyễn Văn An"},
                "summary": "Hồ sơ cũ", "submitted_at": at})
        };
        let body = serde_json::json!({"dossiers": [
            dossier("2100-01-04T08:00:00+07:00"),
            dossier("1999-12-31T08:00:00+07:00"),
            dossier("2025-11-03T08:30:00+07:00"),
        ]});
        let out = app.post("/api/v1/imports/dossiers", Some(&admin), &body).expect(200).body;
        assert_eq!(out["imported"].as_array().map(Vec::len), Some(1), "{out}");
        assert_eq!(out["imported"][0]["index"], 2, "{out}");
        assert_eq!(out["rejected"][0]["index"], 0, "{out}");
        assert_eq!(out["rejected"][0]["code"], "in_the_future", "{out}");
        assert_eq!(out["rejected"][1]["index"], 1, "{out}");
        assert_eq!(out["rejected"][1]["code"], "out_of_range", "{out}");
    }
}
