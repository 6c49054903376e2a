//! Notifications to applicants (docs/RULES.md §12): each
//! event told on each channel the applicant chose, written with the change
//! that causes it, delivered through a real SMTP server and HTTP gateways,
//! never lost through an outage or a restart, never delivered twice.

use std::time::{Duration, Instant};

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::gateway_sim::{self, GatewaySim};
use dvc_tests::smtp_sim::SmtpSim;
use dvc_tests::{both_backends, Backend, TestApp};
use serde_json::{json, Value};

const FROM: &str = "Bộ phận một cửa <motcua@example.gov.vn>";
const GATEWAY_TOKEN: &str = "gateway-secret";

struct Sims {
    smtp: SmtpSim,
    sms: GatewaySim,
    zalo: GatewaySim,
}

impl Sims {
    fn start() -> Self {
        Self { smtp: SmtpSim::start(), sms: GatewaySim::start(), zalo: GatewaySim::start() }
    }

    fn args(&self) -> Vec<String> {
        [
            "--smtp-url",
            &self.smtp.url(),
            "--smtp-from",
            FROM,
            "--sms-gateway-url",
            &self.sms.url,
            "--zalo-gateway-url",
            &self.zalo.url,
            "--notify-gateway-token",
            GATEWAY_TOKEN,
            "--notify-poll-ms",
            "50",
            "--notify-max-backoff-secs",
            "1",
            "--notify-timeout-ms",
            "2000",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    fn spawn(&self, backend: Backend) -> TestApp {
        let args = self.args();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        TestApp::spawn_with(backend, &refs)
    }
}

fn notifications(app: &TestApp, token: &str, code: &str) -> Vec<Value> {
    let list = app.get(&format!("/api/v1/dossiers/{code}/notifications"), Some(token)).expect(200).body;
    assert_eq!(list["code"], code);
    list["items"].as_array().expect("items").clone()
}

/// Waits (up to 30 s) until `done` holds for the dossier's notifications.
#[track_caller]
fn wait_for(app: &TestApp, code: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let viewer = app.token(Role::Viewer, None);
    let start = Instant::now();
    loop {
        let items = notifications(app, &viewer, code);
        if done(&items) {
            return items;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}: {items:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn all_sent(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|n| n["status"] == "sent")
}

/// The dossier through every told event: received (due 09/03/2026 14:00),
/// supplement requested, payment requested, an apology, the result ready.
fn through_every_event(app: &TestApp, t: &Tokens) -> String {
    app.set_now("2026-03-02T08:00:00+07:00");
    let code = submit(app, t);
    app.set_now("2026-03-02T14:00:00+07:00");
    act(app, &t.officer, &code, "receive", json!({})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
    app.set_now("2026-03-04T09:00:00+07:00");
    act(
        app,
        &t.officer,
        &code,
        "request-supplement",
        json!({"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": "2026-03-11T17:00:00+07:00"}),
    )
    .expect(200);
    app.set_now("2026-03-05T09:00:00+07:00");
    act(app, &t.citizen, &code, "supplement", json!({})).expect(200);
    act(app, &t.officer, &code, "request-payment", json!({})).expect(200);
    act(app, &t.officer, &code, "payments", json!({"method": "cash", "amount_vnd": 50000, "reference": "BL-01"}))
        .expect(200);
    app.set_now("2026-03-06T10:00:00+07:00");
    act(
        app,
        &t.approver,
        &code,
        "apologize",
        json!({"reason": "Cần xác minh", "new_date": "2026-03-20T17:00:00+07:00"}),
    )
    .expect(200);
    act(app, &t.approver, &code, "resolve", json!({"outcome": "granted"})).expect(200);
    code
}

/// A second dossier, refused at the desk.
fn refused(app: &TestApp, t: &Tokens) -> String {
    let code = submit(app, t);
    act(app, &t.officer, &code, "refuse", json!({"reason": "Sai thẩm quyền giải quyết"})).expect(200);
    code
}

/// What each event's message must say (besides the dossier code).
fn expected(event: &str) -> &'static [&'static str] {
    match event {
        "received" => &["đã được tiếp nhận", "09/03/2026 14:00"],
        "supplement_requested" => &["bổ sung", "TP01", "Thiếu chữ ký", "11/03/2026 17:00"],
        "payment_requested" => &["thanh toán", "50.000 đồng"],
        "apology" => &["xin lỗi", "Cần xác minh", "20/03/2026 17:00"],
        "result_ready" => &["đã có kết quả", "Sở Kế hoạch và Đầu tư"],
        "refused" => &["từ chối", "Sai thẩm quyền giải quyết"],
        other => panic!("unexpected event {other}"),
    }
}

const EVENTS: [&str; 5] = ["received", "supplement_requested", "payment_requested", "apology", "result_ready"];

fn event_of_text(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    ["received", "supplement_requested", "payment_requested", "apology", "result_ready", "refused"]
        .into_iter()
        .find(|e| expected(e).iter().all(|x| lower.contains(&x.to_lowercase())))
        .unwrap_or_else(|| panic!("no event says {text}"))
}

both_backends! {
    fn each_event_is_told_on_each_channel_once(backend: Backend) {
        let sims = Sims::start();
        let app = sims.spawn(backend);
        province(&app);
        let t = tokens(&app);
        let code = through_every_event(&app, &t);
        let other = refused(&app, &t);

        let items = wait_for(&app, &code, "every notification sent", |i| i.len() == 15 && all_sent(i));
        let events: Vec<&str> = items.iter().step_by(3).map(|n| n["event"].as_str().unwrap_or_default()).collect();
        assert_eq!(events, EVENTS);
        for n in &items {
            assert_eq!(n["attempts"], 1, "{n}");
            assert!(n["last_error"].is_null());
            assert!(n["sent_at"].is_string());
            let masked = match n["channel"].as_str() {
                Some("email") => "a***@example.vn",
                Some("sms" | "zalo") => "091****678",
                c => panic!("channel {c:?}"),
            };
            assert_eq!(n["recipient"], masked);
        }
        wait_for(&app, &other, "the refusal sent", |i| i.len() == 3 && all_sent(i));

        // Email: six messages, subject and body decoded, in Vietnamese.
        let mails = sims.smtp.mails();
        assert_eq!(mails.len(), 6, "{mails:#?}");
        let mut told = Vec::new();
        for m in &mails {
            assert_eq!(m.to, vec!["an@example.vn".to_owned()]);
            assert_eq!(m.from, "motcua@example.gov.vn");
            let (subject, body) = (m.subject(), m.body());
            let dossier = if body.contains(&code) { &code } else { &other };
            assert!(subject.starts_with(&format!("Hồ sơ {dossier}")), "{subject}");
            assert!(!subject.contains(&format!("{dossier}đã")), "folded words keep their spaces: {subject}");
            assert!(body.contains("Kính gửi Ông/Bà Nguyễn Văn An"), "{body}");
            told.push(event_of_text(&format!("{subject}\n{body}")));
        }
        told.sort_unstable();
        let mut all: Vec<&str> = EVENTS.to_vec();
        all.push("refused");
        all.sort_unstable();
        assert_eq!(told, all);

        // SMS and Zalo: the gateway saw each key accepted once, with the token.
        for (sim, channel) in [(&sims.sms, "sms"), (&sims.zalo, "zalo")] {
            let messages = sim.messages();
            assert_eq!(messages.len(), 6, "{channel}: {messages:#?}");
            let mut told = Vec::new();
            for (key, body, auth) in &messages {
                assert!(key.ends_with(&format!("-{channel}")), "{key}");
                assert_eq!(body["idempotency_key"], key.as_str());
                assert_eq!(body["to"], "0912345678");
                assert_eq!(auth.as_deref(), Some(format!("Bearer {GATEWAY_TOKEN}").as_str()));
                let text = body["text"].as_str().expect("text");
                assert!(text.contains(&code) || text.contains(&other), "{text}");
                told.push(event_of_text(text));
                assert_eq!(body["event"], told.last().copied().unwrap_or_default());
            }
            told.sort_unstable();
            assert_eq!(told, all);
            assert!(sim.accepted().values().all(|n| *n == 1), "{channel}: {:?}", sim.accepted());
        }

        // Read like the dossier: its applicant and staff in scope; 404 to others.
        assert_eq!(notifications(&app, &t.citizen, &code).len(), 15);
        assert_eq!(notifications(&app, &t.officer, &code).len(), 15);
        app.get(&format!("/api/v1/dossiers/{code}/notifications"), Some(&t.other_citizen)).expect_problem(404, "not_found");
        app.get(&format!("/api/v1/dossiers/{code}/notifications"), Some(&t.other_officer)).expect_problem(404, "not_found");
        app.get("/api/v1/dossiers/000.00.05.H56-260302-9999/notifications", Some(&t.viewer)).expect_problem(404, "not_found");
        app.get(&format!("/api/v1/dossiers/{code}/notifications"), None).expect_problem(401, "missing_token");
    }

    fn a_gateway_outage_loses_nothing_and_sends_nothing_twice(backend: Backend) {
        let sims = Sims::start();
        sims.sms.set_mode(gateway_sim::Mode::Down);
        sims.zalo.set_mode(gateway_sim::Mode::Down);
        let app = sims.spawn(backend);
        province(&app);
        let t = tokens(&app);
        let code = through_every_event(&app, &t);
        // Email goes; SMS and Zalo are retried with their error shown.
        let items = wait_for(&app, &code, "failed gateway attempts", |i| {
            i.len() == 15
                && i.iter().all(|n| match n["channel"].as_str() {
                    Some("email") => n["status"] == "sent",
                    _ => n["status"] == "pending" && n["attempts"].as_i64() >= Some(2),
                })
        });
        for n in items.iter().filter(|n| n["channel"] != "email") {
            assert!(n["last_error"].as_str().unwrap_or_default().contains("503"), "{n}");
            assert!(n["next_attempt_at"].is_string(), "{n}");
            assert!(n["sent_at"].is_null());
        }
        assert!(sims.sms.messages().is_empty());
        sims.sms.set_mode(gateway_sim::Mode::Up);
        sims.zalo.set_mode(gateway_sim::Mode::Up);
        let items = wait_for(&app, &code, "everything sent after the outage", all_sent);
        assert_eq!(items.len(), 15);
        for sim in [&sims.sms, &sims.zalo] {
            let accepted = sim.accepted();
            assert_eq!(accepted.len(), 5, "{accepted:?}");
            assert!(accepted.values().all(|n| *n == 1), "each key accepted once: {accepted:?}");
            for key in accepted.keys() {
                assert!(sim.requests(key) >= 3, "{key} was retried: {}", sim.requests(key));
            }
            assert_eq!(sim.messages().len(), 5);
        }
        // Once sent, nothing more goes out.
        let seen = sims.sms.total_requests();
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(sims.sms.total_requests(), seen);
        assert_eq!(sims.smtp.mails().len(), 5);
    }

    fn a_gateway_refusal_fails_for_good(backend: Backend) {
        let sims = Sims::start();
        sims.sms.set_mode(gateway_sim::Mode::Refuse);
        let app = sims.spawn(backend);
        province(&app);
        let t = tokens(&app);
        let code = refused(&app, &t);
        let items = wait_for(&app, &code, "the SMS failed, the rest sent", |i| {
            i.len() == 3 && i.iter().all(|n| if n["channel"] == "sms" { n["status"] == "failed" } else { n["status"] == "sent" })
        });
        let sms = items.iter().find(|n| n["channel"] == "sms").expect("sms");
        assert_eq!(sms["attempts"], 1);
        assert!(sms["last_error"].as_str().unwrap_or_default().contains("400"), "{sms}");
        std::thread::sleep(Duration::from_millis(500));
        let key = sims.sms.accepted().keys().next().cloned();
        assert!(key.is_none(), "a refused message is not accepted");
        assert_eq!(sims.sms.total_requests(), 1, "a refusal is not retried");
    }

    fn an_smtp_outage_loses_nothing_and_sends_nothing_twice(backend: Backend) {
        let sims = Sims::start();
        sims.smtp.stop_listening();
        let app = sims.spawn(backend);
        province(&app);
        let t = tokens(&app);
        let code = refused(&app, &t);
        // Connections refused: retried.
        wait_for(&app, &code, "a refused connection retried", |i| {
            i.iter().any(|n| n["channel"] == "email" && n["status"] == "pending" && n["attempts"].as_i64() >= Some(2))
        });
        // Listening again but answering 451: retried still.
        sims.smtp.set_busy(true);
        sims.smtp.resume();
        let items = wait_for(&app, &code, "451 retried", |i| {
            i.iter().any(|n| {
                n["channel"] == "email" && n["last_error"].as_str().unwrap_or_default().contains("451")
            })
        });
        assert!(items.iter().filter(|n| n["channel"] != "email").all(|n| n["status"] == "sent"));
        assert!(sims.smtp.mails().is_empty());
        sims.smtp.set_busy(false);
        let items = wait_for(&app, &code, "the email sent after the outage", all_sent);
        let email = items.iter().find(|n| n["channel"] == "email").expect("email");
        assert!(email["attempts"].as_i64() >= Some(3), "{email}");
        std::thread::sleep(Duration::from_millis(500));
        let mails = sims.smtp.mails();
        assert_eq!(mails.len(), 1, "delivered once: {mails:#?}");
        assert!(mails[0].body().contains("Sai thẩm quyền giải quyết"));
        assert!(mails[0].subject().contains(&code));
    }

    fn pending_notifications_survive_a_restart(backend: Backend) {
        let sims = Sims::start();
        sims.sms.set_mode(gateway_sim::Mode::Down);
        sims.zalo.set_mode(gateway_sim::Mode::Down);
        sims.smtp.stop_listening();
        let app = sims.spawn(backend);
        province(&app);
        let t = tokens(&app);
        let code = refused(&app, &t);
        wait_for(&app, &code, "every channel tried and failed", |i| {
            i.len() == 3 && i.iter().all(|n| n["status"] == "pending" && n["attempts"].as_i64() >= Some(1))
        });
        let args = sims.args();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let app = app.restart_with(&refs);
        sims.sms.set_mode(gateway_sim::Mode::Up);
        sims.zalo.set_mode(gateway_sim::Mode::Up);
        sims.smtp.resume();
        wait_for(&app, &code, "everything sent by the restarted server", all_sent);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(sims.smtp.mails().len(), 1);
        for sim in [&sims.sms, &sims.zalo] {
            assert_eq!(sim.messages().len(), 1);
            assert!(sim.accepted().values().all(|n| *n == 1));
        }
    }

    fn the_applicant_chooses_the_channels_strictly(backend: Backend) {
        let sims = Sims::start();
        let app = sims.spawn(backend);
        province(&app);
        let t = tokens(&app);
        let with = |notify_by: Value, phone: Option<&str>| {
            let mut s = submission("Doanh nghiệp tư nhân An Phát");
            s["applicant"]["notify_by"] = notify_by;
            if phone.is_none() {
                s["applicant"].as_object_mut().expect("applicant").remove("phone");
            }
            app.post("/api/v1/dossiers", Some(&t.citizen), &s)
        };
        let bad = with(json!(["email", "fax", "email"]), None).expect_problem(422, "validation_failed").body;
        let fields: Vec<(&str, &str)> = bad["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| (e["field"].as_str().unwrap_or_default(), e["code"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(fields, [("applicant.notify_by[1]", "unknown_channel"), ("applicant.notify_by[2]", "duplicate")]);
        let bad = with(json!(["sms"]), None).expect_problem(422, "validation_failed").body;
        assert_eq!(bad["errors"][0]["field"], "applicant.notify_by[0]");
        assert_eq!(bad["errors"][0]["code"], "no_contact");
        with(json!("email"), None).expect_problem(422, "validation_failed");

        let only_email = with(json!(["email"]), Some("0912345678")).expect(201).body;
        assert_eq!(only_email["applicant"]["notify_by"], json!(["email"]));
        let code = only_email["code"].as_str().expect("code").to_owned();
        act(&app, &t.officer, &code, "receive", json!({})).expect(200);
        let items = wait_for(&app, &code, "the email only", all_sent);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["channel"], "email");

        let silent = with(json!([]), Some("0912345678")).expect(201).body;
        let code = silent["code"].as_str().expect("code").to_owned();
        act(&app, &t.officer, &code, "receive", json!({})).expect(200);
        assert!(notifications(&app, &t.viewer, &code).is_empty());
    }

    fn unconfigured_channels_write_nothing(backend: Backend) {
        let sms = GatewaySim::start();
        let app = TestApp::spawn_with(backend, &["--sms-gateway-url", &sms.url, "--notify-poll-ms", "50"]);
        province(&app);
        let t = tokens(&app);
        let code = refused(&app, &t);
        let items = wait_for(&app, &code, "the SMS sent", all_sent);
        assert_eq!(items.len(), 1, "email and Zalo are not configured: {items:#?}");
        assert_eq!(items[0]["channel"], "sms");
        assert_eq!(sms.messages()[0].2, None, "no token configured, none sent");

        let quiet = TestApp::spawn(backend);
        province(&quiet);
        let t = tokens(&quiet);
        let code = refused(&quiet, &t);
        assert!(notifications(&quiet, &t.viewer, &code).is_empty());
    }
}

both_backends! {
    fn the_handling_agency_is_warned_once_of_a_dossier_about_to_run_late(backend: Backend) {
        let sims = Sims::start();
        let mut args = sims.args();
        args.extend(["--late-warning-scan-secs".to_owned(), "0".to_owned()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let app = TestApp::spawn_with(backend, &refs);
        province(&app);
        let t = tokens(&app);
        let admin = app.token(Role::Admin, None);
        let agency = |email: Value| {
            json!({"name": "Sở Kế hoạch và Đầu tư", "level": "department", "parent": PROVINCE, "active": true,
                "notify_email": email})
        };
        let p = app.put(&format!("/api/v1/agencies/{DEPT}"), Some(&admin), &agency(json!("không phải email"))).expect(422).body;
        assert_eq!(p["errors"][0]["field"], "notify_email", "{p}");
        let a = app.put(&format!("/api/v1/agencies/{DEPT}"), Some(&admin), &agency(json!("motcua@sokhdt.example.vn"))).expect(200).body;
        assert_eq!(a["notify_email"], "motcua@sokhdt.example.vn");
        // Received now (the real day), handled by the department.
        let code = submit(&app, &t);
        act(&app, &t.officer, &code, "receive", json!({})).expect(200);
        act(&app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
        let d = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.officer)).expect(200).body;
        let due = chrono::DateTime::parse_from_rfc3339(d["due_at"].as_str().expect("due_at")).expect("instant");
        // Days before the due instant: no warning.
        wait_for(&app, &code, "the reception told", |items| items.iter().any(|n| n["event"] == "received"));
        std::thread::sleep(Duration::from_millis(300));
        let items = notifications(&app, &admin, &code);
        assert!(items.iter().all(|n| n["event"] != "running_late"), "{items:#?}");
        // Twelve hours before it: the agency is warned, by email, once.
        app.clock.set((due - chrono::Duration::hours(12)).to_utc());
        let items = wait_for(&app, &code, "the warning", |items| {
            items.iter().any(|n| n["event"] == "running_late" && n["status"] == "sent")
        });
        let warning = items.iter().find(|n| n["event"] == "running_late").expect("warning");
        assert_eq!(warning["channel"], "email");
        std::thread::sleep(Duration::from_millis(500));
        let warnings: Vec<_> = sims
            .smtp
            .mails()
            .into_iter()
            .filter(|m| m.subject().contains("sắp quá hạn"))
            .collect();
        assert_eq!(warnings.len(), 1, "one warning, to the agency");
        assert_eq!(warnings[0].to, ["motcua@sokhdt.example.vn"]);
        assert!(warnings[0].subject().contains(&code));
        assert!(warnings[0].body().contains("Sở Kế hoạch và Đầu tư"), "{}", warnings[0].body());
        // The citizen is not told of it.
        assert!(sims.smtp.mails().iter().filter(|m| m.to != ["motcua@sokhdt.example.vn"]).all(|m| !m.subject().contains("sắp quá hạn")));
        let items = notifications(&app, &admin, &code);
        assert_eq!(items.iter().filter(|n| n["event"] == "running_late").count(), 1);
    }
}
