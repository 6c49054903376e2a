//! The procedure catalogue over HTTP: drafts, publishing, immutability,
//! validity, the version in force at a date, search, and keepers' scope.

use dvc_domain::auth::Role;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

const PROVINCE: &str = "000.00.00.H56";
const KHDT: &str = "000.00.05.H56";
const CONG_THUONG: &str = "000.00.07.H56";

fn content(name: &str) -> Value {
    json!({
        "name": name,
        "sector": {"code": "DKKD", "name": "Thành lập và hoạt động doanh nghiệp"},
        "implementing_agencies": [KHDT],
        "level": "province",
        "service_level": "full",
        "processing_time": {"amount": 3, "unit": "working_days", "same_day": false},
        "fees": [{"code": "LP01", "description": "Lệ phí đăng ký doanh nghiệp", "amount_vnd": 50000, "collected": "on_receipt"}],
        "components": [{"case": "Trường hợp chung", "code": "TP01", "name": "Giấy đề nghị", "form_template": null, "originals": 1, "copies": 0}],
        "results": ["Giấy chứng nhận đăng ký doanh nghiệp"],
        "legal_bases": ["Luật Doanh nghiệp số 59/2020/QH14"],
        "channels": ["in_person", "online"]
    })
}

/// The province and two departments, made by the admin.
fn agencies(app: &TestApp) {
    let admin = app.token(Role::Admin, None);
    for (code, name, level, parent) in [
        (PROVINCE, "Ủy ban nhân dân tỉnh Bình Dương", "province", None),
        (KHDT, "Sở Kế hoạch và Đầu tư", "department", Some(PROVINCE)),
        (CONG_THUONG, "Sở Công Thương", "department", Some(PROVINCE)),
    ] {
        app.post(
            "/api/v1/agencies",
            Some(&admin),
            &json!({"code": code, "name": name, "level": level, "parent": parent}),
        )
        .expect(201);
    }
}

fn keeper(app: &TestApp) -> String {
    app.token(Role::AgencyAdmin, Some(KHDT))
}

fn create(app: &TestApp, code: &str, name: &str) -> Value {
    app.post("/api/v1/procedures", Some(&keeper(app)), &json!({"code": code, "agency": KHDT, "content": content(name)}))
        .expect(201)
        .body
}

fn publish(app: &TestApp, code: &str, version: i64, from: &str, to: Option<&str>) -> dvc_tests::Answer {
    app.post(
        &format!("/api/v1/procedures/{code}/versions/{version}/publish"),
        Some(&keeper(app)),
        &json!({"effective_from": from, "effective_to": to}),
    )
}

