//! The document's examples, in one place: a request body for every operation
//! that takes a JSON one (from a province's one-stop desk: its agencies,
//! procedures, applicants), and for every error status an operation answers
//! a problem document with the code it really sends — the operation's own
//! conflict (409), the right a 403 names, the kind of 422 it gives. Problems
//! that several operations share are named examples in `components`.
//!
//! Spectral checks every example against its schema; tests post the request
//! examples to a server and expect them to succeed, a dossier's actions
//! included. The instants an action takes only in the future (a reply
//! deadline, a step deadline, a new promised date) lie in 2036, so that the
//! example works when tried from Swagger UI against today's clock.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi as Document, Ref, RefOr};
use utoipa::Modify;

/// A request body example: the operation it is for, its name and summary, its value.
type RequestExample = (&'static str, &'static str, &'static str, fn() -> Value);

const NOTE: &str = "Đã kiểm tra đủ thành phần hồ sơ";

/// The request body examples, by operation id.
const REQUESTS: &[RequestExample] = &[
    ("create_agency", "so_tu_phap", "Sở Tư pháp, under the province", || {
        json!({"code": "000.00.21.H56", "name": "Sở Tư pháp", "level": "department", "parent": "000.00.00.H56",
               "notify_email": "motcua@stp.binhduong.gov.vn"})
    }),
    ("update_agency", "rename", "A department renamed, with its warning address", || {
        json!({"name": "Sở Tài chính", "level": "department", "parent": "000.00.00.H56", "active": true,
               "notify_email": "vanthu@stc.binhduong.gov.vn"})
    }),
    (
        "merge_agency",
        "merger",
        "Merged into its successor on 1 July 2025",
        || json!({"successor": "000.00.05.H56", "merged_at": "2025-07-01T00:00:00+07:00"}),
    ),
    (
        "create_procedure",
        "ho_kinh_doanh",
        "Registering a household business",
        || json!({"code": "1.001612", "agency": "000.00.05.H56", "content": content()}),
    ),
    (
        "create_procedure_version",
        "new_fees",
        "A new draft with the fees of a new circular",
        || json!({"content": content()}),
    ),
    ("update_procedure_version", "corrected", "The draft's content corrected", || json!({"content": content()})),
    (
        "publish_procedure_version",
        "in_force",
        "In force from 1 March 2026, open-ended",
        || json!({"effective_from": "2026-03-01", "effective_to": null}),
    ),
    ("retire_procedure_version", "retired", "Retired after 30 June 2026", || json!({"effective_to": "2026-06-30"})),
    ("replace_calendar", "year_2026", "The 2026 calendar", || {
        json!({
            "working_weekdays": [1, 2, 3, 4, 5],
            "office_hours": [{"start": "07:00", "end": "11:30"}, {"start": "13:00", "end": "16:30"}],
            "same_day_cutoff": "15:00",
            "holidays": [
                {"date": "2026-01-01", "name": "Tết Dương lịch"},
                {"date": "2026-02-16", "name": "Tết Nguyên đán"},
                {"date": "2026-02-17", "name": "Tết Nguyên đán"},
                {"date": "2026-04-26", "name": "Giỗ Tổ Hùng Vương"},
                {"date": "2026-04-30", "name": "Ngày Giải phóng miền Nam"},
                {"date": "2026-05-01", "name": "Quốc tế Lao động"},
                {"date": "2026-09-02", "name": "Quốc khánh"}
            ],
            "swapped_working_days": [],
            "valid_through": "2026-12-31",
            "unannounced": []
        })
    }),
    ("preview_deadline", "five_days", "Five working days from a Friday afternoon", || {
        json!({"calendar": "default", "start": "2026-03-13T16:30:00+07:00", "amount": 5, "unit": "working_days",
               "same_day": false, "pauses": []})
    }),
    ("submit_dossier", "online", "A citizen's online submission", || {
        json!({
            "procedure": "2.001610",
            "applicant": {"kind": "citizen", "id_number": "001099012345", "name": "Nguyễn Văn An",
                          "phone": "0912345678", "email": "an.nguyen@example.vn",
                          "address": "Phường Phú Cường, Thủ Dầu Một"},
            "summary": "Đăng ký thành lập doanh nghiệp tư nhân Nguyễn An",
            "documents": [
                {"component_code": "TP01", "name": "giay-de-nghi.pdf", "media_type": "application/pdf",
                 "content_base64": "JVBERi0xLjQKJSBkdmMK"}
            ]
        })
    }),
    ("push_portal_dossier", "from_portal", "A dossier filed on the national portal", || {
        json!({
            "external_code": "G22.99.12-260313-0042",
            "procedure": "2.001610",
            "applicant": {"kind": "citizen", "id_number": "079088001234", "name": "Trần Thị Bình", "phone": "0987654321"},
            "summary": "Đăng ký thành lập doanh nghiệp tư nhân Bình Minh",
            "submitted_at": "2026-03-13T09:15:00+07:00",
            "submitter": {"id_number": "079088001234", "name": "Trần Thị Bình"}
        })
    }),
    ("receive_dossier", "received", "Received at the desk", || json!({"note": NOTE})),
    (
        "refuse_dossier",
        "refused",
        "Refused at reception",
        || json!({"reason": "Thủ tục không thuộc thẩm quyền giải quyết của Sở Kế hoạch và Đầu tư"}),
    ),
    ("request_supplement", "certified_copy", "A certified copy asked for", || {
        json!({"items": [{"component_code": "TP02", "problem": "Bản sao CCCD chưa được chứng thực"}],
               "reply_by": "2036-03-20T17:00:00+07:00", "note": "Bổ sung trong 5 ngày làm việc"})
    }),
    ("supplement_dossier", "certified_copy", "The certified copy sent", || {
        json!({"note": "Đã bổ sung bản sao có chứng thực",
               "documents": [{"component_code": "TP02", "name": "cccd-chung-thuc.pdf", "media_type": "application/pdf",
                              "content_base64": "JVBERi0xLjQKJSBkdmMK"}]})
    }),
    ("hand_off_dossier", "to_unit", "Handed on to the business registration office", || {
        json!({"to_agency": "000.01.05.H56", "to_officer": "Lê Thị Hoa", "step_deadline": "2036-03-18T17:00:00+07:00",
               "note": "Thẩm định hồ sơ"})
    }),
    (
        "request_payment",
        "fees",
        "The procedure's fees collected on receipt",
        || json!({"collected": "on_receipt", "note": "Lệ phí đăng ký doanh nghiệp"}),
    ),
    (
        "record_payment",
        "cash",
        "Paid in cash at the desk",
        || json!({"method": "cash", "amount_vnd": 50000, "reference": "BL-2026-000123", "note": "Thu tại bộ phận một cửa"}),
    ),
    (
        "record_fee_relief",
        "exempt",
        "Exempt under a decree",
        || json!({"kind": "exempt", "legal_basis": "Điểm a khoản 1 Điều 5 Nghị định 01/2021/NĐ-CP"}),
    ),
    ("resolve_dossier", "granted", "Granted, with the certificate", || {
        json!({"outcome": "granted", "documents": [{"component_code": "KQ01", "name": "giay-chung-nhan.pdf",
               "media_type": "application/pdf", "content_base64": "JVBERi0xLjQKJSBkdmMK"}]})
    }),
    (
        "return_result",
        "in_person",
        "Handed over at the desk",
        || json!({"channel": "in_person", "note": "Công dân nhận trực tiếp"}),
    ),
    (
        "withdraw_dossier",
        "withdrawn",
        "Withdrawn by the applicant",
        || json!({"reason": "Tôi muốn nộp lại hồ sơ theo loại hình công ty TNHH"}),
    ),
    (
        "stop_dossier",
        "stopped",
        "Stopped: the supplement never came",
        || json!({"reason": "Quá hạn bổ sung hồ sơ", "cause": "supplement_overdue"}),
    ),
    (
        "apologize_for_delay",
        "late",
        "An apology with a new date",
        || json!({"reason": "Hồ sơ cần xác minh thêm với Chi cục Thuế", "new_date": "2036-03-27T17:00:00+07:00"}),
    ),
    ("receive_payment_callback", "paid", "The payment platform reports a payment", || {
        json!({"LoaiBanTin": "1", "MaLoi": "00", "MaDoiTac": "DVC-H56", "MaThamChieu": "PAY-000.00.05.H56-260313-0001",
               "SoTien": "50000", "MaTienTe": "704", "MaGiaoDich": "TT2603130001", "MaNganHang": "VCB",
               "ThoiGianGD": "20260313101500", "ThongTinGiaoDich": "Le phi dang ky doanh nghiep",
               "MaXacThuc": "5f2b9c1e0d7a4b3c8e6f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"})
    }),
    ("create_webhook", "lgsp", "The province's integration platform", || {
        json!({"url": "https://lgsp.binhduong.gov.vn/dvc-events", "secret": "khoa-bi-mat-du-dai-0123",
               "statuses": ["received", "resolved"], "agencies": ["000.00.05.H56"]})
    }),
    (
        "rate_dossier",
        "satisfied",
        "Satisfied",
        || json!({"criteria": [2, 2, 1, 2, 2, 2, 2, 1, 2], "overall": "satisfied", "comment": "Cán bộ hướng dẫn tận tình"}),
    ),
    ("import_dossiers", "returned", "A dossier of the older system, returned", || {
        json!({"dossiers": [{
            "external_code": "MC-2025-001234",
            "procedure": "2.001610",
            "agency": "000.00.05.H56",
            "channel": "in_person",
            "applicant": {"kind": "citizen", "id_number": "001099012345", "name": "Nguyễn Văn An"},
            "summary": "Đăng ký thành lập doanh nghiệp tư nhân Phú Cường",
            "submitted_at": "2025-11-03T08:30:00+07:00",
            "events": [
                {"action": "receive", "at": "2025-11-03T08:45:00+07:00", "actor_name": "Trần Thị Bình"},
                {"action": "resolve", "at": "2025-11-06T15:00:00+07:00", "outcome": "granted", "actor_name": "Lê Văn Cường"},
                {"action": "return", "at": "2025-11-07T09:00:00+07:00", "channel": "in_person"}
            ]
        }]})
    }),
    ("lookup_citizen", "applicant", "An applicant's identity checked", || {
        json!({"id_number": "001099012345", "purpose": "Xác minh thông tin người nộp hồ sơ",
               "dossier_code": "000.00.05.H56-260313-0001"})
    }),
    (
        "lookup_enterprise",
        "enterprise",
        "An enterprise's registration checked",
        || json!({"code": "0100109106", "purpose": "Xác minh tình trạng hoạt động của doanh nghiệp", "dossier_code": null}),
    ),
    ("file_feedback", "slow_desk", "A petition about a desk", || {
        json!({"title": "Thời gian chờ tại bộ phận một cửa quá lâu",
               "content": "Ngày 12/3/2026 tôi chờ hơn 2 giờ để nộp hồ sơ đăng ký kinh doanh.",
               "agency": "000.00.05.H56"})
    }),
    (
        "refuse_feedback",
        "out_of_scope",
        "Refused: not the agency's matter",
        || json!({"text": "Nội dung phản ánh không thuộc phạm vi xử lý của cơ quan"}),
    ),
    (
        "request_feedback_info",
        "which_day",
        "More facts asked for",
        || json!({"text": "Đề nghị cho biết số hồ sơ và khung giờ đến nộp"}),
    ),
    (
        "give_feedback_info",
        "the_day",
        "The facts given",
        || json!({"text": "Hồ sơ số 000.00.05.H56-260312-0007, tôi đến lúc 8 giờ sáng"}),
    ),
    (
        "answer_feedback",
        "answered",
        "The agency's answer",
        || json!({"text": "Sở đã bổ sung một quầy tiếp nhận vào buổi sáng từ ngày 16/3/2026. Xin cảm ơn ông đã phản ánh."}),
    ),
    (
        "lookup_dossier",
        "by_id_number",
        "A dossier looked up with the last digits of the applicant's number",
        || json!({"code": "000.00.05.H56-260313-0001", "id_number_last_digits": "012345"}),
    ),
];

/// A procedure's content, for the catalogue's examples.
fn content() -> Value {
    json!({
        "name": "Đăng ký thành lập hộ kinh doanh",
        "sector": {"code": "DKKD", "name": "Thành lập và hoạt động doanh nghiệp"},
        "implementing_agencies": ["000.00.05.H56"],
        "level": "province",
        "service_level": "full",
        "processing_time": {"amount": 3, "unit": "working_days", "same_day": false},
        "fees": [{"code": "LP01", "description": "Lệ phí đăng ký hộ kinh doanh", "amount_vnd": 100000, "collected": "on_receipt"}],
        "components": [
            {"case": "Trường hợp chung", "code": "TP01", "name": "Giấy đề nghị đăng ký hộ kinh doanh", "form_template": null, "originals": 1, "copies": 0},
            {"case": "Trường hợp chung", "code": "TP02", "name": "Bản sao CCCD của chủ hộ", "form_template": null, "originals": 0, "copies": 1}
        ],
        "results": ["Giấy chứng nhận đăng ký hộ kinh doanh"],
        "legal_bases": ["Nghị định 01/2021/NĐ-CP về đăng ký doanh nghiệp"],
        "channels": ["in_person", "online", "postal"]
    })
}

/// The conflict (409) each writing operation answers with most, beside
/// `concurrent_change` (two writes at once), which any of them can give.
const CONFLICTS: &[(&str, &str, &str)] = &[
    ("create_agency", "agency_exists", "agency 000.00.21.H56 already exists"),
    ("update_agency", "agency_merged", "agency 000.00.09.H56 was merged into 000.00.05.H56 and can no longer change"),
    ("merge_agency", "agency_already_merged", "agency 000.00.09.H56 was already merged into 000.00.05.H56"),
    ("create_procedure", "procedure_exists", "procedure 1.001612 already exists"),
    ("update_procedure_version", "version_immutable", "version 1 of procedure 2.001610 is published and cannot change"),
    ("delete_procedure_version", "version_immutable", "version 1 of procedure 2.001610 is published and cannot be deleted"),
    ("publish_procedure_version", "validity_overlap", "the validity overlaps that of version 1 (from 2025-01-01)"),
    ("retire_procedure_version", "not_published", "version 2 of procedure 2.001610 is not published"),
    ("submit_dossier", "daily_limit_reached", "agency 000.00.05.H56 has received 9,999 dossiers today"),
    ("request_payment", "nothing_to_pay", "the dossier owes nothing of its fees (all covered, or exempt)"),
    ("record_fee_relief", "payments_exist", "payment TT2603130001 of 50000 VND is paid: an exemption or reduction is recorded before any payment is asked for or made"),
    ("upload_document", "documents_closed", "the dossier is resolved: no documents are added any more"),
    ("start_online_payment", "nothing_to_pay", "the dossier owes nothing of its fees (all covered, or exempt)"),
    ("receive_payment_callback", "payment_not_pending", "payment PAY-000.00.05.H56-260313-0001 is no longer pending"),
    ("cancel_payment", "payment_not_pending", "payment PAY-000.00.05.H56-260313-0001 is paid, not pending"),
    ("refund_payment", "refund_not_due", "payment PAY-000.00.05.H56-260313-0001 is not due a refund"),
    ("refund_payment_attempt", "refund_not_due", "the attempt is not flagged for a refund, or was already refunded"),
    ("rate_dossier", "already_rated", "dossier 000.00.05.H56-260313-0001 is already rated"),
    ("lookup_citizen", "registry_not_connected", "no national population database is connected"),
    ("lookup_enterprise", "registry_not_connected", "no national business registration database is connected"),
    ("give_feedback_info", "no_information_asked", "no further information was asked for"),
    ("refuse_feedback", "feedback_response_not_allowed", "the feedback was already answered"),
    ("request_feedback_info", "feedback_response_not_allowed", "the feedback was already answered"),
    ("answer_feedback", "feedback_response_not_allowed", "the feedback was already refused"),
    ("publish_feedback", "feedback_response_not_allowed", "only an answered feedback is published"),
];

/// The problems several operations share, as named examples in
/// `components/examples`: (name, status, code, detail).
const SHARED: &[(&str, u16, &str, &str)] = &[
    ("invalid_characters", 400, "invalid_characters", "the path or the query holds a NUL character (%00)"),
    ("forbidden", 403, "forbidden", "staff read the figures of their own agency and its units"),
    ("missing_token", 401, "missing_token", "this operation needs a bearer token (Authorization: Bearer <token>)"),
    ("not_found", 404, "not_found", "dossier 000.00.05.H56-260313-0001 not found"),
    ("method_not_allowed", 405, "method_not_allowed", "PATCH is not allowed on /api/v1/agencies"),
    ("concurrent_change", 409, "concurrent_change", "another change to the same data went first: try again"),
    ("transition_not_allowed", 409, "transition_not_allowed", "a dossier that is resolved cannot be received"),
    ("precondition_failed", 412, "precondition_failed", "the dossier changed: its ETag is now \"v4\""),
    ("payload_too_large", 413, "payload_too_large", "the JSON body is larger than 1048576 bytes"),
    ("unsupported_media_type", 415, "unsupported_media_type", "send the body as application/json"),
    ("rate_limited", 429, "rate_limited", "too many look-ups from this address: try again in 12 s"),
    ("internal_error", 500, "internal_error", "internal error"),
    ("database_unavailable", 503, "database_unavailable", "the database is unavailable; try again shortly"),
];

/// The example a shared response (`components/responses/Problem<status>`) shows.
const SHARED_RESPONSES: &[(&str, &str)] = &[
    ("Problem400", "invalid_characters"),
    ("Problem401", "missing_token"),
    ("Problem403", "forbidden"),
    ("Problem404", "not_found"),
    ("Problem405", "method_not_allowed"),
    ("Problem412", "precondition_failed"),
    ("Problem413", "payload_too_large"),
    ("Problem415", "unsupported_media_type"),
    ("Problem500", "internal_error"),
    ("Problem503", "database_unavailable"),
];

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    }
}

