//! The forms of the one-stop procedure as PDF (docs/RULES.md §9.1):
//! `GET /api/v1/dossiers/{code}/forms/{form}`, for whoever may read the
//! dossier. Every value on a form comes from the dossier's record: its
//! state, its history rows, its documents, its pinned procedure version and
//! its receiving agency.

pub mod pdf;

use actix_web::http::header::{CacheControl, CacheDirective, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Datelike, Utc};
use dvc_domain::dossier::{DocumentKind, Step};
use dvc_domain::dossier::{Outcome, Status, SupplementItem};
use dvc_domain::procedure::Component;
use dvc_persistence::dossiers::{self, Document, History, StoredDossier};
use dvc_persistence::{agencies, procedures, DbConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::dossiers::access::readable;
use crate::dossiers::types::{history_out, HistoryOut, TimelinessDto};
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;
use pdf::{keep, words, Piece, Writer, BODY};

/// A form of the one-stop procedure.
///
/// - `receipt`: giấy tiếp nhận hồ sơ và hẹn trả kết quả (once received);
/// - `supplement`: phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (once a supplement was requested);
/// - `refusal`: phiếu từ chối tiếp nhận, giải quyết hồ sơ (refused at reception, or denied);
/// - `apology`: phiếu xin lỗi và hẹn lại ngày trả kết quả (once an apology was made);
/// - `control`: phiếu kiểm soát quá trình giải quyết hồ sơ (always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    Receipt,
    Supplement,
    Refusal,
    Apology,
    Control,
}

impl FormKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Supplement => "supplement",
            Self::Refusal => "refusal",
            Self::Apology => "apology",
            Self::Control => "control",
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(form);
}

/// A form of the dossier as PDF (A4).
///
/// Whoever may read the dossier may print its forms (anyone else: 404). A
/// form that does not apply to the dossier as it stands (a receipt before
/// reception, a supplement slip with no supplement requested, a refusal slip
/// for a dossier neither refused nor denied, an apology slip with no
/// apology): 409 `form_not_applicable`. An unknown form: 404. Each form
/// carries the dossier code as text and as a QR code of
/// `{DVC_PUBLIC_LOOKUP_URL}?code=<code>`.
#[utoipa::path(
    operation_id = "read_dossier_form",
    tag = "dossiers",
    security(("bearer" = [])),
    params(
        ("code" = String, Path, description = "Dossier code", example = "000.00.05.H56-260305-0007"),
        ("form" = FormKind, Path, description = "The form")
    ),
    responses(
        (status = 200, description = "The form", content_type = "application/pdf", body = crate::export::PdfFile),
        (status = 404, description = "No such dossier for the caller, or no such form", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`form_not_applicable`: the form does not apply to the dossier as it stands", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/dossiers/{code}/forms/{form}")]
pub async fn form(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, FormKind)>,
) -> Result<HttpResponse, ApiError> {
    let (code, kind) = path.into_inner();
    let now = state.now();
    let record = state
        .db(move |conn| {
            let d = readable(conn, &caller.0, &code)?;
            Record::of(conn, d, now)
        })
        .await?;
    let url = lookup_url(&state.config.public_lookup_url, record.d.code.as_str());
    let filename = format!("{}-{}.pdf", record.d.code, kind.as_str());
    let bytes = web::block(move || render(kind, &record, &url, now))
        .await
        .map_err(|e| ApiError::internal(format!("rendering the form: {e}")))??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Inline,
            parameters: vec![DispositionParam::Filename(filename)],
        })
        .insert_header(CacheControl(vec![CacheDirective::Private, CacheDirective::NoStore]))
        .body(bytes))
}

/// The address a form's QR code holds: the public look-up page with the code.
pub fn lookup_url(base: &str, code: &str) -> String {
    let encoded: String = code
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}code={encoded}")
}

/// What the forms are filled from.
struct Record {
    d: StoredDossier,
    agency_name: String,
    procedure_name: Option<String>,
    components: Vec<Component>,
    documents: Vec<Document>,
    rows: Vec<History>,
    steps: Vec<HistoryOut>,
}

