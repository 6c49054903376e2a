//! Exports for spreadsheets (docs/RULES.md §7): the CSV and XLSX answers of
//! the figures summary, a figure's drill-down and the dossier list hold
//! exactly what the JSON answers hold (every page of them), read back with
//! the `csv` crate and calamine.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use dvc_domain::auth::Role;
use dvc_domain::figures::Metric;
use dvc_tests::{both_backends, TestApp};
use reqwest::Method;
use serde_json::Value;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const YEAR: &str = "from=2025-01-01&to=2025-12-31";

/// A province of synthetic dossiers of 2025 (more than one export page of 1,000).
fn seeded(app: &TestApp, dossiers: usize) {
    let mut conn = app.db.connect();
    let report = dvc_api::seed::synthetic(
        &mut conn,
        dossiers,
        7,
        500,
        1 << 20,
        dvc_api::seed::Span::from_2025(360, chrono::Utc::now()),
    )
    .expect("seeded");
    assert!(report.starts_with(&format!("imported {dossiers} dossiers (0 rejected")), "{report}");
}

struct Raw {
    status: u16,
    content_type: String,
    disposition: String,
    bytes: Vec<u8>,
}

fn raw(app: &TestApp, path: &str, token: Option<&str>, accept: Option<&str>) -> Raw {
    let mut b = app.request(Method::GET, path);
    if let Some(t) = token {
        b = b.bearer_auth(t);
    }
    if let Some(a) = accept {
        b = b.header("accept", a);
    }
    let res = b.send().expect("request sent");
    let header = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let status = res.status().as_u16();
    let bytes = res.bytes().expect("body").to_vec();
    Raw { status, content_type, disposition, bytes }
}

fn json(app: &TestApp, path: &str, token: &str) -> Value {
    let r = raw(app, path, Some(token), None);
    assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.bytes));
    assert!(r.content_type.starts_with("application/json"), "{path}: {}", r.content_type);
    serde_json::from_slice(&r.bytes).expect("JSON")
}

/// A table read back: the header, and each row by column name.
struct Table {
    header: Vec<String>,
    rows: Vec<BTreeMap<String, Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    /// An XLSX date-time: days since 1899-12-30 (Excel's serial).
    DateTime(f64),
    Blank,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Blank => String::new(),
            other => panic!("not text: {other:?}"),
        }
    }
}

fn table(header: Vec<String>, rows: Vec<Vec<Cell>>) -> Table {
    let rows = rows
        .into_iter()
        .map(|r| {
            assert!(r.len() <= header.len(), "a row no longer than the header");
            header.iter().cloned().zip(r.into_iter().chain(std::iter::repeat(Cell::Blank))).collect()
        })
        .collect();
    Table { header, rows }
}

fn csv_export(app: &TestApp, path: &str, token: &str) -> Table {
    let r = raw(app, path, Some(token), None);
    assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.content_type, "text/csv; charset=utf-8; header=present");
    assert!(
        r.disposition.starts_with("attachment; filename=\"") && r.disposition.ends_with(".csv\""),
        "{}",
        r.disposition
    );
    assert_eq!(&r.bytes[..3], b"\xEF\xBB\xBF", "a byte order mark first");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&r.bytes[3..]);
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|rec| {
            rec.expect("an RFC 4180 record")
                .iter()
                .map(|f| if f.is_empty() { Cell::Blank } else { Cell::Text(f.to_owned()) })
                .collect()
        })
        .collect();
    table(header, rows)
}

fn xlsx_export(app: &TestApp, path: &str, token: &str) -> Table {
    let r = raw(app, path, Some(token), None);
    assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.content_type, XLSX);
    assert!(r.disposition.ends_with(".xlsx\""), "{}", r.disposition);
    xlsx_table(r.bytes)
}

fn xlsx_table(bytes: Vec<u8>) -> Table {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX workbook");
    let range = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    let mut rows = range.rows().map(|r| {
        r.iter()
            .map(|c| match c {
                Data::String(s) => Cell::Text(s.clone()),
                Data::Float(f) => Cell::Number(*f),
                Data::Int(i) => Cell::Number(*i as f64),
                Data::DateTime(d) => Cell::DateTime(d.as_f64()),
                Data::Empty => Cell::Blank,
                other => panic!("unexpected cell {other:?}"),
            })
            .collect::<Vec<_>>()
    });
    let header = rows.next().expect("a header").iter().map(Cell::text).collect();
    table(header, rows.collect())
}

