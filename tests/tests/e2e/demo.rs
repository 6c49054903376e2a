//! The first run: the demo data set holds a year of synthetic dossiers, so
//! that lists, reports, drill-downs and the 766 index show something.

use chrono::{Duration, Utc};
use dvc_domain::auth::Role;
use dvc_tests::{both_backends, TestApp};

both_backends! {
    fn the_demo_holds_a_year_of_dossiers_some_still_open(backend: Backend) {
        let app = TestApp::spawn_with(backend, &["--demo", "true", "--demo-dossiers", "400"]);
        let viewer = app.token(Role::Viewer, None);
        let today = (Utc::now() + Duration::hours(7)).date_naive();
        let from = today - Duration::days(366);
        let summary = app
            .get(&format!("/api/v1/reports/summary?from={from}&to={today}"), Some(&viewer))
            .expect(200)
            .body;
        let received = summary["total"]["counts"]["received"].as_u64().expect("received");
        assert!(received >= 380, "a year of dossiers is received: {summary}");
        assert!(summary["total"]["resolved"].as_u64().expect("resolved") > 200, "most are resolved: {summary}");

        let index = app
            .get(&format!("/api/v1/reports/index-766?from={from}&to={today}"), Some(&viewer))
            .expect(200)
            .body;
        assert!(index["index"]["score"].as_f64().expect("score") > 0.0, "the 766 index scores something: {index}");

        let drill = app
            .get(&format!("/api/v1/reports/dossiers?from={from}&to={today}&metric=received&limit=5"), Some(&viewer))
            .expect(200)
            .body;
        assert_eq!(drill["codes"].as_array().map(Vec::len), Some(5), "the drill-down lists dossiers: {drill}");

        // The last weeks' dossiers are still being handled.
        let admin = app.token(Role::Admin, None);
        let open = app.get("/api/v1/dossiers?status=processing&limit=5", Some(&admin)).expect(200).body;
        assert!(!open["items"].as_array().expect("items").is_empty(), "some dossiers are still in processing: {open}");
    }

    fn without_demo_dossiers_the_catalogue_is_loaded_alone(backend: Backend) {
        let app = TestApp::spawn_with(backend, &["--demo", "true", "--demo-dossiers", "0"]);
        let admin = app.token(Role::Admin, None);
        let list = app.get("/api/v1/dossiers?limit=5", Some(&admin)).expect(200).body;
        assert_eq!(list["items"], serde_json::json!([]), "{list}");
        assert_ne!(app.get("/api/v1/procedures?limit=1", None).expect(200).body["items"], serde_json::json!([]));
    }
}
