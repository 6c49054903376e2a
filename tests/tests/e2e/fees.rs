//! Fees come from the procedure (docs/RULES.md §5): a payment request without an
//! amount asks for the pinned version's fee lines, an explicit amount needs
//! its reason, and an exemption or reduction is recorded with its legal
//! reason in the dossier's history.

use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

/// A dossier in processing at DEPT; returns its code.
fn processing(app: &TestApp, t: &Tokens) -> String {
    app.set_now("2026-03-02T09:00:00+07:00");
    let code = submit(app, t);
    act(app, &t.officer, &code, "receive", json!({})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    app.set_now("2026-03-03T09:00:00+07:00");
    code
}

fn payments(app: &TestApp, t: &Tokens, code: &str) -> Value {
    app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&t.officer)).expect(200).body
}

fn last_history(app: &TestApp, t: &Tokens, code: &str) -> Value {
    let slip = app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&t.viewer)).expect(200).body;
    slip["items"].as_array().and_then(|a| a.last()).expect("row").clone()
}

both_backends! {
    fn a_payment_request_without_an_amount_asks_for_the_fees_of_the_pinned_version(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = processing(app, &t);
        act(app, &t.officer, &code, "request-payment", json!({})).expect(200);
        let p = &payments(app, &t, &code)["items"][0];
        assert_eq!(p["amount_vnd"], 50000);
        assert_eq!(p["fee_lines"], json!([{"code": "LP01", "description": "Lệ phí", "amount_vnd": 50000, "collected": "on_receipt"}]));
        assert_eq!(p["relief_vnd"], 0);
        assert_eq!(p["amount_reason"], Value::Null);
        assert_eq!(last_history(app, &t, &code)["note"], "50000 VND due: fees LP01");
    }

    fn an_explicit_amount_needs_its_reason(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = processing(app, &t);
        let refused = act(app, &t.officer, &code, "request-payment", json!({"amount_vnd": 70000})).expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], "reason");
        assert_eq!(dossier_status(app, &t, &code), "processing", "a refused request changes nothing");
        act(app, &t.officer, &code, "request-payment", json!({"amount_vnd": 70000, "reason": "Phí thẩm định theo NQ 12/2025"})).expect(200);
        let p = &payments(app, &t, &code)["items"][0];
        assert_eq!(p["amount_vnd"], 70000);
        assert_eq!(p["amount_reason"], "Phí thẩm định theo NQ 12/2025");
        assert_eq!(p["fee_lines"], json!([]));
        act(app, &t.officer, &code, "request-payment", json!({"amout_vnd": 1})).expect_problem(422, "validation_failed");
    }

    fn an_exemption_is_recorded_with_its_legal_reason_and_nothing_is_owed(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = processing(app, &t);
        let basis = "Điểm a khoản 2 Điều 5 Thông tư 85/2019/TT-BTC: hộ nghèo";
        act(app, &t.officer, &code, "fee-relief", json!({"kind": "exempt"})).expect_problem(422, "validation_failed");
        act(app, &t.other_officer, &code, "fee-relief", json!({"kind": "exempt", "legal_basis": basis})).expect_problem(404, "not_found");
        act(app, &t.officer, &code, "fee-relief", json!({"kind": "exempt", "legal_basis": basis})).expect(200);
        let row = last_history(app, &t, &code);
        assert_eq!(row["action"], "fee-relief");
        assert_eq!(row["note"], format!("exempt from fees: {basis}"));
        assert_eq!(payments(app, &t, &code)["fee_relief"], json!({"kind": "exempt", "amount_vnd": 50000, "legal_basis": basis}));
        act(app, &t.officer, &code, "request-payment", json!({})).expect_problem(409, "nothing_to_pay");
        app.post(&format!("/api/v1/dossiers/{code}/payments/online"), Some(&t.citizen), &json!({})).expect_problem(409, "nothing_to_pay");
        assert_eq!(dossier_status(app, &t, &code), "processing");
    }

    fn a_reduction_is_taken_off_the_fees(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = processing(app, &t);
        act(app, &t.officer, &code, "fee-relief", json!({"kind": "reduced", "amount_vnd": 50000, "legal_basis": "NQ 12/2025"}))
            .expect_problem(422, "validation_failed");
        act(app, &t.officer, &code, "fee-relief", json!({"kind": "reduced", "amount_vnd": 20000, "legal_basis": "NQ 12/2025"})).expect(200);
        act(app, &t.officer, &code, "request-payment", json!({})).expect(200);
        let p = &payments(app, &t, &code)["items"][0];
        assert_eq!(p["amount_vnd"], 30000);
        assert_eq!(p["relief_vnd"], 20000);
        assert_eq!(p["fee_lines"][0]["code"], "LP01");
        act(app, &t.officer, &code, "fee-relief", json!({"kind": "exempt", "legal_basis": "x"})).expect_problem(409, "transition_not_allowed");
    }
}