/// A problem document as the API writes it.
pub fn problem(status: u16, code: &str, detail: &str) -> Value {
    json!({"type": format!("urn:dvc:problem:{code}"), "title": reason(status), "status": status, "detail": detail, "code": code})
}

fn example(summary: &str, value: Value) -> RefOr<utoipa::openapi::example::Example> {
    RefOr::T(ExampleBuilder::new().summary(summary).value(Some(value)).build())
}

fn shared_ref(name: &str) -> RefOr<utoipa::openapi::example::Example> {
    RefOr::Ref(Ref::new(format!("#/components/examples/{name}")))
}

/// The request example of an operation, by its id.
pub fn request_example(operation_id: &str) -> Option<Value> {
    REQUESTS.iter().find(|(id, ..)| *id == operation_id).map(|(.., value)| value())
}

/// Adds the examples; runs after the standard error responses are in place.
pub struct Examples;

impl Modify for Examples {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        // utoipa 5.5's `Components` has no field for examples: they go in
        // through its flattened extensions, as `components.examples`.
        let shared: serde_json::Map<String, Value> = SHARED
            .iter()
            .map(|(name, status, code, detail)| {
                let summary = format!("{status} {code}");
                let mut value = problem(*status, code, detail);
                if *status == 403 {
                    value["missing_right"] = json!("reports:read");
                }
                if *status == 500 {
                    value["request_id"] = json!("5f0c2a9e-3b1d-4c7e-9a42-1d2e3f4a5b6c");
                }
                (name.to_string(), json!({"summary": summary, "value": value}))
            })
            .collect();
        components.extensions.get_or_insert_with(Default::default).insert("examples".to_owned(), Value::Object(shared));
        for (response, name) in SHARED_RESPONSES {
            if let Some(RefOr::T(response)) = components.responses.get_mut(*response) {
                for content in response.content.values_mut() {
                    content.examples.insert((*name).to_owned(), shared_ref(name));
                }
            }
        }
        let problem422 = components.responses.get("Problem422").cloned();
        let problem409 = components.responses.get("Problem409").cloned();
        let problem403 = components.responses.get("Problem403").cloned();
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("DELETE", &mut item.delete),
                ("PATCH", &mut item.patch),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let id = op.operation_id.clone().unwrap_or_default();
                request_body_example(op, &id);
                own_response(op, "422", problem422.as_ref(), || unprocessable(op_takes_body(method), &id));
                own_response(op, "409", problem409.as_ref(), || conflict(&id, path));
                let right = crate::contract::ROLES.iter().find(|e| e.method == method && e.path == path.as_str());
                if let Some(own) = right.and_then(forbidden) {
                    own_response(op, "403", problem403.as_ref(), || own);
                }
                named_own_examples(op);
            }
        }
        // Every operation that answers 409 or 422 has its own now.
        let used = serde_json::to_string(&doc.paths).unwrap_or_default();
        if let Some(components) = doc.components.as_mut() {
            for name in ["Problem403", "Problem409", "Problem422"] {
                if !used.contains(&format!("#/components/responses/{name}\"")) {
                    components.responses.remove(name);
                }
            }
        }
    }
}

