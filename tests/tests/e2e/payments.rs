//! Payments: the signed INIT message, callbacks good and bad, recovery of a
//! lost callback by QUERY, desk payments, cancellation and refund.

use std::time::{Duration, Instant};

use dvc_domain::auth::Role;
use dvc_domain::payment::checksum;
use dvc_persistence::payments as store;
use dvc_tests::fixtures::*;
use dvc_tests::payment_sim::{signed_result, PaymentSim, SECRET};
use dvc_tests::{both_backends, Backend, TestApp};
use serde_json::{json, Value};

/// A dossier awaiting a payment of 50,000 VND; returns its code.
fn awaiting_payment(app: &TestApp, t: &Tokens) -> String {
    app.set_now("2026-03-02T09:00:00+07:00");
    let code = submit(app, t);
    act(app, &t.officer, &code, "receive", json!({})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    app.set_now("2026-03-03T09:00:00+07:00");
    let body = json!({"amount_vnd": 50000, "reason": "Lệ phí đăng ký (TT 85/2019)", "note": "Lệ phí đăng ký"});
    act(app, &t.officer, &code, "request-payment", body).expect(200);
    code
}

/// A server that queries the simulated platform after a second, and a
/// dossier awaiting a payment of 50,000 VND there (at the present instant).
fn awaiting_payment_with_platform(backend: Backend) -> (PaymentSim, TestApp, Tokens, String) {
    let sim = PaymentSim::start();
    let app =
        TestApp::spawn_with(backend, &["--payment-platform-url", sim.url.as_str(), "--payment-query-after-secs", "1"]);
    province(&app);
    let t = tokens(&app);
    app.clock.set(chrono::Utc::now());
    let code = submit(&app, &t);
    act(&app, &t.officer, &code, "receive", json!({})).expect(200);
    act(&app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    act(&app, &t.officer, &code, "request-payment", json!({"amount_vnd": 50000, "reason": "Lệ phí"})).expect(200);
    (sim, app, t, code)
}

fn start_online(app: &TestApp, t: &Tokens, code: &str) -> Value {
    app.post(&format!("/api/v1/dossiers/{code}/payments/online"), Some(&t.citizen), &json!({})).expect(201).body
}

fn send_callback(app: &TestApp, body: &dvc_domain::payment::PlatformResult) -> dvc_tests::Answer {
    app.post("/api/v1/payments/callback", None, &serde_json::to_value(body).expect("json"))
}

fn dossier(app: &TestApp, t: &Tokens, code: &str) -> Value {
    app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body
}

both_backends! {
    fn online_payment_starts_with_a_signed_init_message(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let pending = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.citizen)).expect(200).body;
        assert_eq!(pending["items"][0]["status"], "pending");
        assert_eq!(pending["items"][0]["method"], "unspecified");
        let started = start_online(app, &t, &code);
        let m = &started["init_message"];
        assert_eq!(m["LoaiBanTin"], "INIT");
        assert_eq!(m["SoTien"], "50000");
        assert_eq!(m["MaTienTe"], "VND");
        assert_eq!(m["ThoiGianGD"], "20260303090000");
        let fields: Vec<&str> = ["LoaiBanTin", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "ThoiGianGD", "ThongTinGiaoDich", "ThongTinBienLai"]
            .iter().map(|k| m[*k].as_str().expect("field")).collect();
        assert_eq!(m["MaXacThuc"], checksum(&fields, SECRET).as_str());
        assert_eq!(started["payment"]["method"], "online");
        assert_eq!(started["payment"]["amount_vnd"], 50000);
        app.post(&format!("/api/v1/dossiers/{code}/payments/online"), Some(&t.officer), &json!({})).expect_problem(403, "forbidden");
        app.post(&format!("/api/v1/dossiers/{code}/payments/online"), Some(&t.other_citizen), &json!({})).expect_problem(404, "not_found");
    }

    fn a_good_callback_pays_and_resumes_and_a_replay_changes_nothing(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let reference = init_reference(&start_online(app, &t, &code));
        app.set_now("2026-03-03T10:00:00+07:00");
        let good = signed_result(&reference, "50000", "00", "GD-77", SECRET);
        let ack = send_callback(app, &good).expect(200);
        assert_eq!(ack.body["MaLoi"], "00");
        let d = dossier(app, &t, &code);
        assert_eq!(d["status"], "processing");
        assert_eq!(d["pauses"][0]["to"], "2026-03-03T10:00:00+07:00");
        let paid = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.citizen)).expect(200).body;
        assert_eq!(paid["items"][0]["status"], "paid");
        assert_eq!(paid["items"][0]["transaction_id"], "GD-77");
        assert_eq!(paid["items"][0]["cashless"], true);
        let slip = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.viewer)).expect(200).body;
        let last = slip["items"].as_array().and_then(|a| a.last()).expect("row").clone();
        assert_eq!(last["actor_id"], "payment-platform");
        assert_eq!(last["to_status"], "processing");
        let version = d["version"].clone();
        let again = send_callback(app, &good).expect(200);
        assert_eq!(again.body["MoTa"], "already processed");
        assert_eq!(dossier(app, &t, &code)["version"], version, "the same callback twice changes nothing");
    }

    fn bad_callbacks_change_nothing_and_are_logged(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let reference = init_reference(&start_online(app, &t, &code));
        let version = dossier(app, &t, &code)["version"].clone();
        let mut forged = signed_result(&reference, "50000", "00", "GD-1", "not-the-secret");
        send_callback(app, &forged).expect_problem(400, "invalid_signature");
        forged = signed_result(&reference, "50000", "00", "GD-1", SECRET);
        forged.amount = "5000".into();
        send_callback(app, &forged).expect_problem(400, "invalid_signature");
        send_callback(app, &signed_result(&reference, "5000", "00", "GD-1", SECRET)).expect_problem(422, "validation_failed");
        send_callback(app, &signed_result("NO-SUCH-REF", "50000", "00", "GD-1", SECRET)).expect_problem(422, "validation_failed");
        app.post_raw("/api/v1/payments/callback", None, "application/json", b"{\"MaLoi\":".to_vec()).expect_problem(400, "malformed_json");
        let d = dossier(app, &t, &code);
        assert_eq!(d["status"], "awaiting_payment");
        assert_eq!(d["version"], version);
        let payments = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.citizen)).expect(200).body;
        assert_eq!(payments["items"][0]["status"], "pending");
        let mut conn = app.db.connect();
        assert_eq!(
            store::callback_outcomes(&mut conn, &reference).expect("log"),
            vec!["bad_signature", "bad_signature", "amount_mismatch"]
        );
        assert_eq!(store::callback_outcomes(&mut conn, "NO-SUCH-REF").expect("log"), vec!["unknown_reference"]);
    }

    fn a_failed_payment_is_recorded_and_the_dossier_keeps_waiting(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let reference = init_reference(&start_online(app, &t, &code));
        send_callback(app, &signed_result(&reference, "50000", "51", "GD-9", SECRET)).expect(200);
        assert_eq!(dossier(app, &t, &code)["status"], "awaiting_payment");
        let payments = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.citizen)).expect(200).body;
        assert_eq!(payments["items"][0]["status"], "pending", "the obligation is still owed");
        assert_eq!(payments["items"][0]["attempts"][0]["status"], "failed");
    }

    fn desk_payments_settle_the_obligation_and_admins_cancel_or_refund(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        act(app, &t.officer, &code, "payments", json!({"method": "cash", "amount_vnd": 50000, "reference": "BL-1"})).expect(200);
        let payments = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.officer)).expect(200).body;
        let items = payments["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "the obligation itself is settled");
        assert_eq!(items[0]["status"], "paid");
        assert_eq!(items[0]["method"], "cash");
        assert_eq!(items[0]["cashless"], false);
        let id = items[0]["id"].as_str().expect("id");
        let admin = app.token(Role::Admin, None);
        app.post(&format!("/api/v1/payments/{id}/cancel"), Some(&admin), &json!({})).expect_problem(409, "payment_not_allowed");
        app.post(&format!("/api/v1/payments/{id}/refund"), Some(&t.officer), &json!({})).expect_problem(403, "forbidden");
        assert_eq!(app.post(&format!("/api/v1/payments/{id}/refund"), Some(&admin), &json!({})).expect(200).body["status"], "refunded");
        app.post(&format!("/api/v1/payments/{id}/refund"), Some(&admin), &json!({})).expect_problem(409, "payment_not_allowed");
        app.post("/api/v1/payments/nope/cancel", Some(&admin), &json!({})).expect_problem(404, "not_found");
    }
}

