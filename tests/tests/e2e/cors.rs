//! Calls from browsers on other origins: preflights of the configured
//! origins are answered with what each route takes, their answers expose
//! the headers scripts need, other origins get no CORS header, none is sent
//! when no origin is configured; every answer carries the security headers.

use dvc_domain::auth::Role;
use dvc_tests::fixtures::{self, tokens};
use dvc_tests::{both_backends, Answer, Backend, TestApp};
use reqwest::Method;
use serde_json::json;

/// The agency front-end of these tests, and another configured origin.
const FRONT_END: &str = "https://dvc.binhduong.gov.vn";
const DEV_FRONT_END: &str = "http://127.0.0.1:5173";
const ORIGINS: &str = "https://dvc.binhduong.gov.vn,http://127.0.0.1:5173";

const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn with_cors(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &["--cors-origins", ORIGINS])
}

/// A browser's preflight from `origin` for `method` on `path` with `headers`
/// (the lower-case, comma-separated list browsers send; empty: none).
fn preflight(app: &TestApp, origin: &str, method: &str, path: &str, headers: &str) -> Answer {
    let mut req =
        app.request(Method::OPTIONS, path).header("origin", origin).header("access-control-request-method", method);
    if !headers.is_empty() {
        req = req.header("access-control-request-headers", headers);
    }
    app.send(req)
}

/// The names of a comma-separated header list, in lower case.
fn names(answer: &Answer, header: &str) -> Vec<String> {
    let list = answer.header(header).unwrap_or_default();
    list.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()).collect()
}

#[track_caller]
fn assert_allows(answer: &Answer, origin: &str, methods: &str, headers: &[&str]) {
    assert_eq!(answer.status, 200, "preflight refused: {}", answer.text);
    assert_eq!(answer.header("access-control-allow-origin"), Some(origin));
    assert_eq!(answer.header("access-control-allow-methods"), Some(methods));
    let allowed = names(answer, "access-control-allow-headers");
    for h in headers {
        assert!(allowed.contains(&h.to_ascii_lowercase()), "{h} not in {allowed:?}");
    }
    assert_eq!(answer.header("access-control-max-age"), Some("3600"));
    // Bearer tokens travel in a header, never in cookies.
    assert_eq!(answer.header("access-control-allow-credentials"), None);
    assert!(names(answer, "vary").contains(&"origin".to_owned()), "vary: {:?}", answer.header("vary"));
}

#[track_caller]
fn assert_exposes(answer: &Answer, origin: &str) {
    assert_eq!(answer.header("access-control-allow-origin"), Some(origin), "answer: {}", answer.text);
    let exposed = names(answer, "access-control-expose-headers");
    for h in ["etag", "location", "retry-after", "x-request-id"] {
        assert!(exposed.contains(&h.to_owned()), "{h} not exposed: {exposed:?}");
    }
}

#[track_caller]
fn assert_no_cors(answer: &Answer) {
    for (name, _) in &answer.headers {
        assert!(!name.as_str().starts_with("access-control-"), "{name} on an answer without CORS: {answer:?}");
    }
}

#[track_caller]
fn assert_secured(answer: &Answer, policy: &str) {
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{answer:?}");
    assert_eq!(answer.header("content-security-policy"), Some(policy), "{answer:?}");
    assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(answer.header("x-frame-options"), Some("DENY"));
}

