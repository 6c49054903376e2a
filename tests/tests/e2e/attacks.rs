//! Hostile tokens and hostile input (beyond tests/auth.rs and tests/errors.rs):
//! RS256 servers and algorithm confusion, tokens issued in the future, body
//! size limits at and just over the edge, deep nesting, invalid UTF-8,
//! Unicode in text fields, and SQL and path metacharacters in every path and
//! query parameter of the OpenAPI document. Every refusal is a 4xx problem
//! document, nothing answers 5xx, and a refused request changes nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, Answer, TestApp};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

const PUBLIC_KEY: &str = include_str!("../../keys/test-rs256-public.pem");
const PRIVATE_KEY: &str = include_str!("../../keys/test-rs256-private.pem");

fn claims(role: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({"sub": "admin", "role": role, "exp": now + 3600, "iat": now, "iss": "dvc", "aud": "dvc-api"})
}

fn with(mut c: Value, key: &str, value: Value) -> Value {
    c[key] = value;
    c
}

fn rs256(c: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).expect("private key");
    encode(&Header::new(Algorithm::RS256), c, &key).expect("sign")
}

fn hs256(c: &Value, secret: &[u8]) -> String {
    encode(&Header::new(Algorithm::HS256), c, &EncodingKey::from_secret(secret)).expect("sign")
}

fn unsigned(alg: &str, c: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(c.to_string()))
}

/// An admin-only request that succeeds with a good admin token.
fn create_agency(app: &TestApp, token: &str) -> Answer {
    app.post(
        "/api/v1/agencies",
        Some(token),
        &json!({"code": "000.00.00.H56", "name": "UBND tỉnh", "level": "province", "parent": null}),
    )
}

fn rs256_app(backend: dvc_tests::Backend) -> TestApp {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/keys/test-rs256-public.pem");
    TestApp::spawn_with(backend, &["--jwt-public-key", path])
}

/// Asserts a 4xx problem document (any code) and returns the answer.
#[track_caller]
fn problem(a: Answer, what: &str) -> Answer {
    assert!((400..500).contains(&a.status), "{what}: expected a 4xx, got {}: {}", a.status, a.text);
    assert_eq!(
        a.header("content-type"),
        Some("application/problem+json"),
        "{what}: not a problem document: {}",
        a.text
    );
    assert_eq!(a.body["status"], a.status, "{what}: problem status field: {}", a.text);
    assert!(a.body["code"].is_string(), "{what}: problem without a code: {}", a.text);
    a
}

fn count(app: &TestApp, path: &str) -> usize {
    let admin = app.token(Role::Admin, None);
    app.get(path, Some(&admin)).expect(200).body["items"].as_array().map_or(0, Vec::len)
}

/// Everything a refused request could have changed, as counts.
fn snapshot(app: &TestApp) -> Vec<usize> {
    [
        "/api/v1/agencies?limit=500",
        "/api/v1/dossiers?limit=500",
        "/api/v1/procedures?limit=500",
        "/api/v1/feedback?limit=500",
        "/api/v1/changes?limit=500",
        "/api/v1/webhooks",
        &format!("/api/v1/procedures/{PROCEDURE}/versions"),
    ]
    .iter()
    .map(|p| count(app, p))
    .collect()
}

