//! Dossier codes under concurrency, idempotency, who may see and act, and
//! bad input that must change nothing.

use std::collections::BTreeSet;
use std::sync::Arc;

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

fn version_of(app: &TestApp, code: &str, token: &str) -> i64 {
    app.get(&format!("/api/v1/dossiers/{code}"), Some(token)).expect(200).body["version"].as_i64().expect("version")
}

fn portal_push(external: &str) -> Value {
    json!({
        "external_code": external,
        "procedure": PROCEDURE,
        "agency": DEPT,
        "applicant": {"kind": "business", "id_number": "0100109106", "name": "Công ty Viettel"},
        "summary": "Hồ sơ từ Cổng DVCQG",
        "submitted_at": "2026-03-02T08:15:00+07:00"
    })
}

both_backends! {
    fn concurrent_submissions_on_two_servers_get_gap_free_codes(app: &TestApp) {
        province(app);
        app.set_now("2026-03-05T09:00:00+07:00");
        let second = Arc::new(app.second_instance());
        let t = tokens(app);
        let bases = [app.base.clone(), second.base.clone()];
        let citizen = t.citizen.clone();
        let handles: Vec<_> = (0..16)
            .map(|client| {
                let base = bases[client % 2].clone();
                let token = citizen.clone();
                std::thread::spawn(move || {
                    let http = reqwest::blocking::Client::new();
                    (0..200 / 16 + 1)
                        .filter(|i| client + 16 * i < 200)
                        .map(|_| {
                            let res = http.post(format!("{base}/api/v1/dossiers")).bearer_auth(&token).json(&submission("Đồng thời")).send().expect("sent");
                            assert_eq!(res.status().as_u16(), 201);
                            let body: Value = res.json().expect("json");
                            body["code"].as_str().expect("code").to_owned()
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        let codes: Vec<String> = handles.into_iter().flat_map(|h| h.join().expect("client")).collect();
        assert_eq!(codes.len(), 200);
        let distinct: BTreeSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), 200, "no code given twice");
        let expected: BTreeSet<String> = (1..=200).map(|n| format!("000.00.05.H56-260305-{n:04}")).collect();
        assert_eq!(codes.into_iter().collect::<BTreeSet<String>>(), expected, "numbered 0001–0200, no gaps");
    }

    fn the_same_portal_push_five_times_gives_one_dossier(app: &TestApp) {
        province(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let t = tokens(app);
        let first = app.post("/api/v1/integrations/national-portal/dossiers", Some(&t.integrator), &portal_push("G22-000123")).expect(201);
        let code = first.body["code"].as_str().expect("code").to_owned();
        assert_eq!(first.body["channel"], "national_portal");
        assert_eq!(first.body["external_code"], "G22-000123");
        assert_eq!(code, "000.00.05.H56-260302-0001", "coded by the portal's submission date");
        for _ in 0..4 {
            let again = app.post("/api/v1/integrations/national-portal/dossiers", Some(&t.integrator), &portal_push("G22-000123")).expect(200);
            assert_eq!(again.body["code"], code);
        }
        let all = app.get("/api/v1/dossiers", Some(&t.viewer)).expect(200).body;
        assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
        let mut received = portal_push("G22-000124");
        received["received_at"] = json!("2026-03-02T08:30:00+07:00");
        let r = app.post("/api/v1/integrations/national-portal/dossiers", Some(&t.integrator), &received).expect(201).body;
        assert_eq!(r["status"], "received");
        assert_eq!(r["due_at"], "2026-03-09T08:30:00+07:00");
        app.post("/api/v1/integrations/national-portal/dossiers", Some(&t.citizen), &portal_push("G22-9")).expect_problem(403, "forbidden");
    }

    fn an_idempotency_key_replays_the_first_answer(app: &TestApp) {
        province(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let t = tokens(app);
        let send = |key: &str, body: &Value| {
            app.send(app.request(reqwest::Method::POST, "/api/v1/dossiers").bearer_auth(&t.citizen).header("Idempotency-Key", key).json(body))
        };
        let first = send("k-1", &submission("Một lần")).expect(201);
        let replay = send("k-1", &submission("Một lần")).expect(201);
        assert_eq!(replay.body["code"], first.body["code"]);
        assert_eq!(replay.text, first.text, "the first answer, byte for byte");
        send("k-1", &submission("Khác")).expect_problem(422, "validation_failed");
        let other = send("k-2", &submission("Một lần")).expect(201);
        assert_ne!(other.body["code"], first.body["code"]);
        let mine = app.get("/api/v1/dossiers", Some(&t.citizen)).expect(200).body;
        assert_eq!(mine["items"].as_array().map(Vec::len), Some(2));
    }

    fn readers_who_may_not_see_a_dossier_get_404(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let path = format!("/api/v1/dossiers/{code}");
        app.get(&path, Some(&t.other_citizen)).expect_problem(404, "not_found");
        app.get(&path, Some(&t.other_officer)).expect_problem(404, "not_found");
        app.get(&format!("{path}/history"), Some(&t.other_officer)).expect_problem(404, "not_found");
        act(app, &t.other_citizen, &code, "withdraw", json!({})).expect_problem(404, "not_found");
        act(app, &t.other_officer, &code, "receive", json!({})).expect_problem(404, "not_found");
        act(app, &t.other_approver, &code, "refuse", json!({"reason": "x"})).expect_problem(404, "not_found");
        app.get("/api/v1/dossiers/000.00.05.H56-260302-9999", Some(&t.officer)).expect_problem(404, "not_found");
        app.get(&path, Some(&t.citizen)).expect(200);
        app.get(&path, Some(&t.viewer)).expect(200);
        app.get(&path, Some(&t.officer)).expect(200);
        let province_approver = app.token(Role::Approver, Some(PROVINCE));
        app.get(&path, Some(&province_approver)).expect(200);
        app.get(&path, Some(&t.unit_officer)).expect_problem(404, "not_found");
    }

    fn a_citizen_cannot_receive_or_resolve(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let a = act(app, &t.citizen, &code, "receive", json!({})).expect_problem(403, "forbidden");
        assert_eq!(a.body["missing_right"], "dossiers:process");
        let b = act(app, &t.citizen, &code, "resolve", json!({"outcome": "granted"})).expect_problem(403, "forbidden");
        assert_eq!(b.body["missing_right"], "dossiers:decide");
        act(app, &t.viewer, &code, "receive", json!({})).expect_problem(403, "forbidden");
        act(app, &t.officer, &code, "resolve", json!({"outcome": "granted"})).expect_problem(403, "forbidden");
        app.post("/api/v1/dossiers", Some(&t.viewer), &submission("x")).expect_problem(403, "forbidden");
        assert_eq!(version_of(app, &code, &t.citizen), 1, "nothing changed");
    }

    fn lists_are_scoped_and_filtered(app: &TestApp) {
        province(app);
        publish_procedure(app, "2.000636", OTHER, 15);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let a = submit(app, &t);
        app.set_now("2026-03-02T10:00:00+07:00");
        let b = submit(app, &t);
        let mut other = submission("Giấy phép bán buôn rượu");
        other["procedure"] = json!("2.000636");
        other["documents"] = json!([]);
        app.post("/api/v1/dossiers", Some(&t.other_citizen), &{ let mut o = other.clone(); o["applicant"]["id_number"] = json!(OTHER_CITIZEN); o }).expect(201);
        act(app, &t.officer, &a, "receive", json!({})).expect(200);
        let codes = |token: &str, q: &str| -> Vec<String> {
            app.get(&format!("/api/v1/dossiers{q}"), Some(token)).expect(200).body["items"].as_array().expect("items").iter()
                .map(|d| d["code"].as_str().expect("code").to_owned()).collect()
        };
        assert_eq!(codes(&t.citizen, ""), vec![b.clone(), a.clone()], "newest first, own only");
        assert_eq!(codes(&t.officer, ""), vec![b.clone(), a.clone()], "the department's");
        assert_eq!(codes(&t.other_officer, "").len(), 1);
        assert_eq!(codes(&t.viewer, "").len(), 3);
        assert_eq!(codes(&t.viewer, "?status=received"), vec![a.clone()]);
        assert_eq!(codes(&t.viewer, &format!("?agency={PROVINCE}")).len(), 3, "an agency with its sub-units");
        assert_eq!(codes(&t.viewer, "?procedure=2.000636").len(), 1);
        assert_eq!(codes(&t.viewer, &format!("?applicant_id={CITIZEN}")).len(), 2);
        assert_eq!(codes(&t.viewer, "?timeliness=within_deadline"), vec![a.clone()]);
        assert_eq!(codes(&t.viewer, "?overdue=true"), Vec::<String>::new());
        app.set_now("2026-03-20T09:00:00+07:00");
        assert_eq!(codes(&t.viewer, "?overdue=true"), vec![a.clone()]);
        let page = app.get("/api/v1/dossiers?limit=2", Some(&t.viewer)).expect(200).body;
        let next = page["next_cursor"].as_str().expect("next page").to_owned();
        assert_eq!(codes(&t.viewer, &format!("?limit=2&cursor={next}")), vec![a]);
        app.get("/api/v1/dossiers?status=lost", Some(&t.viewer)).expect_problem(400, "invalid_query");
        app.get("/api/v1/dossiers", None).expect_problem(401, "missing_token");
    }

    fn bad_submissions_are_refused_and_create_nothing(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let field = |body: Value| -> String {
            let a = app.post("/api/v1/dossiers", Some(&t.citizen), &body).expect_problem(422, "validation_failed");
            a.body["errors"][0]["field"].as_str().unwrap_or_default().to_owned()
        };
        let mut unknown = submission("x");
        unknown["procedure"] = json!("9.999999");
        assert_eq!(field(unknown), "procedure");
        let mut bad_tax = submission("x");
        bad_tax["applicant"] = json!({"kind": "business", "id_number": "0100109107", "name": "Công ty"});
        assert_eq!(field(bad_tax), "applicant.id_number");
        let mut bad_cccd = submission("x");
        bad_cccd["applicant"]["id_number"] = json!("12345");
        assert_eq!(field(bad_cccd), "applicant.id_number");
        let mut bad_doc = submission("x");
        bad_doc["documents"][0]["content_base64"] = json!("%%%not base64");
        assert_eq!(field(bad_doc), "documents[0].content_base64");
        let mut bad_component = submission("x");
        bad_component["documents"][0]["component_code"] = json!("TP99");
        assert_eq!(field(bad_component), "documents[0].component_code");
        let mut wrong_agency = submission("x");
        wrong_agency["agency"] = json!(OTHER);
        assert_eq!(field(wrong_agency), "agency");
        app.post_raw("/api/v1/dossiers", Some(&t.citizen), "application/json", b"{\"procedure\": ".to_vec()).expect_problem(400, "malformed_json");
        // A retired procedure takes no new dossiers.
        let admin = app.token(Role::Admin, None);
        app.set_now("2026-03-02T09:00:00+07:00");
        app.post(&format!("/api/v1/procedures/{PROCEDURE}/versions/1/retire"), Some(&admin), &json!({"effective_to": "2026-03-01"})).expect(200);
        let a = app.post("/api/v1/dossiers", Some(&t.citizen), &submission("x")).expect_problem(422, "validation_failed");
        assert_eq!(a.body["errors"][0]["code"], "procedure_not_in_force");
        assert_eq!(app.get("/api/v1/dossiers", Some(&t.viewer)).expect(200).body["items"], json!([]));
    }

    fn an_invalid_action_gets_422_before_its_if_match_is_judged(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let answer = app.send(app.request(reqwest::Method::POST, &format!("/api/v1/dossiers/{code}/refuse")).bearer_auth(&t.officer).header("If-Match", "\"7\"").json(&json!({"reason": " "})));
        answer.expect_problem(422, "validation_failed");
    }

    fn bad_actions_get_4xx_and_leave_the_dossier_unchanged(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        act(app, &t.officer, &code, "refuse", json!({})).expect_problem(422, "validation_failed");
        act(app, &t.officer, &code, "refuse", json!({"reason": ""})).expect_problem(422, "validation_failed");
        act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect_problem(409, "transition_not_allowed");
        act(app, &t.officer, &code, "request-supplement", json!({"items": [], "reply_by": "2030-01-01T00:00:00+07:00"})).expect_problem(422, "validation_failed");
        app.post_raw(&format!("/api/v1/dossiers/{code}/receive"), Some(&t.officer), "application/json", b"{oops".to_vec()).expect_problem(400, "malformed_json");
        assert_eq!(version_of(app, &code, &t.officer), 1);
        let stale = app.send(app.request(reqwest::Method::POST, &format!("/api/v1/dossiers/{code}/receive")).bearer_auth(&t.officer).header("If-Match", "\"7\"").json(&json!({})));
        stale.expect_problem(412, "precondition_failed");
        assert_eq!(version_of(app, &code, &t.officer), 1);
        let garbage = app.send(app.request(reqwest::Method::POST, &format!("/api/v1/dossiers/{code}/receive")).bearer_auth(&t.officer).header("If-Match", "null").json(&json!({})));
        garbage.expect_problem(412, "precondition_failed");
        let unknown = app.send(app.request(reqwest::Method::POST, "/api/v1/dossiers/000.00.05.H56-260302-0999/receive").bearer_auth(&t.officer).header("If-Match", "\"1\"").json(&json!({})));
        unknown.expect_problem(404, "not_found");
        let fresh = app.send(app.request(reqwest::Method::POST, &format!("/api/v1/dossiers/{code}/receive")).bearer_auth(&t.officer).header("If-Match", "\"1\"").json(&json!({})));
        assert_eq!(fresh.expect(200).header("etag"), Some("\"2\""));
    }

    fn two_concurrent_conflicting_actions_exactly_one_wins(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let second = app.second_instance();
        for _ in 0..5 {
            let code = submit(app, &t);
            let (a, b) = std::thread::scope(|s| {
                let one = s.spawn(|| act(app, &t.officer, &code, "receive", json!({})).status);
                let two = s.spawn(|| act(&second, &t.officer, &code, "refuse", json!({"reason": "Sai thẩm quyền"})).status);
                (one.join().expect("one"), two.join().expect("two"))
            });
            let mut statuses = [a, b];
            statuses.sort();
            assert_eq!(statuses, [200, 409], "exactly one wins");
            let history = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.officer)).expect(200).body;
            assert_eq!(history["items"].as_array().map(Vec::len), Some(2));
        }
    }

    fn documents_upload_dedupe_download_and_size_limit(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let upload = |token: &str, bytes: Vec<u8>| {
            app.send(app.request(reqwest::Method::POST, &format!("/api/v1/dossiers/{code}/documents?component_code=TP02&name=scan.png&digitised=true")).bearer_auth(token).header("content-type", "image/png").body(bytes))
        };
        let doc = upload(&t.citizen, b"\x89PNG same bytes".to_vec()).expect(201).body;
        let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(b"\x89PNG same bytes"));
        assert_eq!(doc["sha256"], digest.as_str());
        assert_eq!(doc["digitised"], true);
        assert_eq!(doc["size"], 15);
        let again = upload(&t.officer, b"\x89PNG same bytes".to_vec()).expect(201).body;
        assert_eq!(again["sha256"], doc["sha256"], "same content, same digest");
        let id = doc["id"].as_str().expect("id");
        let got = app.request(reqwest::Method::GET, &format!("/api/v1/dossiers/{code}/documents/{id}")).bearer_auth(&t.citizen).send().expect("sent");
        assert_eq!(got.status().as_u16(), 200);
        assert_eq!(got.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
        assert_eq!(got.bytes().expect("bytes").as_ref(), b"\x89PNG same bytes");
        app.get(&format!("/api/v1/dossiers/{code}/documents/{id}"), Some(&t.other_citizen)).expect_problem(404, "not_found");
        upload(&t.other_citizen, b"x".to_vec()).expect_problem(404, "not_found");
        let before = version_of(app, &code, &t.citizen);
        upload(&t.citizen, vec![7u8; (10 << 20) + 1]).expect_problem(413, "payload_too_large");
        assert_eq!(version_of(app, &code, &t.citizen), before, "an oversized document changes nothing");
    }
}
