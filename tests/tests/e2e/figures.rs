//! The province's figures over a small imported data set whose every count,
//! rate and Decision 766 score is worked out by hand below.

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

fn applicant() -> Value {
    json!({"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An"})
}

fn ev(action: &str, at: &str) -> Value {
    json!({"action": action, "at": at})
}

fn with(mut e: Value, k: &str, v: Value) -> Value {
    e[k] = v;
    e
}

/// D1..D8 import; D9 and D10 are impossible.
fn data_set() -> Value {
    let receive = |at: &str| ev("receive", at);
    let hand_off = |at: &str| with(ev("hand-off", at), "to_agency", json!(DEPT));
    let resolve = |at: &str| with(ev("resolve", at), "outcome", json!("granted"));
    let ret = |at: &str| ev("return", at);
    let d = |agency: &str, channel: &str, submitted: &str, events: Vec<Value>| json!({"procedure": PROCEDURE, "agency": agency, "channel": channel, "applicant": applicant(), "summary": "Hồ sơ nhập", "submitted_at": submitted, "events": events});
    // D1: resolved exactly at its due instant (received Wed 1 Apr 09:00, 5 working days → Wed 8 Apr 09:00); rated satisfied.
    let mut d1 = d(
        DEPT,
        "online",
        "2026-04-01T08:00:00+07:00",
        vec![
            receive("2026-04-01T09:00:00+07:00"),
            hand_off("2026-04-01T10:00:00+07:00"),
            resolve("2026-04-08T09:00:00+07:00"),
            ret("2026-04-08T10:00:00+07:00"),
        ],
    );
    d1["rating"] =
        json!({"criteria": [2, 2, 2, 2, 2, 2, 2, 2, 2], "overall": "satisfied", "at": "2026-04-09T08:00:00+07:00"});
    // D2 (the unit): received Thu 23 Apr 09:00 → due Tue 5 May 09:00 (27 Apr, 30 Apr, 1 May off);
    // paused Wed 29 Apr 09:00 → Mon 4 May 09:00 across the holidays = 8 office hours → due Wed 6 May 09:00; resolved 10:00: late.
    let d2 = d(
        UNIT,
        "in_person",
        "2026-04-23T08:30:00+07:00",
        vec![
            receive("2026-04-23T09:00:00+07:00"),
            with(ev("hand-off", "2026-04-23T10:00:00+07:00"), "to_agency", json!(UNIT)),
            with(
                with(
                    ev("request-supplement", "2026-04-29T09:00:00+07:00"),
                    "reply_by",
                    json!("2026-05-15T17:00:00+07:00"),
                ),
                "reason",
                json!("Thiếu bản sao"),
            ),
            ev("supplement", "2026-05-04T09:00:00+07:00"),
            resolve("2026-05-06T10:00:00+07:00"),
        ],
    );
    // D3: national portal, paid online, a digitised document, resolved early; rated dissatisfied.
    let mut d3 = d(
        DEPT,
        "national_portal",
        "2026-04-06T08:00:00+07:00",
        vec![
            receive("2026-04-06T09:00:00+07:00"),
            hand_off("2026-04-06T10:00:00+07:00"),
            with(ev("request-payment", "2026-04-06T11:00:00+07:00"), "amount_vnd", json!(50000)),
            with(
                with(ev("payments", "2026-04-06T14:00:00+07:00"), "amount_vnd", json!(50000)),
                "method",
                json!("online"),
            ),
            resolve("2026-04-08T09:00:00+07:00"),
            ret("2026-04-08T10:00:00+07:00"),
        ],
    );
    d3["documents"] = json!([{"component_code": "TP01", "name": "scan.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK", "digitised": true}]);
    d3["rating"] =
        json!({"criteria": [1, 1, 0, 1, 1, 1, 0, 1, 1], "overall": "dissatisfied", "at": "2026-04-09T08:00:00+07:00"});
    // D4 (another agency): withdrawn.
    let d4 = d(
        OTHER,
        "in_person",
        "2026-04-10T08:00:00+07:00",
        vec![receive("2026-04-10T09:00:00+07:00"), ev("withdraw", "2026-04-14T09:00:00+07:00")],
    );
    // D5: refused at reception, never received.
    let d5 = d(
        DEPT,
        "online",
        "2026-04-02T08:00:00+07:00",
        vec![with(ev("refuse", "2026-04-02T09:00:00+07:00"), "reason", json!("Sai thẩm quyền"))],
    );
    // D6: received in March, still processing: carried over, overdue at the end (due Fri 27 Mar 09:00).
    let d6 = d(
        DEPT,
        "in_person",
        "2026-03-20T08:00:00+07:00",
        vec![receive("2026-03-20T09:00:00+07:00"), hand_off("2026-03-20T10:00:00+07:00")],
    );
    // D7: stopped.
    let d7 = d(
        DEPT,
        "in_person",
        "2026-04-15T08:00:00+07:00",
        vec![
            receive("2026-04-15T09:00:00+07:00"),
            with(ev("stop", "2026-04-20T09:00:00+07:00"), "reason", json!("Quá hạn bổ sung")),
        ],
    );
    // D8: paid cash, resolved early.
    let d8 = d(
        DEPT,
        "in_person",
        "2026-04-16T08:00:00+07:00",
        vec![
            receive("2026-04-16T09:00:00+07:00"),
            hand_off("2026-04-16T09:30:00+07:00"),
            with(ev("request-payment", "2026-04-16T10:00:00+07:00"), "amount_vnd", json!(50000)),
            with(
                with(ev("payments", "2026-04-16T11:00:00+07:00"), "amount_vnd", json!(50000)),
                "method",
                json!("cash"),
            ),
            resolve("2026-04-17T09:00:00+07:00"),
        ],
    );
    // D9: resolved before it was received. D10: a second supplement request while processing.
    let d9 = d(
        DEPT,
        "online",
        "2026-04-03T08:00:00+07:00",
        vec![resolve("2026-04-03T09:00:00+07:00"), receive("2026-04-03T10:00:00+07:00")],
    );
    let supp = |at: &str| {
        with(with(ev("request-supplement", at), "reply_by", json!("2026-05-30T17:00:00+07:00")), "reason", json!("x"))
    };
    let d10 = d(
        DEPT,
        "online",
        "2026-04-03T08:00:00+07:00",
        vec![
            receive("2026-04-03T09:00:00+07:00"),
            hand_off("2026-04-03T10:00:00+07:00"),
            supp("2026-04-06T09:00:00+07:00"),
            ev("supplement", "2026-04-07T09:00:00+07:00"),
            supp("2026-04-08T09:00:00+07:00"),
        ],
    );
    json!({"dossiers": [d1, d2, d3, d4, d5, d6, d7, d8, d9, d10]})
}

