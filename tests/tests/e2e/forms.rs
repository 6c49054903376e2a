//! The forms of the one-stop procedure as PDF:
//! `GET /api/v1/dossiers/{code}/forms/{form}`. Each form is fetched, its text
//! read back out of the PDF (through the embedded font's ToUnicode map) and
//! checked against the dossier's record.

use chrono::{DateTime, FixedOffset, Utc};
use clap::Parser;
use dvc_api::config::Cli;
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, TestApp, TEST_SECRET};
use serde_json::{json, Value};

const AGENCY_NAME: &str = "Sở Kế hoạch và Đầu tư";
const APPLICANT: &str = "Nguyễn Văn An";
const RECEIVER: &str = "Trần Thị Bích Ngọc";
const APPROVER: &str = "Lê Quang Đức";

/// A staff token whose holder has a name (the forms print it).
fn named(role: Role, sub: &str, name: &str) -> String {
    let config = Cli::try_parse_from(["dvc", "--jwt-secret", TEST_SECRET]).expect("config").config;
    let keys = dvc_api::auth::Keys::from_config(&config).expect("keys");
    let agency = AgencyCode::parse(DEPT).expect("agency code");
    keys.mint(role, sub, Some(&agency), Some(name), Utc::now(), chrono::Duration::hours(1)).expect("token")
}