both_backends! {
    fn a_new_procedure_is_a_draft_invisible_to_the_public(app: &TestApp) {
        agencies(app);
        let created = create(app, "2.001610", "Đăng ký thành lập doanh nghiệp tư nhân");
        assert_eq!(created["status"], "draft");
        assert_eq!(created["version"], 1);
        assert_eq!(created["local_code"], "2.001610.000.00.05.H56");
        app.get("/api/v1/procedures/2.001610/versions/1", None).expect_problem(404, "not_found");
        app.get("/api/v1/procedures/2.001610/versions/1", Some(&keeper(app))).expect(200);
        app.get("/api/v1/procedures/2.001610?at=2026-01-01", None).expect_problem(404, "not_found");
    }

    fn publish_makes_a_version_immutable(app: &TestApp) {
        agencies(app);
        create(app, "2.001610", "Đăng ký thành lập doanh nghiệp tư nhân");
        let published = publish(app, "2.001610", 1, "2025-01-01", None).expect(200).body;
        assert_eq!(published["status"], "published");
        assert_eq!(published["effective_from"], "2025-01-01");
        let path = "/api/v1/procedures/2.001610/versions/1";
        app.put(path, Some(&keeper(app)), &json!({"content": content("Tên khác")})).expect_problem(409, "version_immutable");
        app.delete(path, Some(&keeper(app))).expect_problem(409, "version_immutable");
        publish(app, "2.001610", 1, "2030-01-01", None).expect_problem(409, "version_immutable");
        let unchanged = app.get(path, None).expect(200).body;
        assert_eq!(unchanged["content"]["name"], "Đăng ký thành lập doanh nghiệp tư nhân");
        assert_eq!(unchanged["effective_from"], "2025-01-01");
    }

    fn overlapping_validity_is_refused(app: &TestApp) {
        agencies(app);
        create(app, "2.001610", "Phiên bản 1");
        publish(app, "2.001610", 1, "2025-01-01", None).expect(200);
        app.post("/api/v1/procedures/2.001610/versions", Some(&keeper(app)), &json!({"content": content("Phiên bản 2")})).expect(201);
        publish(app, "2.001610", 2, "2026-01-01", None).expect_problem(409, "validity_overlap");
        let v2 = app.get("/api/v1/procedures/2.001610/versions/2", Some(&keeper(app))).expect(200).body;
        assert_eq!(v2["status"], "draft", "a refused publish leaves the draft a draft");
        // Retire version 1, then version 2 may start where it ends, not a day earlier.
        app.post("/api/v1/procedures/2.001610/versions/1/retire", Some(&keeper(app)), &json!({"effective_to": "2026-01-01"}))
            .expect(200);
        publish(app, "2.001610", 2, "2025-12-31", None).expect_problem(409, "validity_overlap");
        publish(app, "2.001610", 2, "2026-01-01", None).expect(200);
    }

    fn at_picks_the_version_in_force_on_that_date(app: &TestApp) {
        agencies(app);
        create(app, "2.001610", "Phiên bản 1");
        publish(app, "2.001610", 1, "2025-01-01", Some("2026-01-01")).expect(200);
        app.post("/api/v1/procedures/2.001610/versions", Some(&keeper(app)), &json!({"content": content("Phiên bản 2")})).expect(201);
        publish(app, "2.001610", 2, "2026-01-01", None).expect(200);
        let at = |date: &str| app.get(&format!("/api/v1/procedures/2.001610?at={date}"), None);
        at("2024-12-31").expect_problem(404, "not_found");
        assert_eq!(at("2025-01-01").expect(200).body["version"], 1);
        assert_eq!(at("2025-12-31").expect(200).body["version"], 1);
        assert_eq!(at("2026-01-01").expect(200).body["version"], 2);
        assert_eq!(at("2040-06-30").expect(200).body["version"], 2);
        // The local form of the code reads the same procedure.
        assert_eq!(app.get("/api/v1/procedures/2.001610.000.00.05.H56?at=2025-06-01", None).expect(200).body["version"], 1);
        at("2025-13-01").expect_problem(400, "invalid_query");
    }

    fn search_ignores_diacritics_and_case(app: &TestApp) {
        agencies(app);
        create(app, "2.001610", "Đăng ký kinh doanh hộ gia đình");
        create(app, "1.003726", "Cấp giấy phép xuất bản tài liệu");
        publish(app, "2.001610", 1, "2025-01-01", None).expect(200);
        publish(app, "1.003726", 1, "2025-01-01", None).expect(200);
        let codes = |q: &str| -> Vec<String> {
            app.get(&format!("/api/v1/procedures?at=2026-03-01&q={q}"), None).expect(200).body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["code"].as_str().expect("code").to_owned())
                .collect()
        };
        assert_eq!(codes("dang%20ky%20kinh%20doanh"), vec!["2.001610"]);
        assert_eq!(codes("%C4%90%C4%82NG%20K%C3%9D"), vec!["2.001610"], "upper-case with diacritics");
        assert_eq!(codes("GIAY%20PHEP"), vec!["1.003726"]);
        assert_eq!(codes("kinh%20xuat"), Vec::<String>::new(), "every word must match");
        assert_eq!(codes("100%25"), Vec::<String>::new(), "LIKE wildcards are literal");
        assert_eq!(codes(""), vec!["1.003726", "2.001610"]);
    }

    fn search_filters_and_pages_with_a_cursor(app: &TestApp) {
        agencies(app);
        for code in ["1.000001", "1.000002", "1.000003"] {
            create(app, code, "Thủ tục thử");
            publish(app, code, 1, "2025-01-01", None).expect(200);
        }
        let first = app.get("/api/v1/procedures?at=2025-06-01&limit=2", None).expect(200).body;
        assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
        let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
        let second = app.get(&format!("/api/v1/procedures?at=2025-06-01&limit=2&cursor={cursor}"), None).expect(200).body;
        assert_eq!(second["items"][0]["code"], "1.000003");
        assert!(second["next_cursor"].is_null());
        assert_eq!(app.get("/api/v1/procedures?at=2025-06-01&level=commune", None).expect(200).body["items"], json!([]));
        assert_eq!(
            app.get(&format!("/api/v1/procedures?at=2025-06-01&agency={CONG_THUONG}"), None).expect(200).body["items"],
            json!([])
        );
        assert_eq!(
            app.get(&format!("/api/v1/procedures?at=2025-06-01&agency={KHDT}&service_level=full&sector=DKKD"), None)
                .expect(200)
                .body["items"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
        app.get("/api/v1/procedures?limit=0", None).expect_problem(422, "validation_failed");
        app.get("/api/v1/procedures?limit=501", None).expect_problem(422, "validation_failed");
        app.get("/api/v1/procedures?cursor=garbage", None).expect_problem(422, "validation_failed");
        app.get("/api/v1/procedures?level=galaxy", None).expect_problem(400, "invalid_query");
        app.get("/api/v1/procedures?agency=17.22", None).expect_problem(422, "validation_failed");
    }

    fn an_agency_admin_gets_403_on_another_agencys_procedure(app: &TestApp) {
        agencies(app);
        create(app, "2.001610", "Đăng ký thành lập doanh nghiệp");
        let other = app.token(Role::AgencyAdmin, Some(CONG_THUONG));
        let answer = app
            .put("/api/v1/procedures/2.001610/versions/1", Some(&other), &json!({"content": content("Đổi tên")}))
            .expect_problem(403, "forbidden");
        assert_eq!(answer.body["missing_right"], "catalogue:manage");
        app.post("/api/v1/procedures/2.001610/versions/1/publish", Some(&other), &json!({"effective_from": "2025-01-01"}))
            .expect_problem(403, "forbidden");
        app.post("/api/v1/procedures", Some(&other), &json!({"code": "2.000001", "agency": KHDT, "content": content("X")}))
            .expect_problem(403, "forbidden");
        let officer = app.token(Role::Officer, Some(KHDT));
        app.post("/api/v1/procedures", Some(&officer), &json!({"code": "2.000001", "agency": KHDT, "content": content("X")}))
            .expect_problem(403, "forbidden");
        let still = app.get("/api/v1/procedures/2.001610/versions/1", Some(&keeper(app))).expect(200).body;
        assert_eq!(still["content"]["name"], "Đăng ký thành lập doanh nghiệp");
        // The province admin manages every agency's procedures.
        let admin = app.token(Role::Admin, None);
        app.put("/api/v1/procedures/2.001610/versions/1", Some(&admin), &json!({"content": content("Đổi tên")})).expect(200);
    }

    fn invalid_procedures_get_422_naming_each_field_and_change_nothing(app: &TestApp) {
        agencies(app);
        let mut bad = content("");
        bad["fees"][0]["amount_vnd"] = json!(-5);
        bad["implementing_agencies"] = json!(["not-a-code"]);
        let answer = app
            .post("/api/v1/procedures", Some(&keeper(app)), &json!({"code": "2.001610", "agency": KHDT, "content": bad}))
            .expect_problem(422, "validation_failed");
        let fields: Vec<&str> = answer.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&"content.name"), "{fields:?}");
        assert!(fields.contains(&"content.fees[0].amount_vnd"), "{fields:?}");
        app.post("/api/v1/procedures", Some(&keeper(app)), &json!({"code": "2.00161", "agency": KHDT, "content": content("X")}))
            .expect_problem(422, "validation_failed");
        let mut unknown_agency = content("X");
        unknown_agency["implementing_agencies"] = json!(["000.99.99.H56"]);
        let a = app
            .post("/api/v1/procedures", Some(&keeper(app)), &json!({"code": "2.001610", "agency": KHDT, "content": unknown_agency}))
            .expect_problem(422, "validation_failed");
        assert_eq!(a.body["errors"][0]["field"], "content.implementing_agencies[0]");
        let mut info_only = content("X");
        info_only["channels"] = json!(["in_person"]);
        app.post("/api/v1/procedures", Some(&keeper(app)), &json!({"code": "2.001610", "agency": KHDT, "content": info_only}))
            .expect_problem(422, "validation_failed");
        app.get("/api/v1/procedures/2.001610/versions", Some(&keeper(app))).expect_problem(404, "not_found");
        create(app, "2.001610", "Đúng");
        app.post("/api/v1/procedures", Some(&keeper(app)), &json!({"code": "2.001610", "agency": KHDT, "content": content("Lần hai")}))
            .expect_problem(409, "procedure_exists");
    }

    fn retiring_never_postpones_and_drafts_cannot_be_retired(app: &TestApp) {
        agencies(app);
        create(app, "2.001610", "Thủ tục");
        let retire = |to: &str| {
            app.post("/api/v1/procedures/2.001610/versions/1/retire", Some(&keeper(app)), &json!({"effective_to": to}))
        };
        retire("2026-01-01").expect_problem(409, "not_published");
        publish(app, "2.001610", 1, "2025-01-01", Some("2026-01-01")).expect(200);
        retire("2027-01-01").expect_problem(409, "validity_extension");
        retire("2025-01-01").expect_problem(422, "validation_failed");
        assert_eq!(retire("2025-07-01").expect(200).body["effective_to"], "2025-07-01");
    }
}

both_backends! {
    spawn = spawn_demo;
    fn the_demo_catalogue_is_published_and_searchable(app: &TestApp) {
        let demo = app;
        let all = demo.get("/api/v1/procedures?limit=500", None).expect(200).body;
        let items = all["items"].as_array().expect("items");
        assert!(items.len() >= 10, "ten or more procedures, got {}", items.len());
        for level in ["province", "district", "commune"] {
            assert!(items.iter().any(|i| i["content"]["level"] == level), "a {level}-level procedure");
        }
        for level in ["information", "partial", "full"] {
            assert!(items.iter().any(|i| i["content"]["service_level"] == level), "a {level} service");
        }
        let agencies = demo.get("/api/v1/agencies?limit=500", None).expect(200).body;
        let names: Vec<&str> = agencies["items"].as_array().expect("items").iter().filter_map(|a| a["name"].as_str()).collect();
        for needle in ["Kế hoạch và Đầu tư", "Thông tin và Truyền thông", "Công Thương", "Thủ Dầu Một", "Thuận An", "Dĩ An", "Bến Cát"] {
            assert!(names.iter().any(|n| n.contains(needle)), "{needle} is in the demo agencies");
        }
    }
}