/// Imports the data set; returns D1..D8's codes.
fn import(app: &TestApp) -> Vec<String> {
    app.set_now("2026-06-01T09:00:00+07:00");
    let admin = app.token(Role::Admin, None);
    let out = app.post("/api/v1/imports/dossiers", Some(&admin), &data_set()).expect(200).body;
    let rejected = out["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 2, "{out}");
    assert_eq!(rejected[0]["index"], 8);
    assert_eq!(rejected[0]["event"], 0, "resolve before receive");
    assert_eq!(rejected[0]["code"], "transition_not_allowed");
    assert_eq!(rejected[1]["index"], 9);
    assert_eq!(rejected[1]["event"], 4, "the second supplement request");
    assert!(rejected[1]["reason"].as_str().is_some_and(|r| r.contains("only once")), "{}", rejected[1]);
    out["imported"].as_array().expect("imported").iter().map(|i| i["code"].as_str().expect("code").to_owned()).collect()
}

fn summary(app: &TestApp, q: &str) -> Value {
    app.get(&format!("/api/v1/reports/summary?from=2026-04-01&to=2026-05-31{q}"), Some(&app.token(Role::Viewer, None)))
        .expect(200)
        .body
}

fn drill(app: &TestApp, q: &str) -> Value {
    app.get(&format!("/api/v1/reports/dossiers?from=2026-04-01&to=2026-05-31{q}"), Some(&app.token(Role::Viewer, None)))
        .expect(200)
        .body
}

/// Every count of the summary's total equals the length of its drill-down.
fn assert_drills_agree(app: &TestApp, summary: &Value) {
    let counts = summary["total"]["counts"].as_object().expect("counts");
    assert_eq!(counts.len(), dvc_domain::figures::Metric::ALL.len(), "every metric is reported");
    for (metric, n) in counts {
        let d = drill(app, &format!("&metric={metric}"));
        assert_eq!(&d["count"], n, "{metric}");
        assert_eq!(d["codes"].as_array().map(Vec::len), d["count"].as_u64().map(|n| n as usize), "{metric}");
    }
}

fn rate(v: &Value) -> (u64, u64) {
    (v["numerator"].as_u64().expect("numerator"), v["denominator"].as_u64().expect("denominator"))
}

both_backends! {
    fn imported_histories_keep_their_deadlines(app: &TestApp) {
        province(app);
        let codes = import(app);
        assert_eq!(codes.len(), 8);
        let viewer = app.token(Role::Viewer, None);
        let d1 = app.get(&format!("/api/v1/dossiers/{}", codes[0]), Some(&viewer)).expect(200).body;
        assert_eq!(d1["due_at"], "2026-04-08T09:00:00+07:00");
        assert_eq!(d1["resolved_at"], "2026-04-08T09:00:00+07:00");
        assert_eq!(d1["timeliness"], "on_time");
        let d2 = app.get(&format!("/api/v1/dossiers/{}", codes[1]), Some(&viewer)).expect(200).body;
        assert_eq!(d2["pauses"][0]["due_before"], "2026-05-05T09:00:00+07:00");
        assert_eq!(d2["due_at"], "2026-05-06T09:00:00+07:00", "paused across the holidays: one working day");
        assert_eq!(d2["timeliness"], "late");
        assert_eq!(d2["sync"]["state"], "in_sync", "imported history is not sent to the portal");
    }

    fn every_count_and_rate_is_exact(app: &TestApp) {
        province(app);
        import(app);
        let s = summary(app, "");
        let c = &s["total"]["counts"];
        let expected = json!({
            "carried_over": 1, "received": 6, "resolved_early": 2, "resolved_on_time": 1, "resolved_late": 1,
            "withdrawn": 1, "stopped": 1, "refused": 1, "open_within_deadline": 0, "open_overdue": 1,
            "received_online": 2, "paid": 2, "paid_cashless": 1, "paid_online": 1, "exempt": 0, "digitised": 1, "reused": 0, "synced": 6,
            "rated": 2, "satisfied": 1
        });
        assert_eq!(c, &expected);
        let r = &s["total"]["rates"];
        assert_eq!(rate(&r["on_time"]), (3, 4));
        assert_eq!(r["on_time"]["value"], 0.75);
        assert_eq!(rate(&r["online"]), (2, 6));
        assert_eq!(rate(&r["cashless"]), (1, 2));
        assert_eq!(rate(&r["online_payment"]), (1, 2), "D3 through the platform; D8 in cash");
        assert_eq!(rate(&r["digitised"]), (1, 6));
        assert_eq!(rate(&r["satisfaction"]), (1, 2));
        assert_eq!(rate(&r["feedback_on_time"]), (0, 0), "no feedback in this data set");
    }

    fn agencies_count_their_sub_units(app: &TestApp) {
        province(app);
        import(app);
        let s = summary(app, &format!("&group_by=agency&agency={PROVINCE}"));
        let group = |code: &str| s["groups"].as_array().expect("groups").iter().find(|g| g["key"] == code).expect("group").clone();
        assert_eq!(group(PROVINCE)["counts"]["received"], 6);
        assert_eq!(group(DEPT)["counts"]["received"], 5, "the department with its unit");
        assert_eq!(group(DEPT)["counts"]["resolved_late"], 1, "the unit's late dossier counts for the department");
        assert_eq!(group(DEPT)["counts"]["refused"], 1);
        assert_eq!(group(UNIT)["counts"]["received"], 1);
        assert_eq!(group(UNIT)["counts"]["resolved_late"], 1);
        assert_eq!(group(OTHER)["counts"]["withdrawn"], 1);
        assert_eq!(rate(&group(DEPT)["rates"]["satisfaction"]), (1, 2));
        let by_channel = summary(app, "&group_by=channel");
        let keys: Vec<&str> = by_channel["groups"].as_array().expect("groups").iter().filter_map(|g| g["key"].as_str()).collect();
        assert_eq!(keys, vec!["in_person", "national_portal", "online"]);
    }

    fn every_figure_drills_into_exactly_its_dossiers(app: &TestApp) {
        province(app);
        let codes = import(app);
        let total = summary(app, "");
        assert_drills_agree(app, &total);
        assert_eq!(drill(app, "&metric=resolved_late")["codes"], json!([codes[1]]));
        assert_eq!(drill(app, "&metric=open_overdue")["codes"], json!([codes[5]]));
        let dept_received = drill(app, &format!("&metric=received&group_by=agency&group={DEPT}&agency={PROVINCE}"));
        assert_eq!(dept_received["count"], 5);
        // Pages of two walk the same five codes, the count exact on each.
        let mut walked = Vec::new();
        let mut after = String::new();
        loop {
            let page = drill(app, &format!("&metric=received&group_by=agency&group={DEPT}&agency={PROVINCE}&limit=2{after}"));
            assert_eq!(page["count"], 5);
            walked.extend(page["codes"].as_array().expect("codes").iter().cloned());
            match page["next"].as_str() {
                Some(next) => after = format!("&after={next}"),
                None => break,
            }
        }
        assert_eq!(Value::Array(walked), dept_received["codes"]);
        // Within an agency group, every figure's pages hold as many as it counts.
        for metric in dvc_domain::figures::Metric::ALL {
            let d = drill(app, &format!("&metric={}&group_by=agency&group={DEPT}&agency={PROVINCE}", metric.as_str()));
            assert_eq!(d["codes"].as_array().map(Vec::len), d["count"].as_u64().map(|n| n as usize), "{metric:?}: {d}");
        }
        // Newest first: the latest reception leads, and a code that is no
        // dossier of the figure is refused as a place to go on from.
        let admin = app.token(Role::Admin, None);
        let received: Vec<String> = drill(app, "&metric=received")["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(|c| app.get(&format!("/api/v1/dossiers/{}", c.as_str().expect("code")), Some(&admin)).expect(200).body)
            .map(|d| d["received_at"].as_str().expect("received").to_owned())
            .collect();
        assert!(received.len() > 2 && received.windows(2).all(|w| w[0] >= w[1]), "{received:?}");
        let viewer = app.token(Role::Viewer, None);
        app.get("/api/v1/reports/dossiers?from=2026-04-01&to=2026-05-31&metric=received&after=000.00.05.H56-260101-9999", Some(&viewer))
            .expect_problem(422, "validation_failed");
        app.get(&format!("/api/v1/reports/dossiers?from=2026-04-01&to=2026-05-31&metric=resolved_late&after={}", codes[5]), Some(&viewer))
            .expect_problem(422, "validation_failed");
        let viewer = app.token(Role::Viewer, None);
        app.get("/api/v1/reports/dossiers?from=2026-04-01&to=2026-05-31&metric=received&limit=0", Some(&viewer)).expect_problem(422, "validation_failed");
        app.get("/api/v1/reports/dossiers?from=2026-04-01&to=2026-05-31&metric=nonsense", Some(&viewer)).expect_problem(422, "validation_failed");
        app.get("/api/v1/reports/summary?from=2026-05-01&to=2026-04-01", Some(&viewer)).expect_problem(422, "validation_failed");
        app.get("/api/v1/reports/summary?from=2026-04-01&to=2026-05-31", Some(&app.token(Role::Citizen, None))).expect_problem(403, "forbidden");
    }

    fn the_766_index_scores_what_the_system_knows(app: &TestApp) {
        province(app);
        import(app);
        let viewer = app.token(Role::Viewer, None);
        let idx = app.get("/api/v1/reports/index-766?from=2026-04-01&to=2026-05-31", Some(&viewer)).expect(200).body["index"].clone();
        let score = |group: usize| idx["groups"][group]["score"].as_f64().expect("score");
        assert_eq!(score(0), 6.0, "6 of 6 dossiers synced ≥ 80%: the full 6 points");
        assert_eq!(score(1), 15.0, "on time 3/4 × 20");
        assert_eq!(score(2), 8.0, "online 2/6 against 50%: 0.3333 × 12 / 0.5");
        assert_eq!(score(3), 6.25, "through the payment platform 1/2 against 80%: 0.5 × 10 / 0.8");
        assert_eq!(score(4), 4.58, "digitised 1/6 against 80%: 0.1667 × 22 / 0.8");
        assert_eq!(score(5), 10.0, "satisfied 1/2 against 90%: 0.5 × 18 / 0.9");
        assert_eq!(idx["score"], 49.83);
        assert_eq!(idx["known_max"], 88.0);
        assert_eq!(idx["groups"][0]["sub_indicators"][1]["known"], false);
    }
}

both_backends! {
    fn a_rating_is_given_once_by_the_applicant_after_return(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        let rating = json!({"criteria": [2, 2, 1, 2, 2, 2, 2, 1, 2], "overall": "satisfied", "comment": "Tốt"});
        app.post(&format!("/api/v1/dossiers/{code}/rating"), Some(&t.citizen), &rating).expect_problem(409, "not_returned");
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT})).expect(200);
        act(app, &t.approver, &code, "resolve", json!({"outcome": "granted"})).expect(200);
        act(app, &t.officer, &code, "return", json!({"channel": "online"})).expect(200);
        app.post(&format!("/api/v1/dossiers/{code}/rating"), Some(&t.officer), &rating).expect_problem(403, "forbidden");
        app.post(&format!("/api/v1/dossiers/{code}/rating"), Some(&t.citizen), &json!({"criteria": [2, 2], "overall": "satisfied"})).expect_problem(422, "validation_failed");
        app.post(&format!("/api/v1/dossiers/{code}/rating"), Some(&t.citizen), &json!({"criteria": [3, 2, 1, 2, 2, 2, 2, 1, 2], "overall": "satisfied"})).expect_problem(422, "validation_failed");
        let r = app.post(&format!("/api/v1/dossiers/{code}/rating"), Some(&t.citizen), &rating).expect(201).body;
        assert_eq!(r["total"], 16);
        assert_eq!(r["overall"], "satisfied");
        app.post(&format!("/api/v1/dossiers/{code}/rating"), Some(&t.citizen), &rating).expect_problem(409, "already_rated");
        assert_eq!(app.get(&format!("/api/v1/dossiers/{code}/rating"), Some(&t.viewer)).expect(200).body["total"], 16);
    }
}

