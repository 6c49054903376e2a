//! The authorisation matrix (docs/RULES.md §1): every operation of the committed
//! `openapi.json` × every kind of caller — anonymous, each role, and for
//! scoped roles both "own" (the resource is of their agency, their dossier,
//! their subscription) and "other" (it is someone else's).
//!
//! The operations come from the OpenAPI document, not from this file: an
//! operation without an entry in [`TABLE`] fails the test, so a new endpoint
//! cannot escape the matrix. Every case sends a valid request with real ids
//! (fresh resources for the operations that change something) and checks the
//! class of the answer:
//! - `A` allowed: 2xx (or, where the entry says so, a domain 4xx that is not
//!   401, 403 or 404);
//! - `F` forbidden: 403 problem document (`code: forbidden`, `missing_right`);
//! - `H` hidden: 404 problem document — the rule for things the caller may not
//!   see (docs/RULES.md §1: "a request for a dossier the caller may not see gets 404,
//!   so that dossier codes cannot be probed"; the same for feedback, drafts
//!   and webhook subscriptions);
//! - `U` unauthenticated: 401 problem document (no token on a protected
//!   operation).
//!
//! An answer that is allowed for an "other" caller (a list, a report) must
//! not contain the resource of the "own" side: that would be a leak.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::payment_sim::{signed_result, SECRET};
use dvc_tests::{both_backends, Answer, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

// ---- who calls ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anon,
    Admin,
    Viewer,
    /// The integrator that owns the webhook subscriptions of the fixture.
    Integrator,
    /// Another integrator (another machine client).
    IntegratorOther,
    /// The applicant of the fixture's dossiers, author of its feedback.
    CitizenOwn,
    CitizenOther,
    /// Staff of DEPT, the agency that receives the fixture's dossiers.
    OfficerOwn,
    /// Staff of OTHER, a sibling agency.
    OfficerOther,
    ApproverOwn,
    ApproverOther,
    /// agency_admin of DEPT, which keeps the fixture's procedures.
    KeeperOwn,
    KeeperOther,
}

use Who::*;

const ALL: [Who; 13] = [
    Anon,
    Admin,
    Viewer,
    Integrator,
    IntegratorOther,
    CitizenOwn,
    CitizenOther,
    OfficerOwn,
    OfficerOther,
    ApproverOwn,
    ApproverOther,
    KeeperOwn,
    KeeperOther,
];

/// Every authenticated caller.
const USERS: &[Who] = &[
    Admin,
    Viewer,
    Integrator,
    IntegratorOther,
    CitizenOwn,
    CitizenOther,
    OfficerOwn,
    OfficerOther,
    ApproverOwn,
    ApproverOther,
    KeeperOwn,
    KeeperOther,
];

/// Who may see a dossier of DEPT submitted by the citizen (domain `may_read`:
/// its applicant, staff of its agencies and those above, admin, viewer, integrators).
const DOSSIER_READERS: &[Who] =
    &[Admin, Viewer, Integrator, IntegratorOther, CitizenOwn, OfficerOwn, ApproverOwn, KeeperOwn];
/// Officers and approvers of the dossier's agency.
const DESK: &[Who] = &[OfficerOwn, ApproverOwn];

// ---- what they should get ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// 2xx (or a domain 4xx where the entry allows it).
    A,
    /// 403 problem document.
    F,
    /// 404 problem document.
    H,
    /// 401 problem document.
    U,
}