both_backends! {
    fn a_lost_callback_is_recovered_by_query(backend: Backend) {
        let (sim, app, t, code) = awaiting_payment_with_platform(backend);
        let started = start_online(&app, &t, &code);
        assert!(started["redirect_url"].as_str().is_some_and(|u| u.starts_with(&sim.url)));
        // No callback comes; the reconciler asks the platform.
        let begin = Instant::now();
        while dossier(&app, &t, &code)["status"] != "processing" {
            assert!(begin.elapsed() < Duration::from_secs(30), "QUERY never settled the payment");
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(sim.queries() >= 1);
        let payments = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.citizen)).expect(200).body;
        assert_eq!(payments["items"][0]["status"], "paid");
        assert_eq!(payments["items"][0]["transaction_id"], "Q-0001");
    }
}

/// The reference of the attempt an INIT started (its MaThamChieu).
fn init_reference(started: &Value) -> String {
    started["init_message"]["MaThamChieu"].as_str().expect("MaThamChieu").to_owned()
}

fn attempts(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/payment-attempts{query}"), Some(token)).expect(200).body["items"]
        .as_array()
        .expect("items")
        .clone()
}

both_backends! {
    fn a_success_for_an_earlier_attempt_still_settles_the_dossier(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let first = init_reference(&start_online(app, &t, &code));
        let second = init_reference(&start_online(app, &t, &code));
        assert_ne!(first, second, "every INIT is its own attempt with its own reference");
        send_callback(app, &signed_result(&first, "50000", "00", "GD-1", SECRET)).expect(200);
        assert_eq!(dossier(app, &t, &code)["status"], "processing");
        let payments = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.citizen)).expect(200).body;
        assert_eq!(payments["items"][0]["status"], "paid");
        assert_eq!(payments["items"][0]["transaction_id"], "GD-1");
        let refs: Vec<(&str, &str)> = payments["items"][0]["attempts"].as_array().expect("attempts").iter()
            .map(|a| (a["reference"].as_str().expect("ref"), a["status"].as_str().expect("status"))).collect();
        assert_eq!(refs, vec![(first.as_str(), "paid"), (second.as_str(), "pending")]);
    }

    fn a_second_success_is_kept_and_flagged_for_refund(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let first = init_reference(&start_online(app, &t, &code));
        let second = init_reference(&start_online(app, &t, &code));
        send_callback(app, &signed_result(&second, "50000", "00", "GD-2", SECRET)).expect(200);
        let version = dossier(app, &t, &code)["version"].clone();
        let late = send_callback(app, &signed_result(&first, "50000", "00", "GD-1", SECRET)).expect(200);
        assert_eq!(late.body["MaLoi"], "00");
        assert_eq!(dossier(app, &t, &code)["version"], version, "the dossier was already paid");
        let mut conn = app.db.connect();
        assert_eq!(store::callback_outcomes(&mut conn, &first).expect("log"), vec!["refund_due"]);
        let due = attempts(app, &t.officer, "?refund_due=true");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0]["reference"], first.as_str());
        assert_eq!(due[0]["dossier_code"], code.as_str());
        assert_eq!(due[0]["transaction_id"], "GD-1");
        assert_eq!(due[0]["status"], "paid");
        assert_eq!(due[0]["refund_due"], true);
        assert!(attempts(app, &t.other_officer, "?refund_due=true").is_empty(), "another agency's desk sees none");
        app.get("/api/v1/payment-attempts?refund_due=true", Some(&t.citizen)).expect_problem(403, "forbidden");
        let admin = app.token(Role::Admin, None);
        let id = due[0]["id"].as_str().expect("id");
        app.post(&format!("/api/v1/payment-attempts/{id}/refund"), Some(&t.officer), &json!({})).expect_problem(403, "forbidden");
        let refunded = app.post(&format!("/api/v1/payment-attempts/{id}/refund"), Some(&admin), &json!({})).expect(200).body;
        assert_eq!(refunded["refunded_at"], "2026-03-03T09:00:00+07:00");
        app.post(&format!("/api/v1/payment-attempts/{id}/refund"), Some(&admin), &json!({})).expect_problem(409, "refund_not_due");
        assert!(attempts(app, &admin, "?refund_due=true").is_empty());
        assert_eq!(attempts(app, &admin, "?refund_due=false").len(), 2);
    }

    fn two_successes_at_once_settle_once_and_flag_the_other(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let second = app.second_instance();
        let admin = app.token(Role::Admin, None);
        for round in 0..3 {
            let code = awaiting_payment(app, &t);
            let one = init_reference(&start_online(app, &t, &code));
            let two = init_reference(&start_online(app, &t, &code));
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(|| send_callback(app, &signed_result(&one, "50000", "00", &format!("A{round}"), SECRET)));
                let b = s.spawn(|| send_callback(&second, &signed_result(&two, "50000", "00", &format!("B{round}"), SECRET)));
                (a.join().expect("a"), b.join().expect("b"))
            });
            let mut said = [a.expect(200).body["MoTa"].clone(), b.expect(200).body["MoTa"].clone()];
            said.sort_by_key(ToString::to_string);
            assert_eq!(said, [json!("paid"), json!("paid; the fee was already settled: refund due")]);
            let slip = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.viewer)).expect(200).body;
            let settled = slip["items"].as_array().expect("rows").iter().filter(|r| r["actor_id"] == "payment-platform").count();
            assert_eq!(settled, 1, "the dossier is settled once");
            let due: Vec<Value> =
                attempts(app, &admin, "?refund_due=true").into_iter().filter(|a| a["dossier_code"] == code.as_str()).collect();
            assert_eq!(due.len(), 1);
        }
    }

    fn a_success_after_a_failure_for_the_same_reference_is_taken(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let reference = init_reference(&start_online(app, &t, &code));
        send_callback(app, &signed_result(&reference, "50000", "51", "GD-9", SECRET)).expect(200);
        assert_eq!(dossier(app, &t, &code)["status"], "awaiting_payment");
        send_callback(app, &signed_result(&reference, "50000", "00", "GD-9", SECRET)).expect(200);
        assert_eq!(dossier(app, &t, &code)["status"], "processing");
        let mut conn = app.db.connect();
        assert_eq!(store::callback_outcomes(&mut conn, &reference).expect("log"), vec!["failed", "paid_after_failure"]);
        send_callback(app, &signed_result(&reference, "50000", "51", "GD-9", SECRET)).expect_problem(409, "payment_not_pending");
    }
}