both_backends! {
    spawn = spawn_demo;
    fn the_synthetic_data_set_is_reproducible_and_plausible(app: &TestApp) {
        let other = TestApp::spawn_demo(app.backend);
        for a in [app, &other] {
            let mut conn = a.db.connect();
            let report = dvc_api::seed::synthetic(&mut conn, 300, 42, 100, 1 << 20, dvc_api::seed::Span::from_2025(360, chrono::Utc::now())).expect("seeded");
            assert!(report.starts_with("imported 300 dossiers (0 rejected"), "{report}");
        }
        let viewer = app.token(Role::Viewer, None);
        let q = "/api/v1/reports/summary?from=2025-01-01&to=2025-12-31";
        let first = app.get(q, Some(&viewer)).expect(200).body["total"].clone();
        let second = other.get(q, Some(&viewer)).expect(200).body["total"].clone();
        assert_eq!(first, second, "the same seed gives the same figures");
        let c = &first["counts"];
        assert_eq!(c["received"].as_u64().expect("received") + c["refused"].as_u64().expect("refused"), 300, "each dossier either received or refused at the desk");
        for m in ["resolved_early", "resolved_late", "received_online", "paid_cashless", "withdrawn"] {
            assert!(c[m].as_u64().is_some_and(|n| n > 0), "{m} occurs: {c}");
        }
        let online = first["rates"]["online"]["value"].as_f64().expect("online rate");
        assert!((0.6..0.9).contains(&online), "about 75% online: {online}");

        // An import counts each dossier as it writes it, with its payments
        // and rating, without reading it back: a recount from what is stored
        // finds every dossier counted as it stands, and the sums built anew
        // equal the sums the import kept.
        use diesel::prelude::*;
        use dvc_persistence::schema::dossiers;
        let mut conn = app.db.connect();
        let counted = |conn: &mut dvc_persistence::DbConnection| -> Vec<(String, String)> {
            dossiers::table.select((dossiers::code, dossiers::counted)).order(dossiers::code.asc()).load(conn).expect("counted")
        };
        let before = counted(&mut conn);
        assert_eq!(before.len(), 300);
        assert!(before.iter().all(|(_, c)| c.contains("received") || c.contains("refused")), "every dossier counted: {before:?}");
        let codes: Vec<String> = before.iter().map(|(c, _)| c.clone()).collect();
        dvc_persistence::write_transaction(&mut conn, |conn| dvc_persistence::figures::recount(conn, &codes)).expect("recount");
        assert_eq!(counted(&mut conn), before, "a recount changes no dossier's marks");
        assert_eq!(app.get(q, Some(&viewer)).expect(200).body["total"], first, "nor any sum");
        let by_agency = format!("{q}&group_by=agency");
        let grouped = app.get(&by_agency, Some(&viewer)).expect(200).body;
        diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE figure_rebuild SET needed = TRUE"), &mut conn).expect("mark");
        diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE figure_days SET received = 0"), &mut conn).expect("spoil");
        let restarted = app.second_instance();
        assert_eq!(restarted.get(&by_agency, Some(&viewer)).expect(200).body, grouped, "the sums built anew equal the import's");
    }
}