/// How an operation treats callers.
#[derive(Clone, Copy)]
enum Rule {
    /// `act` are allowed; `see` (a superset of `act`, may include `Anon` on
    /// public operations) but not `act` get 403; everyone else 404.
    Hidden { see: &'static [Who], act: &'static [Who] },
    /// `act` are allowed; every other authenticated caller gets 403.
    Only(&'static [Who]),
    /// Public: everyone, without a token too.
    Public,
}

struct Entry {
    op: &'static str,
    rule: Rule,
    /// Allowed callers may also get this domain 4xx (the request is valid but
    /// the state says no), instead of a 2xx.
    domain_4xx: Option<u16>,
    why: &'static str,
}

const fn e(op: &'static str, rule: Rule, why: &'static str) -> Entry {
    Entry { op, rule, domain_4xx: None, why }
}

const fn reports(op: &'static str, why: &'static str) -> Entry {
    Entry { op, rule: REPORTS, domain_4xx: None, why }
}

const DOSSIER_READ: Rule = Rule::Hidden { see: DOSSIER_READERS, act: DOSSIER_READERS };
const DESK_ACTION: Rule = Rule::Hidden { see: DOSSIER_READERS, act: DESK };
const APPLICANT_ACTION: Rule = Rule::Hidden { see: DOSSIER_READERS, act: &[CitizenOwn] };
const APPROVER_ACTION: Rule = Rule::Hidden { see: DOSSIER_READERS, act: &[ApproverOwn] };
const KEEPERS: &[Who] = &[Admin, KeeperOwn];
const ADMIN: Rule = Rule::Only(&[Admin]);
/// Who reads an unpublished feedback item of DEPT filed by the citizen.
const FEEDBACK_READERS: &[Who] = &[Admin, Viewer, CitizenOwn, OfficerOwn, ApproverOwn];
const FEEDBACK_RESPONSE: Rule = Rule::Hidden { see: FEEDBACK_READERS, act: DESK };
/// Webhook subscriptions: an integrator manages its own, an admin all.
const WEBHOOK_OWNED: Rule = Rule::Hidden {
    see: &[
        Admin,
        Integrator,
        Viewer,
        CitizenOwn,
        CitizenOther,
        OfficerOwn,
        OfficerOther,
        ApproverOwn,
        ApproverOther,
        KeeperOwn,
        KeeperOther,
    ],
    act: &[Admin, Integrator],
};
/// Reports: admin and viewer read all; staff their own agency (with sub-units).
const REPORTS: Rule = Rule::Only(&[Admin, Viewer, OfficerOwn, ApproverOwn, KeeperOwn]);

/// The expected access of every operation, with the reason.
const TABLE: &[Entry] = &[
    e("GET /health/live", Rule::Public, "liveness probe, public"),
    e("GET /health/ready", Rule::Public, "readiness probe, public"),
    // Agencies (docs/RULES.md §2): public reads; admin manages (Right::ManageAgencies).
    e("GET /api/v1/agencies", Rule::Public, "the agency list is public"),
    e("POST /api/v1/agencies", ADMIN, "admin manages agencies (docs/RULES.md §1)"),
    e("GET /api/v1/agencies/{code}", Rule::Public, "an agency is public"),
    e("PUT /api/v1/agencies/{code}", ADMIN, "admin manages agencies"),
    e("POST /api/v1/agencies/{code}/merge", ADMIN, "admin marks mergers"),
    // Catalogue (docs/RULES.md §3): public reads of published versions; admin keeps
    // all procedures, an agency_admin those of their agency (403 for another
    // agency's: the procedure is public, so nothing is hidden).
    e("GET /api/v1/procedures", Rule::Public, "catalogue search is public"),
    e("POST /api/v1/procedures", Rule::Only(KEEPERS), "admin, or agency_admin of the publishing agency"),
    e("GET /api/v1/procedures/{code}", Rule::Public, "the version in force is public"),
    e("GET /api/v1/procedures/{code}/versions", Rule::Public, "version list is public (drafts only for keepers)"),
    e("POST /api/v1/procedures/{code}/versions", Rule::Only(KEEPERS), "keepers of the procedure's agency"),
    e(
        "GET /api/v1/procedures/{code}/versions/{version}",
        // The case reads a DRAFT: only its keepers see it; anyone else,
        // anonymous too, gets 404 as if it did not exist.
        Rule::Hidden { see: KEEPERS, act: KEEPERS },
        "a draft is visible only to its keepers (404 for everyone else)",
    ),
    e("PUT /api/v1/procedures/{code}/versions/{version}", Rule::Only(KEEPERS), "keepers edit drafts"),
    e("DELETE /api/v1/procedures/{code}/versions/{version}", Rule::Only(KEEPERS), "keepers delete drafts"),
    e("POST /api/v1/procedures/{code}/versions/{version}/publish", Rule::Only(KEEPERS), "keepers publish"),
    e("POST /api/v1/procedures/{code}/versions/{version}/retire", Rule::Only(KEEPERS), "keepers retire"),
    // Calendars (docs/RULES.md §4.3): public read, admin changes.
    e("GET /api/v1/calendars/{id}", Rule::Public, "the working calendar is public"),
    e("PUT /api/v1/calendars/{id}", ADMIN, "admin maintains calendars"),
    e("POST /api/v1/deadlines/preview", Rule::Only(USERS), "any signed-in user may compute a due instant"),
    // Dossiers (docs/RULES.md §1, §4).
    e("GET /api/v1/dossiers", Rule::Only(USERS), "everyone signed in lists, scoped (leak-checked for 'other')"),
    e(
        "POST /api/v1/dossiers",
        Rule::Only(&[CitizenOwn, CitizenOther, OfficerOwn, ApproverOwn]),
        "citizens submit online; desk staff register for their agency (403 for another agency's)",
    ),
    e(
        "POST /api/v1/integrations/national-portal/dossiers",
        Rule::Only(&[Integrator, IntegratorOther]),
        "integrators push",
    ),
    e("GET /api/v1/dossiers/{code}", DOSSIER_READ, "readers of the dossier; 404 for others"),
    e("GET /api/v1/dossiers/{code}/history", DOSSIER_READ, "the control slip: readers of the dossier"),
    e(
        "GET /api/v1/dossiers/{code}/notifications",
        DOSSIER_READ,
        "the applicant's notifications: readers of the dossier",
    ),
    e("POST /api/v1/dossiers/{code}/receive", DESK_ACTION, "desk of the agency; 403 if visible, 404 if not"),
    e("POST /api/v1/dossiers/{code}/refuse", DESK_ACTION, "desk of the agency"),
    e("POST /api/v1/dossiers/{code}/request-supplement", DESK_ACTION, "desk of the agency"),
    e("POST /api/v1/dossiers/{code}/supplement", APPLICANT_ACTION, "the applicant supplements"),
    e("POST /api/v1/dossiers/{code}/hand-off", DESK_ACTION, "desk of the agency"),
    e("POST /api/v1/dossiers/{code}/request-payment", DESK_ACTION, "desk of the agency"),
    e("GET /api/v1/dossiers/{code}/payments", DOSSIER_READ, "readers of the dossier"),
    e("POST /api/v1/dossiers/{code}/payments", DESK_ACTION, "desk records cash/transfer payments"),
    e("POST /api/v1/dossiers/{code}/fee-relief", DESK_ACTION, "desk records an exemption or reduction"),
    e("POST /api/v1/dossiers/{code}/resolve", APPROVER_ACTION, "an approver of the agency decides"),
    e("POST /api/v1/dossiers/{code}/return", DESK_ACTION, "desk returns the result"),
    e("POST /api/v1/dossiers/{code}/withdraw", APPLICANT_ACTION, "the applicant withdraws"),
    e("POST /api/v1/dossiers/{code}/stop", APPROVER_ACTION, "an approver stops"),
    e("POST /api/v1/dossiers/{code}/apologize", APPROVER_ACTION, "an approver apologises"),
    e(
        "POST /api/v1/dossiers/{code}/documents",
        Rule::Hidden { see: DOSSIER_READERS, act: &[CitizenOwn, OfficerOwn, ApproverOwn] },
        "the applicant (while submitted) or the agency's desk adds documents",
    ),
    e("GET /api/v1/dossiers/{code}/documents/{id}", DOSSIER_READ, "readers of the dossier download"),
    e("GET /api/v1/dossiers/{code}/forms/{form}", DOSSIER_READ, "readers of the dossier print its forms"),
    // Synchronisation (docs/RULES.md §8).
    e(
        "GET /api/v1/changes",
        Rule::Only(&[Admin, Viewer, Integrator, IntegratorOther]),
        "change feed: integrators, admin, viewer",
    ),
    e("GET /api/v1/sync/failing", ADMIN, "admin manages synchronisation"),
    e("GET /api/v1/integrity/history", ADMIN, "admin verifies the histories' chains"),
    // National databases (docs/RULES.md §11). No database is connected in the
    // matrix: a caller past authorisation gets 409 registry_not_connected.
    Entry {
        op: "POST /api/v1/national-databases/population/lookups",
        rule: Rule::Only(&[OfficerOwn, ApproverOwn, OfficerOther, ApproverOther]),
        domain_4xx: Some(409),
        why: "desk staff look up a citizen to pre-fill a registration",
    },
    Entry {
        op: "POST /api/v1/national-databases/business/lookups",
        rule: Rule::Only(&[OfficerOwn, ApproverOwn, OfficerOther, ApproverOther]),
        domain_4xx: Some(409),
        why: "desk staff look up an enterprise to pre-fill a registration",
    },
    e("GET /api/v1/national-databases/lookups", ADMIN, "admin reads the audit log of look-ups"),
    e("GET /api/v1/integrity/lookups", ADMIN, "admin verifies the audit log's chain"),
    e("POST /api/v1/dossiers/{code}/sync/retry", ADMIN, "admin manages synchronisation"),
    // Payments (docs/RULES.md §5).
    e("POST /api/v1/dossiers/{code}/payments/online", APPLICANT_ACTION, "the applicant pays online"),
    Entry {
        op: "POST /api/v1/payments/callback",
        rule: Rule::Public,
        // The case sends a callback with a bad checksum: 400 invalid_signature
        // and nothing changes, whatever bearer token comes with it (the
        // message is authenticated by its checksum, not by a token).
        domain_4xx: Some(400),
        why: "the payment platform calls back unauthenticated; its checksum authenticates it",
    },
    e("POST /api/v1/payments/{id}/cancel", ADMIN, "admin cancels payments"),
    e("POST /api/v1/payments/{id}/refund", ADMIN, "admin refunds payments"),
    e(
        "GET /api/v1/payment-attempts",
        Rule::Only(&[Admin, OfficerOwn, OfficerOther, ApproverOwn, ApproverOther]),
        "desk staff list their agency's attempts (leak-checked), admin all",
    ),
    e("POST /api/v1/payment-attempts/{id}/refund", ADMIN, "admin records the refund of a duplicate payment"),
    // Webhooks (docs/RULES.md §8): integrators manage their own (another's is 404), admin all.
    e("GET /api/v1/webhooks", Rule::Only(&[Admin, Integrator, IntegratorOther]), "own list (leak-checked)"),
    e("POST /api/v1/webhooks", Rule::Only(&[Admin, Integrator, IntegratorOther]), "integrators subscribe"),
    e("DELETE /api/v1/webhooks/{id}", WEBHOOK_OWNED, "owner or admin; another integrator's is 404"),
    e("GET /api/v1/webhooks/{id}/deliveries", WEBHOOK_OWNED, "owner or admin"),
    e("POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", WEBHOOK_OWNED, "owner or admin"),
    // Figures (docs/RULES.md §7): viewer and admin all; staff their agency's subtree.
    reports("GET /api/v1/reports/summary", "staff read their agency's figures; another agency's is 403"),
    reports("GET /api/v1/reports/dossiers", "drill-down lists dossier codes: never another agency's"),
    reports("GET /api/v1/reports/index-766", "staff read their agency's index"),
    // Ratings (docs/RULES.md §6).
    e("GET /api/v1/dossiers/{code}/rating", DOSSIER_READ, "readers of the dossier"),
    e("POST /api/v1/dossiers/{code}/rating", APPLICANT_ACTION, "the applicant rates once"),
    e(
        "POST /api/v1/imports/dossiers",
        Rule::Only(&[Admin, Integrator, IntegratorOther]),
        "imports: admin, integrators",
    ),
    // Feedback (docs/RULES.md §6).
    e(
        "GET /api/v1/feedback",
        Rule::Only(&[Admin, Viewer, CitizenOwn, CitizenOther, OfficerOwn, OfficerOther, ApproverOwn, ApproverOther]),
        "own items, the agency's for its desk (leak-checked), all for admin/viewer",
    ),
    e("POST /api/v1/feedback", Rule::Only(&[CitizenOwn, CitizenOther]), "citizens file feedback"),
    e("GET /api/v1/feedback/published", Rule::Public, "published answers are public"),
    e(
        "GET /api/v1/feedback/{id}",
        Rule::Hidden { see: FEEDBACK_READERS, act: FEEDBACK_READERS },
        "unpublished: author, agency desk, admin, viewer; 404 for the rest (anonymous too)",
    ),
    e("POST /api/v1/feedback/{id}/refuse", FEEDBACK_RESPONSE, "the agency's desk responds"),
    e("POST /api/v1/feedback/{id}/request-info", FEEDBACK_RESPONSE, "the agency's desk responds"),
    e(
        "POST /api/v1/feedback/{id}/info",
        Rule::Hidden { see: FEEDBACK_READERS, act: &[CitizenOwn] },
        "the author answers the question",
    ),
    e("POST /api/v1/feedback/{id}/answer", FEEDBACK_RESPONSE, "the agency's desk answers"),
    e("POST /api/v1/feedback/{id}/publish", FEEDBACK_RESPONSE, "the agency's desk publishes"),
    // The public look-up (docs/RULES.md §4.4): the code and a second factor are the credential.
    e(
        "POST /api/v1/public/dossier-lookups",
        Rule::Public,
        "anyone holding the code and a second factor; no token needed (leak-checked)",
    ),
];

/// The role of a caller (None: anonymous).
fn role(who: Who) -> Option<Role> {
    Some(match who {
        Anon => return None,
        Admin => Role::Admin,
        Viewer => Role::Viewer,
        Integrator | IntegratorOther => Role::Integrator,
        CitizenOwn | CitizenOther => Role::Citizen,
        OfficerOwn | OfficerOther => Role::Officer,
        ApproverOwn | ApproverOther => Role::Approver,
        KeeperOwn | KeeperOther => Role::AgencyAdmin,
    })
}

fn expected(rule: Rule, who: Who, public: bool) -> Class {
    if who == Anon && !public {
        return Class::U;
    }

    match rule {
        Rule::Public => Class::A,
        Rule::Only(act) => {
            if act.contains(&who) {
                Class::A
            } else {
                Class::F
            }
        }
        Rule::Hidden { see, act } => {
            if act.contains(&who) {
                Class::A
            } else if who != Anon && !public && !act.iter().any(|a| role(*a) == role(who)) {
                // A role that can never act is refused before the resource
                // is looked at: 403, whatever the resource (nothing leaks).
                Class::F
            } else if see.contains(&who) {
                Class::F
            } else {
                Class::H
            }
        }
    }
}

// ---- the operations of the document ----

fn operations() -> (Vec<(String, bool)>, Value) {
    let doc: Value = serde_json::from_str(include_str!("../../../openapi.json")).expect("openapi.json parses");
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "post", "put", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                continue;
            }
            let security = op.get("security").or_else(|| doc.get("security"));
            // Public: no security requirement, or an empty alternative `{}`.
            let public = match security.and_then(Value::as_array) {
                None => true,
                Some(alts) => alts.is_empty() || alts.iter().any(|a| a.as_object().is_some_and(|o| o.is_empty())),
            };
            ops.push((format!("{} {path}", method.to_uppercase()), public));
        }
    }
    (ops, doc)
}