fn op_takes_body(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

fn request_body_example(op: &mut Operation, id: &str) {
    let Some(body) = op.request_body.as_mut() else { return };
    let Some((_, name, summary, value)) = REQUESTS.iter().find(|(op_id, ..)| *op_id == id) else { return };
    if let Some(content) = body.content.get_mut("application/json") {
        content.examples.insert((*name).to_owned(), example(summary, value()));
    }
}

/// Replaces the shared response of `status` by the operation's own, with its example.
fn own_response(
    op: &mut Operation,
    status: &str,
    shared: Option<&RefOr<utoipa::openapi::Response>>,
    make: impl FnOnce() -> (String, RefOr<utoipa::openapi::example::Example>),
) {
    let Some(RefOr::T(shared)) = shared else { return };
    let Some(RefOr::Ref(_)) = op.responses.responses.get(status) else { return };
    let mut own = shared.clone();
    let (name, value) = make();
    for content in own.content.values_mut() {
        content.examples = BTreeMap::from([(name.clone(), value.clone())]);
    }
    op.responses.responses.insert(status.to_owned(), RefOr::T(own));
}

fn unprocessable(body: bool, id: &str) -> (String, RefOr<utoipa::openapi::example::Example>) {
    let errors: Vec<(&str, &str, &str)> = if id == "lookup_dossier" {
        vec![
            ("id_number_last_digits", "factor_required", "give id_number_last_digits or phone"),
            ("phone", "factor_required", "give id_number_last_digits or phone"),
        ]
    } else if body {
        vec![("remark", "unknown_field", "unknown field \"remark\": this operation does not take it")]
    } else {
        vec![("query.statuz", "unknown_parameter", "this operation takes no query parameter \"statuz\"")]
    };
    let code = errors[0].1;
    let detail = if errors.len() == 1 {
        "the request has 1 invalid field".to_owned()
    } else {
        format!("the request has {} invalid fields", errors.len())
    };
    let mut value = problem(422, "validation_failed", &detail);
    value["errors"] =
        errors.iter().map(|(field, code, message)| json!({"field": field, "code": code, "message": message})).collect();
    (code.to_owned(), example(&format!("422 validation_failed: {code}"), value))
}

fn conflict(id: &str, path: &str) -> (String, RefOr<utoipa::openapi::example::Example>) {
    if let Some((_, code, detail)) = CONFLICTS.iter().find(|(op, ..)| *op == id) {
        return ((*code).to_owned(), example(&format!("409 {code}"), problem(409, code, detail)));
    }
    // The dossier's moves are refused alike when its status does not allow them.
    let name = if path.starts_with("/api/v1/dossiers/{code}/") && id != "retry_dossier_sync" {
        "transition_not_allowed"
    } else {
        "concurrent_change"
    };
    (name.to_owned(), shared_ref(name))
}

/// The 403 of an operation behind a token, for a role it is not for; `None`
/// when every role may call it (the handler may still refuse by scope: the
/// shared example says so).
fn forbidden(entry: &crate::contract::OperationRoles) -> Option<(String, RefOr<utoipa::openapi::example::Example>)> {
    let refused = dvc_domain::auth::Role::ALL.into_iter().find(|r| !entry.roles.contains(r))?;
    let roles: Vec<&str> = entry.roles.iter().map(|r| r.as_str()).collect();
    let detail = format!("the {refused} role may not {} {}; it is for: {}", entry.method, entry.path, roles.join(", "));
    let mut value = problem(403, "forbidden", &detail);
    value["missing_right"] = json!(entry.right);
    Some(("forbidden".to_owned(), example(&format!("403 forbidden: {}", entry.right), value)))
}

/// The problem responses an operation declares itself (a 404 of its own,
/// the look-up's 429, readiness's 503) get the shared example of their code.
fn named_own_examples(op: &mut Operation) {
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        let name = match status.as_str() {
            "404" => "not_found",
            "429" => "rate_limited",
            "503" => "database_unavailable",
            _ => continue,
        };
        for (media, content) in response.content.iter_mut() {
            if media == crate::error::PROBLEM_JSON && content.examples.is_empty() {
                content.examples.insert(name.to_owned(), shared_ref(name));
            }
        }
    }
}
