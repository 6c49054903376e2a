//! On PostgreSQL the history is partitioned by month: an import's months
//! each get their table, a dossier's history reads whole across them, and
//! the migration goes back to one table and forward again with nothing
//! lost. (SQLite keeps one table.)

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use dvc_domain::auth::Role;
use dvc_persistence::{migrate, DbConnection};
use dvc_tests::TestApp;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Code {
    #[diesel(sql_type = Text)]
    code: String,
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(conn).expect(sql).n
}

mod the_history_lands_in_its_months_and_survives_the_migration_back_and_forth {
    use super::*;

    fn run(app: &TestApp) {
        let mut conn = app.db.connect();
        let report = dvc_api::seed::synthetic(
            &mut conn,
            300,
            7,
            100,
            1 << 20,
            dvc_api::seed::Span::from_2025(360, chrono::Utc::now()),
        )
        .expect("seeded");
        assert!(report.starts_with("imported 300 dossiers"), "{report}");
        let total = count(&mut conn, "SELECT count(*) AS n FROM dossier_history");
        assert!(total > 900, "about six rows a dossier: {total}");
        assert_eq!(
            count(&mut conn, "SELECT count(*) AS n FROM dossier_history_default"),
            0,
            "every month has its table"
        );
        assert!(
            count(&mut conn, "SELECT count(*) AS n FROM dossier_history_2025_03") > 0,
            "March 2025 in its own table"
        );
        let months = "SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'dossier_history'::regclass";
        assert!(count(&mut conn, months) >= 13, "twelve months of 2025 and more, and the default");

        // A history that spans months reads whole, in order.
        let spanning = "SELECT dossier_code AS code FROM dossier_history GROUP BY dossier_code \
                        HAVING count(DISTINCT date_trunc('month', at)) > 1 ORDER BY dossier_code LIMIT 1";
        let code = diesel::sql_query(spanning).get_result::<Code>(&mut conn).expect("a history over two months").code;
        let rows =
            count(&mut conn, &format!("SELECT count(*) AS n FROM dossier_history WHERE dossier_code = '{code}'"));
        let slip =
            app.get(&format!("/api/v1/dossiers/{code}/history"), Some(&app.token(Role::Admin, None))).expect(200).body;
        let seqs: Vec<i64> =
            slip["items"].as_array().expect("items").iter().filter_map(|r| r["seq"].as_i64()).collect();
        assert_eq!(seqs, (1..=rows).collect::<Vec<_>>(), "{slip}");

        // Back to one table, and partitioned again: every row, every link.
        // (The migrations that came after it first, newest first.)
        let mut reverted = Vec::new();
        while !reverted.last().is_some_and(|r: &String| r.ends_with("000023")) {
            assert!(reverted.len() < 10, "the history's partitioning is among the last migrations: {reverted:?}");
            reverted.push(migrate::revert_last(&mut conn).expect("revert"));
        }
        assert_eq!(count(&mut conn, months), 0, "one table");
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM dossier_history"), total);
        assert_eq!(migrate::run_pending(&mut conn).expect("reapply").len(), reverted.len());
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM dossier_history"), total);
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM dossier_history_default"), 0);
        let verified = dvc_persistence::integrity::verify(&mut conn).expect("verify");
        assert!(verified.first_break.is_none(), "the chain holds");
        assert_eq!(verified.rows, u64::try_from(total).expect("count"));
    }

    fn postgres_only() {
        run(&TestApp::spawn_demo(dvc_tests::Backend::Postgres));
    }
    dvc_tests::register!(postgres_only, Some(dvc_tests::Backend::Postgres));
}