/// A count or a rate's part as a number, from either format.
fn number(c: &Cell) -> f64 {
    match c {
        Cell::Number(n) => *n,
        Cell::Text(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        other => panic!("not a number: {other:?}"),
    }
}

/// Every count and rate of a JSON group equals its row.
fn assert_group_row(g: &Value, row: &BTreeMap<String, Cell>) {
    assert_eq!(row["key"].text(), g["key"].as_str().expect("key"));
    assert_eq!(row["name"].text(), g["name"].as_str().unwrap_or_default(), "names survive, Vietnamese included");
    let counts = g["counts"].as_object().expect("counts");
    assert_eq!(counts.len(), Metric::ALL.len());
    for (m, n) in counts {
        assert_eq!(number(&row[m.as_str()]), n.as_f64().expect("count"), "{m} of {}", g["key"]);
    }
    assert_eq!(number(&row["resolved"]), g["resolved"].as_f64().expect("resolved"));
    let rates = g["rates"].as_object().expect("rates");
    assert_eq!(rates.len(), 9);
    for (name, r) in rates {
        if r.is_null() {
            for col in [format!("{name}_numerator"), format!("{name}_denominator"), format!("{name}_rate")] {
                assert_eq!(row[&col], Cell::Blank, "{col} of {}", g["key"]);
            }
            continue;
        }
        assert_eq!(number(&row[&format!("{name}_numerator")]), r["numerator"].as_f64().expect("numerator"));
        assert_eq!(number(&row[&format!("{name}_denominator")]), r["denominator"].as_f64().expect("denominator"));
        match r["value"].as_f64() {
            Some(v) => assert_eq!(number(&row[&format!("{name}_rate")]), v, "{name} of {}", g["key"]),
            None => assert_eq!(row[&format!("{name}_rate")], Cell::Blank, "{name} of {} has no value", g["key"]),
        }
    }
}

fn assert_summary_equal(summary: &Value, t: &Table) {
    let groups = summary["groups"].as_array().expect("groups");
    assert_eq!(t.rows.len(), groups.len() + 1, "one row per group and the total");
    let mut names = t.header.clone();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), t.header.len(), "no two columns of one name");
    for (g, row) in groups.iter().zip(&t.rows) {
        assert_group_row(g, row);
    }
    let total = t.rows.last().expect("the total row");
    assert_eq!(total["key"].text(), "total");
    assert_group_row(&summary["total"], total);
}

/// Every code of a drill-down, through all its JSON pages.
fn drill_codes(app: &TestApp, q: &str, token: &str, limit: usize) -> Vec<String> {
    let mut codes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page_q = match &after {
            Some(a) => format!("/api/v1/reports/dossiers?{YEAR}&{q}&limit={limit}&after={a}"),
            None => format!("/api/v1/reports/dossiers?{YEAR}&{q}&limit={limit}"),
        };
        let page = json(app, &page_q, token);
        codes.extend(page["codes"].as_array().expect("codes").iter().map(|c| c.as_str().expect("code").to_owned()));
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => {
                assert_eq!(page["count"].as_u64(), Some(codes.len() as u64), "{q}");
                return codes;
            }
        }
    }
}

fn column(t: &Table, name: &str) -> Vec<String> {
    t.rows.iter().map(|r| r[name].text()).collect()
}

/// Every dossier of the JSON list, through all its pages.
fn list_all(app: &TestApp, q: &str, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/dossiers?{q}&limit=500&cursor={c}"),
            None => format!("/api/v1/dossiers?{q}&limit=500"),
        };
        let page = json(app, &path, token);
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// Excel's serial of a JSON instant's Vietnam wall-clock time.
fn serial(instant: &str) -> f64 {
    let t = chrono::DateTime::parse_from_rfc3339(instant).expect("instant");
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("date").and_hms_opt(0, 0, 0).expect("time");
    (t.naive_local() - epoch).num_milliseconds() as f64 / 86_400_000.0
}