both_backends! {
    fn live_changes_keep_the_daily_sums_exact_and_a_rebuild_agrees(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-04-02T09:00:00+07:00");
        let paid = submit(app, &t);
        act(app, &t.officer, &paid, "receive", json!({})).expect(200);
        act(app, &t.officer, &paid, "hand-off", json!({"to_agency": DEPT})).expect(200);
        act(app, &t.officer, &paid, "request-payment", json!({})).expect(200);
        act(app, &t.officer, &paid, "payments", json!({"method": "transfer", "amount_vnd": 50000, "reference": "CK-1"})).expect(200);
        act(app, &t.approver, &paid, "resolve", json!({"outcome": "granted"})).expect(200);
        act(app, &t.officer, &paid, "return", json!({"channel": "online"})).expect(200);
        let rating = json!({"criteria": [2, 2, 2, 2, 2, 2, 2, 2, 2], "overall": "very_satisfied"});
        app.post(&format!("/api/v1/dossiers/{paid}/rating"), Some(&t.citizen), &rating).expect(201);
        let withdrawn = submit(app, &t);
        act(app, &t.officer, &withdrawn, "receive", json!({})).expect(200);
        act(app, &t.citizen, &withdrawn, "withdraw", json!({"reason": "Nộp nhầm"})).expect(200);
        let open = submit(app, &t);
        act(app, &t.officer, &open, "receive", json!({})).expect(200);
        submit(app, &t);
        app.set_now("2026-06-01T09:00:00+07:00");

        let before = summary(app, "");
        let c = &before["total"]["counts"];
        assert_eq!(c["received"], 3, "three received; the fourth only submitted");
        assert_eq!(c["resolved_early"].as_u64().unwrap_or(0) + c["resolved_on_time"].as_u64().unwrap_or(0), 1);
        assert_eq!((c["withdrawn"].clone(), c["paid"].clone(), c["paid_cashless"].clone()), (json!(1), json!(1), json!(1)));
        assert_eq!((c["rated"].clone(), c["satisfied"].clone(), c["open_overdue"].clone()), (json!(1), json!(1), json!(1)));
        assert_eq!(c["received_online"], 3);
        assert_drills_agree(app, &before);

        // The sums built anew from the dossiers (as at the first start after
        // the migration that introduced them) equal the sums kept live.
        let mut conn = app.db.connect();
        diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE figure_rebuild SET needed = TRUE"), &mut conn).expect("mark");
        diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE figure_days SET received = received + 7"), &mut conn).expect("spoil");
        let restarted = app.second_instance();
        assert_eq!(summary(&restarted, ""), before);
    }
}

