//! Agencies: create, read, update, list, and administrative mergers.

use dvc_domain::auth::Role;
use dvc_tests::{both_backends, TestApp};
use serde_json::json;

fn seed(app: &TestApp) -> String {
    let admin = app.token(Role::Admin, None);
    for (code, name, level, parent) in [
        ("000.00.00.H56", "Ủy ban nhân dân tỉnh", "province", None),
        ("000.00.21.H56", "Ủy ban nhân dân thành phố Thủ Dầu Một", "district", Some("000.00.00.H56")),
        ("000.00.22.H56", "Ủy ban nhân dân thành phố Thuận An", "district", Some("000.00.00.H56")),
        ("000.01.21.H56", "Ủy ban nhân dân phường Phú Cường", "commune", Some("000.00.21.H56")),
    ] {
        app.post(
            "/api/v1/agencies",
            Some(&admin),
            &json!({"code": code, "name": name, "level": level, "parent": parent}),
        )
        .expect(201);
    }
    admin
}

both_backends! {
    fn an_agency_is_created_and_read_back(app: &TestApp) {
        seed(app);
        let a = app.get("/api/v1/agencies/000.01.21.H56", None).expect(200).body;
        assert_eq!(a, json!({"code": "000.01.21.H56", "name": "Ủy ban nhân dân phường Phú Cường", "level": "commune", "parent": "000.00.21.H56", "active": true, "successor": null, "merged_at": null, "notify_email": null}));
    }

    fn duplicate_codes_unknown_parents_and_bad_codes_are_refused(app: &TestApp) {
        let admin = seed(app);
        app.post("/api/v1/agencies", Some(&admin), &json!({"code": "000.00.00.H56", "name": "x", "level": "province"}))
            .expect_problem(409, "agency_exists");
        let a = app.post("/api/v1/agencies", Some(&admin), &json!({"code": "000.00.30.H56", "name": "x", "level": "department", "parent": "000.99.99.H56"}))
            .expect_problem(422, "validation_failed");
        assert_eq!(a.body["errors"][0]["field"], "parent");
        let b = app.post("/api/v1/agencies", Some(&admin), &json!({"code": "000.00.30.h56", "name": "x", "level": "department"}))
            .expect_problem(422, "validation_failed");
        assert_eq!(b.body["errors"][0]["code"], "invalid_agency_code");
        app.get("/api/v1/agencies/000.00.30.H56", None).expect_problem(404, "not_found");
    }

    fn an_agency_cannot_become_its_own_ancestor(app: &TestApp) {
        let admin = seed(app);
        app.put("/api/v1/agencies/000.00.21.H56", Some(&admin), &json!({"name": "x", "level": "district", "parent": "000.01.21.H56", "active": true}))
            .expect_problem(422, "validation_failed");
        assert_eq!(app.get("/api/v1/agencies/000.00.21.H56", None).expect(200).body["parent"], "000.00.00.H56");
    }

    fn a_merged_agency_points_to_its_successor_and_stays_readable(app: &TestApp) {
        let admin = seed(app);
        let future = app.post("/api/v1/agencies/000.00.22.H56/merge", Some(&admin), &json!({"successor": "000.00.21.H56", "merged_at": "2999-01-01T00:00:00+07:00"})).expect_problem(422, "validation_failed");
        assert_eq!(future.body["errors"][0]["code"], "merge_in_future");
        let below = app.post("/api/v1/agencies/000.00.21.H56/merge", Some(&admin), &json!({"successor": "000.01.21.H56"})).expect_problem(422, "validation_failed");
        assert_eq!(below.body["errors"][0]["code"], "merge_into_descendant");
        let merged = app.post("/api/v1/agencies/000.00.22.H56/merge", Some(&admin), &json!({"successor": "000.00.21.H56", "merged_at": "2025-07-01T00:00:00+07:00"})).expect(200).body;
        assert_eq!(merged["merged_at"], "2025-07-01T00:00:00+07:00");
        assert_eq!(merged["active"], false);
        assert_eq!(merged["successor"], "000.00.21.H56");
        assert_eq!(app.get("/api/v1/agencies/000.00.22.H56", None).expect(200).body["successor"], "000.00.21.H56");
        app.post("/api/v1/agencies/000.00.22.H56/merge", Some(&admin), &json!({"successor": "000.00.00.H56"}))
            .expect_problem(409, "agency_already_merged");
        app.post("/api/v1/agencies/000.01.21.H56/merge", Some(&admin), &json!({"successor": "000.00.22.H56"}))
            .expect_problem(422, "validation_failed");
        app.put("/api/v1/agencies/000.00.22.H56", Some(&admin), &json!({"name": "x", "level": "district", "parent": "000.00.00.H56", "active": true}))
            .expect_problem(409, "agency_merged");
        let active = app.get("/api/v1/agencies?active=false", None).expect(200).body;
        assert_eq!(active["items"].as_array().map(Vec::len), Some(1));
    }

    fn agencies_are_listed_by_level_parent_and_words(app: &TestApp) {
        seed(app);
        let codes = |q: &str| -> Vec<String> {
            app.get(&format!("/api/v1/agencies?{q}"), None).expect(200).body["items"].as_array().expect("items").iter()
                .map(|a| a["code"].as_str().expect("code").to_owned()).collect()
        };
        assert_eq!(codes("level=district"), vec!["000.00.21.H56", "000.00.22.H56"]);
        assert_eq!(codes("parent=000.00.21.H56"), vec!["000.01.21.H56"]);
        assert_eq!(codes("q=thu%20dau%20mot"), vec!["000.00.21.H56"]);
        assert_eq!(codes("q=PHU%20CUONG"), vec!["000.01.21.H56"]);
        let page = app.get("/api/v1/agencies?limit=3", None).expect(200).body;
        let next = page["next_cursor"].as_str().expect("next page").to_owned();
        assert_eq!(codes(&format!("limit=3&cursor={next}")), vec!["000.01.21.H56"]);
    }
}

both_backends! {
    fn creating_an_agency_with_an_idempotency_key_is_safe_to_retry(app: &TestApp) {
        let admin = app.token(Role::Admin, None);
        let body = json!({"code": "000.00.00.H56", "name": "Ủy ban nhân dân tỉnh", "level": "province", "parent": null});
        let send = |key: &str, body: &serde_json::Value| {
            app.send(app.request(reqwest::Method::POST, "/api/v1/agencies").bearer_auth(&admin).header("Idempotency-Key", key).json(body))
        };
        let first = send("a-1", &body).expect(201);
        assert_eq!(first.header("location"), Some("/api/v1/agencies/000.00.00.H56"));
        let again = send("a-1", &body).expect(201);
        assert_eq!(again.text, first.text, "the first answer replayed, not a 409");
        let mut other = body.clone();
        other["name"] = json!("Khác");
        send("a-1", &other).expect_problem(422, "validation_failed");
        send("a-2", &body).expect_problem(409, "agency_exists");
        app.send(app.request(reqwest::Method::POST, "/api/v1/agencies").bearer_auth(&admin).header("Idempotency-Key", "").json(&body))
            .expect_problem(400, "invalid_idempotency_key");
    }
}