fn dossier_status(app: &TestApp, t: &Tokens, code: &str) -> String {
    app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

both_backends! {
    fn exempt_dossiers_are_counted_apart_with_their_drill_down(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let exempt = processing(app, &t);
        let paying = processing(app, &t);
        act(app, &t.officer, &exempt, "fee-relief", json!({"kind": "exempt", "legal_basis": "TT 85/2019 Điều 5"})).expect(200);
        act(app, &t.officer, &paying, "fee-relief", json!({"kind": "reduced", "amount_vnd": 10000, "legal_basis": "NQ 12/2025"})).expect(200);
        act(app, &t.officer, &paying, "request-payment", json!({})).expect(200);
        act(app, &t.officer, &paying, "payments", json!({"method": "cash", "amount_vnd": 40000})).expect(200);
        let viewer = app.token(dvc_domain::auth::Role::Viewer, None);
        let range = "from=2026-03-01&to=2026-03-31";
        let summary = app.get(&format!("/api/v1/reports/summary?{range}"), Some(&viewer)).expect(200).body;
        let counts = &summary["total"]["counts"];
        assert_eq!((counts["received"].as_u64(), counts["exempt"].as_u64(), counts["paid"].as_u64()), (Some(2), Some(1), Some(1)));
        let drill = app.get(&format!("/api/v1/reports/dossiers?{range}&metric=exempt"), Some(&viewer)).expect(200).body;
        assert_eq!(drill["codes"], json!([exempt]));
    }
}

both_backends! {
    fn fees_paid_at_the_desk_are_not_asked_for_again(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = processing(app, &t);
        act(app, &t.officer, &code, "payments", json!({"method": "cash", "amount_vnd": 50000, "reference": "BL-7"})).expect(200);
        assert_eq!(payments(app, &t, &code)["items"][0]["fee_lines"][0]["code"], "LP01");
        act(app, &t.officer, &code, "request-payment", json!({})).expect_problem(409, "nothing_to_pay");
        act(app, &t.officer, &code, "payments", json!({"method": "cash", "amount_vnd": 20000})).expect(200);
        assert_eq!(payments(app, &t, &code)["items"][1]["fee_lines"], json!([]), "another amount covers no fee line");
    }
}

both_backends! {
    fn a_relief_after_a_payment_was_started_is_refused_not_ignored(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = processing(app, &t);
        // The applicant pays online before anyone asked (the fees of the version).
        act(app, &t.citizen, &code, "payments/online", json!({})).expect(201);
        let relief = json!({"kind": "exempt", "legal_basis": "Điều 5 Thông tư 85/2019/TT-BTC"});
        act(app, &t.officer, &code, "fee-relief", relief).expect_problem(409, "payments_exist");
        assert_eq!(payments(app, &t, &code)["items"][0]["amount_vnd"], 50000);
    }
}