fn march(app: &TestApp) -> Value {
    app.get("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31", Some(&app.token(Role::Viewer, None)))
        .expect(200)
        .body
}

fn march_drill(app: &TestApp, metric: &str) -> Value {
    let q = format!("/api/v1/reports/dossiers?from=2026-03-01&to=2026-03-31&metric={metric}");
    app.get(&q, Some(&app.token(Role::Viewer, None))).expect(200).body["codes"].clone()
}

fn supplement_request(reply_by: &str) -> Value {
    json!({"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": reply_by})
}

both_backends! {
    fn an_ended_period_keeps_judging_its_open_dossiers_as_they_stood_at_its_end(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // Received Mon 2 Mar 09:00, due Mon 9 Mar 09:00; overdue when it paused on Wed 11 Mar.
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        app.set_now("2026-03-11T09:00:00+07:00");
        act(app, &t.officer, &code, "request-supplement", supplement_request("2026-04-30T17:00:00+07:00")).expect(200);
        app.set_now("2026-04-01T09:00:00+07:00");
        let before = march(app);
        assert_eq!(before["total"]["counts"]["open_overdue"], 1);
        assert_eq!(before["total"]["counts"]["open_within_deadline"], 0);

        // The supplement comes in April: the pause moves the due instant into
        // April, but March ended with the dossier overdue.
        app.set_now("2026-04-15T09:00:00+07:00");
        let resumed = act(app, &t.citizen, &code, "supplement", json!({})).expect(200).body;
        assert!(resumed["due_at"].as_str().is_some_and(|d| d > "2026-04-01"), "{}", resumed["due_at"]);
        app.set_now("2026-04-16T09:00:00+07:00");
        let after = march(app);
        assert_eq!(after["total"], before["total"], "March's figures do not change in April");
        assert_eq!(march_drill(app, "open_overdue"), json!([code]));
        assert_eq!(march_drill(app, "open_within_deadline"), json!([]));
    }

    fn a_dossier_paused_before_its_due_and_still_paused_is_within_its_deadline(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // Received Mon 2 Mar 09:00, due Mon 9 Mar 09:00; paused on Thu 5 Mar,
        // and still awaiting the supplement when March ends: its stored due
        // instant (9 Mar) is long past, but the clock has stood since 5 Mar.
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        app.set_now("2026-03-05T09:00:00+07:00");
        act(app, &t.officer, &code, "request-supplement", supplement_request("2026-04-30T17:00:00+07:00")).expect(200);
        app.set_now("2026-04-01T09:00:00+07:00");
        let counts = march(app)["total"]["counts"].clone();
        assert_eq!((counts["open_within_deadline"].clone(), counts["open_overdue"].clone()), (json!(1), json!(0)), "{counts}");
        assert_eq!(march_drill(app, "open_within_deadline"), json!([code]));
        assert_eq!(march_drill(app, "open_overdue"), json!([]));
    }

    fn a_calendar_edit_under_a_pause_moves_the_figures_and_the_drill_down_alike(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // Received Mon 2 Mar 09:00, due Mon 9 Mar 09:00; paused on Fri 6 Mar
        // after closing, with two office hours left, and still waiting when
        // March ends: within its deadline.
        let code = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        app.set_now("2026-03-06T18:00:00+07:00");
        act(app, &t.officer, &code, "request-supplement", supplement_request("2026-04-30T17:00:00+07:00")).expect(200);
        app.set_now("2026-04-01T09:00:00+07:00");
        let counts = march(app)["total"]["counts"].clone();
        assert_eq!((counts["open_within_deadline"].clone(), counts["open_overdue"].clone()), (json!(1), json!(0)), "{counts}");

        // Mon 9 Mar declared a day off afterwards: no office time was left
        // when it paused, so on this calendar it stood overdue at March's end,
        // in the figures as in their drill-downs.
        let admin = app.token(Role::Admin, None);
        let mut calendar = app.get("/api/v1/calendars/default", Some(&admin)).expect(200).body;
        let fields = calendar.as_object_mut().expect("a calendar");
        for kept_by_the_server in ["id", "version", "updated_at"] {
            fields.remove(kept_by_the_server);
        }
        calendar["holidays"].as_array_mut().expect("holidays").push(json!({"date": "2026-03-09", "name": "Nghỉ đột xuất"}));
        app.put("/api/v1/calendars/default", Some(&admin), &calendar).expect(200);
        let counts = march(app)["total"]["counts"].clone();
        assert_eq!((counts["open_within_deadline"].clone(), counts["open_overdue"].clone()), (json!(0), json!(1)), "{counts}");
        assert_eq!(march_drill(app, "open_overdue"), json!([code]));
        assert_eq!(march_drill(app, "open_within_deadline"), json!([]));
    }

    fn the_dossiers_overdue_at_an_ended_periods_end_page_by_when_they_turned_overdue(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // A: received Mon 2 Mar 09:00 with five working days; paused on Tue 3 Mar
        // with four left, resumed Mon 16 Mar: due Fri 20 Mar 09:00.
        let a = submitted_and_handed_off(app, &t, "2026-03-02T09:00:00+07:00");
        app.set_now("2026-03-03T09:00:00+07:00");
        act(app, &t.officer, &a, "request-supplement", supplement_request("2026-04-30T17:00:00+07:00")).expect(200);
        // B: received Tue 3 Mar, due Tue 10 Mar; C: received Wed 4 Mar, due Wed 11 Mar.
        let b = submitted_and_handed_off(app, &t, "2026-03-03T09:00:00+07:00");
        let c = submitted_and_handed_off(app, &t, "2026-03-04T09:00:00+07:00");
        // D: due Thu 12 Mar, resolved late on Mon 16 Mar: overdue no more at
        // March's end. E: due Fri 13 Mar, resolved only on 2 April.
        let d = submitted_and_handed_off(app, &t, "2026-03-05T09:00:00+07:00");
        let e = submitted_and_handed_off(app, &t, "2026-03-06T09:00:00+07:00");
        app.set_now("2026-03-16T09:00:00+07:00");
        let resumed = act(app, &t.citizen, &a, "supplement", json!({})).expect(200).body;
        assert_eq!(resumed["due_at"], "2026-03-20T09:00:00+07:00");
        app.set_now("2026-03-16T10:00:00+07:00");
        act(app, &t.approver, &d, "resolve", json!({"outcome": "granted"})).expect(200);
        app.set_now("2026-04-01T09:00:00+07:00");
        assert_eq!(march(app)["total"]["counts"]["open_overdue"], 4);

        // Newest overdue first: A (end of 20 Mar), E (13 Mar), C (11 Mar),
        // B (10 Mar), one page at a time through `next`.
        assert_eq!(march_drill(app, "open_overdue"), json!([a, e, c, b]));
        let viewer = app.token(Role::Viewer, None);
        let page = |after: &str| {
            let q = format!("/api/v1/reports/dossiers?from=2026-03-01&to=2026-03-31&metric=open_overdue&limit=1{after}");
            app.get(&q, Some(&viewer)).expect(200).body
        };
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let p = page(&after);
            assert_eq!(p["count"], 4);
            seen.extend(p["codes"].as_array().cloned().unwrap_or_default());
            match p["next"].as_str() {
                Some(next) => after = format!("&after={next}"),
                None => break,
            }
        }
        assert_eq!(Value::Array(seen), json!([a, e, c, b]));
        // A dossier that was never received is no place in these pages.
        let unreceived = submit(app, &t);
        app.get(
            &format!("/api/v1/reports/dossiers?from=2026-03-01&to=2026-03-31&metric=open_overdue&after={unreceived}"),
            Some(&viewer),
        )
        .expect_problem(422, "validation_failed");

        // A period not yet ended is judged now, its pages newest received first.
        let q = "/api/v1/reports/dossiers?from=2026-03-01&to=2026-04-30&metric=open_overdue";
        assert_eq!(app.get(q, Some(&viewer)).expect(200).body["codes"], json!([e, c, b, a]));

        // E resolved in April stood overdue at March's end all the same.
        app.set_now("2026-04-02T10:00:00+07:00");
        act(app, &t.approver, &e, "resolve", json!({"outcome": "granted"})).expect(200);
        assert_eq!(march(app)["total"]["counts"]["open_overdue"], 4);
        assert_eq!(march_drill(app, "open_overdue"), json!([a, e, c, b]));
    }

    fn a_period_not_yet_ended_judges_its_open_dossiers_now(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-03-02T09:00:00+07:00");
        let code = submit(app, &t);
        act(app, &t.officer, &code, "receive", json!({})).expect(200);
        // Read on Wed 4 Mar: due Mon 9 Mar, within its deadline now.
        app.set_now("2026-03-04T10:00:00+07:00");
        let own = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body;
        assert_eq!(own["timeliness"], "within_deadline");
        let s = march(app);
        assert_eq!(s["total"]["counts"]["open_within_deadline"], 1, "{}", s["total"]["counts"]);
        assert_eq!(s["total"]["counts"]["open_overdue"], 0);
        assert_eq!(march_drill(app, "open_within_deadline"), json!([code]));
        assert_eq!(march_drill(app, "open_overdue"), json!([]));
    }

    fn the_list_and_the_figures_judge_a_paused_dossier_as_the_dossier_does(app: &TestApp) {
        province(app);
        let t = tokens(app);
        // Received after closing on Mon 2 Mar: counted from Tue 07:00, due Mon 9 Mar 17:00.
        let code = submitted_and_handed_off(app, &t, "2026-03-02T17:30:00+07:00");
        let received = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body;
        assert_eq!(received["due_at"], "2026-03-09T17:00:00+07:00");
        // Paused at 18:00 on the due day: past the due instant, but by no office time.
        app.set_now("2026-03-09T18:00:00+07:00");
        act(app, &t.officer, &code, "request-supplement", supplement_request("2026-03-20T17:00:00+07:00")).expect(200);
        // Tue 10 Mar 09:00: two office hours paused move the due instant to 09:00.
        app.set_now("2026-03-10T09:00:00+07:00");
        let own = app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body;
        assert_eq!(own["timeliness"], "within_deadline");
        let listed = |q: &str| -> Vec<Value> {
            let page = app.get(&format!("/api/v1/dossiers?{q}"), Some(&t.viewer)).expect(200).body;
            page["items"].as_array().expect("items").iter().map(|d| d["code"].clone()).collect()
        };
        assert_eq!(listed("overdue=true"), Vec::<Value>::new());
        assert_eq!(listed("timeliness=within_deadline"), vec![json!(code)]);
        assert_eq!(march_drill(app, "open_within_deadline"), json!([code]));
    }
}

