//! Problem documents speak the caller's language: Vietnamese `title`,
//! `detail` and field messages when `Accept-Language` prefers `vi`, English
//! otherwise; `Content-Language` says which, and nothing else changes.

use dvc_domain::auth::Role;
use dvc_domain::{ErrorCode, Lang};
use dvc_tests::fixtures::{act, province, submit, tokens};
use dvc_tests::{both_backends, Answer, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const BROWSER_VI: &str = "vi-VN,vi;q=0.9,en;q=0.8";

fn get_in(app: &TestApp, path: &str, token: Option<&str>, language: Option<&str>) -> Answer {
    let mut req = app.request(Method::GET, path);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(l) = language {
        req = req.header("accept-language", l);
    }
    app.send(req)
}

fn post_in(app: &TestApp, path: &str, token: Option<&str>, language: &str, body: &Value) -> Answer {
    let mut req = app.request(Method::POST, path).header("accept-language", language).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    app.send(req)
}

/// The problem's code as an `ErrorCode` (every answer is checked to be one
/// by the harness; this names it).
fn code_of(a: &Answer) -> ErrorCode {
    a.body["code"].as_str().and_then(ErrorCode::parse).unwrap_or_else(|| panic!("unknown code: {}", a.text))
}

#[track_caller]
fn assert_vietnamese(a: &Answer) {
    assert_eq!(a.header("content-language"), Some("vi"), "{}", a.text);
    let code = code_of(a);
    let detail = a.body["detail"].as_str().unwrap_or_default();
    assert!(!detail.is_ascii(), "detail not in Vietnamese: {}", a.text);
    assert!(!a.body["title"].as_str().unwrap_or_default().is_ascii(), "title not in Vietnamese: {}", a.text);
    assert_eq!(a.body["type"], format!("urn:dvc:problem:{code}"));
    for e in a.body["errors"].as_array().into_iter().flatten() {
        let field_code = e["code"].as_str().and_then(ErrorCode::parse).expect("field code");
        assert_eq!(e["message"], field_code.message(Lang::Vi), "{}", a.text);
    }
}

#[track_caller]
fn assert_english(a: &Answer) {
    assert_eq!(a.header("content-language"), Some("en"), "{}", a.text);
    assert!(a.body["title"].as_str().is_some_and(str::is_ascii), "{}", a.text);
}

/// Two answers to the same request alike but for the words.
#[track_caller]
fn assert_same_but_words(en: &Answer, vi: &Answer) {
    assert_eq!(en.status, vi.status);
    let strip = |a: &Answer| {
        let mut b = a.body.clone();
        for key in ["title", "detail"] {
            b[key] = Value::Null;
        }
        if let Some(errors) = b["errors"].as_array_mut() {
            for e in errors {
                e["message"] = Value::Null;
            }
        }
        b
    };
    assert_eq!(strip(en), strip(vi));
}

both_backends! {
    fn a_404_and_a_422_in_vietnamese(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let missing = "/api/v1/agencies/000.00.00.H99";
        let vi = get_in(app, missing, None, Some(BROWSER_VI)).expect_problem(404, "not_found");
        assert_vietnamese(&vi);
        assert_eq!(vi.body["title"], "Không tìm thấy");
        assert_eq!(vi.body["detail"], "Không tìm thấy");
        let en = get_in(app, missing, None, None).expect_problem(404, "not_found");
        assert_same_but_words(&en, &vi);

        let body = json!({"code": "17.22", "level": "province"});
        let vi = post_in(app, "/api/v1/agencies", Some(&admin), BROWSER_VI, &body).expect_problem(422, "validation_failed");
        assert_vietnamese(&vi);
        assert_eq!(vi.body["title"], "Dữ liệu không hợp lệ");
        let n = vi.body["errors"].as_array().map_or(0, Vec::len);
        assert!(n >= 1, "{}", vi.text);
        assert_eq!(vi.body["detail"], format!("Yêu cầu có {n} trường dữ liệu không hợp lệ"));
        let en = post_in(app, "/api/v1/agencies", Some(&admin), "en", &body).expect_problem(422, "validation_failed");
        assert_english(&en);
        assert_same_but_words(&en, &vi);
    }

    fn english_by_default_and_for_a_language_not_spoken(app: &TestApp) {
        let path = "/api/v1/agencies/000.00.00.H99";
        let default = get_in(app, path, None, None).expect_problem(404, "not_found");
        assert_english(&default);
        assert_eq!(default.body["title"], "Not Found");
        for language in ["fr", "fr-FR, de;q=0.5", "*", "vi;q=0", "en-GB,en;q=0.9,vi;q=0.8", "garbage;q=x,,;"] {
            let a = get_in(app, path, None, Some(language)).expect_problem(404, "not_found");
            assert_english(&a);
            assert_eq!(a.body, default.body, "Accept-Language: {language}");
        }
        // A lower weight for English than for Vietnamese is Vietnamese.
        let a = get_in(app, path, None, Some("en;q=0.3, vi;q=0.6")).expect_problem(404, "not_found");
        assert_vietnamese(&a);
    }

    fn problems_raised_outside_the_handlers_speak_vietnamese_too(app: &TestApp) {
        // No route, a method the route does not take, no token, a NUL in the query.
        let a = get_in(app, "/api/v1/nothing-here", None, Some("vi")).expect_problem(404, "not_found");
        assert_vietnamese(&a);
        let a = app.send(app.request(Method::DELETE, "/api/v1/agencies").header("accept-language", "vi"));
        let a = a.expect_problem(405, "method_not_allowed");
        assert_vietnamese(&a);
        assert_eq!(a.header("allow"), Some("GET, POST"));
        let a = post_in(app, "/api/v1/agencies", None, "vi", &json!({})).expect_problem(401, "missing_token");
        assert_vietnamese(&a);
        let a = get_in(app, "/api/v1/agencies?name=%00", None, Some("vi")).expect_problem(400, "invalid_characters");
        assert_vietnamese(&a);
        // A 403 keeps its extra fact under its own key.
        let viewer = app.token(Role::Viewer, None);
        let a = post_in(app, "/api/v1/agencies", Some(&viewer), "vi", &json!({})).expect_problem(403, "forbidden");
        assert_vietnamese(&a);
        assert!(a.body["missing_right"].is_string(), "{}", a.text);
    }

    fn a_refused_transition_keeps_its_facts_in_vietnamese(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let path = format!("/api/v1/dossiers/{code}/hand-off");
        let en = act(app, &t.officer, &code, "hand-off", json!({"to_agency": dvc_tests::fixtures::DEPT}))
            .expect_problem(409, "transition_not_allowed");
        let vi = post_in(app, &path, Some(&t.officer), BROWSER_VI, &json!({"to_agency": dvc_tests::fixtures::DEPT}))
            .expect_problem(409, "transition_not_allowed");
        assert_vietnamese(&vi);
        assert_same_but_words(&en, &vi);
        assert_eq!(vi.body["current_status"], "submitted");
        assert!(vi.body["allowed_actions"].as_array().is_some_and(|a| !a.is_empty()), "{}", vi.text);
    }
}

both_backends! {
    fn a_rate_limited_look_up_keeps_retry_after_in_vietnamese(backend: Backend) {
        let app = TestApp::spawn_with(backend, &["--lookup-per-minute", "1", "--lookup-burst", "1"]);
        let lookup = "/api/v1/public/dossier-lookups";
        let first = post_in(&app, lookup, None, "vi", &json!({"code": "x"})).expect_problem(422, "validation_failed");
        assert_vietnamese(&first);
        let limited = post_in(&app, lookup, None, "vi", &json!({"code": "x"})).expect_problem(429, "rate_limited");
        assert_vietnamese(&limited);
        assert!(limited.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{:?}", limited.headers);
        assert_eq!(limited.header("cache-control"), Some("no-store"));
        let wait = limited.header("retry-after").unwrap_or_default();
        assert!(limited.body["detail"].as_str().is_some_and(|d| d.contains(wait)), "{}", limited.text);
    }
}
