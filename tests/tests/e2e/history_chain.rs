//! The tamper-evident chain of every dossier's history (//! its first part): each row hashes its content and the row before, so a
//! past rewritten in the database behind the API's back is found, with the
//! dossier and the row where the chain stops holding.

use dvc_domain::auth::Role;
use dvc_tests::fixtures::*;
use dvc_tests::{both_backends, TestApp};
use serde_json::{json, Value};

fn verify(app: &TestApp) -> Value {
    app.get("/api/v1/integrity/history", Some(&app.token(Role::Admin, None))).expect(200).body
}

fn sql(app: &TestApp, statement: &str) {
    let mut conn = app.db.connect();
    diesel::RunQueryDsl::execute(diesel::sql_query(statement), &mut conn).expect("statement");
}

/// A dossier received, handed on and given a document; returns its code.
fn with_history(app: &TestApp, t: &Tokens) -> String {
    app.set_now("2026-03-02T09:00:00+07:00");
    let code = submit(app, t);
    act(app, &t.officer, &code, "receive", json!({"note": "Đủ thành phần"})).expect(200);
    act(app, &t.officer, &code, "hand-off", json!({"to_agency": DEPT, "step_deadline": "2026-03-04T17:00:00+07:00"}))
        .expect(200);
    code
}

both_backends! {
    fn a_history_rewritten_in_the_database_is_found_where_it_breaks(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = with_history(app, &t);
        let other = with_history(app, &t);
        let report = verify(app);
        assert_eq!(report["intact"], true, "{report}");
        assert_eq!(report["dossiers"], 2);
        assert_eq!(report["rows"], 6);
        assert_eq!(report["first_break"], Value::Null);
        // Someone with database access rewrites the reception's note.
        sql(app, &format!("UPDATE dossier_history SET note = 'Thiếu giấy tờ' WHERE dossier_code = '{code}' AND seq = 2"));
        let report = verify(app);
        assert_eq!(report["intact"], false);
        assert_eq!(report["first_break"]["dossier_code"], code.as_str());
        assert_eq!(report["first_break"]["seq"], 2);
        // Put back, it holds again; a row removed from the middle breaks it.
        sql(app, &format!("UPDATE dossier_history SET note = 'Đủ thành phần' WHERE dossier_code = '{code}' AND seq = 2"));
        assert_eq!(verify(app)["intact"], true);
        // A status no dossier can have is a broken link too, found where it
        // is, not a walk that fails to read the row.
        sql(app, &format!("UPDATE dossier_history SET to_status = 'approved' WHERE dossier_code = '{code}' AND seq = 2"));
        let report = verify(app);
        assert_eq!(report["first_break"]["dossier_code"], code.as_str(), "{report}");
        assert_eq!(report["first_break"]["seq"], 2, "{report}");
        sql(app, &format!("UPDATE dossier_history SET to_status = 'received' WHERE dossier_code = '{code}' AND seq = 2"));
        assert_eq!(verify(app)["intact"], true);
        sql(app, &format!("DELETE FROM dossier_history WHERE dossier_code = '{other}' AND seq = 2"));
        let report = verify(app);
        assert_eq!(report["first_break"]["dossier_code"], other.as_str());
        assert_eq!(report["first_break"]["seq"], 3);
        // Only an admin verifies.
        app.get("/api/v1/integrity/history", Some(&t.viewer)).expect_problem(403, "forbidden");
    }

    fn a_history_whose_dossier_is_not_there_is_a_break(app: &TestApp) {
        province(app);
        let t = tokens(app);
        let code = with_history(app, &t);
        // Written behind the API's back, where nothing ties it to a dossier
        // (PostgreSQL keeps no foreign key on the history; SQLite checks one
        // only on connections that ask, and this one does not).
        let mut conn = app.db.connect();
        if !conn.is_postgres() {
            diesel::RunQueryDsl::execute(diesel::sql_query("PRAGMA foreign_keys = OFF"), &mut conn).expect("pragma");
        }
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "INSERT INTO dossier_history (id, dossier_code, seq, action, from_status, to_status, actor_id, \
                 actor_role, actor_name, actor_agency, at, note, step_deadline, hash) \
                 SELECT id || '-copy', '999.99.99.H99-260302-0001', seq, action, from_status, to_status, actor_id, \
                 actor_role, actor_name, actor_agency, at, note, step_deadline, hash \
                 FROM dossier_history WHERE dossier_code = '{code}' AND seq = 1"
            )),
            &mut conn,
        )
        .expect("an orphan row");
        let report = verify(app);
        assert_eq!(report["intact"], false, "{report}");
        assert_eq!(report["first_break"]["dossier_code"], "999.99.99.H99-260302-0001", "{report}");
        assert_eq!(report["first_break"]["seq"], 1, "{report}");
        assert_eq!(report["first_break"]["reason"], "no dossier has this code", "{report}");
    }

    fn imported_histories_are_chained_and_older_rows_are_chained_at_the_next_start(app: &TestApp) {
        province(app);
        let t = tokens(app);
        app.set_now("2026-06-01T09:00:00+07:00");
        let imported = json!({"dossiers": [{
            "procedure": PROCEDURE, "agency": DEPT, "channel": "in_person",
            "applicant": {"kind": "citizen", "id_number": CITIZEN, "name": "Nguyễn Văn An"},
            "summary": "Hồ sơ nhập", "submitted_at": "2026-04-01T08:00:00+07:00",
            "events": [{"action": "receive", "at": "2026-04-01T09:00:00+07:00"},
                       {"action": "hand-off", "at": "2026-04-01T10:00:00+07:00", "to_agency": DEPT}]
        }]});
        let out = app.post("/api/v1/imports/dossiers", Some(&app.token(Role::Admin, None)), &imported).expect(200).body;
        assert_eq!(out["rejected"], json!([]), "{out}");
        with_history(app, &t);
        assert_eq!(verify(app)["intact"], true);
        // Rows written before the chain existed have no hash: the next start chains them.
        sql(app, "UPDATE dossier_history SET hash = NULL");
        assert_eq!(verify(app)["intact"], false);
        let restarted = app.second_instance();
        let report = verify(&restarted);
        assert_eq!(report["intact"], true, "{report}");
        assert_eq!(report["dossiers"], 2);
    }
}