both_backends! {
    fn an_allowed_origin_may_read_with_a_token(backend: Backend) {
        let app = with_cors(backend);
        fixtures::province(&app);
        let t = tokens(&app);
        let code = fixtures::submit(&app, &t);
        let path = format!("/api/v1/dossiers/{code}");

        let answer = preflight(&app, FRONT_END, "GET", &path, "authorization");
        assert_allows(&answer, FRONT_END, "GET", &["Authorization", "Accept", "Accept-Language", "X-Request-Id"]);
        assert_secured(&answer, API_POLICY);
        // Both configured origins, each answered with its own.
        let answer = preflight(&app, DEV_FRONT_END, "GET", "/api/v1/dossiers", "authorization,x-request-id");
        assert_allows(&answer, DEV_FRONT_END, "GET, POST", &["Authorization", "X-Request-Id"]);

        let read = app.send(app.request(Method::GET, &path).bearer_auth(&t.citizen).header("origin", FRONT_END)).expect(200);
        assert_exposes(&read, FRONT_END);
        assert_eq!(read.header("etag"), Some("\"1\""));
        assert!(read.header("x-request-id").is_some());
    }

    fn an_allowed_origin_may_post_json_with_an_idempotency_key(backend: Backend) {
        let app = with_cors(backend);
        fixtures::province(&app);
        let t = tokens(&app);

        let answer = preflight(&app, FRONT_END, "POST", "/api/v1/dossiers", "authorization,content-type,idempotency-key");
        assert_allows(&answer, FRONT_END, "GET, POST", &["Authorization", "Content-Type", "Idempotency-Key"]);

        let submit = || {
            app.send(
                app.request(Method::POST, "/api/v1/dossiers")
                    .bearer_auth(&t.citizen)
                    .header("origin", FRONT_END)
                    .header("idempotency-key", "front-end-1")
                    .json(&fixtures::submission("Doanh nghiệp tư nhân An Phát")),
            )
        };
        let created = submit().expect(201);
        assert_exposes(&created, FRONT_END);
        let code = created.body["code"].as_str().expect("code");
        assert_eq!(created.header("location"), Some(format!("/api/v1/dossiers/{code}").as_str()));
        assert_eq!(created.header("etag"), Some("\"1\""));
        // The replay of the same key is the same answer, CORS headers and all.
        let replayed = submit().expect(201);
        assert_exposes(&replayed, FRONT_END);
        assert_eq!(replayed.body["code"], code);

        // A header no route reads is refused, naming those the route reads.
        let refused = preflight(&app, FRONT_END, "POST", "/api/v1/dossiers", "content-type,x-forwarded-for")
            .expect_problem(403, "cors_header_not_allowed");
        assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("Idempotency-Key")), "{}", refused.text);
        assert_no_cors(&refused);
    }

    fn an_allowed_origin_may_put_and_act_with_if_match(backend: Backend) {
        let app = with_cors(backend);
        fixtures::province(&app);
        let t = tokens(&app);
        let code = fixtures::submit(&app, &t);

        // PUT of an agency: its route takes GET and PUT, and no If-Match.
        let agency = format!("/api/v1/agencies/{}", fixtures::OTHER);
        assert_allows(
            &preflight(&app, FRONT_END, "PUT", &agency, "authorization,content-type"),
            FRONT_END,
            "GET, PUT",
            &["Authorization", "Content-Type"],
        );
        let admin = app.token(Role::Admin, None);
        let put = app.send(
            app.request(Method::PUT, &agency)
                .bearer_auth(&admin)
                .header("origin", FRONT_END)
                .json(&json!({"name": "Sở Công Thương tỉnh", "level": "department", "parent": fixtures::PROVINCE, "active": true})),
        );
        assert_eq!(put.status, 200, "{}", put.text);
        assert_exposes(&put, FRONT_END);
        preflight(&app, FRONT_END, "PUT", &agency, "if-match").expect_problem(403, "cors_header_not_allowed");
        preflight(&app, FRONT_END, "PATCH", &agency, "").expect_problem(403, "cors_method_not_allowed");
        preflight(&app, FRONT_END, "DELETE", "/api/v1/dossiers", "").expect_problem(403, "cors_method_not_allowed");

        // A dossier action with If-Match.
        let receive = format!("/api/v1/dossiers/{code}/receive");
        assert_allows(
            &preflight(&app, FRONT_END, "POST", &receive, "authorization,content-type,if-match"),
            FRONT_END,
            "POST",
            &["Authorization", "Content-Type", "If-Match"],
        );
        let act = |etag: &str| {
            app.send(
                app.request(Method::POST, &receive)
                    .bearer_auth(&t.officer)
                    .header("origin", FRONT_END)
                    .header("if-match", etag)
                    .json(&json!({})),
            )
        };
        // A stale ETag: the script can read the problem document and its request id.
        let stale = act("\"7\"").expect_problem(412, "precondition_failed");
        assert_exposes(&stale, FRONT_END);
        let received = act("\"1\"").expect(200);
        assert_exposes(&received, FRONT_END);
        assert_eq!(received.header("etag"), Some("\"2\""));
    }

    fn retry_after_is_exposed_on_a_429(backend: Backend) {
        let app = TestApp::spawn_with(
            backend,
            &["--cors-origins", ORIGINS, "--lookup-per-minute", "1", "--lookup-burst", "1"],
        );
        let lookup = || {
            app.send(
                app.request(Method::POST, "/api/v1/public/dossier-lookups")
                    .header("origin", FRONT_END)
                    .json(&json!({"code": "000.00.05.H56-260302-0001", "phone": "0912345678"})),
            )
        };
        assert_eq!(lookup().status, 404);
        let limited = lookup().expect_problem(429, "rate_limited");
        assert_exposes(&limited, FRONT_END);
        assert!(limited.header("retry-after").is_some());
    }

    fn another_origin_gets_no_cors_header(backend: Backend) {
        let app = with_cors(backend);
        fixtures::province(&app);
        for origin in [
            "https://evil.example",
            // Each differs from a configured origin in one part only.
            "http://dvc.binhduong.gov.vn",
            "https://dvc.binhduong.gov.vn:8443",
            "https://binhduong.gov.vn",
            "http://127.0.0.1:5174",
            "http://localhost:5173",
            "null",
        ] {
            let refused = preflight(&app, origin, "POST", "/api/v1/dossiers", "authorization,content-type")
                .expect_problem(403, "origin_not_allowed");
            assert_no_cors(&refused);
            assert_secured(&refused, API_POLICY);
            // Its requests are served as without CORS: the browser keeps the answer from the page.
            let read = app.send(app.request(Method::GET, "/api/v1/agencies").header("origin", origin)).expect(200);
            assert_no_cors(&read);
        }
        // Not a preflight without an Origin.
        let answer = app.send(
            app.request(Method::OPTIONS, "/api/v1/dossiers").header("access-control-request-method", "POST"),
        );
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_no_cors(&answer.expect_problem(400, "invalid_preflight"));
    }

    fn no_cors_header_without_configured_origins(backend: Backend) {
        let app = TestApp::spawn(backend);
        let answer = preflight(&app, FRONT_END, "GET", "/api/v1/agencies", "authorization")
            .expect_problem(405, "method_not_allowed");
        assert_no_cors(&answer);
        let read = app.send(app.request(Method::GET, "/api/v1/agencies").header("origin", FRONT_END)).expect(200);
        assert_no_cors(&read);
        assert!(read.header("vary").is_none(), "vary: {:?}", read.header("vary"));
    }

    fn every_answer_carries_the_security_headers(backend: Backend) {
        let app = with_cors(backend);
        assert_secured(&app.get("/api/v1/agencies", None).expect(200), API_POLICY);
        assert_secured(&app.get("/health/live", None).expect(200), API_POLICY);
        assert_secured(&app.get("/api-docs/openapi.json", None).expect(200), API_POLICY);
        assert_secured(&app.get("/api/v1/nothing-here", None).expect_problem(404, "not_found"), API_POLICY);
        assert_secured(&app.delete("/api/v1/agencies", None).expect_problem(405, "method_not_allowed"), API_POLICY);
        assert_secured(&app.get("/api/v1/dossiers", None).expect_problem(401, "missing_token"), API_POLICY);
        assert_secured(&app.get("/api/v1/agencies?q=%00", None).expect_problem(400, "invalid_characters"), API_POLICY);

        // Swagger UI: its own files, its icons as data: images, the logo's one inline style by its hash.
        let page = app.get("/swagger-ui/", None).expect(200);
        let policy = page.header("content-security-policy").expect("a policy").to_owned();
        assert_secured(&page, &policy);
        for directive in ["default-src 'none'", "script-src 'self';", "img-src 'self' data:;", "connect-src 'self';"] {
            assert!(policy.contains(directive), "{directive} not in {policy}");
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(page.text.contains("swagger-initializer.js") && !page.text.contains("<script>"), "{}", page.text);
        let script = app.get("/swagger-ui/swagger-initializer.js", None).expect(200);
        assert_secured(&script, &policy);
    }
}
