//! Who submitted is not who applies (docs/RULES.md §1: a citizen submits their own
//! dossiers): a citizen files for themself, or for someone else as their
//! representative with an authorisation (giấy ủy quyền) attached; the
//! submitter is recorded apart from the applicant and both see the dossier.

use dvc_domain::auth::Role;
use dvc_tests::both_backends;
use dvc_tests::fixtures::*;
use serde_json::{json, Value};

/// A citizen who is neither the applicant nor the representative.
const THIRD_CITIZEN: &str = "031095007777";

fn authorisation() -> Value {
    json!({"authorisation": {"name": "giay-uy-quyen.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQKJSB1eSBxdXllbg=="}})
}

/// The fixture's submission (applicant: CITIZEN) filed by the other citizen as representative.
fn for_citizen_by_representative() -> Value {
    let mut s = submission("Nộp thay theo giấy ủy quyền");
    s["representative"] = authorisation();
    s
}

fn codes(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(|d| d["code"].as_str().expect("code").to_owned()).collect()
}

both_backends! {
    fn a_citizen_cannot_file_under_another_persons_id(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // The other citizen names CITIZEN as the applicant, with no authorisation.
        let refused = app.post("/api/v1/dossiers", Some(&t.other_citizen), &submission("Nộp dưới tên người khác")).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], "applicant_not_submitter", "{}", refused.text);
        assert_eq!(refused.body["errors"][0]["field"], "applicant.id_number");
        // Nothing was filed: the person named sees nothing to withdraw.
        assert_eq!(app.get("/api/v1/dossiers", Some(&t.citizen)).expect(200).body["items"], json!([]));
        assert_eq!(app.get("/api/v1/dossiers", Some(&t.viewer)).expect(200).body["items"], json!([]));
        // A business is not the citizen either: filing for it needs an authorisation.
        let mut business = submission("Đăng ký cho công ty");
        business["applicant"] = json!({"kind": "business", "id_number": "0100109106", "name": "Công ty Viettel"});
        let refused = app.post("/api/v1/dossiers", Some(&t.citizen), &business).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], "applicant_not_submitter");
        business["representative"] = authorisation();
        app.post("/api/v1/dossiers", Some(&t.citizen), &business).expect(201);
    }

    fn a_citizen_filing_for_themself_is_recorded_as_the_submitter_and_needs_no_authorisation(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let d = app.post("/api/v1/dossiers", Some(&t.citizen), &submission("Tự nộp")).expect(201).body;
        assert_eq!(d["submitted_by"], json!({"id_number": CITIZEN, "name": "Người kiểm thử", "representative": false}));
        let mut own_with_authorisation = submission("Tự nộp kèm ủy quyền");
        own_with_authorisation["representative"] = authorisation();
        let refused = app.post("/api/v1/dossiers", Some(&t.citizen), &own_with_authorisation).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], "representative_of_self");
        // At the desk, staff register for anyone; no submitter is recorded.
        let mut desk = submission("Nộp tại bộ phận một cửa");
        desk["applicant"]["id_number"] = json!(THIRD_CITIZEN);
        let d = app.post("/api/v1/dossiers", Some(&t.officer), &desk).expect(201).body;
        assert_eq!(d["submitted_by"], Value::Null);
    }

    fn a_representative_files_with_an_authorisation_and_both_see_and_act(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let d = app.post("/api/v1/dossiers", Some(&t.other_citizen), &for_citizen_by_representative()).expect(201).body;
        let code = d["code"].as_str().expect("code").to_owned();
        assert_eq!(d["applicant"]["id_number"], CITIZEN);
        assert_eq!(d["submitted_by"], json!({"id_number": OTHER_CITIZEN, "name": "Người kiểm thử", "representative": true}));
        let authorisations: Vec<&Value> = d["documents"].as_array().expect("documents").iter().filter(|doc| doc["kind"] == "authorisation").collect();
        assert_eq!(authorisations.len(), 1, "{}", d["documents"]);
        assert_eq!(authorisations[0]["component_code"], "giay_uy_quyen");
        // Both the applicant and the representative read it and find it in their lists; a third citizen does not.
        app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200);
        app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.other_citizen)).expect(200);
        assert_eq!(codes(&app.get("/api/v1/dossiers", Some(&t.citizen)).expect(200).body), vec![code.clone()]);
        assert_eq!(codes(&app.get("/api/v1/dossiers", Some(&t.other_citizen)).expect(200).body), vec![code.clone()]);
        let third = app.token_for(Role::Citizen, THIRD_CITIZEN, None);
        app.get(&format!("/api/v1/dossiers/{code}"), Some(&third)).expect_problem(404, "not_found");
        assert_eq!(app.get("/api/v1/dossiers", Some(&third)).expect(200).body["items"], json!([]));
        act(app, &third, &code, "withdraw", json!({})).expect_problem(404, "not_found");
        // The representative acts for the applicant.
        let withdrawn = act(app, &t.other_citizen, &code, "withdraw", json!({"reason": "Người ủy quyền đổi ý"})).expect(200).body;
        assert_eq!(withdrawn["status"], "withdrawn");
    }

    fn a_national_portal_push_records_the_submitter_it_names(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let push = |external: &str, submitter: Value| {
            let mut body = json!({
                "external_code": external,
                "procedure": PROCEDURE,
                "agency": DEPT,
                "applicant": {"kind": "business", "id_number": "0100109106", "name": "Công ty Viettel"},
                "summary": "Hồ sơ từ Cổng DVCQG",
                "submitted_at": "2026-03-02T08:15:00+07:00"
            });
            if !submitter.is_null() {
                body["submitter"] = submitter;
            }
            app.post("/api/v1/integrations/national-portal/dossiers", Some(&t.integrator), &body)
        };
        let d = push("G22-R1", json!({"id_number": OTHER_CITIZEN, "name": "Trần Thị Bình"})).expect(201).body;
        assert_eq!(d["submitted_by"], json!({"id_number": OTHER_CITIZEN, "name": "Trần Thị Bình", "representative": true}));
        let code = d["code"].as_str().expect("code");
        app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.other_citizen)).expect(200);
        app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect_problem(404, "not_found");
        // Without a submitter the push behaves as before.
        assert_eq!(push("G22-R2", Value::Null).expect(201).body["submitted_by"], Value::Null);
        let bad = push("G22-R3", json!({"id_number": "12345", "name": "X"})).expect_problem(422, "validation_failed");
        assert_eq!(bad.body["errors"][0]["field"], "submitter.id_number");
    }
}
