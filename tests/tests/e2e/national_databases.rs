//! The national databases where the law uses them (docs/RULES.md §11), end
//! to end against the simulator as a real server: the applicant verified at
//! submission, a mismatch refused or accepted with a reason, a database down
//! at submission and back later (the dossier ends verified), documents
//! reused from the citizen's data store, staff pre-filling from an ID
//! number, and the append-only, tamper-evident audit log of every look-up.

use std::time::{Duration, Instant};

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::registry_sim::{Mode, RegistrySim, DATA_STORE, POPULATION};
use dvc_tests::{both_backends, Backend, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ENTERPRISE: &str = "0100109106";

fn with_sim(backend: Backend, sim: &RegistrySim, extra: &[&str]) -> TestApp {
    let mut args = vec![
        "--population-url",
        &sim.url,
        "--business-registry-url",
        &sim.url,
        "--data-store-url",
        &sim.url,
        "--lgsp-token",
        "lgsp-secret",
        "--registry-timeout-ms",
        "300",
        "--registry-cache-secs",
        "0",
        "--sync-poll-ms",
        "50",
        "--registry-breaker-pause-secs",
        "1",
    ];
    args.extend_from_slice(extra);
    let app = TestApp::spawn_with(backend, &args);
    province(&app);
    app
}

fn known(sim: &RegistrySim) {
    sim.citizen(CITIZEN, "Nguyễn Văn An", "1999-04-12", "Phường Phú Cường, Thủ Dầu Một, Bình Dương");
    sim.enterprise(ENTERPRISE, "Công ty Viettel", "Tào Đức Thắng", "active");
}

fn with_birthday(mut s: Value, date: &str) -> Value {
    s["applicant"]["date_of_birth"] = json!(date);
    s
}

fn lookups(app: &TestApp, query: &str) -> Vec<Value> {
    let admin = app.token(Role::Admin, None);
    let got = app.get(&format!("/api/v1/national-databases/lookups{query}"), Some(&admin)).expect(200).body;
    got["items"].as_array().expect("items").clone()
}

fn dossier_count(app: &TestApp) -> usize {
    let admin = app.token(Role::Admin, None);
    app.get("/api/v1/dossiers", Some(&admin)).expect(200).body["items"].as_array().expect("items").len()
}

fn sql(app: &TestApp, statement: &str) {
    let mut conn = app.db.connect();
    diesel::RunQueryDsl::execute(diesel::sql_query(statement), &mut conn).expect("statement");
}

both_backends! {
    fn an_applicant_the_population_database_knows_is_verified_and_the_look_up_is_logged(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        let app = with_sim(backend, &sim, &[]);
        let t = tokens(&app);
        let d = app
            .post("/api/v1/dossiers", Some(&t.citizen), &with_birthday(submission("Hộ kinh doanh An Phát"), "1999-04-12"))
            .expect(201)
            .body;
        let code = d["code"].as_str().expect("code");
        assert_eq!(d["applicant_check"]["state"], "verified", "{d}");
        assert_eq!(d["applicant_check"]["registry"], "population");
        assert_eq!(sim.asked(POPULATION), 1);
        assert!(sim.headers().iter().all(|(v, a)| v.as_deref() == Some("1") && a.as_deref() == Some("Bearer lgsp-secret")));
        // The audit log: who, whose number, which database, which dossier, why.
        let log = lookups(&app, "");
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0]["actor_id"], CITIZEN);
        assert_eq!(log[0]["registry"], "population");
        assert_eq!(log[0]["subject"], CITIZEN);
        assert_eq!(log[0]["dossier_code"], code);
        assert_eq!(log[0]["outcome"], "verified");
        assert!(log[0]["purpose"].as_str().expect("purpose").contains("applicant"));
        // Read back, the dossier shows its check.
        let read = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body;
        assert_eq!(read["applicant_check"]["state"], "verified");
        // A business applicant is checked against the business registration database.
        let mut s = submission("Đăng ký thay đổi");
        s["applicant"] = json!({"kind": "business", "id_number": ENTERPRISE, "name": "CÔNG TY VIETTEL"});
        let d = app.post("/api/v1/dossiers", Some(&t.officer), &s).expect(201).body;
        assert_eq!(d["applicant_check"]["registry"], "business");
        assert_eq!(d["applicant_check"]["state"], "verified");
    }

    fn a_mismatch_is_refused_with_what_differs_and_staff_accept_it_only_with_a_reason(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        let app = with_sim(backend, &sim, &[]);
        let t = tokens(&app);
        // Online, a citizen sees which fields differ, not what the database holds.
        let mut s = with_birthday(submission("Hộ kinh doanh An Phát"), "1999-04-13");
        s["applicant"]["name"] = json!("Nguyen Van An");
        let p = app.post("/api/v1/dossiers", Some(&t.citizen), &s).expect_problem(422, "validation_failed").body;
        let fields: Vec<(&str, &str)> = p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| (e["field"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(fields, [("applicant.name", "applicant_mismatch"), ("applicant.date_of_birth", "applicant_mismatch")]);
        assert!(!p.to_string().contains("1999-04-12"), "a citizen is not told the record: {p}");
        assert_eq!(dossier_count(&app), 0);
        // A citizen cannot accept it themself.
        s["check_override"] = json!({"reason": "Tôi chắc chắn"});
        let p = app.post("/api/v1/dossiers", Some(&t.citizen), &s).expect(422).body;
        assert!(p["errors"].as_array().expect("errors").iter().any(|e| e["field"] == "check_override"), "{p}");
        // At the desk the officer sees what differs, and may accept it with a reason.
        s.as_object_mut().expect("object").remove("check_override");
        let p = app.post("/api/v1/dossiers", Some(&t.officer), &s).expect(422).body;
        assert!(p.to_string().contains("Nguyễn Văn An"), "staff are told the record: {p}");
        s["check_override"] = json!({"reason": "   "});
        app.post("/api/v1/dossiers", Some(&t.officer), &s).expect(422);
        assert_eq!(dossier_count(&app), 0);
        s["check_override"] = json!({"reason": "Giấy khai sinh bản gốc ghi ngày 13/4; CSDL dân cư sẽ được điều chỉnh"});
        let d = app.post("/api/v1/dossiers", Some(&t.officer), &s).expect(201).body;
        let check = &d["applicant_check"];
        assert_eq!(check["state"], "overridden", "{d}");
        assert_eq!(check["decided_by"], "officer.dept");
        assert!(check["reason"].as_str().expect("reason").contains("Giấy khai sinh"));
        assert_eq!(check["differences"].as_array().expect("differences").len(), 2);
        // What is stored on the dossier, which its applicant reads, holds not the record.
        assert!(!check.to_string().contains("1999-04-12"), "{check}");
        assert!(!check.to_string().contains("Nguyễn Văn An"), "{check}");
        // Every refused attempt was a look-up too, and is in the log.
        let log = lookups(&app, &format!("?subject={CITIZEN}"));
        assert_eq!(log.len(), 3, "only the complete submissions were looked up: {log:?}");
        assert!(log.iter().all(|l| l["outcome"] == "mismatch"));
        // A person the database does not know: refused, unless accepted.
        let mut s = submission("Hộ kinh doanh");
        s["applicant"]["id_number"] = json!(OTHER_CITIZEN);
        let p = app.post("/api/v1/dossiers", Some(&t.officer), &s).expect(422).body;
        assert_eq!(p["errors"][0]["code"], "applicant_not_found", "{p}");
        s["check_override"] = json!({"reason": "Công dân mới cấp CCCD, chưa đồng bộ"});
        let d = app.post("/api/v1/dossiers", Some(&t.officer), &s).expect(201).body;
        assert_eq!(d["applicant_check"]["state"], "not_found");
    }

    fn a_database_down_at_submission_leaves_the_check_pending_and_the_dossier_ends_verified(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        sim.set_mode(Mode::Down);
        let app = with_sim(backend, &sim, &["--registry-breaker-failures", "2"]);
        let t = tokens(&app);
        let breakers = || app.get("/health/ready", None).expect(200).body["national_databases"].clone();
        assert_eq!(breakers()[0], json!({"database": "population", "breaker": "closed"}));
        let started = Instant::now();
        let d = app
            .post("/api/v1/dossiers", Some(&t.citizen), &with_birthday(submission("Hộ kinh doanh"), "1999-04-12"))
            .expect(201)
            .body;
        assert!(started.elapsed() < Duration::from_secs(5), "bounded: {:?}", started.elapsed());
        let code = d["code"].as_str().expect("code").to_owned();
        assert_eq!(d["applicant_check"]["state"], "pending", "{d}");
        assert!(d["applicant_check"]["last_error"].as_str().expect("why").contains("503"));
        assert!(d["applicant_check"]["next_attempt_at"].is_string());
        // The worker keeps asking while it is down, and nothing is lost.
        app.clock.set(app.clock.now() + chrono::Duration::seconds(10));
        let until = Instant::now() + Duration::from_secs(10);
        while sim.asked(POPULATION) < 4 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        let read = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body;
        assert_eq!(read["applicant_check"]["state"], "pending");
        // Two failed requests in a row: the breaker is open, readiness says so.
        assert_eq!(breakers()[0]["breaker"], "open", "{}", breakers());
        // Back: the next round verifies it.
        sim.set_mode(Mode::Up);
        app.clock.set(app.clock.now() + chrono::Duration::hours(2));
        let until = Instant::now() + Duration::from_secs(20);
        let mut read = Value::Null;
        while Instant::now() < until {
            read = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body;
            if read["applicant_check"]["state"] == "verified" {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(read["applicant_check"]["state"], "verified", "{read}");
        assert!(read["applicant_check"]["attempts"].as_i64().expect("attempts") >= 1);
        assert_eq!(read["applicant_check"]["next_attempt_at"], Value::Null);
        assert_eq!(breakers()[0]["breaker"], "closed");
        // The log shows the failures and the answer, in order, chained.
        let log = lookups(&app, &format!("?dossier_code={code}"));
        assert_eq!(log[0]["outcome"], "verified", "{log:?}");
        assert_eq!(log[0]["actor_id"], "dvc:applicant-checks");
        assert!(log[1..].iter().all(|l| l["outcome"] == "unavailable"), "{log:?}");
        let admin = app.token(Role::Admin, None);
        assert_eq!(app.get("/api/v1/integrity/lookups", Some(&admin)).expect(200).body["intact"], true);
    }

    fn a_slow_database_holds_a_submission_only_for_a_bounded_time(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        sim.set_mode(Mode::Slow(Duration::from_secs(10)));
        let app = with_sim(backend, &sim, &["--registry-retries", "1"]);
        let t = tokens(&app);
        let started = Instant::now();
        let d = app.post("/api/v1/dossiers", Some(&t.citizen), &submission("Hộ kinh doanh")).expect(201).body;
        let took = started.elapsed();
        // Two attempts of 300 ms and a wait of at most 150 ms between them,
        // with room for a loaded machine; far from the 10 s answer.
        assert!(took < Duration::from_millis(3000), "took {took:?}");
        assert_eq!(d["applicant_check"]["state"], "pending");
        assert!(d["applicant_check"]["last_error"].as_str().expect("why").contains("no answer within 300 ms"));
    }

    fn a_portal_push_is_taken_and_shows_a_disagreement_for_staff_to_settle(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        let app = with_sim(backend, &sim, &[]);
        let t = tokens(&app);
        let mut s = submission("Hộ kinh doanh");
        s["applicant"]["name"] = json!("Nguyễn Văn Ân");
        s["external_code"] = json!("G22.99-260302-0001");
        s["submitted_at"] = json!(app.clock.now().to_rfc3339());
        let d = app.post("/api/v1/integrations/national-portal/dossiers", Some(&t.integrator), &s).expect(201).body;
        assert_eq!(d["applicant_check"]["state"], "mismatch", "{d}");
        assert_eq!(d["applicant_check"]["differences"][0]["field"], "name");
    }

    fn a_document_reused_from_the_data_store_is_stored_by_its_hash_with_its_source(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        let content = b"%PDF-1.4 giay khai sinh so 123";
        sim.document("KQ.G22-2025-000123", CITIZEN, "giay-khai-sinh.pdf", "application/pdf", content);
        let app = with_sim(backend, &sim, &[]);
        let t = tokens(&app);
        let mut s = with_birthday(submission("Hộ kinh doanh"), "1999-04-12");
        s["documents"][1] = json!({"component_code": "TP02", "data_store_code": "KQ.G22-2025-000123"});
        let d = app.post("/api/v1/dossiers", Some(&t.citizen), &s).expect(201).body;
        let code = d["code"].as_str().expect("code");
        let reused = d["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .find(|x| x["component_code"] == "TP02")
            .expect("TP02")
            .clone();
        assert_eq!(reused["reused"], true, "{reused}");
        assert_eq!(reused["source"], "data_store:KQ.G22-2025-000123");
        assert_eq!(reused["name"], "giay-khai-sinh.pdf");
        assert_eq!(reused["sha256"], Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect::<String>());
        let id = reused["id"].as_str().expect("id");
        let got = app.send(
            app.request(reqwest::Method::GET, &format!("/api/v1/dossiers/{code}/documents/{id}")).bearer_auth(&t.citizen),
        );
        assert_eq!(got.status, 200);
        assert_eq!(got.text.as_bytes(), content);
        assert_eq!(sim.asked(DATA_STORE), 1);
        let log = lookups(&app, "?registry=data_store");
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["outcome"], "found");
        assert_eq!(log[0]["dossier_code"], code);
        // Ticking `reused` on an upload is refused; a code the store does not
        // hold for this citizen, or content and code together, too.
        let mut s2 = s.clone();
        s2["documents"][0]["reused"] = json!(true);
        let p = app.post("/api/v1/dossiers", Some(&t.citizen), &s2).expect(422).body;
        assert_eq!(p["errors"][0]["code"], "reused_without_source", "{p}");
        let mut s3 = s.clone();
        s3["documents"][1]["data_store_code"] = json!("KQ.G22-2025-999999");
        let p = app.post("/api/v1/dossiers", Some(&t.citizen), &s3).expect(422).body;
        assert_eq!(p["errors"][0]["code"], "not_in_data_store", "{p}");
        let mut s4 = s.clone();
        s4["documents"][1]["content_base64"] = json!("JVBERi0=");
        app.post("/api/v1/dossiers", Some(&t.citizen), &s4).expect(422);
        // Online, a representative does not read another person's data store:
        // refused before the store is asked.
        let asked = sim.asked(DATA_STORE);
        let mut s5 = s.clone();
        s5["applicant"]["id_number"] = json!(OTHER_CITIZEN);
        s5["representative"] = json!({"authorisation": {"name": "uy-quyen.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}});
        let p = app.post("/api/v1/dossiers", Some(&t.citizen), &s5).expect(422).body;
        assert_eq!(p["errors"][0]["field"], "documents[1].data_store_code", "{p}");
        assert_eq!(p["errors"][0]["code"], "data_store_not_yours", "{p}");
        // Nor is it asked for a body refused anyway (a malformed code).
        let mut s6 = s.clone();
        s6["documents"][0] = json!({"component_code": "TP01", "data_store_code": "có dấu"});
        let p = app.post("/api/v1/dossiers", Some(&t.citizen), &s6).expect(422).body;
        assert!(p.to_string().contains("invalid_data_store_code"), "{p}");
        assert_eq!(sim.asked(DATA_STORE), asked);
        assert_eq!(dossier_count(&app), 1);
        // The figures count it as reused, and only it: an upload is not.
        let uploaded = app
            .post("/api/v1/dossiers", Some(&t.citizen), &with_birthday(submission("Hộ kinh doanh"), "1999-04-12"))
            .expect(201)
            .body;
        for c in [code, uploaded["code"].as_str().expect("code")] {
            act(&app, &t.officer, c, "receive", json!({})).expect(200);
        }
        let admin = app.token(Role::Admin, None);
        let today = app.clock.now().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7")).date_naive();
        let f = app
            .get(&format!("/api/v1/reports/summary?from={today}&to={today}"), Some(&admin))
            .expect(200)
            .body;
        assert_eq!(f["total"]["counts"]["reused"], 1, "{f}");
        assert_eq!(f["total"]["rates"]["reused"]["numerator"], 1, "{f}");
        assert_eq!(f["total"]["rates"]["reused"]["denominator"], 2, "{f}");
        let drill = app
            .get(&format!("/api/v1/reports/dossiers?from={today}&to={today}&metric=reused"), Some(&admin))
            .expect(200)
            .body;
        assert_eq!(drill["count"], 1, "{drill}");
        assert_eq!(drill["codes"], json!([code]));
    }

    fn staff_pre_fill_from_an_id_number_and_every_look_up_is_logged_for_admins_only(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        let app = with_sim(backend, &sim, &[]);
        let t = tokens(&app);
        let purpose = "Điền sẵn hồ sơ tiếp nhận trực tiếp";
        let c = app
            .post(
                "/api/v1/national-databases/population/lookups",
                Some(&t.officer),
                &json!({"id_number": CITIZEN, "purpose": purpose}),
            )
            .expect(200)
            .body;
        assert_eq!(c["full_name"], "Nguyễn Văn An");
        assert_eq!(c["date_of_birth"], "1999-04-12");
        assert_eq!(c["permanent_address"], "Phường Phú Cường, Thủ Dầu Một, Bình Dương");
        let e = app
            .post(
                "/api/v1/national-databases/business/lookups",
                Some(&t.approver),
                &json!({"code": ENTERPRISE, "purpose": purpose}),
            )
            .expect(200)
            .body;
        assert_eq!(e["status"], "active");
        assert_eq!(e["legal_representative"], "Tào Đức Thắng");
        app.post(
            "/api/v1/national-databases/population/lookups",
            Some(&t.officer),
            &json!({"id_number": OTHER_CITIZEN, "purpose": purpose}),
        )
        .expect_problem(404, "not_in_registry");
        // Bad input: named, nothing asked, nothing logged.
        let asked = sim.asked(POPULATION);
        let p = app
            .post(
                "/api/v1/national-databases/population/lookups",
                Some(&t.officer),
                &json!({"id_number": "12345", "purpose": ""}),
            )
            .expect(422)
            .body;
        assert_eq!(p["errors"].as_array().expect("errors").len(), 2, "{p}");
        assert_eq!(sim.asked(POPULATION), asked);
        // A citizen, a viewer or an integrator cannot look anyone up.
        for token in [&t.citizen, &t.viewer, &t.integrator] {
            app.post(
                "/api/v1/national-databases/population/lookups",
                Some(token),
                &json!({"id_number": CITIZEN, "purpose": purpose}),
            )
            .expect_problem(403, "forbidden");
        }
        // A database down: 503, bounded.
        sim.set_mode(Mode::Down);
        app.post(
            "/api/v1/national-databases/population/lookups",
            Some(&t.officer),
            &json!({"id_number": CITIZEN, "purpose": purpose}),
        )
        .expect_problem(503, "registry_unavailable");
        // The log: admins only, filtered, newest first.
        for token in [&t.officer, &t.approver, &t.viewer, &t.citizen, &app.token(Role::AgencyAdmin, Some(DEPT))] {
            app.get("/api/v1/national-databases/lookups", Some(token)).expect_problem(403, "forbidden");
            app.get("/api/v1/integrity/lookups", Some(token)).expect_problem(403, "forbidden");
        }
        app.get("/api/v1/national-databases/lookups", None).expect(401);
        let log = lookups(&app, "");
        assert_eq!(log.len(), 4, "{log:?}");
        let outcomes: Vec<&str> = log.iter().map(|l| l["outcome"].as_str().unwrap_or("")).collect();
        assert_eq!(outcomes, ["unavailable", "not_found", "found", "found"]);
        assert!(log.iter().all(|l| l["purpose"] == purpose));
        assert_eq!(lookups(&app, "?registry=business").len(), 1);
        assert_eq!(lookups(&app, "?actor=officer.dept").len(), 3);
        assert_eq!(lookups(&app, &format!("?subject={OTHER_CITIZEN}")).len(), 1);
        let page = lookups(&app, "?limit=2");
        assert_eq!(page.len(), 2);
        let older = lookups(&app, &format!("?limit=2&before={}", page[1]["seq"]));
        assert_eq!(older.len(), 2);
        assert!(older[0]["seq"].as_i64() < page[1]["seq"].as_i64());
        // Nobody edits it through the API.
        let admin = app.token(Role::Admin, None);
        let seq = log[0]["seq"].as_i64().expect("seq");
        for method in [reqwest::Method::PUT, reqwest::Method::PATCH, reqwest::Method::DELETE] {
            let got = app.send(
                app.request(method, &format!("/api/v1/national-databases/lookups/{seq}")).bearer_auth(&admin).json(&json!({})),
            );
            assert!(got.status == 404 || got.status == 405, "{}", got.status);
        }
        app.get("/api/v1/national-databases/lookups?sort=asc", Some(&admin)).expect_problem(422, "validation_failed");
    }

    fn a_rewritten_or_removed_look_up_breaks_the_audit_chain_where_it_happened(backend: Backend) {
        let sim = RegistrySim::start();
        known(&sim);
        let app = with_sim(backend, &sim, &[]);
        let t = tokens(&app);
        for _ in 0..3 {
            app.post(
                "/api/v1/national-databases/population/lookups",
                Some(&t.officer),
                &json!({"id_number": CITIZEN, "purpose": "Điền sẵn"}),
            )
            .expect(200);
        }
        let admin = app.token(Role::Admin, None);
        let report = app.get("/api/v1/integrity/lookups", Some(&admin)).expect(200).body;
        assert_eq!(report, json!({"intact": true, "rows": 3, "first_break": null}));
        sql(&app, &format!("UPDATE registry_lookups SET subject = '{OTHER_CITIZEN}' WHERE seq = 2"));
        let report = app.get("/api/v1/integrity/lookups", Some(&admin)).expect(200).body;
        assert_eq!(report["intact"], false);
        assert_eq!(report["first_break"]["seq"], 2, "{report}");
        sql(&app, &format!("UPDATE registry_lookups SET subject = '{CITIZEN}' WHERE seq = 2"));
        assert_eq!(app.get("/api/v1/integrity/lookups", Some(&admin)).expect(200).body["intact"], true);
        // An outcome outside the set is a broken link too, not a walk that fails.
        sql(&app, "UPDATE registry_lookups SET outcome = 'bogus' WHERE seq = 2");
        let report = app.get("/api/v1/integrity/lookups", Some(&admin)).expect(200).body;
        assert_eq!(report["first_break"]["seq"], 2, "{report}");
        sql(&app, "UPDATE registry_lookups SET outcome = 'found' WHERE seq = 2");
        assert_eq!(app.get("/api/v1/integrity/lookups", Some(&admin)).expect(200).body["intact"], true);
        sql(&app, "DELETE FROM registry_lookups WHERE seq = 2");
        let report = app.get("/api/v1/integrity/lookups", Some(&admin)).expect(200).body;
        assert_eq!(report["first_break"]["seq"], 3, "{report}");
    }

    fn without_a_connection_nothing_is_asked_and_the_look_ups_say_so(backend: Backend) {
        let app = TestApp::spawn(backend);
        province(&app);
        let t = tokens(&app);
        let d = app.post("/api/v1/dossiers", Some(&t.citizen), &submission("Hộ kinh doanh")).expect(201).body;
        assert_eq!(d["applicant_check"], Value::Null, "{d}");
        app.post(
            "/api/v1/national-databases/population/lookups",
            Some(&t.officer),
            &json!({"id_number": CITIZEN, "purpose": "Điền sẵn"}),
        )
        .expect_problem(409, "registry_not_connected");
        let mut s = submission("Hộ kinh doanh");
        s["documents"][1] = json!({"component_code": "TP02", "data_store_code": "KQ.G22-2025-000123"});
        let p = app.post("/api/v1/dossiers", Some(&t.citizen), &s).expect(422).body;
        assert_eq!(p["errors"][0]["code"], "data_store_not_connected", "{p}");
        assert!(lookups(&app, "").is_empty());
    }
}
