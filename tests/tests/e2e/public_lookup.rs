//! The public dossier look-up (docs/RULES.md §4.4): a dossier's status for
//! anyone holding its code and a second factor, without a token; nothing
//! else shown; a wrong factor answered exactly as an unknown code; bad input
//! named field by field; a rate limit per client address on this operation
//! only.

use std::collections::BTreeSet;

use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, Answer, TestApp};
use serde_json::{json, Value};

const LOOKUP: &str = "/api/v1/public/dossier-lookups";
/// The last six digits of the fixture citizen's CCCD (001099012345).
const DIGITS: &str = "012345";
/// The fixture's phone, as given at submission ("0912 345 678").
const PHONE: &str = "0912345678";
const REPLY_BY: &str = "2026-03-20T17:00:00+07:00";

fn lookup(app: &TestApp, body: Value) -> Answer {
    app.post(LOOKUP, None, &body)
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The answer's keys: these, and no other.
const ALLOWED: &[&str] =
    &["status", "status_code", "received_at", "due_at", "supplement", "fee_owed", "amount_owed_vnd"];

/// A problem document without what may differ between two requests.
fn comparable(a: &Answer) -> Value {
    let mut v = a.body.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("request_id");
        o.remove("instance");
    }
    v
}

/// The headers that could tell two answers apart (all but the request id and the date).
fn telling_headers(a: &Answer) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = a
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("?").to_owned()))
        .collect();
    h.sort();
    h
}

/// Invalid fields of a 422, sorted.
fn fields(a: &Answer) -> Vec<String> {
    let mut f: Vec<String> = a.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    f.sort();
    f
}

/// A code of the same shape that no dossier has.
fn unknown_code(code: &str) -> String {
    format!("{}9999", &code[..code.len() - 4])
}