both_backends! {
    fn query_asks_about_every_attempt_still_pending(backend: Backend) {
        let (sim, app, t, code) = awaiting_payment_with_platform(backend);
        let first = init_reference(&start_online(&app, &t, &code));
        let second = init_reference(&start_online(&app, &t, &code));
        let begin = Instant::now();
        while !(sim.asked().contains(&first) && sim.asked().contains(&second)) {
            assert!(begin.elapsed() < Duration::from_secs(30), "QUERY asked only about {:?}", sim.asked());
            std::thread::sleep(Duration::from_millis(200));
        }
        // The simulator answers every query with a success: one settles, the other is owed back.
        let admin = app.token(Role::Admin, None);
        while attempts(&app, &admin, "?refund_due=true").is_empty() {
            assert!(begin.elapsed() < Duration::from_secs(30), "the second success was not flagged");
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(dossier(&app, &t, &code)["status"], "processing");
    }
}

both_backends! {
    fn a_success_after_the_applicant_withdrew_is_kept_and_owed_back(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let reference = init_reference(&start_online(app, &t, &code));
        act(app, &t.citizen, &code, "withdraw", json!({"reason": "Không còn nhu cầu"})).expect(200);
        send_callback(app, &signed_result(&reference, "50000", "00", "GD-9", SECRET)).expect(200);
        assert_eq!(dossier(app, &t, &code)["status"], "withdrawn");
        let mut conn = app.db.connect();
        assert_eq!(store::callback_outcomes(&mut conn, &reference).expect("log"), vec!["refund_due"]);
        let due = attempts(app, &t.officer, "?refund_due=true");
        assert_eq!(due.len(), 1, "the money is listed to be given back");
        assert_eq!(due[0]["reference"], reference.as_str());
        let items = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.officer)).expect(200).body;
        assert_ne!(items["items"][0]["status"], "paid", "a withdrawn dossier's fees are not settled");
    }
}

both_backends! {
    fn a_second_transaction_for_a_paid_reference_is_kept_and_owed_back(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = awaiting_payment(app, &t);
        let reference = init_reference(&start_online(app, &t, &code));
        send_callback(app, &signed_result(&reference, "50000", "00", "GD-1", SECRET)).expect(200);
        assert_eq!(dossier(app, &t, &code)["status"], "processing");
        // The bank debited twice: the platform reports another transaction for the same reference.
        for _ in 0..2 {
            send_callback(app, &signed_result(&reference, "50000", "00", "GD-2", SECRET)).expect(200);
        }
        let due = attempts(app, &t.officer, "?refund_due=true");
        assert_eq!(due.len(), 1, "listed once, for the second transaction");
        assert_eq!(due[0]["transaction_id"], "GD-2");
        assert_eq!(due[0]["amount_vnd"], 50000);
        let mut conn = app.db.connect();
        assert_eq!(store::callback_outcomes(&mut conn, &reference).expect("log"), vec!["paid", "refund_due", "duplicate"]);
    }
}
