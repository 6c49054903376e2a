//! A small province for dossier tests: agencies, a working calendar with the
//! 2026 holidays, and a published procedure.

use dvc_domain::auth::Role;
use serde_json::{json, Value};

use crate::TestApp;

pub const PROVINCE: &str = "000.00.00.H56";
/// Sở Kế hoạch và Đầu tư: receives the test procedure.
pub const DEPT: &str = "000.00.05.H56";
/// Phòng Đăng ký kinh doanh, a unit under the department.
pub const UNIT: &str = "000.01.05.H56";
/// Sở Công Thương: another agency.
pub const OTHER: &str = "000.00.07.H56";
pub const PROCEDURE: &str = "2.001610";
/// A valid CCCD, the citizen's token subject.
pub const CITIZEN: &str = "001099012345";
pub const OTHER_CITIZEN: &str = "079088001234";

pub fn province(app: &TestApp) {
    let admin = app.token(Role::Admin, None);
    for (code, name, level, parent) in [
        (PROVINCE, "Ủy ban nhân dân tỉnh", "province", None),
        (DEPT, "Sở Kế hoạch và Đầu tư", "department", Some(PROVINCE)),
        (UNIT, "Phòng Đăng ký kinh doanh", "department", Some(DEPT)),
        (OTHER, "Sở Công Thương", "department", Some(PROVINCE)),
    ] {
        app.post(
            "/api/v1/agencies",
            Some(&admin),
            &json!({"code": code, "name": name, "level": level, "parent": parent}),
        )
        .expect(201);
    }
    app.put("/api/v1/calendars/default", Some(&admin), &calendar()).expect(200);
    publish_procedure(app, PROCEDURE, DEPT, 5);
}

pub fn publish_procedure(app: &TestApp, code: &str, agency: &str, days: u32) {
    let keeper = app.token(Role::Admin, None);
    let content = json!({
        "name": "Đăng ký thành lập doanh nghiệp tư nhân",
        "sector": {"code": "DKKD", "name": "Thành lập và hoạt động doanh nghiệp"},
        "implementing_agencies": [agency],
        "level": "province",
        "service_level": "full",
        "processing_time": {"amount": days, "unit": "working_days", "same_day": false},
        "fees": [{"code": "LP01", "description": "Lệ phí", "amount_vnd": 50000, "collected": "on_receipt"}],
        "components": [
            {"case": "Trường hợp chung", "code": "TP01", "name": "Giấy đề nghị", "form_template": null, "originals": 1, "copies": 0},
            {"case": "Trường hợp chung", "code": "TP02", "name": "Bản sao CCCD", "form_template": null, "originals": 0, "copies": 1}
        ],
        "results": ["Giấy chứng nhận đăng ký doanh nghiệp"],
        "legal_bases": ["Luật Doanh nghiệp số 59/2020/QH14"],
        "channels": ["in_person", "online", "postal"]
    });
    app.post("/api/v1/procedures", Some(&keeper), &json!({"code": code, "agency": agency, "content": content}))
        .expect(201);
    app.post(
        &format!("/api/v1/procedures/{code}/versions/1/publish"),
        Some(&keeper),
        &json!({"effective_from": "2025-01-01"}),
    )
    .expect(200);
}

pub fn submission(summary: &str) -> Value {
    json!({
        "procedure": PROCEDURE,
        "applicant": {"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "an@example.vn"},
        "summary": summary,
        "documents": [
            {"component_code": "TP01", "name": "giay-de-nghi.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQKJSBkdmMgdGVzdA=="},
            {"component_code": "TP02", "name": "cccd.jpg", "media_type": "image/jpeg", "content_base64": "/9j/4AAQSkZJRgABAQ=="}
        ]
    })
}

pub struct Tokens {
    pub citizen: String,
    pub other_citizen: String,
    pub officer: String,
    pub approver: String,
    pub unit_officer: String,
    pub other_officer: String,
    pub other_approver: String,
    pub viewer: String,
    pub integrator: String,
}

pub fn tokens(app: &TestApp) -> Tokens {
    Tokens {
        citizen: app.token_for(Role::Citizen, CITIZEN, None),
        other_citizen: app.token_for(Role::Citizen, OTHER_CITIZEN, None),
        officer: app.token_for(Role::Officer, "officer.dept", Some(DEPT)),
        approver: app.token_for(Role::Approver, "approver.dept", Some(DEPT)),
        unit_officer: app.token_for(Role::Officer, "officer.unit", Some(UNIT)),
        other_officer: app.token_for(Role::Officer, "officer.other", Some(OTHER)),
        other_approver: app.token_for(Role::Approver, "approver.other", Some(OTHER)),
        viewer: app.token(Role::Viewer, None),
        integrator: app.token(Role::Integrator, None),
    }
}

/// Submits online as the citizen; returns the dossier code.
pub fn submit(app: &TestApp, t: &Tokens) -> String {
    let d =
        app.post("/api/v1/dossiers", Some(&t.citizen), &submission("Doanh nghiệp tư nhân An Phát")).expect(201).body;
    d["code"].as_str().expect("code").to_owned()
}

/// Submits online at `at`, receives and hands it to the department at once;
/// returns the dossier code.
pub fn submitted_and_handed_off(app: &TestApp, t: &Tokens, at: &str) -> String {
    app.set_now(at);
    let code = submit(app, t);
    act(app, &t.officer, &code, "receive", json!({})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    code
}

/// Posts an action; returns the answer.
pub fn act(app: &TestApp, token: &str, code: &str, action: &str, body: Value) -> crate::Answer {
    app.post(&format!("/api/v1/dossiers/{code}/{action}"), Some(token), &body)
}

/// The province's working calendar of 2026 (Tết and the April–May holidays).
pub fn calendar() -> Value {
    json!({
        "working_weekdays": [1, 2, 3, 4, 5],
        "office_hours": [{"start": "07:00", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
        "same_day_cutoff": "15:00",
        "holidays": [
            {"date": "2026-02-16", "name": "Tết Nguyên đán"}, {"date": "2026-02-17", "name": "Tết Nguyên đán"},
            {"date": "2026-02-18", "name": "Tết Nguyên đán"}, {"date": "2026-02-19", "name": "Tết Nguyên đán"},
            {"date": "2026-02-20", "name": "Tết Nguyên đán"},
            {"date": "2026-04-27", "name": "Nghỉ bù Giỗ Tổ Hùng Vương"},
            {"date": "2026-04-30", "name": "Ngày Chiến thắng"}, {"date": "2026-05-01", "name": "Quốc tế Lao động"}
        ],
        "swapped_working_days": []
    })
}
