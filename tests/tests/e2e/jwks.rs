//! Tokens of an identity provider, verified with the keys of its JSON Web
//! Key Set (DVC_JWT_JWKS_URL): the key named by the token's `kid`, a key
//! rotation without restart, a flood of made-up key ids, and a provider that
//! fails, answers garbage or answers slowly. Nothing answers 5xx.

use std::time::{Duration, Instant};

use chrono::Utc;
use dvc_tests::jwks_sim::{JwksSim, Mode, TestKey, EC_P256, RSA_A, RSA_B};
use dvc_tests::{both_backends, Answer, Backend, TestApp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// The shortest time between two fetches of the key set, in these tests.
const INTERVAL: Duration = Duration::from_secs(1);
/// The server's longest wait for the key set, in these tests.
const TIMEOUT_MS: u64 = 500;

fn claims(role: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({"sub": "079123456789", "role": role, "exp": now + 600, "iat": now, "iss": "dvc", "aud": "dvc-api"})
}

fn admin(key: TestKey, kid: &str) -> String {
    key.sign(Some(kid), &claims("admin"))
}

fn app_for(backend: Backend, sim: &JwksSim, interval: Duration) -> TestApp {
    let interval = interval.as_secs().to_string();
    let timeout = TIMEOUT_MS.to_string();
    TestApp::spawn_with(
        backend,
        &[
            "--jwt-jwks-url",
            &sim.url,
            "--jwt-jwks-min-interval-secs",
            &interval,
            "--jwt-jwks-timeout-ms",
            &timeout,
            "--jwt-jwks-refresh-secs",
            "3600",
        ],
    )
}

/// A request that needs a valid token (any staff-reading role).
fn read(app: &TestApp, token: &str) -> Answer {
    let a = app.get("/api/v1/dossiers", Some(token));
    assert!(a.status < 500, "5xx: {}", a.text);
    a
}

fn refused(app: &TestApp, token: &str, what: &str) {
    let a = read(app, token);
    assert_eq!(a.status, 401, "{what}: {}", a.text);
    a.expect_problem(401, "invalid_token");
}

/// Waits past the minimum interval since the last fetch.
fn past_interval() {
    std::thread::sleep(INTERVAL + Duration::from_millis(150));
}

both_backends! {
    fn a_token_signed_with_the_providers_key_is_accepted_and_others_are_not(backend: Backend) {
        let sim = JwksSim::start(vec![RSA_A.jwk("a1"), EC_P256.jwk("e1")]);
        let app = app_for(backend, &sim, Duration::from_secs(30));
        sim.wait_for_requests(1, Duration::from_secs(10));
        read(&app, &admin(RSA_A, "a1")).expect(200);
        read(&app, &admin(EC_P256, "e1")).expect(200);
        // Through the public, token-optional path as well.
        app.get("/api/v1/agencies", Some(&admin(RSA_A, "a1"))).expect(200);
        let fetched = sim.requests();

        refused(&app, &RSA_A.sign(None, &claims("admin")), "no kid");
        refused(&app, &admin(RSA_A, ""), "an empty kid");
        refused(&app, &admin(RSA_B, "a1"), "another key under a known kid");
        refused(&app, &admin(RSA_A, "e1"), "an RSA signature under the EC key's kid");
        // The server's HS256 secret (the harness sets one) is not taken, with or without a kid.
        refused(&app, &app.token(dvc_domain::auth::Role::Admin, None), "HS256 with the configured secret");
        let hs = |kid: &str| {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some(kid.into());
            jsonwebtoken::encode(&h, &claims("admin"), &EncodingKey::from_secret(dvc_tests::TEST_SECRET.as_bytes()))
                .expect("sign")
        };
        refused(&app, &hs("a1"), "HS256 naming a provider key");
        // Issuer and audience are checked as before.
        let mut other = claims("admin");
        other["iss"] = json!("another-provider");
        refused(&app, &RSA_A.sign(Some("a1"), &other), "another issuer");
        let mut other = claims("admin");
        other["aud"] = json!("another-api");
        refused(&app, &RSA_A.sign(Some("a1"), &other), "another audience");
        let mut expired = claims("admin");
        expired["exp"] = json!(Utc::now().timestamp() - 120);
        read(&app, &RSA_A.sign(Some("a1"), &expired)).expect_problem(401, "token_expired");
        // None of these asked the provider again (no unknown kid; the last
        // one asked less than 30 s ago anyway).
        assert_eq!(sim.requests(), fetched);
        // An unknown kid within the interval: 401 at once, no fetch.
        refused(&app, &admin(RSA_A, "unknown"), "an unknown kid");
        app.get("/api/v1/agencies", Some(&admin(RSA_A, "unknown"))).expect_problem(401, "invalid_token");
        assert_eq!(sim.requests(), fetched);
    }

    fn a_key_rotation_is_taken_without_restart_on_the_first_token_of_the_new_key(backend: Backend) {
        let sim = JwksSim::start(vec![RSA_A.jwk("2025-a")]);
        let app = app_for(backend, &sim, INTERVAL);
        sim.wait_for_requests(1, Duration::from_secs(10));
        read(&app, &admin(RSA_A, "2025-a")).expect(200);
        assert_eq!(sim.requests(), 1);
        past_interval();
        sim.set_keys(vec![RSA_B.jwk("2026-b"), EC_P256.jwk("2026-e")]);
        // The schedule is an hour away: only the unknown kid fetches the new set.
        read(&app, &admin(RSA_B, "2026-b")).expect(200);
        assert_eq!(sim.requests(), 2, "one fetch, asked by the unknown kid");
        read(&app, &admin(EC_P256, "2026-e")).expect(200);
        // The retired key is not taken any more (and asks no fetch so soon).
        refused(&app, &admin(RSA_A, "2025-a"), "the retired key");
        assert_eq!(sim.requests(), 2);
    }

    fn a_flood_of_made_up_kids_fetches_at_most_once_per_interval(backend: Backend) {
        let sim = JwksSim::start(vec![RSA_A.jwk("a1")]);
        let interval = Duration::from_secs(2);
        let app = app_for(backend, &sim, interval);
        sim.wait_for_requests(1, Duration::from_secs(10));
        read(&app, &admin(RSA_A, "a1")).expect(200);
        std::thread::sleep(interval + Duration::from_millis(150));
        let before = sim.requests();
        let started = Instant::now();
        std::thread::scope(|s| {
            for t in 0..4 {
                let app = &app;
                s.spawn(move || {
                    for i in 0..25 {
                        refused(app, &admin(RSA_A, &format!("forged-{t}-{i}")), "a forged kid");
                    }
                });
            }
        });
        let elapsed = started.elapsed();
        let fetches = sim.requests() - before;
        let allowed = (elapsed.as_secs_f64() / interval.as_secs_f64()).floor() as usize + 1;
        assert!(fetches >= 1, "the first unknown kid fetches the key set");
        assert!(fetches <= allowed, "{fetches} fetches for 100 forged kids in {elapsed:?} (at most {allowed})");
        // The real key kept working throughout.
        read(&app, &admin(RSA_A, "a1")).expect(200);
    }

    fn a_provider_that_fails_answers_garbage_or_is_slow_does_not_lose_the_known_keys(backend: Backend) {
        let sim = JwksSim::start(vec![RSA_A.jwk("a1")]);
        let app = app_for(backend, &sim, INTERVAL);
        sim.wait_for_requests(1, Duration::from_secs(10));
        read(&app, &admin(RSA_A, "a1")).expect(200);
        let modes = [
            Mode::Fail,
            Mode::Garbage("<html>maintenance</html>".into()),
            Mode::Garbage(r#"{"keys": []}"#.into()),
            Mode::Garbage(r#"{"keys": [{"kty": "oct", "kid": "h1", "k": "c2VjcmV0"}]}"#.into()),
            Mode::Slow(Duration::from_secs(3)),
        ];
        for mode in modes {
            past_interval();
            sim.set_mode(mode.clone());
            let before = sim.requests();
            let started = Instant::now();
            refused(&app, &admin(RSA_B, "b1"), "an unknown kid while the provider is broken");
            let waited = started.elapsed();
            assert!(
                waited < Duration::from_millis(TIMEOUT_MS) + Duration::from_millis(1500),
                "{mode:?}: the 401 took {waited:?}"
            );
            // The broken provider is asked (by that kid, or by the schedule,
            // which tries again one interval after a failed fetch) ...
            sim.wait_for_requests(before + 1, Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(TIMEOUT_MS + 300));
            // ... and after that failed fetch the keys known before still work.
            read(&app, &admin(RSA_A, "a1")).expect(200);
        }
        // The provider recovers with a rotated set: taken at the next unknown kid.
        sim.set_mode(Mode::Serve);
        sim.set_keys(vec![RSA_B.jwk("b1")]);
        std::thread::sleep(Duration::from_secs(3)); // the slow answer above is over
        read(&app, &admin(RSA_B, "b1")).expect(200);
    }

    fn a_provider_down_at_start_does_not_stop_the_server(backend: Backend) {
        let sim = JwksSim::start(vec![RSA_A.jwk("a1")]);
        sim.set_mode(Mode::Fail);
        let app = app_for(backend, &sim, INTERVAL);
        sim.wait_for_requests(1, Duration::from_secs(10));
        app.get("/health/live", None).expect(200);
        refused(&app, &admin(RSA_A, "a1"), "no keys known yet");
        sim.set_mode(Mode::Serve);
        // Failed fetches are tried again after the interval, tokens or not.
        let started = Instant::now();
        loop {
            let a = read(&app, &admin(RSA_A, "a1"));
            if a.status == 200 {
                break;
            }
            a.expect_problem(401, "invalid_token");
            assert!(started.elapsed() < Duration::from_secs(10), "the keys never arrived");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