impl Record {
    fn of(conn: &mut DbConnection, d: StoredDossier, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let agency_name = match agencies::get(conn, &d.state.receiving_agency) {
            Ok(a) => a.name,
            Err(_) => d.state.receiving_agency.to_string(),
        };
        let pinned = procedures::version(conn, &d.procedure_code, d.procedure_version).ok();
        let (procedure_name, components) = match pinned {
            Some(v) => (Some(v.version.content.name), v.version.content.components),
            None => (None, Vec::new()),
        };
        let documents =
            dossiers::documents_of(conn, &[d.code.to_string()])?.remove(d.code.as_str()).unwrap_or_default();
        let rows = dossiers::history(conn, d.code.as_str())?;
        let steps = history_out(rows.clone(), now);
        Ok(Self { d, agency_name, procedure_name, components, documents, rows, steps })
    }

    fn last(&self, action: Step) -> Option<&History> {
        self.rows.iter().rev().find(|r| r.action == action)
    }

    fn component(&self, code: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.code == code)
    }
}

fn not_applicable(code: &str, detail: String) -> ApiError {
    let mut e = ApiError::conflict(ErrorCode::FormNotApplicable, detail);
    e.extra.dossier = Some(code.to_owned());
    e
}

/// An instant in Vietnam time to the minute: `17:00 ngày 20/03/2026`.
pub fn instant(t: DateTime<Utc>) -> String {
    vn(t).format("%H:%M ngày %d/%m/%Y").to_string()
}

/// `ngày 05 tháng 03 năm 2026`.
fn date_line(t: DateTime<Utc>) -> String {
    let d = vn(t);
    format!("Ngày {:02} tháng {:02} năm {}", d.day(), d.month(), d.year())
}

fn status_vi(s: Status) -> &'static str {
    match s {
        Status::Submitted => "Mới nộp",
        Status::Received => "Đã tiếp nhận",
        Status::Refused => "Từ chối tiếp nhận",
        Status::Processing => "Đang giải quyết",
        Status::AwaitingSupplement => "Chờ bổ sung",
        Status::AwaitingPayment => "Chờ thực hiện nghĩa vụ tài chính",
        Status::Withdrawn => "Đã rút",
        Status::Stopped => "Dừng giải quyết",
        Status::Resolved => "Đã có kết quả",
        Status::Returned => "Đã trả kết quả",
    }
}

fn action_vi(a: Step) -> &'static str {
    match a {
        Step::Submit => "Nộp hồ sơ",
        Step::Receive => "Tiếp nhận hồ sơ",
        Step::Refuse => "Từ chối tiếp nhận",
        Step::RequestSupplement => "Yêu cầu bổ sung, hoàn thiện hồ sơ",
        Step::Supplement => "Bổ sung hồ sơ",
        Step::HandOff => "Chuyển xử lý",
        Step::RequestPayment => "Yêu cầu thực hiện nghĩa vụ tài chính",
        Step::Payments => "Ghi nhận thanh toán",
        Step::FeeRelief => "Miễn, giảm phí, lệ phí",
        Step::Resolve => "Giải quyết",
        Step::Return => "Trả kết quả",
        Step::Withdraw => "Rút hồ sơ",
        Step::Stop => "Dừng giải quyết",
        Step::Apologize => "Xin lỗi và hẹn lại ngày trả kết quả",
        Step::UploadDocument => "Tải lên giấy tờ",
        Step::RecomputeDeadline => "Tính lại thời hạn",
    }
}

fn timeliness_vi(t: &TimelinessDto) -> &'static str {
    match t {
        TimelinessDto::Early => "Trước hạn",
        TimelinessDto::OnTime => "Đúng hạn",
        TimelinessDto::Late => "Quá hạn",
        TimelinessDto::WithinDeadline => "Còn trong hạn",
        TimelinessDto::Overdue => "Đã quá hạn",
    }
}