/// A dossier received on `day` of April 2026 through the import, with `extra` events and fields.
fn imported(day: u32, events: Vec<Value>, extra: Value) -> Value {
    let at = |h: u32| format!("2026-04-{day:02}T{h:02}:00:00+07:00");
    let mut all = vec![ev("receive", &at(9)), with(ev("hand-off", &at(10)), "to_agency", json!(DEPT))];
    all.extend(events);
    let mut d = json!({"procedure": PROCEDURE, "agency": DEPT, "channel": "in_person", "applicant": applicant(), "summary": "Hồ sơ nhập", "submitted_at": at(8), "events": all});
    if let Some(fields) = extra.as_object() {
        for (k, v) in fields {
            d[k] = v.clone();
        }
    }
    d
}

fn import_all(app: &TestApp, dossiers: Vec<Value>) {
    app.set_now("2026-06-01T09:00:00+07:00");
    let out = app
        .post("/api/v1/imports/dossiers", Some(&app.token(Role::Admin, None)), &json!({"dossiers": dossiers}))
        .expect(200)
        .body;
    assert_eq!(out["rejected"], json!([]), "{out}");
}

fn index_of(app: &TestApp, from: &str, to: &str) -> dvc_tests::Answer {
    app.get(&format!("/api/v1/reports/index-766?from={from}&to={to}"), Some(&app.token(Role::Viewer, None))).expect(200)
}

