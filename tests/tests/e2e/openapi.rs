//! The committed `openapi.json` is what the code generates and what the
//! server serves; every operation is documented.

use dvc_tests::{Backend, TestApp};
use serde_json::Value;

fn committed() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json"))
        .expect("openapi.json at the top level");
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

dvc_tests::e2e_test!(committed_document_equals_the_generated_one);
fn committed_document_equals_the_generated_one() {
    let generated: Value = serde_json::from_str(&dvc_api::openapi::pretty_json()).expect("generated JSON");
    assert!(
        generated == committed(),
        "openapi.json has drifted from the code: run `cargo run -- openapi > openapi.json` and commit it"
    );
}

dvc_tests::e2e_test!(served_document_equals_the_committed_one);
fn served_document_equals_the_committed_one() {
    let app = TestApp::spawn(Backend::Sqlite);
    let served = app.get("/api-docs/openapi.json", None).expect(200).body;
    assert_eq!(served, committed());
}

dvc_tests::e2e_test!(every_operation_has_an_id_summary_tag_security_and_errors);
fn every_operation_has_an_id_summary_tag_security_and_errors() {
    let doc = committed();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            count += 1;
            let at = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{at}: operationId");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at}: tags");
            assert!(op["security"].is_array(), "{at}: security");
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|k| k.starts_with('2')), "{at}: a success response");
            if !path.starts_with("/health") {
                assert!(responses.contains_key("400") && responses.contains_key("404"), "{at}: error responses");
            }
        }
    }
    assert!(count >= 17, "{count} operations");
}

dvc_tests::e2e_test!(operation_ids_are_unique);
fn operation_ids_are_unique() {
    let doc = committed();
    let mut seen = std::collections::HashSet::new();
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(seen.insert(id.to_owned()), "operationId {id} is used twice");
        }
    }
}

dvc_tests::e2e_test!(no_two_types_share_a_schema_name);
/// Two types that document themselves under one schema name make the
/// document lie about one of them (utoipa keeps either, silently): every
/// `ToSchema` type of the API and every mirrored enum has a name of its own.
fn no_two_types_share_a_schema_name() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../api/src")), &mut files);
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let declared = if line.contains("derive(") && line.contains("ToSchema") {
                // The type the derive is on: the next `struct` or `enum` line.
                lines[i + 1..].iter().take(12).find_map(|l| {
                    let l = l.trim_start().trim_start_matches("pub ").trim_start_matches("pub(crate) ");
                    let rest = l.strip_prefix("struct ").or_else(|| l.strip_prefix("enum "))?;
                    Some(rest.split(|c: char| !c.is_alphanumeric() && c != '_').next()?.to_owned())
                })
            } else {
                // `Name => Domain { … }` inside `mirror_enum!`.
                let t = line.trim();
                (i > 0 && lines[i.saturating_sub(3)..i].iter().any(|l| l.contains("mirror_enum!")))
                    .then(|| t.split_once(" => ").map(|(n, _)| n.to_owned()))
                    .flatten()
                    .filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_'))
            };
            if let Some(name) = declared {
                names.entry(name).or_default().push(format!("{}:{}", file.display(), i + 1));
            }
        }
    }
    assert!(names.len() > 100, "the scan found only {} schema types", names.len());
    let shared: Vec<_> = names.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(shared.is_empty(), "schema names declared twice: {shared:#?}");
}