const TITLES: [(FormKind, &str); 5] = [
    (FormKind::Receipt, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
    (FormKind::Supplement, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
    (FormKind::Refusal, "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ"),
    (FormKind::Apology, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
    (FormKind::Control, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
];

fn title_of(kind: FormKind) -> &'static str {
    TITLES.iter().find(|(k, _)| *k == kind).map_or("", |(_, t)| t)
}

/// The form, or 409 when it does not apply.
fn render(kind: FormKind, r: &Record, url: &str, now: DateTime<Utc>) -> Result<Vec<u8>, ApiError> {
    let d = &r.d;
    let code = d.code.as_str();
    // The instant the form speaks for (its date line).
    let dated = match kind {
        FormKind::Receipt => d.state.received_at.ok_or_else(|| {
            not_applicable(code, format!("dossier {code} has not been received: there is no receipt yet"))
        })?,
        FormKind::Supplement => r
            .last(Step::RequestSupplement)
            .map(|h| h.at)
            .ok_or_else(|| not_applicable(code, format!("no supplement was requested for dossier {code}")))?,
        FormKind::Refusal => refusal(r)
            .map(|(_, h)| h.at)
            .ok_or_else(|| not_applicable(code, format!("dossier {code} was neither refused nor denied")))?,
        FormKind::Apology => match (d.state.apologized, d.state.promised_at, r.last(Step::Apologize)) {
            (true, Some(_), Some(h)) => h.at,
            _ => return Err(not_applicable(code, format!("no apology was made for dossier {code}"))),
        },
        FormKind::Control => now,
    };
    let title = title_of(kind);
    let mut w = Writer::new(&format!("{title} — {code}"))
        .ok_or_else(|| ApiError::internal("the embedded font could not be read"))?;
    w.header(&r.agency_name, &date_line(dated));
    w.gap(6.0);
    w.title(title, 13.5);
    w.gap(8.0);
    w.code_block(code, url);
    w.gap(4.0);
    common(&mut w, r);
    match kind {
        FormKind::Receipt => receipt(&mut w, r),
        FormKind::Supplement => supplement(&mut w, r),
        FormKind::Refusal => refusal_form(&mut w, r),
        FormKind::Apology => apology(&mut w, r),
        FormKind::Control => control(&mut w, r, now),
    }
    Ok(w.finish())
}

/// The lines every form has: applicant, procedure, summary, due instant.
fn common(w: &mut Writer, r: &Record) {
    let d = &r.d;
    w.field("Cơ quan tiếp nhận", &format!("{} ({})", r.agency_name, d.state.receiving_agency));
    w.field("Người nộp / tổ chức yêu cầu", &d.applicant.name);
    w.field("Số định danh", &d.applicant.id_number);
    if let Some(a) = &d.applicant.address {
        w.field("Địa chỉ", a);
    }
    if let Some(p) = &d.applicant.phone {
        w.field("Điện thoại", p);
    }
    let procedure = match &r.procedure_name {
        Some(n) => format!("{n} (mã {}, phiên bản {})", d.procedure_code, d.procedure_version),
        None => format!("mã {}, phiên bản {}", d.procedure_code, d.procedure_version),
    };
    w.para(&[words("Thủ tục hành chính:"), words(procedure)], BODY, false, 0.0);
    w.para(&[words("Nội dung yêu cầu giải quyết:"), words(d.summary.clone())], BODY, false, 0.0);
    match d.state.due_at {
        Some(due) => w.field("Hạn trả kết quả", &instant(due)),
        None => w.field("Hạn trả kết quả", "chưa có (hồ sơ chưa được tiếp nhận)"),
    }
}

fn receipt(w: &mut Writer, r: &Record) {
    let d = &r.d;
    w.gap(4.0);
    w.para(&[words("Thành phần hồ sơ đã nhận:")], BODY, true, 0.0);
    let docs: Vec<&Document> = r.documents.iter().filter(|x| x.kind != DocumentKind::Result).collect();
    if docs.is_empty() {
        w.para(&[words("(không có tài liệu điện tử kèm theo)")], BODY, false, 14.0);
    }
    for (i, doc) in docs.iter().enumerate() {
        let component = doc.component_code.as_deref().unwrap_or("");
        let mut pieces: Vec<Piece> = vec![keep(format!("{}.", i + 1)), keep(component.to_owned())];
        match r.component(component) {
            Some(c) => {
                pieces.push(words(format!("— {} — tệp", c.name)));
                pieces.push(keep(doc.name.clone()));
                pieces.push(words(format!("— bản chính: {}, bản sao: {}", c.originals, c.copies)));
            }
            None => {
                pieces.push(words("— tệp"));
                pieces.push(keep(doc.name.clone()));
            }
        }
        if doc.digitised {
            pieces.push(words("(số hóa)"));
        }
        if doc.reused {
            pieces.push(words("(tái sử dụng từ kho dữ liệu)"));
        }
        w.para(&pieces, BODY, false, 14.0);
    }
    w.gap(4.0);
    if let Some(at) = d.state.received_at {
        w.field("Thời gian tiếp nhận", &instant(at));
    }
    // The appointment made at reception: the due instant before any pause
    // moved it; then the due instant as it stands, when a pause moved it.
    let at_reception = d.state.pauses.iter().find_map(|p| p.due_before).or(d.state.due_at);
    if let Some(due) = at_reception {
        w.para(&[words("Thời gian hẹn trả kết quả:"), keep(instant(due))], BODY, true, 0.0);
    }
    if let (Some(first), Some(now_due)) = (at_reception, d.state.due_at) {
        if first != now_due {
            w.field("Hẹn trả kết quả sau thời gian tạm dừng", &instant(now_due));
        }
    }
    if let Some(p) = d.state.promised_at {
        w.field("Ngày hẹn lại (theo phiếu xin lỗi)", &instant(p));
    }
    let officer = r.last(Step::Receive).map(|h| h.actor_name.clone()).unwrap_or_default();
    w.field("Người tiếp nhận", &officer);
    w.signature("NGƯỜI TIẾP NHẬN", &officer);
}

fn supplement(w: &mut Writer, r: &Record) {
    let Some(h) = r.last(Step::RequestSupplement) else { return };
    w.gap(4.0);
    w.para(
        &[words(format!(
            "Sau khi xem xét thành phần hồ sơ, {} đề nghị ông/bà bổ sung, hoàn thiện hồ sơ với các nội dung sau:",
            r.agency_name
        ))],
        BODY,
        false,
        0.0,
    );
    // While awaiting the supplement the state lists each item; afterwards
    // the history row keeps what was asked (its note).
    let items: &[SupplementItem] =
        if r.d.state.status == Status::AwaitingSupplement { &r.d.state.supplement_items } else { &[] };
    if items.is_empty() {
        w.para(&[words(h.note.clone().unwrap_or_default())], BODY, false, 14.0);
    } else {
        for (i, item) in items.iter().enumerate() {
            let mut pieces = vec![keep(format!("{}.", i + 1))];
            match r.component(&item.component_code) {
                Some(c) => {
                    pieces.push(keep(item.component_code.clone()));
                    pieces.push(words(format!("({}):", c.name)));
                }
                None => pieces.push(keep(format!("{}:", item.component_code))),
            }
            pieces.push(words(item.problem.clone()));
            w.para(&pieces, BODY, false, 14.0);
        }
    }
    w.gap(4.0);
    w.field("Yêu cầu lúc", &instant(h.at));
    if let Some(by) = h.step_deadline {
        w.para(&[words("Thời hạn bổ sung, hoàn thiện hồ sơ:"), keep(instant(by))], BODY, true, 0.0);
    }
    w.para(
        &[words(
            "Thời gian bổ sung, hoàn thiện hồ sơ không tính vào thời hạn giải quyết hồ sơ. Quá thời hạn trên mà hồ sơ không được bổ sung, cơ quan có thẩm quyền có thể dừng giải quyết hồ sơ.",
        )],
        9.5,
        false,
        0.0,
    );
    w.field("Người yêu cầu", &h.actor_name);
    w.signature("NGƯỜI YÊU CẦU", &h.actor_name);
}

/// The refusal at reception, or the denial, with its history row.
fn refusal(r: &Record) -> Option<(&'static str, &History)> {
    if r.d.state.status == Status::Refused {
        return r.last(Step::Refuse).map(|h| ("tiếp nhận", h));
    }
    if r.d.state.outcome == Some(Outcome::Denied) {
        return r.last(Step::Resolve).map(|h| ("giải quyết", h));
    }
    None
}

fn refusal_form(w: &mut Writer, r: &Record) {
    let Some((what, h)) = refusal(r) else { return };
    let note = h.note.clone().unwrap_or_default();
    // A denial's row reads `denied: <reason>`.
    let reason = note.strip_prefix("denied: ").unwrap_or(&note).to_owned();
    w.gap(4.0);
    w.para(
        &[words(format!("{} xin thông báo: không {} hồ sơ của ông/bà với lý do sau:", r.agency_name, what))],
        BODY,
        false,
        0.0,
    );
    w.para(&[words("Lý do:"), words(reason)], BODY, true, 14.0);
    w.field(if what == "tiếp nhận" { "Từ chối tiếp nhận lúc" } else { "Quyết định lúc" }, &instant(h.at));
    w.para(&[words("Xin thông báo để ông/bà biết và thực hiện.")], BODY, false, 0.0);
    w.field("Người thực hiện", &h.actor_name);
    w.signature("NGƯỜI THỰC HIỆN", &h.actor_name);
}

fn apology(w: &mut Writer, r: &Record) {
    let Some(h) = r.last(Step::Apologize) else { return };
    let d = &r.d;
    w.gap(4.0);
    w.para(
        &[words(format!(
            "{} xin lỗi ông/bà {} vì hồ sơ không giải quyết được đúng thời hạn đã hẹn",
            r.agency_name, d.applicant.name
        ))],
        BODY,
        false,
        0.0,
    );
    if let Some(due) = d.state.due_at {
        w.field("Thời hạn đã hẹn", &instant(due));
    }
    w.para(&[words("Lý do:"), words(h.note.clone().unwrap_or_default())], BODY, false, 0.0);
    if let Some(p) = d.state.promised_at {
        w.para(&[words("Ngày hẹn trả kết quả mới:"), keep(instant(p))], BODY, true, 0.0);
    }
    w.field("Lập lúc", &instant(h.at));
    w.para(&[words("Mong ông/bà thông cảm.")], BODY, false, 0.0);
    w.signature("NGƯỜI LẬP PHIẾU", &h.actor_name);
}

fn control(w: &mut Writer, r: &Record, now: DateTime<Utc>) {
    let d = &r.d;
    if let Some(at) = d.state.received_at {
        w.field("Tiếp nhận lúc", &instant(at));
    }
    w.field("Trạng thái hiện nay", status_vi(d.state.status));
    w.field("In lúc", &instant(now));
    w.gap(4.0);
    w.para(&[words("Quá trình giải quyết:")], BODY, true, 0.0);
    for (row, s) in r.rows.iter().zip(&r.steps) {
        w.separator();
        let from = row.from_status.map_or("—", status_vi);
        let to = status_vi(row.to_status);
        w.para(
            &[
                keep(format!("Bước {}.", s.seq)),
                words(format!("{} —", action_vi(row.action))),
                keep(instant(s.at.to_utc())),
            ],
            BODY,
            true,
            0.0,
        );
        let agency = s.actor_agency.as_deref().map(|a| format!(", {a}")).unwrap_or_default();
        w.para(
            &[words("Người thực hiện:"), keep(s.actor_name.clone()), words(format!("({}{agency})", row.actor_role))],
            BODY,
            false,
            14.0,
        );
        w.para(&[words(format!("Trạng thái: {from} → {to}"))], BODY, false, 14.0);
        if let Some(n) = &s.note {
            w.para(&[words("Nội dung:"), words(n.clone())], BODY, false, 14.0);
        }
        if let Some(deadline) = s.step_deadline {
            let mut pieces = vec![words("Hạn bước:"), keep(instant(deadline.to_utc()))];
            if let Some(t) = &s.step_timeliness {
                pieces.push(words(format!("— {}", timeliness_vi(t))));
            }
            w.para(&pieces, BODY, false, 14.0);
        }
    }
}