/// The form's text, its whitespace runs made single spaces (a wrapped line
/// reads as a space).
fn form(app: &TestApp, token: &str, code: &str, form: &str) -> String {
    let res = app
        .request(reqwest::Method::GET, &format!("/api/v1/dossiers/{code}/forms/{form}"))
        .bearer_auth(token)
        .send()
        .expect("request sent");
    let ok = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = res.bytes().expect("body").to_vec();
    assert_eq!(ok, 200, "{form}: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(content_type.as_deref(), Some("application/pdf"));
    assert!(bytes.starts_with(b"%PDF-"), "{form}: not a PDF");
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("the text of the PDF");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[track_caller]
fn has(text: &str, wanted: &str) {
    assert!(text.contains(wanted), "{wanted:?} is not on the form:\n{text}");
}

/// What every form shows: the header, the agency, the code, the applicant, the look-up address.
#[track_caller]
fn common(text: &str, code: &str, title: &str) {
    for s in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        AGENCY_NAME,
        title,
        code,
        APPLICANT,
        "Đăng ký thành lập doanh nghiệp tư nhân",
        &format!("http://127.0.0.1:8080/tra-cuu?code={code}"),
    ] {
        has(text, s);
    }
}

/// An instant as the forms print it: Vietnam time to the minute.
fn minute(v: &Value) -> String {
    let t: DateTime<FixedOffset> = v.as_str().expect("instant").parse().expect("RFC 3339");
    t.with_timezone(&FixedOffset::east_opt(7 * 3600).expect("+07:00")).format("%H:%M ngày %d/%m/%Y").to_string()
}

fn dossier(app: &TestApp, t: &Tokens, code: &str) -> Value {
    app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body
}

#[track_caller]
fn not_applicable(app: &TestApp, token: &str, code: &str, form: &str) {
    app.get(&format!("/api/v1/dossiers/{code}/forms/{form}"), Some(token)).expect_problem(409, "form_not_applicable");
}

both_backends! {
    fn the_receipt_and_the_control_slip_carry_the_record(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let receiver = named(Role::Officer, "officer.ngoc", RECEIVER);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        // Before reception there is no receipt.
        not_applicable(app, &t.citizen, &code, "receipt");
        app.set_now("2026-03-02T09:30:00+07:00");
        act(app, &receiver, &code, "receive", json!({"note": "Đủ thành phần"})).expect(200);
        app.set_now("2026-03-02T10:00:00+07:00");
        act(app, &receiver, &code, "hand-off", json!({"to_agency": UNIT, "to_officer": "chuyenvien.dkkd", "step_deadline": "2026-03-04T17:00:00+07:00"}))
            .expect(200);
        // The unit hands it back a day after its step deadline.
        app.set_now("2026-03-05T08:15:00+07:00");
        act(app, &t.unit_officer, &code, "hand-off", json!({"to_agency": DEPT, "step_deadline": "2026-03-20T17:00:00+07:00", "note": "Đã thẩm định"}))
            .expect(200);
        let d = dossier(app, &t, &code);
        let due = minute(&d["due_at"]);

        // The citizen prints the receipt.
        let text = form(app, &t.citizen, &code, "receipt");
        common(&text, &code, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ");
        has(&text, "Thời gian tiếp nhận: 09:30 ngày 02/03/2026");
        has(&text, &format!("Thời gian hẹn trả kết quả: {due}"));
        has(&text, &format!("Hạn trả kết quả: {due}"));
        has(&text, "1. TP01 — Giấy đề nghị — tệp giay-de-nghi.pdf — bản chính: 1, bản sao: 0");
        has(&text, "2. TP02 — Bản sao CCCD — tệp cccd.jpg — bản chính: 0, bản sao: 1");
        has(&text, &format!("Người tiếp nhận: {RECEIVER}"));
        has(&text, "Ngày 02 tháng 03 năm 2026");

        // The control slip: every step, who handed to whom, the step deadlines and how they were kept.
        let text = form(app, &t.viewer, &code, "control");
        common(&text, &code, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ");
        has(&text, &format!("Hạn trả kết quả: {due}"));
        has(&text, "Bước 1. Nộp hồ sơ — 09:00 ngày 02/03/2026");
        has(&text, "Bước 2. Tiếp nhận hồ sơ — 09:30 ngày 02/03/2026");
        has(&text, &format!("Người thực hiện: {RECEIVER} (officer, {DEPT})"));
        has(&text, "Trạng thái: Mới nộp → Đã tiếp nhận");
        has(&text, "Nội dung: Đủ thành phần");
        has(&text, "Bước 3. Chuyển xử lý — 10:00 ngày 02/03/2026");
        has(&text, &format!("Nội dung: handed to {UNIT} (chuyenvien.dkkd)"));
        has(&text, "Hạn bước: 17:00 ngày 04/03/2026 — Quá hạn");
        has(&text, "Bước 4. Chuyển xử lý — 08:15 ngày 05/03/2026");
        has(&text, &format!("(officer, {UNIT})"));
        has(&text, &format!("Nội dung: handed to {DEPT}: Đã thẩm định"));
        has(&text, "Hạn bước: 17:00 ngày 20/03/2026 — Còn trong hạn");
        assert!(!text.contains("Bước 5."), "{text}");

        // Forms that do not apply to this dossier.
        for f in ["supplement", "refusal", "apology"] {
            not_applicable(app, &t.officer, &code, f);
        }
    }

    fn the_supplement_slip_lists_what_is_missing_and_the_reply_deadline(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        not_applicable(app, &t.citizen, &code, "supplement");
        app.set_now("2026-03-02T10:20:00+07:00");
        act(app, &t.officer, &code, "request-supplement", json!({
            "items": [{"component_code": "TP02", "problem": "Bản sao CCCD chưa được chứng thực"}],
            "reply_by": "2026-03-10T16:30:00+07:00"
        })).expect(200);
        let text = form(app, &t.citizen, &code, "supplement");
        common(&text, &code, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ");
        has(&text, "1. TP02 (Bản sao CCCD): Bản sao CCCD chưa được chứng thực");
        has(&text, "Thời hạn bổ sung, hoàn thiện hồ sơ: 16:30 ngày 10/03/2026");
        has(&text, "Yêu cầu lúc: 10:20 ngày 02/03/2026");
        has(&text, "Hạn trả kết quả: chưa có");
        // Supplemented and received: the slip still reads what was asked, from the history.
        app.set_now("2026-03-03T08:00:00+07:00");
        act(app, &t.citizen, &code, "supplement", json!({"note": "Đã chứng thực"})).expect(200);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        let due = minute(&dossier(app, &t, &code)["due_at"]);
        let text = form(app, &t.officer, &code, "supplement");
        has(&text, "TP02: Bản sao CCCD chưa được chứng thực");
        has(&text, "Thời hạn bổ sung, hoàn thiện hồ sơ: 16:30 ngày 10/03/2026");
        has(&text, &format!("Hạn trả kết quả: {due}"));
        let text = form(app, &t.citizen, &code, "receipt");
        has(&text, "Thời gian tiếp nhận: 08:00 ngày 03/03/2026");
        has(&text, &format!("Thời gian hẹn trả kết quả: {due}"));
    }

    fn the_refusal_slip_gives_the_reason(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        not_applicable(app, &t.citizen, &code, "refusal");
        app.set_now("2026-03-02T14:05:00+07:00");
        act(app, &t.officer, &code, "refuse", json!({"reason": "Hồ sơ không thuộc thẩm quyền giải quyết của Sở"})).expect(200);
        let text = form(app, &t.citizen, &code, "refusal");
        common(&text, &code, "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ");
        has(&text, "không tiếp nhận hồ sơ");
        has(&text, "Lý do: Hồ sơ không thuộc thẩm quyền giải quyết của Sở");
        has(&text, "Từ chối tiếp nhận lúc: 14:05 ngày 02/03/2026");
        has(&text, "Hạn trả kết quả: chưa có (hồ sơ chưa được tiếp nhận)");
        for f in ["receipt", "supplement", "apology"] {
            not_applicable(app, &t.citizen, &code, f);
        }
    }

    fn a_denied_dossier_has_a_refusal_slip_too(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        app.set_now("2026-03-03T11:10:00+07:00");
        act(app, &t.approver, &code, "resolve", json!({"outcome": "denied", "reason": "Tên doanh nghiệp trùng với doanh nghiệp đã đăng ký"}))
            .expect(200);
        let due = minute(&dossier(app, &t, &code)["due_at"]);
        let text = form(app, &t.citizen, &code, "refusal");
        common(&text, &code, "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ");
        has(&text, "không giải quyết hồ sơ");
        has(&text, "Lý do: Tên doanh nghiệp trùng với doanh nghiệp đã đăng ký");
        assert!(!text.contains("denied:"), "{text}");
        has(&text, "Quyết định lúc: 11:10 ngày 03/03/2026");
        has(&text, &format!("Hạn trả kết quả: {due}"));
    }

    fn the_apology_slip_gives_the_new_date(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let approver = named(Role::Approver, "approver.duc", APPROVER);
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        not_applicable(app, &t.citizen, &code, "apology");
        app.set_now("2026-03-05T15:45:00+07:00");
        act(app, &approver, &code, "apologize", json!({"reason": "Cần xin ý kiến liên ngành", "new_date": "2026-03-20T17:00:00+07:00"}))
            .expect(200);
        let due = minute(&dossier(app, &t, &code)["due_at"]);
        let text = form(app, &t.citizen, &code, "apology");
        common(&text, &code, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ");
        has(&text, &format!("xin lỗi ông/bà {APPLICANT}"));
        has(&text, &format!("Thời hạn đã hẹn: {due}"));
        has(&text, "Lý do: Cần xin ý kiến liên ngành");
        has(&text, "Ngày hẹn trả kết quả mới: 17:00 ngày 20/03/2026");
        has(&text, "Lập lúc: 15:45 ngày 05/03/2026");
        has(&text, APPROVER);
        // The receipt shows the promised date too; the control slip the apology as a step.
        has(&form(app, &t.citizen, &code, "receipt"), "Ngày hẹn lại (theo phiếu xin lỗi): 17:00 ngày 20/03/2026");
        has(&form(app, &t.officer, &code, "control"), "Xin lỗi và hẹn lại ngày trả kết quả — 15:45 ngày 05/03/2026");
    }

    fn only_readers_of_the_dossier_get_its_forms(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        // Another citizen, another agency's staff: as if there were no such dossier.
        for token in [&t.other_citizen, &t.other_officer, &t.other_approver] {
            app.get(&format!("/api/v1/dossiers/{code}/forms/receipt"), Some(token)).expect_problem(404, "not_found");
            app.get(&format!("/api/v1/dossiers/{code}/forms/control"), Some(token)).expect_problem(404, "not_found");
        }
        app.get("/api/v1/dossiers/000.00.05.H56-260302-9999/forms/receipt", Some(&t.officer))
            .expect_problem(404, "not_found");
        app.get(&format!("/api/v1/dossiers/{code}/forms/receipt"), None).expect(401);
        // An unknown form is no resource: 404.
        app.get(&format!("/api/v1/dossiers/{code}/forms/invoice"), Some(&t.officer)).expect_problem(404, "not_found");
        app.get(&format!("/api/v1/dossiers/{code}/forms/Receipt"), Some(&t.officer)).expect_problem(404, "not_found");
        // Readers: the applicant, the agency's staff (and the unit's above), viewers, integrators.
        for token in [&t.citizen, &t.officer, &t.approver, &t.viewer, &t.integrator] {
            has(&form(app, token, &code, "receipt"), &code);
        }
    }
}

both_backends! {
    fn the_qr_code_points_to_the_configured_look_up_page(backend: Backend) {
        let app = TestApp::spawn_with(backend, &["--public-lookup-url", "https://dichvucong.example.vn/tra-cuu-ho-so"]);
        province(&app);
        let t = tokens(&app);
        let code = submitted_and_handed_off(&app, &t, "2026-03-02T09:00:00+07:00");
        let text = form(&app, &t.citizen, &code, "control");
        has(&text, &format!("https://dichvucong.example.vn/tra-cuu-ho-so?code={code}"));
    }
}
