//! On PostgreSQL the history, the change feed and the webhooks' deliveries
//! are partitioned by month: an import's months each get their table, a
//! dossier's history reads whole across them, a change and its delivery land
//! in the change's month, and the migrations go back to one table each and
//! forward again with nothing lost. (SQLite keeps one table of each.)

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

mod the_history_and_the_feed_land_in_their_months_and_survive_the_migrations_back_and_forth {
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

        // The feed and the deliveries: a change of now, in this month's
        // table, and one of March 2025, a month that has no table of the
        // feed (the migration made the months from its own day on): the
        // default partition keeps it. Each delivery lives in its change's month.
        let hook = dvc_persistence::webhooks::create(
            &mut conn,
            "test",
            "http://127.0.0.1:9/",
            "secret",
            &dvc_persistence::webhooks::WebhookFilter::default(),
            chrono::Utc::now(),
        )
        .expect("a subscription");
        for at in ["now() AT TIME ZONE 'UTC'", "TIMESTAMP '2025-03-15 03:00:00'"] {
            let written = diesel::sql_query(format!(
                "INSERT INTO changes (dossier_code, action, status, agency_code, payload, created_at, attempts, next_attempt_at) \
                 SELECT code, 'submit', status, handling_agency, '{{}}', {at}, 0, {at} FROM dossiers WHERE code = '{code}'"
            ))
            .execute(&mut conn)
            .expect("a change");
            assert_eq!(written, 1);
        }
        dvc_persistence::changes::sequence(&mut conn).expect("places given");
        let made = dvc_persistence::webhooks::fan_out(&mut conn, &hook, &[], &[], chrono::Utc::now(), 100)
            .expect("deliveries");
        assert_eq!(made, 2);
        let this_month = chrono::Utc::now().format("%Y_%m");
        let mine = [
            ("changes", format!("dossier_code = '{code}'")),
            ("webhook_deliveries", format!("webhook_id = '{}'", hook.id)),
        ];
        for (table, which) in &mine {
            let n = |conn: &mut DbConnection, part: &str| {
                count(conn, &format!("SELECT count(*) AS n FROM {table}_{part} WHERE {which}"))
            };
            assert_eq!(n(&mut conn, &this_month.to_string()), 1, "{table}");
            assert_eq!(n(&mut conn, "default"), 1, "{table}");
        }
        let changes = count(&mut conn, "SELECT count(*) AS n FROM changes");
        assert!(changes < 1000, "one page of the feed holds them all: {changes}");
        // (Read as the feed reads it; the rows written here carry no event.)
        let feed = |conn: &mut DbConnection| -> Vec<(i64, String, String)> {
            dvc_persistence::changes::page(conn, 0, 1000)
                .expect("the feed")
                .into_iter()
                .map(|c| (c.seq, c.dossier_code.to_string(), c.created_at.to_rfc3339()))
                .collect()
        };
        let before = feed(&mut conn);
        let seqs: Vec<i64> = before.iter().map(|c| c.0).collect();
        assert_eq!(seqs, (1..=changes).collect::<Vec<_>>(), "{before:?}");

        // Back to one table each, and partitioned again: every row, every
        // link. (The migrations that came after the history's first, newest
        // first.)
        let mut reverted = Vec::new();
        while !reverted.last().is_some_and(|r: &String| r.ends_with("000023")) {
            assert!(reverted.len() < 10, "the history's partitioning is among the last migrations: {reverted:?}");
            reverted.push(migrate::revert_last(&mut conn).expect("revert"));
        }
        assert_eq!(count(&mut conn, months), 0, "one table");
        let feed_months = "SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'changes'::regclass";
        assert_eq!(count(&mut conn, feed_months), 0, "one table");
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM dossier_history"), total);
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM changes"), changes);
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM webhook_deliveries"), 2);
        assert_eq!(migrate::run_pending(&mut conn).expect("reapply").len(), reverted.len());
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM dossier_history"), total);
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM dossier_history_default"), 0);
        // Made again from the oldest change's month on: March 2025 has its
        // tables now, and nothing is left in the default partitions.
        for (table, which) in &mine {
            assert_eq!(
                count(&mut conn, &format!("SELECT count(*) AS n FROM {table}_2025_03 WHERE {which}")),
                1,
                "{table}"
            );
            assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM {table}_default")), 0, "{table}");
        }
        assert_eq!(feed(&mut conn), before, "the feed reads the same");
        // A new change after the migrations: its id follows, its place too.
        dvc_persistence::changes::sequence(&mut conn).expect("places");
        diesel::sql_query(format!(
            "INSERT INTO changes (dossier_code, action, status, agency_code, payload, created_at, attempts, next_attempt_at) \
             SELECT code, 'submit', status, handling_agency, '{{}}', now() AT TIME ZONE 'UTC', 0, now() AT TIME ZONE 'UTC' \
             FROM dossiers WHERE code = '{code}'"
        ))
        .execute(&mut conn)
        .expect("a change after the migrations");
        assert_eq!(dvc_persistence::changes::sequence(&mut conn).expect("placed"), changes + 1);
        assert_eq!(
            count(&mut conn, "SELECT count(DISTINCT id) AS n FROM changes"),
            changes + 1,
            "the sequence of ids went on"
        );
        let verified = dvc_persistence::integrity::verify(&mut conn).expect("verify");
        assert!(verified.first_break.is_none(), "the chain holds");
        assert_eq!(verified.rows, u64::try_from(total).expect("count"));
    }

    fn postgres_only() {
        run(&TestApp::spawn_demo(dvc_tests::Backend::Postgres));
    }
    dvc_tests::register!(postgres_only, Some(dvc_tests::Backend::Postgres));
}