both_backends! {
    fn the_766_online_payment_counts_the_payment_platform_only(app: &TestApp) {
        province(app);
        let paid = |day: u32, method: &str| {
            let at = |h: u32| format!("2026-04-{day:02}T{h:02}:00:00+07:00");
            let pay = with(with(ev("payments", &at(14)), "amount_vnd", json!(50000)), "method", json!(method));
            imported(day, vec![with(ev("request-payment", &at(11)), "amount_vnd", json!(50000)), pay], json!({}))
        };
        import_all(app, vec![paid(6, "online"), paid(7, "transfer")]);
        let s = summary(app, "");
        let r = &s["total"]["rates"];
        assert_eq!(rate(&r["cashless"]), (2, 2), "online and transfer are both cashless");
        assert_eq!(rate(&r["online_payment"]), (1, 2), "only one through the payment platform");
        assert_eq!(s["total"]["counts"]["paid_online"], 1);
        assert_eq!(drill(app, "&metric=paid_online")["count"], 1);
        let idx = index_of(app, "2026-04-01", "2026-05-31").body["index"].clone();
        let sub = &idx["groups"][3]["sub_indicators"][0];
        assert_eq!(sub["name"], "payments_through_payment_platform");
        assert_eq!((sub["numerator"].clone(), sub["denominator"].clone()), (json!(1), json!(2)));
        assert_eq!(idx["groups"][3]["score"], 6.25, "1/2 against 80%: 0.5 × 10 / 0.8");
        assert_eq!(rate(&idx["cashless_rate"]), (2, 2), "reported beside it");
    }

    fn scores_round_half_away_from_zero_on_the_exact_ratio(app: &TestApp) {
        province(app);
        // Twenty received, three with a digitised document: 3/20 × 22 / 0.8 = 4.125 exactly.
        let doc = json!([{"component_code": "TP01", "name": "scan.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK", "digitised": true}]);
        let all = (1..=20u32)
            .map(|i| imported(i + 1, vec![], if i <= 3 { json!({"documents": doc}) } else { json!({}) }))
            .collect();
        import_all(app, all);
        let idx = index_of(app, "2026-04-01", "2026-05-31").body["index"].clone();
        assert_eq!(rate(&idx["groups"][4]["sub_indicators"][0]), (3, 20));
        assert_eq!(idx["groups"][4]["score"], 4.13, "4.125 rounds half away from zero");
        // 6 (synced) + 0 (on time: nothing resolved) + 0 (online 0/20) + 4.13.
        assert_eq!(idx["score"], 10.13);
    }

    fn no_score_shows_minus_zero(app: &TestApp) {
        province(app);
        // A period without dossiers: every score 0, none -0.0.
        let empty = index_of(app, "2025-01-01", "2025-01-31");
        assert!(!empty.text.contains("-0.0"), "{}", empty.text);
        assert_eq!(empty.body["index"]["score"], 0.0);
        assert_eq!(empty.body["index"]["groups"][1]["score"], 0.0);
    }
}