both_backends! {
    fn a_dossier_is_found_with_either_factor_and_shows_only_its_status(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        let by_digits = lookup(app, json!({"code": code, "id_number_last_digits": DIGITS})).expect(200);
        assert_eq!(keys(&by_digits.body), set(ALLOWED), "{}", by_digits.text);
        assert_eq!(by_digits.body["status"], "processing");
        assert_eq!(by_digits.body["status_code"], 4);
        assert_eq!(by_digits.body["received_at"], "2026-03-02T09:00:00+07:00");
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200).body;
        assert_eq!(by_digits.body["status_code"], d["status_code"]);
        assert_eq!(by_digits.body["due_at"], d["due_at"]);
        assert!(by_digits.body["due_at"].is_string());
        assert_eq!(by_digits.body["supplement"], Value::Null);
        assert_eq!(by_digits.body["fee_owed"], false);
        assert_eq!(by_digits.body["amount_owed_vnd"], 0);
        assert_eq!(by_digits.header("cache-control"), Some("no-store"));
        for text in ["Nguyễn", CITIZEN, PHONE, "an@example.vn", "officer", DEPT] {
            assert!(!by_digits.text.contains(text), "the answer shows {text}: {}", by_digits.text);
        }
        // The phone in every usual form.
        for phone in [PHONE, "+84912345678", "0912 345 678", "+84 912.345.678"] {
            let by_phone = lookup(app, json!({"code": code, "phone": phone})).expect(200);
            assert_eq!(by_phone.body, by_digits.body, "{phone}");
        }
        // Without a token, and with one: the same answer.
        let with_token = app.post(LOOKUP, Some(&t.other_citizen), &json!({"code": code, "phone": PHONE})).expect(200);
        assert_eq!(with_token.body, by_digits.body);
    }

    fn a_supplement_request_shows_what_is_missing_and_the_reply_by(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        app.set_now("2026-03-04T10:00:00+07:00");
        act(app, &t.officer, &code, "request-supplement", json!({
            "items": [
                {"component_code": "TP01", "problem": "Thiếu chữ ký"},
                {"component_code": "TP02", "problem": " Bản sao chưa chứng thực "}
            ],
            "reply_by": REPLY_BY,
            "note": "Ghi chú nội bộ của cán bộ"
        })).expect(200);
        let a = lookup(app, json!({"code": code, "phone": PHONE})).expect(200);
        assert_eq!(keys(&a.body), set(ALLOWED));
        assert_eq!(a.body["status"], "awaiting_supplement");
        assert_eq!(a.body["supplement"], json!({
            "items": [
                {"component_code": "TP01", "problem": "Thiếu chữ ký"},
                {"component_code": "TP02", "problem": "Bản sao chưa chứng thực"}
            ],
            "reply_by": REPLY_BY
        }));
        assert!(!a.text.contains("Ghi chú"), "the officer's note is not shown: {}", a.text);
        // Supplemented: nothing is missing any more.
        app.set_now("2026-03-05T09:00:00+07:00");
        act(app, &t.citizen, &code, "supplement", json!({})).expect(200);
        let a = lookup(app, json!({"code": code, "phone": PHONE})).expect(200);
        assert_eq!(a.body["status"], "processing");
        assert_eq!(a.body["supplement"], Value::Null);
    }

    fn an_intake_supplement_request_shows_too(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.officer, &code, "request-supplement",
            json!({"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": REPLY_BY})).expect(200);
        let a = lookup(app, json!({"code": code, "id_number_last_digits": DIGITS})).expect(200);
        assert_eq!(a.body["received_at"], Value::Null);
        assert_eq!(a.body["supplement"]["items"][0]["problem"], "Thiếu chữ ký");
        assert_eq!(a.body["supplement"]["reply_by"], REPLY_BY);
    }

    fn a_fee_request_shows_the_amount_owed_until_it_is_paid(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        act(app, &t.officer, &code, "request-payment", json!({})).expect(200);
        let payments = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.officer)).expect(200).body;
        let amount = payments["items"][0]["amount_vnd"].as_i64().expect("amount");
        assert!(amount > 0);
        let a = lookup(app, json!({"code": code, "phone": PHONE})).expect(200);
        assert_eq!(keys(&a.body), set(ALLOWED));
        assert_eq!(a.body["status"], "awaiting_payment");
        assert_eq!(a.body["fee_owed"], true);
        assert_eq!(a.body["amount_owed_vnd"], amount);
        act(app, &t.officer, &code, "payments", json!({"method": "cash", "amount_vnd": amount})).expect(200);
        let a = lookup(app, json!({"code": code, "phone": PHONE})).expect(200);
        assert_eq!(a.body["fee_owed"], false);
        assert_eq!(a.body["amount_owed_vnd"], 0);
    }

    fn a_wrong_factor_is_answered_exactly_as_an_unknown_code(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let unknown = unknown_code(&code);
        // A dossier without a phone: the phone factor never matches it.
        let mut s = submission("Không có số điện thoại");
        s["applicant"]["phone"] = Value::Null;
        let no_phone = app.post("/api/v1/dossiers", Some(&t.citizen), &s).expect(201).body["code"]
            .as_str().expect("code").to_owned();
        let reference = lookup(app, json!({"code": unknown, "id_number_last_digits": DIGITS}));
        assert_eq!(reference.status, 404, "{}", reference.text);
        assert_eq!(reference.body["code"], "not_found");
        for body in [
            json!({"code": unknown, "phone": PHONE}),
            json!({"code": code, "id_number_last_digits": "012346"}),
            json!({"code": code, "id_number_last_digits": "099012"}),
            json!({"code": code, "phone": "0912345679"}),
            json!({"code": code, "phone": "+84912345670"}),
            json!({"code": no_phone, "phone": PHONE}),
        ] {
            let a = lookup(app, body.clone());
            assert_eq!(a.status, reference.status, "{body}: {}", a.text);
            assert_eq!(comparable(&a), comparable(&reference), "{body}");
            assert_eq!(telling_headers(&a), telling_headers(&reference), "{body}");
        }
        assert_eq!(reference.header("content-type"), Some("application/problem+json"));
        assert_eq!(reference.header("cache-control"), Some("no-store"));
        // The dossier without a phone is found by its other factor.
        lookup(app, json!({"code": no_phone, "id_number_last_digits": DIGITS})).expect(200);
    }

    fn malformed_input_is_refused_naming_the_fields(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submit(app, &t);
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"code": "17.22-260305-1", "phone": PHONE}), vec!["code"]),
            (json!({"code": "000.00.05.H56-261332-0001", "phone": PHONE}), vec!["code"]),
            (json!({"code": code}), vec!["id_number_last_digits", "phone"]),
            (json!({"code": code, "phone": null, "id_number_last_digits": null}), vec!["id_number_last_digits", "phone"]),
            (json!({"code": code, "phone": PHONE, "id_number_last_digits": DIGITS}), vec!["id_number_last_digits", "phone"]),
            (json!({"code": code, "id_number_last_digits": "12a456"}), vec!["id_number_last_digits"]),
            (json!({"code": code, "id_number_last_digits": "2345"}), vec!["id_number_last_digits"]),
            (json!({"code": code, "id_number_last_digits": "０12345"}), vec!["id_number_last_digits"]),
            (json!({"code": code, "phone": "12"}), vec!["phone"]),
            (json!({"code": code, "phone": "(091) 2345678"}), vec!["phone"]),
            (json!({"code": "x", "phone": "y"}), vec!["code", "phone"]),
            (json!({"phone": PHONE}), vec!["code"]),
            (json!({"code": code, "phone": PHONE, "name": "Nguyễn Văn An"}), vec!["name"]),
            (json!({"code": code, "id_number_last_digits": 12345}), vec!["id_number_last_digits"]),
        ];
        for (body, want) in cases {
            let a = lookup(app, body.clone()).expect_problem(422, "validation_failed");
            assert_eq!(fields(&a), want, "{body}: {}", a.text);
        }
        app.request(reqwest::Method::GET, LOOKUP).send().map(|r| assert_eq!(r.status().as_u16(), 405)).expect("sent");
    }
}

