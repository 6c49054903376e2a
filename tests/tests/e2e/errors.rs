//! Bad input of every kind gets a 4xx problem document and changes nothing;
//! every answer carries a request id.

use dvc_domain::auth::Role;
use dvc_tests::both_backends;
use serde_json::json;

both_backends! {
    fn malformed_json_gets_400_and_creates_nothing(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        app.post_raw("/api/v1/agencies", Some(&admin), "application/json", b"{\"code\": \"000.00.00.H56\",".to_vec())
            .expect_problem(400, "malformed_json");
        app.post_raw("/api/v1/agencies", Some(&admin), "application/json", vec![0xff, 0xfe, 0x00])
            .expect_problem(400, "malformed_json");
        assert_eq!(app.get("/api/v1/agencies", None).expect(200).body["items"], json!([]));
    }

    fn a_wrong_content_type_gets_415(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        app.post_raw("/api/v1/agencies", Some(&admin), "text/plain", b"{}".to_vec()).expect_problem(415, "unsupported_media_type");
    }

    fn a_missing_field_or_wrong_type_gets_422(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let a = app.post("/api/v1/agencies", Some(&admin), &json!({"code": "000.00.00.H56", "level": "province"}))
            .expect_problem(422, "validation_failed");
        assert_eq!(a.body["errors"][0]["field"], "name");
        app.post("/api/v1/agencies", Some(&admin), &json!({"code": 5, "name": "x", "level": "province"}))
            .expect_problem(422, "validation_failed");
        app.post("/api/v1/agencies", Some(&admin), &json!({"code": "000.00.00.H56", "name": "x", "level": "planet"}))
            .expect_problem(422, "validation_failed");
    }

    fn an_oversized_body_gets_413(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let huge = format!("{{\"code\":\"000.00.00.H56\",\"name\":\"{}\",\"level\":\"province\"}}", "a".repeat(2 << 20));
        app.post_raw("/api/v1/agencies", Some(&admin), "application/json", huge.into_bytes())
            .expect_problem(413, "payload_too_large");
        assert_eq!(app.get("/api/v1/agencies", None).expect(200).body["items"], json!([]));
    }

    fn unknown_routes_and_methods_get_problem_documents(app: &TestApp) {
        app.get("/api/v1/nothing-here", None).expect_problem(404, "not_found");
        app.get("/", None).expect_problem(404, "not_found");
        app.delete("/api/v1/agencies", None).expect_problem(405, "method_not_allowed");
        app.put("/api/v1/dossiers/000.00.05.H56-260302-0001", None, &json!({})).expect_problem(405, "method_not_allowed");
    }

    fn a_405_says_which_methods_are_allowed(app: &TestApp) {
        let answer = app.delete("/api/v1/agencies", None);
        assert_eq!(answer.status, 405);
        assert_eq!(answer.header("allow"), Some("GET, POST"));
        let answer = app.send(app.request(reqwest::Method::TRACE, "/api/v1/dossiers/000.00.05.H56-260302-0001/receive"));
        assert_eq!(answer.status, 405);
        assert_eq!(answer.header("allow"), Some("POST"));
    }

    fn invalid_codes_in_paths_get_404(app: &TestApp) {
        app.get("/api/v1/agencies/17.22", None).expect_problem(404, "not_found");
        app.get("/api/v1/procedures/1.0006", None).expect_problem(404, "not_found");
        app.get("/api/v1/procedures/1.000656/versions/abc", None).expect_problem(404, "not_found");
        app.get("/api/v1/procedures/1.000656/versions/0", None).expect_problem(404, "not_found");
        app.get("/api/v1/procedures/%27%20OR%201%3D1--", None).expect_problem(404, "not_found");
    }

    fn bad_query_strings_get_400(app: &TestApp) {
        app.get("/api/v1/agencies?active=maybe", None).expect_problem(400, "invalid_query");
        app.get("/api/v1/agencies?limit=ten", None).expect_problem(400, "invalid_query");
    }

    fn every_answer_carries_a_request_id(app: &TestApp) {
        let ok = app.get("/health/live", None).expect(200);
        assert!(ok.header("x-request-id").is_some_and(|id| id.len() >= 16));
        let bad = app.get("/nowhere", None);
        assert!(bad.header("x-request-id").is_some());
        let echoed = app.send(app.request(reqwest::Method::GET, "/health/live").header("x-request-id", "desk-7-req-42"));
        assert_eq!(echoed.header("x-request-id"), Some("desk-7-req-42"));
        let unsafe_id = app.send(app.request(reqwest::Method::GET, "/health/live").header("x-request-id", "a b<script>"));
        assert_ne!(unsafe_id.header("x-request-id"), Some("a b<script>"));
    }

    fn readiness_checks_the_database(app: &TestApp) {
        let ready = app.get("/health/ready", None).expect(200);
        let expected = match app.backend { dvc_tests::Backend::Sqlite => "sqlite", dvc_tests::Backend::Postgres => "postgres" };
        assert_eq!(ready.body["database"], expected);
    }

    fn swagger_ui_is_served_and_redirected(app: &TestApp) {
        let page = app.get("/swagger-ui/", None).expect(200);
        assert!(page.text.contains("swagger"), "Swagger UI page");
        let client = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let res = client.get(format!("{}/swagger-ui", app.base)).send().expect("sent");
        assert_eq!(res.status().as_u16(), 308);
        assert_eq!(res.headers().get("location").and_then(|v| v.to_str().ok()), Some("/swagger-ui/"));
    }
}