both_backends! {
    fn an_rs256_server_takes_its_own_tokens_and_nothing_else(backend: Backend) {
        let app = rs256_app(backend);
        // Positive control: signed with the matching private key.
        create_agency(&app, &rs256(&claims("admin"))).expect(201);
        // HS/RS confusion: HS256 keyed with the public key's PEM text (and its DER body).
        for secret in [PUBLIC_KEY.as_bytes(), PUBLIC_KEY.trim().as_bytes()] {
            create_agency(&app, &hs256(&claims("admin"), secret)).expect_problem(401, "invalid_token");
        }
        // The server's HS256 test secret is not in use any more.
        create_agency(&app, &app.token(Role::Admin, None)).expect_problem(401, "invalid_token");
        for alg in ["none", "None", "NONE", "nOnE"] {
            create_agency(&app, &unsigned(alg, &claims("admin"))).expect_problem(401, "invalid_token");
        }
        // An RS256 signature with the algorithm swapped in the header.
        let good = rs256(&claims("admin"));
        let parts: Vec<&str> = good.split('.').collect();
        let swapped = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#), parts[1], parts[2]);
        create_agency(&app, &swapped).expect_problem(401, "invalid_token");
        // Tampered payload: a viewer's token turned into an admin's after signing.
        let viewer = rs256(&claims("viewer"));
        let parts: Vec<&str> = viewer.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims("admin").to_string()), parts[2]);
        create_agency(&app, &tampered).expect_problem(401, "invalid_token");
        // Time and audience are checked with RS256 too.
        let now = Utc::now().timestamp();
        create_agency(&app, &rs256(&with(claims("admin"), "exp", json!(now - 120)))).expect_problem(401, "token_expired");
        create_agency(&app, &rs256(&with(claims("admin"), "nbf", json!(now + 600)))).expect_problem(401, "token_not_yet_valid");
        create_agency(&app, &rs256(&with(claims("admin"), "aud", json!("another-api")))).expect_problem(401, "invalid_token");
        assert_eq!(app.get("/api/v1/agencies", None).expect(200).body["items"].as_array().map(Vec::len), Some(1));
    }
}

both_backends! {
    fn a_token_issued_in_the_future_gets_401(app: &TestApp) {
        let now = Utc::now().timestamp();
        let secret = dvc_tests::TEST_SECRET.as_bytes();
        let future = hs256(&with(claims("admin"), "iat", json!(now + 3600)), secret);
        create_agency(app, &future).expect_problem(401, "token_not_yet_valid");
        // Within the 30 s leeway a clock skew is tolerated.
        create_agency(app, &hs256(&with(claims("admin"), "iat", json!(now + 5)), secret)).expect(201);
    }

    fn audiences_other_than_ours_get_401(app: &TestApp) {
        let secret = dvc_tests::TEST_SECRET.as_bytes();
        for aud in [json!(["another-api"]), json!(""), json!(["DVC-API"]), json!("dvc-api "), json!(null), json!(7)] {
            let t = hs256(&with(claims("admin"), "aud", aud.clone()), secret);
            create_agency(app, &t).expect_problem(401, "invalid_token");
        }
        assert_eq!(app.get("/api/v1/agencies", None).expect(200).body["items"], json!([]));
    }

    fn a_token_with_an_alg_none_header_and_a_real_signature_gets_401(app: &TestApp) {
        let good = hs256(&claims("admin"), dvc_tests::TEST_SECRET.as_bytes());
        let parts: Vec<&str> = good.split('.').collect();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        create_agency(app, &format!("{header}.{}.{}", parts[1], parts[2])).expect_problem(401, "invalid_token");
        // A header asking for a key elsewhere is not followed.
        let jku = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT","jku":"http://127.0.0.1:9/keys","kid":"../../etc/passwd"}"#);
        create_agency(app, &format!("{jku}.{}.{}", parts[1], parts[2])).expect_problem(401, "invalid_token");
    }
}

/// A JSON body of exactly `size` bytes: feedback whose content pads it.
fn feedback_of_size(size: usize) -> Vec<u8> {
    let skeleton = json!({"title": "Góp ý", "content": "", "agency": DEPT}).to_string();
    let pad = size - skeleton.len();
    json!({"title": "Góp ý", "content": "a".repeat(pad), "agency": DEPT}).to_string().into_bytes()
}