both_backends! {
    fn look_ups_past_the_limit_get_429_with_retry_after_and_other_operations_do_not(backend: Backend) {
        let app = TestApp::spawn_with(backend, &["--lookup-per-minute", "1", "--lookup-burst", "3"]);
        province(&app);
        let t = tokens(&app);
        let code = submit(&app, &t);
        let body = json!({"code": code, "phone": PHONE});
        for _ in 0..3 {
            assert_eq!(lookup(&app, body.clone()).expect(200).body["status"], "submitted");
        }
        let limited = lookup(&app, body.clone()).expect_problem(429, "rate_limited");
        let wait: u64 = limited.header("retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        assert_eq!(limited.header("cache-control"), Some("no-store"));
        assert!(limited.header("x-request-id").is_some());
        // Every look-up counts, a wrong or a malformed one too.
        lookup(&app, json!({"code": code})).expect_problem(429, "rate_limited");
        lookup(&app, json!({"code": unknown_code(&code), "phone": PHONE})).expect_problem(429, "rate_limited");
        // Other operations, public or not, are not limited.
        for _ in 0..10 {
            app.get("/api/v1/agencies", None).expect(200);
            app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200);
        }
        // Another address has its own allowance; X-Forwarded-For is not believed by default.
        let spoofed = app.send(app.request(reqwest::Method::POST, LOOKUP).header("x-forwarded-for", "203.0.113.7").json(&body));
        assert_eq!(spoofed.status, 429, "{}", spoofed.text);
    }

    fn behind_a_trusted_proxy_the_last_forwarded_address_is_counted(backend: Backend) {
        let app = TestApp::spawn_with(
            backend,
            &["--lookup-per-minute", "1", "--lookup-burst", "1", "--trust-forwarded-for", "true"],
        );
        province(&app);
        let t = tokens(&app);
        let code = submit(&app, &t);
        let body = json!({"code": code, "id_number_last_digits": DIGITS});
        let from = |chain: &str| {
            app.send(app.request(reqwest::Method::POST, LOOKUP).header("x-forwarded-for", chain).json(&body)).status
        };
        assert_eq!(from("203.0.113.7"), 200);
        assert_eq!(from("203.0.113.7"), 429);
        // The client's own claim before the proxy's hop changes nothing.
        assert_eq!(from("198.51.100.1, 203.0.113.7"), 429);
        assert_eq!(from("203.0.113.8"), 200);
    }
}
