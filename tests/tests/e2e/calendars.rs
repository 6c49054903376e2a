//! Working calendars and the deadline preview over HTTP: the cases of
//! docs/RULES.md §4.3, answered by the server on each backend.

use dvc_domain::auth::Role;
use dvc_tests::fixtures as fx;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

/// The test calendar: 2026 holidays as announced, and one swapped Saturday.
fn calendar_2026() -> Value {
    json!({
        "working_weekdays": [1, 2, 3, 4, 5],
        "office_hours": [{"start": "07:00", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
        "same_day_cutoff": "15:00",
        "holidays": [
            {"date": "2026-01-01", "name": "Tết Dương lịch"},
            {"date": "2026-01-02", "name": "Nghỉ Tết Dương lịch (hoán đổi)"},
            {"date": "2026-02-16", "name": "Tết Nguyên đán"},
            {"date": "2026-02-17", "name": "Tết Nguyên đán"},
            {"date": "2026-02-18", "name": "Tết Nguyên đán"},
            {"date": "2026-02-19", "name": "Tết Nguyên đán"},
            {"date": "2026-02-20", "name": "Tết Nguyên đán"},
            {"date": "2026-04-26", "name": "Giỗ Tổ Hùng Vương"},
            {"date": "2026-04-27", "name": "Nghỉ bù Giỗ Tổ Hùng Vương"},
            {"date": "2026-04-30", "name": "Ngày Chiến thắng"},
            {"date": "2026-05-01", "name": "Quốc tế Lao động"}
        ],
        "swapped_working_days": [{"date": "2026-01-10", "name": "Làm bù cho ngày 02/01/2026"}]
    })
}

fn install(app: &TestApp) {
    app.put("/api/v1/calendars/default", Some(&app.token(Role::Admin, None)), &calendar_2026()).expect(200);
}

/// (received_at, due_at) for a preview.
fn preview(
    app: &TestApp,
    start: &str,
    amount: u32,
    unit: &str,
    same_day: bool,
    pauses: Value,
) -> (String, String, Value) {
    let body = json!({"calendar": "default", "start": start, "amount": amount, "unit": unit, "same_day": same_day, "pauses": pauses});
    let answer = app.post("/api/v1/deadlines/preview", Some(&app.token(Role::Citizen, None)), &body).expect(200);
    let s = |k: &str| answer.body[k].as_str().expect("instant").to_owned();
    (s("received_at"), s("due_at"), answer.body["explanation"].clone())
}

fn due(app: &TestApp, start: &str, amount: u32, unit: &str) -> (String, String) {
    let (r, d, _) = preview(app, start, amount, unit, false, json!([]));
    (r, d)
}

fn pair(r: &str, d: &str) -> (String, String) {
    (r.to_owned(), d.to_owned())
}

both_backends! {
    fn the_default_calendar_always_exists(app: &TestApp) {
        let c = app.get("/api/v1/calendars/default", None).expect(200).body;
        assert_eq!(c["working_weekdays"], json!([1, 2, 3, 4, 5]));
        assert_eq!(c["office_hours"], json!([{"start": "07:00", "end": "11:30"}, {"start": "13:30", "end": "17:00"}]));
        assert_eq!(c["same_day_cutoff"], "15:00");
        app.get("/api/v1/calendars/elsewhere", None).expect_problem(404, "not_found");
    }

    fn an_admin_replaces_the_calendar_and_others_cannot(app: &TestApp) {
        install(app);
        let c = app.get("/api/v1/calendars/default", None).expect(200).body;
        assert_eq!(c["holidays"].as_array().map(Vec::len), Some(11));
        assert_eq!(c["swapped_working_days"][0]["date"], "2026-01-10");
        assert_eq!(c["version"], 2);
        let officer = app.token(Role::Officer, Some("000.00.05.H56"));
        let a = app.put("/api/v1/calendars/default", Some(&officer), &calendar_2026()).expect_problem(403, "forbidden");
        assert_eq!(a.body["missing_right"], "calendars:manage");
    }

    fn invalid_calendars_get_422_naming_the_field(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let field_of = |body: Value| -> String {
            let a = app.put("/api/v1/calendars/default", Some(&admin), &body).expect_problem(422, "validation_failed");
            a.body["errors"][0]["field"].as_str().expect("field").to_owned()
        };
        let mut overlapping = calendar_2026();
        overlapping["office_hours"] = json!([{"start": "07:00", "end": "12:00"}, {"start": "11:30", "end": "17:00"}]);
        assert_eq!(field_of(overlapping), "office_hours[1]");
        let mut unordered = calendar_2026();
        unordered["office_hours"] = json!([{"start": "13:30", "end": "17:00"}, {"start": "07:00", "end": "11:30"}]);
        assert_eq!(field_of(unordered), "office_hours[1]");
        let mut twice = calendar_2026();
        twice["holidays"][1]["date"] = json!("2026-01-01");
        assert!(field_of(twice).starts_with("holidays[1]"));
        let mut weekday_swap = calendar_2026();
        weekday_swap["swapped_working_days"][0]["date"] = json!("2026-01-07");
        assert!(field_of(weekday_swap).starts_with("swapped_working_days[0]"));
        let mut bad_weekday = calendar_2026();
        bad_weekday["working_weekdays"] = json!([1, 2, 8]);
        assert!(field_of(bad_weekday).starts_with("working_weekdays[2]"));
        assert_eq!(app.get("/api/v1/calendars/default", None).expect(200).body["version"], 1, "nothing changed");
    }

    fn reception_instants_are_normalised(app: &TestApp) {
        install(app);
        let wd = |start: &str| due(app, start, 1, "working_days");
        assert_eq!(wd("2026-03-03T06:30:00+07:00"), pair("2026-03-03T07:00:00+07:00", "2026-03-03T17:00:00+07:00"));
        assert_eq!(wd("2026-03-03T11:45:00+07:00"), pair("2026-03-03T13:30:00+07:00", "2026-03-04T11:30:00+07:00"));
        assert_eq!(wd("2026-03-03T16:59:00+07:00"), pair("2026-03-03T16:59:00+07:00", "2026-03-04T16:59:00+07:00"));
        assert_eq!(wd("2026-03-03T17:01:00+07:00"), pair("2026-03-04T07:00:00+07:00", "2026-03-04T17:00:00+07:00"));
        // A Saturday, a holiday (30 April, then 1 May and the weekend), a swapped working Saturday.
        assert_eq!(wd("2026-03-07T10:00:00+07:00"), pair("2026-03-09T07:00:00+07:00", "2026-03-09T17:00:00+07:00"));
        assert_eq!(wd("2026-04-30T09:00:00+07:00"), pair("2026-05-04T07:00:00+07:00", "2026-05-04T17:00:00+07:00"));
        assert_eq!(wd("2026-01-10T09:00:00+07:00"), pair("2026-01-10T09:00:00+07:00", "2026-01-12T09:00:00+07:00"));
        // The same instant written in UTC.
        assert_eq!(wd("2026-03-03T02:00:00Z"), pair("2026-03-03T09:00:00+07:00", "2026-03-04T09:00:00+07:00"));
    }

    fn working_days_skip_weekends_tet_and_count_swapped_days(app: &TestApp) {
        install(app);
        assert_eq!(due(app, "2026-03-06T09:00:00+07:00", 1, "working_days").1, "2026-03-09T09:00:00+07:00");
        assert_eq!(due(app, "2026-03-02T09:00:00+07:00", 15, "working_days").1, "2026-03-23T09:00:00+07:00");
        assert_eq!(due(app, "2026-02-13T16:30:00+07:00", 5, "working_days").1, "2026-02-27T16:30:00+07:00");
        assert_eq!(due(app, "2026-02-11T09:00:00+07:00", 15, "working_days").1, "2026-03-11T09:00:00+07:00");
        assert_eq!(due(app, "2026-01-07T09:00:00+07:00", 5, "working_days").1, "2026-01-13T09:00:00+07:00");
    }

    fn the_explanation_names_each_skipped_holiday(app: &TestApp) {
        install(app);
        let (_, _, steps) = preview(app, "2026-02-13T16:30:00+07:00", 5, "working_days", false, json!([]));
        let steps = steps.as_array().expect("steps");
        let tet: Vec<&Value> = steps.iter().filter(|s| s["step"] == "day_skipped" && s["reason"]["name"] == "Tết Nguyên đán").collect();
        assert_eq!(tet.len(), 5, "{steps:?}");
        assert_eq!(steps.first().map(|s| s["step"].clone()), Some(json!("received")));
        assert_eq!(steps.last().map(|s| s["due_at"].clone()), Some(json!("2026-02-27T16:30:00+07:00")));
    }

    fn working_hours_cross_the_midday_break(app: &TestApp) {
        install(app);
        assert_eq!(due(app, "2026-03-03T10:00:00+07:00", 3, "working_hours").1, "2026-03-03T15:00:00+07:00");
    }

    fn calendar_days_landing_on_a_day_off_move_to_the_next_office_instant(app: &TestApp) {
        install(app);
        assert_eq!(due(app, "2026-03-03T10:00:00+07:00", 5, "calendar_days").1, "2026-03-09T07:00:00+07:00");
        assert_eq!(due(app, "2026-04-28T10:00:00+07:00", 2, "calendar_days").1, "2026-05-04T07:00:00+07:00");
        assert_eq!(due(app, "2026-03-03T10:00:00+07:00", 7, "calendar_days").1, "2026-03-10T10:00:00+07:00");
    }

    fn calendar_days_count_from_the_next_office_instant(app: &TestApp) {
        install(app);
        // Saturday 13:30 with 3 calendar days: counted from Monday's opening, due Thursday 07:00
        // (not Tuesday 13:30, the raw Saturday instant plus three days).
        let (from, due_at, steps) = preview(app, "2026-03-07T13:30:00+07:00", 3, "calendar_days", false, json!([]));
        assert_eq!((from, due_at), pair("2026-03-09T07:00:00+07:00", "2026-03-12T07:00:00+07:00"));
        assert_eq!(
            steps[0],
            json!({"step": "received", "received_at": "2026-03-07T13:30:00+07:00",
                   "counted_from": "2026-03-09T07:00:00+07:00", "timing": {"kind": "day_off", "reason": {"kind": "weekend"}}})
        );
        // After Friday's closing; on a holiday (30 April, then 1 May and the weekend).
        assert_eq!(due(app, "2026-03-06T18:00:00+07:00", 1, "calendar_days"), pair("2026-03-09T07:00:00+07:00", "2026-03-10T07:00:00+07:00"));
        assert_eq!(due(app, "2026-04-30T10:00:00+07:00", 2, "calendar_days"), pair("2026-05-04T07:00:00+07:00", "2026-05-06T07:00:00+07:00"));
    }

    fn same_day_procedures_follow_the_cutoff(app: &TestApp) {
        install(app);
        let same = |start: &str| preview(app, start, 0, "working_days", true, json!([])).1;
        assert_eq!(same("2026-03-03T14:00:00+07:00"), "2026-03-03T17:00:00+07:00");
        assert_eq!(same("2026-03-03T15:30:00+07:00"), "2026-03-04T17:00:00+07:00");
        assert_eq!(same("2026-03-06T15:30:00+07:00"), "2026-03-09T17:00:00+07:00");
    }

    fn pauses_move_the_due_instant_by_the_office_time_they_held(app: &TestApp) {
        install(app);
        let paused = |start: &str, amount: u32, pauses: Value| preview(app, start, amount, "working_days", false, pauses).1;
        assert_eq!(
            paused("2026-03-03T09:00:00+07:00", 1, json!([{"from": "2026-03-03T10:00:00+07:00", "to": "2026-03-03T11:00:00+07:00"}])),
            "2026-03-04T10:00:00+07:00"
        );
        assert_eq!(
            paused("2026-03-04T09:00:00+07:00", 5, json!([{"from": "2026-03-06T16:00:00+07:00", "to": "2026-03-09T08:00:00+07:00"}])),
            "2026-03-11T11:00:00+07:00"
        );
        assert_eq!(
            paused("2026-04-28T09:00:00+07:00", 5, json!([{"from": "2026-04-29T16:00:00+07:00", "to": "2026-05-04T08:00:00+07:00"}])),
            "2026-05-07T11:00:00+07:00"
        );
    }

    fn bad_preview_requests_get_problem_documents(app: &TestApp) {
        install(app);
        let citizen = app.token(Role::Citizen, None);
        let base = json!({"calendar": "default", "start": "2026-03-03T09:00:00+07:00", "amount": 5, "unit": "working_days"});
        let with = |k: &str, v: Value| { let mut b = base.clone(); b[k] = v; b };
        app.post("/api/v1/deadlines/preview", Some(&citizen), &with("unit", json!("fortnights"))).expect_problem(422, "validation_failed");
        app.post("/api/v1/deadlines/preview", Some(&citizen), &with("amount", json!(-1))).expect_problem(422, "validation_failed");
        app.post("/api/v1/deadlines/preview", Some(&citizen), &with("amount", json!(0))).expect_problem(422, "validation_failed");
        app.post("/api/v1/deadlines/preview", Some(&citizen), &with("start", json!("yesterday"))).expect_problem(422, "validation_failed");
        let a = app
            .post("/api/v1/deadlines/preview", Some(&citizen), &with("pauses", json!([{"from": "2026-03-04T10:00:00+07:00", "to": "2026-03-04T09:00:00+07:00"}])))
            .expect_problem(422, "validation_failed");
        assert_eq!(a.body["errors"][0]["field"], "pauses[0].to");
        let b = app.post("/api/v1/deadlines/preview", Some(&citizen), &with("calendar", json!("atlantis"))).expect_problem(422, "validation_failed");
        assert_eq!(b.body["errors"][0]["code"], "unknown_calendar");
        app.post("/api/v1/deadlines/preview", None, &base).expect_problem(401, "missing_token");
    }
}

/// The test calendar maintained through `valid_through`, with extra holidays.
fn maintained_through(valid_through: &str, extra_holidays: &[(&str, &str)]) -> Value {
    let mut c = fx::calendar();
    c["valid_through"] = json!(valid_through);
    if let Some(list) = c["holidays"].as_array_mut() {
        list.extend(extra_holidays.iter().map(|(date, name)| json!({"date": date, "name": name})));
    }
    c
}

both_backends! {
    fn a_preview_past_the_calendar_horizon_is_provisional_and_says_why(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let stored = app.put("/api/v1/calendars/default", Some(&admin), &json!({
            "working_weekdays": [1, 2, 3, 4, 5],
            "office_hours": [{"start": "07:00", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
            "same_day_cutoff": "15:00",
            "holidays": [{"date": "2027-01-01", "name": "Tết Dương lịch"}],
            "valid_through": "2027-01-31",
            "unannounced": ["Tết Nguyên đán 2027"]
        })).expect(200).body;
        assert_eq!((stored["valid_through"].clone(), stored["unannounced"].clone()), (json!("2027-01-31"), json!(["Tết Nguyên đán 2027"])));
        let ask = |start: &str| {
            let body = json!({"start": start, "amount": 1, "unit": "working_days"});
            app.post("/api/v1/deadlines/preview", Some(&app.token(Role::Citizen, None)), &body).expect(200).body
        };
        let within = ask("2027-01-28T09:00:00+07:00");
        assert_eq!((within["due_at"].clone(), within["provisional"].clone()), (json!("2027-01-29T09:00:00+07:00"), json!(false)));
        let past = ask("2027-01-29T09:00:00+07:00");
        assert_eq!((past["due_at"].clone(), past["provisional"].clone(), past["valid_through"].clone()), (json!("2027-02-01T09:00:00+07:00"), json!(true), json!("2027-01-31")));
        let steps = past["explanation"].as_array().expect("steps");
        assert_eq!(steps[steps.len() - 2], json!({"step": "provisional", "valid_through": "2027-01-31"}));
    }

    fn bad_horizons_get_422_naming_the_field(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let mut body = calendar_2026();
        body["valid_through"] = json!("2027-02-30");
        let a = app.put("/api/v1/calendars/default", Some(&admin), &body).expect_problem(422, "validation_failed");
        assert_eq!((a.body["errors"][0]["field"].clone(), a.body["errors"][0]["code"].clone()), (json!("valid_through"), json!("invalid_date")));
        let mut blank = calendar_2026();
        blank["unannounced"] = json!(["Tết Nguyên đán 2027", "  "]);
        let b = app.put("/api/v1/calendars/default", Some(&admin), &blank).expect_problem(422, "validation_failed");
        assert_eq!(b.body["errors"][0]["field"], "unannounced[1]");
        assert_eq!(app.get("/api/v1/calendars/default", None).expect(200).body["version"], 1, "nothing changed");
    }

    fn extending_the_calendar_recomputes_the_provisional_due_instants_of_open_dossiers(app: &TestApp) {
        fx::province(app);
        let t = fx::tokens(app);
        let admin = app.token(Role::Admin, None);
        app.put("/api/v1/calendars/default", Some(&admin), &maintained_through("2026-03-09", &[])).expect(200);
        let dossier = |code: &str| app.get(&format!("/api/v1/dossiers/{code}"), Some(&t.viewer)).expect(200).body;

        // A: received Mon 2 Mar 09:00, due Mon 9 Mar 09:00, within the horizon.
        app.set_now("2026-03-02T08:00:00+07:00");
        let a = fx::submit(app, &t);
        let b = fx::submit(app, &t);
        let c = fx::submit(app, &t);
        app.set_now("2026-03-02T09:00:00+07:00");
        let a_before = fx::act(app, &t.officer, &a, "receive", json!({})).expect(200).body;
        assert_eq!((a_before["due_at"].clone(), a_before["due_provisional"].clone()), (json!("2026-03-09T09:00:00+07:00"), json!(false)));
        // B: received Tue 3 Mar 09:00 (due Tue 10 Mar 09:00), paused Wed 4 → Thu 5 Mar 09:00 (8 office hours): due Wed 11 Mar, past the horizon.
        // C: the same reception, then withdrawn: closed, never recomputed.
        app.set_now("2026-03-03T09:00:00+07:00");
        fx::act(app, &t.officer, &b, "receive", json!({})).expect(200);
        fx::act(app, &t.officer, &c, "receive", json!({})).expect(200);
        fx::act(app, &t.officer, &b, "hand-off", json!({"to_agency": fx::DEPT})).expect(200);
        app.set_now("2026-03-04T09:00:00+07:00");
        fx::act(app, &t.officer, &b, "request-supplement", json!({"items": [{"component_code": "TP01", "problem": "Thiếu chữ ký"}], "reply_by": "2026-03-11T17:00:00+07:00"})).expect(200);
        fx::act(app, &t.citizen, &c, "withdraw", json!({})).expect(200);
        app.set_now("2026-03-05T09:00:00+07:00");
        let b_before = fx::act(app, &t.citizen, &b, "supplement", json!({})).expect(200).body;
        assert_eq!(
            (b_before["due_at"].clone(), b_before["due_provisional"].clone(), b_before["calendar_valid_through"].clone()),
            (json!("2026-03-11T09:00:00+07:00"), json!(true), json!("2026-03-09"))
        );
        let c_before = dossier(&c);
        assert_eq!(c_before["due_provisional"], false, "a closed dossier is judged as it stands");

        // The government announces Tue 10 Mar as a day off; the admin enters it and extends the horizon.
        app.set_now("2026-03-05T10:00:00+07:00");
        app.put("/api/v1/calendars/default", Some(&admin), &maintained_through("2026-12-31", &[("2026-03-10", "Nghỉ (thông báo)")])).expect(200);

        // B: 5 working days from Tue 3 Mar skip Tue 10: Wed 11 Mar 09:00; the pause's 8 hours: Thu 12 Mar 09:00.
        let b_after = dossier(&b);
        assert_eq!(
            (b_after["due_at"].clone(), b_after["due_provisional"].clone(), b_after["calendar_valid_through"].clone()),
            (json!("2026-03-12T09:00:00+07:00"), json!(false), json!("2026-12-31"))
        );
        assert_eq!((b_after["pauses"][0]["due_before"].clone(), b_after["pauses"][0]["due_after"].clone()), (json!("2026-03-11T09:00:00+07:00"), json!("2026-03-12T09:00:00+07:00")));
        assert_eq!(b_after["version"], b_before["version"].as_i64().map(|v| v + 1).expect("version"));
        let slip = app.get(&format!("/api/v1/dossiers/{b}/history"), Some(&t.viewer)).expect(200).body;
        let last = slip["items"].as_array().and_then(|items| items.last().cloned()).expect("a history row");
        assert_eq!((last["action"].clone(), last["from_status"].clone(), last["to_status"].clone()), (json!("recompute-deadline"), json!("processing"), json!("processing")));
        assert_eq!(
            last["note"],
            "calendar default now maintained through 2026-12-31 (was 2026-03-09): due 2026-03-11T09:00:00+07:00 → 2026-03-12T09:00:00+07:00"
        );
        let feed = app.get("/api/v1/changes?after=0&limit=1000", Some(&t.integrator)).expect(200).body;
        let change = feed["items"].as_array().expect("items").iter()
            .find(|ch| ch["dossier_code"] == json!(b) && ch["action"] == "recompute-deadline").cloned().expect("the change is in the feed");
        assert_eq!(change["event"]["due_at"], "2026-03-12T09:00:00+07:00");

        // A (never provisional) and C (closed) keep their due instants and versions.
        let a_after = dossier(&a);
        assert_eq!((a_after["due_at"].clone(), a_after["version"].clone()), (a_before["due_at"].clone(), a_before["version"].clone()));
        let c_after = dossier(&c);
        assert_eq!((c_after["due_at"].clone(), c_after["version"].clone()), (c_before["due_at"].clone(), c_before["version"].clone()));
    }

    fn readiness_warns_when_the_calendar_horizon_is_near(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let unstated = app.get("/health/ready", None).expect(200).body;
        assert_eq!(unstated["warnings"][0]["code"], "calendar_horizon_unstated");
        let mut body = calendar_2026();
        body["valid_through"] = json!("2027-01-31");
        app.put("/api/v1/calendars/default", Some(&admin), &body).expect(200);
        app.set_now("2026-12-02T09:00:00+07:00");
        assert_eq!(app.get("/health/ready", None).expect(200).body["warnings"], json!([]), "60 days ahead: no warning");
        app.set_now("2026-12-03T09:00:00+07:00");
        let near = app.get("/health/ready", None).expect(200).body;
        assert_eq!(
            (near["status"].clone(), near["warnings"][0]["code"].clone(), near["warnings"][0]["calendar"].clone(), near["warnings"][0]["days_left"].clone()),
            (json!("ok"), json!("calendar_horizon_near"), json!("default"), json!(59))
        );
        app.set_now("2027-02-02T09:00:00+07:00");
        assert_eq!(app.get("/health/ready", None).expect(200).body["warnings"][0]["days_left"], -2);
    }
}

both_backends! {
    spawn = spawn_demo;

    fn the_demo_calendar_knows_2027_new_year_and_says_what_it_does_not_know(app: &TestApp) {
        let c = app.get("/api/v1/calendars/default", None).expect(200).body;
        assert_eq!(c["valid_through"], "2027-01-31");
        let unannounced = c["unannounced"].as_array().expect("unannounced");
        assert!(unannounced.iter().any(|n| n.as_str().is_some_and(|n| n.contains("Tết Nguyên đán 2027"))), "{unannounced:?}");
        let body = json!({"start": "2026-12-31T09:00:00+07:00", "amount": 1, "unit": "working_days"});
        let p = app.post("/api/v1/deadlines/preview", Some(&app.token(Role::Citizen, None)), &body).expect(200).body;
        // Thu 31 Dec 2026 + 1 working day: Fri 1 Jan 2027 is a holiday, then the weekend.
        assert_eq!((p["due_at"].clone(), p["provisional"].clone()), (json!("2027-01-04T09:00:00+07:00"), json!(false)));
    }
}