both_backends! {
    fn bodies_at_the_limits_pass_and_one_byte_over_gets_413(backend: Backend) {
        let app = TestApp::spawn_with(backend, &["--max-json-bytes", "8192", "--max-document-bytes", "4096"]);
        province(&app);
        app.set_now("2026-03-05T09:00:00+07:00");
        let t = tokens(&app);
        let at = feedback_of_size(8192);
        assert_eq!(at.len(), 8192);
        app.post_raw("/api/v1/feedback", Some(&t.citizen), "application/json", at).expect(201);
        let over = feedback_of_size(8193);
        problem(app.post_raw("/api/v1/feedback", Some(&t.citizen), "application/json", over), "JSON over the limit")
            .expect_problem(413, "payload_too_large");
        assert_eq!(count(&app, "/api/v1/feedback?limit=500"), 1, "only the body at the limit was filed");

        let code = submit(&app, &t);
        let upload = |bytes: Vec<u8>| {
            app.send(
                app.request(Method::POST, &format!("/api/v1/dossiers/{code}/documents?component_code=TP01&name=scan.pdf"))
                    .bearer_auth(&t.citizen)
                    .header("content-type", "application/pdf")
                    .body(bytes),
            )
        };
        upload(vec![b'%'; 4096]).expect(201);
        problem(upload(vec![b'%'; 4097]), "document over the limit").expect_problem(413, "payload_too_large");
        let documents = |app: &TestApp| {
            app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.citizen)).expect(200).body["documents"].as_array().map_or(0, Vec::len)
        };
        assert_eq!(documents(&app), 3, "two at submission and the one at the limit");
        // In a JSON submission, a document decoded above the limit is refused as well.
        let mut s = submission("Quá lớn");
        s["documents"][0]["content_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(vec![7u8; 4097]));
        problem(app.post("/api/v1/dossiers", Some(&t.citizen), &s), "base64 document over the limit");
        assert_eq!(count(&app, "/api/v1/dossiers?limit=500"), 1);
    }
}

both_backends! {
    fn deeply_nested_json_gets_400(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let before = snapshot(app);
        let depth = 10_000;
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let inside = format!("{{\"title\":{arrays},\"content\":\"x\",\"agency\":\"{DEPT}\"}}");
        for (path, body) in [
            ("/api/v1/dossiers", arrays.clone()),
            ("/api/v1/dossiers", objects.clone()),
            ("/api/v1/feedback", inside),
            ("/api/v1/imports/dossiers", objects),
        ] {
            let a = app.post_raw(path, Some(&t.citizen), "application/json", body.into_bytes());
            let a = problem(a, "deep nesting");
            assert!(matches!(a.status, 400 | 403 | 422), "deep nesting on {path}: {}", a.text);
        }
        // The server is still there.
        app.get("/health/live", None).expect(200);
        assert_eq!(snapshot(app), before);
    }

    fn invalid_utf8_gets_400_everywhere(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let before = snapshot(app);
        let bad: Vec<u8> = b"{\"title\":\"\xc3\x28\",\"content\":\"\xed\xa0\x80\",\"agency\":\"000.00.05.H56\"}".to_vec();
        app.post_raw("/api/v1/feedback", Some(&t.citizen), "application/json", bad).expect_problem(400, "malformed_json");
        let mut dossier = submission("SUMMARY").to_string().into_bytes();
        let at = dossier.windows(7).position(|w| w == b"SUMMARY").expect("summary");
        dossier.splice(at..at + 7, b"\xff\xfe\xc3\x28".iter().copied());
        app.post_raw("/api/v1/dossiers", Some(&t.citizen), "application/json", dossier).expect_problem(400, "malformed_json");
        // Invalid UTF-8 percent-encoded in a path or a query.
        problem(app.get("/api/v1/agencies/%C3%28", None), "path");
        // In a query, actix decodes it lossily (U+FFFD): a correct empty result.
        let q = app.get("/api/v1/procedures?q=%C3%28", None);
        if q.status == 200 {
            assert_eq!(q.body["items"], json!([]), "a search for an invalid byte finds nothing");
        } else {
            problem(q, "query");
        }
        problem(app.get("/api/v1/dossiers/%FF%FE", Some(&t.viewer)), "path");
        assert_eq!(snapshot(app), before);
    }
}

const NFC: &str = "Đăng ký thành lập doanh nghiệp — Nguyễn Thị Ánh Tuyết";

fn nfd(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd().collect()
}

fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both_backends! {
    fn composed_and_decomposed_vietnamese_find_the_same_things(app: &TestApp) {
        province(app);
        let admin = app.token(Role::Admin, None);
        assert_ne!(NFC, nfd(NFC), "the two forms differ byte for byte");
        // An agency named in decomposed form is found by a composed query, and the other way round.
        app.post("/api/v1/agencies", Some(&admin), &json!({"code": "000.02.05.H56", "name": nfd("Phòng Tư pháp Thủ Dầu Một"), "level": "department", "parent": DEPT})).expect(201);
        for q in ["Tư pháp Thủ Dầu Một".to_owned(), nfd("Tư pháp Thủ Dầu Một"), "tu phap thu dau mot".to_owned()] {
            let found = app.get(&format!("/api/v1/agencies?q={}", encode_component(&q)), None).expect(200).body;
            let codes: Vec<&str> = found["items"].as_array().expect("items").iter().filter_map(|a| a["code"].as_str()).collect();
            assert_eq!(codes, vec!["000.02.05.H56"], "agency search for {q:?}");
        }
        // The procedure is named in composed form: a decomposed query finds it.
        for q in ["Đăng ký thành lập".to_owned(), nfd("Đăng ký thành lập"), nfd("đăng KÝ")] {
            let found = app.get(&format!("/api/v1/procedures?q={}", encode_component(&q)), None).expect(200).body;
            let codes: Vec<&str> = found["items"].as_array().expect("items").iter().filter_map(|p| p["code"].as_str()).collect();
            assert_eq!(codes, vec![PROCEDURE], "procedure search for {q:?}");
        }
    }

    fn unicode_in_every_text_field_is_kept_or_refused_never_a_5xx(app: &TestApp) {
        province(app);
        app.set_now("2026-03-05T09:00:00+07:00");
        let t = tokens(app);
        let admin = app.token(Role::Admin, None);
        let texts = [
            NFC.to_owned(),
            nfd(NFC),
            "😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓".to_owned(),
            "Z̷̢a̶l̵g̸o̴ ṭ̸ḛ̵x̶t̷".to_owned(),
            "مرحبا \u{202e}txet\u{202c}".to_owned(),
            "zero\u{200b}width\u{feff}".to_owned(),
            "nul\u{0}byte".to_owned(),
            "ctrl\u{1}\u{7f}".to_owned(),
            "' OR 1=1 --".to_owned(),
        ];
        for (i, text) in texts.iter().enumerate() {
            let what = format!("text {i} {text:?}");
            let mut s = submission(text);
            s["applicant"]["name"] = json!(text);
            s["applicant"]["address"] = json!(text);
            s["documents"][0]["name"] = json!(text);
            let a = app.post("/api/v1/dossiers", Some(&t.citizen), &s);
            let nul = text.contains('\0');
            assert!(!(nul && a.status == 201), "{what}: NUL is refused on both backends");
            if a.status == 201 {
                let d = app.get(&format!("/api/v1/dossiers/{}", a.body["code"].as_str().expect("code")), Some(&t.citizen)).expect(200).body;
                assert_eq!(d["summary"], json!(text.trim()), "{what}: summary kept as sent");
            } else {
                problem(a, &what).expect_problem(422, "validation_failed");
            }
            let f = app.post("/api/v1/feedback", Some(&t.citizen), &json!({"title": text, "content": text, "agency": DEPT}));
            assert!(!(nul && f.status == 201), "{what}: NUL is refused on both backends");
            if f.status != 201 {
                problem(f, &what).expect_problem(422, "validation_failed");
            }
            let n = 10 + i;
            let g = app.post("/api/v1/agencies", Some(&admin), &json!({"code": format!("000.{n:02}.07.H56"), "name": text, "level": "department", "parent": OTHER}));
            assert!(!(nul && g.status == 201), "{what}: NUL is refused on both backends");
            if g.status != 201 {
                problem(g, &what).expect_problem(422, "validation_failed");
            }
            let p = app.get(&format!("/api/v1/procedures?q={}", encode_component(text)), None);
            if p.status != 200 {
                problem(p, &what);
            }
        }
    }
}

/// Hostile values for a path or query parameter, as they go on the wire.
fn nasty() -> Vec<String> {
    let mut v: Vec<String> =
        ["' OR 1=1 --", "\"; DROP TABLE dossiers; --", "%", "_", "%_%", "*", "\\", "000.00.05.H56-260305-0001' --"]
            .iter()
            .map(|s| encode_component(s))
            .collect();
    v.extend(
        ["..%2F..%2F", "%2e%2e%2f", "%2e%2e", "%00", "a%00b", "%252e%252e%252f", "..;", "%C0%AE%C0%AE%2F"]
            .map(String::from),
    );
    v.push("a".repeat(8_000));
    v
}