both_backends! {
    spawn = spawn_demo;
    fn the_summary_exports_hold_every_count_and_rate_of_the_json(app: &TestApp) {
        seeded(app, 400);
        let viewer = app.token(Role::Viewer, None);
        for group in ["", "&group_by=agency", "&group_by=channel", "&group_by=procedure"] {
            let q = format!("/api/v1/reports/summary?{YEAR}{group}");
            let summary = json(app, &q, &viewer);
            let csv = csv_export(app, &format!("{q}&format=csv"), &viewer);
            assert_eq!(csv.header[..3], ["group_by", "key", "name"]);
            assert_summary_equal(&summary, &csv);
            let xlsx = xlsx_export(app, &format!("{q}&format=xlsx"), &viewer);
            assert_eq!(csv.header, xlsx.header);
            assert_summary_equal(&summary, &xlsx);
            assert!(xlsx.rows.iter().all(|r| matches!(r["received"], Cell::Number(_))), "counts are number cells");
            if group == "&group_by=agency" {
                let names = column(&csv, "name");
                assert!(names.iter().any(|n| !n.is_ascii()), "Vietnamese agency names: {names:?}");
                assert!(xlsx.rows.iter().any(|r| matches!(&r["on_time_rate"], Cell::Number(v) if *v > 0.0 && *v < 1.0)), "rates are number cells");
            }
        }
    }

    fn a_drill_down_export_holds_every_dossier_behind_the_figure(app: &TestApp) {
        seeded(app, 2300);
        let viewer = app.token(Role::Viewer, None);
        let summary = json(app, &format!("/api/v1/reports/summary?{YEAR}&group_by=channel"), &viewer);
        let received = summary["total"]["counts"]["received"].as_u64().expect("received");
        assert!(received > 2000, "more than two export pages: {received}");
        for m in Metric::ALL {
            let q = format!("metric={}", m.as_str());
            let codes = drill_codes(app, &q, &viewer, 10_000);
            assert_eq!(Some(codes.len() as u64), summary["total"]["counts"][m.as_str()].as_u64(), "{q}");
            let csv = csv_export(app, &format!("/api/v1/reports/dossiers?{YEAR}&{q}&format=csv"), &viewer);
            assert_eq!(column(&csv, "code"), codes, "{q}: every code, in the pages' order");
        }
        // Paged JSON (300 a page) and the XLSX of the largest figure agree, and with a group.
        let paged = drill_codes(app, "metric=received", &viewer, 300);
        let xlsx = xlsx_export(app, &format!("/api/v1/reports/dossiers?{YEAR}&metric=received&format=xlsx"), &viewer);
        assert_eq!(column(&xlsx, "code"), paged);
        assert!(!xlsx.header.contains(&"applicant_name".to_owned()), "a figure's drill-down names no applicant");
        let group = summary["groups"][0]["key"].as_str().expect("a channel").to_owned();
        let q = format!("metric=resolved_on_time&group_by=channel&group={group}");
        let codes = drill_codes(app, &q, &viewer, 10_000);
        assert_eq!(Some(codes.len() as u64), summary["groups"][0]["counts"]["resolved_on_time"].as_u64());
        let xlsx = xlsx_export(app, &format!("/api/v1/reports/dossiers?{YEAR}&{q}&format=xlsx"), &viewer);
        assert_eq!(column(&xlsx, "code"), codes);
        assert!(xlsx.rows.iter().all(|r| r["channel"].text() == group));
        // The columns are the dossier's: instants as date-times of Vietnam time.
        for row in xlsx.rows.iter().take(20) {
            let code = row["code"].text();
            let d = json(app, &format!("/api/v1/dossiers/{code}"), &viewer);
            assert_eq!(row["status"].text(), d["status"].as_str().expect("status"));
            assert_eq!(row["procedure"].text(), d["procedure"]["code"].as_str().expect("procedure"));
            assert_eq!(row["receiving_agency"].text(), d["receiving_agency"].as_str().expect("agency"));
            assert_eq!(row["timeliness"].text(), d["timeliness"].as_str().unwrap_or_default());
            for at in ["received_at", "due_at", "resolved_at"] {
                match (&row[at], d[at].as_str()) {
                    (Cell::DateTime(s), Some(t)) => assert!((s - serial(t)).abs() < 1e-6, "{code} {at}: {s} ≠ {t}"),
                    (Cell::Blank, None) => {}
                    (cell, t) => panic!("{code} {at}: {cell:?} for {t:?}"),
                }
            }
        }
        let csv = csv_export(app, &format!("/api/v1/reports/dossiers?{YEAR}&{q}&format=csv"), &viewer);
        let d = json(app, &format!("/api/v1/dossiers/{}", csv.rows[0]["code"].text()), &viewer);
        assert_eq!(csv.rows[0]["received_at"].text(), d["received_at"].as_str().expect("received"), "CSV instants as in JSON");
    }

    fn the_list_export_holds_every_dossier_the_filters_match(app: &TestApp) {
        seeded(app, 1300);
        let viewer = app.token(Role::Viewer, None);
        for q in ["status=returned", "channel=online", "received_from=2025-03-01T00:00:00%2B07:00&received_to=2025-07-01T00:00:00%2B07:00"] {
            let items = list_all(app, q, &viewer);
            let codes: Vec<String> = items.iter().map(|d| d["code"].as_str().expect("code").to_owned()).collect();
            let csv = csv_export(app, &format!("/api/v1/dossiers?{q}&format=csv"), &viewer);
            assert_eq!(column(&csv, "code"), codes, "{q}: every dossier, newest first");
            for (row, d) in csv.rows.iter().zip(&items) {
                assert_eq!(row["applicant_name"].text(), d["applicant"]["name"].as_str().expect("name"));
                assert_eq!(row["submitted_at"].text(), d["submitted_at"].as_str().expect("submitted"));
                assert_eq!(row["sync_state"].text(), d["sync"]["state"].as_str().expect("sync"));
            }
            let xlsx = xlsx_export(app, &format!("/api/v1/dossiers?{q}&format=xlsx"), &viewer);
            assert_eq!(column(&xlsx, "code"), codes, "{q}");
        }
        let everything = list_all(app, "status=returned", &viewer);
        assert!(everything.len() > 1000, "more than one export page: {}", everything.len());
        let csv = csv_export(app, "/api/v1/dossiers?status=returned&format=csv", &viewer);
        assert!(csv.rows.iter().all(|r| r["applicant_name"].text() == "Công dân tổng hợp"), "Vietnamese survives");
        // Staff export their own agency's dossiers, as they list them.
        let agency = everything[0]["receiving_agency"].as_str().expect("agency").to_owned();
        let officer = app.token(Role::Officer, Some(&agency));
        let theirs = list_all(app, "channel=in_person", &officer);
        let csv = csv_export(app, "/api/v1/dossiers?channel=in_person&format=csv", &officer);
        assert_eq!(column(&csv, "code"), theirs.iter().map(|d| d["code"].as_str().expect("code").to_owned()).collect::<Vec<_>>());
        assert!(theirs.len() < list_all(app, "channel=in_person", &viewer).len(), "the officer sees fewer than the province");
    }

    fn the_format_is_chosen_by_the_parameter_then_accept(app: &TestApp) {
        seeded(app, 50);
        let viewer = app.token(Role::Viewer, None);
        let summary = format!("/api/v1/reports/summary?{YEAR}");
        let drill = format!("/api/v1/reports/dossiers?{YEAR}&metric=received");
        for path in [summary.as_str(), drill.as_str(), "/api/v1/dossiers?status=returned"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let r = raw(app, path, Some(&viewer), Some("text/csv"));
            assert_eq!((r.status, r.content_type.as_str()), (200, "text/csv; charset=utf-8; header=present"), "{path}");
            let r = raw(app, path, Some(&viewer), Some(XLSX));
            assert_eq!((r.status, r.content_type.as_str()), (200, XLSX), "{path}");
            assert_eq!(&r.bytes[..2], b"PK", "a zip");
            let r = raw(app, path, Some(&viewer), Some("application/json;q=0.4, text/csv;q=0.9"));
            assert_eq!(r.content_type, "text/csv; charset=utf-8; header=present", "{path}: by quality");
            for accept in [None, Some("application/json"), Some("*/*"), Some("image/png"), Some("text/html,application/xhtml+xml")] {
                let r = raw(app, path, Some(&viewer), accept);
                assert_eq!((r.status, r.content_type.as_str()), (200, "application/json"), "{path} {accept:?}: JSON as before");
            }
            let r = raw(app, &format!("{path}{sep}format=json"), Some(&viewer), Some("text/csv"));
            assert_eq!(r.content_type, "application/json", "{path}: format wins over Accept");
            let r = raw(app, &format!("{path}{sep}format=xlsx"), Some(&viewer), Some("text/csv"));
            assert_eq!(r.content_type, XLSX, "{path}: format wins over Accept");
            for bad in ["pdf", "CSV", ""] {
                app.get(&format!("{path}{sep}format={bad}"), Some(&viewer)).expect_problem(422, "validation_failed");
            }
            let p = app.get(&format!("{path}{sep}format=ods"), Some(&viewer)).expect_problem(422, "validation_failed").body;
            assert_eq!(p["errors"][0]["field"], "format", "{p}");
            assert_eq!(p["errors"][0]["code"], "unsupported_format", "{p}");
        }
        // An export is the whole list: no paging parameters.
        let p = app.get(&format!("{drill}&format=csv&limit=10"), Some(&viewer)).expect_problem(422, "validation_failed").body;
        assert_eq!(p["errors"][0]["code"], "not_with_export", "{p}");
        app.get(&format!("{drill}&format=xlsx&after=0"), Some(&viewer)).expect_problem(422, "validation_failed");
        app.get("/api/v1/dossiers?format=csv&limit=10", Some(&viewer)).expect_problem(422, "validation_failed");
        app.get("/api/v1/dossiers?format=csv&cursor=abc", Some(&viewer)).expect_problem(422, "validation_failed");
        // Bad filters are refused before any byte of a file.
        app.get(&format!("{drill}x&format=csv"), Some(&viewer)).expect_problem(422, "validation_failed");
        app.get("/api/v1/reports/summary?from=2025-02-01&to=2025-01-01&format=xlsx", Some(&viewer)).expect_problem(422, "validation_failed");
        let r = raw(app, &format!("{summary}&format=csv"), Some(&viewer), None);
        assert_eq!(r.disposition, "attachment; filename=\"summary-2025-01-01-2025-12-31.csv\"");
    }

    fn who_cannot_read_the_json_cannot_export_it(app: &TestApp) {
        seeded(app, 50);
        let summary = format!("/api/v1/reports/summary?{YEAR}");
        let drill = format!("/api/v1/reports/dossiers?{YEAR}&metric=received");
        for role in [Role::Citizen, Role::Integrator] {
            let t = app.token(role, None);
            for path in [&summary, &drill] {
                for format in ["json", "csv", "xlsx"] {
                    app.get(&format!("{path}&format={format}"), Some(&t)).expect_problem(403, "forbidden");
                }
                assert_eq!(raw(app, path, Some(&t), Some("text/csv")).status, 403);
            }
        }
        for path in [summary.as_str(), drill.as_str(), "/api/v1/dossiers?status=returned"] {
            assert_eq!(raw(app, &format!("{path}&format=csv"), None, None).status, 401, "{path}");
            assert_eq!(raw(app, path, None, Some(XLSX)).status, 401, "{path}");
        }
        // Staff read their own agency's figures and no other's, in any format.
        // Two departments of the demo province, neither above the other.
        let (own, other) = ("000.00.05.H56", "000.00.06.H56");
        let officer = app.token(Role::Officer, Some(own));
        for format in ["json", "csv", "xlsx"] {
            app.get(&format!("{summary}&agency={other}&format={format}"), Some(&officer)).expect_problem(403, "forbidden");
            app.get(&format!("{drill}&agency={other}&format={format}"), Some(&officer)).expect_problem(403, "forbidden");
        }
        let theirs = json(app, &summary, &officer);
        let csv = csv_export(app, &format!("{summary}&format=csv"), &officer);
        assert_summary_equal(&theirs, &csv);
        // A citizen's export of the list holds their own dossiers only, as their JSON does.
        let citizen = app.token(Role::Citizen, None);
        let csv = csv_export(app, "/api/v1/dossiers?format=csv", &citizen);
        assert!(csv.rows.is_empty(), "the synthetic dossiers are other citizens'");
    }
}