// ---- fixtures ----

static SERIAL: AtomicUsize = AtomicUsize::new(1);

fn serial() -> usize {
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

struct Fx {
    tokens: Tokens,
    admin: String,
    keeper_own: String,
    keeper_other: String,
    integrator_other: String,
    /// A returned and rated dossier of DEPT, submitted by the citizen.
    dossier: String,
    document: String,
    /// An unpublished (open) feedback item of the citizen about DEPT.
    feedback: String,
    /// The integrator's subscription and one of its deliveries.
    webhook: String,
    delivery: String,
    /// A procedure of DEPT with a draft version 1 only.
    draft_procedure: String,
    /// The reference of an online payment attempt on a dossier of DEPT.
    attempt: String,
}

fn content(name: &str) -> Value {
    json!({
        "name": name,
        "sector": {"code": "DKKD", "name": "Thành lập và hoạt động doanh nghiệp"},
        "implementing_agencies": [DEPT],
        "level": "province",
        "service_level": "full",
        "processing_time": {"amount": 5, "unit": "working_days", "same_day": false},
        "fees": [{"code": "LP01", "description": "Lệ phí", "amount_vnd": 50000, "collected": "on_receipt"}],
        "components": [
            {"case": "Trường hợp chung", "code": "TP01", "name": "Giấy đề nghị", "form_template": null, "originals": 1, "copies": 0}
        ],
        "results": ["Giấy chứng nhận"],
        "legal_bases": ["Luật Doanh nghiệp số 59/2020/QH14"],
        "channels": ["in_person", "online"]
    })
}

/// A fresh procedure of DEPT with a draft version 1 (published when asked).
fn fresh_procedure(app: &TestApp, fx: &Fx, published: bool) -> String {
    let code = format!("1.{:06}", 100_000 + serial());
    app.post(
        "/api/v1/procedures",
        Some(&fx.admin),
        &json!({"code": code, "agency": DEPT, "content": content("Thủ tục thử")}),
    )
    .expect(201);
    if published {
        app.post(
            &format!("/api/v1/procedures/{code}/versions/1/publish"),
            Some(&fx.admin),
            &json!({"effective_from": "2025-01-01"}),
        )
        .expect(200);
    }
    code
}

fn fresh_agency(app: &TestApp, fx: &Fx) -> String {
    let n = serial();
    let code = format!("{:03}.{:02}.09.H56", 100 + n / 100, n % 100);
    app.post(
        "/api/v1/agencies",
        Some(&fx.admin),
        &json!({"code": code, "name": "Đơn vị thử", "level": "department", "parent": PROVINCE}),
    )
    .expect(201);
    code
}

/// The status a fresh dossier is brought to before the case acts on it.
#[derive(Clone, Copy)]
enum Stage {
    Submitted,
    AwaitingSupplement,
    Received,
    Processing,
    AwaitingPayment,
    Resolved,
    Returned,
}

fn fresh_dossier(app: &TestApp, fx: &Fx, stage: Stage) -> String {
    let t = &fx.tokens;
    let code = submit(app, t);
    let step = |token: &str, action: &str, body: Value| {
        act(app, token, &code, action, body).expect(200);
    };
    match stage {
        Stage::Submitted => {}
        Stage::AwaitingSupplement => step(&t.officer, "request-supplement", supplement_request()),
        _ => {
            step(&t.officer, "receive", json!({}));
            if !matches!(stage, Stage::Received) {
                step(&t.officer, "hand-off", json!({"to_agency": DEPT}));
            }
            match stage {
                Stage::AwaitingPayment => step(&t.officer, "request-payment", json!({})),
                Stage::Resolved | Stage::Returned => {
                    step(&t.approver, "resolve", json!({"outcome": "granted"}));
                    if matches!(stage, Stage::Returned) {
                        step(&t.officer, "return", json!({"channel": "online"}));
                    }
                }
                _ => {}
            }
        }
    }
    code
}

fn supplement_request() -> Value {
    json!({"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": "2026-03-20T17:00:00+07:00"})
}

fn pdf() -> Value {
    json!({"component_code": "TP01", "name": "bo-sung.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQKJSBtYXRyaXg="})
}

fn payment_id(app: &TestApp, fx: &Fx, code: &str) -> String {
    let list = app.get(&format!("/api/v1/dossiers/{code}/payments"), Some(&fx.admin)).expect(200).body;
    list["items"][0]["id"].as_str().expect("payment id").to_owned()
}

fn fresh_feedback(app: &TestApp, fx: &Fx) -> String {
    let body = json!({"title": "Chậm trả kết quả", "content": "Hồ sơ quá hạn", "agency": DEPT});
    let f = app.post("/api/v1/feedback", Some(&fx.tokens.citizen), &body).expect(201).body;
    f["id"].as_str().expect("feedback id").to_owned()
}

fn setup(app: &TestApp) -> Fx {
    province(app);
    app.set_now("2026-03-05T09:00:00+07:00");
    let tokens = tokens(app);
    let admin = app.token(Role::Admin, None);
    let mut fx = Fx {
        admin,
        keeper_own: app.token_for(Role::AgencyAdmin, "keeper.dept", Some(DEPT)),
        keeper_other: app.token_for(Role::AgencyAdmin, "keeper.other", Some(OTHER)),
        integrator_other: app.token_for(Role::Integrator, "lgsp.other", None),
        tokens,
        dossier: String::new(),
        document: String::new(),
        feedback: String::new(),
        webhook: String::new(),
        delivery: String::new(),
        draft_procedure: String::new(),
        attempt: String::new(),
    };
    // The subscription first, so that the fixture dossier's changes reach it.
    let hook = app
        .post(
            "/api/v1/webhooks",
            Some(&fx.tokens.integrator),
            &json!({"url": "http://127.0.0.1:9/hook", "secret": "a-long-shared-secret-0123"}),
        )
        .expect(201)
        .body;
    fx.webhook = hook["id"].as_str().expect("webhook id").to_owned();
    fx.dossier = fresh_dossier(app, &fx, Stage::Returned);
    let rating = json!({"criteria": [2, 2, 2, 2, 2, 2, 2, 2, 2], "overall": "satisfied"});
    app.post(&format!("/api/v1/dossiers/{}/rating", fx.dossier), Some(&fx.tokens.citizen), &rating).expect(201);
    let d = app.get(&format!("/api/v1/dossiers/{}", fx.dossier), Some(&fx.admin)).expect(200).body;
    fx.document = d["documents"][0]["id"].as_str().expect("document id").to_owned();
    fx.feedback = fresh_feedback(app, &fx);
    let paying = fresh_dossier(app, &fx, Stage::AwaitingPayment);
    let started = app
        .post(&format!("/api/v1/dossiers/{paying}/payments/online"), Some(&fx.tokens.citizen), &json!({}))
        .expect(201);
    fx.attempt = started.body["attempt"]["reference"].as_str().expect("reference").to_owned();
    let draft = format!("1.{:06}", 100_000 + serial());
    app.post(
        "/api/v1/procedures",
        Some(&fx.admin),
        &json!({"code": draft, "agency": DEPT, "content": content("Bản nháp")}),
    )
    .expect(201);
    fx.draft_procedure = draft;
    let started = Instant::now();
    loop {
        let log = app.get(&format!("/api/v1/webhooks/{}/deliveries", fx.webhook), Some(&fx.admin)).expect(200).body;
        if let Some(id) = log["items"][0]["id"].as_str() {
            fx.delivery = id.to_owned();
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no webhook delivery was made");
        std::thread::sleep(Duration::from_millis(100));
    }
    fx
}

fn token(fx: &Fx, who: Who) -> Option<String> {
    let t = &fx.tokens;
    Some(match who {
        Anon => return None,
        Admin => fx.admin.clone(),
        Viewer => t.viewer.clone(),
        Integrator => t.integrator.clone(),
        IntegratorOther => fx.integrator_other.clone(),
        CitizenOwn => t.citizen.clone(),
        CitizenOther => t.other_citizen.clone(),
        OfficerOwn => t.officer.clone(),
        OfficerOther => t.other_officer.clone(),
        ApproverOwn => t.approver.clone(),
        ApproverOther => t.other_approver.clone(),
        KeeperOwn => fx.keeper_own.clone(),
        KeeperOther => fx.keeper_other.clone(),
    })
}

/// A request of one case.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    /// Raw bytes with a content type (document upload).
    raw: Option<(&'static str, Vec<u8>)>,
    /// What an allowed answer must not contain, unless the caller is one of
    /// those who may see it.
    secret: Option<(String, &'static [Who])>,
}

fn call(method: Method, path: String, body: Option<Value>) -> Call {
    Call { method, path, body, raw: None, secret: None }
}

/// Builds a valid request of `op` for `who`, with fresh resources where the
/// operation changes something.
fn build(app: &TestApp, fx: &Fx, op: &str) -> Call {
    let (_, template) = op.split_once(' ').expect("METHOD /path");
    let get = |p: String| call(Method::GET, p, None);
    let post = |p: String, b: Value| call(Method::POST, p, Some(b));
    let d = &fx.dossier;
    let dossier_action = |stage: Stage, action: &str, body: Value| {
        let code = fresh_dossier(app, fx, stage);
        post(format!("/api/v1/dossiers/{code}/{action}"), body)
    };
    let n = serial();
    let range = "from=2026-01-01&to=2026-12-31";
    match op {
        "GET /health/live" | "GET /health/ready" => get(template.to_owned()),
        "GET /api/v1/agencies" => get("/api/v1/agencies?limit=500".into()),
        "POST /api/v1/agencies" => {
            let code = format!("{:03}.{:02}.08.H56", 100 + n / 100, n % 100);
            post(
                "/api/v1/agencies".into(),
                json!({"code": code, "name": "Đơn vị mới", "level": "department", "parent": PROVINCE}),
            )
        }
        "GET /api/v1/agencies/{code}" => get(format!("/api/v1/agencies/{DEPT}")),
        "PUT /api/v1/agencies/{code}" => call(
            Method::PUT,
            format!("/api/v1/agencies/{UNIT}"),
            Some(json!({"name": "Phòng Đăng ký kinh doanh", "level": "department", "parent": DEPT, "active": true})),
        ),
        "POST /api/v1/agencies/{code}/merge" => {
            let (from, to) = (fresh_agency(app, fx), fresh_agency(app, fx));
            post(format!("/api/v1/agencies/{from}/merge"), json!({"successor": to}))
        }
        "GET /api/v1/procedures" => get("/api/v1/procedures".into()),
        "POST /api/v1/procedures" => post(
            "/api/v1/procedures".into(),
            json!({"code": format!("1.{:06}", 100_000 + n), "agency": DEPT, "content": content("Thủ tục mới")}),
        ),
        "GET /api/v1/procedures/{code}" => get(format!("/api/v1/procedures/{PROCEDURE}")),
        "GET /api/v1/procedures/{code}/versions" => get(format!("/api/v1/procedures/{PROCEDURE}/versions")),
        "POST /api/v1/procedures/{code}/versions" => {
            let code = fresh_procedure(app, fx, true);
            post(format!("/api/v1/procedures/{code}/versions"), json!({"content": content("Phiên bản 2")}))
        }
        "GET /api/v1/procedures/{code}/versions/{version}" => {
            get(format!("/api/v1/procedures/{}/versions/1", fx.draft_procedure))
        }
        "PUT /api/v1/procedures/{code}/versions/{version}" => {
            let code = fresh_procedure(app, fx, false);
            call(
                Method::PUT,
                format!("/api/v1/procedures/{code}/versions/1"),
                Some(json!({"content": content("Đổi tên")})),
            )
        }
        "DELETE /api/v1/procedures/{code}/versions/{version}" => {
            let code = fresh_procedure(app, fx, false);
            call(Method::DELETE, format!("/api/v1/procedures/{code}/versions/1"), None)
        }
        "POST /api/v1/procedures/{code}/versions/{version}/publish" => {
            let code = fresh_procedure(app, fx, false);
            post(format!("/api/v1/procedures/{code}/versions/1/publish"), json!({"effective_from": "2025-01-01"}))
        }
        "POST /api/v1/procedures/{code}/versions/{version}/retire" => {
            let code = fresh_procedure(app, fx, true);
            post(format!("/api/v1/procedures/{code}/versions/1/retire"), json!({"effective_to": "2025-07-01"}))
        }
        "GET /api/v1/calendars/{id}" => get("/api/v1/calendars/default".into()),
        "PUT /api/v1/calendars/{id}" => call(Method::PUT, "/api/v1/calendars/default".into(), Some(calendar())),
        "POST /api/v1/deadlines/preview" => post(
            "/api/v1/deadlines/preview".into(),
            json!({"calendar": "default", "start": "2026-03-05T09:00:00+07:00", "amount": 5, "unit": "working_days", "same_day": false, "pauses": []}),
        ),
        "GET /api/v1/dossiers" => {
            Call { secret: Some((d.clone(), DOSSIER_READERS)), ..get("/api/v1/dossiers?limit=500".into()) }
        }
        "POST /api/v1/dossiers" => {
            // Filed for a business under its authorisation, so that each
            // citizen (and the desk) may file the same body.
            let mut s = submission("Hồ sơ mới");
            s["agency"] = json!(DEPT);
            s["applicant"] = json!({"kind": "business", "id_number": "0100109106", "name": "Công ty Viettel"});
            s["representative"] = json!({"authorisation": {"name": "giay-uy-quyen.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}});
            post("/api/v1/dossiers".into(), s)
        }
        "POST /api/v1/integrations/national-portal/dossiers" => post(
            "/api/v1/integrations/national-portal/dossiers".into(),
            json!({
                "external_code": format!("G22-M{n}"),
                "procedure": PROCEDURE,
                "agency": DEPT,
                "applicant": {"kind": "business", "id_number": "0100109106", "name": "Công ty Viettel"},
                "summary": "Hồ sơ từ Cổng DVCQG",
                "submitted_at": "2026-03-05T08:15:00+07:00"
            }),
        ),
        "GET /api/v1/dossiers/{code}" => get(format!("/api/v1/dossiers/{d}")),
        "GET /api/v1/dossiers/{code}/history" => get(format!("/api/v1/dossiers/{d}/history")),
        "GET /api/v1/dossiers/{code}/notifications" => get(format!("/api/v1/dossiers/{d}/notifications")),
        "GET /api/v1/dossiers/{code}/payments" => get(format!("/api/v1/dossiers/{d}/payments")),
        "GET /api/v1/dossiers/{code}/rating" => get(format!("/api/v1/dossiers/{d}/rating")),
        "GET /api/v1/dossiers/{code}/documents/{id}" => get(format!("/api/v1/dossiers/{d}/documents/{}", fx.document)),
        "GET /api/v1/dossiers/{code}/forms/{form}" => get(format!("/api/v1/dossiers/{d}/forms/control")),
        "POST /api/v1/dossiers/{code}/receive" => dossier_action(Stage::Submitted, "receive", json!({})),
        "POST /api/v1/dossiers/{code}/refuse" => {
            dossier_action(Stage::Submitted, "refuse", json!({"reason": "Sai thẩm quyền"}))
        }
        "POST /api/v1/dossiers/{code}/request-supplement" => {
            dossier_action(Stage::Submitted, "request-supplement", supplement_request())
        }
        "POST /api/v1/dossiers/{code}/supplement" => {
            dossier_action(Stage::AwaitingSupplement, "supplement", json!({"note": "Đã bổ sung", "documents": [pdf()]}))
        }
        "POST /api/v1/dossiers/{code}/hand-off" => {
            dossier_action(Stage::Received, "hand-off", json!({"to_agency": DEPT}))
        }
        "POST /api/v1/dossiers/{code}/request-payment" => {
            dossier_action(Stage::Processing, "request-payment", json!({}))
        }
        "POST /api/v1/dossiers/{code}/payments" => {
            dossier_action(Stage::AwaitingPayment, "payments", json!({"method": "cash", "amount_vnd": 50000}))
        }
        "POST /api/v1/dossiers/{code}/fee-relief" => dossier_action(
            Stage::Processing,
            "fee-relief",
            json!({"kind": "exempt", "legal_basis": "Điều 5 Thông tư 85/2019/TT-BTC"}),
        ),
        "POST /api/v1/dossiers/{code}/resolve" => {
            dossier_action(Stage::Processing, "resolve", json!({"outcome": "granted"}))
        }
        "POST /api/v1/dossiers/{code}/return" => {
            dossier_action(Stage::Resolved, "return", json!({"channel": "online"}))
        }
        "POST /api/v1/dossiers/{code}/withdraw" => dossier_action(Stage::Submitted, "withdraw", json!({})),
        "POST /api/v1/dossiers/{code}/stop" => {
            dossier_action(Stage::Processing, "stop", json!({"reason": "Quá hạn bổ sung"}))
        }
        "POST /api/v1/dossiers/{code}/apologize" => dossier_action(
            Stage::Processing,
            "apologize",
            json!({"reason": "Cần xin ý kiến liên ngành", "new_date": "2026-03-20T17:00:00+07:00"}),
        ),
        "POST /api/v1/dossiers/{code}/rating" => dossier_action(
            Stage::Returned,
            "rating",
            json!({"criteria": [2, 2, 1, 2, 2, 2, 2, 1, 2], "overall": "satisfied"}),
        ),
        "POST /api/v1/dossiers/{code}/payments/online" => {
            dossier_action(Stage::AwaitingPayment, "payments/online", json!({}))
        }
        "POST /api/v1/dossiers/{code}/documents" => {
            let code = fresh_dossier(app, fx, Stage::Submitted);
            Call {
                raw: Some(("application/pdf", b"%PDF-1.4 matrix".to_vec())),
                ..call(
                    Method::POST,
                    format!("/api/v1/dossiers/{code}/documents?component_code=TP01&name=scan.pdf"),
                    None,
                )
            }
        }
        "GET /api/v1/changes" => get("/api/v1/changes".into()),
        "GET /api/v1/sync/failing" => get("/api/v1/sync/failing".into()),
        "GET /api/v1/integrity/history" => get("/api/v1/integrity/history".into()),
        "POST /api/v1/national-databases/population/lookups" => post(
            "/api/v1/national-databases/population/lookups".into(),
            json!({"id_number": CITIZEN, "purpose": "Điền sẵn hồ sơ"}),
        ),
        "POST /api/v1/national-databases/business/lookups" => post(
            "/api/v1/national-databases/business/lookups".into(),
            json!({"code": "0100109106", "purpose": "Điền sẵn hồ sơ"}),
        ),
        "GET /api/v1/national-databases/lookups" => get("/api/v1/national-databases/lookups".into()),
        "GET /api/v1/integrity/lookups" => get("/api/v1/integrity/lookups".into()),
        "POST /api/v1/dossiers/{code}/sync/retry" => post(format!("/api/v1/dossiers/{d}/sync/retry"), json!({})),
        "POST /api/v1/payments/callback" => post(
            "/api/v1/payments/callback".into(),
            json!({"LoaiBanTin": "PAY", "MaLoi": "00", "MaDoiTac": "DVC-DEMO", "MaThamChieu": "no-such-reference", "SoTien": "50000", "MaTienTe": "VND", "MaGiaoDich": "T1", "MaNganHang": "VCB", "ThoiGianGD": "20260305090000", "ThongTinGiaoDich": "x", "MaXacThuc": "00"}),
        ),
        "POST /api/v1/payments/{id}/cancel" => {
            let code = fresh_dossier(app, fx, Stage::AwaitingPayment);
            post(format!("/api/v1/payments/{}/cancel", payment_id(app, fx, &code)), json!({}))
        }
        "POST /api/v1/payments/{id}/refund" => {
            let code = fresh_dossier(app, fx, Stage::Submitted);
            act(app, &fx.tokens.officer, &code, "payments", json!({"method": "cash", "amount_vnd": 50000})).expect(200);
            post(format!("/api/v1/payments/{}/refund", payment_id(app, fx, &code)), json!({}))
        }
        "GET /api/v1/payment-attempts" => Call {
            secret: Some((fx.attempt.clone(), &[Admin, OfficerOwn, ApproverOwn])),
            ..get("/api/v1/payment-attempts?limit=500".into())
        },
        "POST /api/v1/payment-attempts/{id}/refund" => {
            let code = fresh_dossier(app, fx, Stage::AwaitingPayment);
            let references: Vec<String> = (0..2)
                .map(|_| {
                    let started = app.post(
                        &format!("/api/v1/dossiers/{code}/payments/online"),
                        Some(&fx.tokens.citizen),
                        &json!({}),
                    );
                    started.expect(201).body["attempt"]["reference"].as_str().expect("reference").to_owned()
                })
                .collect();
            for (i, reference) in references.iter().enumerate() {
                let paid = signed_result(reference, "50000", "00", &format!("M{n}-{i}"), SECRET);
                app.post("/api/v1/payments/callback", None, &serde_json::to_value(paid).expect("json")).expect(200);
            }
            let due = app.get("/api/v1/payment-attempts?refund_due=true&limit=500", Some(&fx.admin)).expect(200).body;
            let id = due["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|a| a["dossier_code"] == code.as_str())
                .expect("a refund-due attempt")["id"]
                .as_str()
                .expect("id")
                .to_owned();
            post(format!("/api/v1/payment-attempts/{id}/refund"), json!({}))
        }
        "GET /api/v1/webhooks" => {
            Call { secret: Some((fx.webhook.clone(), &[Admin, Integrator])), ..get("/api/v1/webhooks".into()) }
        }
        "POST /api/v1/webhooks" => post(
            "/api/v1/webhooks".into(),
            json!({"url": "http://127.0.0.1:9/new", "secret": "a-long-shared-secret-0123"}),
        ),
        "DELETE /api/v1/webhooks/{id}" => {
            let hook = app
                .post(
                    "/api/v1/webhooks",
                    Some(&fx.tokens.integrator),
                    &json!({"url": "http://127.0.0.1:9/gone", "secret": "a-long-shared-secret-0123"}),
                )
                .expect(201)
                .body;
            call(Method::DELETE, format!("/api/v1/webhooks/{}", hook["id"].as_str().expect("id")), None)
        }
        "GET /api/v1/webhooks/{id}/deliveries" => get(format!("/api/v1/webhooks/{}/deliveries", fx.webhook)),
        "POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver" => {
            post(format!("/api/v1/webhooks/{}/deliveries/{}/redeliver", fx.webhook, fx.delivery), json!({}))
        }
        "GET /api/v1/reports/summary" => get(format!("/api/v1/reports/summary?{range}&agency={DEPT}")),
        "GET /api/v1/reports/dossiers" => Call {
            secret: Some((d.clone(), DOSSIER_READERS)),
            ..get(format!("/api/v1/reports/dossiers?{range}&agency={DEPT}&metric=received"))
        },
        "GET /api/v1/reports/index-766" => get(format!("/api/v1/reports/index-766?{range}&agency={DEPT}")),
        "POST /api/v1/imports/dossiers" => post(
            "/api/v1/imports/dossiers".into(),
            json!({"dossiers": [{"procedure": PROCEDURE, "agency": DEPT, "channel": "in_person",
                "applicant": {"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An"},
                "summary": "Hồ sơ nhập", "submitted_at": "2026-03-02T08:00:00+07:00", "events": []}]}),
        ),
        "GET /api/v1/feedback" => {
            Call { secret: Some((fx.feedback.clone(), FEEDBACK_READERS)), ..get("/api/v1/feedback?limit=500".into()) }
        }
        "POST /api/v1/feedback" => {
            post("/api/v1/feedback".into(), json!({"title": "Góp ý", "content": "Nội dung", "agency": DEPT}))
        }
        "GET /api/v1/feedback/published" => get("/api/v1/feedback/published".into()),
        "GET /api/v1/feedback/{id}" => get(format!("/api/v1/feedback/{}", fx.feedback)),
        "POST /api/v1/feedback/{id}/refuse"
        | "POST /api/v1/feedback/{id}/request-info"
        | "POST /api/v1/feedback/{id}/answer" => {
            let id = fresh_feedback(app, fx);
            let action = op.rsplit('/').next().expect("action");
            post(format!("/api/v1/feedback/{id}/{action}"), json!({"text": "Trả lời của cơ quan"}))
        }
        "POST /api/v1/feedback/{id}/info" => {
            let id = fresh_feedback(app, fx);
            app.post(
                &format!("/api/v1/feedback/{id}/request-info"),
                Some(&fx.tokens.officer),
                &json!({"text": "Số hồ sơ?"}),
            )
            .expect(200);
            post(format!("/api/v1/feedback/{id}/info"), json!({"text": "Số hồ sơ là ..."}))
        }
        "POST /api/v1/feedback/{id}/publish" => {
            let id = fresh_feedback(app, fx);
            app.post(&format!("/api/v1/feedback/{id}/answer"), Some(&fx.tokens.officer), &json!({"text": "Đã xử lý"}))
                .expect(200);
            post(format!("/api/v1/feedback/{id}/publish"), json!({}))
        }
        "POST /api/v1/public/dossier-lookups" => Call {
            // The last six digits of the applicant's CCCD; the answer never shows the number itself.
            secret: Some((CITIZEN.to_owned(), &[])),
            ..post("/api/v1/public/dossier-lookups".into(), json!({"code": d, "id_number_last_digits": "012345"}))
        },
        _ => panic!("the matrix has an entry for {op} but no request builder: add one to build()"),
    }
}

fn send(app: &TestApp, c: &Call, token: Option<&str>) -> Answer {
    let mut rb = app.request(c.method.clone(), &c.path);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some((ct, bytes)) = &c.raw {
        rb = rb.header("content-type", *ct).body(bytes.clone());
    } else if let Some(b) = &c.body {
        rb = rb.json(b);
    }
    app.send(rb)
}

/// What was wrong with an answer, if anything.
fn check(entry: &Entry, want: Class, who: Who, c: &Call, a: &Answer) -> Option<String> {
    let problem = a.header("content-type") == Some("application/problem+json") && a.body["status"] == a.status;
    if a.status >= 400 && !problem {
        return Some(format!("{} is not a problem document: {}", a.status, a.text));
    }
    let ok = match want {
        Class::A => (200..300).contains(&a.status) || entry.domain_4xx.is_some_and(|s| s == a.status),
        Class::F => a.status == 403 && a.body["code"] == "forbidden" && a.body["missing_right"].is_string(),
        Class::H => a.status == 404 && a.body["code"] == "not_found",
        Class::U => a.status == 401,
    };
    if !ok {
        return Some(format!("expected {want:?}, got {}: {}", a.status, truncate(&a.text)));
    }
    if want == Class::A {
        if let Some((secret, may_see)) = &c.secret {
            if !may_see.contains(&who) && a.text.contains(secret.as_str()) {
                return Some(format!("LEAK: the answer shows {secret}: {}", truncate(&a.text)));
            }
        }
    }
    None
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

both_backends! {
    fn every_operation_answers_every_caller_as_the_table_says(app: &TestApp) {
        let (ops, _) = operations();
        let table: BTreeSet<&str> = TABLE.iter().map(|e| e.op).collect();
        assert_eq!(table.len(), TABLE.len(), "an operation has two entries in the table");
        let documented: BTreeSet<&str> = ops.iter().map(|(op, _)| op.as_str()).collect();
        let missing: Vec<&&str> = documented.difference(&table).collect();
        assert!(missing.is_empty(), "operations of openapi.json without an entry in the access table: {missing:?}");
        let stale: Vec<&&str> = table.difference(&documented).collect();
        assert!(stale.is_empty(), "entries of the access table that openapi.json no longer has: {stale:?}");

        let fx = setup(app);
        let mut failures = Vec::new();
        let mut cases = 0;
        for (op, public) in &ops {
            let entry = TABLE.iter().find(|e| e.op == op).expect("entry");
            if *public != matches!(entry.rule, Rule::Public) && !matches!(entry.rule, Rule::Hidden { .. }) {
                failures.push(format!("{op}: openapi.json says public={public}, the table disagrees ({})", entry.why));
            }
            for who in ALL {
                let want = expected(entry.rule, who, *public);
                let c = build(app, &fx, op);
                let answer = send(app, &c, token(&fx, who).as_deref());
                cases += 1;
                if answer.status >= 500 {
                    failures.push(format!("{op} as {who:?}: {} server error: {}", answer.status, answer.text));
                } else if let Some(why) = check(entry, want, who, &c, &answer) {
                    failures.push(format!("{op} as {who:?} ({}): {why}", entry.why));
                }
            }
        }
        eprintln!("authorisation matrix: {} operations × {} callers = {cases} cases", ops.len(), ALL.len());
        assert!(failures.is_empty(), "{} of {cases} cases differ from the table:\n{}", failures.len(), failures.join("\n"));
    }
}

dvc_tests::e2e_test!(staff_of_another_agency_get_403_on_its_reports);
/// Staff read the figures of their own agency and its sub-units only.
fn staff_of_another_agency_get_403_on_its_reports() {
    let app = TestApp::spawn(dvc_tests::Backend::Sqlite);
    province(&app);
    let t = tokens(&app);
    let code = submit(&app, &t);
    for path in ["summary", "index-766", "dossiers"] {
        let metric = if path == "dossiers" { "&metric=received" } else { "" };
        let q = format!("/api/v1/reports/{path}?from=2026-01-01&to=2026-12-31&agency={DEPT}{metric}");
        let a = app.get(&q, Some(&t.other_officer));
        assert!(!a.text.contains(&code), "another agency's dossier code leaks through {path}");
        a.expect_problem(403, "forbidden");
    }
}
