//! Strict input: unknown JSON fields and unknown query
//! parameters are refused with 422 naming them, every invalid field comes
//! back in one answer, and a role that can never do an operation gets 403
//! before its request is validated. None of it changes anything.

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, Answer, TestApp};
use serde_json::json;

/// The (field, code) pairs of a problem document, sorted.
fn fields(a: &Answer) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = a.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| (e["field"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn count(app: &TestApp, token: &str) -> usize {
    app.get("/api/v1/dossiers", Some(token)).expect(200).body["items"].as_array().map_or(0, Vec::len)
}

/// A procedure's content of the right shape with a blank name and an
/// agency code that is not one, with these fees.
fn invalid_content(fees: serde_json::Value) -> serde_json::Value {
    json!({
        "name": "",
        "sector": {"code": "DKKD", "name": "Doanh nghiệp"},
        "implementing_agencies": ["17.22"],
        "level": "province",
        "service_level": "full",
        "processing_time": {"amount": 5, "unit": "working_days", "same_day": false},
        "fees": fees,
        "components": [],
        "results": ["Giấy chứng nhận"],
        "legal_bases": ["Luật Doanh nghiệp"],
        "channels": ["in_person", "online"]
    })
}

both_backends! {
    /// An import whose body breaks what the document says of it (a rating of
    /// eight criteria) is refused as a whole with 422, not answered 200 with
    /// the dossier in `rejected`.
    fn an_import_that_breaks_the_schema_is_refused_whole(app: &TestApp) {
        province(app);
        let rating = json!({"criteria": [2, 2, 2, 2, 2, 2, 2, 2], "overall": "satisfied", "at": "2026-04-02T09:00:00+07:00"});
        let body = json!({"dossiers": [{
            "procedure": PROCEDURE, "agency": DEPT, "channel": "in_person",
            "applicant": {"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An"},
            "summary": "Hồ sơ cũ", "submitted_at": "2026-04-01T08:00:00+07:00", "rating": rating
        }]});
        let admin = app.token(Role::Admin, None);
        let answer = app.post("/api/v1/imports/dossiers", Some(&admin), &body).expect_problem(422, "validation_failed");
        assert_eq!(fields(&answer), [("dossiers[0].rating.criteria".to_owned(), "nine_criteria".to_owned())]);
    }

    /// A document of an import that breaks its own shape (a data-store code
    /// with a space, a media type without a slash) refuses the whole request,
    /// and nothing is imported.
    fn an_import_with_a_malformed_document_is_refused_whole(app: &TestApp) {
        province(app);
        let dossier = |documents: serde_json::Value| json!({
            "procedure": PROCEDURE, "agency": DEPT, "channel": "in_person",
            "applicant": {"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An"},
            "summary": "Hồ sơ cũ", "submitted_at": "2026-04-01T08:00:00+07:00", "documents": documents
        });
        let body = json!({"dossiers": [
            dossier(json!([{"component_code": "TP01", "name": "a.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}])),
            dossier(json!([
                {"component_code": "TP01", "name": "b.pdf", "media_type": "pdf", "content_base64": "JVBERi0xLjQK"},
                {"component_code": "TP01", "name": "c.pdf", "data_store_code": "KHO 01"}
            ])),
        ]});
        let admin = app.token(Role::Admin, None);
        let answer = app.post("/api/v1/imports/dossiers", Some(&admin), &body).expect_problem(422, "validation_failed");
        let found = fields(&answer);
        assert!(found.contains(&("dossiers[1].documents[1].data_store_code".to_owned(), "invalid_data_store_code".to_owned())), "{found:?}");
        assert!(found.contains(&("dossiers[1].documents[0].media_type".to_owned(), "invalid_media_type".to_owned())), "{found:?}");
        assert!(found.iter().all(|(f, _)| f.starts_with("dossiers[1].")), "the good dossier has no error: {found:?}");
        assert_eq!(count(app, &admin), 0, "nothing was imported");
    }

    fn a_misspelt_field_is_refused_and_creates_nothing(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let mut body = submission("Kênh gõ sai");
        body["chanel"] = json!("postal");
        body["applicant"]["emial"] = json!("an@example.vn");
        body["documents"][1]["digitized"] = json!(true);
        let a = app.post("/api/v1/dossiers", Some(&t.officer), &body).expect_problem(422, "validation_failed");
        assert_eq!(
            fields(&a),
            [
                ("applicant.emial".to_owned(), "unknown_field".to_owned()),
                ("chanel".to_owned(), "unknown_field".to_owned()),
                ("documents[1].digitized".to_owned(), "unknown_field".to_owned()),
            ]
        );
        assert_eq!(count(app, &t.viewer), 0, "nothing was created");
    }

    fn an_unknown_field_and_a_wrong_value_come_back_together(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let mut body = submission("Hai lỗi");
        body["chanel"] = json!("postal");
        body["documents"] = json!("not a list");
        let a = app.post("/api/v1/dossiers", Some(&t.officer), &body).expect_problem(422, "validation_failed");
        let f = fields(&a);
        assert!(f.contains(&("chanel".to_owned(), "unknown_field".to_owned())), "{f:?}");
        assert!(f.contains(&("documents".to_owned(), "invalid_value".to_owned())), "{f:?}");
        assert_eq!(count(app, &t.viewer), 0);
    }

    fn a_misspelt_query_parameter_is_refused_not_ignored(app: &TestApp) {
        province(app);
        let t = tokens(app);
        submit(app, &t);
        let a = app.get("/api/v1/dossiers?statuz=received&limit=5", Some(&t.viewer)).expect_problem(422, "validation_failed");
        assert_eq!(fields(&a), [("query.statuz".to_owned(), "unknown_parameter".to_owned())]);
        // The parameters the operation takes still work, public ones too.
        app.get("/api/v1/dossiers?status=received&limit=5", Some(&t.viewer)).expect(200);
        app.get("/api/v1/procedures?q=doanh", None).expect(200);
        app.get("/api/v1/procedures?qq=doanh", None).expect_problem(422, "validation_failed");
    }

    fn a_role_that_can_never_act_gets_403_before_validation(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // A viewer may never submit: 403, although the body is also invalid.
        let a = app.post("/api/v1/dossiers", Some(&t.viewer), &json!({"chanel": 1})).expect_problem(403, "forbidden");
        assert_eq!(a.body["missing_right"], "dossiers:submit");
        // A citizen may never receive, whatever the dossier (even one that does not exist).
        let a = app
            .post("/api/v1/dossiers/000.00.05.H56-260101-9999/receive", Some(&t.citizen), &json!({"nott": 1}))
            .expect_problem(403, "forbidden");
        assert_eq!(a.body["missing_right"], "dossiers:process");
        // And with an unknown query parameter too.
        let keeper = app.token(Role::AgencyAdmin, Some(DEPT));
        app.get("/api/v1/changes?aftr=0", Some(&keeper)).expect_problem(403, "forbidden");
        // Without a token: 401 comes first.
        app.get("/api/v1/changes?aftr=0", None).expect_problem(401, "missing_token");
    }

    fn every_invalid_field_of_a_procedure_comes_back_whatever_stage_finds_it(app: &TestApp) {
        province(app);
        let admin = app.token(Role::Admin, None);
        let fee = |code: &str| json!({"code": code, "description": "Lệ phí", "amount_vnd": 50000, "collected": "on_receipt"});
        let content = invalid_content(json!([fee("LP01"), fee("LP01")]));
        let a = app
            .post("/api/v1/procedures", Some(&admin), &json!({"code": "1.000001", "agency": DEPT, "content": content}))
            .expect_problem(422, "validation_failed");
        let f: Vec<String> = fields(&a).into_iter().map(|(field, _)| field).collect();
        // The shape (name), the edge (an agency code) and the domain rules (unique fee codes), together.
        for want in ["content.name", "content.implementing_agencies[0]", "content.fees[1].code"] {
            assert!(f.iter().any(|g| g == want), "{want} missing from {f:?}");
        }
        app.get("/api/v1/procedures/1.000001", None).expect_problem(404, "not_found");
    }

    fn every_invalid_field_of_a_submission_comes_back_at_once(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let mut body = submission("");
        body["channel"] = json!("online");
        body["applicant"]["id_number"] = json!("12345");
        body["procedure"] = json!("9.999999");
        body["documents"][0]["content_base64"] = json!("***");
        let a = app.post("/api/v1/dossiers", Some(&t.officer), &body).expect_problem(422, "validation_failed");
        let f: Vec<String> = fields(&a).into_iter().map(|(field, _)| field).collect();
        // The edge (channel, applicant), the references (procedure) and the
        // content (summary, documents), in one answer.
        for want in ["channel", "applicant.id_number", "procedure", "summary", "documents[0].content_base64"] {
            assert!(f.iter().any(|g| g == want), "{want} missing from {f:?}");
        }
        assert_eq!(count(app, &t.viewer), 0);
    }

    fn every_invalid_field_of_an_action_comes_back_at_once(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        let before = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body["version"].clone();
        // The command's own fields (items, reply deadline, note) together.
        let body = json!({"items": [], "reply_by": "2026-03-01T09:00:00+07:00", "note": "x".repeat(2001)});
        let a = act(app, &t.officer, &code, "request-supplement", body).expect_problem(422, "validation_failed");
        let f: Vec<String> = fields(&a).into_iter().map(|(field, _)| field).collect();
        assert_eq!(f, ["items", "note", "reply_by"]);
        // A hand-off's unknown agency and its past step deadline together.
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        let body = json!({"to_agency": "000.99.99.H56", "step_deadline": "2026-03-01T09:00:00+07:00"});
        let a = act(app, &t.officer, &code, "hand-off", body).expect_problem(422, "validation_failed");
        let f: Vec<String> = fields(&a).into_iter().map(|(field, _)| field).collect();
        assert_eq!(f, ["step_deadline", "to_agency"]);
        let after = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body;
        assert_eq!(after["status"], "received");
        assert_eq!(after["version"].as_i64(), before.as_i64().map(|v| v + 1), "only the reception changed it");
    }

    fn a_dossier_that_refuses_the_move_answers_before_the_body(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        let long = "x".repeat(2001);
        // Someone who may not see the dossier learns nothing from a bad body.
        act(app, &t.other_citizen, &code, "withdraw", json!({"reason": long})).expect_problem(404, "not_found");
        // A move the status does not allow is 409 whatever its body says.
        act(app, &t.approver, &code, "resolve", json!({"outcome": "denied"}))
            .expect_problem(409, "transition_not_allowed");
        // An allowed move with a bad body: the body's errors and the rule's, together.
        let body = json!({"reason": long, "new_date": "2026-03-01T09:00:00+07:00"});
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        let a = act(app, &t.approver, &code, "apologize", body).expect_problem(422, "validation_failed");
        assert_eq!(fields(&a), [("new_date".into(), "not_after_due".into()), ("reason".into(), "length".into())]);
        // A query whose own value is wrong never reaches the handler.
        let a = app.get("/api/v1/changes?limit=0&after=-1", Some(&t.integrator)).expect_problem(422, "validation_failed");
        assert_eq!(fields(&a), [("after".into(), "out_of_range".into()), ("limit".into(), "out_of_range".into())]);
        let after = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body;
        assert_eq!(after["status"], "received", "only the reception changed it");
    }

    fn a_refusal_of_the_resource_comes_before_the_body_everywhere(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.citizen, &code, "withdraw", json!({})).expect(200);
        // A withdrawn dossier takes no move: 409, whatever the body says.
        let payment = json!({"method": "cash", "amount_vnd": 1000, "reference": "x".repeat(101)});
        act(app, &t.officer, &code, "payments", payment).expect_problem(409, "transition_not_allowed");
        let hand_off = json!({"to_agency": "not-a-code", "note": "x".repeat(2001)});
        act(app, &t.officer, &code, "hand-off", hand_off).expect_problem(409, "transition_not_allowed");
        // Another agency's procedure: 403 however wrong its content.
        let keeper = app.token(Role::AgencyAdmin, Some(OTHER));
        let body = json!({"code": "1.000002", "agency": DEPT, "content": invalid_content(json!([]))});
        app.post("/api/v1/procedures", Some(&keeper), &body).expect_problem(403, "forbidden");
        // An agency path that names no agency: 404 whatever the body.
        let admin = app.token(Role::Admin, None);
        let update = json!({"name": "", "level": "department", "parent": null, "active": true});
        app.put("/api/v1/agencies/nope", Some(&admin), &update).expect_problem(404, "not_found");
        // An upload's name is judged with its bytes: both errors in one answer.
        let fresh = submit(app, &t);
        let a = app.send(
            app.request(
                reqwest::Method::POST,
                &format!("/api/v1/dossiers/{fresh}/documents?component_code=TP01&name=%20"),
            )
            .bearer_auth(&t.citizen)
            .header("content-type", "application/pdf")
            .body(Vec::<u8>::new()),
        );
        let a = a.expect_problem(422, "validation_failed");
        assert_eq!(fields(&a), [("body".into(), "empty".into()), ("name".into(), "length".into())]);
    }

    fn the_payment_platform_callback_keeps_its_own_field_set(app: &TestApp) {
        province(app);
        // A field the platform adds is not refused: the checksum decides
        // (a bad one is 400 invalid_signature, not 422 unknown_field).
        let body = json!({
            "LoaiBanTin": "PAY", "MaLoi": "00", "MaDoiTac": "DVC-DEMO", "MaThamChieu": "X", "SoTien": "1",
            "MaTienTe": "VND", "MaGiaoDich": "1", "MaNganHang": "B", "ThoiGianGD": "20260305090000",
            "ThongTinGiaoDich": "", "MaXacThuc": "0", "TruongMoi": "x"
        });
        let a = app.post("/api/v1/payments/callback", None, &body);
        assert_ne!(a.status, 422, "{}", a.text);
    }
}
