//! Authentication: every bad token gets 401; a missing right gets 403
//! naming the right.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use dvc_domain::auth::Role;
use dvc_tests::{both_backends, TestApp, TEST_SECRET};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

fn claims() -> Value {
    let now = Utc::now().timestamp();
    json!({"sub": "admin", "role": "admin", "exp": now + 3600, "iat": now, "iss": "dvc", "aud": "dvc-api"})
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes())).expect("sign")
}

fn with(key: &str, value: Value) -> Value {
    let mut c = claims();
    c[key] = value;
    c
}

fn without(key: &str) -> Value {
    let mut c = claims();
    c.as_object_mut().expect("object").remove(key);
    c
}

/// An admin-only request that would succeed with a good token.
fn create_agency(app: &TestApp, token: Option<&str>) -> dvc_tests::Answer {
    app.post(
        "/api/v1/agencies",
        token,
        &json!({"code": "000.00.00.H56", "name": "UBND tỉnh", "level": "province", "parent": null}),
    )
}

both_backends! {
    fn a_good_token_is_accepted(app: &TestApp) {
        create_agency(app, Some(&sign(&claims(), TEST_SECRET))).expect(201);
    }

    fn a_missing_token_gets_401(app: &TestApp) {
        create_agency(app, None).expect_problem(401, "missing_token");
        let res = app.send(app.request(reqwest::Method::POST, "/api/v1/agencies").header("authorization", "Basic YWRtaW46YWRtaW4=").json(&json!({})));
        res.expect_problem(401, "invalid_token");
    }

    fn an_expired_token_gets_401(app: &TestApp) {
        // Expired beyond the 30 s leeway.
        let expired = sign(&with("exp", json!(Utc::now().timestamp() - 120)), TEST_SECRET);
        create_agency(app, Some(&expired)).expect_problem(401, "token_expired");
        // Within the leeway it still counts.
        let just = sign(&with("exp", json!(Utc::now().timestamp() - 5)), TEST_SECRET);
        create_agency(app, Some(&just)).expect(201);
    }

    fn a_token_not_yet_valid_gets_401(app: &TestApp) {
        let later = sign(&with("nbf", json!(Utc::now().timestamp() + 600)), TEST_SECRET);
        create_agency(app, Some(&later)).expect_problem(401, "token_not_yet_valid");
    }

    fn a_forged_token_gets_401(app: &TestApp) {
        let forged = sign(&claims(), "someone-elses-secret-0123456789");
        create_agency(app, Some(&forged)).expect_problem(401, "invalid_token");
        // A tampered payload under the original signature.
        let good = sign(&with("role", json!("viewer")), TEST_SECRET);
        let parts: Vec<&str> = good.split('.').collect();
        let tampered_payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        let tampered = format!("{}.{}.{}", parts[0], tampered_payload, parts[2]);
        create_agency(app, Some(&tampered)).expect_problem(401, "invalid_token");
    }

    fn an_alg_none_token_gets_401(app: &TestApp) {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        create_agency(app, Some(&format!("{header}.{payload}."))).expect_problem(401, "invalid_token");
    }

    fn a_token_for_another_issuer_or_audience_gets_401(app: &TestApp) {
        create_agency(app, Some(&sign(&with("iss", json!("elsewhere")), TEST_SECRET))).expect_problem(401, "invalid_token");
        create_agency(app, Some(&sign(&with("aud", json!("another-api")), TEST_SECRET))).expect_problem(401, "invalid_token");
    }

    fn a_token_without_exp_iss_or_aud_gets_401(app: &TestApp) {
        for claim in ["exp", "iss", "aud", "sub"] {
            create_agency(app, Some(&sign(&without(claim), TEST_SECRET))).expect_problem(401, "invalid_token");
        }
    }

    fn an_unknown_role_or_a_staff_token_without_agency_gets_401(app: &TestApp) {
        create_agency(app, Some(&sign(&with("role", json!("superuser")), TEST_SECRET))).expect_problem(401, "invalid_token");
        create_agency(app, Some(&sign(&with("role", json!("officer")), TEST_SECRET))).expect_problem(401, "invalid_token");
    }

    fn garbage_gets_401(app: &TestApp) {
        create_agency(app, Some("not.a.jwt")).expect_problem(401, "invalid_token");
        create_agency(app, Some("%%%")).expect_problem(401, "invalid_token");
    }

    fn a_missing_right_gets_403_naming_it(app: &TestApp) {
        for role in [Role::Citizen, Role::Viewer, Role::Integrator] {
            let answer = create_agency(app, Some(&app.token(role, None))).expect_problem(403, "forbidden");
            assert_eq!(answer.body["missing_right"], "agencies:manage");
        }
        let officer = app.token(Role::Officer, Some("000.00.05.H56"));
        create_agency(app, Some(&officer)).expect_problem(403, "forbidden");
        assert_eq!(app.get("/api/v1/agencies", None).expect(200).body["items"], json!([]), "nothing was created");
    }

    fn a_bad_token_on_a_public_read_is_still_401(app: &TestApp) {
        app.get("/api/v1/agencies", Some("not.a.jwt")).expect_problem(401, "invalid_token");
        app.get("/api/v1/agencies", None).expect(200);
    }
}
