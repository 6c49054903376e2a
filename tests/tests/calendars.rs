//! Working calendars and the deadline preview over HTTP: the cases of
//! SPEC §4.3, answered by the server on each backend.

use dvc_domain::auth::Role;
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