/// A valid value for a parameter (a real id where there is one).
fn plausible(name: &str, code: &str) -> String {
    match name {
        "code" => code.to_owned(),
        "version" => "1".into(),
        "id" | "delivery" => "01900000-0000-7000-8000-000000000000".into(),
        "from" | "received_from" | "resolved_from" => "2026-01-01".into(),
        "to" | "received_to" | "resolved_to" => "2026-12-31".into(),
        "metric" => "received".into(),
        "component_code" => "TP01".into(),
        "name" => "scan.pdf".into(),
        _ => String::new(),
    }
}

both_backends! {
    fn metacharacters_in_every_path_and_query_parameter_get_a_problem_or_nothing(app: &TestApp) {
        province(app);
        app.set_now("2026-03-05T09:00:00+07:00");
        let t = tokens(app);
        let dossier = submit(app, &t);
        let admin = app.token(Role::Admin, None);
        let doc: Value = serde_json::from_str(include_str!("../../../openapi.json")).expect("openapi.json");
        let before = snapshot(app);
        let mut cases = 0;
        let mut failures = Vec::new();
        for (template, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                let params: Vec<(String, String)> = op["parameters"].as_array().into_iter().flatten()
                    .filter(|p| p["in"] == "path" || p["in"] == "query")
                    .map(|p| (p["name"].as_str().unwrap_or_default().to_owned(), p["in"].as_str().unwrap_or_default().to_owned()))
                    .collect();
                let reading = method == "get";
                for (target, _) in &params {
                    for value in nasty() {
                        // Writes get a dossier code that does not exist in
                        // their other parameters, so nothing can change.
                        let code = if reading { dossier.clone() } else { "000.00.05.H56-260305-9999".to_owned() };
                        let mut path = template.clone();
                        let mut query = Vec::new();
                        for (name, place) in &params {
                            let v = if name == target { value.clone() } else { plausible(name, &code) };
                            if place == "path" {
                                path = path.replace(&format!("{{{name}}}"), &v);
                            } else if !v.is_empty() {
                                query.push(format!("{name}={v}"));
                            }
                        }
                        if !query.is_empty() {
                            path = format!("{path}?{}", query.join("&"));
                        }
                        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                        let mut rb = app.request(m, &path).bearer_auth(&admin);
                        if !reading {
                            rb = rb.json(&json!({}));
                        }
                        let a = app.send(rb);
                        cases += 1;
                        let label = format!("{} {template} [{target}={}]", method.to_uppercase(), value.chars().take(40).collect::<String>());
                        if a.status >= 500 {
                            failures.push(format!("{label}: {} {}", a.status, a.text.chars().take(300).collect::<String>()));
                        } else if a.status >= 400 {
                            let ok = a.header("content-type") == Some("application/problem+json") && a.body["status"] == a.status;
                            if !ok {
                                failures.push(format!("{label}: {} not a problem document: {:?}", a.status, a.text.chars().take(200).collect::<String>()));
                            }
                        } else if reading && !["limit", "cursor", "after", "at"].contains(&target.as_str()) {
                            // A filter that matched: only a literal match is correct, and no
                            // data has these values, so the result must be empty.
                            if let Some(items) = a.body["items"].as_array().filter(|i| !i.is_empty()) {
                                failures.push(format!("{label}: {} items for a value nothing has (wildcard or injection?)", items.len()));
                            }
                            if let Some(codes) = a.body["codes"].as_array().filter(|i| !i.is_empty()) {
                                failures.push(format!("{label}: {} codes for a value nothing has", codes.len()));
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(snapshot(app), before, "a refused request changed something");
        eprintln!("metacharacters: {cases} requests");
        assert!(failures.is_empty(), "{} of {cases} requests misbehaved:\n{}", failures.len(), failures.join("\n"));
    }
}
